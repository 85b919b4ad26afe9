package web

import (
	"time"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// View models of the licensing pages: one group (/groups/{id}), one user (/users/{id}) and the
// user search (/users?q=). Every name shown here comes with its id for hover and copy.

// GroupView is the page of one group.
type GroupView struct {
	Group     model.GroupDetail
	Kind      string // "Security", "Microsoft 365", ...
	Dynamic   bool
	ReportURL string
	// TemplateHref is the license editor, SplitHref the split wizard.
	TemplateHref, SplitHref string

	// Causes sum up the members in error by cause, most members first, before the members
	// one by one (ErrorUsers).
	Causes []CauseView
	// ErrorUsers are the members in license error from this group (one page of them).
	ErrorUsers []ErrorUserRow
	ErrorPager Pager
	// DisabledUsers hold a license from this group that is Disabled (one page of them);
	// DisabledCount is how many do.
	DisabledUsers []ErrorUserRow
	DisabledPager Pager
	DisabledCount int
	// Reprocess controls: shown when CanReprocess; ReprocessBlocked (the missing Graph
	// permission) disables them with that reason. "Refresh license errors" only reads, so
	// nothing disables it.
	CanReprocess        bool
	ReprocessBlocked    string
	ReprocessAction     string
	RefreshErrorsAction string
	Jobs                []JobRow // the group's recent reprocess and re-read jobs, newest first
	Members             MembersView
	Audit               AuditView
	Timeline            TimelineView
	// Problem is what was wrong with the reprocess form just sent.
	Problem *FormProblem
}

// ErrorUserRow is a member in license error, or with a disabled license, with every license
// this group gives them.
type ErrorUserRow struct {
	ID             string
	Name           string
	UPN            string
	Href           string
	UsageLocation  string
	AccountEnabled bool
	Licenses       []LicenseView
}

// CauseView is one cause of license errors with the people it affects, linked.
type CauseView struct {
	licensing.Cause
	ID      string // the element id, an anchor: "cause-1"
	Members []UserLink
	// ReprocessUsers are the ids a "reprocess these" form sends; empty when the cause is too
	// large for one reprocess (or it is a look-ahead: nothing to reprocess yet).
	ReprocessUsers []string
	Then           []CauseView
}

// UserLink is a user named and linked.
type UserLink struct {
	ID, Name, UPN, Href string
}

// LicenseView is one license of a user, explained, with the assigning group's page.
type LicenseView struct {
	licensing.ExplainedLicense
	GroupHref string
	// ShowSource names where the license comes from beside its state (lists of several
	// sources).
	ShowSource bool
	// Compact shows the summary and keeps why, the fix and what fails next behind a
	// disclosure (long lists, where the causes above already say it).
	Compact bool
	// Plans are the license's service plans, each on or off for the user (the user page).
	Plans []licensing.LicensePlan
	// TemplateHref is the assigning group's license editor, when the fix is to change it.
	TemplateHref string
}

// ReprocessResultView is what a reprocess or a refresh of license errors found, user by user.
type ReprocessResultView struct {
	assign.Result
	Rows []OutcomeRow
	// Heading replaces the panel's heading (the members after a template change's processing).
	Heading string
}

// Refresh reports whether the result is of a refresh of license errors (no reprocess).
func (r ReprocessResultView) Refresh() bool { return r.Kind == assign.KindRefresh }

// OutcomeRow is the outcome for one user, with the user's page when the snapshot has it.
type OutcomeRow struct {
	assign.Outcome
	Href string
}

// Licensed reports whether the user is now licensed.
func (o OutcomeRow) Licensed() bool { return o.Status == assign.StatusLicensed }

// StatusLabel is the outcome's status in words.
func (o OutcomeRow) StatusLabel() string { return o.Status.Label() }

// MembersView is one page of a group's direct members, read live from Graph.
type MembersView struct {
	Error      string // why the members could not be read
	ReadAt     time.Time
	Search     string
	Type       string // "" for every type
	Types      []Option
	Rows       []MemberRow
	Pager      Pager
	Total      int // matching the search and type
	All        int // every direct member
	FormAction string
	// Hidden are query parameters the member filter form carries along.
	Hidden []Param
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// MemberRow is one direct member of a group.
type MemberRow struct {
	ID        string
	Name      string
	UPN       string
	TypeLabel string
	Href      string // users only
}

// AuditView is a list of directory audit events, read live from Microsoft Graph.
type AuditView struct {
	Error string // why the events could not be read
	Since time.Time
	// ReadAt is when the events were read from Graph, when they are kept between views;
	// ReadAgainURL reads them again.
	ReadAt       time.Time
	ReadAgainURL string
	Rows         []AuditRow
	More         int // events left out of the list
	// RecentWrite is when tenantdesk last changed what these events are about, if that was so
	// recently that Microsoft may not have logged it yet (its audit events come minutes late).
	RecentWrite time.Time
}

// AuditRow is one audit event, explained, with its target's page when it is a user.
type AuditRow struct {
	licensing.AuditEntry
	TargetHref string
}

// UserView is the page of one user.
type UserView struct {
	User       model.User
	SnapshotAt time.Time
	Licenses   []LicenseView
	Groups     []GroupLink // the license-assigning groups the user is in
	Audit      AuditView
	SSPR       AuditView
	Timeline   TimelineView
	InError    bool
	SearchURL  string
	// "Reprocess this user": shown when CanReprocess, disabled with ReprocessBlocked (the
	// missing Graph permission); Problem is why it was refused (a started one is a job).
	CanReprocess     bool
	ReprocessBlocked string
	ReprocessAction  string
	Problem          *FormProblem
}

// UserSearchView is the user search.
type UserSearchView struct {
	HasData    bool
	Query      string
	Licensed   bool // only users who hold a license
	Rows       []UserRow
	Total      int
	Pager      Pager
	FormAction string
	Problem    *FormProblem
}

// UserRow is one user found.
type UserRow struct {
	ID             string
	Name           string
	UPN            string
	Mail           string
	Href           string
	Licensed       bool
	InError        bool
	AccountEnabled bool
}

// LicenseErrorsView is /errors: every user of the tenant in license error, by cause, by group
// and one by one, filtered.
type LicenseErrorsView struct {
	HasData bool
	All     int // users in error, before the filter
	Shown   int // users matching the filter
	// The filter as asked.
	Code, Source, Text string
	Codes, Sources     []Option
	Causes             []CauseView
	Groups             []ErrorSourceRow
	Rows               []ErrorUserRow // one page of the users
	Pager              Pager
	FormAction         string
	CSVURL, ClearURL   string
	Problem            *FormProblem
}

// Filtered reports whether the view is narrowed by a filter.
func (v LicenseErrorsView) Filtered() bool { return v.Code != "" || v.Source != "" || v.Text != "" }

// ErrorSourceRow is a group (or direct assignment) with its users in error, linked to its page
// and to /errors filtered to it.
type ErrorSourceRow struct {
	Name       string
	Href       string // the group's page; "" for direct assignments
	FilterHref string
	Users      int
	Active     bool // the current filter
}
