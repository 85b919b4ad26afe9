package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/health"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// TestCleanupKnowsThePath: cleaning up disabled accounts and guests takes a disabled user whose
// license comes from a group out of that group (the license goes once the group is processed)
// and removes a guest's direct license from them, which the snapshot shows at once; after a
// refresh the finding no longer lists them; running the same
// cleanup again changes nothing more.
func TestCleanupKnowsThePath(t *testing.T) {
	ctx := context.Background()
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 7}})
	sim := d.Sim.Tenant
	kinds := []string{health.KindDisabled, health.KindGuests}
	plan, err := d.App.Health.PlanCleanup(ctx, health.Options{}, kinds, health.GroupsRemove)
	if err != nil {
		t.Fatal(err)
	}
	var viaGroup, direct *health.CleanupUser
	for i, u := range plan.Users {
		ops := map[string]int{}
		for _, st := range u.Steps {
			if !st.Dynamic {
				ops[st.Op]++
			}
		}
		switch {
		case viaGroup == nil && u.Kind == health.KindDisabled && ops["leave"] > 0 && ops["license"] == 0:
			viaGroup = &plan.Users[i]
		case direct == nil && ops["license"] > 0 && ops["leave"] == 0:
			direct = &plan.Users[i]
		}
	}
	if viaGroup == nil || direct == nil {
		t.Fatalf("the plan of %d users lacks one with only group licenses or only direct ones", len(plan.Users))
	}
	keys := []string{viaGroup.UserID, direct.UserID}
	run := func() model.Job {
		t.Helper()
		spec, err := d.App.Health.CleanupJob(plan, keys)
		if err != nil {
			t.Fatal(err)
		}
		j, err := d.App.Jobs.Create(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		if j, err = d.App.Jobs.Execute(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
		return j
	}
	j := run()
	if j.Counts[health.CleanupDone] != 2 {
		t.Fatalf("first run: %+v", j.Counts)
	}
	group := viaGroup.Steps[0].GroupID
	u, _ := sim.LookupUser(viaGroup.UserID)
	if slices.Contains(sim.MembersOf(group), u.ID) {
		t.Fatalf("%s is still a member of %s", u.UserPrincipalName, group)
	}
	sim.AdvanceProcessing()
	if u, _ = sim.LookupUser(viaGroup.UserID); slices.ContainsFunc(u.LicenseStates, func(s tenantsim.LicenseState) bool { return s.AssignedByGroup == group }) {
		t.Fatalf("after processing %s still has a license from %s", u.UserPrincipalName, group)
	}
	du, _ := sim.LookupUser(direct.UserID)
	if len(du.DirectLicenses) != 0 {
		t.Fatalf("%s keeps direct licenses %+v", du.UserPrincipalName, du.DirectLicenses)
	}
	// The snapshot shows it at once, before any sync: the job read the users again.
	if su, err := d.App.Store.User(ctx, direct.UserID); err != nil || len(su.AssignedLicenses) != 0 {
		t.Fatalf("before a sync the snapshot still has %s with %+v (%v)", du.UserPrincipalName, su.AssignedLicenses, err)
	}

	if _, err := d.App.Syncer.Run(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := d.App.Health.PlanCleanup(ctx, health.Options{}, kinds, health.GroupsRemove)
	if err != nil {
		t.Fatal(err)
	}
	for _, cu := range after.Users {
		if cu.UserID == viaGroup.UserID && slices.ContainsFunc(cu.Steps, func(s health.CleanupStep) bool { return s.GroupID == group }) || cu.UserID == direct.UserID {
			t.Errorf("after the refresh the plan still has %s: %+v", cu.UPN, cu.Steps)
		}
	}

	before := sim.UsersTruth()
	j = run() // the old plan again: everything is done already
	if j.Counts[health.CleanupDone] != 2 {
		t.Fatalf("second run: %+v", j.Counts)
	}
	items, err := d.App.Store.JobItems(ctx, j.ID, model.JobItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items.Items {
		if !strings.Contains(it.Summary, "already") && !strings.Contains(it.Summary, "no longer a member") {
			t.Errorf("second run, %s: %q", it.Name, it.Summary)
		}
	}
	sim.AdvanceProcessing()
	for i, u := range sim.UsersTruth() {
		if len(u.AssignedLicenses) != len(before[i].AssignedLicenses) {
			t.Errorf("the second run changed %s's licenses", u.UserPrincipalName)
		}
	}
}
