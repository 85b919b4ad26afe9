package alerts

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// RuleErrorCause is users in license error, one alert per cause.
const RuleErrorCause = "error-cause"

// Errors is what the cause rule reads: the users in license error and what names and explains
// them. *store.Store implements it.
type Errors interface {
	licensing.ExplainerSource
	UsersInError(ctx context.Context) ([]model.User, error)
}

// maxNamedUsers is how many users a cause's notification names.
const maxNamedUsers = 10

func causeRule() Rule {
	return Rule{
		Name: RuleErrorCause, Title: "Users in license error, by cause",
		Description: "Users whose license assignment failed, one alert per cause (not enough licenses, conflicting plans, a missing prerequisite, usage location, and 'Other' under what blocks it) with the group it comes from and the fix.",
		Thresholds: []Threshold{
			{Key: "users", Label: "Alert when a cause reaches this many users", Default: 1, Min: 1, Max: 1_000_000},
			{Key: "more_users", Label: "Tell again when this many more users fail for it since last told (0: only at the reminder)", Default: 1, Min: 0, Max: 1_000_000},
		},
		Snapshot: true, eval: errorCauses,
		usable: func(in *Input) bool { return in.Causes != nil },
	}
}

// loadCauses groups the snapshot's users in error by cause, tenant-wide (Explainer.TenantCauses).
func loadCauses(ctx context.Context, src Errors) ([]SourcedCause, map[string]string, error) {
	users, err := src.UsersInError(ctx)
	if err != nil {
		return nil, nil, err
	}
	ex, err := licensing.LoadExplainer(ctx, src, users, nil)
	if err != nil {
		return nil, nil, err // names would be GUIDs: better no alert than a wrong-looking one
	}
	names := make(map[string]string, len(users))
	byID := make(map[string]model.User, len(users))
	for _, u := range users {
		names[u.ID] = u.DisplayName + " (" + u.UserPrincipalName + ")"
		byID[u.ID] = u
	}
	out := []SourcedCause{} // read, and none: open alerts resolve
	for _, c := range ex.TenantCauses(users, nil) {
		// One alert per cause and source: the same shortage reaching another group is news.
		idx := map[string]int{}
		for _, id := range c.Users {
			g, gname := failingSource(byID[id], c, ex)
			i, ok := idx[g]
			if !ok {
				i = len(out)
				idx[g] = i
				out = append(out, SourcedCause{Cause: c, GroupID: g, GroupName: gname, Users: nil})
			}
			out[i].Users = append(out[i].Users, id)
		}
	}
	return out, names, nil
}

// SourcedCause is a cause among the users of one source: a group, or direct assignment
// (GroupID "").
type SourcedCause struct {
	licensing.Cause
	GroupID, GroupName string
	Users              []string
}

// failingSource is where u's failing license of cause c comes from: the group (id, name) of
// its errored state of c's license, else of any errored state; "" for a direct assignment.
func failingSource(u model.User, c licensing.Cause, ex *licensing.Explainer) (string, string) {
	pick := -1
	for i, st := range u.LicenseStates {
		if !st.InError() {
			continue
		}
		if pick < 0 || (model.SameID(st.SKUID, c.SKU.ID) && st.Error == c.Code) {
			pick = i
		}
	}
	if pick < 0 || u.LicenseStates[pick].AssignedByGroup == "" {
		return "", ""
	}
	g := u.LicenseStates[pick].AssignedByGroup
	return model.NormalizeID(g), ex.GroupName(g)
}

// errorCauses: every cause with at least "users" users.
func errorCauses(in *Input, th map[string]int) []model.AlertCondition {
	var out []model.AlertCondition
	for _, c := range in.Causes {
		from, subject := "assigned directly", "cause:"+c.Key+":direct"
		if c.GroupID != "" {
			from, subject = "from "+c.GroupName, "cause:"+c.Key+":"+c.GroupID
		}
		if len(c.Users) < th["users"] {
			continue
		}
		var named []string
		for _, id := range c.Users[:min(len(c.Users), maxNamedUsers)] {
			named = append(named, in.UserNames[id])
		}
		if more := len(c.Users) - len(named); more > 0 {
			named = append(named, fmt.Sprintf("and %d more", more))
		}
		link := in.link("/errors")
		if c.GroupID != "" {
			link = in.link("/groups/" + url.PathEscape(c.GroupID))
		}
		out = append(out, model.AlertCondition{Rule: RuleErrorCause, Subject: subject, Level: len(c.Users), Again: th["more_users"], Message: model.AlertMessage{
			Title:   fmt.Sprintf("%s: %s cannot get %s (%s)", c.Kind(), count(len(c.Users), "user", "users"), c.SKU.Name, from),
			Summary: fmt.Sprintf("%s (%s). Tenant-wide: %s", c.Kind(), c.Code, c.Headline),
			Facts: []model.Fact{
				{Name: "Cause", Value: c.Kind()},
				{Name: "License", Value: c.SKU.Name},
				{Name: "Group", Value: strings.TrimPrefix(from, "from ")},
				{Name: "Users", Value: strings.Join(named, "; ")},
			},
			Fix:  c.Fix,
			Link: link,
		}})
	}
	return out
}

// count is n with the word for one or many: "1 user", "12 users".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
