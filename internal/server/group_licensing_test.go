package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/graphtest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

// The licensing fixture: group LT assigns A1 students + A1 faculty + E5; group DEF assigns
// Defender for Office 365 alone. Each user shows one kind of license error.
const (
	skuE3      = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	planExoP2  = "efb87545-963c-4e0d-99df-69c6916d9eb0" // in E5 (planExo of helpers_test)
	planExoP1  = "9aaf7827-d63c-4b61-89c3-182f06f82e5c" // in E3
	planATP    = "f20fedf3-f3c3-43c3-8267-2bfdd51c0939" // THREAT_INTELLIGENCE in Defender
	groupLT    = "11111111-0000-4000-8000-000000000001"
	groupDef   = "22222222-0000-4000-8000-000000000002"
	uCount     = "c0000000-0000-4000-8000-000000000001"
	uConflict  = "c0000000-0000-4000-8000-000000000002"
	uLocation  = "c0000000-0000-4000-8000-000000000003"
	uUnique    = "c0000000-0000-4000-8000-000000000004"
	uOrphan    = "c0000000-0000-4000-8000-000000000005"
	uDep       = "c0000000-0000-4000-8000-000000000006"
	uFine      = "c0000000-0000-4000-8000-000000000007"
	licMembers = 120
)

func licSnapshot() model.Snapshot {
	st := func(sku, group string, errCode model.LicenseError) model.LicenseState {
		s := model.LicenseState{SKUID: sku, AssignedByGroup: group, State: model.StateActive}
		if errCode != "" {
			s.State, s.Error = model.StateError, errCode
		}
		return s
	}
	return model.Snapshot{
		TakenAt: testNow.Add(-5 * time.Minute),
		SKUs: []model.SKU{
			{ID: skuStudents, PartNumber: "STANDARDWOFFPACK_STUDENT", CapabilityStatus: "Enabled", ConsumedUnits: 10, Prepaid: model.PrepaidUnits{Enabled: 1000}},
			{ID: skuFaculty, PartNumber: "STANDARDWOFFPACK_FACULTY", CapabilityStatus: "Enabled", ConsumedUnits: 500, Prepaid: model.PrepaidUnits{Enabled: 500}},
			{ID: skuE5, PartNumber: "SPE_E5", CapabilityStatus: "Enabled", ConsumedUnits: 5, Prepaid: model.PrepaidUnits{Enabled: 100},
				ServicePlans: []model.ServicePlan{{ID: planTeams, Name: "TEAMS1"}, {ID: planExoP2, Name: "EXCHANGE_S_ENTERPRISE"}}},
			{ID: skuE3, PartNumber: "ENTERPRISEPACK", CapabilityStatus: "Enabled", ConsumedUnits: 5, Prepaid: model.PrepaidUnits{Enabled: 100},
				ServicePlans: []model.ServicePlan{{ID: planExoP1, Name: "EXCHANGE_S_STANDARD"}}},
			{ID: skuDefender, PartNumber: "THREAT_INTELLIGENCE", CapabilityStatus: "Enabled", ConsumedUnits: 1, Prepaid: model.PrepaidUnits{Enabled: 10},
				ServicePlans: []model.ServicePlan{{ID: planATP, Name: "THREAT_INTELLIGENCE"}}},
		},
		Groups: []model.Group{
			{ID: groupLT, DisplayName: "LT Students and Faculty", SecurityEnabled: true, ProcessingState: model.ProcessingComplete,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuStudents}, {SKUID: skuFaculty}, {SKUID: skuE5}}},
			{ID: groupDef, DisplayName: "Defender add-on", SecurityEnabled: true, ProcessingState: model.ProcessingComplete,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuDefender}}},
		},
		MemberCounts: map[string]model.MemberCounts{groupLT: {All: licMembers, Users: 100}, groupDef: {All: 1, Users: 1}},
		Users: []model.User{
			{ID: uCount, DisplayName: "Carla Count", UserPrincipalName: "carla@school.example", UsageLocation: "DE", AccountEnabled: true,
				LicenseStates: []model.LicenseState{st(skuFaculty, groupLT, model.ErrorCountViolation), st(skuStudents, groupLT, model.ErrorOther),
					st(skuE5, groupLT, model.ErrorOther)}},
			{ID: uConflict, DisplayName: "Conny Conflict", UserPrincipalName: "conny@school.example", UsageLocation: "DE", AccountEnabled: true,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuE3}},
				LicenseStates:    []model.LicenseState{st(skuE3, "", ""), st(skuE5, groupLT, model.ErrorMutuallyExclusive)}},
			{ID: uLocation, DisplayName: "Lou Location", UserPrincipalName: "lou@school.example", AccountEnabled: true,
				LicenseStates: []model.LicenseState{st(skuE5, groupLT, model.ErrorUsageLocation)}},
			{ID: uUnique, DisplayName: "Uma Unique", UserPrincipalName: "uma@school.example", Mail: "uma@school.example", UsageLocation: "DE",
				LicenseStates: []model.LicenseState{st(skuE5, groupLT, model.ErrorUniqueness)}},
			{ID: uOrphan, DisplayName: "Otto Orphan", UserPrincipalName: "otto@school.example", UsageLocation: "DE", AccountEnabled: true,
				LicenseStates: []model.LicenseState{st(skuStudents, groupLT, model.ErrorOther)}},
			{ID: uDep, DisplayName: "Dora Dependency", UserPrincipalName: "dora@school.example", UsageLocation: "DE", AccountEnabled: true,
				LicenseStates: []model.LicenseState{st(skuDefender, groupDef, model.ErrorDependency)}},
			{ID: uFine, DisplayName: "Fiona Fine", UserPrincipalName: "fiona@school.example", UsageLocation: "DE", AccountEnabled: true,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuStudents}},
				LicenseStates:    []model.LicenseState{st(skuStudents, groupLT, "")}},
		},
	}
}

