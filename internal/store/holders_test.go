package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// holderSnapshot: the students SKU held directly (Ada), from two groups (Ben), directly and from
// a group (Cleo), from a group in error (Dan, blocked), assigned without a state (Eve), and not
// at all (Finn).
func holderSnapshot() model.Snapshot {
	st := func(group string, state string, e model.LicenseError) model.LicenseState {
		return model.LicenseState{SKUID: skuA1Students, AssignedByGroup: group, State: state, Error: e}
	}
	active := model.StateActive
	return model.Snapshot{
		TakenAt: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC),
		SKUs: []model.SKU{
			{ID: skuA1Students, PartNumber: "STANDARDWOFFPACK_STUDENT", AppliesTo: "User", CapabilityStatus: "Enabled",
				ConsumedUnits: 4, Prepaid: model.PrepaidUnits{Enabled: 10, Warning: 2}},
			{ID: skuE5, PartNumber: "SPE_E5", AppliesTo: "User", CapabilityStatus: "Suspended", Prepaid: model.PrepaidUnits{Suspended: 5}},
		},
		Groups: []model.Group{
			{ID: "g-b", DisplayName: "Beta", AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Students}}},
			{ID: "g-a", DisplayName: "alpha", AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Students}, {SKUID: skuE5}}},
		},
		Users: []model.User{
			{ID: "u1", DisplayName: "Ada", Department: "Maths", UsageLocation: "DE", AccountEnabled: true,
				OfficeLocation: "B 2", BusinessPhones: []string{"+49 1", "+49 2"}, OnPremisesLastSyncAt: time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC),
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Students}}, LicenseStates: []model.LicenseState{st("", active, "")}},
			{ID: "u2", DisplayName: "ben", Department: "maths", UsageLocation: "FR", AccountEnabled: true, OfficeLocation: "A 1",
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Students}},
				LicenseStates:    []model.LicenseState{st("g-a", active, ""), st("g-b", active, "")}},
			{ID: "u3", DisplayName: "Cleo", Department: "Physics", UsageLocation: "DE", AccountEnabled: true, OfficeLocation: "C 3",
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuA1Students}}, LicenseStates: []model.LicenseState{st("", active, ""), st("g-b", active, "")}},
			{ID: "u4", DisplayName: "Dan", Department: "Physics", UsageLocation: "", AccountEnabled: false,
				LicenseStates: []model.LicenseState{st("g-a", model.StateError, model.ErrorCountViolation)}},
			{ID: "u5", DisplayName: "Éve", UsageLocation: "DE", AccountEnabled: true,
				AssignedLicenses: []model.AssignedLicense{{SKUID: strings.ToUpper(skuA1Students)}}},
			{ID: "u6", DisplayName: "Finn", AccountEnabled: true},
		},
	}
}

func holderIDs(t *testing.T, s *Store, q model.HolderQuery) []string {
	t.Helper()
	q.SKUID = skuA1Students
	page, err := s.SKUHolders(context.Background(), q)
	if err != nil {
		t.Fatalf("%+v: %v", q, err)
	}
	var ids []string
	for _, h := range page.Rows {
		ids = append(ids, h.User.ID)
	}
	return ids
}

