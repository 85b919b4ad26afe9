package web

import (
	"time"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// View models of license template management: the editor (/groups/{id}/licenses), the preview
// of a change, the processing after it, the bulk change (/licenses/bulk) and the split wizard
// (/groups/{id}/split).

// GroupRef is a group named and linked.
type GroupRef struct {
	ID, Name, Href string
}

// TemplateEditorView is the editor of one group's template.
type TemplateEditorView struct {
	Group GroupRef
	// CanEdit: the person may change templates (LicenseAdmin); otherwise the form is read-only.
	CanEdit bool
	// ApplyBlocked is the Graph permission the app lacks to write (editing still works).
	ApplyBlocked string
	ReadProblem  string // the template shown is the snapshot's: why
	Source       string // "Copied from user …": the template shown is not the group's
	Licenses     []EditorLicense
	FormAction   string // POST: the ticked template, turned into its preview
	CopyAction   string // GET: the editor with a copied template
	FromUser     string
	FromGroup    string
	SplitHref    string
	BulkHref     string
	Problem      *FormProblem
}

// EditorLicense is one subscription in the editor.
type EditorLicense struct {
	ID, Name, PartNumber, Status string
	Available                    int
	Assigned                     bool // ticked: in the template being edited
	InCurrent                    bool // in the group's template now
	Plans                        []EditorPlan
}

// EditorPlan is one service plan of an EditorLicense.
type EditorPlan struct {
	ID, Name, Tech string
	Enabled        bool
}

// EnabledCount is how many plans of the license are on.
func (l EditorLicense) EnabledCount() int {
	n := 0
	for _, p := range l.Plans {
		if p.Enabled {
			n++
		}
	}
	return n
}

// TemplatePreviewView is one proposed change with its consequence.
type TemplatePreviewView struct {
	Group      GroupRef
	EditHref   string
	Diff       licensing.TemplateDiff
	NoChange   bool
	Body       string // indented
	PowerShell string
	Consequence
	Warnings []string
	// Apply is the form that writes the change; nil when the person may not.
	Apply *ApplyForm
	// Changed is set when an apply found the template changed since the preview: this page is
	// the new preview, against the template now.
	Changed bool
	// Refusal is Graph's refusal of the apply, in plain words, with its original message.
	Refusal *Refusal
	Problem *FormProblem
}

// ApplyForm writes the previewed change; Blocked (the missing Graph permission) disables it.
type ApplyForm struct {
	PostTo   string
	Base     []string // the template the preview was computed against
	Proposed []string
	Blocked  string
	Risky    bool // the preview predicts members newly in error
}

// Refusal is a write Microsoft refused.
type Refusal struct {
	Message  string // in plain words
	Original string // Graph's code and message as it sent them
}

// Consequence is what a change does, member by member, in words.
type Consequence struct {
	Members                                                     int
	FullyLicensed, NewlyInError, StillInError, Fixed, Unchanged int
	Removed, NoUsageLocation, NotUsers, Fresh                   int
	Units, Findings, TemplateProblems                           []string
	Rows                                                        []MemberOutcomeRow
	MoreRows                                                    int // members not listed
	MembersAt                                                   time.Time
	// Basis says what the prediction was made from, in a sentence.
	Basis string
}

// MemberOutcomeRow is one member's predicted outcome.
type MemberOutcomeRow struct {
	ID, Name, UPN, Href string
	UsageLocation       string
	Outcome             string // licensing.Outcome
	OutcomeLabel        string
	Reason              string
	Gains, Losses       []model.NamedSKU
	Elsewhere           []string // other sources' states that change, in words
}

// Bad reports whether the outcome is an error.
func (r MemberOutcomeRow) Bad() bool {
	return r.Outcome == string(licensing.OutcomeNewlyInError) || r.Outcome == string(licensing.OutcomeStillInError)
}

// ProcessingView is a group's license processing as a step of three, polled while it runs.
type ProcessingView struct {
	GroupID   string
	State     string
	Step      int // 1 queued, 2 in progress, 3 complete
	StatusURL string
	Error     string
	// Reload: when every such box on the page is done, app.js reloads the page (which then
	// shows what came next).
	Reload bool
	// ReloadURL, when set, is loaded instead of reloading (the page answered a POST).
	ReloadURL string
}

// Done reports whether the processing is complete.
func (p ProcessingView) Done() bool { return p.Step == 3 }

// TemplateAppliedView is the page after an apply: the processing moving, then every member's
// state.
type TemplateAppliedView struct {
	Group      GroupRef
	Change     *model.Activity // the change tenantdesk made last, from the activity log
	Processing ProcessingView
	Result     *ReprocessResultView
	Problem    string
	EditHref   string
}

// BulkFormView is the form of one change to many groups.
type BulkFormView struct {
	Kinds    []Option
	SKUs     []Option // every subscription: the license the change is about
	With     []Option // replace: the new license
	In       []Option // the groups: every group that assigns this license
	Plans    []BulkPlanGroup
	Groups   string // the groups by name or id, one a line
	Action   string
	Problem  *FormProblem
	Disabled bool // read-only for people who may not change templates
}

// BulkPlanGroup are one license's plans to pick for disable, enable or replace.
type BulkPlanGroup struct {
	SKU   string
	Name  string
	Plans []Option
}

// BulkPreviewView is a change previewed for many groups.
type BulkPreviewView struct {
	Form                        BulkFormView
	Description                 string
	Items                       []BulkItemView
	Affected                    int
	Members                     int
	NewlyInError, FullyLicensed int
	Apply                       *BulkApplyForm
}

// BulkItemView is one group of a bulk preview or apply.
type BulkItemView struct {
	Group       GroupRef
	Unaffected  bool
	Error       string
	Diff        string
	Consequence *Consequence
	PreviewHref string // the group's own preview of the same change
	// After an apply:
	Outcome    string // "applied", "already so", "changed meanwhile", "refused", "failed"
	Processing *ProcessingView
	// Followed: Members (direct user members) and InError (in license error from the
	// group, once it is processed) were read from Graph.
	Followed                   bool
	Licenses, Members, InError int
}

// BulkApplyForm writes every affected group's change.
type BulkApplyForm struct {
	PostTo  string
	Groups  []BulkApplyGroup
	Blocked string
}

// BulkApplyGroup is one group's part of the bulk apply form.
type BulkApplyGroup struct {
	ID             string
	Base, Proposed []string
}

// BulkResultView is a bulk apply's outcome, group by group.
type BulkResultView struct {
	Description string
	Items       []BulkItemView
	Applied     int
	Failed      int
	BackHref    string
	// OutcomeHref follows the applied groups (their outcome page).
	OutcomeHref string
	// Following: this is the outcome page, with Processed groups done and InError members
	// in license error from them in all.
	Following          bool
	Processed, InError int
}

// SplitView is the split wizard of one group.
type SplitView struct {
	Group        GroupRef
	Parts        []SplitPartView
	Requirements []RequirementView
	Blocked      string
	CanRun       bool
	RunAction    string
	StatusURL    string
	Steps        []SplitStepView // the outcome of the last run (a background job)
	RunJob       string          // that job's page
	RunRunning   bool            // it is still running
	Done         bool            // every group exists with its license and is processed
	RemoveHref   string          // the preview of removing the licenses from the original group
	SourceUsers  int
}

// SplitPartView is one license of the split.
type SplitPartView struct {
	SKU        model.NamedSKU
	Disabled   []model.NamedPlan
	Name, Rule string
	State      string
	StateLabel string
	Problem    string
	Group      *GroupRef
	Members    int
	InError    int
	Processing *ProcessingView
	Error      string // why its state could not be read
}

// RequirementView is one requirement of the split, met or not.
type RequirementView struct {
	What, Detail string
	Met          bool
}

// SplitStepView is one step of a split run.
type SplitStepView struct {
	Name, Did, Error string
	Group            *GroupRef
	Failed           bool
}

// Summary is the bulk result's first sentence.
func (v BulkResultView) Summary() string {
	if !v.Following {
		s := Number(v.Applied) + " " + Plural(v.Applied, "group", "groups") + " changed"
		if v.Failed > 0 {
			s += ", " + Number(v.Failed) + " not (see below)"
		}
		return s + ". Microsoft processes each group's members in the background; this page follows them and then shows how they came out."
	}
	s := Number(v.Processed) + " of " + Number(len(v.Items)) + " " + Plural(len(v.Items), "group", "groups") + " processed"
	if v.Processed > 0 {
		s += ", " + Number(v.InError) + " " + Plural(v.InError, "member", "members") + " in license error from them"
	}
	if v.Failed > 0 {
		s += ", " + Number(v.Failed) + " not read (see below)"
	}
	s += "."
	if v.Processed < len(v.Items) {
		s += " This page follows the rest."
	}
	return s
}
