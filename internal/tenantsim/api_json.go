package tenantsim

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim/odata"
)

// Directory objects are written with a hand-rolled encoder: a page of 999 users with $select is
// the simulator's hottest path, and property order and null handling must follow Graph.

// rawJSON is a value that is already JSON.
type rawJSON []byte

// prop is one property of a resource as Graph returns it. A prop without val is accepted in
// $select but never returned (hasMembersWithLicenseErrors: filter-only, as Graph has it).
type prop[T any] struct {
	name string
	def  bool // in the default property set (no $select)
	val  func(*T) any
}

// propSet is the properties of one resource type.
type propSet[T any] struct {
	typeName string // "microsoft.graph.user"
	props    []prop[T]
	byLower  map[string]int
	defaults []int
}

func newPropSet[T any](typeName string, props []prop[T]) *propSet[T] {
	ps := &propSet[T]{typeName: typeName, props: props, byLower: map[string]int{}}
	for i, p := range props {
		ps.byLower[strings.ToLower(p.name)] = i
		if p.def {
			ps.defaults = append(ps.defaults, i)
		}
	}
	return ps
}

// selection resolves $select (nil = defaults); names match case-insensitively, as in Graph.
func (ps *propSet[T]) selection(sel []string) ([]int, error) {
	if sel == nil {
		return ps.defaults, nil
	}
	out := make([]int, 0, len(sel))
	seen := map[int]bool{}
	for _, s := range sel {
		i, ok := ps.byLower[strings.ToLower(s)]
		if !ok {
			return nil, errf(400, "BadRequest", "Parsing OData Select and Expand failed: Could not find a property named '%s' on type '%s'.", s, ps.typeName)
		}
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out, nil
}

// lenientSelection is selection for mixed collections (members): names this type lacks are
// skipped.
func (ps *propSet[T]) lenientSelection(sel []string) []int {
	if sel == nil {
		return ps.defaults
	}
	var out []int
	for _, s := range sel {
		if i, ok := ps.byLower[strings.ToLower(s)]; ok {
			out = append(out, i)
		}
	}
	return out
}

func (ps *propSet[T]) has(name string) bool {
	_, ok := ps.byLower[strings.ToLower(name)]
	return ok
}

// appendObject writes obj with the selected properties, led by @odata.type when withType.
func (ps *propSet[T]) appendObject(b []byte, obj *T, idx []int, withType bool) []byte {
	b = append(b, '{')
	first := true
	if withType {
		b = append(b, `"@odata.type":"#`...)
		b = append(b, ps.typeName...)
		b = append(b, '"')
		first = false
	}
	for _, i := range idx {
		p := &ps.props[i]
		if p.val == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, p.name)
		b = append(b, ':')
		b = appendValue(b, p.val(obj))
	}
	return append(b, '}')
}

// jsonTime is how Graph writes DateTimeOffset values: UTC, second precision, Z.
func jsonTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case time.Time:
		if x.IsZero() {
			return append(b, "null"...)
		}
		return appendString(b, jsonTime(x))
	case []string:
		return appendArray(b, x, appendString)
	case rawJSON:
		return append(b, x...)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

// appendString writes s as a JSON string, escaping as encoding/json does.
func appendString(b []byte, s string) []byte {
	simple := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			simple = false
			break
		}
	}
	if simple {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	j, _ := json.Marshal(s)
	return append(b, j...)
}

// nz is a string property Graph returns as null when empty.
func nz(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// appendJoined writes items comma-separated, each by appendItem.
func appendJoined[E any](b []byte, items []E, appendItem func([]byte, E) []byte) []byte {
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendItem(b, it)
	}
	return b
}

// appendArray writes items as a JSON array, each by appendItem.
func appendArray[E any](b []byte, items []E, appendItem func([]byte, E) []byte) []byte {
	b = append(b, '[')
	return append(appendJoined(b, items, appendItem), ']')
}

func appendLicenses(b []byte, ls []License) []byte {
	return appendArray(b, ls, func(b []byte, l License) []byte {
		b = append(b, `{"disabledPlans":`...)
		b = appendValue(b, strs(l.DisabledPlans))
		b = append(b, `,"skuId":`...)
		b = appendString(b, strings.ToLower(l.SKUID))
		return append(b, '}')
	})
}

