package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Real ids from Microsoft's catalog, so names can be checked against it.
const (
	skuA1Students = "314c4481-f395-4525-be8b-2ec4bb1e9d91"
	skuA1Faculty  = "94763226-9b3c-4e75-a931-5c89701abe66"
	skuE5         = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
	skuUnknown    = "0badc0de-0000-4000-8000-000000000001" // neither in the catalog nor subscribed
	planTeams     = "57ff2da0-773e-42df-b2af-ffb7a2317929"
	planYammer    = "7547a3fe-08ee-4ccb-b430-5077c5041653"
	planNoName    = "0badc0de-0000-4000-8000-0000000000aa"
)

// smallTenant is a hand-made snapshot whose every figure is known.
func smallTenant() model.Snapshot {
	t0 := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	return model.Snapshot{
		TakenAt: t0,
		SKUs: []model.SKU{
			{ID: skuA1Students, PartNumber: "STANDARDWOFFPACK_STUDENT", AppliesTo: "User", CapabilityStatus: "Enabled",
				ConsumedUnits: 10, Prepaid: model.PrepaidUnits{Enabled: 1000},
				ServicePlans: []model.ServicePlan{{ID: planTeams, Name: "TEAMS1", ProvisioningStatus: "Success", AppliesTo: "User"},
					{ID: planNoName, Name: "MYSTERY_PLAN", ProvisioningStatus: "Success", AppliesTo: "User"}}},
			// upper-case GUID as a tenant might spell it: must still join the catalog
			{ID: "94763226-9B3C-4E75-A931-5C89701ABE66", PartNumber: "STANDARDWOFFPACK_FACULTY", AppliesTo: "User",
				CapabilityStatus: "Enabled", ConsumedUnits: 500, Prepaid: model.PrepaidUnits{Enabled: 500}},
			{ID: skuE5, PartNumber: "SPE_E5", AppliesTo: "User", CapabilityStatus: "Warning", ConsumedUnits: 3,
				Prepaid: model.PrepaidUnits{Enabled: 5, Warning: 5}},
		},
		Groups: []model.Group{
			{ID: "g-students", DisplayName: "All Students", Description: "every student", SecurityEnabled: true,
				GroupTypes: []string{"DynamicMembership"}, MembershipRule: `user.department -eq "Students"`,
				ProcessingState: model.ProcessingComplete,
				AssignedLicenses: []model.AssignedLicense{
					{SKUID: skuA1Students, DisabledPlans: []string{planTeams, planNoName, planYammer}},
					{SKUID: skuA1Faculty}}},
			{ID: "g-staff", DisplayName: "staff", SecurityEnabled: true, ProcessingState: model.ProcessingInProgress,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuE5}, {SKUID: skuUnknown}}},
			{ID: "g-empty", DisplayName: "Nobody", SecurityEnabled: true, ProcessingState: model.ProcessingComplete,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuE5}}},
		},
		MemberCounts: map[string]model.MemberCounts{"g-students": {All: 4, Users: 3}, "g-staff": {All: 2, Users: 2}},
		Users: []model.User{
			{ID: "u1", DisplayName: "Ada", UserPrincipalName: "ada@x", AccountEnabled: true,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Students}},
				LicenseStates: []model.LicenseState{
					{SKUID: skuA1Students, AssignedByGroup: "g-students", State: model.StateActive},
					// both of a group's SKUs in error: still one user in error for the group
					{SKUID: skuA1Faculty, AssignedByGroup: "g-students", State: model.StateError, Error: model.ErrorCountViolation, LastUpdated: t0},
				}},
			{ID: "u2", DisplayName: "bob", UserPrincipalName: "bob@x",
				LicenseStates: []model.LicenseState{
					{SKUID: skuA1Students, AssignedByGroup: "g-students", State: model.StateError, Error: model.ErrorOther},
					{SKUID: skuA1Faculty, AssignedByGroup: "g-students", State: model.StateError, Error: model.ErrorCountViolation},
					{SKUID: skuE5, AssignedByGroup: "g-staff", State: model.StateError, Error: model.ErrorUsageLocation},
				}},
			{ID: "u3", DisplayName: "Cyd", AssignedLicenses: []model.AssignedLicense{{SKUID: skuE5}},
				LicenseStates: []model.LicenseState{
					{SKUID: skuE5, State: model.StateActive}, // direct
					{SKUID: skuE5, AssignedByGroup: "g-staff", State: model.StateActive, Error: model.ErrorNone},
				}},
			{ID: "u4", DisplayName: "Dee", LicenseStates: []model.LicenseState{
				// direct error: counts for the user, for no group
				{SKUID: skuA1Faculty, State: model.StateError, Error: model.ErrorCountViolation}}},
			{ID: "u5", DisplayName: "Eve"},
			{ID: "u1", DisplayName: "Ada again"}, // a paging duplicate: ignored
		},
	}
}