func TestSKUHoldersFilterSortAndPage(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.SaveSnapshot(ctx, 0, holderSnapshot()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    model.HolderQuery
		want []string
	}{
		{"everyone, by name (folded)", model.HolderQuery{}, []string{"u1", "u2", "u3", "u4", "u5"}},
		{"by name, descending", model.HolderQuery{Desc: true}, []string{"u5", "u4", "u3", "u2", "u1"}},
		{"directly only", model.HolderQuery{Source: model.SourceDirect}, []string{"u1", "u5"}},
		{"from groups only", model.HolderQuery{Source: model.SourceGroup}, []string{"u2", "u4"}},
		{"both", model.HolderQuery{Source: model.SourceBoth}, []string{"u3"}},
		{"in error", model.HolderQuery{InError: true}, []string{"u4"}},
		{"blocked", model.HolderQuery{Account: model.AccountBlocked}, []string{"u4"}},
		{"enabled", model.HolderQuery{Account: model.AccountEnabled}, []string{"u1", "u2", "u3", "u5"}},
		{"department, any case", model.HolderQuery{Department: "MATHS"}, []string{"u1", "u2"}},
		{"usage location", model.HolderQuery{UsageLocation: "de"}, []string{"u1", "u3", "u5"}},
		{"by a props property", model.HolderQuery{Sort: "officeLocation"}, []string{"u4", "u5", "u2", "u1", "u3"}},
		{"by state", model.HolderQuery{Sort: "licenseState", Desc: true}, []string{"u4", "u5", "u3", "u2", "u1"}},
		{"by assignment", model.HolderQuery{Sort: "assignment"}, []string{"u2", "u4", "u1", "u5", "u3"}},
		{"page 2 of 2", model.HolderQuery{Page: 2, PageSize: 3}, []string{"u4", "u5"}},
	} {
		if got := holderIDs(t, s, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	page, err := s.SKUHolders(ctx, model.HolderQuery{SKUID: skuA1Students, Page: 1, PageSize: 2})
	if err != nil || page.Total != 5 || len(page.Rows) != 2 {
		t.Fatalf("page: %d rows of %d, %v", len(page.Rows), page.Total, err)
	}
	// A holder comes with every license, state and property.
	ada := page.Rows[0]
	if !ada.Direct || ada.ViaGroups != 0 || ada.State != model.StateActive || len(ada.User.LicenseStates) != 1 ||
		ada.User.OfficeLocation != "B 2" || !slices.Equal(ada.User.BusinessPhones, []string{"+49 1", "+49 2"}) ||
		!ada.User.OnPremisesLastSyncAt.Equal(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Ada: %+v", ada)
	}
	for _, bad := range []model.HolderQuery{{Sort: "nope"}, {Sort: "props') --"}, {Account: "x"}, {Source: "x"}} {
		bad.SKUID = skuA1Students
		if _, err := s.SKUHolders(ctx, bad); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}
	var streamed []string
	if err := s.EachSKUHolder(ctx, model.HolderQuery{SKUID: skuA1Students, Page: 2, PageSize: 1}, func(h model.Holder) error {
		streamed = append(streamed, h.User.ID)
		return nil
	}); err != nil || len(streamed) != 5 {
		t.Errorf("export ignores paging: %v, %v", streamed, err)
	}
	// A file of a few columns reads the report-only properties only when one of them is asked.
	for _, c := range []struct {
		props []string
		want  bool
	}{{nil, true}, {[]string{"displayName", "department"}, false}, {[]string{"displayName", "businessPhones"}, true}} {
		if err := s.EachSKUHolder(ctx, model.HolderQuery{SKUID: skuA1Students, Properties: c.props}, func(h model.Holder) error {
			if h.User.ID == ada.User.ID && (h.User.OfficeLocation != "") != c.want || h.User.Department == "" && h.User.ID == ada.User.ID ||
				len(h.User.LicenseStates)+len(h.User.AssignedLicenses) == 0 {
				t.Errorf("properties %q: %+v", c.props, h.User)
			}
			return nil
		}); err != nil {
			t.Error(err)
		}
	}
	deps, locs, err := s.HolderValues(ctx, skuA1Students)
	if err != nil || !slices.Equal(deps, []string{"maths", "Maths", "Physics"}) && !slices.Equal(deps, []string{"Maths", "maths", "Physics"}) ||
		!slices.Equal(locs, []string{"DE", "FR"}) {
		t.Errorf("filter values %v %v, %v", deps, locs, err)
	}
}

func TestLicenseSummariesAndHistory(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	snap := holderSnapshot()
	if err := s.SaveSnapshot(ctx, 0, snap); err != nil {
		t.Fatal(err)
	}
	sums, err := s.LicenseSummaries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var students model.SKUSummary
	for _, x := range sums {
		if x.ID == skuA1Students {
			students = x
		}
	}
	if want := (model.SKUHolders{Holders: 5, Direct: 2, FromGroups: 2, Both: 1, InError: 1}); students.SKUHolders != want {
		t.Errorf("holders %+v, want %+v", students.SKUHolders, want)
	}
	if len(students.Groups) != 2 || students.Groups[0].Name != "alpha" || students.Groups[1].Name != "Beta" {
		t.Errorf("groups %+v", students.Groups)
	}

	// Every snapshot records its units; a year and a month are kept.
	later := snap
	later.TakenAt = snap.TakenAt.Add(SKUHistoryRetention + 24*time.Hour)
	later.SKUs = []model.SKU{{ID: skuA1Students, ConsumedUnits: 9, Prepaid: model.PrepaidUnits{Enabled: 10}}}
	if err := s.SaveSnapshot(ctx, 0, later); err != nil {
		t.Fatal(err)
	}
	past := later.TakenAt.Add(-48 * time.Hour)
	if err := s.AddSKUHistory(ctx, map[string][]model.SKUHistoryPoint{strings.ToUpper(skuA1Students): {{At: past, Consumed: 7, Prepaid: model.PrepaidUnits{Enabled: 10}}}}); err != nil {
		t.Fatal(err)
	}
	h, err := s.SKUHistory(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got := h[skuA1Students]
	if len(got) != 2 || got[0].Consumed != 7 || got[1].Consumed != 9 || !got[1].At.Equal(later.TakenAt) || len(h[skuE5]) != 0 {
		t.Errorf("history %+v (the first snapshot's is past the retention)", h)
	}
}

// A user updated after a reprocess keeps the report true.
func TestUpdateUsersKeepsHoldersTrue(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.SaveSnapshot(ctx, 0, holderSnapshot()); err != nil {
		t.Fatal(err)
	}
	dan := model.User{ID: "u4", DisplayName: "Dan", Department: "Archives", UsageLocation: "NL", LicenseStates: []model.LicenseState{
		{SKUID: skuA1Students, AssignedByGroup: "g-a", State: model.StateActive}}}
	if err := s.UpdateUsers(ctx, []model.User{dan}, nil); err != nil {
		t.Fatal(err)
	}
	if got := holderIDs(t, s, model.HolderQuery{InError: true}); len(got) != 0 {
		t.Errorf("still in error after the update: %v", got)
	}
	sums, err := s.LicenseSummaries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sum := range sums {
		if sum.ID == skuA1Students && (sum.InError != 0 || sum.Holders != 5) {
			t.Errorf("A1 summary after the update: %+v", sum.SKUHolders)
		}
	}
	// The filters know the patched user's department and place at once, and find the user.
	deps, locs, err := s.HolderValues(ctx, skuA1Students)
	if err != nil || !slices.Contains(deps, "Archives") || !slices.Contains(locs, "NL") {
		t.Errorf("filter values after the update: %v %v %v", deps, locs, err)
	}
	if got := holderIDs(t, s, model.HolderQuery{Department: "archives", UsageLocation: "nl"}); !slices.Equal(got, []string{"u4"}) {
		t.Errorf("filtered by the new department: %v", got)
	}
}

// A database from before the report gets holders and units for the snapshot it has.
func TestLicenseReportMigrationBackfills(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSnapshot(context.Background(), 0, holderSnapshot()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Empty what a version 5 database could not have had, then run the migration's backfill.
	registerDriver()
	db2, err := sql.Open(driverName, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	for _, stmt := range []string{`DELETE FROM snapshot_holders`, `DELETE FROM snapshot_holder_values`, `DELETE FROM snapshot_sku_holders`,
		`DELETE FROM sku_history`} {
		if _, err := db2.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	mig, err := readMigration("0006_license_report.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db2.Exec(mig[strings.Index(mig, "INSERT INTO snapshot_holders"):]); err != nil {
		t.Fatal(err)
	}
	var holders, history int
	db2.QueryRow(`SELECT count(*) FROM snapshot_holders WHERE sku_id = ?`, skuA1Students).Scan(&holders)
	db2.QueryRow(`SELECT count(*) FROM sku_history`).Scan(&history)
	if holders != 5 || history != 2 {
		t.Errorf("backfilled %d holders and %d history rows, want 5 and 2", holders, history)
	}
	var dept, locs int
	db2.QueryRow(`SELECT count(*) FILTER (WHERE field = 'department'), count(*) FILTER (WHERE field = 'usageLocation')
		FROM snapshot_holder_values WHERE sku_id = ?`, skuA1Students).Scan(&dept, &locs)
	if dept != 3 || locs != 2 {
		t.Errorf("backfilled %d departments and %d usage locations, want 3 and 2", dept, locs)
	}
	var state string
	var direct, via int
	db2.QueryRow(`SELECT direct, via_groups, state FROM snapshot_holders WHERE user_id = 'u3'`).Scan(&direct, &via, &state)
	if direct != 1 || via != 1 || state != model.StateActive {
		t.Errorf("Cleo backfilled as %d %d %q", direct, via, state)
	}
}
