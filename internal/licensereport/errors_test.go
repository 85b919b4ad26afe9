package licensereport

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// errorsFixture is a tenant with users in error from two groups and directly.
func errorsFixture(t *testing.T) ErrorStore {
	t.Helper()
	st := storetest.Open(t)
	ctx := context.Background()
	if _, _, err := LoadErrors(ctx, st, ErrorFilter{}); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("before the first sync: %v", err)
	}
	snap := model.Snapshot{TakenAt: testNow,
		SKUs: []model.SKU{
			{ID: skuStudents, PartNumber: "STANDARDWOFFPACK_STUDENT", AppliesTo: "User", CapabilityStatus: "Enabled",
				ConsumedUnits: 20, Prepaid: model.PrepaidUnits{Enabled: 100}},
			{ID: skuFaculty, PartNumber: "STANDARDWOFFPACK_FACULTY", AppliesTo: "User", CapabilityStatus: "Enabled",
				ConsumedUnits: 10, Prepaid: model.PrepaidUnits{Enabled: 10}},
		},
		Groups: []model.Group{
			{ID: "00000000-0000-4000-8000-00000000000a", DisplayName: "Teaching assistants", AssignedLicenses: []model.AssignedLicense{{SKUID: skuStudents}, {SKUID: skuFaculty}}},
			{ID: "00000000-0000-4000-8000-00000000000b", DisplayName: "=Lecturers", AssignedLicenses: []model.AssignedLicense{{SKUID: skuFaculty}}},
		},
		Users: []model.User{
			{ID: "u1", DisplayName: "Ann", UserPrincipalName: "ann@x", UsageLocation: "GB", AccountEnabled: true, LicenseStates: []model.LicenseState{
				{SKUID: skuFaculty, AssignedByGroup: "00000000-0000-4000-8000-00000000000a", State: model.StateError, Error: model.ErrorCountViolation},
				{SKUID: skuStudents, AssignedByGroup: "00000000-0000-4000-8000-00000000000a", State: model.StateError, Error: model.ErrorOther}}},
			{ID: "u2", DisplayName: "Ben", UserPrincipalName: "ben@x", UsageLocation: "GB", LicenseStates: []model.LicenseState{
				{SKUID: skuFaculty, AssignedByGroup: "00000000-0000-4000-8000-00000000000b", State: model.StateError, Error: model.ErrorCountViolation}}},
			{ID: "u3", DisplayName: "Cat", UserPrincipalName: "cat@x", UsageLocation: "", LicenseStates: []model.LicenseState{
				{SKUID: skuStudents, State: model.StateError, Error: model.ErrorUsageLocation}}},
			{ID: "u4", DisplayName: "Dan", UserPrincipalName: "dan@x", UsageLocation: "GB", AccountEnabled: true,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuStudents}},
				LicenseStates:    []model.LicenseState{{SKUID: skuStudents, State: model.StateActive}}},
		},
	}
	if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
		t.Fatal(err)
	}
	return st
}

func userIDs(rep Errors) []string {
	var out []string
	for _, u := range rep.Users {
		out = append(out, u.User.ID)
	}
	return out
}

