package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Snapshot k of TestReadsAreConsistentWhileSaving is self-describing: every figure a read
// returns follows from k, and every name carries it, so a read that mixes two snapshots (or
// half-sees a pruned one) shows.
var consistencyBase = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func consistencyGroups(k int) int   { return 3 + k%5 }
func consistencyLicenses(k int) int { return 1 + k%3 }
func consistencyUsers(k int) int    { return 8 + k%7 }

// consistencyErrors is how many users of snapshot k are in error from group j: the even ones
// of those the group assigns.
func consistencyErrors(k, j int) int {
	n := 0
	for i := range consistencyUsers(k) {
		if i%consistencyGroups(k) == j && i%2 == 0 {
			n++
		}
	}
	return n
}

func consistencyTenant(k int) model.Snapshot {
	snap := model.Snapshot{TakenAt: consistencyBase.Add(time.Duration(k) * time.Second), MemberCounts: map[string]model.MemberCounts{}}
	for i := range 3 {
		snap.SKUs = append(snap.SKUs, model.SKU{ID: testGUID(1, i), PartNumber: fmt.Sprintf("PART_%d", i),
			ServicePlans: []model.ServicePlan{{ID: testGUID(2, i), Name: fmt.Sprintf("PLAN_%d", i)}}})
	}
	for j := range consistencyGroups(k) {
		g := model.Group{ID: fmt.Sprintf("g-%d", j), DisplayName: fmt.Sprintf("snap %d group %d", k, j),
			ProcessingState: model.ProcessingComplete}
		for l := range consistencyLicenses(k) {
			g.AssignedLicenses = append(g.AssignedLicenses, model.AssignedLicense{SKUID: testGUID(1, l),
				DisabledPlans: []string{testGUID(2, l)}})
		}
		snap.Groups = append(snap.Groups, g)
		snap.MemberCounts[g.ID] = model.MemberCounts{All: k, Users: k}
	}
	for i := range consistencyUsers(k) {
		u := model.User{ID: fmt.Sprintf("u-%d", i), DisplayName: fmt.Sprintf("snap %d user %d", k, i),
			UserPrincipalName: fmt.Sprintf("u%d@x", i)}
		st := model.LicenseState{SKUID: testGUID(1, 0), AssignedByGroup: fmt.Sprintf("g-%d", i%consistencyGroups(k)),
			State: model.StateActive}
		if i%2 == 0 {
			st.State, st.Error = model.StateError, model.ErrorCountViolation
		} else {
			u.AssignedLicenses = []model.AssignedLicense{{SKUID: st.SKUID}}
		}
		u.LicenseStates = []model.LicenseState{st}
		snap.Users = append(snap.Users, u)
	}
	return snap
}

// snapOf is the k in a name "snap k ...".
func snapOf(name string) int {
	var k int
	if _, err := fmt.Sscanf(name, "snap %d ", &k); err != nil {
		return -1
	}
	return k
}

