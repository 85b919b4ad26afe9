package model

import (
	"context"
	"time"
)

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

// SnapshotWriter writes a new snapshot as a sync reads it: pages of users as they come, then
// the rest and the switch to it, all or nothing. The store implements it.
type SnapshotWriter interface {
	// AddUsers writes a page of users; a user already written is left as it is.
	AddUsers(ctx context.Context, users []User) error
	// Commit adds the subscriptions, licensed groups and member counts and makes the snapshot
	// current; on error nothing changes.
	Commit(ctx context.Context, skus []SKU, groups []Group, counts map[string]MemberCounts) error
	// Abort discards the unfinished snapshot.
	Abort(ctx context.Context) error
}

// DeltaLinks are the @odata.deltaLink URLs of the users and groups delta rounds that a
// snapshot's data is as new as: the next incremental refresh asks Graph for what changed after
// them. "" where there is none (the snapshot can then only be replaced by a full sync).
type DeltaLinks struct {
	Users, Groups string
}

// MemberChange is one entry of a group's members@delta: a member that joined or left.
type MemberChange struct {
	GroupID    string
	MemberID   string
	MemberType string // "user", "group", "device", "orgContact" (Graph's @odata.type without the namespace)
	Removed    bool
}

// GroupDelta is what a groups delta round reported: membership changes (the last one per group
// and member), and groups that were deleted.
type GroupDelta struct {
	Members       []MemberChange
	RemovedGroups []string
}
