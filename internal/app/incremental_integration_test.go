package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/graph"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/snapshot"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// Incremental refresh against the simulated tenant, through the real Graph client: the
// snapshot an incremental refresh leaves must EQUAL a full sync's of the same tenant.

type deltaEnv struct {
	sim    *tenantsim.Server
	client *graph.Client
	clock  *testkit.Clock
}

func newDeltaEnv(t *testing.T, cfg tenantsim.Config, latency time.Duration) *deltaEnv {
	t.Helper()
	clock := testkit.NewClock(time.Now().UTC().Truncate(time.Second))
	cfg.Now = clock.Now
	sim := simtest.Start(t, tenantsim.Options{Config: cfg, Latency: latency})
	info := sim.Info()
	client, err := graph.New(graph.Config{TenantID: info.TenantID, ClientID: info.ClientID, ClientSecret: info.ClientSecret,
		GraphURL: info.GraphURL, AuthorityURL: info.AuthorityURL, CAFile: info.CAFile, MaxRetries: 10})
	if err != nil {
		t.Fatal(err)
	}
	return &deltaEnv{sim: sim, client: client, clock: clock}
}

// syncer refreshes st from the simulator; Auto never makes a full sync on its own.
func (e *deltaEnv) syncer(st *store.Store) *snapshot.Syncer {
	s := snapshot.New(e.client, st, nil)
	s.Requests = func() int64 { return e.client.Stats().Requests }
	s.FullEvery = -1
	return s
}

func (e *deltaEnv) run(t *testing.T, st *store.Store, mode snapshot.Mode) model.SyncRun {
	t.Helper()
	run, err := e.syncer(st).RunMode(context.Background(), mode)
	if err != nil {
		t.Fatalf("refresh (%v): %v", mode, err)
	}
	return run
}

// fullSync is a fresh database with a full sync of the tenant as it is now.
func (e *deltaEnv) fullSync(t *testing.T) *store.Store {
	t.Helper()
	st := storetest.Open(t)
	if run := e.run(t, st, snapshot.Full); run.Kind != model.SyncFull {
		t.Fatalf("full sync ran as %q", run.Kind)
	}
	return st
}

func snapshotRows(t *testing.T, st *store.Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	if err := st.EachSnapshotRow(context.Background(), func(table, row string) error {
		out[table] = append(out[table], row)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// rowDiff says how two snapshots differ, table by table, with a few rows of each side; "" when
// they hold the same.
func rowDiff(a, b map[string][]string) string {
	var out []string
	tables := map[string]bool{}
	for k := range a {
		tables[k] = true
	}
	for k := range b {
		tables[k] = true
	}
	for _, table := range slices.Sorted(func(yield func(string) bool) {
		for k := range tables {
			if !yield(k) {
				return
			}
		}
	}) {
		x, y := a[table], b[table]
		if slices.Equal(x, y) {
			continue
		}
		onlyX, onlyY := subtract(x, y), subtract(y, x)
		out = append(out, fmt.Sprintf("%s: %d rows vs %d; only in the refreshed snapshot %q; only in the full sync %q",
			table, len(x), len(y), onlyX[:min(3, len(onlyX))], onlyY[:min(3, len(onlyY))]))
	}
	return strings.Join(out, "\n")
}

func subtract(a, b []string) []string {
	in := map[string]int{}
	for _, s := range b {
		in[s]++
	}
	var out []string
	for _, s := range a {
		if in[s] > 0 {
			in[s]--
		} else {
			out = append(out, s)
		}
	}
	return out
}

// TestIncrementalRefreshEqualsFullSync is the property: over random change sets (attribute
// edits, direct licenses added and removed, groups joined and left, users deleted, a template
// change and units bought each round), with group processing caught queued, running or done,
// an incremental refresh of the snapshot gives exactly what a full sync of the tenant gives.
func TestIncrementalRefreshEqualsFullSync(t *testing.T) {
	testkit.Slow(t, "syncs a simulated tenant many times")
	const delay = 10 * time.Minute
	for seed := int64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			e := newDeltaEnv(t, tenantsim.Config{Seed: seed, Users: 2000, Groups: 150, LicensedGroups: 40, ProcessingDelay: delay}, 0)
			r := rand.New(rand.NewPCG(uint64(seed), 7))
			inc := e.fullSync(t)
			before := e.client.Stats().Requests
			if run := e.run(t, inc, snapshot.Auto); run.Kind != model.SyncIncremental {
				t.Fatalf("refresh after a full sync ran as %q: %s", run.Kind, run.Note)
			}
			// One $batch: subscriptions, licensed groups, both deltas (at most 4 is the target).
			if n := e.client.Stats().Requests - before; n > 1 {
				t.Errorf("an incremental refresh with nothing changed made %d requests, want 1", n)
			}
			for round := range 5 {
				share := []float64{0.002, 0.01, 0.03}[r.IntN(3)]
				cs, err := e.sim.Tenant.ApplyChanges(share, r.Int64())
				if err != nil {
					t.Fatal(err)
				}
				// Catch processing queued, running or done.
				e.clock.Add([]time.Duration{0, delay / 2, delay + time.Second}[r.IntN(3)])
				run := e.run(t, inc, snapshot.Auto)
				if run.Kind != model.SyncIncremental {
					t.Fatalf("round %d ran as %q: %s", round, run.Kind, run.Note)
				}
				full := e.fullSync(t)
				if d := rowDiff(snapshotRows(t, inc), snapshotRows(t, full)); d != "" {
					t.Fatalf("round %d (changes %+v; %s): the refreshed snapshot differs from a full sync:\n%s", round, cs, run.Note, d)
				}
				t.Logf("round %d: %d users changed (%+v): %d requests; %s", round, cs.Users, cs, run.Requests, run.Note)
			}
			info, err := inc.CurrentSnapshot(context.Background())
			if err != nil || info.Kind != model.SyncIncremental || !info.FullAt.Before(info.TakenAt) {
				t.Errorf("snapshot after refreshes: %+v, %v", info, err)
			}
		})
	}
}

