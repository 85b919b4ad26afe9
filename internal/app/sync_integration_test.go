package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/snapshot"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// checkAgainstTruth compares the current snapshot's report with the simulator's own state.
func checkAgainstTruth(t *testing.T, st *store.Store, sim *tenantsim.Tenant) {
	t.Helper()
	ctx := context.Background()
	truth := sim.LicensedGroupTruth()
	page, err := st.GroupReport(ctx, model.GroupReportQuery{PageSize: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != len(truth) {
		t.Errorf("report lists %d licensed groups, the tenant has %d", page.Total, len(truth))
	}
	for _, g := range truth {
		d, err := st.GroupDetail(ctx, g.ID)
		if err != nil {
			t.Errorf("group %s (%s): %v", g.DisplayName, g.ID, err)
			continue
		}
		if d.MemberCount != g.Members || d.UserCount != g.Users || d.ErrorCount != g.Errors {
			t.Errorf("group %s: report members/users/errors = %d/%d/%d, truth %d/%d/%d",
				g.DisplayName, d.MemberCount, d.UserCount, d.ErrorCount, g.Members, g.Users, g.Errors)
		}
		if len(d.Template) != len(g.Licenses) {
			t.Errorf("group %s: template has %d licenses, truth %d", g.DisplayName, len(d.Template), len(g.Licenses))
		}
	}
}

func TestReportCountsEqualTheSimulatorsTruth(t *testing.T) {
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 7}})
	checkAgainstTruth(t, d.App.Store, d.Sim.Tenant)

	// The A1 scenario must be visible with friendly names and errors.
	detail, err := d.App.Store.GroupDetail(context.Background(), d.Sim.Tenant.Scenarios.A1Group)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, l := range detail.Template {
		names[l.SKU.Name] = true
	}
	if !names["Office 365 A1 for faculty"] || !names["Office 365 A1 for students"] || detail.ErrorCount == 0 {
		t.Errorf("A1 group: template %v, %d errors; want both A1 names and errors", names, detail.ErrorCount)
	}
}

func TestSyncCompletesUnderThrottlingAndFaults(t *testing.T) {
	d := apptest.StartDemo(t, tenantsim.Options{
		Config:           tenantsim.Config{Seed: 11, Users: 3000, Groups: 120, LicensedGroups: 60},
		ThrottleRequests: 10,
		ThrottleWindow:   time.Second,
		FaultRate:        0.1,
		FaultSeed:        42,
	})
	stats := d.Sim.Stats()
	throttled, faults := stats.Total.Throttled, stats.Total.Errors
	if throttled == 0 || faults == 0 {
		t.Fatalf("the simulator throttled %d and failed %d requests: the test did not exercise retries", throttled, faults)
	}
	checkAgainstTruth(t, d.App.Store, d.Sim.Tenant)
	run, err := d.App.Store.LatestSyncRun(context.Background())
	if err != nil || run.Status != model.SyncSucceeded {
		t.Fatalf("latest run %+v, %v", run, err)
	}
	t.Logf("sync under 10 req/s throttling and 10%% faults: %d requests, %d throttled, %d faults, %s",
		run.Requests, throttled, faults, run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond))
}

func TestFailedSyncLeavesThePreviousSnapshotCurrent(t *testing.T) {
	ctx := context.Background()
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 5, Users: 4000, Groups: 40, LicensedGroups: 12}})
	before, err := d.App.Store.CurrentSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// A full sync: half-way through (the first page of users saved), every connection starts to
	// drop: the client's retries run out and the sync fails without touching the current
	// snapshot.
	updates, stop := d.App.Syncer.Subscribe()
	dropping := make(chan struct{})
	go func() {
		for p := range updates {
			if p.Running && p.Phase == snapshot.PhaseUsers && p.Done > 0 {
				d.Sim.SetKnobs(tenantsim.Knobs{DropRate: 1})
				close(dropping)
				break
			}
		}
		for range updates {
		}
	}()
	run, err := d.App.Syncer.RunMode(ctx, snapshot.Full)
	stop()
	select {
	case <-dropping:
	default:
		t.Fatal("the sync never saved a page of users")
	}
	if err == nil || run.Status != model.SyncFailed || !strings.Contains(run.Error, "read users") && !strings.Contains(run.Error, "count group members") {
		t.Fatalf("sync with connections dropped half-way: run %+v, err %v; want a failed run naming what it was reading", run, err)
	}
	after, err := d.App.Store.CurrentSnapshot(ctx)
	if err != nil || after.ID != before.ID {
		t.Fatalf("current snapshot after a failed sync = %+v (%v), want the previous %+v", after, err, before)
	}
	var unfinished int
	if err := d.App.Store.DB().QueryRow(`SELECT count(*) FROM snapshots WHERE complete = 0`).Scan(&unfinished); err != nil || unfinished != 0 {
		t.Errorf("the failed sync left %d unfinished snapshots (%v)", unfinished, err)
	}
	d.Sim.SetKnobs(tenantsim.Knobs{})
	checkAgainstTruth(t, d.App.Store, d.Sim.Tenant)
}

// A sync killed with its process is tested with a real child process in cmd/tenantdesk
// (TestRefreshKilledMidwayKeepsThePreviousSnapshot).
