package assign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/graphtest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

// Real SKU ids from Microsoft's catalog.
const (
	skuStudents = "314c4481-f395-4525-be8b-2ec4bb1e9d91"
	skuFaculty  = "94763226-9b3c-4e75-a931-5c89701abe66"
	group       = "a1a1a1a1-0000-4000-8000-000000000001"
	other       = "b2b2b2b2-0000-4000-8000-000000000002"
)

var testNow = time.Date(2026, 3, 4, 10, 5, 0, 0, time.UTC)

func userID(i int) string { return fmt.Sprintf("c0000000-0000-4000-8000-%012d", i) }

// errorStates are the states of a member of group while faculty has no units left.
func errorStates() []model.LicenseState {
	return []model.LicenseState{
		{SKUID: skuFaculty, AssignedByGroup: group, State: model.StateError, Error: model.ErrorCountViolation},
		{SKUID: skuStudents, AssignedByGroup: group, State: model.StateError, Error: model.ErrorOther},
	}
}

func fineStates() []model.LicenseState {
	return []model.LicenseState{
		{SKUID: skuFaculty, AssignedByGroup: group, State: model.StateActive},
		{SKUID: skuStudents, AssignedByGroup: group, State: model.StateActive},
	}
}

// fixture is a snapshot with n members of group in error and one member of another group in
// error, in a real store, and Graph answering for them.
func fixture(t *testing.T, n int, granted ...string) (*Service, *store.Store, *graphtest.Graph) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	snap := model.Snapshot{
		TakenAt: testNow.Add(-time.Hour),
		SKUs: []model.SKU{
			{ID: skuStudents, PartNumber: "STANDARDWOFFPACK_STUDENT", CapabilityStatus: "Enabled", ConsumedUnits: 10, Prepaid: model.PrepaidUnits{Enabled: 1000}},
			{ID: skuFaculty, PartNumber: "STANDARDWOFFPACK_FACULTY", CapabilityStatus: "Enabled", ConsumedUnits: 500, Prepaid: model.PrepaidUnits{Enabled: 500}},
		},
		Groups: []model.Group{
			{ID: group, DisplayName: "A1", ProcessingState: model.ProcessingComplete,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuFaculty}, {SKUID: skuStudents}}},
			{ID: other, DisplayName: "Other", ProcessingState: model.ProcessingComplete,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuStudents}}},
		},
		MemberCounts: map[string]model.MemberCounts{group: {All: n, Users: n}, other: {All: 1, Users: 1}},
	}
	for i := range n {
		snap.Users = append(snap.Users, model.User{ID: userID(i), DisplayName: fmt.Sprintf("User %d", i), LicenseStates: errorStates()})
	}
	snap.Users = append(snap.Users, model.User{ID: userID(999), DisplayName: "Elsewhere",
		LicenseStates: []model.LicenseState{{SKUID: skuStudents, AssignedByGroup: other, State: model.StateError, Error: model.ErrorUsageLocation}}})
	if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
		t.Fatal(err)
	}
	if len(granted) == 0 {
		granted = []string{permissions.UserReadWrite}
	}
	perms, err := permissions.NewChecker(func(context.Context) ([]string, error) { return granted, nil }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := graphtest.New()
	s, err := New(g, st, perms, func() time.Time { return testNow }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, st, g
}

func TestReprocessGroupReportsEveryUserOnceAndPatchesTheSnapshot(t *testing.T) {
	s, st, g := fixture(t, 4)
	ctx := context.Background()
	// User 0 is licensed now, user 1 still in error, user 2 refused, user 3 cannot be re-read.
	g.UserByID[userID(0)] = model.User{ID: userID(0), DisplayName: "User 0", LicenseStates: fineStates()}
	g.UserByID[userID(1)] = model.User{ID: userID(1), DisplayName: "User 1", LicenseStates: errorStates()}
	g.Refuse[userID(2)] = &model.GraphError{Kind: model.GraphBadRequest, Status: 400, Code: "Request_BadRequest",
		Message: "Subscription with SKU " + skuFaculty + " does not have any available licenses."}
	g.SKUs = []model.SKU{{ID: skuFaculty, CapabilityStatus: "Enabled", ConsumedUnits: 501, Prepaid: model.PrepaidUnits{Enabled: 600}}}
	g.GroupRead = model.Group{ProcessingState: model.ProcessingInProgress}
	var progress []int
	res, err := s.ReprocessGroup(ctx, group, Selection{All: true}, func(done, total int) {
		if total != 4 {
			t.Errorf("progress total %d", total)
		}
		progress = append(progress, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Status{StatusLicensed, StatusInError, StatusRefused, StatusInError}
	if len(res.Outcomes) != 4 || res.Total != 4 {
		t.Fatalf("%d outcomes: %+v", len(res.Outcomes), res.Outcomes)
	}
	for i, o := range res.Outcomes {
		if o.UserID != userID(i) || o.Status != want[i] || !o.Known || o.Name != fmt.Sprintf("User %d", i) {
			t.Errorf("outcome %d: %+v, want %s", i, o, want[i])
		}
	}
	if o := res.Outcomes[1]; !strings.HasPrefix(o.Summary, "Not enough licenses: Office 365 A1 for faculty") && !strings.HasPrefix(o.Summary, "Not enough licenses: STANDARDWOFFPACK_FACULTY has 99 of 600") {
		t.Errorf("still in error: %q", o.Summary)
	}
	if o := res.Outcomes[2]; !strings.HasPrefix(o.Summary, "Not enough licenses: ") || !strings.Contains(o.Summary, "HTTP 400") || strings.Contains(o.Summary, skuFaculty) {
		t.Errorf("refusal not decoded with names: %q", o.Summary)
	}
	if o := res.Outcomes[3]; !strings.Contains(o.Summary, "could not be re-read") {
		t.Errorf("unread user: %q", o.Summary)
	}
	if res.Licensed != 1 || res.InError != 2 || res.Refused != 1 || res.AllLicensed() {
		t.Errorf("counts %+v", res)
	}
	if len(progress) == 0 || progress[len(progress)-1] != 4 {
		t.Errorf("progress %v", progress)
	}
	// Graph was asked once for the four, and only the accepted ones were re-read.
	if len(g.Reprocessed) != 1 || len(g.Reprocessed[0]) != 4 || g.UserReads != 3 {
		t.Errorf("reprocessed %v, %d user reads", g.Reprocessed, g.UserReads)
	}
	// The snapshot now has user 0 out of error and the group in progress; units re-read.
	inError, err := st.UsersInErrorForGroup(ctx, group)
	if err != nil || len(inError) != 3 || slices.ContainsFunc(inError, func(u model.User) bool { return u.ID == userID(0) }) {
		t.Errorf("in error after: %d, %v", len(inError), err)
	}
	d, err := st.GroupDetail(ctx, group)
	if err != nil || d.ProcessingState != model.ProcessingInProgress || d.ErrorCount != 3 {
		t.Errorf("group after: %+v, %v", d.GroupReportRow, err)
	}
	skus, _ := st.SKUs(ctx)
	for _, u := range skus {
		if u.ID == skuFaculty && u.Prepaid.Enabled != 600 {
			t.Errorf("faculty units not re-read: %+v", u.SKU)
		}
	}
	if got := res.Summary(); got != "4 users: 1 now licensed, 2 still in error, 1 refused by Graph" {
		t.Errorf("summary %q", got)
	}
}

func TestReprocessWithoutThePermissionTouchesNothing(t *testing.T) {
	s, _, g := fixture(t, 2, permissions.UserRead, permissions.GroupRead)
	_, err := s.ReprocessGroup(context.Background(), group, Selection{All: true}, nil)
	var pe *model.PermissionError
	if !errors.As(err, &pe) || !errors.Is(err, model.ErrForbidden) || !strings.Contains(pe.Why, permissions.UserReadWrite) {
		t.Fatalf("err %v, want a PermissionError naming the permission", err)
	}
	if _, err := s.ReprocessUsers(context.Background(), []string{userID(0)}, nil); !errors.Is(err, model.ErrForbidden) {
		t.Errorf("users: %v", err)
	}
	if len(g.Reprocessed) != 0 {
		t.Errorf("Graph was asked: %v", g.Reprocessed)
	}
}

func TestSelectGroupUsers(t *testing.T) {
	s, _, _ := fixture(t, 3)
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		all          bool
		requested    []string
		ids, ignored []string
		refusal      string
	}{
		{"all", true, []string{"ignored"}, []string{userID(0), userID(1), userID(2)}, nil, ""},
		{"nothing", false, nil, nil, nil, "Select at least one user"},
		{"repeated in any case", false, []string{userID(1), strings.ToUpper(userID(1)), " "}, []string{userID(1)}, nil, ""},
		{"a member of another group", false, []string{userID(999), userID(2)}, []string{userID(2)}, []string{userID(999)}, ""},
		{"nobody of this group", false, []string{userID(999), "stranger"}, nil, nil, "None of the selected users"},
	} {
		ids, ignored, err := s.SelectGroupUsers(ctx, group, tc.all, tc.requested)
		if tc.refusal != "" {
			if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.refusal) || ids != nil {
				t.Errorf("%s: %v %v, want refusal %q", tc.name, ids, err, tc.refusal)
			}
			continue
		}
		slices.Sort(ids)
		if err != nil || !slices.Equal(ids, tc.ids) || !slices.Equal(ignored, tc.ignored) {
			t.Errorf("%s: %v ignored %v (%v), want %v ignored %v", tc.name, ids, ignored, err, tc.ids, tc.ignored)
		}
	}
	if _, _, err := s.SelectGroupUsers(ctx, other, true, nil); err != nil {
		t.Errorf("the other group has one in error: %v", err)
	}
	if _, _, err := s.SelectGroupUsers(ctx, "no-such-group", true, nil); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("unknown group: %v, want nobody to reprocess", err)
	}
	many := make([]string, MaxUsers+1)
	for i := range many {
		many[i] = userID(i)
	}
	if _, _, err := s.SelectGroupUsers(ctx, group, false, many); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("%d users: %v", len(many), err)
	}
}

