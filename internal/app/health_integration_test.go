package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/health"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// healthTruth recomputes, from the simulated tenant's own state, what each finding of the
// license health report must count: the rules written out a second time, independently of
// internal/health.
func healthTruth(sim *tenantsim.Tenant, now time.Time, days, horizon int) map[string]int {
	want := map[string]int{}
	threshold := time.Duration(days) * 24 * time.Hour
	skus := map[string]tenantsim.SKUTruth{}
	for _, s := range sim.SKUTruths() {
		skus[strings.ToLower(s.ID)] = s
	}
	for _, u := range sim.UsersTruth() {
		held := len(u.AssignedLicenses)
		if held == 0 {
			continue
		}
		inactive, never := false, false
		if si := u.SignIns; si == nil {
			never = now.Sub(u.CreatedDateTime) >= threshold
		} else {
			last := si.LastSuccessful
			if last.IsZero() {
				last = si.LastSignIn
				if si.LastNonInteractive.After(last) {
					last = si.LastNonInteractive
				}
			}
			inactive = now.Sub(last) >= threshold
		}
		switch {
		case !u.AccountEnabled:
			want[health.KindDisabled] += held
		case u.UserType == "Guest" && (inactive || never):
			want[health.KindGuests] += held
		case never:
			want[health.KindNeverSignedIn] += held
		case inactive:
			want[health.KindInactive] += held
		}
		viaGroup := false
		for _, l := range u.AssignedLicenses {
			var direct bool
			var groups [][]string
			for _, st := range u.LicenseStates {
				if !strings.EqualFold(st.SKUID, l.SKUID) || st.State == "Error" {
					continue
				}
				if st.AssignedByGroup == "" {
					direct = true
				} else {
					groups = append(groups, st.DisabledPlans)
					viaGroup = true
				}
			}
			if direct && len(groups) > 0 {
				want[health.KindDirectAndGroup]++
			}
			// Plans some group switches off and another leaves on.
			off := map[string]int{}
			for _, g := range groups {
				for _, p := range g {
					off[strings.ToLower(p)]++
				}
			}
			for _, n := range off {
				if len(groups) > 1 && n < len(groups) {
					want[health.KindPlanUnion]++
					break
				}
			}
		}
		if viaGroup && u.UsageLocation == "" {
			want[health.KindNoUsageLoc]++
		}
	}
	for _, s := range skus {
		if n := s.Prepaid.Enabled - s.Consumed; n > 0 {
			want[health.KindUnassigned] += n
		}
	}
	for _, g := range sim.LicensedGroupTruth() {
		for _, m := range sim.MembersOf(g.ID) {
			if sim.IsGroup(m) {
				want[health.KindNested]++
			}
		}
	}
	until := now.Add(time.Duration(horizon) * 24 * time.Hour)
	for _, s := range sim.Subscriptions() {
		if s.Status != "Enabled" || s.IsTrial || !s.NextLifecycleDateTime.After(until) {
			want[health.KindSubscriptions]++
		}
	}
	return want
}