func licCatalog() []model.Product {
	return append(testCatalog(),
		model.Product{SKUID: skuE3, PartNumber: "ENTERPRISEPACK", DisplayName: "Office 365 E3", Plans: []model.PlanName{
			{PlanID: planExoP1, Name: "EXCHANGE_S_STANDARD", FriendlyName: "Exchange Online (Plan 1)"}}},
		model.Product{SKUID: skuDefender, PartNumber: "THREAT_INTELLIGENCE", DisplayName: "Microsoft Defender for Office 365 (Plan 2)", Plans: []model.PlanName{
			{PlanID: planATP, Name: "THREAT_INTELLIGENCE", FriendlyName: "Microsoft Defender for Office 365 (Plan 2)"}}},
	)
}

func openLicStore(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	st.Now = func() time.Time { return testNow }
	if err := st.ReplaceProductCatalog(ctx, licCatalog(), "test", testNow); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveSnapshot(ctx, 0, licSnapshot()); err != nil {
		t.Fatal(err)
	}
	return st
}

// bareGUID finds a GUID left unnamed in a page's text.
var bareGUID = regexp.MustCompile(`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)

// licDirectory is Graph for the licensing pages: the LT group's members (every kind of
// object) and licensing audit events of its members and of a stranger.
func licDirectory() *graphtest.Graph {
	f := graphtest.New()
	types := []string{model.ObjectUser, model.ObjectUser, model.ObjectUser, model.ObjectGroup, model.ObjectDevice, model.ObjectContact}
	for i := range licMembers {
		typ := types[i%len(types)]
		o := model.DirectoryObject{ID: fmt.Sprintf("d0000000-0000-4000-8000-%012d", i), Type: typ, DisplayName: fmt.Sprintf("Member %03d %s", i, typ)}
		if typ == model.ObjectUser {
			o.UserPrincipalName = fmt.Sprintf("m%d@school.example", i)
		}
		f.Members = append(f.Members, o)
	}
	f.Members = append(f.Members, model.DirectoryObject{ID: uCount, Type: model.ObjectUser, DisplayName: "Carla Count", UserPrincipalName: "carla@school.example"})
	f.Audits = []model.AuditEvent{
		{ID: "a1", Activity: "Change user license", Result: "failure", At: testNow.Add(-time.Hour),
			ResultReason:   "Microsoft.Online.Provisioning.SubscriptionManagement.SubscriptionFullException",
			InitiatedByApp: &model.AuditApp{DisplayName: "Microsoft Azure AD Group-Based Licensing"},
			Targets:        []model.AuditTarget{{ID: uCount, DisplayName: "Carla Count", Type: "User"}},
			AdditionalDetails: []model.KeyValue{{Key: "Licensing Error Message", Value: "Not enough licenses are available to complete this operation. Purchase more licenses or remove unneeded licenses from users and groups for SKU [" +
				skuFaculty + "]. Licenses being added: [" + skuFaculty + "]"}}},
		{ID: "a2", Activity: "Change user license", Result: "failure", At: testNow.Add(-2 * time.Hour),
			Targets: []model.AuditTarget{{ID: uConflict, DisplayName: "Conny Conflict", Type: "User"}},
			AdditionalDetails: []model.KeyValue{{Key: "Licensing Error Message", Value: "The license can't be assigned because the user has licensed service plans that conflict with plans in the new license. Resolve these conflicting service plan pairs to solve this problem: [" +
				planExoP2 + ", " + planExoP1 + "]. Licenses being added: [" + skuE5 + "]"}}},
		{ID: "a3", Activity: "Change user license", Result: "success", At: testNow.Add(-3 * time.Hour),
			Targets: []model.AuditTarget{{ID: "e0000000-0000-4000-8000-00000000dead", DisplayName: "Not a member", Type: "User"}}},
	}
	return f
}

type activityRecorder struct {
	mu  sync.Mutex
	all []model.Activity
}

func (a *activityRecorder) AddActivity(_ context.Context, x model.Activity) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.all = append(a.all, x)
	return nil
}

// AddRefusal records every refusal as its own entry (the store's counting is tested there).
func (a *activityRecorder) AddRefusal(ctx context.Context, x model.Activity, _ model.RefusalPolicy) error {
	return a.AddActivity(ctx, x)
}

func (a *activityRecorder) ListActivity(_ context.Context, f model.ActivityFilter) (model.ActivityPage, error) {
	all := a.list()
	slices.Reverse(all)
	return model.ActivityPage{Entries: all[min(f.Offset, len(all)):min(f.Offset+max(f.Limit, 50), len(all))], Total: len(all)}, nil
}

func (a *activityRecorder) EachActivity(_ context.Context, _ model.ActivityFilter, fn func(model.Activity) error) error {
	for _, x := range a.list() {
		if err := fn(x); err != nil {
			return err
		}
	}
	return nil
}

// actions are the recorded entries as "action:result".
func (a *activityRecorder) actions() []string {
	var out []string
	for _, e := range a.list() {
		out = append(out, e.Action+":"+e.Result)
	}
	return out
}

func (a *activityRecorder) list() []model.Activity {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]model.Activity(nil), a.all...)
}

type licEnv struct {
	st  *store.Store
	dir *graphtest.Graph
	act *activityRecorder
	srv *Server
	h   http.Handler
}

func newLicEnv(t *testing.T, withAuth bool) *licEnv {
	t.Helper()
	e := &licEnv{st: openLicStore(t), dir: licDirectory(), act: &activityRecorder{}}
	deps := testDeps(t, e.st, e.dir)
	deps.Logger, deps.Activity = slogText(testWriter{t}), e.act
	withJobs(t, &deps, e.st, deps.Operations.(*assign.Service).JobKinds()...)
	if withAuth {
		deps.Auth = authtest.Authenticator{Anonymous: true}
	}
	s, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.h = s, s.Handler()
	return e
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "level=ERROR") {
		w.t.Logf("server log: %s", p)
	}
	return len(p), nil
}

// explanation is the text of a user's license state in the errors table.
func explanation(d *goquery.Document, user, sku string) string {
	return strings.Join(strings.Fields(d.Find(`#error-users tr[data-id="`+user+`"] li[data-sku="`+sku+`"]`).Text()), " ")
}

