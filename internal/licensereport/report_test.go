package licensereport

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/export"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

const (
	skuStudents = "314c4481-f395-4525-be8b-2ec4bb1e9d91"
	skuFaculty  = "94763226-9b3c-4e75-a931-5c89701abe66"
	planTeams   = "57ff2da0-773e-42df-b2af-ffb7a2317929"
)

var testNow = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// hostile are names people put into a tenant, and spreadsheets would run.
var hostile = []string{"=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(1)", "\tTab", "＝full width", "Smith, \"Bob\"",
	"two\nlines", "محمد", "דוד", "山田 太郎", "🎉 Party"}

func fixture(t *testing.T) (*Report, *store.Store) {
	t.Helper()
	st := storetest.Open(t)
	ctx := context.Background()
	if err := st.ReplaceProductCatalog(ctx, []model.Product{
		{SKUID: skuStudents, PartNumber: "STANDARDWOFFPACK_STUDENT", DisplayName: "Office 365 A1 for students",
			Plans: []model.PlanName{{PlanID: planTeams, Name: "TEAMS1", FriendlyName: "Microsoft Teams"}}},
		{SKUID: skuFaculty, PartNumber: "STANDARDWOFFPACK_FACULTY", DisplayName: "Office 365 A1 for faculty"},
	}, "test", testNow); err != nil {
		t.Fatal(err)
	}
	snap := model.Snapshot{TakenAt: testNow.Add(-time.Hour),
		SKUs: []model.SKU{
			{ID: skuStudents, PartNumber: "STANDARDWOFFPACK_STUDENT", AppliesTo: "User", CapabilityStatus: "Enabled",
				ConsumedUnits: 20, Prepaid: model.PrepaidUnits{Enabled: 100},
				ServicePlans: []model.ServicePlan{{ID: planTeams, Name: "TEAMS1"}}},
			{ID: skuFaculty, PartNumber: "STANDARDWOFFPACK_FACULTY", AppliesTo: "User", CapabilityStatus: "Warning",
				ConsumedUnits: 30, Prepaid: model.PrepaidUnits{Enabled: 0, Warning: 30}},
		},
		Groups: []model.Group{
			{ID: "g1", DisplayName: "A1 students", AssignedLicenses: []model.AssignedLicense{{SKUID: skuStudents, DisabledPlans: []string{planTeams}}}},
			{ID: "g2", DisplayName: "All staff", AssignedLicenses: []model.AssignedLicense{{SKUID: skuStudents}, {SKUID: skuFaculty}}},
		},
	}
	for i, name := range hostile {
		u := model.User{ID: strings.Repeat("0", 7) + string(rune('a'+i)), DisplayName: name, Department: name,
			UserPrincipalName: "u" + string(rune('a'+i)) + "@x.example", AccountEnabled: i%3 != 0,
			ProxyAddresses: []string{"SMTP:a@x", "smtp:b@x"}, CreatedAt: testNow.Add(-time.Duration(i) * time.Hour),
			AssignedLicenses: []model.AssignedLicense{{SKUID: skuStudents, DisabledPlans: []string{planTeams}}},
			LicenseStates:    []model.LicenseState{{SKUID: skuStudents, AssignedByGroup: "g1", State: model.StateActive, DisabledPlans: []string{planTeams}}}}
		switch i {
		case 0: // directly and from two groups
			u.AssignedLicenses[0].DisabledPlans = nil
			u.LicenseStates = append(u.LicenseStates,
				model.LicenseState{SKUID: skuStudents, State: model.StateActive},
				model.LicenseState{SKUID: skuStudents, AssignedByGroup: "g2", State: model.StateActive})
		case 1: // in error from the staff group: faculty failed, students blocked
			u.AssignedLicenses = nil
			u.LicenseStates = []model.LicenseState{
				{SKUID: skuStudents, AssignedByGroup: "g2", State: model.StateError, Error: model.ErrorOther},
				{SKUID: skuFaculty, AssignedByGroup: "g2", State: model.StateError, Error: model.ErrorCountViolation}}
		}
		snap.Users = append(snap.Users, u)
	}
	snap.Users = append(snap.Users, model.User{ID: "nobody", DisplayName: "No License"})
	if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
		t.Fatal(err)
	}
	r, err := New(st, func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	return r, st
}

