package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// searchTenant is smallTenant with users found by proxy address and employee id.
func searchTenant() model.Snapshot {
	snap := smallTenant()
	snap.Users = append(snap.Users,
		model.User{ID: "7c1e9f40-0000-4000-8000-0000000000a1", DisplayName: "Fay Proxy", UserPrincipalName: "fay@x", Mail: "fay@x",
			EmployeeID: "E-1001", ProxyAddresses: []string{"SMTP:Fay.Proxy@Contoso.edu", "smtp:fp@alias.contoso.edu", "X500:/o=Contoso/cn=fay", "sip:fay.sip@contoso.edu"}},
		model.User{ID: "u8", DisplayName: "Gus", UserPrincipalName: "gus@x", EmployeeID: "1001"})
	return snap
}

// What people type finds the user: a part of a name, UPN or mail, a whole object id, a whole
// proxy address with or without its type, a whole employee id; never a part of an id or of a
// proxy address.
func TestSearchUsersMatchesWhatPeopleType(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	mustSave(t, st, 0, searchTenant())
	for _, c := range []struct{ q, want string }{
		{"fay", "7c1e9f40-0000-4000-8000-0000000000a1"},                                  // name
		{"7C1E9F40-0000-4000-8000-0000000000A1", "7c1e9f40-0000-4000-8000-0000000000a1"}, // object id, any case
		{"7c1e9f40", ""}, // a part of an id is no match
		{"a1", ""},       // nor is a part of an id that looks like a name
		{"fay.proxy@contoso.edu", "7c1e9f40-0000-4000-8000-0000000000a1"},      // primary proxy address, folded
		{"SMTP:FAY.PROXY@contoso.edu", "7c1e9f40-0000-4000-8000-0000000000a1"}, // with its type
		{"fp@alias.contoso.edu", "7c1e9f40-0000-4000-8000-0000000000a1"},       // a secondary one
		{"sip:fay.sip@contoso.edu", "7c1e9f40-0000-4000-8000-0000000000a1"},    // SIP
		{"x500:/o=contoso/cn=fay", "7c1e9f40-0000-4000-8000-0000000000a1"},     // X500 keeps its type
		{"alias.contoso.edu", ""},                          // a part of a proxy address is no match
		{"e-1001", "7c1e9f40-0000-4000-8000-0000000000a1"}, // employee id
		{"1001", "u8"}, // whole, so not E-1001
		{"  1001  ", "u8"},
	} {
		r, err := st.SearchUsers(ctx, c.q, 0, 50)
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		var ids []string
		for _, u := range r.Users {
			ids = append(ids, u.ID)
		}
		if got := strings.Join(ids, ","); got != c.want || r.Total != len(ids) {
			t.Errorf("SearchUsers(%q) = %q (total %d), want %q", c.q, got, r.Total, c.want)
		}
	}
	// A user re-read after a reprocess keeps being found by its keys, and by its new ones only.
	u, err := st.User(ctx, "u8")
	if err != nil {
		t.Fatal(err)
	}
	u.EmployeeID = "2002"
	if err := st.UpdateUsers(ctx, []model.User{u}, nil); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int{"2002": 1, "1001": 0} {
		if r, err := st.SearchUsers(ctx, q, 0, 10); err != nil || r.Total != want {
			t.Errorf("after the update, %q finds %d (%v), want %d", q, r.Total, err, want)
		}
	}
}

// A group is found by a part of its name or its whole id, never by a part of its id.
func TestGroupSearchMatchesNamesAndWholeIDs(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	snap := smallTenant()
	snap.Groups = append(snap.Groups, model.Group{ID: "a1b2c3d4-0000-4000-8000-00000000a1a1", DisplayName: "Library staff",
		ProcessingState: model.ProcessingComplete, AssignedLicenses: []model.AssignedLicense{{SKUID: skuE5}}},
		model.Group{ID: "0f0f0f0f-0000-4000-8000-000000000001", DisplayName: "LIC-A1-Students", ProcessingState: model.ProcessingComplete,
			AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Students}}})
	mustSave(t, st, 0, snap)
	for q, want := range map[string][]string{
		"a1":                                   {"0f0f0f0f-0000-4000-8000-000000000001"}, // the A1 group, not the id with "a1" in it
		"A1B2C3D4-0000-4000-8000-00000000A1A1": {"a1b2c3d4-0000-4000-8000-00000000a1a1"},
		"a1b2c3d4":                             nil,
		"library":                              {"a1b2c3d4-0000-4000-8000-00000000a1a1"},
	} {
		p, err := st.GroupReport(ctx, model.GroupReportQuery{Search: q})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range p.Rows {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("search %q: %v, want %v", q, got, want)
		}
	}
}

