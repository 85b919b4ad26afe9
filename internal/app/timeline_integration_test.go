package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/live"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// TestLicenseTimeline: a user created this month has the licenses they got in their timeline,
// read live from the simulated tenant's audit log through the real client and named; removing
// one adds a "removed" entry by whoever did it; a group's template change shows on its own.
func TestLicenseTimeline(t *testing.T) {
	ctx := context.Background()
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 7}})
	sim := d.Sim.Tenant
	var u tenantsim.User
	for _, c := range sim.UsersTruth() {
		if len(c.AssignedLicenses) > 0 && len(c.DirectLicenses) > 0 && time.Since(c.CreatedDateTime) < 20*24*time.Hour {
			u = c
			break
		}
	}
	if u.ID == "" {
		t.Fatal("no user with a direct license created in the last 20 days")
	}
	timeline := func() []licensing.TimelineEntry {
		t.Helper()
		lu := d.App.Live.User(ctx, u.ID)
		if lu.Err != nil {
			t.Fatal(lu.Err)
		}
		mu, err := d.App.Store.User(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := licensing.LoadExplainer(ctx, d.App.Store, []model.User{mu}, lu.All)
		if err != nil {
			t.Fatal(err)
		}
		return ex.Timeline(lu.All, mu.LicenseStates)
	}
	tl := timeline()
	if len(tl) == 0 {
		t.Fatal("empty timeline")
	}
	first := tl[len(tl)-1]
	var added []string
	for _, a := range first.Added {
		added = append(added, a.SKU.ID)
		if a.SKU.Name == "" || a.SKU.Name == a.SKU.ID {
			t.Errorf("license %s has no name", a.SKU.ID)
		}
	}
	for _, l := range u.AssignedLicenses {
		if !slices.Contains(added, strings.ToLower(l.SKUID)) {
			t.Errorf("the first entry %+v lacks %s", first, l.SKUID)
		}
	}

	sku := u.DirectLicenses[0].SKUID
	if _, err := sim.AssignUserLicenses(u.ID, nil, []string{sku}, tenantsim.Actor{DisplayName: "Timeline test"}); err != nil {
		t.Fatal(err)
	}
	tl = timeline()
	if len(tl[0].Removed) != 1 || tl[0].Removed[0].ID != strings.ToLower(sku) || tl[0].By != "Timeline test" {
		t.Fatalf("after removing %s: %+v", sku, tl[0])
	}

	g := sim.Scenarios.ActiveWithErrorGroup // its template changed two days ago
	lg := d.App.Live.Group(ctx, g, nil, live.AuditRead{})
	if lg.GroupAuditErr != nil {
		t.Fatal(lg.GroupAuditErr)
	}
	ex, _ := licensing.LoadExplainer(ctx, d.App.Store, nil, nil)
	gtl := ex.Timeline(lg.GroupEvents, nil)
	if !slices.ContainsFunc(gtl, func(e licensing.TimelineEntry) bool {
		return e.Activity == licensing.ActivitySetGroupLicense && slices.ContainsFunc(e.Added, func(l licensing.TimelineLicense) bool { return l.SKU.Name == "Visio Plan 2" })
	}) {
		t.Errorf("the group's timeline lacks Visio Plan 2 joining its template: %+v", gtl)
	}
}
