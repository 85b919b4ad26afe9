package licensereport

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/export"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// The tenant's users in license error in one place: every one of them, from any group or
// assigned directly, grouped by cause and by group, filtered, and as CSV.

// ErrorStore is what the report of users in error reads. *store.Store implements it.
type ErrorStore interface {
	licensing.ExplainerSource
	licensing.DisabledHolderSource
	UsersInError(ctx context.Context) ([]model.User, error)
}

// SourceDirect is the ErrorFilter.Source of licenses assigned directly.
const SourceDirect = "direct"

// ErrorFilter narrows the users in error: to one kind of error (as Microsoft reports it, an
// "Other" counting as its blocker's), to one source (a group id, or SourceDirect), and to users
// whose name, user principal name or mail contains Text (case-insensitive). Zero values keep
// everybody.
type ErrorFilter struct {
	Code   model.LicenseError
	Source string
	Text   string
}

// Errors is the report of users in error.
type Errors struct {
	// Users are the users that match the filter, by name, with their licenses in error from
	// the filter's source.
	Users []ErrorUser
	// Causes are the causes of those users' errors, most users first (users, not members:
	// tenant-wide).
	Causes []licensing.Cause
	// Sources are where the errors of all users in error come from (groups by name, then
	// direct), for the group list and filter; the filter does not narrow them.
	Sources []ErrorSource
	// Codes are the kinds of cause among all users in error, for the filter.
	Codes []model.LicenseError
	// All is how many users are in error, before the filter.
	All int
}

// ErrorUser is a user in error with the licenses that are, explained.
type ErrorUser struct {
	User     model.User
	Licenses []licensing.ExplainedLicense
}

// ErrorSource is a group (ID "" for direct assignments) with how many users are in error from it.
type ErrorSource struct {
	ID, Name string
	Users    int
}

// Key is the source's ErrorFilter.Source: the group id, or SourceDirect.
func (s ErrorSource) Key() string { return cmp.Or(s.ID, SourceDirect) }

// LoadErrors reads every user in error and builds the report for f. Names that cannot be read
// leave GUIDs in place (the error is logged by the caller, not fatal): warn is that error.
// model.ErrNotFound before the first sync.
func LoadErrors(ctx context.Context, st ErrorStore, f ErrorFilter) (rep Errors, warn error, err error) {
	users, err := st.UsersInError(ctx)
	if err != nil {
		return Errors{}, nil, err
	}
	ex, warn := licensing.LoadExplainer(ctx, st, users, nil)
	if err := ex.CountDisabledHolders(ctx, st); err != nil && !errors.Is(err, model.ErrNotFound) {
		warn = errors.Join(warn, err)
	}
	return BuildErrors(ex, users, f), warn, nil
}

// BuildErrors is the report of users (every user in error) for f, explained by ex.
func BuildErrors(ex *licensing.Explainer, users []model.User, f ErrorFilter) Errors {
	rep := Errors{All: len(users)}
	bySource := map[string]*ErrorSource{}
	for _, u := range users {
		seen := map[string]bool{}
		for _, st := range u.LicenseStates {
			if !st.InError() || seen[st.AssignedByGroup] {
				continue
			}
			seen[st.AssignedByGroup] = true
			s, ok := bySource[st.AssignedByGroup]
			if !ok {
				s = &ErrorSource{ID: st.AssignedByGroup, Name: "Assigned directly"}
				if st.AssignedByGroup != "" {
					s.Name = ex.GroupName(st.AssignedByGroup)
				}
				bySource[st.AssignedByGroup] = s
			}
			s.Users++
		}
	}
	for _, s := range bySource {
		rep.Sources = append(rep.Sources, *s)
	}
	slices.SortFunc(rep.Sources, func(a, b ErrorSource) int {
		if (a.ID == "") != (b.ID == "") {
			if a.ID == "" {
				return 1 // groups first, direct last
			}
			return -1
		}
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})

	keep := func(st model.LicenseState) bool {
		switch f.Source {
		case "":
			return true
		case SourceDirect:
			return st.Direct()
		}
		return model.SameID(st.AssignedByGroup, f.Source)
	}
	text := strings.ToLower(strings.TrimSpace(f.Text))
	var matching []model.User
	for _, u := range users {
		if text != "" && !strings.Contains(strings.ToLower(u.DisplayName), text) &&
			!strings.Contains(strings.ToLower(u.UserPrincipalName), text) && !strings.Contains(strings.ToLower(u.Mail), text) {
			continue
		}
		if slices.ContainsFunc(u.LicenseStates, func(st model.LicenseState) bool { return st.InError() && keep(st) }) {
			matching = append(matching, u)
		}
	}
	for _, c := range ex.TenantCauses(users, nil) {
		if !slices.Contains(rep.Codes, c.Code) {
			rep.Codes = append(rep.Codes, c.Code)
		}
	}
	slices.Sort(rep.Codes)
	causes := ex.TenantCauses(matching, keep)
	inCause := map[string]bool{}
	for _, c := range causes {
		if f.Code != "" && c.Code != f.Code {
			continue
		}
		rep.Causes = append(rep.Causes, c)
		for _, id := range c.Users {
			inCause[id] = true
		}
	}
	for _, u := range matching {
		if f.Code != "" && !inCause[u.ID] {
			continue
		}
		eu := ErrorUser{User: u}
		for _, l := range ex.Licenses(u) {
			if l.InError() && keep(model.LicenseState{AssignedByGroup: l.GroupID}) {
				eu.Licenses = append(eu.Licenses, l)
			}
		}
		rep.Users = append(rep.Users, eu)
	}
	return rep
}

// errorColumns are the columns of the users-in-error CSV: one row per license in error.
var errorColumns = []string{"userId", "displayName", "userPrincipalName", "accountEnabled", "usageLocation",
	"license", "skuId", "assignedBy", "groupId", "state", "error", "cause", "fix"}

// WriteErrorsCSV writes rep's users as CSV, one row per license in error, with the byte order
// mark when bom is set.
func WriteErrorsCSV(w io.Writer, rep Errors, bom bool) error {
	c, err := export.NewCSV(w, bom)
	if err != nil {
		return err
	}
	if err := c.Write(export.Texts(errorColumns...)...); err != nil {
		return err
	}
	for _, eu := range rep.Users {
		u := eu.User
		for _, l := range eu.Licenses {
			by := "Direct"
			if !l.Direct {
				by = l.GroupName
			}
			if err := c.Write(export.Text(u.ID), export.Text(u.DisplayName), export.Text(u.UserPrincipalName),
				export.Bool(u.AccountEnabled), export.Text(u.UsageLocation), export.Text(l.SKU.Name), export.Text(l.SKU.ID),
				export.Text(by), export.Text(l.GroupID), export.Text(l.StateLabel()), export.Text(string(l.Code)),
				export.Text(l.Summary), export.Text(l.Fix)); err != nil {
				return fmt.Errorf("users in error: %w", err)
			}
		}
	}
	return c.Flush()
}
