// Package tenantsim is a simulated Microsoft 365 tenant: a deterministic directory, a
// group-based licensing engine, an audit log, the Microsoft Graph v1.0 HTTP API, a token
// endpoint and an OpenID Connect provider. It stands in for Microsoft in the demo, in every
// integration test and in the benchmarks, and imports nothing of the app.
package tenantsim

import (
	"encoding/json"
	"math/rand/v2"
	"sync"
	"time"
)

// Config sizes and seeds a generated tenant. The same Config always yields the same tenant.
type Config struct {
	Seed           int64
	Users          int // default 1500
	Groups         int // default 150, licensed groups included
	LicensedGroups int // default 40
	// ProcessingDelay is how long a group's license processing takes after its template changes
	// or a member joins: QueuedForProcessing for the first half, ProcessingInProgress for the
	// second, then ProcessingComplete. 0 completes at the next Tick.
	ProcessingDelay time.Duration
	// AuditDelay is how long a directory audit event takes to appear in GET
	// /auditLogs/directoryAudits after the change that wrote it: minutes in real Entra ID, a few
	// seconds in the demo, 0 (at once) in unit tests. The generated history is there at once.
	AuditDelay time.Duration
	// Now is the clock; nil means time.Now. Generated timestamps are relative to Now at creation.
	Now func() time.Time
	// EntraIDFree makes the tenant one without Entra ID P1 or P2, whatever its SKUs: Graph then
	// refuses signInActivity (403 Authentication_RequestFromNonPremiumTenantOrB2CTenant).
	EntraIDFree bool
}

// SKU is a subscribed SKU of the tenant.
type SKU struct {
	ID               string
	PartNumber       string
	DisplayName      string // friendly product name, for the simulator's own messages
	AppliesTo        string // "User"
	CapabilityStatus string // Enabled, Warning, Suspended, ...
	Prepaid          PrepaidUnits
	Plans            []ServicePlan
	// ConsumedUnits is how many users hold the SKU; the engine keeps it equal to the truth.
	ConsumedUnits int

	planSet map[string]bool // plan ids of Plans, for validation and rule checks
}

// PrepaidUnits is prepaidUnits of a SKU.
type PrepaidUnits struct {
	Enabled, Suspended, Warning, LockedOut int
}

// ServicePlan is one service plan of a SKU.
type ServicePlan struct {
	ID        string
	Name      string
	AppliesTo string // "User" or "Company"
}

// License is an assignedLicenses entry: a SKU with the plans switched off.
type License struct {
	SKUID         string
	DisabledPlans []string
}

// LicenseState is a licenseAssignmentStates entry.
type LicenseState struct {
	SKUID           string
	DisabledPlans   []string
	AssignedByGroup string // "" = direct
	State           string // Active, ActiveWithError, Disabled, Error (see stateActiveWithError)
	Error           string // "" when fine (null in JSON), else CountViolation, ..., Other
	LastUpdated     time.Time
}

// User is a directory user.
type User struct {
	ID                    string
	DisplayName           string
	GivenName             string
	Surname               string
	UserPrincipalName     string
	Mail                  string
	MailNickname          string
	ProxyAddresses        []string
	Department            string
	JobTitle              string
	CompanyName           string
	EmployeeID            string
	City                  string
	Country               string
	OfficeLocation        string
	MobilePhone           string
	BusinessPhones        []string
	PreferredLanguage     string
	UsageLocation         string // "" for some users
	UserType              string // Member or Guest
	AccountEnabled        bool
	OnPremisesSyncEnabled bool
	CreatedDateTime       time.Time

	// Address, contact and on-premises properties Graph returns when $selected.
	State                           string
	PostalCode                      string
	StreetAddress                   string
	EmployeeType                    string
	OtherMails                      []string
	OnPremisesSamAccountName        string
	OnPremisesUserPrincipalName     string
	OnPremisesDistinguishedName     string
	OnPremisesDomainName            string
	OnPremisesImmutableID           string
	OnPremisesLastSyncDateTime      time.Time
	OnPremisesSecurityIdentifier    string
	ExternalUserState               string // guests: PendingAcceptance or Accepted
	LastPasswordChangeDateTime      time.Time
	SignInSessionsValidFromDateTime time.Time
	PasswordPolicies                string // e.g. DisablePasswordExpiration; "" is null
	PreferredDataLocation           string

	// DirectLicenses is what assignLicense on the user set; the engine derives the rest.
	DirectLicenses []License
	// AssignedLicenses are the licenses really assigned (from any source, each SKU once).
	AssignedLicenses []License
	// LicenseStates has one entry per SKU per source (direct or each group).
	LicenseStates []LicenseState
	// SignIns is the user's signInActivity; nil when the user never signed in.
	SignIns *SignInActivity

	// role is the generator's population of the user (student, faculty, staff ...).
	role userRole
}

