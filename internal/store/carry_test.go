package store

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// saveCounting is SaveSnapshot, returning how many users the writer left as it carried them.
func saveCounting(t *testing.T, st *Store, snap model.Snapshot) int {
	t.Helper()
	ctx := context.Background()
	w, err := st.BeginSnapshot(ctx, 0, snap.TakenAt)
	if err != nil {
		t.Fatal(err)
	}
	for page := range slices.Chunk(snap.Users, 300) { // several batches
		if err := w.AddUsers(ctx, page); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddSignIns(ctx, snap.SignIns); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx, snap.SKUs, snap.Groups, snap.MemberCounts); err != nil {
		t.Fatal(err)
	}
	return w.(*SnapshotWriter).kept
}

func digestOf(t *testing.T, st *Store) map[string]string {
	t.Helper()
	d, err := st.SnapshotDigest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A full sync over the current snapshot starts from a copy of its users and writes only those
// whose content changed: what it saves must be exactly what a sync into an empty store saves,
// whatever changed (properties in columns and in props, licenses, states, search keys, users
// gone and new), and users patched before it began are no longer marked patched.
func TestFullSyncOverPreviousEqualsFreshOne(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	before := genTenant(7, 1500, 40)
	if n := saveCounting(t, st, before); n != 0 {
		t.Fatalf("first snapshot: %d users carried from nothing", n)
	}
	// A reprocess patched a user before the next sync began.
	if _, err := st.DB().ExecContext(ctx, `UPDATE snapshot_users SET patched_seq = 1 WHERE id = ?`, before.Users[20].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, `UPDATE patch_seq SET value = 1`); err != nil {
		t.Fatal(err)
	}

	after := genTenant(7, 1500, 40) // the same tenant, its own copy to change
	us := after.Users
	us[0].DisplayName = "Renamed"                   // a column, the sort name and search text
	us[1].OfficeLocation = "Elsewhere"              // props
	us[2].ProxyAddresses = []string{"smtp:new@x.y"} // search keys and props
	us[3].LicenseStates = us[3].LicenseStates[:0]   // states
	us[4].AssignedLicenses = append(us[4].AssignedLicenses, model.AssignedLicense{SKUID: after.SKUs[3].ID})
	us[5].LicenseStates[0].Error = model.ErrorCountViolation // has_errors, the error index
	us[6].EmployeeID = "E-6"                                 // a column and a key
	us[7].LicenseStates[0].LastUpdated = us[7].LicenseStates[0].LastUpdated.Add(time.Second)
	const changed = 8
	newcomers := genTenant(8, 30, 40).Users
	after.Users = append(slices.Delete(us, 100, 140), newcomers...) // 40 gone, 30 new
	after.SignIns = nil

	kept := saveCounting(t, st, after)
	if want := 1500 - 40 - changed; kept != want {
		t.Errorf("users left as carried: %d, want %d (all but the changed, the gone and the new)", kept, want)
	}
	fresh := openTest(t)
	saveCounting(t, fresh, after)
	got, want := digestOf(t, st), digestOf(t, fresh)
	for _, table := range slices.Sorted(maps.Keys(want)) {
		if got[table] != want[table] {
			t.Errorf("%s: %s over the previous snapshot, %s fresh", table, got[table], want[table])
		}
	}
	var patched int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM snapshot_users WHERE patched_seq > 0
			AND snapshot_id = (SELECT snapshot_id FROM current_snapshot)`).Scan(&patched); err != nil {
		t.Fatal(err)
	}
	if patched != 0 {
		t.Errorf("%d users of the new snapshot marked patched; a fresh sync marks none", patched)
	}
}

// A snapshot saved before content hashes (every hash 0) is not copied: its users would all be
// written again anyway.
func TestFullSyncOverUnhashedSnapshotWritesEveryone(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	snap := genTenant(9, 400, 10)
	saveCounting(t, st, snap)
	if _, err := st.DB().ExecContext(ctx, `UPDATE snapshot_users SET content_hash = 0`); err != nil {
		t.Fatal(err)
	}
	if kept := saveCounting(t, st, genTenant(9, 400, 10)); kept != 0 {
		t.Errorf("%d users carried from a snapshot without hashes", kept)
	}
	fresh := openTest(t)
	saveCounting(t, fresh, genTenant(9, 400, 10))
	if got, want := digestOf(t, st), digestOf(t, fresh); !maps.Equal(got, want) {
		t.Errorf("snapshot differs from a fresh one:\n%v\n%v", got, want)
	}
}

// A user a reprocess patches after the users were carried keeps the patch, and its holders are
// derived from the patch, not carried from what it was.
func TestPatchAfterCarryKeepsPatchedHolders(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	tenant := genTenant(8, 300, 10)
	if err := st.SaveSnapshot(ctx, 0, tenant); err != nil {
		t.Fatal(err)
	}
	w, err := st.BeginSnapshot(ctx, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.(*SnapshotWriter).written(true); err != nil { // the carry is done
		t.Fatal(err)
	}
	patched := tenant.Users[7]
	patched.DisplayName = "Reprocessed just now"
	patched.LicenseStates = []model.LicenseState{{SKUID: tenant.Groups[0].AssignedLicenses[0].SKUID,
		AssignedByGroup: tenant.Groups[0].ID, State: model.StateActive}}
	patched.AssignedLicenses = []model.AssignedLicense{{SKUID: tenant.Groups[0].AssignedLicenses[0].SKUID}}
	if err := st.UpdateUsers(ctx, []model.User{patched}, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.AddUsers(ctx, tenant.Users); err != nil { // as read before the patch
		t.Fatal(err)
	}
	if err := w.Commit(ctx, tenant.SKUs, tenant.Groups, tenant.MemberCounts); err != nil {
		t.Fatal(err)
	}
	rows, err := st.DB().QueryContext(ctx, `SELECT sku_id, sort_name FROM snapshot_holders
		WHERE snapshot_id = (SELECT snapshot_id FROM current_snapshot) AND user_id = ?`, patched.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var sku, name string
		if err := rows.Scan(&sku, &name); err != nil {
			t.Fatal(err)
		}
		got = append(got, sku+" "+name)
	}
	if want := []string{patched.LicenseStates[0].SKUID + " " + fold(patched.DisplayName)}; !slices.Equal(got, want) {
		t.Errorf("the patched user's holders: %q, want %q", got, want)
	}
}