func mustSave(t *testing.T, st *Store, runID int64, snap model.Snapshot) {
	t.Helper()
	if err := st.SaveSnapshot(context.Background(), runID, snap); err != nil {
		t.Fatal(err)
	}
}

func TestNoSnapshotYet(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.CurrentSnapshot(ctx); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("CurrentSnapshot: %v, want model.ErrNotFound", err)
	}
	if _, err := st.GroupReport(ctx, model.GroupReportQuery{}); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("GroupReport: %v, want model.ErrNotFound", err)
	}
	if _, err := st.Overview(ctx); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Overview: %v, want model.ErrNotFound", err)
	}
	if _, err := st.GroupDetail(ctx, "g"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("GroupDetail: %v, want model.ErrNotFound", err)
	}
	if _, err := st.UsersInErrorForGroup(ctx, "g"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("UsersInErrorForGroup: %v, want model.ErrNotFound", err)
	}
}

func TestSaveSnapshotReadBack(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	run, err := st.StartSyncRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, st, run.ID, smallTenant())

	info, err := st.CurrentSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.RunID != run.ID || !info.TakenAt.Equal(smallTenant().TakenAt) {
		t.Errorf("CurrentSnapshot = %+v, want run %d taken %v", info, run.ID, smallTenant().TakenAt)
	}

	page, err := st.GroupReport(ctx, model.GroupReportQuery{})
	if err != nil {
		t.Fatal(err)
	}
	// no catalog imported: names fall back to part numbers, then the GUID
	want := []model.GroupReportRow{
		{ID: "g-students", DisplayName: "All Students", MemberCount: 4, UserCount: 3, ErrorCount: 2,
			ProcessingState: model.ProcessingComplete, Licenses: []model.NamedSKU{
				{ID: skuA1Faculty, Name: "STANDARDWOFFPACK_FACULTY"}, {ID: skuA1Students, Name: "STANDARDWOFFPACK_STUDENT"}}},
		{ID: "g-empty", DisplayName: "Nobody", ProcessingState: model.ProcessingComplete,
			Licenses: []model.NamedSKU{{ID: skuE5, Name: "SPE_E5"}}},
		{ID: "g-staff", DisplayName: "staff", MemberCount: 2, UserCount: 2, ErrorCount: 1,
			ProcessingState: model.ProcessingInProgress, Licenses: []model.NamedSKU{
				{ID: skuUnknown, Name: skuUnknown}, {ID: skuE5, Name: "SPE_E5"}}},
	}
	if !reflect.DeepEqual(page.Rows, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", page.Rows, want)
	}
	if page.Total != 3 || page.Page != 1 || page.PageSize != DefaultPageSize {
		t.Errorf("page = total %d page %d size %d", page.Total, page.Page, page.PageSize)
	}

	o, err := st.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.Users != 5 || o.LicensedUsers != 2 || o.UsersWithErrors != 3 || o.LicensedGroups != 3 ||
		o.GroupsWithErrors != 2 || o.GroupsNotProcessed != 1 || !o.SnapshotAt.Equal(smallTenant().TakenAt) {
		t.Errorf("overview = %+v", o)
	}
	if len(o.SKUs) != 3 || o.SKUs[0].Name != "SPE_E5" || o.SKUs[0].Available() != 2 || o.SKUs[0].Prepaid.Warning != 5 ||
		o.SKUs[2].ID != skuA1Students || len(o.SKUs[2].ServicePlans) != 2 || o.SKUs[2].ServicePlans[0].Name != "TEAMS1" {
		t.Errorf("overview SKUs = %+v", o.SKUs)
	}

	users, err := st.UsersInErrorForGroup(ctx, "g-students")
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].ID != "u1" || users[1].ID != "u2" {
		t.Fatalf("users in error for g-students = %+v", users)
	}
	if users[0].DisplayName != "Ada" || !users[0].AccountEnabled || len(users[0].AssignedLicenses) != 1 {
		t.Errorf("u1 = %+v", users[0])
	}
	// all states of the user, ordered by SKU id
	wantStates := []model.LicenseState{
		{SKUID: skuE5, AssignedByGroup: "g-staff", State: model.StateError, Error: model.ErrorUsageLocation},
		{SKUID: skuA1Students, AssignedByGroup: "g-students", State: model.StateError, Error: model.ErrorOther},
		{SKUID: skuA1Faculty, AssignedByGroup: "g-students", State: model.StateError, Error: model.ErrorCountViolation},
	}
	if got := users[1].LicenseStates; !reflect.DeepEqual(got, wantStates) {
		t.Errorf("u2 states:\n got %+v\nwant %+v", got, wantStates)
	}
	if got := users[0].LicenseStates; len(got) != 2 || !got[1].LastUpdated.Equal(smallTenant().TakenAt) || !got[0].LastUpdated.IsZero() {
		t.Errorf("u1 states = %+v", got)
	}
	if users, err := st.UsersInErrorForGroup(ctx, "g-empty"); err != nil || len(users) != 0 {
		t.Errorf("users in error for g-empty = %v, %v; want none", users, err)
	}
	if _, err := st.UsersInErrorForGroup(ctx, "nope"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("unknown group: %v, want model.ErrNotFound", err)
	}
}

