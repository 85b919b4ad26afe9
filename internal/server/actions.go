package server

// Actions of the activity log. Every s.logActivity call names one of these, and the activity
// page's action filter offers exactly activityActions, so a new action cannot be logged
// without becoming filterable.
const (
	ActionSignIn         = "sign-in"
	ActionSignOut        = "sign-out"
	ActionRefused        = "refused" // a request the person's role, or the origin check, refused
	ActionRefresh        = "refresh"
	ActionRefreshErrors  = "refresh-errors"
	ActionReprocess      = "reprocess"
	ActionIPRefresh      = "ip-refresh"
	ActionIPImport       = "ip-import"
	ActionTemplateChange = "template-change"
	ActionSSPRVerify     = "sspr-verify"
)

// activityActions are the actions offered in the activity filter, in that order; others still
// filter when typed into the URL (entries written by older versions).
var activityActions = []string{ActionSignIn, ActionSignOut, ActionRefused, ActionRefresh, ActionRefreshErrors,
	ActionReprocess, ActionIPRefresh, ActionIPImport, ActionTemplateChange, ActionSSPRVerify}