// TestHealthEqualsTheSimulatorsTruth: every finding's count, read through the real Graph client
// and the sync, equals what the simulated tenant's own state says; a changed tenant changes
// them after a refresh; and without Entra ID P1 the inactivity checks say why while the rest
// still counts.
func TestHealthEqualsTheSimulatorsTruth(t *testing.T) {
	ctx := context.Background()
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 7}})
	sim := d.Sim.Tenant
	check := func(t *testing.T, opts health.Options) health.Report {
		t.Helper()
		r, err := d.App.Health.Report(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		want := healthTruth(sim, time.Now(), r.Options.InactiveDays, r.Options.HorizonDays)
		for _, k := range health.Kinds() {
			f, _ := r.Finding(k)
			if k == health.KindPrerequisite || k == health.KindStuck {
				continue // checked below
			}
			if f.Count != want[k] || f.Unavailable != "" {
				t.Errorf("%s: %d %s (%q), the simulator's truth is %d", k, f.Count, f.Unit, f.Unavailable, want[k])
			}
			if k != health.KindUnassigned && len(f.Items) != f.Count {
				t.Errorf("%s: count %d, %d items", k, f.Count, len(f.Items))
			}
		}
		for _, k := range []string{health.KindDisabled, health.KindInactive, health.KindNeverSignedIn, health.KindGuests,
			health.KindUnassigned, health.KindSubscriptions, health.KindDirectAndGroup, health.KindNested} {
			if want[k] == 0 {
				t.Errorf("the simulated tenant has nothing for %s: the test proves nothing there", k)
			}
		}
		prereq, _ := r.Finding(health.KindPrerequisite)
		if !slices.ContainsFunc(prereq.Items, func(it health.Item) bool { return it.GroupID == sim.Scenarios.DependencyGroup }) {
			t.Errorf("the dependency scenario's group is not among %d templates missing a prerequisite", len(prereq.Items))
		}
		if stuck, _ := r.Finding(health.KindStuck); stuck.Count != 0 {
			t.Errorf("%d groups stuck in a tenant just read", stuck.Count)
		}
		return r
	}
	r := check(t, health.Options{})
	check(t, health.Options{InactiveDays: 30, HorizonDays: 30})

	// Prices: the waste is priced per SKU, in units without a price.
	dis, _ := r.Finding(health.KindDisabled)
	if !dis.Monthly.Zero() || dis.Unpriced != dis.Count {
		t.Fatalf("without prices: %v, %d unpriced of %d", dis.Monthly, dis.Unpriced, dis.Count)
	}
	sku := dis.Items[0].SKUID
	if err := d.App.Health.SetPrice(ctx, health.PriceChange{SKUID: sku, Amount: "10.50", Currency: "eur"}); err != nil {
		t.Fatal(err)
	}
	r = check(t, health.Options{})
	dis, _ = r.Finding(health.KindDisabled)
	n := 0
	for _, it := range dis.Items {
		if it.SKUID == sku {
			n++
		}
	}
	if dis.Monthly["EUR"] != int64(n)*1050 || r.Waste["EUR"] < dis.Monthly["EUR"] {
		t.Errorf("priced: disabled %v for %d licenses of the priced SKU, waste %v", dis.Monthly, n, r.Waste)
	}

	// The tenant changes: a disabled user's direct license goes; the next refresh sees it.
	for _, it := range dis.Items {
		if it.Direct && len(it.Groups) == 0 {
			if _, err := sim.AssignUserLicenses(it.UserID, nil, []string{it.SKUID}, tenantsim.Actor{DisplayName: "test"}); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if _, err := d.App.Syncer.Run(ctx); err != nil {
		t.Fatal(err)
	}
	check(t, health.Options{})
}

// TestHealthWithoutSignIns: in a tenant without Entra ID P1 the inactivity checks say so and
// count nothing; the disabled accounts, units and subscriptions are still found.
func TestHealthWithoutSignIns(t *testing.T) {
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 7, Users: 600, Groups: 60, LicensedGroups: 15, EntraIDFree: true}})
	r, err := d.App.Health.Report(context.Background(), health.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{health.KindInactive, health.KindNeverSignedIn, health.KindGuests} {
		if f, _ := r.Finding(k); f.Count != 0 || !strings.Contains(f.Unavailable, "Entra ID P1") {
			t.Errorf("%s: %d, %q", k, f.Count, f.Unavailable)
		}
	}
	for _, k := range []string{health.KindDisabled, health.KindUnassigned, health.KindSubscriptions} {
		if f, _ := r.Finding(k); f.Count == 0 || f.Unavailable != "" {
			t.Errorf("%s: %d, %q", k, f.Count, f.Unavailable)
		}
	}
}

// TestHealthNewPlans: after Microsoft adds a plan to a license, the templates that disable some
// of its plans (and so were curated before the plan existed) are found, each group once; those
// that disable none are not.
func TestHealthNewPlans(t *testing.T) {
	ctx := context.Background()
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 7}})
	sim := d.Sim.Tenant
	sku := strings.ToLower(sim.Scenarios.StudentSKU)
	if r, _ := d.App.Health.Report(ctx, health.Options{}); func() int { f, _ := r.Finding(health.KindNewPlans); return f.Count }() != 0 {
		t.Fatal("new plans found before any plan was added")
	}
	if err := sim.AddServicePlan(sku, tenantsim.ServicePlan{ID: "0d1c6f02-7a5e-4d34-9c0e-5a1b2c3d4e5f", Name: "COPILOT_EDU_NEW", AppliesTo: "User"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.App.Syncer.Run(ctx); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, g := range sim.LicensedGroupTruth() {
		for _, l := range sim.TemplateOf(g.ID) {
			if strings.EqualFold(l.SKUID, sku) && len(l.DisabledPlans) > 0 {
				want++
			}
		}
	}
	r, err := d.App.Health.Report(ctx, health.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := r.Finding(health.KindNewPlans)
	if want == 0 || f.Count != want || len(f.Items) != want || !strings.Contains(f.Items[0].Detail, "COPILOT_EDU_NEW") {
		t.Fatalf("new plans: %d groups (%+v), truth %d", f.Count, f.Items, want)
	}
}
