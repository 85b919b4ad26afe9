package model

import "time"

// Actions of the activity log. Everything written to the log names one of these, and the
// activity page's filter offers them all, so an action cannot be logged without becoming
// filterable. Actions of features still to come are added with their features.
const (
	ActionSignIn        = "sign-in"
	ActionSignOut       = "sign-out"
	ActionRefused       = "refused" // a request the person's role, or the origin check, refused
	ActionRefresh       = "refresh"
	ActionRefreshErrors = "refresh-errors"
	ActionReprocess     = "reprocess"
	ActionIPRefresh     = "ip-refresh"
	ActionIPImport      = "ip-import"
	ActionSSPRVerify    = "sspr-verify" // a password-reset request mail checked; never the mail itself

	ActionSignOutEverywhere = "sign-out-everywhere" // a person ended all their sessions
	ActionSessionEnd        = "session-end"         // a session ended by a LicenseAdmin, or by a failed role re-check
	ActionRoleCheck         = "role-check"          // roles re-read from the identity provider by a silent sign-in
	ActionActivityPrune     = "activity-prune"      // entries past the retention deleted
	ActionBackup            = "backup"              // a copy of the database written (tenantdesk backup)
	ActionRestore           = "restore"             // the database replaced by a backup (tenantdesk restore)
	ActionJob               = "job"                 // a background job of a kind this tenantdesk does not know, interrupted
	// ActionTemplateChange is one assignLicense call on a group (editor, bulk, split): its
	// detail holds the request body.
	ActionTemplateChange = "template-change"
	// ActionGroupCreate is a group created by tenantdesk (the split wizard's dynamic groups).
	ActionGroupCreate    = "group-create"
	ActionPriceSet       = "price-set"       // a SKU's monthly price set or cleared (license health)
	ActionLicenseCleanup = "license-cleanup" // wasted licenses removed the way each was given (a job)
	// ActionTemplateJob is a template apply, bulk change or split run as a background job: its
	// start and its end (each write in it has its own template-change or group-create entry).
	ActionTemplateJob = "template-job"
	// Alerts: a channel added, a rule's on/off or thresholds set, a test sent to a channel.
	ActionAlertChannel = "alert-channel"
	ActionAlertRule    = "alert-rule"
	ActionAlertTest    = "alert-test"
)

// ActivityActions are the actions in the order the activity filter offers them.
func ActivityActions() []string {
	return []string{ActionSignIn, ActionSignOut, ActionRefused, ActionRefresh, ActionRefreshErrors,
		ActionReprocess, ActionIPRefresh, ActionIPImport, ActionSSPRVerify,
		ActionSignOutEverywhere, ActionSessionEnd, ActionRoleCheck, ActionActivityPrune, ActionBackup, ActionRestore, ActionJob,
		ActionTemplateChange, ActionGroupCreate, ActionTemplateJob, ActionPriceSet, ActionLicenseCleanup,
		ActionAlertChannel, ActionAlertRule, ActionAlertTest}
}

// Activity results.
const (
	ActivityOK      = "ok"
	ActivityRefused = "refused"
	ActivityFailed  = "failed"
)

// Activity is one entry of the dashboard's own activity log: who did what to which target,
// when, and how it ended.
type Activity struct {
	ID            int64
	At            time.Time
	ActorUPN      string // "" for the system (scheduled jobs) or anonymous requests
	ActorName     string
	Action        string // e.g. "sign-in", "refresh", "reprocess", "template-change"
	Target        string // object id or other key of what was acted on
	TargetName    string
	Result        string // ActivityOK, ActivityRefused, ActivityFailed
	Detail        string
	CorrelationID string // the request id, or Graph's client-request-id
	RemoteIP      string
	// Count is how many times it happened: repeated refusals from one source within a window
	// are one entry (see RefusalPolicy); 1 for everything else. LastAt is when the last came.
	Count  int
	LastAt time.Time
}

// RefusalPolicy bounds what refused requests (and failed sign-ins) write to the activity log,
// so that traffic nobody signed in for cannot fill the disk. Within Window, the refusals of one
// source (a signed-in person, or an address for anonymous requests) with one action and result
// are one entry with a count. Anonymous sources get at most AnonymousRows new entries per
// Window in all; beyond that, one entry counts the rest.
type RefusalPolicy struct {
	Window        time.Duration
	AnonymousRows int
}

// ActivityFilter selects activity entries. Zero fields select everything.
type ActivityFilter struct {
	Actor  string // UPN, case-insensitive, exact
	Action string // exact
	Result string // Activity* result
	Since  time.Time
	Until  time.Time // exclusive
	Text   string    // substring of actor, target, target name, detail or correlation id (case-insensitive)
	Limit  int       // page size for ListActivity; < 1 means 50
	Offset int
}

// ActivityPage is one page of the activity log, newest first.
type ActivityPage struct {
	Entries []Activity
	Total   int // entries matching the filter, on every page
}
