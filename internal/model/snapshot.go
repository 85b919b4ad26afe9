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
	SignIns      []SignIn                // users' signInActivity (users without one never signed in)
	// Extras are the subscriptions and what could not be read; nil leaves both "not read".
	Extras *SnapshotExtras
}

// SnapshotInfo identifies the current snapshot.
type SnapshotInfo struct {
	ID, RunID int64
	// TakenAt is what the data is as of: when the latest refresh of the snapshot began.
	TakenAt time.Time
	// Kind is how the data was last refreshed: SyncFull or SyncIncremental.
	Kind string
	// FullAt is when the full sync the snapshot started from began (TakenAt after a full sync).
	FullAt time.Time
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
// the rest and the switch to it, all or nothing (after an error the snapshot can only be
// aborted). The store implements it.
type SnapshotWriter interface {
	// AddUsers adds a page of users, which the writer writes later (by Commit at the latest);
	// the store's takes what it writes of them at once, but the caller must not count on it
	// and must not change them afterwards. A user already added is left as it is.
	AddUsers(ctx context.Context, users []User) error
	// Added reports whether a user with this id was added; Users is how many distinct users
	// were. Neither may be called while an AddUsers runs.
	Added(id string) bool
	Users() int
	// SetDeltaLinks keeps, with the snapshot, the delta links its data is as new as.
	SetDeltaLinks(DeltaLinks)
	// Commit adds the subscriptions, licensed groups and member counts and makes the snapshot
	// current; on error nothing changes.
	Commit(ctx context.Context, skus []SKU, groups []Group, counts map[string]MemberCounts) error
	// Abort discards the unfinished snapshot.
	Abort(ctx context.Context) error
	// AddSignIns adds a page of users' signInActivity, kept and written like AddUsers'.
	AddSignIns(ctx context.Context, page []SignIn) error
	// SetExtras keeps the subscriptions and what could not be read, for Commit to write.
	SetExtras(extras SnapshotExtras)
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

// Changes is what an incremental refresh starts with, read together: the subscriptions and
// licensed groups as they are now, the groups delta since the stored link, and the new links
// (the users delta's users go to the reader as they come).
type Changes struct {
	SKUs       []SKU
	Groups     []Group
	GroupDelta GroupDelta
	UsersLink  string
	GroupsLink string
	// Subscriptions are the tenant's commercial subscriptions, read in the same round trip;
	// SubscriptionsErr is why they could not be (a refusal does not fail the rest).
	Subscriptions    []Subscription
	SubscriptionsErr error
}

// Changed is what changed in the directory since a pair of deltaLinks: the users created,
// changed or removed, and the groups whose membership changed or that were deleted.
type Changed struct {
	Users  []string
	Groups []string
}

// StoredGroup is a licensed group as the current snapshot has it: what an incremental refresh
// compares Graph's list with.
type StoredGroup struct {
	ID              string
	Template        []AssignedLicense
	ProcessingState string
	MemberCount     int
	UserCount       int
}

// RefreshBase is what an incremental refresh starts from: the current snapshot, the delta
// links it is as new as, its licensed groups and its subscriptions' capability status.
type RefreshBase struct {
	Snapshot  SnapshotInfo
	Links     DeltaLinks
	Groups    map[string]StoredGroup
	SKUStatus map[string]string // capabilityStatus by SKU id
}

// RefreshStats is what an incremental refresh changed in the snapshot.
type RefreshStats struct {
	Changed int // users written
	Removed int // users taken out
	Kept    int // users patched meanwhile (a reprocess): kept as patched, not overwritten
}

// SnapshotRefresh patches the current snapshot in place with what changed in the tenant: users
// as they are read (staged until Commit), users removed, and at Commit the subscriptions, the
// licensed groups and the member counts Graph gave anew, all in one transaction. Until Commit
// nobody sees any of it; on error nothing changes. The store implements it.
type SnapshotRefresh interface {
	// Base is what the refresh starts from.
	Base() RefreshBase
	// UsersInError are the users in license error with a state from one of the groups.
	UsersInError(ctx context.Context, groupIDs []string) ([]string, error)
	// UsersOutside are the users with a license state from a group not among groupIDs.
	UsersOutside(ctx context.Context, groupIDs []string) ([]string, error)
	// DirectHolders are the users with a direct license state of one of the SKUs.
	DirectHolders(ctx context.Context, skuIDs []string) ([]string, error)
	// PutUsers stages users as just read; a user put again, or removed, replaces what was put.
	PutUsers(ctx context.Context, users []User) error
	// RemoveUsers stages the removal of users (deleted, or not found when read); a later
	// PutUsers of one of them brings it back.
	RemoveUsers(ctx context.Context, ids []string) error
	// Commit writes the staged users, replaces the subscriptions and licensed groups with these,
	// sets member counts (groups left out of counts keep theirs), derives what follows and
	// records links; the snapshot's data is then as of the refresh's start.
	Commit(ctx context.Context, skus []SKU, groups []Group, counts map[string]MemberCounts, links DeltaLinks) (RefreshStats, error)
	// SetSubscriptions gives Commit the tenant's commercial subscriptions to replace the
	// snapshot's with, or why they could not be read (missing).
	SetSubscriptions(subs []Subscription, missing string)
	// Abort discards what was staged.
	Abort(ctx context.Context) error
}