// Every user in error, from a group or directly, once each and by name.
func TestUsersInError(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.UsersInError(ctx); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("before a snapshot: %v", err)
	}
	mustSave(t, st, 0, smallTenant())
	users, err := st.UsersInError(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	// Ada (two states in error, one group), bob (two groups), Dee (direct): by name.
	if !slices.Equal(ids, []string{"u1", "u2", "u4"}) || len(users[1].LicenseStates) != 3 {
		t.Errorf("users in error %v", ids)
	}
}

// The disabled accounts among the holders of a SKU: assigned holders only.
func TestDisabledAccountHolders(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	snap := smallTenant()
	snap.Users = append(snap.Users,
		model.User{ID: "d1", DisplayName: "Gone One", AccountEnabled: false, AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Faculty}}},
		model.User{ID: "d2", DisplayName: "Gone Two", AccountEnabled: false, AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Faculty}},
			LicenseStates: []model.LicenseState{{SKUID: skuA1Faculty, State: model.StateActive}}},
		model.User{ID: "d3", DisplayName: "Gone in error", AccountEnabled: false,
			LicenseStates: []model.LicenseState{{SKUID: skuA1Faculty, State: model.StateError, Error: model.ErrorCountViolation}}},
		model.User{ID: "e1", DisplayName: "Here", AccountEnabled: true, AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Faculty}}})
	mustSave(t, st, 0, snap)
	got, err := st.DisabledAccountHolders(ctx, []string{strings.ToUpper(skuA1Faculty), skuE5})
	if err != nil {
		t.Fatal(err)
	}
	// In smallTenant bob and Dee (disabled) are only in error for faculty; Cyd (disabled) holds E5.
	if len(got) != 2 || got[skuA1Faculty] != 2 || got[skuE5] != 1 {
		t.Errorf("disabled holders %v, want faculty 2, E5 1", got)
	}
}

// The migration's backfill of search keys finds users of snapshots saved before it.
func TestUserKeysMigrationBackfills(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	mustSave(t, st, 0, searchTenant())
	if _, err := st.db.ExecContext(ctx, `DELETE FROM snapshot_user_keys`); err != nil {
		t.Fatal(err)
	}
	mig, err := readMigration("0013_user_search_keys.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.ExecContext(ctx, mig[strings.Index(mig, "INSERT OR IGNORE"):]); err != nil {
		t.Fatal(err)
	}
	var keys []string
	rows, err := st.db.QueryContext(ctx, `SELECT key FROM snapshot_user_keys ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	want := []string{"1001", "e-1001", "fay.proxy@contoso.edu", "fay.sip@contoso.edu", "fp@alias.contoso.edu", "x500:/o=contoso/cn=fay"}
	if !slices.Equal(keys, want) {
		t.Errorf("backfilled keys %q, want %q", keys, want)
	}
}

// The migration's backfill of search_text and licensed finds users of snapshots saved before it,
// folded as Go folds (İ, Σ).
func TestSearchTextMigrationBackfills(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	snap := smallTenant()
	snap.Users = append(snap.Users, model.User{ID: "g1", DisplayName: "İLKNUR ΣΟΦΙΑ", UserPrincipalName: "ilknur@contoso.edu"})
	mustSave(t, st, 0, snap)
	if _, err := st.db.ExecContext(ctx, `UPDATE snapshot_users SET search_text = '', licensed = 0`); err != nil {
		t.Fatal(err)
	}
	mig, err := readMigration("0013_user_search_keys.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	stmt := mig[strings.Index(mig, "UPDATE snapshot_users"):]
	if _, err := st.db.ExecContext(ctx, stmt[:strings.Index(stmt, ";")+1]); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{"İlknur σοφια": "g1", "ADA": "u1"} {
		r, err := st.SearchUsers(ctx, q, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Users) != 1 || r.Users[0].ID != want || r.Total != 1 {
			t.Errorf("after the backfill SearchUsers(%q) = %+v, want %s", q, r, want)
		}
	}
	r, err := st.SearchLicensedUsers(ctx, "", 0, 50)
	if err != nil || r.Total != 2 {
		t.Errorf("after the backfill %d licensed users (%v), want 2", r.Total, err)
	}
}

// Licensed users only: those holding a license, searched the same way.
func TestSearchLicensedUsers(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	mustSave(t, st, 0, smallTenant())
	for q, want := range map[string]string{"": "u1,u3", "ada": "u1", "bob": ""} {
		r, err := st.SearchLicensedUsers(ctx, q, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, u := range r.Users {
			ids = append(ids, u.ID)
			if !u.Licensed {
				t.Errorf("%q: unlicensed %s", q, u.ID)
			}
		}
		if got := strings.Join(ids, ","); got != want || r.Total != len(ids) {
			t.Errorf("SearchLicensedUsers(%q) = %q (total %d), want %q", q, got, r.Total, want)
		}
	}
}
