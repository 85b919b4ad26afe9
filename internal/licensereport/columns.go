package licensereport

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/export"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Kind is what sort of value a column holds, which decides how pages and files write it.
type Kind int

// Kinds of column values.
const (
	KindText Kind = iota
	KindBool
	KindTime
	KindList
)

// Value is one cell of the report.
type Value struct {
	Kind Kind
	Text string
	Bool bool
	Time time.Time
	List []string
}

// Cell is the value as a file writes it: TRUE/FALSE, ISO 8601 UTC, lists joined with "; ".
func (v Value) Cell() export.Cell {
	switch v.Kind {
	case KindBool:
		return export.Bool(v.Bool)
	case KindTime:
		return export.Time(v.Time)
	case KindList:
		return export.List(v.List)
	}
	return export.Text(v.Text)
}

// Display is the value as a page shows it.
func (v Value) Display() string {
	switch v.Kind {
	case KindBool:
		if v.Bool {
			return "Yes"
		}
		return "No"
	case KindTime:
		if v.Time.IsZero() {
			return ""
		}
		return v.Time.UTC().Format("2006-01-02 15:04")
	case KindList:
		return strings.Join(v.List, "; ")
	}
	return v.Text
}

// Column is one column of the holders table and of its exports. Name is the header of files:
// Graph's property name for user properties.
type Column struct {
	Name     string
	Label    string
	Kind     Kind
	Sortable bool // the store can order holders by it
	// License is set for the columns about the license (assignment, state, error, plans).
	License bool
	value   func(r *Row) Value
}

// Value is the column's value in r.
func (c Column) Value(r *Row) Value { return c.value(r) }

func text(name, label string, get func(u *model.User) string) Column {
	return Column{Name: name, Label: label, Kind: KindText, Sortable: true,
		value: func(r *Row) Value { return Value{Kind: KindText, Text: get(&r.Holder.User)} }}
}

func boolean(name, label string, get func(u *model.User) bool) Column {
	return Column{Name: name, Label: label, Kind: KindBool, Sortable: true,
		value: func(r *Row) Value { return Value{Kind: KindBool, Bool: get(&r.Holder.User)} }}
}

func when(name, label string, get func(u *model.User) time.Time) Column {
	return Column{Name: name, Label: label, Kind: KindTime, Sortable: true,
		value: func(r *Row) Value { return Value{Kind: KindTime, Time: get(&r.Holder.User)} }}
}

func list(name, label string, get func(u *model.User) []string) Column {
	return Column{Name: name, Label: label, Kind: KindList,
		value: func(r *Row) Value { return Value{Kind: KindList, List: get(&r.Holder.User)} }}
}

func license(name, label string, sortable bool, get func(r *Row) Value) Column {
	return Column{Name: name, Label: label, Sortable: sortable, License: true, value: get}
}

