// Package model holds the plain domain types that graph, store, snapshot, licensing, assign and
// server share, and the domain errors (errors.go) every layer matches with errors.Is and As. It does no I/O and imports nothing of the app, so every layer can depend on it.
package model

import (
	"strings"
	"time"
)

// SKU is a subscribed product of the tenant (GET /subscribedSkus).
type SKU struct {
	ID               string // skuId (GUID)
	PartNumber       string // skuPartNumber, e.g. "STANDARDWOFFPACK_STUDENT"
	AppliesTo        string // "User" or "Company"
	CapabilityStatus string // Enabled, Warning, Suspended, Deleted, LockedOut
	ConsumedUnits    int
	Prepaid          PrepaidUnits
	ServicePlans     []ServicePlan
}

// PrepaidUnits is prepaidUnits of a subscribed SKU.
type PrepaidUnits struct {
	Enabled   int
	Suspended int
	Warning   int
	LockedOut int
}

// Available is how many more users this SKU can be assigned to. It is never negative.
func (s SKU) Available() int {
	if n := s.Prepaid.Enabled - s.ConsumedUnits; n > 0 {
		return n
	}
	return 0
}

// ServicePlan is one service plan of a SKU.
type ServicePlan struct {
	ID                 string // servicePlanId (GUID)
	Name               string // servicePlanName, e.g. "TEAMS1"
	ProvisioningStatus string
	AppliesTo          string
}

// AssignedLicense is one license of a user or of a group's template.
type AssignedLicense struct {
	SKUID         string
	DisabledPlans []string // service plan GUIDs
}

// License states as Graph spells them.
const (
	StateActive          = "Active"
	StateActiveWithError = "ActiveWithError"
	StateDisabled        = "Disabled"
	StateError           = "Error"
)

// LicenseError is a license assignment error as Graph spells it, normalised once where Graph's
// answer is read (internal/graph): everything past that compares these constants.
type LicenseError string

// License assignment errors. ErrorNone is the normalised "no error".
const (
	ErrorNone              LicenseError = ""
	ErrorCountViolation    LicenseError = "CountViolation"
	ErrorMutuallyExclusive LicenseError = "MutuallyExclusiveViolation"
	ErrorDependency        LicenseError = "DependencyViolation"
	ErrorUsageLocation     LicenseError = "ProhibitedInUsageLocationViolation"
	ErrorUniqueness        LicenseError = "UniquenessViolation"
	ErrorOther             LicenseError = "Other"
)

// NormalizeLicenseError maps Graph's spellings of a license error to ours: null, "" and "None"
// mean no error, and the docs' old "Others" is "Other". Unknown codes are kept as they are.
func NormalizeLicenseError(s string) LicenseError {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "none", "null":
		return ErrorNone
	case "other", "others":
		return ErrorOther
	}
	return LicenseError(s)
}

// LicenseState is one entry of a user's licenseAssignmentStates.
type LicenseState struct {
	SKUID           string
	DisabledPlans   []string
	AssignedByGroup string // group object id; "" means assigned directly
	State           string // StateActive, ...
	Error           LicenseError
	LastUpdated     time.Time
}

// Direct reports whether the license was assigned to the user directly rather than by a group.
func (s LicenseState) Direct() bool { return s.AssignedByGroup == "" }

// InError reports whether this assignment carries an error.
func (s LicenseState) InError() bool { return s.Error != ErrorNone }

// User is a directory user with the attributes reports need: every single-value property the
// license report offers as a column comes with the one read of all users, so adding a column
// never costs a Graph call.
type User struct {
	ID                    string
	DisplayName           string
	UserPrincipalName     string
	Mail                  string
	GivenName             string
	Surname               string
	Department            string
	JobTitle              string
	CompanyName           string
	EmployeeID            string
	City                  string
	Country               string
	UsageLocation         string
	UserType              string // Member or Guest
	AccountEnabled        bool
	OnPremisesSyncEnabled bool
	CreatedAt             time.Time
	AssignedLicenses      []AssignedLicense
	LicenseStates         []LicenseState

	// More properties for the license report (Graph's names in the comments).
	OfficeLocation               string    // officeLocation
	State                        string    // state (of the address)
	PostalCode                   string    // postalCode
	StreetAddress                string    // streetAddress
	PreferredLanguage            string    // preferredLanguage
	EmployeeType                 string    // employeeType
	MobilePhone                  string    // mobilePhone
	BusinessPhones               []string  // businessPhones
	OtherMails                   []string  // otherMails
	ProxyAddresses               []string  // proxyAddresses
	OnPremisesSamAccountName     string    // onPremisesSamAccountName
	OnPremisesUserPrincipalName  string    // onPremisesUserPrincipalName
	OnPremisesDistinguishedName  string    // onPremisesDistinguishedName
	OnPremisesDomainName         string    // onPremisesDomainName
	OnPremisesImmutableID        string    // onPremisesImmutableId
	OnPremisesLastSyncAt         time.Time // onPremisesLastSyncDateTime
	OnPremisesSecurityIdentifier string    // onPremisesSecurityIdentifier
	ExternalUserState            string    // externalUserState
	LastPasswordChangeAt         time.Time // lastPasswordChangeDateTime
	SignInSessionsValidFrom      time.Time // signInSessionsValidFromDateTime
	PasswordPolicies             string    // passwordPolicies
	PreferredDataLocation        string    // preferredDataLocation
}

