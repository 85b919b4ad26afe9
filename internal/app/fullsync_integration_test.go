package app_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/graph"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/snapshot"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// A full sync reads the users by paging GET /users, which is not a stable read while the
// directory changes: these tests change the tenant in the middle of a full sync and check that
// nothing is lost.

// meddler is the real Graph client with hooks into a full sync's reads.
type meddler struct {
	*graph.Client
	// afterPage runs after the nth page of users went to the sync.
	afterPage func(n int, users []model.User)
	// afterCounts runs after the member counts were read; the users wait for it.
	afterCounts func()
	counted     chan struct{}
	once        sync.Once
}

func (m *meddler) UsersWithSignIns(ctx context.Context, fn func([]model.User, []model.SignIn) error) error {
	if m.counted != nil {
		<-m.counted
	}
	n := 0
	return m.Client.UsersWithSignIns(ctx, func(users []model.User, signIns []model.SignIn) error {
		n++
		if err := fn(users, signIns); err != nil {
			return err
		}
		if m.afterPage != nil {
			m.afterPage(n, users)
		}
		return nil
	})
}

func (m *meddler) MemberCounts(ctx context.Context, ids []string, countUsers func(string) bool, progress func(int)) (map[string]model.MemberCounts, error) {
	counts, err := m.Client.MemberCounts(ctx, ids, countUsers, progress)
	m.once.Do(func() { // the first counts, not a recount
		if m.afterCounts != nil {
			m.afterCounts()
		}
		if m.counted != nil {
			close(m.counted)
		}
	})
	return counts, err
}

func (e *deltaEnv) meddledFullSync(t *testing.T, m *meddler) model.SyncRun {
	t.Helper()
	m.Client = e.client
	st := storetest.Open(t)
	s := snapshot.New(m, st, nil)
	s.FullEvery = -1
	run, err := s.RunMode(context.Background(), snapshot.Full)
	if err != nil {
		t.Fatal(err)
	}
	// The refresh after it brings in what changed meanwhile: then it equals a full sync's.
	if run := e.run(t, st, snapshot.Auto); run.Kind != model.SyncIncremental {
		t.Fatalf("refresh after the full sync ran as %q: %s", run.Kind, run.Note)
	}
	if d := rowDiff(snapshotRows(t, st), snapshotRows(t, e.fullSync(t))); d != "" {
		t.Errorf("after a full sync during which the tenant changed, and a refresh, the snapshot differs from a full sync's:\n%s", d)
	}
	return run
}

// Users deleted while the pages are read shift the pages after them (the simulated tenant
// pages by offset, the most conservative reading of Graph's undocumented behaviour): the users
// the shift hides must still be in the snapshot.
func TestFullSyncKeepsUsersWhenOthersAreDeletedMeanwhile(t *testing.T) {
	testkit.Slow(t, "syncs a simulated tenant")
	e := newDeltaEnv(t, tenantsim.Config{Seed: 11, Users: 2600, Groups: 60, LicensedGroups: 15}, 0)
	var deleted []string
	run := e.meddledFullSync(t, &meddler{afterPage: func(n int, users []model.User) {
		if n != 1 {
			return
		}
		for _, u := range users[:40] {
			if err := e.sim.Tenant.DeleteUser(u.ID, tenantsim.Actor{AppID: "test", DisplayName: "test"}); err != nil {
				t.Error(err)
			}
			deleted = append(deleted, u.ID)
		}
	}})
	if len(deleted) == 0 {
		t.Fatal("no user was deleted during the sync")
	}
	// Every user there is now, and those deleted after they were read.
	if want := len(e.sim.Tenant.UsersTruth()) + len(deleted); run.Users != want {
		t.Errorf("the full sync wrote %d users, want %d", run.Users, want)
	}
}

// A user joins a licensed group with a nested group after its members were counted and before
// the users are read: counted members (users + the nested group) then equal the users whose
// license states name the group, which must not hide the nested group.
func TestFullSyncFindsNestedGroupWhenAUserJoinsMeanwhile(t *testing.T) {
	testkit.Slow(t, "syncs a simulated tenant")
	e := newDeltaEnv(t, tenantsim.Config{Seed: 12, Users: 1500, Groups: 60, LicensedGroups: 15}, 0)
	ten := e.sim.Tenant
	by := tenantsim.Actor{AppID: "test", DisplayName: "test"}
	groups := ten.LicensedGroupTruth()
	var parent, child tenantsim.GroupTruth
	for _, g := range groups {
		if g.Members == g.Users && g.ID != ten.Scenarios.A1Group && (parent.ID == "" || g.Users < parent.Users) {
			parent = g
		}
	}
	for _, g := range groups {
		if g.ID != parent.ID {
			child = g
			break
		}
	}
	if err := ten.AddMember(parent.ID, child.ID, by); err != nil {
		t.Fatal(err)
	}
	ten.AdvanceProcessing()
	members := ten.MembersOf(parent.ID)
	var joiner string
	for _, u := range ten.UsersTruth() {
		if !slices.Contains(members, u.ID) {
			joiner = u.ID
			break
		}
	}
	run := e.meddledFullSync(t, &meddler{counted: make(chan struct{}), afterCounts: func() {
		if err := ten.AddMember(parent.ID, joiner, by); err != nil {
			t.Error(err)
		}
		ten.AdvanceProcessing()
	}})
	if run.Status != model.SyncSucceeded {
		t.Fatalf("sync: %+v", run)
	}
	rows := snapshotRows(t, e.fullSync(t))["snapshot_nested_groups"]
	if !slices.ContainsFunc(rows, func(r string) bool { return strings.Contains(r, parent.ID) && strings.Contains(r, child.ID) }) {
		t.Fatalf("a full sync of the tenant as it is now does not find %s nested in %s: %q", child.ID, parent.ID, rows)
	}
}