func TestGroupPageExplainsEveryError(t *testing.T) {
	e := newLicEnv(t, false)
	res := do(t, e.h, "GET", "/groups/"+groupLT, nil)
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	d := res.doc(t)
	if n := d.Find("#error-users tbody tr").Length(); n != 5 {
		t.Errorf("%d users in error listed, want 5", n)
	}
	for _, c := range []struct {
		user, sku string
		want      []string
	}{
		{uCount, skuFaculty, []string{"CountViolation", "Not enough licenses: Office 365 A1 for faculty has 0 of 500 available", "Fix:", "Buy more Office 365 A1 for faculty"}},
		{uCount, skuStudents, []string{"Other", "Blocked by all-or-none: Office 365 A1 for faculty failed: not enough licenses, 0 of 500 available"}},
		{uCount, skuE5, []string{"Blocked by all-or-none: Office 365 A1 for faculty failed"}},
		{uConflict, skuE5, []string{"MutuallyExclusiveViolation", "Exchange Online (Plan 2)", "Exchange Online (Plan 1)", "Office 365 E3", "assigned directly"}},
		{uLocation, skuE5, []string{"ProhibitedInUsageLocationViolation", "No usage location", "Usage location", "lou@school.example"}},
		{uUnique, skuE5, []string{"UniquenessViolation", "Proxy address already in use", "smtp:uma@school.example"}},
		{uOrphan, skuStudents, []string{"Other", "Blocked by all-or-none: another license assigned with it failed", "no failing license", "Reprocess the user"}},
	} {
		got := explanation(d, c.user, c.sku)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("user %s, SKU %s: %q lacks %q", c.user, c.sku, got, w)
			}
		}
		if bareGUID.MatchString(strings.ReplaceAll(got, "Update-MgUser -UserId", "")) {
			t.Errorf("user %s, SKU %s shows a bare GUID: %q", c.user, c.sku, got)
		}
	}
	// Names link to the user page, with the id on hover.
	if a := d.Find(`#error-users tr[data-id="` + uCount + `"] td.col-user a`); a.AttrOr("href", "") != "/users/"+uCount || a.AttrOr("title", "") != uCount {
		t.Errorf("user link %q title %q", a.AttrOr("href", ""), a.AttrOr("title", ""))
	}

	// Dependency, on the Defender group's page.
	d = do(t, e.h, "GET", "/groups/"+groupDef, nil).doc(t)
	if got := explanation(d, uDep, skuDefender); !strings.Contains(got, "Missing prerequisite") || !strings.Contains(got, "Defender add-on") {
		t.Errorf("dependency: %q", got)
	}
}