func TestGroupDetail(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	mustSave(t, st, 0, smallTenant())
	if err := st.ReplaceProductCatalog(ctx, []model.Product{
		{SKUID: skuA1Students, PartNumber: "STANDARDWOFFPACK_STUDENT", DisplayName: "Office 365 A1 for students",
			Plans: []model.PlanName{{PlanID: planTeams, Name: "TEAMS1", FriendlyName: "Microsoft Teams"},
				{PlanID: planYammer, Name: "YAMMER_EDU", FriendlyName: ""}}},
	}, "test", time.Time{}); err != nil {
		t.Fatal(err)
	}
	d, err := st.GroupDetail(ctx, "g-students")
	if err != nil {
		t.Fatal(err)
	}
	if d.Description != "every student" || !reflect.DeepEqual(d.GroupTypes, []string{"DynamicMembership"}) ||
		d.MembershipRule != `user.department -eq "Students"` || !d.SecurityEnabled || d.MailEnabled ||
		d.ErrorCount != 2 || !d.SnapshotAt.Equal(smallTenant().TakenAt) {
		t.Errorf("detail = %+v", d)
	}
	want := []model.TemplateLicense{
		{SKU: model.NamedSKU{ID: skuA1Students, Name: "Office 365 A1 for students"}, DisabledPlans: []model.NamedPlan{
			{ID: planTeams, Name: "Microsoft Teams"}, // catalog friendly name
			{ID: planNoName, Name: "MYSTERY_PLAN"},   // tenant's servicePlanName
			{ID: planYammer, Name: "YAMMER_EDU"}}},   // catalog plan name: no friendly name, not in tenant
		{SKU: model.NamedSKU{ID: skuA1Faculty, Name: "STANDARDWOFFPACK_FACULTY"}},
	}
	if !reflect.DeepEqual(d.Template, want) {
		t.Errorf("template:\n got %+v\nwant %+v", d.Template, want)
	}
	if _, err := st.GroupDetail(ctx, "nope"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("unknown group: %v, want model.ErrNotFound", err)
	}
}

