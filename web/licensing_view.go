package web

import (
	"time"

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

	// ErrorUsers are the members in license error from this group (one page of them).
	ErrorUsers []ErrorUserRow
	ErrorPager Pager
	// Reprocess controls: shown when CanReprocess; ReprocessBlocked (the missing Graph
	// permission, or Graph not configured) disables them with that reason. RefreshBlocked
	// disables "Refresh license errors", which only reads and so needs no write permission.
	CanReprocess         bool
	ReprocessBlocked     string
	RefreshBlocked       string
	ReprocessAction      string
	RefreshErrorsAction  string
	Result               *ReprocessResultView // after a reprocess or a refresh of errors
	Members              MembersView
	Audit                AuditView
	SelectAllInErrorHint string
}

// ErrorUserRow is a member in license error with every license this group gives them.
type ErrorUserRow struct {
	ID             string
	Name           string
	UPN            string
	Href           string
	UsageLocation  string
	AccountEnabled bool
	Licenses       []LicenseView
}

// LicenseView is one license state of a user, explained.
type LicenseView struct {
	SKU           model.NamedSKU
	Direct        bool
	GroupID       string
	GroupName     string // the assigning group's name; its id when unknown
	GroupHref     string
	State         string
	Code          string // the error code; "" when none
	Summary       string
	Detail        string
	Fix           string
	DisabledPlans []model.NamedPlan
	// Blocker is, for Other, the name of the sibling license that really failed.
	Blocker string
}

// InError reports whether the license carries an error.
func (l LicenseView) InError() bool { return l.Code != "" }

// ReprocessResultView is what a reprocess or a refresh of license errors found, user by user.
type ReprocessResultView struct {
	Kind     string // "reprocess" or "refresh"
	At       time.Time
	Total    int
	Licensed int
	InError  int
	Refused  int
	Rows     []OutcomeRow
	// Problems are failures around the users (re-reading the group, saving), shown as warnings.
	Problems []string
}

// Outcome statuses.
const (
	OutcomeLicensed = "licensed"
	OutcomeInError  = "error"
	OutcomeRefused  = "refused"
)

// OutcomeRow is the outcome for one user.
type OutcomeRow struct {
	UserID  string
	Name    string
	Href    string
	Status  string // OutcomeLicensed, OutcomeInError, OutcomeRefused
	Summary string // the current reason, or Graph's refusal decoded
	Fix     string
}

// StatusLabel is an outcome status in words.
func (o OutcomeRow) StatusLabel() string {
	switch o.Status {
	case OutcomeLicensed:
		return "Now licensed"
	case OutcomeInError:
		return "Still in error"
	case OutcomeRefused:
		return "Graph refused"
	}
	return o.Status
}

// MembersView is one page of a group's direct members, read live from Graph.
type MembersView struct {
	Loaded     bool
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

// AuditView is a list of directory audit events, read live from Graph.
type AuditView struct {
	Loaded bool
	Error  string
	Since  time.Time
	Rows   []AuditRow
	More   int // events left out of the list
}

// AuditRow is one audit event.
type AuditRow struct {
	At         time.Time
	Activity   string
	Result     string
	Reason     string
	TargetName string
	TargetHref string
	TargetID   string
	Initiator  string
	Service    string
	Message    *DecodedMessage // the "Licensing Error Message", when there is one
}

// DecodedMessage is a "Licensing Error Message" with every GUID named.
type DecodedMessage struct {
	Text      string // the message with GUIDs replaced by names
	Raw       string // as Microsoft wrote it, for copying
	KindLabel string // "Not enough licenses", ...
	SKUs      []model.NamedSKU
	Added     []model.NamedSKU
	Removed   []model.NamedSKU
	Conflicts []PlanPair
}

// PlanPair is a pair of service plans in conflict.
type PlanPair struct{ A, B model.NamedPlan }

// UserView is the page of one user.
type UserView struct {
	User        model.User
	SnapshotAt  time.Time
	Licenses    []LicenseView
	Groups      []GroupLink // the license-assigning groups the user is in
	Audit       AuditView
	SSPR        AuditView
	InError     bool
	SearchURL   string
	LiveMessage string // e.g. the user is newer than the snapshot
}

// UserSearchView is the user search.
type UserSearchView struct {
	HasData    bool
	Query      string
	Rows       []UserRow
	Total      int
	Pager      Pager
	FormAction string
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