// Every user in error, by cause and by group, and filtered by kind, source and text.
func TestErrorsReport(t *testing.T) {
	st := errorsFixture(t)
	ctx := context.Background()
	all, warn, err := LoadErrors(ctx, st, ErrorFilter{})
	if err != nil || warn != nil {
		t.Fatal(err, warn)
	}
	if all.All != 3 || !slices.Equal(userIDs(all), []string{"u1", "u2", "u3"}) {
		t.Fatalf("all users in error: %d %v", all.All, userIDs(all))
	}
	// One shortage of faculty from two groups is one cause; the usage location another.
	if len(all.Causes) != 2 || all.Causes[0].Headline != "2 users cannot get Office 365 A1 for faculty: 0 of 10 available" ||
		!slices.Equal(all.Causes[0].Users, []string{"u1", "u2"}) || all.Causes[1].Code != model.ErrorUsageLocation {
		t.Errorf("causes %+v", all.Causes)
	}
	var sources []string
	for _, s := range all.Sources {
		sources = append(sources, s.Name+"="+strings.Repeat("*", s.Users)+"/"+s.Key())
	}
	if want := []string{"=Lecturers=*/00000000-0000-4000-8000-00000000000b", "Teaching assistants=*/00000000-0000-4000-8000-00000000000a", "Assigned directly=*/direct"}; !slices.Equal(sources, want) {
		t.Errorf("sources %q, want %q", sources, want)
	}
	if !slices.Equal(all.Codes, []model.LicenseError{model.ErrorCountViolation, model.ErrorUsageLocation}) {
		t.Errorf("codes %v", all.Codes)
	}
	// Ann's two licenses in error are listed, the real error first.
	if ls := all.Licenses(all.Users[0]); len(ls) != 2 || ls[0].Code != model.ErrorCountViolation || ls[1].Code != model.ErrorOther {
		t.Errorf("Ann's licenses %+v", ls)
	}

	for _, c := range []struct {
		f     ErrorFilter
		users []string
	}{
		{ErrorFilter{Code: model.ErrorCountViolation}, []string{"u1", "u2"}},
		{ErrorFilter{Code: model.ErrorUsageLocation}, []string{"u3"}},
		{ErrorFilter{Code: model.ErrorUniqueness}, nil},
		{ErrorFilter{Source: SourceDirect}, []string{"u3"}},
		{ErrorFilter{Source: "00000000-0000-4000-8000-00000000000B"}, []string{"u2"}},
		{ErrorFilter{Text: "BEN@"}, []string{"u2"}},
		{ErrorFilter{Text: "ann", Code: model.ErrorUsageLocation}, nil},
	} {
		rep, _, err := LoadErrors(ctx, st, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := userIDs(rep); !slices.Equal(got, c.users) || rep.All != 3 || len(rep.Sources) != 3 {
			t.Errorf("%+v: users %v (all %d, %d sources), want %v", c.f, got, rep.All, len(rep.Sources), c.users)
		}
		for _, cause := range rep.Causes {
			if c.f.Code != "" && cause.Code != c.f.Code {
				t.Errorf("%+v: cause %q", c.f, cause.Headline)
			}
		}
	}
	// Filtered to one group, its users' other errors are left out.
	rep, _, _ := LoadErrors(ctx, st, ErrorFilter{Source: "00000000-0000-4000-8000-00000000000a"})
	if len(rep.Users) != 1 || len(rep.Licenses(rep.Users[0])) != 2 || len(rep.Causes) != 1 || rep.Causes[0].Headline != "1 user cannot get Office 365 A1 for faculty: 0 of 10 available" {
		t.Errorf("one group: %+v", rep)
	}
}

// The CSV has one row per license in error, with the cause and the fix, safe for spreadsheets.
func TestWriteErrorsCSV(t *testing.T) {
	st := errorsFixture(t)
	rep, _, err := LoadErrors(context.Background(), st, ErrorFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteErrorsCSV(&buf, rep, true); err != nil {
		t.Fatal(err)
	}
	recs := testkit.ReadCSV(t, buf.Bytes())
	if !slices.Equal(recs[0], errorColumns) || len(recs) != 1+4 {
		t.Fatalf("header %v, %d rows", recs[0], len(recs))
	}
	byCol := func(r []string, name string) string { return r[slices.Index(errorColumns, name)] }
	ben := recs[3]
	if byCol(ben, "userPrincipalName") != "ben@x" || byCol(ben, "assignedBy") != "'=Lecturers" || byCol(ben, "error") != "CountViolation" ||
		byCol(ben, "accountEnabled") != "FALSE" || !strings.HasPrefix(byCol(ben, "cause"), "Not enough licenses") || byCol(ben, "fix") == "" {
		t.Errorf("Ben's row %q", ben)
	}
	if byCol(recs[4], "assignedBy") != "Direct" || byCol(recs[4], "groupId") != "" {
		t.Errorf("Cat's row %q", recs[4])
	}
}
