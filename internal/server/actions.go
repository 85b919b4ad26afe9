package server

import "github.com/tenantdesk/tenantdesk/internal/model"

// activityActions are the actions offered in the activity filter, in that order; others still
// filter when typed into the URL (entries written by older versions).
var activityActions = model.ActivityActions()
