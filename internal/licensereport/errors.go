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

	ex   *licensing.Explainer
	keep func(model.LicenseState) bool
}

// ErrorUser is a user in error (Errors.Licenses explains them).
type ErrorUser struct {
	User model.User
}

// Licenses are eu's licenses in error from the filter's source, explained. They are explained
// when asked for, as a page shows a few of the users (each explanation looks ahead at every
// license of its source, and a tenant can have thousands of users in error).
func (r Errors) Licenses(eu ErrorUser) []licensing.ExplainedLicense {
	var out []licensing.ExplainedLicense
	for _, l := range r.ex.Licenses(eu.User) {
		if l.InError() && r.keep(model.LicenseState{AssignedByGroup: l.GroupID}) {
			out = append(out, l)
		}
	}
	return out
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
	rep := Errors{All: len(users), ex: ex}
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
	rep.keep = keep
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
	all := ex.TenantCauses(users, nil)
	for _, c := range all {
		if !slices.Contains(rep.Codes, c.Code) {
			rep.Codes = append(rep.Codes, c.Code)
		}
	}
	slices.Sort(rep.Codes)
	causes := all
	if text != "" || f.Source != "" {
		causes = ex.TenantCauses(matching, keep) // else the same users, the same states
	}
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
		rep.Users = append(rep.Users, ErrorUser{User: u})
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
		for _, l := range rep.Licenses(eu) {
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
