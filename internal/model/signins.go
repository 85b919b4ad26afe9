package model

import "time"

// SignIn is a user's signInActivity: the last interactive sign-in attempt, the last
// non-interactive one (a client acting for the user) and the last successful sign-in of either
// kind. A zero time is null in Graph: never, or not recorded (lastSuccessfulSignInDateTime exists
// only since December 2023 and was not backfilled). Never is a user with all three zero.
type SignIn struct {
	UserID             string
	LastInteractive    time.Time
	LastNonInteractive time.Time
	LastSuccessful     time.Time
}

// Never reports whether no sign-in of the user is recorded.
func (s SignIn) Never() bool {
	return s.LastInteractive.IsZero() && s.LastNonInteractive.IsZero() && s.LastSuccessful.IsZero()
}

// Subscription statuses (companySubscription.status).
const (
	SubscriptionEnabled   = "Enabled"
	SubscriptionWarning   = "Warning" // expired, in its grace period
	SubscriptionSuspended = "Suspended"
	SubscriptionLockedOut = "LockedOut"
	SubscriptionDeleted   = "Deleted"
)

// Subscription is a commercial subscription of the tenant (GET /directory/subscriptions): the
// units of a SKU bought together, with the date it moves to its next state.
type Subscription struct {
	ID                     string
	CommerceSubscriptionID string
	SKUID                  string // lower case
	SKUPartNumber          string
	Status                 string // SubscriptionEnabled, ...
	IsTrial                bool
	TotalLicenses          int
	CreatedAt              time.Time
	// NextLifecycleAt is when it moves to the next state unless renewed (zero when Graph does
	// not say): an enabled one expires or renews, one in grace is suspended, a suspended one is
	// deleted.
	NextLifecycleAt time.Time
}

// SnapshotExtras is what a sync reads besides users, groups and SKUs for license health, and why
// a part of it could not be read. An empty reason means it was read.
type SnapshotExtras struct {
	Subscriptions []Subscription
	// SubscriptionsMissing says why subscriptions could not be read (e.g. the app lacks
	// Organization.Read.All); renewal findings then say so.
	SubscriptionsMissing string
	// SignInsMissing says why signInActivity could not be read (the app lacks AuditLog.Read.All,
	// or the tenant has no Entra ID P1); inactivity findings then say so.
	SignInsMissing string
	// NestedGroups are the groups that are direct members of each licensed group, by its id.
	NestedGroups map[string][]GroupRef
}

// HealthData is what the license health checks read of the current snapshot besides users'
// licenses: sign-ins by user id, subscriptions, why either is missing, and since when each group
// still processing has been seen processing.
type HealthData struct {
	SnapshotInfo
	SignIns map[string]SignIn
	SnapshotExtras
	ProcessingSince map[string]time.Time
	// NewPlans are, by group and SKU of its template, the SKU's plans that appeared after the
	// template's disabled plans were set (switched on by default), for templates disabling any.
	NewPlans map[string]map[string][]string
	// DynamicGroups are the licensed groups with dynamic membership: their members cannot be
	// removed, only their rule changed.
	DynamicGroups map[string]bool
}

// Price is what one unit of a SKU costs a month, set by a LicenseAdmin.
type Price struct {
	SKUID       string
	AmountCents int64  // hundredths of the currency
	Currency    string // ISO 4217, upper case
	UpdatedAt   time.Time
	UpdatedBy   string
}
