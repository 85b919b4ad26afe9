package sdktest

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/graph"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

const (
	gblApp          = "Microsoft Azure AD Group-Based Licensing"
	changeLicense   = "Change user license"
	licensingDetail = "Licensing Error Message"
)

// userMembers lists a group's direct user members through the SDK.
func userMembers(t *testing.T, c *graph.Client, groupID string) []string {
	t.Helper()
	var ids []string
	err := c.GroupMembers(context.Background(), groupID, func(p []model.DirectoryObject) error {
		for _, m := range p {
			if m.Type == model.ObjectUser {
				ids = append(ids, m.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		t.Fatalf("group %s has no user members", groupID)
	}
	return ids
}

// statesFrom returns a user's license states assigned by one group, keyed by SKU.
func statesFrom(u model.User, groupID string) map[string]model.LicenseState {
	out := map[string]model.LicenseState{}
	for _, s := range u.LicenseStates {
		if s.AssignedByGroup == groupID {
			out[s.SKUID] = s
		}
	}
	return out
}

func holds(u model.User, sku string) bool {
	return slices.ContainsFunc(u.AssignedLicenses, func(l model.AssignedLicense) bool { return l.SKUID == sku })
}

func skuByID(skus []model.SKU, id string) model.SKU {
	for _, s := range skus {
		if s.ID == id {
			return s
		}
	}
	return model.SKU{}
}

// checkConsumedUnits holds every SKU's consumedUnits against the users holding it, as read
// through the SDK.
func checkConsumedUnits(t *testing.T, c *graph.Client) []model.SKU {
	t.Helper()
	ctx := context.Background()
	skus, err := c.SubscribedSKUs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	holders := map[string]int{}
	err = c.Users(ctx, func(p []model.User) error {
		for _, u := range p {
			for _, l := range u.AssignedLicenses {
				holders[l.SKUID]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range skus {
		if s.ConsumedUnits != holders[s.ID] {
			t.Errorf("SKU %s (%s): consumedUnits %d, %d users hold it", s.PartNumber, s.ID, s.ConsumedUnits, holders[s.ID])
		}
		delete(holders, s.ID)
	}
	if len(holders) > 0 {
		t.Errorf("users hold SKUs the tenant does not subscribe to: %v", holders)
	}
	return skus
}

// TestA1StudentsFacultyEndToEnd is the case from the field, through the real SDK: a group
// assigns A1 for students and A1 for faculty while faculty is full. Its members show
// CountViolation on faculty and Other on students, with the audit log saying why; buying
// faculty units through the control API and reprocessing the members makes both Active,
// consumes one unit of each per member and logs the successful license change.
func TestA1StudentsFacultyEndToEnd(t *testing.T) {
	e := start(t, tenantsim.Config{Seed: 26, Users: 400, Groups: 40, LicensedGroups: 10})
	ctx := context.Background()
	sc := e.srv.Tenant.Scenarios
	reader := newClient(t, e.secretConfig())
	writer := newClient(t, e.certConfig(t))

	// Before: faculty is full and every member of the A1 group is in error.
	skus := checkConsumedUnits(t, reader)
	fac, stu := skuByID(skus, sc.FacultySKU), skuByID(skus, sc.StudentSKU)
	if fac.ID == "" || stu.ID == "" || fac.Available() != 0 {
		t.Fatalf("faculty %+v / students %+v: want both subscribed and faculty full", fac, stu)
	}
	members := userMembers(t, reader, sc.A1Group)
	for _, id := range members {
		u, err := reader.User(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		st := statesFrom(u, sc.A1Group)
		if f, s := st[sc.FacultySKU], st[sc.StudentSKU]; f.Error != model.ErrorCountViolation || s.Error != model.ErrorOther ||
			f.State != model.StateError || s.State != model.StateError {
			t.Fatalf("A1 member %s before: faculty %+v, students %+v; want CountViolation and Other", u.UserPrincipalName, f, s)
		}
		if holds(u, sc.FacultySKU) || holds(u, sc.StudentSKU) {
			t.Fatalf("all-or-none broken: %s holds %+v", u.UserPrincipalName, u.AssignedLicenses)
		}
		evs, err := reader.DirectoryAudits(ctx, model.AuditQuery{Activity: changeLicense, TargetID: id})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(evs, func(ev model.AuditEvent) bool {
			msg, _ := ev.Detail(licensingDetail)
			return ev.Result == "failure" && ev.InitiatedByApp != nil && ev.InitiatedByApp.DisplayName == gblApp &&
				ev.ResultReason == "Microsoft.Online.Provisioning.SubscriptionManagement.SubscriptionFullException" &&
				strings.Contains(msg, "Not enough licenses are available") &&
				strings.Contains(msg, "for SKU ["+sc.FacultySKU+"]") && strings.Contains(msg, "Licenses being added: ["+sc.FacultySKU+"]")
		}) {
			t.Fatalf("no SubscriptionFullException naming faculty for %s in %+v", id, evs)
		}
	}
	if groupsInError := e.groupsWithLicenseErrors(t); !slices.Contains(groupsInError, sc.A1Group) {
		t.Fatalf("groups with license errors %v: A1 missing", groupsInError)
	}

	// Buy faculty units through the control API, then reprocess the members (in $batch).
	var bought struct {
		SKUID   string `json:"sku_id"`
		Enabled int    `json:"enabled"`
	}
	want := fac.ConsumedUnits + len(members)
	e.control(t, "POST", "/skus/"+sc.FacultySKU+"/prepaid", map[string]int{"enabled": want}, &bought)
	if bought.SKUID != sc.FacultySKU || bought.Enabled != want {
		t.Fatalf("control API answered %+v", bought)
	}
	fixedAt := time.Now().Add(-time.Second)
	e.resetStats(t)
	for _, o := range writer.ReprocessUsers(ctx, members, nil) {
		if o.Err != nil {
			t.Fatalf("reprocess %s: %v", o.UserID, o.Err)
		}
		// Graph answers with the user's default properties: no license states to look at here.
		if o.User.ID != o.UserID {
			t.Fatalf("reprocess of %s answered with user %+v", o.UserID, o.User)
		}
	}
	st := e.statsWhen(t, func(s tenantsim.StatsSnapshot) bool { return s.Routes["POST /$batch"].Requests > 0 })
	if st.Routes["POST /$batch"].Requests == 0 || st.Routes["POST /users/{id}/reprocessLicenseAssignment"].Batched != int64(len(members)) {
		t.Fatalf("reprocessing did not go through $batch: %v", st.Routes)
	}

	// After: both Active for every member, units consumed, the audit log tells it.
	for _, id := range members {
		u, err := reader.User(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		st := statesFrom(u, sc.A1Group)
		for _, sku := range []string{sc.FacultySKU, sc.StudentSKU} {
			if s := st[sku]; s.State != model.StateActive || s.InError() || !holds(u, sku) {
				t.Fatalf("A1 member %s after: %s %+v, assigned %+v", u.UserPrincipalName, sku, s, u.AssignedLicenses)
			}
		}
		evs, err := reader.DirectoryAudits(ctx, model.AuditQuery{Activity: changeLicense, TargetID: id, Since: fixedAt})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(evs, func(ev model.AuditEvent) bool {
			return ev.Result == "success" && len(ev.Targets) == 1 && ev.Targets[0].ID == id &&
				slices.ContainsFunc(ev.Targets[0].ModifiedProperties, func(p model.ModifiedProperty) bool {
					return p.DisplayName == "AssignedLicense" && strings.Contains(p.NewValue, sc.FacultySKU) &&
						strings.Contains(p.NewValue, sc.StudentSKU) && !strings.Contains(p.OldValue, sc.FacultySKU)
				})
		}) {
			t.Fatalf("no successful license change adding both A1 SKUs for %s since the fix: %+v", id, evs)
		}
	}
	skus = checkConsumedUnits(t, reader)
	if f := skuByID(skus, sc.FacultySKU); f.ConsumedUnits != fac.ConsumedUnits+len(members) || f.Prepaid.Enabled != want {
		t.Errorf("faculty after: %+v, want %d consumed of %d", f, fac.ConsumedUnits+len(members), want)
	}
	if s := skuByID(skus, sc.StudentSKU); s.ConsumedUnits != stu.ConsumedUnits+len(members) {
		t.Errorf("students after: consumed %d, want %d", s.ConsumedUnits, stu.ConsumedUnits+len(members))
	}
	for _, g := range e.srv.Tenant.LicensedGroupTruth() {
		if g.ID == sc.A1Group && g.Errors != 0 {
			t.Fatalf("truth still has %d A1 members in error", g.Errors)
		}
	}
	if groupsInError := e.groupsWithLicenseErrors(t); slices.Contains(groupsInError, sc.A1Group) {
		t.Fatalf("groups with license errors %v: A1 still listed", groupsInError)
	}
}

// pairRE finds the conflicting plan pair in a licensing error message.
var pairRE = regexp.MustCompile(`conflicting service plan pairs to solve this problem: \[([0-9a-f-]{36}), ([0-9a-f-]{36})\]`)

// TestConflictScenario: members of the conflict group hold a direct license whose plan conflicts
// with the group's; they show MutuallyExclusiveViolation, keep their direct license, and the
// audit message names both plans of the pair, one from each side.
func TestConflictScenario(t *testing.T) {
	e := start(t, tenantsim.Config{Seed: 27, Users: 400, Groups: 40, LicensedGroups: 10})
	ctx := context.Background()
	sc := e.srv.Tenant.Scenarios
	c := newClient(t, e.certConfig(t))
	skus, err := c.SubscribedSKUs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plansOf := func(skuID string) map[string]bool {
		out := map[string]bool{}
		for _, p := range skuByID(skus, skuID).ServicePlans {
			out[p.ID] = true
		}
		return out
	}
	group, err := c.Group(ctx, sc.ConflictGroup)
	if err != nil || len(group.AssignedLicenses) == 0 {
		t.Fatalf("conflict group %+v, %v", group, err)
	}
	groupPlans := map[string]bool{}
	for _, l := range group.AssignedLicenses {
		for p := range plansOf(l.SKUID) {
			groupPlans[p] = true
		}
	}

	for _, id := range userMembers(t, c, sc.ConflictGroup) {
		u, err := c.User(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		st := statesFrom(u, sc.ConflictGroup)
		violations := 0
		for sku, s := range st {
			switch s.Error {
			case model.ErrorMutuallyExclusive:
				violations++
			case model.ErrorOther:
			default:
				t.Fatalf("conflict member %s: %s state %+v", u.UserPrincipalName, sku, s)
			}
			if holds(u, sku) && !slices.ContainsFunc(u.LicenseStates, func(d model.LicenseState) bool { return d.Direct() && d.SKUID == sku }) {
				t.Fatalf("all-or-none broken: %s holds the failing group's %s", u.UserPrincipalName, sku)
			}
		}
		if violations == 0 {
			t.Fatalf("conflict member %s: no MutuallyExclusiveViolation in %+v", u.UserPrincipalName, st)
		}
		directPlans := map[string]bool{}
		for _, s := range u.LicenseStates {
			if s.Direct() && !s.InError() && holds(u, s.SKUID) {
				for p := range plansOf(s.SKUID) {
					directPlans[p] = true
				}
			}
		}
		if len(directPlans) == 0 {
			t.Fatalf("conflict member %s holds no direct license", u.UserPrincipalName)
		}

		evs, err := c.DirectoryAudits(ctx, model.AuditQuery{Activity: changeLicense, TargetID: id})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range evs {
			msg, _ := ev.Detail(licensingDetail)
			m := pairRE.FindStringSubmatch(msg)
			if ev.Result != "failure" || m == nil {
				continue
			}
			a, b := m[1], m[2]
			if a == b || !(directPlans[a] && groupPlans[b] || directPlans[b] && groupPlans[a]) {
				t.Fatalf("conflict pair [%s, %s] is not one plan of %s's direct license and one of the group's: %q", a, b, u.UserPrincipalName, msg)
			}
			if !strings.Contains(msg, "Licenses being added: [") {
				t.Fatalf("conflict message without the licenses being added: %q", msg)
			}
			found = true
		}
		if !found {
			t.Fatalf("no conflict failure with a plan pair for %s in %+v", u.UserPrincipalName, evs)
		}
	}
}
