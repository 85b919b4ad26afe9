package model

import "time"

// AuditQuery selects directory audit events (GET /auditLogs/directoryAudits). Empty fields do not
// filter.
type AuditQuery struct {
	Activity        string // activityDisplayName eq
	ActivityPrefix  string // startswith(activityDisplayName, ...)
	Since, Until    time.Time
	TargetID        string // targetResources/any(t:t/id eq ...)
	CorrelationID   string
	LoggedByService string
	InitiatedByUPN  string
	Top             int // page size ($top), at most 999; 0 leaves it to Graph
	Max             int // stop after this many events; 0 means all
}

// ReprocessOutcome is Graph's answer to reprocessing one user's license assignments.
type ReprocessOutcome struct {
	UserID string
	User   User  // as Graph returned it, when Err is nil (possibly only the id)
	Err    error // nil when Graph accepted the reprocess
}