func TestGroupPageAuditAndMembers(t *testing.T) {
	e := newLicEnv(t, false)
	d := do(t, e.h, "GET", "/groups/"+groupLT, nil).doc(t)
	rows := d.Find("#audit tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("%d audit rows, want 2 (the non-member's event left out)", rows.Length())
	}
	first := strings.Join(strings.Fields(rows.Eq(0).Text()), " ")
	for _, w := range []string{"Carla Count", "Not enough licenses", "for SKU [Office 365 A1 for faculty]", "Microsoft Azure AD Group-Based Licensing"} {
		if !strings.Contains(first, w) {
			t.Errorf("count event %q lacks %q", first, w)
		}
	}
	conflict := rows.Eq(1)
	if got := strings.Join(strings.Fields(conflict.Find("ul.conflicts li").Text()), " "); got != "Exchange Online (Plan 2) conflicts with Exchange Online (Plan 1)" {
		t.Errorf("conflict pair %q", got)
	}
	if got := conflict.Find(".decoded").Text(); bareGUID.MatchString(got) {
		t.Errorf("decoded message still has GUIDs: %q", got)
	}
	if got := conflict.Find("code.raw").Text(); !strings.Contains(got, planExoP1) {
		t.Errorf("the original message with its GUIDs is not available: %q", got)
	}
	if q := e.dir.AuditQueries[0]; q.Activity != "Change user license" || q.Since.IsZero() {
		t.Errorf("audit query %+v", q)
	}

	// Members: 121 of every type, 50 a page, searchable and filterable by type.
	if got := strings.Join(strings.Fields(d.Find("#members-summary").Text()), " "); !strings.HasPrefix(got, "121 of 121 direct members shown in 3 pages") {
		t.Errorf("members summary %q", got)
	}
	if n := d.Find("#member-table tbody tr").Length(); n != 50 {
		t.Errorf("%d member rows on page 1", n)
	}
	d = do(t, e.h, "GET", "/groups/"+groupLT+"?mtype=device&mpage=1", nil).doc(t)
	types := texts(d.Find("#member-table td.col-type"))
	if len(types) != 20 || types[0] != "Device" || types[19] != "Device" {
		t.Errorf("device filter: %d rows %v", len(types), types)
	}
	d = do(t, e.h, "GET", "/groups/"+groupLT+"?mq=carla", nil).doc(t)
	if got := d.Find("#member-table tbody tr a").AttrOr("href", ""); got != "/users/"+uCount {
		t.Errorf("search for carla links %q", got)
	}
	d = do(t, e.h, "GET", "/groups/"+groupLT+"?mpage=3&mq=member", nil).doc(t)
	if n := d.Find("#member-table tbody tr").Length(); n != 20 {
		t.Errorf("page 3 of 120 matching: %d rows", n)
	}
	if next := d.Find("#member-pager a[rel=prev]").AttrOr("href", ""); next != "/groups/"+groupLT+"?mpage=2&mq=member#members" {
		t.Errorf("prev link %q", next)
	}
	if e.dir.MembersErr == nil && len(e.dir.Reprocessed) != 0 {
		t.Error("showing the page reprocessed users")
	}

	// Graph failing: clear messages, the rest of the page still there.
	e2 := newLicEnv(t, false)
	e2.dir.MembersErr = &model.GraphError{Kind: model.GraphForbidden, Status: 403, Code: "Authorization_RequestDenied", Message: "Insufficient privileges to complete the operation.", Permission: "GroupMember.Read.All"}
	e2.dir.AuditErr = errors.New("connection reset")
	d = do(t, e2.h, "GET", "/groups/"+groupLT, nil).doc(t)
	if got := d.Find("#members-error").Text(); !strings.Contains(got, "GroupMember.Read.All") {
		t.Errorf("members error %q", got)
	}
	if got := d.Find("#audit .audit-error").Text(); !strings.Contains(got, "connection reset") {
		t.Errorf("audit error %q", got)
	}
	if n := d.Find("#error-users tbody tr").Length(); n != 5 {
		t.Errorf("errors table lost with Graph down: %d rows", n)
	}
}

// postForm posts a form as a browser would and returns the response (not following redirects).
func postForm(t *testing.T, h http.Handler, target string, form url.Values, role string) response {
	t.Helper()
	req := httptest.NewRequest("POST", target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if role != "" {
		req.Header.Set("X-Test-Role", role)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{Response: rec.Result(), body: rec.Body.String()}
}

func fixedUser(id, name string, states ...model.LicenseState) model.User {
	u := model.User{ID: id, DisplayName: name, UsageLocation: "DE", AccountEnabled: true, LicenseStates: states}
	for _, s := range states {
		if !s.InError() {
			u.AssignedLicenses = append(u.AssignedLicenses, model.AssignedLicense{SKUID: s.SKUID})
		}
	}
	return u
}

func TestReprocessAllShowsEveryOutcomeAndUpdatesTheSnapshot(t *testing.T) {
	e := newLicEnv(t, true)
	ok := func(sku string) model.LicenseState {
		return model.LicenseState{SKUID: sku, AssignedByGroup: groupLT, State: model.StateActive}
	}
	// Faculty units were bought: Carla is licensed now. Lou still has no usage location. Graph
	// refuses Uma's reprocess. Conny and Otto are fixed.
	e.dir.UserByID[uCount] = fixedUser(uCount, "Carla Count", ok(skuFaculty), ok(skuStudents), ok(skuE5))
	e.dir.UserByID[uConflict] = fixedUser(uConflict, "Conny Conflict", ok(skuE5))
	e.dir.UserByID[uOrphan] = fixedUser(uOrphan, "Otto Orphan", ok(skuStudents))
	lou := fixedUser(uLocation, "Lou Location", model.LicenseState{SKUID: skuE5, AssignedByGroup: groupLT, State: model.StateError, Error: model.ErrorUsageLocation})
	lou.UsageLocation = ""
	e.dir.UserByID[uLocation] = lou
	e.dir.Refuse[uUnique] = &model.GraphError{Kind: model.GraphBadRequest, Status: 400, Code: "Request_BadRequest",
		Message: "Subscription with SKU " + skuE5 + " does not have any available licenses."}
	e.dir.SKUs = []model.SKU{{ID: skuFaculty, CapabilityStatus: "Enabled", ConsumedUnits: 501, Prepaid: model.PrepaidUnits{Enabled: 1000}}}
	e.dir.GroupRead = model.Group{ID: groupLT, ProcessingState: model.ProcessingInProgress}

	// A Reader sees no control and is refused.
	d := do(t, e.h, "GET", "/groups/"+groupLT, http.Header{"X-Test-Role": {"reader"}}).doc(t)
	if n := d.Find("#reprocess-form, #refresh-errors-form, input[name=user]").Length(); n != 0 {
		t.Errorf("a Reader sees %d reprocess controls", n)
	}
	if res := postForm(t, e.h, "/groups/"+groupLT+"/reprocess", url.Values{"scope": {"all"}}, "reader"); res.StatusCode != http.StatusForbidden {
		t.Errorf("Reader's crafted POST: status %d, want 403", res.StatusCode)
	}
	if len(e.dir.Reprocessed) != 0 {
		t.Fatal("a Reader's POST reached Graph")
	}

	d = do(t, e.h, "GET", "/groups/"+groupLT, http.Header{"X-Test-Role": {"operator"}}).doc(t)
	if n := d.Find("#reprocess-form input[name=user]").Length(); n != 5 {
		t.Errorf("Operator sees %d user checkboxes, want 5", n)
	}
	if d.Find("#reprocess-all").Length() != 1 || d.Find("#refresh-errors").Length() != 1 {
		t.Error("Operator lacks the reprocess-all or refresh button")
	}

	res := postForm(t, e.h, "/groups/"+groupLT+"/reprocess", url.Values{"scope": {"all"}}, "operator")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reprocess: status %d: %s", res.StatusCode, res.body)
	}
	loc := waitJob(t, e.h, res.Header.Get("Location"), "operator")
	if len(e.dir.Reprocessed) != 1 || len(e.dir.Reprocessed[0]) != 5 {
		t.Fatalf("Graph reprocess calls: %v", e.dir.Reprocessed)
	}
	// The job's page is for Operators; a Reader with its link is refused.
	if res := do(t, e.h, "GET", loc, http.Header{"X-Test-Role": {"reader"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a Reader opens the job page: %d", res.StatusCode)
	}
	d = do(t, e.h, "GET", loc, http.Header{"X-Test-Role": {"operator"}}).doc(t)
	status := map[string]string{}
	d.Find("#outcomes tbody tr").Each(func(_ int, r *goquery.Selection) {
		status[r.AttrOr("data-id", "")] = r.AttrOr("data-status", "") + ": " + strings.Join(strings.Fields(r.Text()), " ")
	})
	if len(status) != 5 {
		t.Fatalf("%d outcomes for 5 users: %v", len(status), status)
	}
	for id, want := range map[string][]string{
		uCount:    {"licensed", "Now licensed"},
		uConflict: {"licensed"},
		uOrphan:   {"licensed"},
		uLocation: {"error", "Still in error", "No usage location"},
		uUnique:   {"refused", "Refused by Graph", "Not enough licenses", "Microsoft 365 E5", "HTTP 400"},
	} {
		for _, w := range want {
			if !strings.Contains(status[id], w) {
				t.Errorf("outcome of %s %q lacks %q", id, status[id], w)
			}
		}
	}
	if got := strings.Join(strings.Fields(d.Find("#job-progress-text").Text()), " "); !strings.HasPrefix(got, "5 users: 3 now licensed, 1 still in error, 1 refused by Graph") {
		t.Errorf("summary %q", got)
	}
	if got := d.Find("#job-back").AttrOr("href", ""); got != "/groups/"+groupLT {
		t.Errorf("back link %q", got)
	}
	// The snapshot shows the new truth: 2 in error (Lou, Uma), processing re-read; the group
	// page lists the job.
	d = do(t, e.h, "GET", "/groups/"+groupLT, http.Header{"X-Test-Role": {"operator"}}).doc(t)
	if d.Find(`#group-jobs-table a[href="`+loc+`"]`).Length() != 1 {
		t.Error("the group page does not list its job")
	}
	if got := d.Find("#error-count").Text(); got != "2" {
		t.Errorf("error count after reprocess %q, want 2", got)
	}
	if got := d.Find("#processing").Text(); got != "In progress" {
		t.Errorf("processing %q", got)
	}
	g, err := e.st.GroupDetail(context.Background(), groupLT)
	if err != nil || g.ErrorCount != 2 {
		t.Errorf("store: %d errors (%v)", g.ErrorCount, err)
	}
	skus, _ := e.st.SKUs(context.Background())
	for _, k := range skus {
		if k.ID == skuFaculty && k.Prepaid.Enabled != 1000 {
			t.Errorf("faculty units not re-read: %+v", k)
		}
	}
	acts := e.act.list()
	var rep *model.Activity
	for i := range acts {
		if acts[i].Action == "reprocess" {
			rep = &acts[i]
		}
	}
	if rep == nil || rep.Target != groupLT || rep.TargetName != "LT Students and Faculty" || rep.ActorUPN != "operator@example.com" ||
		rep.Result != model.ActivityFailed || !strings.Contains(rep.Detail, "5 users: 3 now licensed, 1 still in error, 1 refused") {
		t.Errorf("activity %+v", rep)
	}
	// Another group's page does not list it.
	d = do(t, e.h, "GET", "/groups/"+groupDef, http.Header{"X-Test-Role": {"operator"}}).doc(t)
	if d.Find("#group-jobs").Length() != 0 {
		t.Error("another group's page lists the job")
	}
}

func TestReprocessSelectedUsers(t *testing.T) {
	e := newLicEnv(t, true)
	e.dir.UserByID[uCount] = fixedUser(uCount, "Carla Count")
	res := postForm(t, e.h, "/groups/"+groupLT+"/reprocess", url.Values{"scope": {"selected"}, "user": {uCount, uCount, strings.ToUpper(uCount), uOrphan}}, "operator")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", res.StatusCode)
	}
	loc := waitJob(t, e.h, res.Header.Get("Location"), "operator")
	if got := e.dir.Reprocessed[0]; len(got) != 2 || got[0] != uCount || got[1] != uOrphan {
		t.Errorf("reprocessed %v, want each selected user once", got)
	}
	d := do(t, e.h, "GET", loc, http.Header{"X-Test-Role": {"operator"}}).doc(t)
	if n := d.Find("#outcomes tbody tr").Length(); n != 2 {
		t.Errorf("%d outcome rows", n)
	}
	// Otto is not in the fake directory: reprocessed but not re-read, said so.
	if got := d.Find(`#outcomes tr[data-id="` + uOrphan + `"]`).Text(); !strings.Contains(got, "could not be re-read") {
		t.Errorf("unread outcome %q", got)
	}

	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"scope": {"selected"}}, "Select at least one user"},
		{url.Values{"user": {"a/b"}}, "is not a user object id"},
		{url.Values{"user": {strings.Repeat("x", 200)}}, "is not a user object id"},
		{url.Values{"user": {"\xff"}}, "is not a user object id"},
	} {
		res := postForm(t, e.h, "/groups/"+groupLT+"/reprocess", c.form, "operator")
		if res.StatusCode != 400 || !strings.Contains(res.body, c.want) {
			t.Errorf("%v: %d, want 400 with %q", c.form, res.StatusCode, c.want)
		}
	}
	if res := postForm(t, e.h, "/groups/nope/reprocess", url.Values{"scope": {"all"}}, "operator"); res.StatusCode != 404 {
		t.Errorf("unknown group: %d", res.StatusCode)
	}
	if len(e.dir.Reprocessed) != 1 {
		t.Errorf("bad requests reached Graph: %v", e.dir.Reprocessed)
	}
}

