package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestUserLookups(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.User(ctx, "u1"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("User before a snapshot: %v, want model.ErrNotFound", err)
	}
	mustSave(t, st, 0, smallTenant())

	u, err := st.User(ctx, "u2")
	if err != nil {
		t.Fatal(err)
	}
	if u.DisplayName != "bob" || len(u.LicenseStates) != 3 {
		t.Errorf("u2 = %+v", u)
	}
	if u, err := st.User(ctx, "ADA@X"); err != nil || u.ID != "u1" {
		t.Errorf("by UPN, any case: %+v, %v", u, err)
	}
	for _, id := range []string{"nobody", "", "u1' OR 1=1 --", "%"} {
		if _, err := st.User(ctx, id); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("User(%q): %v, want model.ErrNotFound", id, err)
		}
	}

	users, err := st.UsersByID(ctx, []string{"u3", "u1", "ghost", "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].ID != "u1" || users[1].ID != "u3" || len(users[1].LicenseStates) != 2 {
		t.Errorf("UsersByID = %+v", users)
	}
	if users, err := st.UsersByID(ctx, nil); err != nil || len(users) != 0 {
		t.Errorf("UsersByID(nil) = %v, %v", users, err)
	}

	gs, err := st.Groups(ctx, []string{"g-students", "g-staff", "ghost"})
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || gs["g-students"].DisplayName != "All Students" || len(gs["g-students"].Template) != 2 ||
		gs["g-staff"].ProcessingState != model.ProcessingInProgress {
		t.Errorf("Groups = %+v", gs)
	}
	var students model.AssignedLicense
	for _, l := range gs["g-students"].Template {
		if l.SKUID == skuA1Students {
			students = l
		}
	}
	if len(students.DisabledPlans) != 3 {
		t.Errorf("students template disabled plans = %v", students.DisabledPlans)
	}
}

func TestSearchUsers(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	snap := smallTenant()
	snap.Users = append(snap.Users,
		model.User{ID: "u6", DisplayName: "100% Real_Name", UserPrincipalName: "real@x", Mail: "Boss@Example.com"},
		model.User{ID: "u7", DisplayName: "Émile Zola", UserPrincipalName: "emile@x"})
	mustSave(t, st, 0, snap)
	ids := func(r model.UserSearchResult) string {
		var out []string
		for _, u := range r.Users {
			out = append(out, u.ID)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		q     string
		want  string
		total int
	}{
		{"", "u6,u1,u2,u3,u4,u5,u7", 7}, // every user, by name, case-insensitively
		{"ada", "u1", 1},
		{"BOB@", "u2", 1},        // UPN, case folded
		{"example.com", "u6", 1}, // mail
		{"%", "u6", 1},           // a plain character, not a wildcard
		{"_", "u6", 1},           // likewise
		{"100% real", "u6", 1},   // spaces inside
		{"u3", "u3", 1},          // a whole object id
		{"'; DROP TABLE snapshot_users; --", "", 0},
		{"ÉMILE", "u7", 1}, // every script folds, not only ASCII
		{"émile", "u7", 1},
	} {
		r, err := st.SearchUsers(ctx, c.q, 0, 50)
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		if got := ids(r); got != c.want || r.Total != c.total {
			t.Errorf("SearchUsers(%q) = %s (total %d), want %s (%d)", c.q, got, r.Total, c.want, c.total)
		}
	}
	r, err := st.SearchUsers(ctx, "bob", 0, 50)
	if err != nil || len(r.Users) != 1 || !r.Users[0].InError || r.Users[0].Licensed {
		t.Errorf("bob hit = %+v, %v; want in error, not licensed", r.Users, err)
	}
	r, err = st.SearchUsers(ctx, "", 2, 2)
	if err != nil || ids(r) != "u2,u3" || r.Total != 7 {
		t.Errorf("page 2 of 2 = %s (total %d), %v", ids(r), r.Total, err)
	}
	// The total whichever way the page ends: full (counted), short (the rest), empty past the end.
	for _, c := range []struct {
		q                    string
		offset, limit, total int
		want                 string
	}{
		{"", 0, 7, 7, "u6,u1,u2,u3,u4,u5,u7"},
		{"", 6, 2, 7, "u7"},
		{"", 7, 2, 7, ""},
		{"", 50, 2, 7, ""},
		{"x", 0, 1, 4, "u6"},
		{"x", 3, 1, 4, "u7"},
		{"x", 3, 2, 4, "u7"},
		{"x", 0, 10, 4, "u6,u1,u2,u7"},
		{"nobody", 0, 1, 0, ""},
		{"nobody", 3, 1, 0, ""},
	} {
		r, err := st.SearchUsers(ctx, c.q, c.offset, c.limit)
		if err != nil || ids(r) != c.want || r.Total != c.total {
			t.Errorf("SearchUsers(%q, %d, %d) = %s (total %d), %v; want %s (%d)", c.q, c.offset, c.limit, ids(r), r.Total, err, c.want, c.total)
		}
	}
	if r, err := st.SearchUsers(ctx, "", -5, 100000); err != nil || len(r.Users) != 7 {
		t.Errorf("bounds not clamped: %d users, %v", len(r.Users), err)
	}
}

func FuzzSearchUsers(f *testing.F) {
	st := openTest(f)
	if err := st.SaveSnapshot(context.Background(), 0, smallTenant()); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "a", "%", "_", "\\", "'", "\"", "\x00", "ad\xffa", "ADA@X", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r, err := st.SearchUsers(context.Background(), q, 0, 10)
		if err != nil {
			t.Fatalf("SearchUsers(%q): %v", q, err)
		}
		if r.Total < len(r.Users) || r.Total > 5 {
			t.Fatalf("SearchUsers(%q): %d users, total %d", q, len(r.Users), r.Total)
		}
	})
}