func appendStates(b []byte, ss []LicenseState) []byte {
	return appendArray(b, ss, func(b []byte, s LicenseState) []byte {
		b = append(b, `{"assignedByGroup":`...)
		b = appendValue(b, nz(strings.ToLower(s.AssignedByGroup)))
		b = append(b, `,"disabledPlans":`...)
		b = appendValue(b, strs(s.DisabledPlans))
		b = append(b, `,"error":`...)
		b = appendValue(b, nz(s.Error)) // null when fine, as Graph documents it
		b = append(b, `,"lastUpdatedDateTime":`...)
		b = appendValue(b, s.LastUpdated)
		b = append(b, `,"skuId":`...)
		b = appendString(b, strings.ToLower(s.SKUID))
		b = append(b, `,"state":`...)
		b = appendString(b, s.State)
		return append(b, '}')
	})
}

var userProps = newPropSet("microsoft.graph.user", []prop[User]{
	{"businessPhones", true, func(u *User) any { return strs(u.BusinessPhones) }},
	{"displayName", true, func(u *User) any { return nz(u.DisplayName) }},
	{"givenName", true, func(u *User) any { return nz(u.GivenName) }},
	{"jobTitle", true, func(u *User) any { return nz(u.JobTitle) }},
	{"mail", true, func(u *User) any { return nz(u.Mail) }},
	{"mobilePhone", true, func(u *User) any { return nz(u.MobilePhone) }},
	{"officeLocation", true, func(u *User) any { return nz(u.OfficeLocation) }},
	{"preferredLanguage", true, func(u *User) any { return nz(u.PreferredLanguage) }},
	{"surname", true, func(u *User) any { return nz(u.Surname) }},
	{"userPrincipalName", true, func(u *User) any { return u.UserPrincipalName }},
	{"id", true, func(u *User) any { return u.ID }},
	{"accountEnabled", false, func(u *User) any { return u.AccountEnabled }},
	{"assignedLicenses", false, func(u *User) any { return rawJSON(appendLicenses(nil, u.AssignedLicenses)) }},
	{"licenseAssignmentStates", false, func(u *User) any { return rawJSON(appendStates(nil, u.LicenseStates)) }},
	{"city", false, func(u *User) any { return nz(u.City) }},
	{"companyName", false, func(u *User) any { return nz(u.CompanyName) }},
	{"country", false, func(u *User) any { return nz(u.Country) }},
	{"createdDateTime", false, func(u *User) any { return u.CreatedDateTime }},
	{"department", false, func(u *User) any { return nz(u.Department) }},
	{"employeeId", false, func(u *User) any { return nz(u.EmployeeID) }},
	{"mailNickname", false, func(u *User) any { return nz(u.MailNickname) }},
	{"onPremisesSyncEnabled", false, func(u *User) any {
		if u.OnPremisesSyncEnabled {
			return true
		}
		return nil // cloud-only users: null, as Graph returns it
	}},
	{"proxyAddresses", false, func(u *User) any { return strs(u.ProxyAddresses) }},
	{"usageLocation", false, func(u *User) any { return nz(u.UsageLocation) }},
	{"userType", false, func(u *User) any { return nz(u.UserType) }},
	{"deletedDateTime", false, func(u *User) any { return nil }},
	{"state", false, func(u *User) any { return nz(u.State) }},
	{"postalCode", false, func(u *User) any { return nz(u.PostalCode) }},
	{"streetAddress", false, func(u *User) any { return nz(u.StreetAddress) }},
	{"employeeType", false, func(u *User) any { return nz(u.EmployeeType) }},
	{"otherMails", false, func(u *User) any { return strs(u.OtherMails) }},
	{"onPremisesSamAccountName", false, func(u *User) any { return nz(u.OnPremisesSamAccountName) }},
	{"onPremisesUserPrincipalName", false, func(u *User) any { return nz(u.OnPremisesUserPrincipalName) }},
	{"onPremisesDistinguishedName", false, func(u *User) any { return nz(u.OnPremisesDistinguishedName) }},
	{"onPremisesDomainName", false, func(u *User) any { return nz(u.OnPremisesDomainName) }},
	{"onPremisesImmutableId", false, func(u *User) any { return nz(u.OnPremisesImmutableID) }},
	{"onPremisesLastSyncDateTime", false, func(u *User) any { return u.OnPremisesLastSyncDateTime }},
	{"onPremisesSecurityIdentifier", false, func(u *User) any { return nz(u.OnPremisesSecurityIdentifier) }},
	{"externalUserState", false, func(u *User) any { return nz(u.ExternalUserState) }},
	{"lastPasswordChangeDateTime", false, func(u *User) any { return u.LastPasswordChangeDateTime }},
	{"signInSessionsValidFromDateTime", false, func(u *User) any { return u.SignInSessionsValidFromDateTime }},
	{"passwordPolicies", false, func(u *User) any { return nz(u.PasswordPolicies) }},
	{"preferredDataLocation", false, func(u *User) any { return nz(u.PreferredDataLocation) }},
	{"signInActivity", false, func(u *User) any { return signInJSON(u.SignIns) }},
})