func TestRefreshLicenseErrors(t *testing.T) {
	e := newLicEnv(t, true)
	// Graph now lists only Lou in error; the others in the snapshot were fixed meanwhile.
	e.dir.InError = []model.DirectoryObject{{ID: uLocation, Type: model.ObjectUser}}
	ok := func(sku string) model.LicenseState {
		return model.LicenseState{SKUID: sku, AssignedByGroup: groupLT, State: model.StateActive}
	}
	for _, id := range []string{uCount, uConflict, uUnique, uOrphan} {
		e.dir.UserByID[id] = fixedUser(id, "Fixed "+id[len(id)-1:], ok(skuE5))
	}
	e.dir.UserByID[uLocation] = fixedUser(uLocation, "Lou Location", model.LicenseState{SKUID: skuE5, AssignedByGroup: groupLT, State: model.StateError, Error: model.ErrorUsageLocation})
	res := postForm(t, e.h, "/groups/"+groupLT+"/refresh-errors", nil, "operator")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d: %s", res.StatusCode, res.body)
	}
	loc := waitJob(t, e.h, res.Header.Get("Location"), "operator")
	if len(e.dir.Reprocessed) != 0 {
		t.Error("refreshing errors reprocessed users")
	}
	d := do(t, e.h, "GET", loc, http.Header{"X-Test-Role": {"operator"}}).doc(t)
	if got := d.Find("h1").Text(); !strings.HasPrefix(got, "Re-read 5 users in license error of") {
		t.Errorf("heading %q", got)
	}
	if got := strings.Join(strings.Fields(d.Find("#job-progress-text").Text()), " "); got != "5 users: 4 now licensed, 1 still in error" {
		t.Errorf("summary %q", got)
	}
	d = do(t, e.h, "GET", "/groups/"+groupLT, http.Header{"X-Test-Role": {"operator"}}).doc(t)
	if got := d.Find("#error-count").Text(); got != "1" {
		t.Errorf("error count after refresh %q, want 1", got)
	}
	if res := postForm(t, e.h, "/groups/"+groupLT+"/refresh-errors", nil, "reader"); res.StatusCode != http.StatusForbidden {
		t.Errorf("Reader refresh: %d", res.StatusCode)
	}
}