// Group is a directory group. Licenses is its license template.
type Group struct {
	ID                            string
	DisplayName                   string
	Description                   string
	Mail                          string
	MailNickname                  string
	MailEnabled                   bool
	SecurityEnabled               bool
	GroupTypes                    []string // "Unified", "DynamicMembership"
	MembershipRule                string
	MembershipRuleProcessingState string // "On" for dynamic groups
	CreatedDateTime               time.Time
	Licenses                      []License
	ProcessingState               string // QueuedForProcessing, ProcessingInProgress, ProcessingComplete
	// ProcessingDue is when queued license processing of this group completes.
	ProcessingDue time.Time
	// Members are direct member object ids: users, groups, devices and contacts.
	Members []string

	seq      int       // creation order: groups are evaluated for a user in this order
	queuedAt time.Time // when license processing was queued
	// leavers are users removed since the group was last processed: processing takes their
	// licenses from this group away.
	leavers []string
}

// Device is a directory device (only ever a group member here).
type Device struct {
	ID              string
	DisplayName     string
	OperatingSystem string
	DeviceID        string
	AccountEnabled  bool
}

// Contact is an organizational contact (only ever a group member here).
type Contact struct {
	ID          string
	DisplayName string
	Mail        string
	CompanyName string
}

// Object types of the directory, as Graph's @odata.type names them after "#microsoft.graph.".
const (
	TypeUser    = "user"
	TypeGroup   = "group"
	TypeDevice  = "device"
	TypeContact = "orgContact"
)

// AuditEvent is a directoryAudit, shaped as Graph returns it.
type AuditEvent struct {
	ID                  string          `json:"id"`
	Category            string          `json:"category"`
	CorrelationID       string          `json:"correlationId"`
	Result              string          `json:"result"` // success, failure, timeout
	ResultReason        string          `json:"resultReason"`
	ActivityDisplayName string          `json:"activityDisplayName"`
	ActivityDateTime    time.Time       `json:"activityDateTime"`
	LoggedByService     string          `json:"loggedByService"`
	OperationType       string          `json:"operationType"`
	InitiatedBy         AuditInitiator  `json:"initiatedBy"`
	TargetResources     []AuditTarget   `json:"targetResources"`
	AdditionalDetails   []AuditKeyValue `json:"additionalDetails"`

	// visibleAt is when the event appears in the audit log API (Config.AuditDelay after it was
	// written); zero means at once.
	visibleAt time.Time
}

// AuditInitiator is initiatedBy: a user or an app.
type AuditInitiator struct {
	User *AuditUser `json:"user"`
	App  *AuditApp  `json:"app"`
}

// AuditUser is initiatedBy.user.
type AuditUser struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	UserPrincipalName string `json:"userPrincipalName"`
	IPAddress         string `json:"ipAddress"`
}

// AuditApp is initiatedBy.app. Empty strings are null in JSON, as Graph writes them.
type AuditApp struct {
	AppID                string `json:"appId"`
	DisplayName          string `json:"displayName"`
	ServicePrincipalID   string `json:"servicePrincipalId"`
	ServicePrincipalName string `json:"servicePrincipalName"`
}

// MarshalJSON writes empty strings as null.
func (a AuditApp) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		AppID                *string `json:"appId"`
		DisplayName          *string `json:"displayName"`
		ServicePrincipalID   *string `json:"servicePrincipalId"`
		ServicePrincipalName *string `json:"servicePrincipalName"`
	}{orNull(a.AppID), orNull(a.DisplayName), orNull(a.ServicePrincipalID), orNull(a.ServicePrincipalName)})
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// AuditTarget is a targetResources entry. An empty displayName or userPrincipalName is null in
// JSON, as Graph writes them (a user target of "Change user license" has no displayName).
type AuditTarget struct {
	ID                 string                  `json:"id"`
	DisplayName        string                  `json:"displayName"`
	Type               string                  `json:"type"`
	UserPrincipalName  string                  `json:"userPrincipalName"`
	ModifiedProperties []AuditModifiedProperty `json:"modifiedProperties"`
}