// HasLicenseErrors reports whether any license assignment of the user is in error.
func (u User) HasLicenseErrors() bool {
	for _, s := range u.LicenseStates {
		if s.InError() {
			return true
		}
	}
	return false
}

// Group processing states (licenseProcessingState.state).
const (
	ProcessingQueued     = "QueuedForProcessing"
	ProcessingInProgress = "ProcessingInProgress"
	ProcessingComplete   = "ProcessingComplete"
)

// Group is a directory group; for licensed groups AssignedLicenses is its license template.
type Group struct {
	ID               string
	DisplayName      string
	Description      string
	Mail             string
	GroupTypes       []string // "Unified" for Microsoft 365 groups, "DynamicMembership" for dynamic ones
	SecurityEnabled  bool
	MailEnabled      bool
	MembershipRule   string // dynamic groups only
	AssignedLicenses []AssignedLicense
	ProcessingState  string
	CreatedAt        time.Time
}

// Kind is a human word for the group's type: "Microsoft 365", "Security", "Distribution" or
// "Mail-enabled security"; dynamic membership is reported by Dynamic.
func (g Group) Kind() string {
	for _, t := range g.GroupTypes {
		if strings.EqualFold(t, "Unified") {
			return "Microsoft 365"
		}
	}
	switch {
	case g.SecurityEnabled && g.MailEnabled:
		return "Mail-enabled security"
	case g.SecurityEnabled:
		return "Security"
	case g.MailEnabled:
		return "Distribution"
	}
	return "Other"
}

// Dynamic reports whether the group's membership is computed from its membership rule.
func (g Group) Dynamic() bool {
	for _, t := range g.GroupTypes {
		if strings.EqualFold(t, "DynamicMembership") {
			return true
		}
	}
	return false
}

// MemberCounts are a group's direct member counts by object type.
type MemberCounts struct {
	All   int // every direct member: users, groups, devices, contacts
	Users int
	// UsersFromStates says Users was not counted by Graph: once a group is processed, its user
	// members are exactly the users whose license states name it, which the store counts.
	UsersFromStates bool
	// KeepNonUsers says neither was counted by Graph (an incremental refresh of a processed
	// group whose membership changed only in users): the snapshot keeps the group's non-user
	// members and counts its users from license states.
	KeepNonUsers bool
}

// Directory object types of group members.
const (
	ObjectUser    = "user"
	ObjectGroup   = "group"
	ObjectDevice  = "device"
	ObjectContact = "orgContact"
)

// DirectoryObject is a member of a group.
type DirectoryObject struct {
	ID                string
	Type              string // ObjectUser, ...
	DisplayName       string
	UserPrincipalName string // users only
	Mail              string // users only
}

// DirectoryRole is an activated Entra directory (administrator) role with its direct members.
type DirectoryRole struct {
	ID          string
	DisplayName string
	TemplateID  string // roleTemplateId: the same in every tenant, e.g. Global Administrator's
	Members     []DirectoryObject
}

// AuditEvent is one entry of /auditLogs/directoryAudits.
type AuditEvent struct {
	ID                string
	Category          string
	CorrelationID     string
	Result            string // success, failure, timeout
	ResultReason      string
	Activity          string // activityDisplayName
	At                time.Time
	LoggedByService   string
	OperationType     string
	InitiatedByUser   *AuditUser
	InitiatedByApp    *AuditApp
	Targets           []AuditTarget
	AdditionalDetails []KeyValue
}

// AuditUser is initiatedBy.user of an audit event.
type AuditUser struct {
	ID, DisplayName, UserPrincipalName, IPAddress string
}

// AuditApp is initiatedBy.app of an audit event.
type AuditApp struct {
	AppID, DisplayName, ServicePrincipalID, ServicePrincipalName string
}

// AuditTarget is one of an audit event's targetResources.
type AuditTarget struct {
	ID, DisplayName, Type, UserPrincipalName string
	ModifiedProperties                       []ModifiedProperty
}

// ModifiedProperty is a changed property of an audit target.
type ModifiedProperty struct {
	DisplayName, OldValue, NewValue string
}

// KeyValue is one of an audit event's additionalDetails.
type KeyValue struct {
	Key, Value string
}

// Detail returns the value of the additional detail with this key, and whether it was there.
func (e AuditEvent) Detail(key string) (string, bool) {
	for _, kv := range e.AdditionalDetails {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}