// TestDeltaOnlyRefreshMissesLicenseStates shows why the refresh re-reads license states: after
// a template change that changes members' license states but not their assignedLicenses, a
// refresh that applied only what the delta queries report would keep the old states; the
// incremental refresh does not.
func TestDeltaOnlyRefreshMissesLicenseStates(t *testing.T) {
	e := newDeltaEnv(t, tenantsim.Config{Seed: 5, Users: 1200, Groups: 80, LicensedGroups: 25}, 0)
	ctx := context.Background()
	naive, inc := e.fullSync(t), e.fullSync(t)
	// A license without units joins a template: all-or-none fails it for every member and
	// keeps what they held (ActiveWithError), so their assignedLicenses stay as they were.
	ten := e.sim.Tenant
	var group tenantsim.GroupTruth
	for _, g := range ten.LicensedGroupTruth() {
		if g.Users > group.Users && g.ID != ten.Scenarios.A1Group && !slices.Contains(g.Licenses, ten.Scenarios.FacultySKU) {
			group = g
		}
	}
	if _, err := ten.AssignGroupLicenses(group.ID, []tenantsim.License{{SKUID: ten.Scenarios.FacultySKU}}, nil,
		tenantsim.Actor{AppID: "test", DisplayName: "test"}); err != nil {
		t.Fatal(err)
	}
	ten.AdvanceProcessing()

	// The refresh a naive client would make: apply the users delta, nothing else.
	ref, err := naive.BeginRefresh(ctx, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	base := ref.Base()
	usersLink, err := e.client.UsersDelta(ctx, base.Links.Users, func(users []model.User, removed []string) error {
		if err := ref.RemoveUsers(ctx, removed); err != nil {
			return err
		}
		return ref.PutUsers(ctx, users)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, groupsLink, err := e.client.GroupsDelta(ctx, base.Links.Groups)
	if err != nil {
		t.Fatal(err)
	}
	skus, err := e.client.SubscribedSKUs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := e.client.LicensedGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ref.Commit(ctx, skus, groups, nil, model.DeltaLinks{Users: usersLink, Groups: groupsLink}); err != nil {
		t.Fatal(err)
	}
	truth := e.fullSync(t)
	d := rowDiff(snapshotRows(t, naive), snapshotRows(t, truth))
	if !strings.Contains(d, "snapshot_user_states") {
		t.Fatalf("a delta-only refresh should miss the members' new license states; differences:\n%s", d)
	}
	stale, err := naive.UsersInErrorForGroup(ctx, group.ID)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := truth.UsersInErrorForGroup(ctx, group.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("delta-only refresh: %d members of %s in error, truth %d", len(stale), group.DisplayName, len(fresh))
	if len(fresh) == 0 || len(stale) == len(fresh) {
		t.Fatalf("members in error: delta-only %d, full sync %d", len(stale), len(fresh))
	}
	// The incremental refresh re-reads the group's members: equal to the full sync.
	if run := e.run(t, inc, snapshot.Auto); run.Kind != model.SyncIncremental {
		t.Fatalf("ran as %q", run.Kind)
	}
	if d := rowDiff(snapshotRows(t, inc), snapshotRows(t, truth)); d != "" {
		t.Fatalf("the incremental refresh differs from a full sync:\n%s", d)
	}
}

// When Graph no longer takes the delta token, or the daily full sync is due, a refresh reads
// the whole tenant and says why.
func TestRefreshFallsBackToFullSync(t *testing.T) {
	e := newDeltaEnv(t, tenantsim.Config{Seed: 6, Users: 800, Groups: 60, LicensedGroups: 20}, 0)
	st := e.fullSync(t)
	e.sim.API.ResetDelta()
	run := e.run(t, st, snapshot.Auto)
	if run.Kind != model.SyncFull || !strings.Contains(run.Note, "no longer accepted the delta token") || run.Status != model.SyncSucceeded {
		t.Fatalf("after a reset: %+v", run)
	}
	if run := e.run(t, st, snapshot.Auto); run.Kind != model.SyncIncremental {
		t.Fatalf("the full sync kept no usable links: %+v", run)
	}
	// A token older than seven days: Graph answers 410 as well.
	e.clock.Add(8 * 24 * time.Hour)
	if run := e.run(t, st, snapshot.Incremental); run.Kind != model.SyncFull {
		t.Fatalf("with an expired token: %+v", run)
	}
	s := e.syncer(st)
	s.FullEvery = time.Minute
	s.Now = func() time.Time { return time.Now().Add(time.Hour) }
	run, err := s.Run(context.Background())
	if err != nil || run.Kind != model.SyncFull || !strings.Contains(run.Note, "a full sync runs every 1m0s") {
		t.Fatalf("a due full sync: %+v, %v", run, err)
	}
	run, err = s.RunMode(context.Background(), snapshot.Incremental)
	if err != nil || run.Kind != model.SyncIncremental {
		t.Fatalf("incremental asked for while a full sync is due: %+v, %v", run, err)
	}
}