func groupErrors(t *testing.T, st *Store, id string) (int, string) {
	t.Helper()
	d, err := st.GroupDetail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d.ErrorCount, d.ProcessingState
}

func TestUpdateUsers(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if err := st.UpdateUsers(ctx, nil, nil); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("before a snapshot: %v, want model.ErrNotFound", err)
	}
	mustSave(t, st, 0, smallTenant())
	if n, _ := groupErrors(t, st, "g-students"); n != 2 {
		t.Fatalf("g-students starts with %d errors", n)
	}

	// u1 and u2 were reprocessed after faculty licenses were bought: both fine in g-students,
	// u2 still in error in g-staff. A user new since the sync, u9, appears.
	fixed := []model.User{
		{ID: "u1", DisplayName: "Ada L.", UserPrincipalName: "ada@x", AccountEnabled: true,
			AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Students}, {SKUID: skuA1Faculty}},
			LicenseStates: []model.LicenseState{
				{SKUID: skuA1Students, AssignedByGroup: "g-students", State: model.StateActive, Error: model.ErrorNone},
				{SKUID: skuA1Faculty, AssignedByGroup: "g-students", State: model.StateActive},
			}},
		{ID: "u2", DisplayName: "bob", UserPrincipalName: "bob@x",
			AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Students}, {SKUID: skuA1Faculty}},
			LicenseStates: []model.LicenseState{
				{SKUID: skuA1Students, AssignedByGroup: "g-students", State: model.StateActive},
				{SKUID: skuA1Faculty, AssignedByGroup: "g-students", State: model.StateActive},
				{SKUID: skuE5, AssignedByGroup: "g-staff", State: model.StateError, Error: model.ErrorUsageLocation},
			}},
		{ID: "u9", DisplayName: "New", LicenseStates: []model.LicenseState{
			{SKUID: skuE5, AssignedByGroup: "g-empty", State: model.StateError, Error: model.ErrorCountViolation}}},
	}
	if err := st.UpdateUsers(ctx, fixed, []model.GroupUpdate{{ID: "g-students", ProcessingState: model.ProcessingInProgress}, {ID: "g-staff"}}); err != nil {
		t.Fatal(err)
	}
	if n, ps := groupErrors(t, st, "g-students"); n != 0 || ps != model.ProcessingInProgress {
		t.Errorf("g-students: %d errors, %s; want 0, in progress", n, ps)
	}
	if n, ps := groupErrors(t, st, "g-staff"); n != 1 || ps != model.ProcessingInProgress {
		t.Errorf("g-staff: %d errors, %s; want 1 and the state kept", n, ps)
	}
	if n, _ := groupErrors(t, st, "g-empty"); n != 1 {
		t.Errorf("g-empty: %d errors, want 1 (u9)", n)
	}
	u, err := st.User(ctx, "u1")
	if err != nil || u.DisplayName != "Ada L." || len(u.AssignedLicenses) != 2 || u.HasLicenseErrors() {
		t.Errorf("u1 after update = %+v, %v", u, err)
	}
	if users, err := st.UsersInErrorForGroup(ctx, "g-students"); err != nil || len(users) != 0 {
		t.Errorf("g-students still lists %d users in error (%v)", len(users), err)
	}
	o, err := st.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// users u1..u5 + u9; licensed: u1, u2, u3; in error: u2 (staff), u4 (direct), u9
	if o.Users != 6 || o.LicensedUsers != 3 || o.UsersWithErrors != 3 || o.GroupsWithErrors != 2 {
		t.Errorf("overview after update = %+v", o)
	}
	page, err := st.GroupReport(ctx, model.GroupReportQuery{OnlyErrors: true})
	if err != nil || page.Total != 2 {
		t.Errorf("report of groups with errors: %d (%v), want 2", page.Total, err)
	}
	if err := st.UpdateUsers(ctx, []model.User{{DisplayName: "no id"}}, nil); err == nil {
		t.Error("a user without id was accepted")
	}
	if u, _ := st.User(ctx, "u1"); u.DisplayName != "Ada L." {
		t.Error("a failed update changed the snapshot")
	}
}