func TestReprocessMissingPermission(t *testing.T) {
	st := openLicStore(t)
	dir := licDirectory()
	// LicenseAssignment.ReadWrite.All changes templates but is not enough for reprocess.
	s, err := New(testDepsGranted(t, st, dir, func(context.Context) ([]string, error) {
		return []string{"User.Read.All", "Group.Read.All", "LicenseAssignment.ReadWrite.All"}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	d := do(t, h, "GET", "/groups/"+groupLT, nil).doc(t)
	if got := d.Find("#reprocess-blocked").Text(); !strings.Contains(got, "the app lacks User.ReadWrite.All (or instead Directory.ReadWrite.All)") {
		t.Errorf("blocked reason %q", got)
	}
	if !d.Find("#reprocess-selected").Is("[disabled]") || !d.Find("#reprocess-all").Is("[disabled]") {
		t.Error("reprocess controls not disabled")
	}
	// Refreshing license errors only reads: the write permission is not needed for it.
	if d.Find("#refresh-errors").Is("[disabled]") {
		t.Error("refresh license errors disabled for lack of a write permission")
	}
	res := postForm(t, h, "/groups/"+groupLT+"/reprocess", url.Values{"scope": {"all"}}, "")
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "User.ReadWrite.All") {
		t.Errorf("POST without the permission: %d", res.StatusCode)
	}
	if len(dir.Reprocessed) != 0 {
		t.Error("refused reprocess reached Graph")
	}
	if res := postForm(t, h, "/groups/"+groupLT+"/refresh-errors", nil, ""); res.StatusCode != http.StatusSeeOther {
		t.Errorf("refresh errors without the write permission: %d: %s", res.StatusCode, res.body)
	}
	if len(dir.Reprocessed) != 0 {
		t.Error("refreshing errors reprocessed users")
	}
}

func TestUserPage(t *testing.T) {
	e := newLicEnv(t, false)
	e.dir.Audits = append(e.dir.Audits, model.AuditEvent{ID: "s1", Activity: "Self-service password reset flow activity progress",
		LoggedByService: "Self-service Password Management", Result: "failure", ResultReason: "User contacted an admin after trying the email verification option",
		At: testNow.Add(-time.Hour), Targets: []model.AuditTarget{{ID: uCount, DisplayName: "Carla Count", Type: "User"}}})
	res := do(t, e.h, "GET", "/users/"+uCount, nil)
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	d := res.doc(t)
	if got := d.Find("h1#user-name").Text(); got != "Carla Count" {
		t.Errorf("name %q", got)
	}
	if got := d.Find("#user-id").Text(); got != uCount {
		t.Errorf("id %q", got)
	}
	if got := strings.TrimSpace(d.Find("#usage-location").Text()); got != "DE" {
		t.Errorf("usage location %q", got)
	}
	rows := d.Find("#license-table tbody tr")
	if rows.Length() != 3 {
		t.Fatalf("%d license rows", rows.Length())
	}
	// The real error first, then the blocked ones; each says which group assigns it.
	if got := rows.Eq(0).AttrOr("data-error", ""); model.LicenseError(got) != model.ErrorCountViolation {
		t.Errorf("first row %q", got)
	}
	if got := strings.Join(strings.Fields(rows.Eq(1).Text()), " "); !strings.Contains(got, "Blocked by all-or-none: Office 365 A1 for faculty failed") ||
		!strings.Contains(got, "by group LT Students and Faculty") {
		t.Errorf("second row %q", got)
	}
	if a := rows.Eq(0).Find("td.col-source a"); a.AttrOr("href", "") != "/groups/"+groupLT || a.AttrOr("title", "") != groupLT {
		t.Errorf("group link %q", a.AttrOr("href", ""))
	}
	if got := texts(d.Find("#group-list li")); len(got) != 1 || got[0] != "LT Students and Faculty in error" {
		t.Errorf("groups %q", got)
	}
	if got := strings.Join(texts(d.Find("#license-audit tbody tr")), " | "); !strings.Contains(got, "Not enough licenses") || strings.Contains(got, "password") {
		t.Errorf("licensing events %q", got)
	}
	if got := strings.Join(texts(d.Find("#sspr-audit tbody tr")), " | "); !strings.Contains(got, "contacted an admin") {
		t.Errorf("SSPR events %q", got)
	}
	if q := e.dir.AuditQueries[len(e.dir.AuditQueries)-1]; q.TargetID != uCount {
		t.Errorf("audit query %+v, want the user as target", q)
	}

	// By UPN too; a direct license and disabled plans.
	d = do(t, e.h, "GET", "/users/conny@school.example", nil).doc(t)
	if got := strings.Join(texts(d.Find("#license-table td.col-source")), " | "); got != "by group LT Students and Faculty | Directly" {
		t.Errorf("sources %q", got)
	}
	res = do(t, e.h, "GET", "/users/nobody@nowhere", nil)
	if res.StatusCode != 404 || !strings.Contains(res.body, "User not found") {
		t.Errorf("unknown user: %d", res.StatusCode)
	}

	e.dir.AuditErr = &model.GraphError{Kind: model.GraphForbidden, Status: 403, Message: "denied", Permission: "AuditLog.Read.All"}
	d = do(t, e.h, "GET", "/users/"+uLocation, nil).doc(t)
	if got := d.Find("#license-audit .audit-error").Text(); !strings.Contains(got, "AuditLog.Read.All") {
		t.Errorf("audit failure message %q", got)
	}
	if got := d.Find("#usage-location .err").Text(); got != "not set" {
		t.Errorf("missing usage location %q", got)
	}
}

func TestUserSearch(t *testing.T) {
	e := newLicEnv(t, false)
	d := do(t, e.h, "GET", "/users?q=SCHOOL.example", nil).doc(t)
	if got := d.Find("#users tbody tr").Length(); got != 7 {
		t.Errorf("%d results", got)
	}
	if got := d.Find("#nav-search").AttrOr("name", ""); got != "q" {
		t.Errorf("navigation search box: %q", got)
	}
	d = do(t, e.h, "GET", "/users?q=carla", nil).doc(t)
	row := d.Find("#users tbody tr")
	if row.Length() != 1 || row.Find("a").AttrOr("href", "") != "/users/"+uCount || !strings.Contains(row.Text(), "in error") {
		t.Errorf("carla row %q", row.Text())
	}
	d = do(t, e.h, "GET", "/users?q=zzz", nil).doc(t)
	if d.Find("#no-results").Length() != 1 {
		t.Error("no empty result message")
	}
	for _, target := range []string{"/users?page=0&q=a", "/users?page=x&q=a", "/users?q=" + strings.Repeat("a", 300)} {
		if res := do(t, e.h, "GET", target, nil); res.StatusCode != 400 {
			t.Errorf("%s: %d", target, res.StatusCode)
		}
	}
	if res := do(t, e.h, "GET", "/users?q=%ff%00", nil); res.StatusCode != 200 {
		t.Errorf("hostile query: %d", res.StatusCode)
	}
}