// Reads that take several queries see one snapshot, whole, while another goroutine saves
// snapshots (pruning old ones) and updates users of the current one in place; and they never
// wait for or fail on the writer's lock.
func TestReadsAreConsistentWhileSaving(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	mustSave(t, st, 0, consistencyTenant(0))

	saves := 300
	if testing.Short() {
		saves = 60
	}
	var failures, reads atomic.Int64
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 10 {
			t.Errorf(format, args...)
		}
	}
	readErr := func(what string, err error) {
		var se sqlite3.Error
		if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
			fail("%s waited for the writer and gave up: %v", what, err)
			return
		}
		fail("%s: %v", what, err)
	}

	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		for k := 1; k <= saves; k++ {
			if err := st.SaveSnapshot(ctx, 0, consistencyTenant(k)); err != nil {
				fail("save %d: %v", k, err)
				return
			}
			// Users added in place change the current snapshot's counts between its reads too.
			for m := range 2 {
				extra := model.User{ID: fmt.Sprintf("x-%d", m), DisplayName: fmt.Sprintf("snap %d user extra %d", k, m)}
				if err := st.UpdateUsers(ctx, []model.User{extra}, nil); err != nil {
					fail("update users of %d: %v", k, err)
					return
				}
			}
		}
	})

	checks := []func(){
		func() {
			p, err := st.GroupReport(ctx, model.GroupReportQuery{PageSize: MaxPageSize})
			if err != nil {
				readErr("group report", err)
				return
			}
			if len(p.Rows) == 0 {
				fail("group report: no rows, total %d", p.Total)
				return
			}
			k := snapOf(p.Rows[0].DisplayName)
			if p.Total != len(p.Rows) || p.Total != consistencyGroups(k) {
				fail("group report of snapshot %d: total %d, %d rows, want %d", k, p.Total, len(p.Rows), consistencyGroups(k))
			}
			for _, r := range p.Rows {
				if snapOf(r.DisplayName) != k || r.MemberCount != k || len(r.Licenses) != consistencyLicenses(k) {
					fail("group report of snapshot %d: row %+v", k, r)
				}
			}
		},
		func() {
			d, err := st.GroupDetail(ctx, "g-0")
			if err != nil {
				readErr("group detail", err)
				return
			}
			k := int(d.SnapshotAt.Sub(consistencyBase) / time.Second)
			if snapOf(d.DisplayName) != k || d.MemberCount != k || d.ErrorCount != consistencyErrors(k, 0) ||
				len(d.Licenses) != consistencyLicenses(k) || len(d.Template) != consistencyLicenses(k) {
				fail("group detail of snapshot %d: %+v", k, d)
			}
			for _, tl := range d.Template {
				if len(tl.DisabledPlans) != 1 {
					fail("group detail of snapshot %d: template %+v", k, tl)
				}
			}
		},
		func() {
			res, err := st.SearchUsers(ctx, "snap", 0, MaxUserSearch)
			if err != nil {
				readErr("search users", err)
				return
			}
			if len(res.Users) == 0 {
				fail("search users: no users, total %d", res.Total)
				return
			}
			k := snapOf(res.Users[0].DisplayName)
			if res.Total != len(res.Users) || res.Total < consistencyUsers(k) {
				fail("search users in snapshot %d: total %d, %d users, want at least %d", k, res.Total, len(res.Users), consistencyUsers(k))
			}
			for _, h := range res.Users {
				if snapOf(h.DisplayName) != k {
					fail("search users in snapshot %d: %q", k, h.DisplayName)
				}
			}
		},
		func() {
			o, err := st.Overview(ctx)
			if err != nil {
				readErr("overview", err)
				return
			}
			k := int(o.SnapshotAt.Sub(consistencyBase) / time.Second)
			if o.LicensedGroups != consistencyGroups(k) || o.Users < consistencyUsers(k) || len(o.SKUs) != 3 {
				fail("overview of snapshot %d: %+v", k, o)
			}
		},
		func() {
			users, err := st.UsersInErrorForGroup(ctx, "g-0")
			if err != nil {
				readErr("users in error", err)
				return
			}
			k := -1
			for _, u := range users {
				if k == -1 {
					k = snapOf(u.DisplayName)
				}
				if snapOf(u.DisplayName) != k || len(u.LicenseStates) != 1 {
					fail("users in error of snapshot %d: %+v", k, u)
				}
			}
			if k != -1 && len(users) != consistencyErrors(k, 0) {
				fail("users in error of snapshot %d: %d, want %d", k, len(users), consistencyErrors(k, 0))
			} else if k == -1 {
				fail("users in error: none") // every snapshot has some in g-0
			}
		},
	}
	for r := range 2 {
		wg.Go(func() {
			for i := r; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				checks[i%len(checks)]()
				reads.Add(1)
			}
		})
	}
	wg.Wait()
	t.Logf("%d saves, %d reads, %d inconsistent or failed", saves, reads.Load(), failures.Load())
	if n := failures.Load(); n > 10 {
		t.Errorf("... and %d more", n-10)
	}
}