// signInJSON is signInActivity as Graph writes it: null for a user who never signed in, null
// dates (and request ids) for what is not known.
func signInJSON(s *SignInActivity) any {
	if s == nil {
		return nil
	}
	b := []byte(`{"lastSignInDateTime":`)
	at := func(t time.Time) {
		if t.IsZero() {
			b = append(b, "null"...)
		} else {
			b = appendString(b, jsonTime(t))
		}
	}
	id := func(t time.Time, salt string) {
		if t.IsZero() {
			b = append(b, "null"...)
		} else {
			b = appendString(b, stableGUID("signin:"+salt, jsonTime(t)))
		}
	}
	at(s.LastSignIn)
	b = append(b, `,"lastSignInRequestId":`...)
	id(s.LastSignIn, "interactive")
	b = append(b, `,"lastNonInteractiveSignInDateTime":`...)
	at(s.LastNonInteractive)
	b = append(b, `,"lastNonInteractiveSignInRequestId":`...)
	id(s.LastNonInteractive, "noninteractive")
	b = append(b, `,"lastSuccessfulSignInDateTime":`...)
	at(s.LastSuccessful)
	b = append(b, `,"lastSuccessfulSignInRequestId":`...)
	id(s.LastSuccessful, "successful")
	return rawJSON(append(b, '}'))
}

// securityIdentifier derives a group's SID from its object id, as Entra does for cloud groups
// (S-1-12-1 followed by the GUID's bytes as four little-endian uint32s).
func securityIdentifier(id string) string {
	h := strings.ReplaceAll(id, "-", "")
	if len(h) != 32 {
		return ""
	}
	var raw [16]byte
	for i := 0; i < 16; i++ {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return ""
		}
		raw[i] = byte(v)
	}
	// GUID text is Data1 (LE uint32), Data2, Data3 (LE uint16) then 8 bytes in order.
	var le [16]byte
	le[0], le[1], le[2], le[3] = raw[3], raw[2], raw[1], raw[0]
	le[4], le[5] = raw[5], raw[4]
	le[6], le[7] = raw[7], raw[6]
	copy(le[8:], raw[8:])
	parts := make([]string, 4)
	for i := 0; i < 4; i++ {
		parts[i] = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(le[4*i:])), 10)
	}
	return "S-1-12-1-" + strings.Join(parts, "-")
}

func groupVisibility(g *Group) any {
	for _, t := range g.GroupTypes {
		if strings.EqualFold(t, "Unified") {
			return "Private"
		}
	}
	return nil
}

// smtpProxies is the proxyAddresses of a mail-enabled group or contact: its primary address.
func smtpProxies(mail string) []string {
	if mail == "" {
		return []string{}
	}
	return []string{"SMTP:" + mail}
}

