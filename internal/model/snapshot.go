package model

import "time"

// Snapshot is everything one sync read from the tenant.
type Snapshot struct {
	TakenAt      time.Time
	SKUs         []SKU
	Groups       []Group                 // licensed groups, with their templates
	MemberCounts map[string]MemberCounts // by group id; a group left out counts 0
	Users        []User                  // every user, with assignedLicenses and licenseAssignmentStates
}

// SnapshotInfo identifies the current snapshot.
type SnapshotInfo struct {
	ID, RunID int64
	TakenAt   time.Time
}

// UserSearchResult is one page of users matching a search.
type UserSearchResult struct {
	Users []UserHit // ordered by name
	Total int       // users matching, over all pages
}

// UserHit is a user found by a search: the user without licenses, and whether they hold any
// and are in error.
type UserHit struct {
	User
	Licensed bool
	InError  bool
}

// GroupInfo is what the licensing pages need of a licensed group besides its detail: name,
// template and processing state.
type GroupInfo struct {
	ID              string
	DisplayName     string
	ProcessingState string
	Template        []AssignedLicense
}

// GroupUpdate is what a re-read of one group from Graph changes in the current snapshot.
type GroupUpdate struct {
	ID              string
	ProcessingState string // "" keeps the stored one
}