func TestIgnoredUsersAreNamed(t *testing.T) {
	s, _, g := fixture(t, 2)
	g.UserByID[userID(0)] = model.User{ID: userID(0), LicenseStates: fineStates()}
	res, err := s.ReprocessGroup(context.Background(), group, Selection{Users: []string{userID(0), userID(999)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != 1 || len(res.Problems) != 1 || !strings.Contains(res.Problems[0], userID(999)) {
		t.Errorf("result %+v", res)
	}
}

func TestManyUsersAreReReadInOnePass(t *testing.T) {
	s, _, g := fixture(t, 40)
	for i := range 40 {
		g.UserByID[userID(i)] = model.User{ID: userID(i), LicenseStates: fineStates()}
	}
	res, err := s.ReprocessGroup(context.Background(), group, Selection{All: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.ListReads != 1 || g.UserReads != 0 || res.Licensed != 40 {
		t.Errorf("%d list passes, %d single reads, %d licensed; want one pass for 40 users", g.ListReads, g.UserReads, res.Licensed)
	}
	delete(g.UserByID, userID(5))
	res, err = s.ReprocessUsers(context.Background(), []string{userID(5)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcomes[0].Status != StatusInError || !strings.Contains(res.Outcomes[0].Summary, "could not be re-read") {
		t.Errorf("a user gone from Graph: %+v", res.Outcomes[0])
	}
}

func TestRefreshGroupErrors(t *testing.T) {
	s, st, g := fixture(t, 2)
	ctx := context.Background()
	// Graph lists user 1 (upper case) and a user the snapshot does not have in error; user 0 is
	// fixed already. A device in the list is not a user.
	g.InError = []model.DirectoryObject{{ID: strings.ToUpper(userID(1)), Type: model.ObjectUser}, {ID: userID(7), Type: model.ObjectUser},
		{ID: "dev", Type: model.ObjectDevice}}
	g.UserByID[userID(0)] = model.User{ID: userID(0), LicenseStates: fineStates()}
	g.UserByID[strings.ToUpper(userID(1))] = model.User{ID: userID(1), LicenseStates: errorStates()}
	g.UserByID[userID(7)] = model.User{ID: userID(7), DisplayName: "New", LicenseStates: errorStates()}
	res, err := s.RefreshGroupErrors(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != KindRefresh || res.Total != 3 || res.Licensed != 1 || res.InError != 2 || len(g.Reprocessed) != 0 {
		t.Errorf("result %+v, reprocessed %v", res, g.Reprocessed)
	}
	inError, _ := st.UsersInErrorForGroup(ctx, group)
	if len(inError) != 2 {
		t.Errorf("%d in error after the refresh, want 2 (user 1 and the new one)", len(inError))
	}
	if got := res.Summary(); !strings.HasPrefix(got, "3 users: 1 now licensed, 2 still in error") || strings.Contains(got, "refused") {
		t.Errorf("summary %q", got)
	}

	g.InErrorErr = &model.GraphError{Kind: model.GraphTransient, Status: 503}
	res, err = s.RefreshGroupErrors(ctx, group)
	if err != nil || len(res.Problems) == 0 || !strings.Contains(res.Problems[0], "could not be read") || res.Total != 2 {
		t.Errorf("Graph's list failing: %+v, %v", res, err)
	}
}

func TestReprocessUsersCountsEveryLicense(t *testing.T) {
	s, _, g := fixture(t, 1)
	g.UserByID[userID(999)] = model.User{ID: userID(999), LicenseStates: []model.LicenseState{{SKUID: skuStudents, AssignedByGroup: other, State: model.StateActive}}}
	res, err := s.ReprocessUsers(context.Background(), []string{userID(999), strings.ToUpper(userID(999))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || res.Outcomes[0].Status != StatusLicensed || res.Outcomes[0].Summary != "Every license is assigned." {
		t.Errorf("result %+v", res)
	}
	if _, err := s.ReprocessUsers(context.Background(), nil, nil); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("no users: %v", err)
	}
}

func TestNewNeedsEveryDependency(t *testing.T) {
	s, st, g := fixture(t, 0)
	_ = s
	perms, _ := permissions.NewChecker(func(context.Context) ([]string, error) { return nil, nil }, nil, nil)
	for name, build := range map[string]func() (*Service, error){
		"graph":       func() (*Service, error) { return New(nil, st, perms, nil, nil) },
		"store":       func() (*Service, error) { return New(g, nil, perms, nil, nil) },
		"permissions": func() (*Service, error) { return New(g, st, nil, nil, nil) },
	} {
		if _, err := build(); err == nil {
			t.Errorf("built without %s", name)
		}
	}
}