func TestSummaries(t *testing.T) {
	r, _ := fixture(t)
	sums, err := r.Summaries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stu, err := Find(sums, "standardwoffpack_student")
	if err != nil {
		t.Fatal(err)
	}
	if stu.Name != "Office 365 A1 for students" || stu.Holders != len(hostile) || stu.Both != 1 || stu.InError != 1 ||
		len(stu.Groups) != 2 || stu.Purchased != 100 || stu.Available != 80 || stu.PercentUsed != 20 || len(stu.History) != 1 {
		t.Errorf("students %+v", stu)
	}
	fac, _ := Find(sums, strings.ToUpper(skuFaculty))
	if fac.Purchased != 30 || fac.Available != 0 || len(fac.Warnings) == 0 || fac.Warnings[0].Kind != "grace" {
		t.Errorf("faculty in grace counted as %d purchased, warnings %+v", fac.Purchased, fac.Warnings)
	}
	_, err = Find(sums, "SPE_E5")
	var nf *model.NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(nf.Detail, "STANDARDWOFFPACK_FACULTY") {
		t.Errorf("unknown SKU: %v", err)
	}
}

func TestHoldersExplained(t *testing.T) {
	r, _ := fixture(t)
	ctx := context.Background()
	sums, _ := r.Summaries(ctx)
	stu, _ := Find(sums, skuStudents)
	p, err := r.Holders(ctx, stu, model.HolderQuery{Page: 1, PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != len(hostile) {
		t.Fatalf("%d holders", p.Total)
	}
	byID := map[string]Row{}
	for _, row := range p.Rows {
		byID[row.Holder.User.ID] = row
	}
	both := byID["0000000a"]
	if both.Assignment() != "Direct; A1 students; All staff" || len(both.DisabledPlans) != 0 || both.StateLabel != "Active" {
		t.Errorf("direct and two groups: %q, plans %v, %q", both.Assignment(), both.DisabledPlans, both.StateLabel)
	}
	failed := byID["0000000b"]
	if failed.StateLabel != "Error" || failed.ErrorCode != model.ErrorOther ||
		!strings.HasPrefix(failed.Error, "Blocked by all-or-none: Office 365 A1 for faculty failed") {
		t.Errorf("in error: %+v", failed)
	}
	plain := byID["0000000c"]
	if plain.Assignment() != "A1 students" || len(plain.DisabledPlans) != 1 || plain.DisabledPlans[0].Name != "Microsoft Teams" {
		t.Errorf("group only: %q %v", plain.Assignment(), plain.DisabledPlans)
	}
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte(export.BOM)) {
		t.Fatal("no byte order mark")
	}
	return testkit.ReadCSV(t, b)
}

// The hostile values come back, parsed by a standard reader, as they were but for the
// documented apostrophe, and no cell a spreadsheet would evaluate starts with a formula.
func TestCSVRoundTripsHostileValues(t *testing.T) {
	r, _ := fixture(t)
	ctx := context.Background()
	sums, _ := r.Summaries(ctx)
	stu, _ := Find(sums, skuStudents)
	cols, err := ParseColumns([]string{"displayName", "department", "accountEnabled", "createdDateTime", "proxyAddresses", "assignment", "licenseState", "error", "disabledPlans"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteCSV(ctx, &buf, []Summary{stu}, Options{Columns: cols, BOM: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte("\r\n")) {
		t.Error("no CRLF line ends")
	}
	recs := readCSV(t, buf.Bytes())
	if strings.Join(recs[0], ",") != "displayName,department,accountEnabled,createdDateTime,proxyAddresses,assignment,licenseState,error,disabledPlans" {
		t.Errorf("header %q", recs[0])
	}
	if len(recs) != len(hostile)+1 {
		t.Fatalf("%d records", len(recs))
	}
	seen := map[string]bool{}
	for _, rec := range recs[1:] {
		for _, cell := range rec {
			if first := []rune(strings.TrimLeft(cell, " \u00a0\u200b")); len(first) > 0 && strings.ContainsRune("=+-@\t\r\n\x00＝＋－＠", first[0]) && cell[0] != '\'' {
				t.Errorf("cell %q would be evaluated", cell)
			}
		}
		name := strings.TrimPrefix(rec[0], "'")
		seen[name] = true
		if rec[1] != rec[0] {
			t.Errorf("department %q != name %q", rec[1], rec[0])
		}
		if rec[2] != "TRUE" && rec[2] != "FALSE" || !strings.HasSuffix(rec[3], "Z") || rec[4] != "SMTP:a@x; smtp:b@x" {
			t.Errorf("typed cells %q", rec[2:5])
		}
	}
	for _, h := range hostile {
		if !seen[h] {
			t.Errorf("%q did not come back", h)
		}
	}
	// Filters apply to files too; without the BOM on request.
	buf.Reset()
	if err := r.WriteCSV(ctx, &buf, []Summary{stu}, Options{Columns: cols, Filter: model.HolderQuery{InError: true}}); err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(buf.Bytes(), []byte(export.BOM)) || strings.Count(buf.String(), "\r\n") != 2 {
		t.Errorf("in error only, no BOM: %q", buf.String())
	}
}

func TestSeveralSKUsInOneCSVOrAZIP(t *testing.T) {
	r, _ := fixture(t)
	ctx := context.Background()
	sums, _ := r.Summaries(ctx)
	cols, _ := ParseColumns(nil)
	var buf bytes.Buffer
	if err := r.WriteCSV(ctx, &buf, sums, Options{Columns: cols, BOM: true}); err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, buf.Bytes())
	if recs[0][0] != "skuPartNumber" || recs[0][1] != "skuName" || len(recs) != len(hostile)+1+1 {
		t.Errorf("one CSV: header %q, %d records", recs[0], len(recs))
	}
	buf.Reset()
	if err := r.WriteZIP(ctx, &buf, sums, Options{Columns: cols, BOM: true}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range testkit.ZipFiles(t, buf.Bytes()) {
		names = append(names, f.Name)
		if recs := readCSV(t, f.Data); recs[0][0] != "displayName" {
			t.Errorf("%s header %q", f.Name, recs[0])
		}
	}
	slices.Sort(names)
	if strings.Join(names, " ") != "STANDARDWOFFPACK_FACULTY.csv STANDARDWOFFPACK_STUDENT.csv" {
		t.Errorf("files %v", names)
	}
}

func TestUsersCSV(t *testing.T) {
	r, _ := fixture(t)
	cols, _ := ParseColumns([]string{"userPrincipalName", "assignment"})
	var buf bytes.Buffer
	if err := r.WriteUsersCSV(context.Background(), &buf, Options{Columns: cols, BOM: true}); err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, buf.Bytes())
	if strings.Join(recs[0], ",") != "userPrincipalName,licenseCount,licenses" || len(recs) != len(hostile)+1 {
		t.Fatalf("%q, %d records", recs[0], len(recs))
	}
	for _, rec := range recs[1:] {
		if rec[0] == "ub@x.example" && (rec[1] != "2" || !strings.Contains(rec[2], "Office 365 A1 for faculty (All staff) [CountViolation]")) {
			t.Errorf("the user in error: %q", rec)
		}
	}
}

func TestParseColumns(t *testing.T) {
	cols, err := ParseColumns([]string{" UserPrincipalName", "displayName", "displayName", ""})
	if err != nil || len(cols) != 2 || cols[0].Name != "userPrincipalName" {
		t.Errorf("%v %v", cols, err)
	}
	if cols, _ := ParseColumns(nil); len(cols) != len(DefaultColumns()) {
		t.Errorf("defaults %v", cols)
	}
	_, err = ParseColumns([]string{"displayName", "shoeSize", "<script>"})
	var ie *model.InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Message, `"shoeSize"`) || !strings.Contains(ie.Message, "officeLocation") {
		t.Errorf("unknown column: %v", err)
	}
}

// Every column the report offers as sortable, the store can sort by.
func TestSortableColumnsAreSortable(t *testing.T) {
	for _, c := range Columns() {
		if c.Sortable != store.HolderSortable(c.Name) {
			t.Errorf("%s: sortable %v, store %v", c.Name, c.Sortable, store.HolderSortable(c.Name))
		}
	}
}

// Column names are what addresses, files and the command line name columns by, matched without
// regard to case: two columns of one name would make one of them unreachable (a user's "state"
// once hid the license's).
func TestColumnNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range append(Columns(), skuColumns()...) {
		k := strings.ToLower(c.Name)
		if seen[k] {
			t.Errorf("two columns are named %q", c.Name)
		}
		seen[k] = true
	}
}
