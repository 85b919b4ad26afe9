package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestHealthData(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.HealthData(ctx); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("no snapshot yet: %v", err)
	}
	snap := genTenant(3, 300, 10)
	mustSave(t, st, 0, snap)
	d, err := st.HealthData(ctx)
	if err != nil || d.SignInsMissing != "" || d.SubscriptionsMissing != "" || len(d.SignIns) != len(snap.SignIns) ||
		len(d.Subscriptions) != len(snap.SKUs) {
		t.Fatalf("HealthData = %d sign-ins, %d subscriptions, missing %q/%q, %v", len(d.SignIns), len(d.Subscriptions),
			d.SignInsMissing, d.SubscriptionsMissing, err)
	}
	for _, si := range snap.SignIns {
		if got := d.SignIns[si.UserID]; !got.LastSuccessful.Equal(si.LastSuccessful) || !got.LastNonInteractive.IsZero() {
			t.Fatalf("user %s: %+v, saved %+v", si.UserID, got, si)
		}
	}
	// A snapshot saved without them says they were not read, rather than "nobody signed in".
	snap.Extras, snap.SignIns = nil, nil
	mustSave(t, st, 0, snap)
	if d, err := st.HealthData(ctx); err != nil || d.SignInsMissing != notRead || d.SubscriptionsMissing != notRead || len(d.SignIns) != 0 {
		t.Fatalf("without extras: %+v, %v", d, err)
	}
}

// The writer gathers users and sign-ins into batches: every one added is written exactly once,
// across batch boundaries and duplicates, and a batch that failed to write leaves the writer
// refusing to commit (what it held is lost) rather than saving a snapshot missing users.
func TestSnapshotWriterBatches(t *testing.T) {
	ctx := context.Background()
	snap := genTenant(5, 50, 4)
	begin := func(t *testing.T, st *Store) *SnapshotWriter {
		t.Helper()
		mw, err := st.BeginSnapshot(ctx, 0, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		w := mw.(*SnapshotWriter)
		w.writeBatch = 7
		return w
	}
	t.Run("every user and sign-in once", func(t *testing.T) {
		st := openTest(t)
		w := begin(t, st)
		for page := range slices.Chunk(snap.Users, 6) {
			// Each page again with the next, as overlapping Graph pages would be.
			if err := w.AddUsers(ctx, append(slices.Clone(page), snap.Users[:2]...)); err != nil {
				t.Fatal(err)
			}
		}
		var written int
		if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM snapshot_users WHERE snapshot_id = ?`, w.id).
			Scan(&written); err != nil || written == 0 || written == len(snap.Users) {
			t.Fatalf("before commit %d of %d users written (%v): want some batches, not all", written, len(snap.Users), err)
		}
		for page := range slices.Chunk(snap.SignIns, 5) {
			if err := w.AddSignIns(ctx, page); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Commit(ctx, snap.SKUs, snap.Groups, snap.MemberCounts); err != nil {
			t.Fatal(err)
		}
		if w.Users() != len(snap.Users) {
			t.Errorf("Users() = %d, want %d", w.Users(), len(snap.Users))
		}
		for _, u := range snap.Users {
			if _, err := st.User(ctx, u.ID); err != nil {
				t.Fatalf("user %s: %v", u.ID, err)
			}
		}
		d, err := st.HealthData(ctx)
		if err != nil || len(d.SignIns) != len(snap.SignIns) {
			t.Fatalf("%d sign-ins saved, want %d (%v)", len(d.SignIns), len(snap.SignIns), err)
		}
		// What is written in batches of 7 is what is written at once.
		whole := openTest(t)
		one := snap
		one.Extras = nil
		mustSave(t, whole, 0, one)
		batched := snapshotRows(t, st)
		if d := diffRows(snapshotRows(t, whole), batched); d != "" {
			t.Fatalf("saved in batches of 7 vs at once:\n%s", d)
		}
		if len(batched["snapshot_holders"]) == 0 {
			t.Fatal("no holders derived")
		}
	})
	t.Run("the first of a user's sign-ins wins", func(t *testing.T) {
		st := openTest(t)
		w := begin(t, st)
		w.writeBatch = 1000 // all in one batch, where the sort must keep their order
		first := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		var page []model.SignIn
		for n := range 10 {
			for _, u := range snap.Users {
				page = append(page, model.SignIn{UserID: u.ID, LastSuccessful: first.Add(time.Duration(n) * time.Hour)})
			}
		}
		if err := w.AddUsers(ctx, snap.Users); err != nil {
			t.Fatal(err)
		}
		if err := w.AddSignIns(ctx, page); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(ctx, snap.SKUs, snap.Groups, snap.MemberCounts); err != nil {
			t.Fatal(err)
		}
		d, err := st.HealthData(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range snap.Users {
			if got := d.SignIns[u.ID].LastSuccessful; !got.Equal(first) {
				t.Fatalf("user %s kept the sign-in of %v, want the first (%v)", u.ID, got, first)
			}
		}
	})
	t.Run("a failed batch fails the commit", func(t *testing.T) {
		st := openTest(t)
		w := begin(t, st)
		stopped, cancel := context.WithCancel(ctx)
		cancel()
		if err := w.AddUsers(stopped, snap.Users[:10]); err == nil {
			t.Fatal("a batch written under a cancelled context succeeded")
		}
		if err := w.AddUsers(ctx, snap.Users[10:11]); err == nil {
			t.Error("the writer took users after a batch was lost")
		}
		if err := w.Commit(ctx, snap.SKUs, snap.Groups, snap.MemberCounts); err == nil {
			t.Fatal("committed a snapshot that lost a batch")
		}
		if _, err := st.CurrentSnapshot(ctx); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("a snapshot became current: %v", err)
		}
		// The refused commit deleted what the writer had written, as a failed commit does.
		var left int
		if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM snapshots`).Scan(&left); err != nil || left != 0 {
			t.Fatalf("%d snapshots left behind (%v)", left, err)
		}
	})
	t.Run("a batch that fails while the next is gathered fails the commit", func(t *testing.T) {
		st := openTest(t)
		w := begin(t, st)
		bad := slices.Clone(snap.Users[:7])
		bad[3].AssignedLicenses = []model.AssignedLicense{{SKUID: ""}} // the table's CHECK refuses it
		// One batch, written on another goroutine: AddUsers returns before it fails, and
		// Commit must wait for it.
		if err := w.AddUsers(ctx, bad); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(ctx, snap.SKUs, snap.Groups, snap.MemberCounts); err == nil {
			t.Fatal("committed a snapshot that lost a batch")
		}
		if _, err := st.CurrentSnapshot(ctx); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("a snapshot became current: %v", err)
		}
		if err := w.AddUsers(ctx, snap.Users[20:21]); err == nil {
			t.Error("the writer took users after its commit failed")
		}
		var left int
		if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM snapshots`).Scan(&left); err != nil || left != 0 {
			t.Fatalf("%d snapshots left behind (%v)", left, err)
		}
	})
}