// A read transaction takes no write lock: a sync is saved (twice, pruning the snapshot being
// read) while a CSV export is half-way through, and the export still gets every row of the
// snapshot it started on. The other way round, reads go on while a write transaction is open.
func TestReadAndWriteDoNotWaitForEachOther(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	mustSave(t, st, 0, consistencyTenant(4))

	started, release := make(chan struct{}), make(chan struct{})
	var rows []model.GroupReportRow
	exported := make(chan error, 1)
	go func() {
		exported <- st.EachGroupReportRow(ctx, model.GroupReportQuery{}, func(r model.GroupReportRow) error {
			if len(rows) == 0 {
				close(started)
				<-release
			}
			rows = append(rows, r)
			return nil
		})
	}()
	select {
	case <-started:
	case err := <-exported:
		t.Fatalf("export ended before its first row: %v", err)
	}
	saved := make(chan error, 1)
	go func() {
		for k := 5; k <= 6; k++ {
			if err := st.SaveSnapshot(ctx, 0, consistencyTenant(k)); err != nil {
				saved <- err
				return
			}
		}
		saved <- nil
	}()
	select {
	case err := <-saved:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("saving waited for a read transaction")
	}
	close(release)
	if err := <-exported; err != nil {
		t.Fatal(err)
	}
	if len(rows) != consistencyGroups(4) {
		t.Errorf("export of a snapshot pruned while it ran: %d rows, want %d", len(rows), consistencyGroups(4))
	}
	for _, r := range rows {
		if snapOf(r.DisplayName) != 4 || len(r.Licenses) != consistencyLicenses(4) {
			t.Errorf("export of snapshot 4: row %+v", r)
		}
	}

	// A write transaction held open: reads neither wait for it nor see it.
	inWrite, endWrite := make(chan struct{}), make(chan struct{})
	wrote := make(chan error, 1)
	go func() {
		wrote <- st.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE snapshot_groups SET member_count = -1`); err != nil {
				return err
			}
			close(inWrite)
			<-endWrite
			return errors.New("rolled back on purpose")
		})
	}()
	<-inWrite
	readCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	p, err := st.GroupReport(readCtx, model.GroupReportQuery{})
	close(endWrite)
	if err != nil {
		t.Fatalf("read during a write transaction: %v", err)
	}
	if p.Total != consistencyGroups(6) || p.Rows[0].MemberCount != 6 {
		t.Errorf("read during a write transaction: %+v", p)
	}
	<-wrote
}

// However a read ends (an error, a panic, its context cancelled), its transaction ends with it:
// the connection goes back to the pool out of any transaction, so the next read on it sees
// the newest snapshot rather than the old one.
func TestReadEndsItsTransaction(t *testing.T) {
	st := openTest(t)
	st.rdb.SetMaxOpenConns(1) // every read on the one connection the failed read used
	ctx := context.Background()
	k := 0
	save := func() {
		t.Helper()
		k++
		mustSave(t, st, 0, consistencyTenant(k))
	}
	save()
	query := func(ctx context.Context, q querier) error {
		_, err := currentSnapshot(ctx, q)
		return err
	}
	cases := map[string]func() error{
		"error": func() error {
			return st.read(ctx, func(q querier) error {
				if err := query(ctx, q); err != nil {
					return err
				}
				return errors.New("boom")
			})
		},
		"panic": func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panicked: %v", r)
				}
			}()
			return st.read(ctx, func(q querier) error {
				if err := query(ctx, q); err != nil {
					return err
				}
				panic("boom")
			})
		},
		"cancelled": func() error {
			ctx, cancel := context.WithCancel(ctx)
			return st.read(ctx, func(q querier) error {
				if err := query(ctx, q); err != nil {
					return err
				}
				cancel()
				return query(ctx, q)
			})
		},
		"rows left open": func() error {
			return st.read(ctx, func(q querier) error {
				_, err := q.QueryContext(ctx, `SELECT id FROM snapshot_groups`) // never closed, on purpose
				return err
			})
		},
	}
	for name, read := range cases {
		if err := read(); err == nil && name != "rows left open" {
			t.Errorf("%s: read succeeded", name)
		}
		save()
		// A connection still held by the failed read would block the pool: fail, do not hang.
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		info, err := st.CurrentSnapshot(ctx)
		if err != nil {
			t.Fatalf("after a read that ended with %s: %v", name, err)
		}
		if want := consistencyBase.Add(time.Duration(k) * time.Second); !info.TakenAt.Equal(want) {
			t.Errorf("after a read that ended with %s: current snapshot taken %v, want %v (a stale transaction)", name, info.TakenAt, want)
		}
		if _, err := st.GroupReport(ctx, model.GroupReportQuery{}); err != nil {
			t.Errorf("after a read that ended with %s: %v", name, err)
		}
	}
}