// MarshalJSON writes empty names as null.
func (t AuditTarget) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID                 string                  `json:"id"`
		DisplayName        *string                 `json:"displayName"`
		Type               string                  `json:"type"`
		UserPrincipalName  *string                 `json:"userPrincipalName"`
		ModifiedProperties []AuditModifiedProperty `json:"modifiedProperties"`
	}{t.ID, orNull(t.DisplayName), t.Type, orNull(t.UserPrincipalName), t.ModifiedProperties})
}

// AuditModifiedProperty is a modifiedProperties entry.
type AuditModifiedProperty struct {
	DisplayName string `json:"displayName"`
	OldValue    string `json:"oldValue"`
	NewValue    string `json:"newValue"`
}

// AuditKeyValue is an additionalDetails entry.
type AuditKeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Actor is who makes a change through the API: the calling app, for audit events.
type Actor struct {
	AppID       string
	DisplayName string
	// ServicePrincipalID is the app's service principal in the tenant (its token's oid); ""
	// derives one from AppID.
	ServicePrincipalID string
}

// Error is a Graph error the engine returns; the HTTP layer renders it as Graph's error body.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// SSPRFlow is one self-service password reset attempt of a user, as its audit events tell it.
type SSPRFlow struct {
	CorrelationID string
	UserID        string
	IPAddress     string
	Started       time.Time
	Ended         time.Time
	Outcome       string // "contacted-admin", "failed", "succeeded", "abandoned"
}

// Scenarios names the seeded situations every generated tenant contains, for tests and demos.
type Scenarios struct {
	// A1Group assigns Office 365 A1 for students and A1 for faculty while faculty has no units
	// left: its members show CountViolation on faculty and Other on students.
	A1Group string
	// ConflictGroup's members hold a direct license whose plans conflict with its template.
	ConflictGroup string
	// DependencyGroup assigns a license whose prerequisite plan its members lack.
	DependencyGroup string
	// UsageLocationGroup has members whose usage location forbids a plan of its template.
	UsageLocationGroup string
	// UniquenessUser has a proxy address that another object also claims.
	UniquenessUser string
	// FacultySKU and StudentSKU are the two A1 SKU ids.
	FacultySKU, StudentSKU string
	// ActiveWithErrorGroup's members hold its Office 365 E3, ActiveWithError ("Other"), since
	// Visio Plan 2, which cannot be assigned (CountViolation), joined its template.
	ActiveWithErrorGroup string
	// DisabledGroup assigns Power Automate Free, whose subscription is suspended: its members'
	// assignments are Disabled.
	DisabledGroup string
	// HostileUsers have display names a spreadsheet would run or mangle (formulas, separators,
	// right-to-left and wide scripts, emoji); the license report must export them safely.
	HostileUsers []string
	// DirectAndGroupsUser holds A1 for students directly and from two groups ("" in tenants
	// too small to have two such groups).
	DirectAndGroupsUser string
}

// Tenant is the simulated directory and licensing state. All exported methods are safe for
// concurrent use. The HTTP layer in the same package reads the fields under mu.RLock after
// calling Tick; only engine methods write.
type Tenant struct {
	mu  sync.RWMutex
	cfg Config
	now func() time.Time

	ID            string
	DisplayName   string
	DefaultDomain string
	Scenarios     Scenarios

	skus      []*SKU
	skuByID   map[string]*SKU
	users     []*User // creation order
	userByID  map[string]*User
	groups    []*Group
	groupByID map[string]*Group
	devices   map[string]*Device
	contacts  map[string]*Contact
	// objectType maps every object id to TypeUser, TypeGroup, TypeDevice or TypeContact.
	objectType map[string]string
	// memberOf maps a member object id to the ids of groups it is a direct member of.
	memberOf map[string][]string

	audits []AuditEvent // oldest first
	// auditDelay is Config.AuditDelay, in force once generation is done.
	auditDelay time.Duration
	sspr       []SSPRFlow
	roles      []*DirectoryRole // activated directory roles

	rules rules
	// rng drives every id and choice made after generation, so the same operations on the same
	// seed give the same tenant.
	rng *rand.Rand
	// proxyOwners counts the objects claiming each proxy address (lower case, no prefix).
	proxyOwners map[string]int
	// pending are the ids of groups whose license processing is queued or running.
	pending []string
	scratch evalScratch
	country string // the tenant's country, the usage location users without one inherit
	// terms are each SKU's subscription dates, by SKU id (health_scenario.go).
	terms  map[string]subscriptionTerm
	vanity string // the verified custom domain, e.g. contoso.edu

	// changes is the change log delta queries read.
	changes changeLog
	// deletedUsers are the users deleted (soft-deleted: restorable in Entra ID for 30 days),
	// in the order they were deleted.
	deletedUsers []string
}