// The users holding a Disabled license from a group are listed apart from those in error.
func TestUsersDisabledForGroup(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	mustSave(t, st, 0, smallTenant())
	if users, err := st.UsersDisabledForGroup(ctx, "g-students"); err != nil || len(users) != 0 {
		t.Fatalf("before: %d users, %v", len(users), err)
	}
	pilot := model.User{ID: "u7", DisplayName: "Pia Pilot", UserPrincipalName: "pia@x",
		AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Students}},
		LicenseStates: []model.LicenseState{
			{SKUID: skuA1Students, AssignedByGroup: "g-students", State: model.StateDisabled},
			{SKUID: skuE5, AssignedByGroup: "g-staff", State: model.StateActiveWithError, Error: model.ErrorOther},
		}}
	if err := st.UpdateUsers(ctx, []model.User{pilot}, nil); err != nil {
		t.Fatal(err)
	}
	users, err := st.UsersDisabledForGroup(ctx, "g-students")
	if err != nil || len(users) != 1 || users[0].ID != "u7" || len(users[0].LicenseStates) != 2 {
		t.Fatalf("disabled in g-students: %+v, %v", users, err)
	}
	if users, err := st.UsersDisabledForGroup(ctx, "g-staff"); err != nil || len(users) != 0 {
		t.Errorf("an ActiveWithError state counted as disabled: %+v, %v", users, err)
	}
	inError, err := st.UsersInErrorForGroup(ctx, "g-staff")
	if err != nil || !slices.ContainsFunc(inError, func(u model.User) bool { return u.ID == "u7" }) {
		t.Errorf("an ActiveWithError user is not listed in error: %+v, %v", inError, err)
	}
	if _, err := st.UsersDisabledForGroup(ctx, "g-none"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("unknown group: %v, want ErrNotFound", err)
	}
}

func TestUpdateSKUs(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	mustSave(t, st, 0, smallTenant())
	err := st.UpdateSKUs(ctx, []model.SKU{
		{ID: strings.ToUpper(skuA1Faculty), CapabilityStatus: "Enabled", ConsumedUnits: 502, Prepaid: model.PrepaidUnits{Enabled: 1500}},
		{ID: skuUnknown, ConsumedUnits: 7, Prepaid: model.PrepaidUnits{Enabled: 9}},
	})
	if err != nil {
		t.Fatal(err)
	}
	skus, err := st.SKUs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range skus {
		got = append(got, fmt.Sprintf("%s:%d/%d", k.PartNumber, k.ConsumedUnits, k.Prepaid.Enabled))
	}
	if s := strings.Join(got, " "); s != "SPE_E5:3/5 STANDARDWOFFPACK_FACULTY:502/1500 STANDARDWOFFPACK_STUDENT:10/1000" {
		t.Errorf("SKUs after update: %s", s)
	}
}
