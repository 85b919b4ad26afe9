package graph

import (
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// jsonUser is a user as Graph's JSON has it, with the properties userSelect asks for. A null
// leaves the zero value, as an absent property does.
type jsonUser struct {
	ID                    string        `json:"id"`
	DisplayName           string        `json:"displayName"`
	UserPrincipalName     string        `json:"userPrincipalName"`
	Mail                  string        `json:"mail"`
	GivenName             string        `json:"givenName"`
	Surname               string        `json:"surname"`
	Department            string        `json:"department"`
	JobTitle              string        `json:"jobTitle"`
	CompanyName           string        `json:"companyName"`
	EmployeeID            string        `json:"employeeId"`
	City                  string        `json:"city"`
	Country               string        `json:"country"`
	UsageLocation         string        `json:"usageLocation"`
	UserType              string        `json:"userType"`
	AccountEnabled        bool          `json:"accountEnabled"`
	OnPremisesSyncEnabled bool          `json:"onPremisesSyncEnabled"`
	CreatedDateTime       jsonTime      `json:"createdDateTime"`
	AssignedLicenses      []jsonLicense `json:"assignedLicenses"`
	LicenseStates         []jsonState   `json:"licenseAssignmentStates"`

	OfficeLocation               string   `json:"officeLocation"`
	State                        string   `json:"state"`
	PostalCode                   string   `json:"postalCode"`
	StreetAddress                string   `json:"streetAddress"`
	PreferredLanguage            string   `json:"preferredLanguage"`
	EmployeeType                 string   `json:"employeeType"`
	MobilePhone                  string   `json:"mobilePhone"`
	BusinessPhones               []string `json:"businessPhones"`
	OtherMails                   []string `json:"otherMails"`
	ProxyAddresses               []string `json:"proxyAddresses"`
	OnPremisesSamAccountName     string   `json:"onPremisesSamAccountName"`
	OnPremisesUserPrincipalName  string   `json:"onPremisesUserPrincipalName"`
	OnPremisesDistinguishedName  string   `json:"onPremisesDistinguishedName"`
	OnPremisesDomainName         string   `json:"onPremisesDomainName"`
	OnPremisesImmutableID        string   `json:"onPremisesImmutableId"`
	OnPremisesLastSyncDateTime   jsonTime `json:"onPremisesLastSyncDateTime"`
	OnPremisesSecurityIdentifier string   `json:"onPremisesSecurityIdentifier"`
	ExternalUserState            string   `json:"externalUserState"`
	LastPasswordChangeDateTime   jsonTime `json:"lastPasswordChangeDateTime"`
	SignInSessionsValidFrom      jsonTime `json:"signInSessionsValidFromDateTime"`
	PasswordPolicies             string   `json:"passwordPolicies"`
	PreferredDataLocation        string   `json:"preferredDataLocation"`

	// SignInActivity is read only by UsersWithSignIns and UsersWithSignInsByID; other reads do not
	// select it.
	SignInActivity *jsonSignInActivity `json:"signInActivity"`

	// Removed is set on a delta entry for a user that was deleted or left the round's scope.
	Removed *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
}

type jsonLicense struct {
	SKUID         string   `json:"skuId"`
	DisabledPlans []string `json:"disabledPlans"`
}

type jsonState struct {
	SKUID           string   `json:"skuId"`
	DisabledPlans   []string `json:"disabledPlans"`
	AssignedByGroup string   `json:"assignedByGroup"`
	State           string   `json:"state"`
	Error           string   `json:"error"`
	LastUpdated     jsonTime `json:"lastUpdatedDateTime"`
}

// jsonTime is a Graph DateTimeOffset; anything that does not parse is the zero time, as the
// SDK leaves an unparsable value nil.
type jsonTime time.Time

func (t *jsonTime) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' {
		return nil // null, or not a string
	}
	v, err := time.Parse(time.RFC3339Nano, string(b[1:len(b)-1]))
	if err == nil {
		*t = jsonTime(v.UTC())
	}
	return nil
}

func (t jsonTime) time() time.Time { return time.Time(t) }

// model is the user as tenantdesk keeps it: ids lower-cased, license errors normalised.
func (u *jsonUser) model() model.User {
	out := model.User{
		ID: u.ID, DisplayName: u.DisplayName, UserPrincipalName: u.UserPrincipalName, Mail: u.Mail,
		GivenName: u.GivenName, Surname: u.Surname, Department: u.Department, JobTitle: u.JobTitle,
		CompanyName: u.CompanyName, EmployeeID: u.EmployeeID, City: u.City, Country: u.Country,
		UsageLocation: u.UsageLocation, UserType: u.UserType, AccountEnabled: u.AccountEnabled,
		OnPremisesSyncEnabled: u.OnPremisesSyncEnabled, CreatedAt: u.CreatedDateTime.time(),

		OfficeLocation: u.OfficeLocation, State: u.State, PostalCode: u.PostalCode, StreetAddress: u.StreetAddress,
		PreferredLanguage: u.PreferredLanguage, EmployeeType: u.EmployeeType, MobilePhone: u.MobilePhone,
		BusinessPhones: u.BusinessPhones, OtherMails: u.OtherMails, ProxyAddresses: u.ProxyAddresses,
		OnPremisesSamAccountName: u.OnPremisesSamAccountName, OnPremisesUserPrincipalName: u.OnPremisesUserPrincipalName,
		OnPremisesDistinguishedName: u.OnPremisesDistinguishedName, OnPremisesDomainName: u.OnPremisesDomainName,
		OnPremisesImmutableID: u.OnPremisesImmutableID, OnPremisesLastSyncAt: u.OnPremisesLastSyncDateTime.time(),
		OnPremisesSecurityIdentifier: u.OnPremisesSecurityIdentifier, ExternalUserState: u.ExternalUserState,
		LastPasswordChangeAt: u.LastPasswordChangeDateTime.time(), SignInSessionsValidFrom: u.SignInSessionsValidFrom.time(),
		PasswordPolicies: u.PasswordPolicies, PreferredDataLocation: u.PreferredDataLocation,
	}
	for _, l := range u.AssignedLicenses {
		out.AssignedLicenses = append(out.AssignedLicenses, model.AssignedLicense{SKUID: model.NormalizeID(l.SKUID), DisabledPlans: normalizeIDs(l.DisabledPlans)})
	}
	for _, s := range u.LicenseStates {
		out.LicenseStates = append(out.LicenseStates, model.LicenseState{
			SKUID: model.NormalizeID(s.SKUID), DisabledPlans: normalizeIDs(s.DisabledPlans),
			AssignedByGroup: s.AssignedByGroup, State: s.State,
			Error: model.NormalizeLicenseError(s.Error), LastUpdated: s.LastUpdated.time(),
		})
	}
	return out
}

func normalizeIDs(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = model.NormalizeID(s)
	}
	return out
}

// jsonUsers are the users of a page, as tenantdesk keeps them.
func jsonUsers(page []jsonUser) []model.User { return present(page, (*jsonUser).model) }

// jsonSignIns are the sign-in activity of a page of users.
func jsonSignIns(page []jsonUser) []model.SignIn { return present(page, (*jsonUser).signIn) }

// present is what of the page's users fn makes, leaving out entries without id and users a
// delta reports removed.
func present[T any](page []jsonUser, fn func(*jsonUser) T) []T {
	out := make([]T, 0, len(page))
	for i := range page {
		if page[i].ID != "" && page[i].Removed == nil {
			out = append(out, fn(&page[i]))
		}
	}
	return out
}