func countRows(t *testing.T, st *Store, table string, snapID int64) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM `+table+` WHERE snapshot_id = ?`, snapID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSaveSnapshotReplacesAndPrunes(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	var ids []int64
	for i := range 4 {
		snap := genTenant(uint64(i), 200, 20)
		mustSave(t, st, 0, snap)
		info, err := st.CurrentSnapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, info.ID)
		if n := countRows(t, st, "snapshot_users", info.ID); n != 200 {
			t.Errorf("snapshot %d has %d users, want 200", info.ID, n)
		}
	}
	// Old snapshots go after the new one is current, off the sync's path.
	if err := st.WaitPruned(); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		kept := i >= len(ids)-1-keepPrevious
		for _, table := range snapshotTables {
			if n := countRows(t, st, table, id); (n > 0) != kept {
				t.Errorf("snapshot %d (kept=%v): %d rows in %s", id, kept, n, table)
			}
		}
	}
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM snapshots`).Scan(&n); err != nil || n != 1+keepPrevious {
		t.Errorf("%d snapshots (%v), want %d", n, err, 1+keepPrevious)
	}
}

// countdownCtx is a context whose Err turns to Canceled after n calls, so a save can be
// cancelled at a known point half-way.
type countdownCtx struct {
	context.Context
	n atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestSaveSnapshotFailureKeepsPrevious(t *testing.T) {
	broken := genTenant(9, 3000, 50)
	broken.Users = append(broken.Users, model.User{ID: "", DisplayName: "no id"}) // violates CHECK (id <> '') last
	cases := []struct {
		name string
		ctx  func() context.Context
		snap model.Snapshot
	}{
		{"constraint error after thousands of rows", context.Background, broken},
		{"cancelled half-way through the users", func() context.Context {
			c := &countdownCtx{Context: context.Background()}
			c.n.Store(3) // before the transaction, at user 0, at user 1024
			return c
		}, genTenant(9, 3000, 50)},
		{"cancelled before", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, genTenant(9, 3000, 50)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := openTest(t)
			ctx := context.Background()
			mustSave(t, st, 0, smallTenant())
			before, err := st.CurrentSnapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			err = st.SaveSnapshot(tc.ctx(), 0, tc.snap)
			if err == nil {
				t.Fatal("SaveSnapshot succeeded")
			}
			t.Logf("error: %v", err)
			after, err := st.CurrentSnapshot(ctx)
			if err != nil || after != before {
				t.Fatalf("current snapshot changed: %+v -> %+v (%v)", before, after, err)
			}
			page, err := st.GroupReport(ctx, model.GroupReportQuery{})
			if err != nil || page.Total != 3 || page.Rows[0].ErrorCount != 2 {
				t.Errorf("previous snapshot not readable: %+v, %v", page, err)
			}
			var n int
			if err := st.DB().QueryRow(`SELECT (SELECT count(*) FROM snapshots) + (SELECT count(*) FROM snapshot_users WHERE snapshot_id <> ?)`,
				before.ID).Scan(&n); err != nil || n != 1 {
				t.Errorf("leftovers of the failed save: %d rows (%v)", n-1, err)
			}
			// and the next save works
			mustSave(t, st, 0, genTenant(10, 100, 10))
			if page, err := st.GroupReport(ctx, model.GroupReportQuery{}); err != nil || page.Total != 10 {
				t.Errorf("after a good save: %d groups, %v", page.Total, err)
			}
		})
	}
}