var groupProps = newPropSet("microsoft.graph.group", []prop[Group]{
	{"id", true, func(g *Group) any { return g.ID }},
	{"deletedDateTime", true, func(g *Group) any { return nil }},
	{"classification", true, func(g *Group) any { return nil }},
	{"createdDateTime", true, func(g *Group) any { return g.CreatedDateTime }},
	{"creationOptions", true, func(g *Group) any { return []string{} }},
	{"description", true, func(g *Group) any { return nz(g.Description) }},
	{"displayName", true, func(g *Group) any { return nz(g.DisplayName) }},
	{"expirationDateTime", true, func(g *Group) any { return nil }},
	{"groupTypes", true, func(g *Group) any { return strs(g.GroupTypes) }},
	{"isAssignableToRole", true, func(g *Group) any { return nil }},
	{"mail", true, func(g *Group) any { return nz(g.Mail) }},
	{"mailEnabled", true, func(g *Group) any { return g.MailEnabled }},
	{"mailNickname", true, func(g *Group) any { return nz(g.MailNickname) }},
	{"membershipRule", true, func(g *Group) any { return nz(g.MembershipRule) }},
	{"membershipRuleProcessingState", true, func(g *Group) any { return nz(g.MembershipRuleProcessingState) }},
	{"onPremisesDomainName", true, func(g *Group) any { return nil }},
	{"onPremisesLastSyncDateTime", true, func(g *Group) any { return nil }},
	{"onPremisesNetBiosName", true, func(g *Group) any { return nil }},
	{"onPremisesSamAccountName", true, func(g *Group) any { return nil }},
	{"onPremisesSecurityIdentifier", true, func(g *Group) any { return nil }},
	{"onPremisesSyncEnabled", true, func(g *Group) any { return nil }},
	{"preferredDataLocation", true, func(g *Group) any { return nil }},
	{"preferredLanguage", true, func(g *Group) any { return nil }},
	{"proxyAddresses", true, func(g *Group) any { return smtpProxies(g.Mail) }},
	{"renewedDateTime", true, func(g *Group) any { return g.CreatedDateTime }},
	{"resourceBehaviorOptions", true, func(g *Group) any { return []string{} }},
	{"resourceProvisioningOptions", true, func(g *Group) any { return []string{} }},
	{"securityEnabled", true, func(g *Group) any { return g.SecurityEnabled }},
	{"securityIdentifier", true, func(g *Group) any { return nz(securityIdentifier(g.ID)) }},
	{"theme", true, func(g *Group) any { return nil }},
	{"visibility", true, func(g *Group) any { return groupVisibility(g) }},
	{"onPremisesProvisioningErrors", true, func(g *Group) any { return rawJSON("[]") }},
	{"serviceProvisioningErrors", true, func(g *Group) any { return rawJSON("[]") }},
	{"assignedLicenses", false, func(g *Group) any { return rawJSON(appendLicenses(nil, g.Licenses)) }},
	{"hasMembersWithLicenseErrors", false, nil},
	{"licenseProcessingState", false, func(g *Group) any {
		if g.ProcessingState == "" {
			return nil
		}
		return rawJSON(append(appendString([]byte(`{"state":`), g.ProcessingState), '}'))
	}},
})

var deviceProps = newPropSet("microsoft.graph.device", []prop[Device]{
	{"id", true, func(d *Device) any { return d.ID }},
	{"accountEnabled", true, func(d *Device) any { return d.AccountEnabled }},
	{"deviceId", true, func(d *Device) any { return nz(d.DeviceID) }},
	{"displayName", true, func(d *Device) any { return nz(d.DisplayName) }},
	{"operatingSystem", true, func(d *Device) any { return nz(d.OperatingSystem) }},
})

var contactProps = newPropSet("microsoft.graph.orgContact", []prop[Contact]{
	{"id", true, func(c *Contact) any { return c.ID }},
	{"companyName", true, func(c *Contact) any { return nz(c.CompanyName) }},
	{"displayName", true, func(c *Contact) any { return nz(c.DisplayName) }},
	{"mail", true, func(c *Contact) any { return nz(c.Mail) }},
	{"proxyAddresses", true, func(c *Contact) any { return smtpProxies(c.Mail) }},
})

// assignedLicensesFilter is assignedLicenses/any(l: l/skuId eq ...) with $count, on users and
// groups; a fresh value for each schema, as NewSchema canonicalises its props in place.
func assignedLicensesFilter() *odata.Prop {
	return &odata.Prop{Kind: odata.KCollection, Lambda: "any", CountOps: "eq ne gt ge lt le",
		Elem: &odata.Prop{Kind: odata.KObject, Props: map[string]*odata.Prop{"skuId": {Kind: odata.KGUID, Ops: "eq"}}}}
}

