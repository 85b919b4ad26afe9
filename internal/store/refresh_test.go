package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// snapshotRows is the current snapshot's rows by table (EachSnapshotRow).
func snapshotRows(t testing.TB, st *Store) map[string][]string {
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

// diffRows reports the first differences between two snapshots' rows; "" when equal.
func diffRows(a, b map[string][]string) string {
	var out []string
	for _, table := range slices.Sorted(func(yield func(string) bool) {
		seen := map[string]bool{}
		for k := range a {
			seen[k] = true
			if !yield(k) {
				return
			}
		}
		for k := range b {
			if !seen[k] && !yield(k) {
				return
			}
		}
	}) {
		x, y := a[table], b[table]
		if slices.Equal(x, y) {
			continue
		}
		onlyA, onlyB := minus(x, y), minus(y, x)
		out = append(out, fmt.Sprintf("%s: %d vs %d rows; only in the first %v; only in the second %v", table, len(x), len(y),
			head(onlyA), head(onlyB)))
	}
	return strings.Join(out, "\n")
}

func minus(a, b []string) []string {
	in := map[string]int{}
	for _, s := range b {
		in[s]++
	}
	var out []string
	for _, s := range a {
		if in[s] > 0 {
			in[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}

func head(xs []string) []string { return xs[:min(len(xs), 3)] }

// withGraphCounts marks the counts of processed groups as derived from license states, as the
// Graph client reports them.
func withGraphCounts(snap *model.Snapshot) {
	for _, g := range snap.Groups {
		c := snap.MemberCounts[g.ID]
		c.UsersFromStates = g.ProcessingState == model.ProcessingComplete
		snap.MemberCounts[g.ID] = c
	}
}

// changeTenant changes a copy of snap at random: users edited (names, departments, license
// states and errors), added and removed; group templates, states and counts; SKU units.
func changeTenant(r *rand.Rand, snap model.Snapshot) (next model.Snapshot, put []model.User, removed []string, counts map[string]model.MemberCounts) {
	next = snap
	next.SKUs = slices.Clone(snap.SKUs)
	for i := range next.SKUs {
		if r.IntN(3) == 0 {
			next.SKUs[i].Prepaid.Enabled += 10
			next.SKUs[i].ConsumedUnits++
		}
	}
	next.Groups = slices.Clone(snap.Groups)
	next.MemberCounts = map[string]model.MemberCounts{}
	counts = map[string]model.MemberCounts{}
	for k, v := range snap.MemberCounts {
		next.MemberCounts[k] = v
	}
	for i := range next.Groups {
		g := &next.Groups[i]
		switch r.IntN(8) {
		case 0:
			g.AssignedLicenses = append(slices.Clone(g.AssignedLicenses), model.AssignedLicense{SKUID: next.SKUs[r.IntN(len(next.SKUs))].ID})
			g.ProcessingState = model.ProcessingInProgress
		case 1:
			g.ProcessingState = model.ProcessingComplete
		case 2:
			c := model.MemberCounts{All: r.IntN(900), Users: r.IntN(800)}
			next.MemberCounts[g.ID], counts[g.ID] = c, c
		}
	}
	if r.IntN(2) == 0 { // a group stops assigning licenses
		next.Groups = next.Groups[1:]
	}
	next.Users = nil
	for i, u := range snap.Users {
		switch p := r.IntN(20); {
		case p == 0:
			removed = append(removed, u.ID)
			continue
		case p < 4:
			u.DisplayName += " (edited)"
			u.Department = []string{"Physics", "", "Ärzte"}[r.IntN(3)]
			u.LicenseStates = slices.Clone(u.LicenseStates)
			if len(u.LicenseStates) > 0 {
				st := &u.LicenseStates[r.IntN(len(u.LicenseStates))]
				if st.Error == model.ErrorNone {
					st.State, st.Error = model.StateError, model.ErrorCountViolation
				} else {
					st.State, st.Error = model.StateActive, model.ErrorNone
				}
			}
			put = append(put, u)
		case p == 4 && i%2 == 0:
			put = append(put, u) // read again unchanged: harmless
		}
		next.Users = append(next.Users, u)
	}
	for i := range 1 + r.IntN(5) {
		u := model.User{ID: testGUID(9, r.IntN(1<<30)<<8|i), DisplayName: fmt.Sprintf("New user %d", i),
			UserPrincipalName: fmt.Sprintf("new%d@contoso.example", i), UserType: "Member", AccountEnabled: true,
			Department: "Physics", UsageLocation: "FR"}
		if len(next.Groups) > 0 {
			g := next.Groups[r.IntN(len(next.Groups))]
			u.LicenseStates = []model.LicenseState{{SKUID: g.AssignedLicenses[0].SKUID, AssignedByGroup: g.ID, State: model.StateActive}}
			u.AssignedLicenses = []model.AssignedLicense{{SKUID: g.AssignedLicenses[0].SKUID}}
		}
		next.Users = append(next.Users, u)
		put = append(put, u)
	}
	withGraphCounts(&next)
	// Graph has no sign-in activity of a deleted user; an incremental refresh reads none of
	// new users (the next full sync does), and their account's age keeps them from counting as
	// never signed in meanwhile.
	present := map[string]bool{}
	for _, u := range next.Users {
		present[u.ID] = true
	}
	next.SignIns = slices.DeleteFunc(slices.Clone(snap.SignIns), func(si model.SignIn) bool { return !present[si.UserID] })
	for _, g := range next.Groups {
		if g.ProcessingState != model.ProcessingComplete {
			counts[g.ID] = next.MemberCounts[g.ID] // Graph counts the users of groups still processing
		}
	}
	return next, put, removed, counts
}

// TestRefreshEqualsFullSave: a snapshot refreshed in place with what changed holds exactly what
// a snapshot saved whole from the changed tenant holds, refresh after refresh.
func TestRefreshEqualsFullSave(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			tenant := genTenant(seed, 400, 25)
			withGraphCounts(&tenant)
			inc := openTest(t)
			if err := inc.SaveSnapshot(ctx, 0, tenant); err != nil {
				t.Fatal(err)
			}
			for round := range 4 {
				next, put, removed, counts := changeTenant(r, tenant)
				ref, err := inc.BeginRefresh(ctx, 0, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				// Staged in pages, with a removal later put back (a deleted user restored).
				if len(put) > 0 {
					if err := ref.RemoveUsers(ctx, []string{put[0].ID}); err != nil {
						t.Fatal(err)
					}
				}
				for p := range slices.Chunk(put, 7) {
					if err := ref.PutUsers(ctx, p); err != nil {
						t.Fatal(err)
					}
				}
				if err := ref.RemoveUsers(ctx, removed); err != nil {
					t.Fatal(err)
				}
				links := model.DeltaLinks{Users: fmt.Sprintf("u%d", round), Groups: fmt.Sprintf("g%d", round)}
				stats, err := ref.Commit(ctx, next.SKUs, next.Groups, counts, links)
				if err != nil {
					t.Fatal(err)
				}
				if stats.Removed != len(removed) || stats.Kept != 0 {
					t.Errorf("round %d: stats %+v, %d removed", round, stats, len(removed))
				}
				full := openTest(t)
				if err := full.SaveSnapshot(ctx, 0, next); err != nil {
					t.Fatal(err)
				}
				if d := diffRows(snapshotRows(t, inc), snapshotRows(t, full)); d != "" {
					t.Fatalf("round %d: refreshed snapshot differs from a full save:\n%s", round, d)
				}
				info, err := inc.CurrentSnapshot(ctx)
				if err != nil || info.Kind != model.SyncIncremental {
					t.Fatalf("after a refresh: %+v, %v", info, err)
				}
				if b, err := refreshBase(ctx, inc.rdb); err != nil || b.Links != links {
					t.Fatalf("links %+v, %v", b.Links, err)
				}
				tenant = next
			}
		})
	}
}

func TestRefreshLeavesNothingBehind(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	if _, err := st.BeginRefresh(ctx, 0, time.Time{}); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("refresh before any snapshot: %v", err)
	}
	tenant := genTenant(3, 2000, 40)
	withGraphCounts(&tenant)
	if err := st.SaveSnapshot(ctx, 0, tenant); err != nil {
		t.Fatal(err)
	}
	before := snapshotRows(t, st)
	// Aborted, and failed (cancelled), refreshes change nothing and leave no staged rows.
	ref, err := st.BeginRefresh(ctx, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.PutUsers(ctx, tenant.Users[:50]); err != nil {
		t.Fatal(err)
	}
	if err := ref.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	ref, _ = st.BeginRefresh(ctx, 0, time.Time{})
	_ = ref.PutUsers(ctx, tenant.Users[:50])
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ref.Commit(cctx, nil, nil, nil, model.DeltaLinks{}); err == nil {
		t.Fatal("a cancelled commit succeeded")
	}
	if d := diffRows(before, snapshotRows(t, st)); d != "" {
		t.Fatalf("aborted refreshes changed the snapshot:\n%s", d)
	}
	var snaps int
	if err := st.db.QueryRow(`SELECT count(*) FROM snapshots`).Scan(&snaps); err != nil || snaps != 1 {
		t.Fatalf("%d snapshots after aborted refreshes (%v)", snaps, err)
	}
	// Many refreshes: the database does not grow.
	r := rand.New(rand.NewPCG(5, 5))
	pages := func() int {
		var n, free int
		_ = st.db.QueryRow(`PRAGMA page_count`).Scan(&n)
		_ = st.db.QueryRow(`PRAGMA freelist_count`).Scan(&free)
		return n - free
	}
	var sizes []int
	for range 12 {
		next, put, removed, counts := changeTenant(r, tenant)
		ref, err := st.BeginRefresh(ctx, 0, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if err := ref.PutUsers(ctx, put); err != nil {
			t.Fatal(err)
		}
		if err := ref.RemoveUsers(ctx, removed); err != nil {
			t.Fatal(err)
		}
		if _, err := ref.Commit(ctx, next.SKUs, next.Groups, counts, model.DeltaLinks{}); err != nil {
			t.Fatal(err)
		}
		tenant = next
		var total int
		_ = st.db.QueryRow(`PRAGMA page_count`).Scan(&total)
		sizes = append(sizes, total)
	}
	if sizes[len(sizes)-1] > sizes[1]*11/10 {
		t.Errorf("database pages over 12 refreshes: %v (in use now %d): it grows with each refresh", sizes, pages())
	}
}

// TestNoStaleOverwrite: a sync (full or incremental) that began before a reprocess patched the
// current snapshot keeps the patched users and group states, not the older data it read.
func TestNoStaleOverwrite(t *testing.T) {
	ctx := context.Background()
	tenant := genTenant(8, 300, 10)
	withGraphCounts(&tenant)
	stale := tenant.Users[7]
	fresh := stale
	fresh.DisplayName = "Reprocessed just now"
	fresh.LicenseStates = []model.LicenseState{{SKUID: tenant.Groups[0].AssignedLicenses[0].SKUID, AssignedByGroup: tenant.Groups[0].ID,
		State: model.StateActive}}
	fresh.AssignedLicenses = []model.AssignedLicense{{SKUID: tenant.Groups[0].AssignedLicenses[0].SKUID}}
	staleState := tenant.Groups[0].ProcessingState
	patchedState := model.ProcessingInProgress
	if staleState == patchedState {
		patchedState = model.ProcessingQueued
	}
	check := func(t *testing.T, st *Store) {
		t.Helper()
		u, err := st.User(ctx, stale.ID)
		if err != nil || u.DisplayName != fresh.DisplayName || len(u.LicenseStates) != 1 {
			t.Fatalf("the patched user was overwritten by the sync: %+v, %v", u, err)
		}
		g, err := st.GroupDetail(ctx, tenant.Groups[0].ID)
		if err != nil || g.ProcessingState != patchedState {
			t.Fatalf("the patched group state was overwritten: %q (patched %q), %v", g.ProcessingState, patchedState, err)
		}
		other, err := st.User(ctx, tenant.Users[8].ID)
		if err != nil || other.DisplayName != "Read by the sync" {
			t.Fatalf("what the sync read of an unpatched user is missing: %+v, %v", other, err)
		}
		// What is derived from the patched user is derived from the patch.
		var sku, sortName, state string
		var n, via int
		if err := st.DB().QueryRowContext(ctx, `SELECT count(*), coalesce(max(sku_id), ''), coalesce(max(sort_name), ''), coalesce(max(via_groups), 0), coalesce(max(state), '')
			FROM snapshot_holders WHERE snapshot_id = (SELECT snapshot_id FROM current_snapshot) AND user_id = ?`, stale.ID).
			Scan(&n, &sku, &sortName, &via, &state); err != nil {
			t.Fatal(err)
		}
		if want := fresh.LicenseStates[0].SKUID; n != 1 || sku != want || sortName != fold(fresh.DisplayName) || via != 1 || state != model.StateActive {
			t.Fatalf("the patched user's holders: %d rows, %s %q via %d %s; want 1 row, %s %q via 1 %s",
				n, sku, sortName, via, state, want, fold(fresh.DisplayName), model.StateActive)
		}
	}
	patch := func(t *testing.T, st *Store) {
		t.Helper()
		if err := st.UpdateUsers(ctx, []model.User{fresh}, []model.GroupUpdate{{ID: tenant.Groups[0].ID, ProcessingState: patchedState}}); err != nil {
			t.Fatal(err)
		}
	}
	unpatched := tenant.Users[8]
	unpatched.DisplayName = "Read by the sync"

	t.Run("full sync", func(t *testing.T) {
		st := openTest(t)
		if err := st.SaveSnapshot(ctx, 0, tenant); err != nil {
			t.Fatal(err)
		}
		w, err := st.BeginSnapshot(ctx, 0, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddUsers(ctx, append([]model.User{stale, unpatched}, tenant.Users...)); err != nil {
			t.Fatal(err)
		}
		patch(t, st) // the reprocess finishes while the sync is reading
		if err := w.Commit(ctx, tenant.SKUs, tenant.Groups, tenant.MemberCounts); err != nil {
			t.Fatal(err)
		}
		check(t, st)
		// The patch was before this next sync began: it is not kept over newer data.
		w, _ = st.BeginSnapshot(ctx, 0, time.Time{})
		if err := w.AddUsers(ctx, tenant.Users); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(ctx, tenant.SKUs, tenant.Groups, tenant.MemberCounts); err != nil {
			t.Fatal(err)
		}
		if u, _ := st.User(ctx, stale.ID); u.DisplayName != stale.DisplayName {
			t.Fatalf("a patch older than the sync was kept: %q", u.DisplayName)
		}
	})
	t.Run("incremental refresh", func(t *testing.T) {
		st := openTest(t)
		if err := st.SaveSnapshot(ctx, 0, tenant); err != nil {
			t.Fatal(err)
		}
		ref, err := st.BeginRefresh(ctx, 0, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if err := ref.PutUsers(ctx, []model.User{stale, unpatched}); err != nil {
			t.Fatal(err)
		}
		patch(t, st)
		stats, err := ref.Commit(ctx, tenant.SKUs, tenant.Groups, nil, model.DeltaLinks{})
		if err != nil {
			t.Fatal(err)
		}
		if stats.Kept != 1 || stats.Changed != 1 {
			t.Errorf("stats %+v, want 1 kept and 1 changed", stats)
		}
		check(t, st)
		// Removing a patched user is a stale overwrite too.
		ref, _ = st.BeginRefresh(ctx, 0, time.Time{})
		_ = ref.RemoveUsers(ctx, []string{stale.ID})
		patch(t, st)
		if _, err := ref.Commit(ctx, tenant.SKUs, tenant.Groups, nil, model.DeltaLinks{}); err != nil {
			t.Fatal(err)
		}
		check(t, st)
	})
	t.Run("refresh of a replaced snapshot", func(t *testing.T) {
		st := openTest(t)
		if err := st.SaveSnapshot(ctx, 0, tenant); err != nil {
			t.Fatal(err)
		}
		ref, err := st.BeginRefresh(ctx, 0, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SaveSnapshot(ctx, 0, tenant); err != nil {
			t.Fatal(err)
		}
		before := snapshotRows(t, st)
		if _, err := ref.Commit(ctx, tenant.SKUs, nil, nil, model.DeltaLinks{}); err == nil || !strings.Contains(err.Error(), "replaced") {
			t.Fatalf("commit onto a replaced snapshot: %v", err)
		}
		if d := diffRows(before, snapshotRows(t, st)); d != "" {
			t.Fatal(d)
		}
	})
}

// A processed group whose membership changed only in users keeps its other members and counts
// its users from the license states (MemberCounts.KeepNonUsers): no count from Graph needed.
func TestRefreshKeepsNonUserMembers(t *testing.T) {
	ctx := context.Background()
	tenant := genTenant(3, 200, 10)
	withGraphCounts(&tenant)
	var g model.Group
	for _, x := range tenant.Groups {
		if x.ProcessingState == model.ProcessingComplete {
			g = x
			break
		}
	}
	if g.ID == "" {
		t.Fatal("no processed group")
	}
	st := openTest(t)
	if err := st.SaveSnapshot(ctx, 0, tenant); err != nil {
		t.Fatal(err)
	}
	before, err := refreshBase(ctx, st.rdb)
	if err != nil {
		t.Fatal(err)
	}
	old := before.Groups[g.ID]
	var leaver string
	for _, u := range tenant.Users {
		if slices.ContainsFunc(u.LicenseStates, func(s model.LicenseState) bool { return s.AssignedByGroup == g.ID }) {
			leaver = u.ID
			break
		}
	}
	joiners := []model.User{}
	for i := range 3 {
		joiners = append(joiners, model.User{ID: testGUID(8, i), DisplayName: fmt.Sprintf("Joiner %d", i), UserPrincipalName: fmt.Sprintf("j%d@contoso.example", i),
			LicenseStates: []model.LicenseState{{SKUID: g.AssignedLicenses[0].SKUID, AssignedByGroup: g.ID, State: model.StateActive}}})
	}
	ref, err := st.BeginRefresh(ctx, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.PutUsers(ctx, joiners); err != nil {
		t.Fatal(err)
	}
	if err := ref.RemoveUsers(ctx, []string{leaver}); err != nil {
		t.Fatal(err)
	}
	if _, err := ref.Commit(ctx, tenant.SKUs, tenant.Groups, map[string]model.MemberCounts{g.ID: {KeepNonUsers: true}}, model.DeltaLinks{}); err != nil {
		t.Fatal(err)
	}
	after, err := refreshBase(ctx, st.rdb)
	if err != nil {
		t.Fatal(err)
	}
	got := after.Groups[g.ID]
	if old.MemberCount <= old.UserCount {
		t.Fatalf("the group has no members but users (%d, %d): the test shows nothing", old.MemberCount, old.UserCount)
	}
	if got.UserCount != old.UserCount+2 || got.MemberCount != old.MemberCount+2 {
		t.Errorf("counts %d members, %d users; were %d and %d, want 2 more users and the same others", got.MemberCount, got.UserCount, old.MemberCount, old.UserCount)
	}
	// A group the snapshot does not have cannot keep what it never had.
	ref, err = st.BeginRefresh(ctx, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	newGroup := g
	newGroup.ID = testGUID(7, 1)
	if _, err := ref.Commit(ctx, tenant.SKUs, append(slices.Clone(tenant.Groups), newGroup), map[string]model.MemberCounts{newGroup.ID: {KeepNonUsers: true}}, model.DeltaLinks{}); err == nil {
		t.Error("KeepNonUsers of a new group was accepted")
	}
}

// DataVersion moves with every change of the current snapshot's data pages may have kept:
// a new snapshot, a refresh in place, a reprocess's re-read users, a template change, product
// names imported; and only then.
func TestDataVersionMovesWithTheData(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	if _, err := st.DataVersion(ctx); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("before a snapshot: %v", err)
	}
	tenant := genTenant(7, 60, 6)
	if err := st.SaveSnapshot(ctx, 0, tenant); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	step := func(what string) {
		t.Helper()
		v, err := st.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v2, _ := st.DataVersion(ctx); v2 != v {
			t.Errorf("%s: the version moved without a change (%s, %s)", what, v, v2)
		}
		if prev, ok := seen[v]; ok {
			t.Errorf("%s: version %s is that of %s", what, v, prev)
		}
		seen[v] = what
	}
	step("first snapshot")
	u := tenant.Users[0]
	u.DisplayName = "Renamed by a reprocess"
	if err := st.UpdateUsers(ctx, []model.User{u}, nil); err != nil {
		t.Fatal(err)
	}
	step("reprocess")
	skus := slices.Clone(tenant.SKUs)
	skus[0].ConsumedUnits++
	if err := st.UpdateSKUs(ctx, skus); err != nil {
		t.Fatal(err)
	}
	step("units re-read after a reprocess")
	g := tenant.Groups[0]
	g.AssignedLicenses = g.AssignedLicenses[:1]
	if err := st.SaveGroupTemplate(ctx, g, nil); err != nil {
		t.Fatal(err)
	}
	step("template change")
	if err := st.ReplaceProductCatalog(ctx, []model.Product{{SKUID: tenant.SKUs[0].ID, PartNumber: tenant.SKUs[0].PartNumber,
		DisplayName: "Renamed in the catalog"}}, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	step("product names imported")
	ref, err := st.BeginRefresh(ctx, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ref.Commit(ctx, tenant.SKUs, tenant.Groups, nil, model.DeltaLinks{Users: "u", Groups: "g"}); err != nil {
		t.Fatal(err)
	}
	step("incremental refresh")
	if err := st.SaveSnapshot(ctx, 0, tenant); err != nil {
		t.Fatal(err)
	}
	step("second snapshot")
}