// Columns are every column the report offers, in the order the column picker lists them: the
// user's single-value properties (and the multi-valued ones joined), then the license columns.
func Columns() []Column {
	return []Column{
		boolean("accountEnabled", "Account enabled", func(u *model.User) bool { return u.AccountEnabled }),
		text("displayName", "Name", func(u *model.User) string { return u.DisplayName }),
		text("id", "Object id", func(u *model.User) string { return u.ID }),
		text("mail", "Mail", func(u *model.User) string { return u.Mail }),
		text("userPrincipalName", "User principal name", func(u *model.User) string { return u.UserPrincipalName }),
		text("userType", "User type", func(u *model.User) string { return u.UserType }),
		text("givenName", "Given name", func(u *model.User) string { return u.GivenName }),
		text("surname", "Surname", func(u *model.User) string { return u.Surname }),
		text("department", "Department", func(u *model.User) string { return u.Department }),
		text("jobTitle", "Job title", func(u *model.User) string { return u.JobTitle }),
		text("companyName", "Company", func(u *model.User) string { return u.CompanyName }),
		text("officeLocation", "Office", func(u *model.User) string { return u.OfficeLocation }),
		text("city", "City", func(u *model.User) string { return u.City }),
		text("state", "State or province", func(u *model.User) string { return u.State }),
		text("country", "Country", func(u *model.User) string { return u.Country }),
		text("postalCode", "Postal code", func(u *model.User) string { return u.PostalCode }),
		text("streetAddress", "Street address", func(u *model.User) string { return u.StreetAddress }),
		text("usageLocation", "Usage location", func(u *model.User) string { return u.UsageLocation }),
		text("preferredLanguage", "Preferred language", func(u *model.User) string { return u.PreferredLanguage }),
		when("createdDateTime", "Created", func(u *model.User) time.Time { return u.CreatedAt }),
		text("employeeId", "Employee id", func(u *model.User) string { return u.EmployeeID }),
		text("employeeType", "Employee type", func(u *model.User) string { return u.EmployeeType }),
		text("mobilePhone", "Mobile phone", func(u *model.User) string { return u.MobilePhone }),
		list("businessPhones", "Business phones", func(u *model.User) []string { return u.BusinessPhones }),
		list("otherMails", "Other mails", func(u *model.User) []string { return u.OtherMails }),
		list("proxyAddresses", "Proxy addresses", func(u *model.User) []string { return u.ProxyAddresses }),
		boolean("onPremisesSyncEnabled", "Synced from on-premises", func(u *model.User) bool { return u.OnPremisesSyncEnabled }),
		text("onPremisesSamAccountName", "On-premises account name", func(u *model.User) string { return u.OnPremisesSamAccountName }),
		text("onPremisesUserPrincipalName", "On-premises UPN", func(u *model.User) string { return u.OnPremisesUserPrincipalName }),
		text("onPremisesDistinguishedName", "On-premises distinguished name", func(u *model.User) string { return u.OnPremisesDistinguishedName }),
		text("onPremisesDomainName", "On-premises domain", func(u *model.User) string { return u.OnPremisesDomainName }),
		text("onPremisesImmutableId", "On-premises immutable id", func(u *model.User) string { return u.OnPremisesImmutableID }),
		when("onPremisesLastSyncDateTime", "Last on-premises sync", func(u *model.User) time.Time { return u.OnPremisesLastSyncAt }),
		text("onPremisesSecurityIdentifier", "On-premises SID", func(u *model.User) string { return u.OnPremisesSecurityIdentifier }),
		text("externalUserState", "External user state", func(u *model.User) string { return u.ExternalUserState }),
		when("lastPasswordChangeDateTime", "Password changed", func(u *model.User) time.Time { return u.LastPasswordChangeAt }),
		when("signInSessionsValidFromDateTime", "Sessions valid from", func(u *model.User) time.Time { return u.SignInSessionsValidFrom }),
		text("passwordPolicies", "Password policies", func(u *model.User) string { return u.PasswordPolicies }),
		text("preferredDataLocation", "Preferred data location", func(u *model.User) string { return u.PreferredDataLocation }),

		license("assignment", "Assigned", true, func(r *Row) Value { return Value{Text: r.Assignment()} }),
		license("licenseState", "License state", true, func(r *Row) Value { return Value{Text: r.StateLabel} }),
		license("error", "Error", false, func(r *Row) Value { return Value{Text: r.Error} }),
		license("disabledPlans", "Disabled service plans", false, func(r *Row) Value {
			names := make([]string, len(r.DisabledPlans))
			for i, p := range r.DisabledPlans {
				names[i] = p.Name
			}
			return Value{Kind: KindList, List: names}
		}),
	}
}

// skuColumns lead every row of a file of several SKUs.
func skuColumns() []Column {
	return []Column{
		license("skuPartNumber", "SKU part number", false, func(r *Row) Value { return Value{Text: r.PartNumber} }),
		license("skuName", "License", false, func(r *Row) Value { return Value{Text: r.SKU.Name} }),
	}
}

// DefaultColumns are the columns shown when none are asked for.
func DefaultColumns() []string {
	return []string{"displayName", "userPrincipalName", "accountEnabled", "assignment", "licenseState"}
}

// ParseColumns are the columns of names, in that order, without repeats; no names means the
// defaults. An unknown name is a *model.InputError listing the valid ones.
func ParseColumns(names []string) ([]Column, error) {
	if len(names) == 0 {
		names = DefaultColumns()
	}
	all := Columns()
	var out []Column
	var unknown []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || slices.ContainsFunc(out, func(c Column) bool { return c.Name == n }) {
			continue
		}
		i := slices.IndexFunc(all, func(c Column) bool { return strings.EqualFold(c.Name, n) })
		if i < 0 {
			unknown = append(unknown, n)
			continue
		}
		out = append(out, all[i])
	}
	if len(unknown) > 0 {
		return nil, &model.InputError{Field: "cols",
			Message:  fmt.Sprintf("Unknown column %s. The columns are: %s.", quoteList(unknown), strings.Join(ColumnNames(), ", ")),
			Problems: nil}
	}
	if len(out) == 0 {
		return ParseColumns(nil)
	}
	return out, nil
}

// ColumnNames are the names of every column.
func ColumnNames() []string {
	var out []string
	for _, c := range Columns() {
		out = append(out, c.Name)
	}
	return out
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