// Filter schemas: the properties and operators Graph supports on these resources, restricted
// to what the simulator can answer truthfully.
var (
	userSchema = odata.NewSchema("microsoft.graph.user", "User", map[string]*odata.Prop{
		"id":                    {Kind: odata.KString, Ops: "eq ne in"},
		"displayName":           {Kind: odata.KString, Ops: "eq ne ge le startswith endswith in"},
		"userPrincipalName":     {Kind: odata.KString, Ops: "eq ne startswith endswith in"},
		"mail":                  {Kind: odata.KString, Ops: "eq ne startswith endswith in"},
		"mailNickname":          {Kind: odata.KString, Ops: "eq ne startswith in"},
		"givenName":             {Kind: odata.KString, Ops: "eq ne startswith in"},
		"surname":               {Kind: odata.KString, Ops: "eq ne startswith in"},
		"department":            {Kind: odata.KString, Ops: "eq ne startswith in"},
		"jobTitle":              {Kind: odata.KString, Ops: "eq ne startswith in"},
		"companyName":           {Kind: odata.KString, Ops: "eq ne startswith in"},
		"city":                  {Kind: odata.KString, Ops: "eq ne startswith in"},
		"country":               {Kind: odata.KString, Ops: "eq ne startswith in"},
		"employeeId":            {Kind: odata.KString, Ops: "eq ne startswith in"},
		"usageLocation":         {Kind: odata.KString, Ops: "eq ne in"},
		"userType":              {Kind: odata.KString, Ops: "eq ne in"},
		"accountEnabled":        {Kind: odata.KBool, Ops: "eq ne"},
		"onPremisesSyncEnabled": {Kind: odata.KBool, Ops: "eq ne"},
		"createdDateTime":       {Kind: odata.KDateTime, Ops: "eq ne ge le gt lt"},
		"assignedLicenses":      assignedLicensesFilter(),
		"proxyAddresses": {Kind: odata.KCollection, Lambda: "any", CountOps: "eq ne gt ge lt le",
			Elem: &odata.Prop{Kind: odata.KString, Ops: "eq startswith"}},
	})

	groupSchema = odata.NewSchema("microsoft.graph.group", "Group", map[string]*odata.Prop{
		"id":                            {Kind: odata.KString, Ops: "eq ne in"},
		"displayName":                   {Kind: odata.KString, Ops: "eq ne ge le startswith endswith in"},
		"description":                   {Kind: odata.KString, Ops: "eq ne startswith"},
		"mail":                          {Kind: odata.KString, Ops: "eq ne startswith endswith in"},
		"mailNickname":                  {Kind: odata.KString, Ops: "eq ne startswith in"},
		"mailEnabled":                   {Kind: odata.KBool, Ops: "eq ne"},
		"securityEnabled":               {Kind: odata.KBool, Ops: "eq ne"},
		"membershipRuleProcessingState": {Kind: odata.KString, Ops: "eq ne"},
		"createdDateTime":               {Kind: odata.KDateTime, Ops: "eq ne ge le gt lt"},
		"hasMembersWithLicenseErrors":   {Kind: odata.KBool, Ops: "eq"},
		"assignedLicenses":              assignedLicensesFilter(),
		"groupTypes":                    {Kind: odata.KCollection, Lambda: "any", Elem: &odata.Prop{Kind: odata.KString, Ops: "eq"}},
	})

	auditSchema = odata.NewSchema("microsoft.graph.directoryAudit", "DirectoryAudit", map[string]*odata.Prop{
		"id":                  {Kind: odata.KString, Ops: "eq"},
		"activityDisplayName": {Kind: odata.KString, Ops: "eq startswith"},
		"activityDateTime":    {Kind: odata.KDateTime, Ops: "eq ge le gt lt"},
		"loggedByService":     {Kind: odata.KString, Ops: "eq"},
		"correlationId":       {Kind: odata.KString, Ops: "eq"},
		"category":            {Kind: odata.KString, Ops: "eq"},
		"result":              {Kind: odata.KString, Ops: "eq"},
		"initiatedBy": {Kind: odata.KObject, Props: map[string]*odata.Prop{
			"user": {Kind: odata.KObject, Props: map[string]*odata.Prop{
				"id":                {Kind: odata.KString, Ops: "eq"},
				"displayName":       {Kind: odata.KString, Ops: "eq"},
				"userPrincipalName": {Kind: odata.KString, Ops: "eq startswith"},
			}},
			"app": {Kind: odata.KObject, Props: map[string]*odata.Prop{
				"appId":       {Kind: odata.KString, Ops: "eq"},
				"displayName": {Kind: odata.KString, Ops: "eq"},
			}},
		}},
		"targetResources": {Kind: odata.KCollection, Lambda: "any", Elem: &odata.Prop{Kind: odata.KObject, Props: map[string]*odata.Prop{
			"id":                {Kind: odata.KString, Ops: "eq"},
			"displayName":       {Kind: odata.KString, Ops: "eq"},
			"userPrincipalName": {Kind: odata.KString, Ops: "eq startswith"},
		}}},
	})
)

