package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
	// changedErr, when set, is ChangedSince's answer.
	changedErr error
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

// Users is the read without sign-in activity (a tenant without Entra ID P1).
func (m *meddler) Users(ctx context.Context, fn func([]model.User) error) error {
	n := 0
	return m.Client.Users(ctx, func(users []model.User) error {
		n++
		if err := fn(users); err != nil {
			return err
		}
		if m.afterPage != nil {
			m.afterPage(n, users)
		}
		return nil
	})
}

func (m *meddler) ChangedSince(ctx context.Context, usersLink, groupsLink string) (model.Changed, error) {
	if m.changedErr != nil {
		return model.Changed{}, m.changedErr
	}
	return m.Client.ChangedSince(ctx, usersLink, groupsLink)
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
	if m.Client == nil {
		m.Client = e.client
	}
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
// the shift hides must still be in the snapshot, whether the pages carry sign-in activity or
// (a tenant without Entra ID P1) not.
func TestFullSyncKeepsUsersWhenOthersAreDeletedMeanwhile(t *testing.T) {
	testkit.Slow(t, "syncs a simulated tenant")
	for _, free := range []bool{false, true} {
		t.Run(map[bool]string{false: "with sign-ins", true: "without Entra ID P1"}[free], func(t *testing.T) {
			e := newDeltaEnv(t, tenantsim.Config{Seed: 11, Users: 2600, Groups: 60, LicensedGroups: 15, EntraIDFree: free}, 0)
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
		})
	}
}

// Random changes in the middle of a full sync (attribute edits, licenses added and removed,
// joins and leaves, users deleted, a template change, units bought): the refresh after it gives
// what a full sync gives.
func TestFullSyncWithChangesMeanwhile(t *testing.T) {
	testkit.Slow(t, "syncs a simulated tenant")
	for seed := int64(1); seed <= 2; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			e := newDeltaEnv(t, tenantsim.Config{Seed: 30 + seed, Users: 2200, Groups: 80, LicensedGroups: 20}, 0)
			var cs tenantsim.ChangeSet
			e.meddledFullSync(t, &meddler{afterPage: func(n int, _ []model.User) {
				if n == 2 {
					var err error
					if cs, err = e.sim.Tenant.ApplyChanges(0.03, seed); err != nil {
						t.Error(err)
					}
					e.sim.Tenant.AdvanceProcessing()
				}
			}})
			if cs.Users == 0 {
				t.Fatal("nothing changed during the sync")
			}
			t.Logf("changed during the sync: %+v", cs)
		})
	}
}

// When asking what changed during the sync fails, the sync fails and the previous snapshot stays
// current: the new one might lack users the pages skipped.
func TestFullSyncFailsWhenChangesCannotBeRead(t *testing.T) {
	testkit.Slow(t, "syncs a simulated tenant")
	e := newDeltaEnv(t, tenantsim.Config{Seed: 13, Users: 600, Groups: 30, LicensedGroups: 8}, 0)
	st := e.fullSync(t)
	before, err := st.CurrentSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	gone := &model.GraphError{Kind: model.GraphOther, Op: "read what changed during the sync", Status: 410, Message: "resync required"}
	s := snapshot.New(&meddler{Client: e.client, changedErr: gone}, st, nil)
	run, err := s.RunMode(context.Background(), snapshot.Full)
	if !errors.Is(err, gone) || run.Status != model.SyncFailed || !strings.Contains(run.Error, "resync required") {
		t.Fatalf("run %+v, err %v; want it failed with %v", run, err, gone)
	}
	after, err := st.CurrentSnapshot(context.Background())
	if err != nil || after.ID != before.ID {
		t.Fatalf("current snapshot %+v (%v), want still %+v", after, err, before)
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

// A user leaves a processed licensed group; the group is queued (the leaver keeps the
// group's state until processing). A full sync reads that; the group is processed; a refresh
// must then equal a full sync.
func TestFullSyncWhileAGroupIsQueuedAfterALeave(t *testing.T) {
	testkit.Slow(t, "syncs a simulated tenant")
	const delay = 10 * time.Minute
	e := newDeltaEnv(t, tenantsim.Config{Seed: 21, Users: 1500, Groups: 60, LicensedGroups: 15, ProcessingDelay: delay}, 0)
	ten := e.sim.Tenant
	by := tenantsim.Actor{AppID: "test", DisplayName: "test"}
	var g tenantsim.GroupTruth
	for _, x := range ten.LicensedGroupTruth() {
		if x.State == "ProcessingComplete" && x.Users > 3 && x.ID != ten.Scenarios.A1Group {
			g = x
			break
		}
	}
	var leaver string
	for _, m := range ten.MembersOf(g.ID) {
		for _, u := range ten.UsersTruth() {
			if u.ID == m && slices.ContainsFunc(u.LicenseStates, func(s tenantsim.LicenseState) bool { return s.AssignedByGroup == g.ID }) {
				leaver = m
			}
		}
		if leaver != "" {
			break
		}
	}
	if leaver == "" {
		t.Fatal("no member holds a license from a processed group")
	}
	if err := ten.RemoveMember(g.ID, leaver, by); err != nil {
		t.Fatal(err)
	}
	inc := e.fullSync(t) // the group queued, the leaver's state still there
	e.clock.Add(delay + time.Second)
	if run := e.run(t, inc, snapshot.Auto); run.Kind != model.SyncIncremental {
		t.Fatalf("%s", run.Note)
	}
	if d := rowDiff(snapshotRows(t, inc), snapshotRows(t, e.fullSync(t))); d != "" {
		t.Errorf("refresh after the leaver's group was processed differs from a full sync:\n%s", d)
	}
}