// A snapshot survives closing and reopening, and a run left running is marked interrupted.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	ctx := context.Background()
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	done, err := st.StartSyncRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveSnapshot(ctx, done.ID, smallTenant()); err != nil {
		t.Fatal(err)
	}
	done.Status, done.Users = model.SyncSucceeded, 5
	if err := st.FinishSyncRun(ctx, done); err != nil {
		t.Fatal(err)
	}
	killed, err := st.StartSyncRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Close() // as if the process died during the second run

	st, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.RecentSyncRuns(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != killed.ID || runs[0].Status != model.SyncFailed ||
		runs[0].Error != interruptedError || runs[0].FinishedAt.IsZero() || runs[1].Status != model.SyncSucceeded {
		t.Errorf("runs after reopen = %+v", runs)
	}
	info, err := st.CurrentSnapshot(ctx)
	if err != nil || info.RunID != done.ID {
		t.Errorf("current snapshot after reopen = %+v, %v", info, err)
	}
}

// An encoded user gives back, row by row, exactly the values userContent.of built, and an
// encoding cut short or of an unknown form is refused, never read past its end.
func TestEncodedUserRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)
	users := []model.User{
		{ID: "u1"},
		{ID: "u2", DisplayName: "Åsa Öberg", UserPrincipalName: "asa@contoso.com", Mail: "asa@contoso.com",
			Department: "Finance", EmployeeID: "E-7", AccountEnabled: true, CreatedAt: at, OfficeLocation: "B2",
			ProxyAddresses:   []string{"SMTP:asa@contoso.com", "smtp:a@contoso.com"},
			AssignedLicenses: []model.AssignedLicense{{SKUID: "SKU-A", DisabledPlans: []string{"p1", "p2"}}, {SKUID: "sku-b"}},
			LicenseStates: []model.LicenseState{
				{SKUID: "sku-a", AssignedByGroup: "g1", State: model.StateError, Error: model.ErrorCountViolation, LastUpdated: at},
				{SKUID: "sku-b", State: model.StateActive}},
		},
		{ID: "u3", DisplayName: strings.Repeat("x", 300) + "\x00\xff", JobTitle: "s", Surname: "k"},
	}
	for _, u := range users {
		var c userContent
		e, err := c.encode(&u)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]any{c.user, {c.props}}
		for _, r := range c.assigned {
			want = append(want, r)
		}
		for _, r := range c.states {
			want = append(want, r)
		}
		for _, k := range c.keys {
			want = append(want, []any{k.key})
		}
		var got [][]any
		if err := e.eachRow(func(table byte, vals []any) error {
			got = append(got, slices.Clone(vals))
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", u.ID, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: rows\n%v\nwant\n%v", u.ID, got, want)
		}
		if e.hash != c.hash || e.id != u.ID {
			t.Errorf("%s: id %q hash %d, want %q %d", u.ID, e.id, e.hash, u.ID, c.hash)
		}
		for cut := range len(e.rows) {
			short := encodedUser{id: e.id, rows: e.rows[:cut]}
			var rows [][]any
			err := short.eachRow(func(_ byte, vals []any) error {
				rows = append(rows, slices.Clone(vals))
				return nil
			})
			// Cut between rows, it reads whole rows: those of the encoding's start.
			if err == nil && (cut == 0 || len(rows) > len(want) || (len(rows) > 0 && !reflect.DeepEqual(rows, want[:len(rows)]))) {
				t.Errorf("%s cut at %d: read %v", u.ID, cut, rows)
			}
		}
	}
	var c userContent
	e, _ := c.encode(&users[1])
	e.rows = append([]byte{9}, e.rows[1:]...)
	if err := e.eachRow(func(byte, []any) error { return nil }); err == nil {
		t.Error("an encoding of an unknown version was read")
	}
}