// Filter accessors.

type userAcc struct{ u *User }

func licenseColl(ls []License) []any {
	out := make([]any, len(ls))
	for i, l := range ls {
		out[i] = odata.Map{"skuId": l.SKUID}
	}
	return out
}

func stringColl(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (a userAcc) Property(name string) any {
	u := a.u
	switch name {
	case "id":
		return u.ID
	case "displayName":
		return u.DisplayName
	case "userPrincipalName":
		return u.UserPrincipalName
	case "mail":
		return u.Mail
	case "mailNickname":
		return u.MailNickname
	case "givenName":
		return u.GivenName
	case "surname":
		return u.Surname
	case "department":
		return u.Department
	case "jobTitle":
		return u.JobTitle
	case "companyName":
		return u.CompanyName
	case "city":
		return u.City
	case "country":
		return u.Country
	case "employeeId":
		return u.EmployeeID
	case "usageLocation":
		return u.UsageLocation
	case "userType":
		return u.UserType
	case "accountEnabled":
		return u.AccountEnabled
	case "onPremisesSyncEnabled":
		if !u.OnPremisesSyncEnabled {
			return nil
		}
		return true
	case "createdDateTime":
		return u.CreatedDateTime
	case "assignedLicenses":
		return licenseColl(u.AssignedLicenses)
	case "proxyAddresses":
		return stringColl(u.ProxyAddresses)
	}
	return nil
}

type groupAcc struct {
	g         *Group
	errGroups map[string]bool
}

func (a groupAcc) Property(name string) any {
	g := a.g
	switch name {
	case "id":
		return g.ID
	case "displayName":
		return g.DisplayName
	case "description":
		return g.Description
	case "mail":
		return g.Mail
	case "mailNickname":
		return g.MailNickname
	case "mailEnabled":
		return g.MailEnabled
	case "securityEnabled":
		return g.SecurityEnabled
	case "membershipRuleProcessingState":
		return g.MembershipRuleProcessingState
	case "createdDateTime":
		return g.CreatedDateTime
	case "hasMembersWithLicenseErrors":
		return a.errGroups[g.ID]
	case "assignedLicenses":
		return licenseColl(g.Licenses)
	case "groupTypes":
		return stringColl(g.GroupTypes)
	}
	return nil
}

type auditAcc struct{ e *AuditEvent }

func (a auditAcc) Property(name string) any {
	e := a.e
	switch name {
	case "id":
		return e.ID
	case "activityDisplayName":
		return e.ActivityDisplayName
	case "activityDateTime":
		return e.ActivityDateTime
	case "loggedByService":
		return e.LoggedByService
	case "correlationId":
		return e.CorrelationID
	case "category":
		return e.Category
	case "result":
		return e.Result
	case "initiatedBy":
		m := odata.Map{}
		if u := e.InitiatedBy.User; u != nil {
			m["user"] = odata.Map{"id": u.ID, "displayName": u.DisplayName, "userPrincipalName": u.UserPrincipalName}
		}
		if ap := e.InitiatedBy.App; ap != nil {
			m["app"] = odata.Map{"appId": ap.AppID, "displayName": ap.DisplayName}
		}
		return m
	case "targetResources":
		out := make([]any, len(e.TargetResources))
		for i, t := range e.TargetResources {
			out[i] = odata.Map{"id": t.ID, "displayName": t.DisplayName, "userPrincipalName": t.UserPrincipalName}
		}
		return out
	}
	return nil
}
