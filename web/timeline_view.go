package web

import "time"

// TimelineView is the license history of a user or group, decoded from the audit log.
type TimelineView struct {
	Error string // why the audit log could not be read
	Since time.Time
	Rows  []TimelineRow
}

// TimelineRow is one license change.
type TimelineRow struct {
	At         time.Time
	Activity   string
	By         string
	Failed     bool
	Added      []string // "Office 365 E3 (without Microsoft Teams)"
	Removed    []string
	Changed    []string // "Office 365 E3: Microsoft Teams switched off"
	FromGroups []GroupLink
	Failure    string
	Undecoded  bool
}
