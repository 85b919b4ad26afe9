package tenantsim

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// Tokens the test verifier accepts.
const (
	tokFull   = "tok-full"
	tokRead   = "tok-read"
	tokNoRole = "tok-norole"
)

// fullRoles may do everything the simulator serves (it is not the full app registration, which
// holds the README's set: see FullAppRoles).
var fullRoles = []string{"Organization.Read.All", "Directory.Read.All", "Group.Read.All", "GroupMember.Read.All",
	"User.Read.All", "AuditLog.Read.All", "LicenseAssignment.ReadWrite.All", "Group.ReadWrite.All", "User.ReadWrite.All"}

// apiVerifier accepts the tok* tokens, and "perms:A,B" tokens that grant exactly A and B.
func apiVerifier() TokenVerifier {
	return TokenVerifierFunc(func(raw string) (Caller, error) {
		if perms, ok := strings.CutPrefix(raw, "perms:"); ok {
			return Caller{AppID: "app-" + perms, AppName: "app with " + perms, Roles: strings.Split(perms, ",")}, nil
		}
		switch raw {
		case tokFull:
			return Caller{AppID: "app-full", AppName: "tenantdesk full", Roles: fullRoles}, nil
		case tokRead:
			return Caller{AppID: "app-read", AppName: "tenantdesk read", Roles: []string{"Organization.Read.All", "Group.Read.All", "User.Read.All", "AuditLog.Read.All"}}, nil
		case tokNoRole:
			return Caller{AppID: "app-none", AppName: "no roles"}, nil
		}
		return Caller{}, errors.New("Access token validation failure. Invalid audience.")
	})
}

type apiEnv struct {
	t      *Tenant
	api    *API
	faults *Faults
	srv    *httptest.Server
}

// newAPIEnv serves a generated 200-user tenant through the fault middleware and the API.
func newAPIEnv(tb testing.TB) *apiEnv {
	tb.Helper()
	clk := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	return newAPIEnvWith(tb, Config{Seed: 7, Users: 200, Groups: 30, LicensedGroups: 10, Now: func() time.Time { return clk }})
}

// newAPIEnvWith is newAPIEnv for the tenant cfg.
func newAPIEnvWith(tb testing.TB, cfg Config) *apiEnv {
	tb.Helper()
	ten, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	f := NewFaults(FaultOptions{Seed: 1})
	api := NewAPI(ten, apiVerifier(), APIOptions{Faults: f})
	appOf := func(r *http.Request) string {
		c, err := apiVerifier().Verify(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil {
			return ""
		}
		return c.AppID
	}
	mux := http.NewServeMux()
	mux.Handle("/v1.0/", f.Middleware(api, appOf))
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return &apiEnv{t: ten, api: api, faults: f, srv: srv}
}

type resp = testkit.Response

// do sends a request; hdr are header pairs; an absolute URL is used as is.
func (e *apiEnv) do(tb testing.TB, method, path, token string, body []byte, hdr ...string) resp {
	tb.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.srv.URL + path
	}
	return testkit.Do(tb, e.srv.Client(), method, u, token, body, hdr...)
}

func (e *apiEnv) get(tb testing.TB, path string, hdr ...string) resp {
	tb.Helper()
	return e.do(tb, "GET", path, tokFull, nil, hdr...)
}

// wantError checks Graph's error shape: status, code, message containing msg, innerError ids.
func wantError(tb testing.TB, r resp, status int, code, msg string) {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	var ge struct {
		Error struct {
			Code       string `json:"code"`
			Message    *string
			InnerError struct {
				Date      string `json:"date"`
				RequestID string `json:"request-id"`
				Client    string `json:"client-request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &ge); err != nil {
		tb.Fatalf("error body: %v: %s", err, r.Body)
	}
	if ge.Error.Code != code || ge.Error.Message == nil || !strings.Contains(*ge.Error.Message, msg) {
		tb.Fatalf("error %s %v, want %s containing %q", ge.Error.Code, ge.Error.Message, code, msg)
	}
	if ge.Error.InnerError.RequestID == "" || ge.Error.InnerError.Date == "" || ge.Error.InnerError.Client == "" {
		tb.Fatalf("innerError incomplete: %s", r.Body)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		tb.Fatalf("error Content-Type %q", r.Header.Get("Content-Type"))
	}
}

func values(tb testing.TB, m map[string]any) []map[string]any {
	tb.Helper()
	raw, ok := m["value"].([]any)
	if !ok {
		tb.Fatalf("no value array in %v", m)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i] = v.(map[string]any)
	}
	return out
}

// pageAll follows @odata.nextLink from path and returns every item and the number of pages.
func (e *apiEnv) pageAll(tb testing.TB, path string, hdr ...string) ([]map[string]any, int) {
	tb.Helper()
	var all []map[string]any
	pages := 0
	for next := path; next != ""; pages++ {
		r := e.get(tb, next, hdr...)
		if r.Status != 200 {
			tb.Fatalf("GET %s: %d %s", next, r.Status, r.Body)
		}
		m := r.JSON(tb)
		all = append(all, values(tb, m)...)
		next, _ = m["@odata.nextLink"].(string)
		if next != "" && !strings.HasPrefix(next, e.srv.URL+"/v1.0/") {
			tb.Fatalf("nextLink %q is not absolute on the server", next)
		}
		if pages > 1000 {
			tb.Fatal("paging does not end")
		}
	}
	return all, pages
}

func (e *apiEnv) users() []User   { return copies(e.t, userCollection) }
func (e *apiEnv) groups() []Group { return copies(e.t, groupCollection) }

// copies returns a shallow copy of every object in c, taken under the read lock.
func copies[T any](t *Tenant, c directoryCollection[T]) []T {
	t.mu.RLock()
	defer t.mu.RUnlock()
	objs := c.all(t)
	out := make([]T, len(objs))
	for i, o := range objs {
		out[i] = *o
	}
	return out
}

func (e *apiEnv) group(id string) Group {
	e.t.mu.RLock()
	defer e.t.mu.RUnlock()
	return *e.t.groupByID[id]
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestAPIPagingAndSelect(t *testing.T) {
	e := newAPIEnv(t)
	users := e.users()
	all, pages := e.pageAll(t, "/v1.0/users?$top=60&$select=id,displayName,assignedLicenses,licenseAssignmentStates")
	if len(all) != len(users) || pages != (len(users)+59)/60 {
		t.Fatalf("got %d users in %d pages, want %d", len(all), pages, len(users))
	}
	seen := map[string]bool{}
	for _, u := range all {
		if got := strings.Join(keys(u), ","); got != "assignedLicenses,displayName,id,licenseAssignmentStates" {
			t.Fatalf("selected keys %s", got)
		}
		id := u["id"].(string)
		if seen[id] || id != strings.ToLower(id) {
			t.Fatalf("duplicate or upper-case id %s", id)
		}
		seen[id] = true
	}
	// Default properties and page size.
	r := e.get(t, "/v1.0/users")
	m := r.JSON(t)
	if len(values(t, m)) != 100 || m["@odata.nextLink"] == nil || m["@odata.context"] != e.srv.URL+"/v1.0/$metadata#users" {
		t.Fatalf("default page: %d items, context %v", len(values(t, m)), m["@odata.context"])
	}
	want := "businessPhones,displayName,givenName,id,jobTitle,mail,mobilePhone,officeLocation,preferredLanguage,surname,userPrincipalName"
	if got := strings.Join(keys(values(t, m)[0]), ","); got != want {
		t.Fatalf("default keys %s, want %s", got, want)
	}
	if _, ok := m["@odata.count"]; ok {
		t.Fatal("@odata.count without ConsistencyLevel")
	}
	wantError(t, e.get(t, "/v1.0/users?$top=1000"), 400, "Request_BadRequest", "Invalid page size")
	wantError(t, e.get(t, "/v1.0/users?$select=nope"), 400, "BadRequest", "Could not find a property named 'nope'")
	wantError(t, e.get(t, "/v1.0/users?$skiptoken=garbage"), 400, "Directory_ExpiredPageToken", "expired")
	// A skip token of another query is refused.
	next := m["@odata.nextLink"].(string)
	u, _ := url.Parse(next)
	tok := u.Query().Get("$skiptoken")
	wantError(t, e.get(t, "/v1.0/groups?$skiptoken="+tok), 400, "Directory_ExpiredPageToken", "expired")

	// Groups: licenseProcessingState and assignedLicenses only when selected, RFC3339 Z times.
	g := values(t, e.get(t, "/v1.0/groups?$top=1").JSON(t))[0]
	if _, ok := g["assignedLicenses"]; ok {
		t.Fatal("group assignedLicenses without $select")
	}
	if ts, _ := g["createdDateTime"].(string); !strings.HasSuffix(ts, "Z") {
		t.Fatalf("createdDateTime %q", ts)
	}
	g = values(t, e.get(t, "/v1.0/groups?$top=1&$select=id,licenseProcessingState,assignedLicenses").JSON(t))[0]
	if st, _ := g["licenseProcessingState"].(map[string]any); st == nil || st["state"] == "" {
		t.Fatalf("licenseProcessingState %v", g["licenseProcessingState"])
	}
}

func TestAPIOrderByAndSearch(t *testing.T) {
	e := newAPIEnv(t)
	all, _ := e.pageAll(t, "/v1.0/users?$orderby=displayName&$top=999")
	for i := 1; i < len(all); i++ {
		if strings.ToLower(all[i-1]["displayName"].(string)) > strings.ToLower(all[i]["displayName"].(string)) {
			t.Fatalf("not sorted at %d: %v > %v", i, all[i-1]["displayName"], all[i]["displayName"])
		}
	}
	name := e.users()[5].DisplayName
	term := strings.Fields(name)[0]
	q := "/v1.0/users?$search=" + url.QueryEscape(`"displayName:`+term+`"`)
	wantError(t, e.get(t, q), 400, "Request_UnsupportedQuery", "ConsistencyLevel")
	found, _ := e.pageAll(t, q, "ConsistencyLevel", "eventual")
	if len(found) == 0 || len(found) == len(e.users()) {
		t.Fatalf("search %q found %d", term, len(found))
	}
	for _, u := range found {
		if !searchMatch(u["displayName"].(string), term) {
			t.Fatalf("%v does not match %q", u["displayName"], term)
		}
	}
	wantError(t, e.get(t, "/v1.0/users?$orderby=displayName&$filter="+url.QueryEscape("startswith(displayName,'a')")),
		400, "Request_UnsupportedQuery", "Sorting not supported")
	wantError(t, e.get(t, "/v1.0/users?$orderby=mail"), 400, "Request_UnsupportedQuery", "Order by 'mail'")
}

func TestAPIFilters(t *testing.T) {
	e := newAPIEnv(t)
	sc := e.t.Scenarios
	users := e.users()
	wantWith := 0
	for _, u := range users {
		if slices.ContainsFunc(u.AssignedLicenses, func(l License) bool { return l.SKUID == sc.StudentSKU }) {
			wantWith++
		}
	}
	f := url.QueryEscape("assignedLicenses/any(x:x/skuId eq " + sc.StudentSKU + ")")
	got, _ := e.pageAll(t, "/v1.0/users?$select=id,assignedLicenses&$top=999&$filter="+f)
	if len(got) != wantWith || wantWith == 0 {
		t.Fatalf("any(skuId eq students): %d users, want %d", len(got), wantWith)
	}
	wantError(t, e.get(t, "/v1.0/users?$filter="+url.QueryEscape("assignedLicenses/any(x:x/skuId eq '"+sc.StudentSKU+"')")),
		400, "BadRequest", "incompatible types")

	// The two opposite ConsistencyLevel rules.
	licensed := 0
	for _, g := range e.groups() {
		if len(g.Licenses) > 0 {
			licensed++
		}
	}
	lf := "/v1.0/groups?$filter=" + url.QueryEscape("assignedLicenses/$count ne 0") + "&$count=true&$select=id,assignedLicenses&$top=4"
	// Graph's texts: the header is missing; with it, $count=true may be.
	wantError(t, e.get(t, lf), 400, "Request_UnsupportedQuery",
		"Operator 'ne' is not supported because the 'ConsistencyLevel:eventual' header is missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information")
	wantError(t, e.get(t, strings.Replace(lf, "&$count=true", "", 1), "ConsistencyLevel", "eventual"), 400, "Request_UnsupportedQuery",
		"Operator 'ne' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header.")
	for filter, op := range map[string]string{"endswith(mail,'@contoso.edu')": "endsWith", "not(userType eq 'Guest')": "not",
		"userType ne 'Guest'": "ne", "assignedLicenses/$count eq 0": "eq"} {
		wantError(t, e.get(t, "/v1.0/users?$filter="+url.QueryEscape(filter)), 400, "Request_UnsupportedQuery", "Operator '"+op+"' is not supported because")
	}
	r := e.get(t, lf, "ConsistencyLevel", "eventual")
	m := r.JSON(t)
	if n, _ := m["@odata.count"].(float64); int(n) != licensed || licensed == 0 {
		t.Fatalf("@odata.count %v, want %d", m["@odata.count"], licensed)
	}
	all, pages := e.pageAll(t, lf, "ConsistencyLevel", "eventual")
	if len(all) != licensed || pages < 2 {
		t.Fatalf("licensed groups: %d in %d pages, want %d", len(all), pages, licensed)
	}
	ef := "/v1.0/groups?$filter=" + url.QueryEscape("hasMembersWithLicenseErrors eq true") + "&$select=id,displayName"
	wantError(t, e.get(t, ef, "ConsistencyLevel", "eventual"), 400, "Request_UnsupportedQuery", "hasMembersWithLicenseErrors")
	errGroups, _ := e.pageAll(t, ef)
	if !slices.ContainsFunc(errGroups, func(g map[string]any) bool { return g["id"] == sc.A1Group }) {
		t.Fatalf("A1 group %s not among groups with errors %v", sc.A1Group, errGroups)
	}
	if _, ok := errGroups[0]["hasMembersWithLicenseErrors"]; ok {
		t.Fatal("hasMembersWithLicenseErrors returned")
	}
	a1 := e.group(sc.A1Group)
	eq := "/v1.0/groups?$filter=" + url.QueryEscape("displayName eq '"+strings.ReplaceAll(a1.DisplayName, "'", "''")+"'")
	if got := values(t, e.get(t, eq).JSON(t)); len(got) != 1 || got[0]["id"] != a1.ID {
		t.Fatalf("displayName eq: %v", got)
	}
	sw := "/v1.0/groups?$filter=" + url.QueryEscape("startswith(displayName,'"+strings.ReplaceAll(a1.DisplayName[:3], "'", "''")+"')")
	if got := values(t, e.get(t, sw).JSON(t)); !slices.ContainsFunc(got, func(g map[string]any) bool { return g["id"] == a1.ID }) {
		t.Fatalf("startswith: %v", got)
	}
	// ne needs advanced query
	wantError(t, e.get(t, "/v1.0/users?$filter="+url.QueryEscape("accountEnabled ne true")), 400, "Request_UnsupportedQuery", "Operator 'ne'")
	disabled := values(t, e.get(t, "/v1.0/users?$count=true&$top=999&$filter="+url.QueryEscape("accountEnabled ne true"), "ConsistencyLevel", "eventual").JSON(t))
	for _, u := range disabled {
		if uu := slices.IndexFunc(users, func(x User) bool { return x.ID == u["id"] }); users[uu].AccountEnabled {
			t.Fatalf("enabled user %v returned for accountEnabled ne true", u["id"])
		}
	}
	wantError(t, e.get(t, "/v1.0/users?$filter="+url.QueryEscape("displayName eq")), 400, "BadRequest", "Syntax error")
}

func TestAPIMembersAndCount(t *testing.T) {
	e := newAPIEnv(t)
	a1 := e.group(e.t.Scenarios.A1Group)
	base := "/v1.0/groups/" + a1.ID
	wantError(t, e.get(t, base+"/members/$count"), 400, "Request_BadRequest", "$count is not currently supported.")
	r := e.get(t, base+"/members/$count", "ConsistencyLevel", "eventual")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") || string(r.Body) != strconv.Itoa(len(a1.Members)) {
		t.Fatalf("members/$count: %d %q %q, want %d", r.Status, r.Header.Get("Content-Type"), r.Body, len(a1.Members))
	}
	// A group with non-user members, for the typed count.
	var mixed Group
	e.t.mu.RLock()
	for _, g := range e.t.groups {
		for _, m := range g.Members {
			if e.t.objectType[m] != TypeUser && mixed.ID == "" {
				mixed = *g
			}
		}
	}
	nUsers := 0
	for _, m := range mixed.Members {
		if e.t.objectType[m] == TypeUser {
			nUsers++
		}
	}
	e.t.mu.RUnlock()
	if mixed.ID == "" {
		t.Fatal("no group with non-user members")
	}
	r = e.get(t, "/v1.0/groups/"+mixed.ID+"/members/microsoft.graph.user/$count", "ConsistencyLevel", "eventual")
	if string(r.Body) != strconv.Itoa(nUsers) || nUsers == len(mixed.Members) {
		t.Fatalf("user count %q, want %d of %d", r.Body, nUsers, len(mixed.Members))
	}
	members, _ := e.pageAll(t, "/v1.0/groups/"+mixed.ID+"/members?$top=3")
	types := map[string]bool{}
	for _, m := range members {
		ty, _ := m["@odata.type"].(string)
		if !strings.HasPrefix(ty, "#microsoft.graph.") {
			t.Fatalf("member without @odata.type: %v", m)
		}
		types[ty] = true
	}
	if len(members) != len(mixed.Members) || len(types) < 2 {
		t.Fatalf("members %d (types %v), want %d", len(members), types, len(mixed.Members))
	}
	onlyUsers, _ := e.pageAll(t, "/v1.0/groups/"+mixed.ID+"/members/microsoft.graph.user?$select=id,displayName")
	if len(onlyUsers) != nUsers {
		t.Fatalf("cast to user: %d, want %d", len(onlyUsers), nUsers)
	}
	// membersWithLicenseErrors: every A1 member in error carries the CountViolation on faculty.
	errs, _ := e.pageAll(t, base+"/membersWithLicenseErrors")
	if len(errs) == 0 {
		t.Fatal("no members with license errors in the A1 group")
	}
	users := e.users()
	for _, m := range errs {
		u := users[slices.IndexFunc(users, func(x User) bool { return x.ID == m["id"] })]
		if !slices.ContainsFunc(u.LicenseStates, func(s LicenseState) bool {
			return s.AssignedByGroup == a1.ID && s.SKUID == e.t.Scenarios.FacultySKU && s.Error == "CountViolation"
		}) {
			t.Fatalf("user %s has no CountViolation from the A1 group: %+v", u.ID, u.LicenseStates)
		}
	}
	wantError(t, e.get(t, "/v1.0/groups/not-a-guid"), 400, "Request_BadRequest", "Invalid object identifier")
	wantError(t, e.get(t, "/v1.0/groups/00000000-0000-4000-8000-000000000000/members"), 404, "Request_ResourceNotFound", "does not exist")
	// users by id and by UPN
	u0 := users[0]
	byUPN := e.get(t, "/v1.0/users/"+url.PathEscape(u0.UserPrincipalName)).JSON(t)
	if byUPN["id"] != u0.ID || byUPN["@odata.context"] != e.srv.URL+"/v1.0/$metadata#users/$entity" {
		t.Fatalf("by UPN: %v", byUPN)
	}
	wantError(t, e.get(t, "/v1.0/users/nobody@example.com"), 404, "Request_ResourceNotFound", "nobody@example.com")
	if n := e.get(t, "/v1.0/users/$count", "ConsistencyLevel", "eventual"); string(n.Body) != strconv.Itoa(len(users)) {
		t.Fatalf("users/$count %q", n.Body)
	}
}

func TestAPIErrorsAndAuth(t *testing.T) {
	e := newAPIEnv(t)
	r := e.get(t, "/v1.0/foo", "client-request-id", "my-id-1")
	wantError(t, r, 400, "BadRequest", "Resource not found for the segment 'foo'.")
	if r.Header.Get("client-request-id") != "my-id-1" || !strings.Contains(string(r.Body), `"client-request-id":"my-id-1"`) || r.Header.Get("request-id") == "" {
		t.Fatalf("client-request-id not echoed: %v %s", r.Header, r.Body)
	}
	wantError(t, e.get(t, "/v1.0/users/x/bar"), 400, "BadRequest", "segment 'bar'")
	wantError(t, e.do(t, "DELETE", "/v1.0/users", tokFull, nil), 405, "Request_BadRequest", "not allowed")
	wantError(t, e.do(t, "GET", "/v1.0/users", "", nil), 401, "InvalidAuthenticationToken", "Access token is empty.")
	wantError(t, e.do(t, "GET", "/v1.0/users", "forged", nil), 401, "InvalidAuthenticationToken", "Invalid audience")
	wantError(t, e.do(t, "GET", "/v1.0/users", tokNoRole, nil), 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	u := e.users()[0]
	body := []byte(`{"addLicenses":[],"removeLicenses":[]}`)
	wantError(t, e.do(t, "POST", "/v1.0/users/"+u.ID+"/assignLicense", tokRead, body), 403, "Authorization_RequestDenied", "Insufficient privileges")
	wantError(t, e.do(t, "POST", "/v1.0/users/"+u.ID+"/reprocessLicenseAssignment", tokRead, nil), 403, "Authorization_RequestDenied", "")
	wantError(t, e.do(t, "POST", "/v1.0/groups", tokRead, []byte(`{}`)), 403, "Authorization_RequestDenied", "")
	if r := e.do(t, "GET", "/v1.0/auditLogs/directoryAudits?$top=1", tokRead, nil); r.Status != 200 {
		t.Fatalf("read-only app on audits: %d", r.Status)
	}
	wantError(t, e.do(t, "POST", "/v1.0/users/"+u.ID+"/assignLicense", tokFull, []byte(`{not json`)), 400, "BadRequest", "Unable to read JSON")
	wantError(t, e.do(t, "POST", "/v1.0/users/"+u.ID+"/assignLicense", tokFull, []byte(`{"addLicenses":[{"skuId":"nope"}],"removeLicenses":[]}`)),
		400, "Request_BadRequest", "skuId")
	wantError(t, e.do(t, "POST", "/v1.0/users/"+u.ID+"/assignLicense", tokFull, body, "Content-Encoding", "gzip"), 400, "BadRequest", "gzip")
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func TestAPIWrites(t *testing.T) {
	e := newAPIEnv(t)
	sc := e.t.Scenarios
	// A user without licenses gets A1 students directly, the body gzip-compressed as the SDK
	// sends it. Users the engine refuses (proxy clash, conflicts) are skipped.
	var target User
	body := fmt.Sprintf(`{"addLicenses":[{"skuId":"%s","disabledPlans":[]}],"removeLicenses":[]}`, strings.ToUpper(sc.StudentSKU))
	for _, u := range e.users() {
		if len(u.AssignedLicenses) != 0 || u.UsageLocation == "" || u.ID == sc.UniquenessUser {
			continue
		}
		r := e.do(t, "POST", "/v1.0/users/"+u.ID+"/assignLicense", tokFull, gz([]byte(body)),
			"Content-Encoding", "gzip", "Content-Type", "application/json")
		if r.Status == 400 {
			continue // e.g. a proxy clash or a conflicting plan from a group
		}
		if r.Status != 200 || r.JSON(t)["id"] != u.ID {
			t.Fatalf("assignLicense: %d %s", r.Status, r.Body)
		}
		target = u
		break
	}
	if target.ID == "" {
		t.Fatal("no unlicensed user to license")
	}
	sel := values(t, e.get(t, "/v1.0/users?$filter="+url.QueryEscape("id eq '"+target.ID+"'")+"&$select=assignedLicenses").JSON(t))
	if len(sel) != 1 || !strings.Contains(fmt.Sprint(sel[0]["assignedLicenses"]), sc.StudentSKU) {
		t.Fatalf("after assignLicense: %v", sel)
	}
	// Faculty has no units left: all or none, Graph's message.
	body = fmt.Sprintf(`{"addLicenses":[{"skuId":"%s"}],"removeLicenses":[]}`, sc.FacultySKU)
	wantError(t, e.do(t, "POST", "/v1.0/users/"+target.ID+"/assignLicense", tokFull, []byte(body)),
		400, "Request_BadRequest", "does not have any available licenses")
	wantError(t, e.do(t, "POST", "/v1.0/users/00000000-0000-4000-8000-00000000abcd/reprocessLicenseAssignment", tokFull, nil),
		404, "Request_ResourceNotFound", "")
	if r := e.do(t, "POST", "/v1.0/users/"+target.UserPrincipalName+"/reprocessLicenseAssignment", tokFull, nil); r.Status != 200 {
		t.Fatalf("reprocess: %d %s", r.Status, r.Body)
	}
	// Group template change: 202, Location, processing queued.
	body = fmt.Sprintf(`{"addLicenses":[],"removeLicenses":["%s"]}`, sc.FacultySKU)
	r := e.do(t, "POST", "/v1.0/groups/"+sc.A1Group+"/assignLicense", tokFull, gz([]byte(body)), "Content-Encoding", "gzip")
	wantLoc := e.srv.URL + "/v2/" + e.t.ID + "/directoryObjects/" + sc.A1Group + "/Microsoft.DirectoryServices.Group"
	if r.Status != 202 || r.Header.Get("Location") != wantLoc || r.JSON(t)["id"] != sc.A1Group {
		t.Fatalf("group assignLicense: %d %v %s", r.Status, r.Header, r.Body)
	}
	if lic := e.group(sc.A1Group).Licenses; slices.ContainsFunc(lic, func(l License) bool { return l.SKUID == sc.FacultySKU }) {
		t.Fatalf("faculty still in template: %v", lic)
	}
	// POST /groups with a memberof rule.
	a1Users := 0
	for _, m := range e.group(sc.A1Group).Members {
		if e.t.objectType[m] == TypeUser {
			a1Users++
		}
	}
	rule := fmt.Sprintf(`user.memberof -any (group.objectId -in ['%s'])`, sc.A1Group)
	gb, _ := json.Marshal(map[string]any{"displayName": "A1 mirror", "mailEnabled": false, "mailNickname": "a1mirror",
		"securityEnabled": true, "groupTypes": []string{"DynamicMembership"}, "membershipRule": rule, "membershipRuleProcessingState": "On"})
	r = e.do(t, "POST", "/v1.0/groups", tokFull, gb, "Content-Type", "application/json")
	if r.Status != 201 {
		t.Fatalf("POST /groups: %d %s", r.Status, r.Body)
	}
	id := r.JSON(t)["id"].(string)
	if n := e.get(t, "/v1.0/groups/"+id+"/members/$count", "ConsistencyLevel", "eventual"); string(n.Body) != strconv.Itoa(a1Users) {
		t.Fatalf("dynamic group has %s members, want %d", n.Body, a1Users)
	}
	wantError(t, e.do(t, "POST", "/v1.0/groups", tokFull, []byte(`{"displayName":"x","mailEnabled":false,"securityEnabled":true}`)),
		400, "Request_BadRequest", "mailNickname")
	// Graph's rules for a new group: no period or non-ASCII in mailNickname; assignedLicenses
	// is read-only; membershipRuleProcessingState is On or Paused, and Paused evaluates nothing.
	for _, nick := range []string{"a.b", "grüppe", "a b", "a@b"} {
		wantError(t, e.do(t, "POST", "/v1.0/groups", tokFull, []byte(`{"displayName":"x","mailEnabled":false,"securityEnabled":true,"mailNickname":"`+nick+`"}`)),
			400, "Request_BadRequest", "mailNickname")
	}
	wantError(t, e.do(t, "POST", "/v1.0/groups", tokFull, []byte(`{"displayName":"x","mailEnabled":false,"securityEnabled":true,"mailNickname":"x1",
		"assignedLicenses":[{"skuId":"`+sc.StudentSKU+`","disabledPlans":[]}]}`)), 400, "Request_BadRequest", "read-only")
	paused, _ := json.Marshal(map[string]any{"displayName": "A1 paused", "mailEnabled": false, "mailNickname": "a1paused",
		"securityEnabled": true, "groupTypes": []string{"DynamicMembership"}, "membershipRule": rule, "membershipRuleProcessingState": "Paused"})
	r = e.do(t, "POST", "/v1.0/groups", tokFull, paused, "Content-Type", "application/json")
	if r.Status != 201 || r.JSON(t)["membershipRuleProcessingState"] != "Paused" || len(e.group(r.JSON(t)["id"].(string)).Members) != 0 {
		t.Fatalf("paused dynamic group: %d %s", r.Status, r.Body)
	}
	bad, _ := json.Marshal(map[string]any{"displayName": "A1 odd", "mailEnabled": false, "mailNickname": "a1odd",
		"securityEnabled": true, "groupTypes": []string{"DynamicMembership"}, "membershipRule": rule, "membershipRuleProcessingState": "Sometimes"})
	wantError(t, e.do(t, "POST", "/v1.0/groups", tokFull, bad), 400, "Request_BadRequest", "membershipRuleProcessingState")
	// A memberOf rule may not be combined with other expressions, nor name a memberOf group.
	for _, rl := range []string{rule + ` -and (user.department -eq "Sales")`, `user.memberof -any (group.objectId -in ['` + id + `'])`} {
		b, _ := json.Marshal(map[string]any{"displayName": "x", "mailEnabled": false, "mailNickname": "x2", "securityEnabled": true,
			"groupTypes": []string{"DynamicMembership"}, "membershipRule": rl})
		wantError(t, e.do(t, "POST", "/v1.0/groups", tokFull, b), 400, "Request_BadRequest", "membershipRule")
	}
	// Removing a license the group does not have, and an add-on without its prerequisite in
	// the same group, are refused; the template stays as it was.
	body = fmt.Sprintf(`{"addLicenses":[],"removeLicenses":["%s"]}`, sc.FacultySKU)
	wantError(t, e.do(t, "POST", "/v1.0/groups/"+sc.A1Group+"/assignLicense", tokFull, []byte(body)), 400, "Request_BadRequest", "does not have a corresponding license")
	body = fmt.Sprintf(`{"addLicenses":[{"skuId":"%s","disabledPlans":["%s","%s"]},{"skuId":"%s","disabledPlans":[]}],"removeLicenses":[]}`,
		sc.StudentSKU, planTeams, planSkypeP2, skuAudioConf)
	wantError(t, e.do(t, "POST", "/v1.0/groups/"+sc.A1Group+"/assignLicense", tokFull, []byte(body)), 400, "Request_BadRequest",
		"The service Microsoft 365 Audio Conferencing requires Microsoft Teams or Skype for Business Online (Plan 2) to be enabled as well.")
}

func TestAPIBatch(t *testing.T) {
	e := newAPIEnv(t)
	a1 := e.group(e.t.Scenarios.A1Group)
	reqs := []map[string]any{
		{"id": "1", "method": "GET", "url": "/groups/" + a1.ID + "/members/$count", "headers": map[string]string{"ConsistencyLevel": "eventual"}},
		{"id": "2", "method": "GET", "url": "/groups/" + a1.ID + "/members/$count"},
		{"id": "3", "method": "GET", "url": "groups?$filter=" + url.QueryEscape("assignedLicenses/$count ne 0") + "&$count=true&$select=id",
			"headers": map[string]string{"consistencylevel": "eventual"}},
		{"id": "4", "method": "GET", "url": "/users?$top=1", "dependsOn": []string{"2"}},
		{"id": "5", "method": "POST", "url": "/users/" + e.users()[0].ID + "/reprocessLicenseAssignment"},
	}
	b, _ := json.Marshal(map[string]any{"requests": reqs})
	r := e.do(t, "POST", "/v1.0/$batch", tokFull, gz(b), "Content-Encoding", "gzip", "Content-Type", "application/json")
	if r.Status != 200 {
		t.Fatalf("batch: %d %s", r.Status, r.Body)
	}
	var out struct {
		Responses []struct {
			ID      string            `json:"id"`
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
			Body    json.RawMessage   `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || len(out.Responses) != 5 {
		t.Fatalf("batch body %v: %s", err, r.Body)
	}
	byID := map[string]int{}
	for i, x := range out.Responses {
		byID[x.ID] = i
		if _, ok := x.Headers["Content-Type"]; !ok {
			t.Fatalf("response %s has no Content-Type key: %v", x.ID, x.Headers)
		}
	}
	one := out.Responses[byID["1"]]
	var b64 string
	if one.Status != 200 || json.Unmarshal(one.Body, &b64) != nil {
		t.Fatalf("part 1: %d %s", one.Status, one.Body)
	}
	if n, _ := base64.StdEncoding.DecodeString(b64); string(n) != strconv.Itoa(len(a1.Members)) {
		t.Fatalf("part 1 count %q, want %d", n, len(a1.Members))
	}
	if p := out.Responses[byID["2"]]; p.Status != 400 || !strings.Contains(string(p.Body), "$count is not currently supported.") {
		t.Fatalf("part 2 (no ConsistencyLevel): %d %s", p.Status, p.Body)
	}
	var three map[string]any
	if p := out.Responses[byID["3"]]; p.Status != 200 || json.Unmarshal(p.Body, &three) != nil || three["@odata.count"] == nil {
		t.Fatalf("part 3: %d %s", p.Status, p.Body)
	}
	if p := out.Responses[byID["4"]]; p.Status != 424 {
		t.Fatalf("part 4 depends on a failed part: %d", p.Status)
	}
	if p := out.Responses[byID["5"]]; p.Status != 200 {
		t.Fatalf("part 5: %d %s", p.Status, p.Body)
	}
	// Over 20 refused.
	var many []map[string]any
	for i := 0; i < 21; i++ {
		many = append(many, map[string]any{"id": strconv.Itoa(i), "method": "GET", "url": "/users?$top=1"})
	}
	b, _ = json.Marshal(map[string]any{"requests": many})
	wantError(t, e.do(t, "POST", "/v1.0/$batch", tokFull, b), 400, "BadRequest", "limit of 20")
	b, _ = json.Marshal(map[string]any{"requests": []map[string]any{{"id": "a", "method": "GET", "url": "/users", "dependsOn": []string{"b"}}, {"id": "b", "method": "GET", "url": "/users", "dependsOn": []string{"a"}}}})
	wantError(t, e.do(t, "POST", "/v1.0/$batch", tokFull, b), 400, "BadRequest", "cycle")
	// Permissions apply per part.
	b, _ = json.Marshal(map[string]any{"requests": []map[string]any{{"id": "w", "method": "POST", "url": "/users/" + e.users()[0].ID + "/reprocessLicenseAssignment"}}})
	r = e.do(t, "POST", "/v1.0/$batch", tokRead, b)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"status":403`) {
		t.Fatalf("read-only batch write: %d %s", r.Status, r.Body)
	}
	var st StatsSnapshot
	eventually(func() bool { st = e.faults.Stats().Snapshot(); return st.Routes["POST /$batch"].Requests == 4 })
	if st.Routes["POST /$batch"].Requests != 4 || st.Routes["GET /groups/{id}/members/$count"].Batched != 2 || st.Routes["GET /groups"].Batched != 1 {
		t.Fatalf("stats: %+v", st.Routes)
	}
}

func TestAPIThrottleFaultsDrops(t *testing.T) {
	e := newAPIEnv(t)
	e.faults.SetKnobs(Knobs{ThrottleRequests: 3, ThrottleWindow: 10 * time.Second})
	for i := 0; i < 3; i++ {
		if r := e.get(t, "/v1.0/subscribedSkus"); r.Status != 200 {
			t.Fatalf("request %d: %d", i, r.Status)
		}
	}
	r := e.get(t, "/v1.0/subscribedSkus")
	wantError(t, r, 429, "TooManyRequests", "Please retry again later.")
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 10 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	// Another app has its own window.
	if r := e.do(t, "GET", "/v1.0/subscribedSkus", tokRead, nil); r.Status != 200 {
		t.Fatalf("other app throttled: %d", r.Status)
	}
	e.faults.SetKnobs(Knobs{FaultRate: 1})
	r = e.get(t, "/v1.0/users")
	if r.Status != 500 && r.Status != 503 && r.Status != 504 {
		t.Fatalf("fault status %d", r.Status)
	}
	wantError(t, r, r.Status, map[int]string{500: "InternalServerError", 503: "ServiceUnavailable", 504: "GatewayTimeout"}[r.Status], "")
	e.faults.SetKnobs(Knobs{DropRate: 1})
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1.0/users", nil)
	req.Header.Set("Authorization", "Bearer "+tokFull)
	if res, err := e.srv.Client().Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("dropped request answered %d", res.StatusCode)
	}
	e.faults.SetKnobs(Knobs{Latency: 30 * time.Millisecond})
	start := time.Now()
	if r := e.get(t, "/v1.0/subscribedSkus"); r.Status != 200 || time.Since(start) < 30*time.Millisecond {
		t.Fatalf("latency: %d after %v", r.Status, time.Since(start))
	}
	var st RouteStats
	eventually(func() bool { st = e.faults.Stats().Snapshot().Routes["GET /subscribedSkus"]; return st.Requests == 6 })
	if st.Requests != 6 || st.Throttled != 1 || st.Bytes == 0 {
		t.Fatalf("stats %+v", st)
	}
	// net/http retries an idempotent request once when its connection closes unanswered.
	if d := e.faults.Stats().Snapshot().Routes["GET /users"]; d.Dropped < 1 || d.Errors != 1 {
		t.Fatalf("users stats %+v", d)
	}
}

func TestAPISubscribedSkus(t *testing.T) {
	e := newAPIEnv(t)
	m := e.get(t, "/v1.0/subscribedSkus").JSON(t)
	skus := values(t, m)
	if len(skus) < 12 {
		t.Fatalf("%d skus", len(skus))
	}
	for _, s := range skus {
		id := s["skuId"].(string)
		if int(s["consumedUnits"].(float64)) != e.t.ConsumedUnits(id) {
			t.Fatalf("consumedUnits of %s: %v, want %d", id, s["consumedUnits"], e.t.ConsumedUnits(id))
		}
		pp := s["prepaidUnits"].(map[string]any)
		if _, ok := pp["lockedOut"]; !ok || len(s["servicePlans"].([]any)) == 0 {
			t.Fatalf("sku %v", s)
		}
	}
	wantError(t, e.get(t, "/v1.0/subscribedSkus?$filter="+url.QueryEscape("skuId eq 'x'")), 400, "Request_UnsupportedQuery", "")
}

func TestAPIAudits(t *testing.T) {
	e := newAPIEnv(t)
	e.t.mu.RLock()
	audits := slices.Clone(e.t.audits)
	e.t.mu.RUnlock()
	all, pages := e.pageAll(t, "/v1.0/auditLogs/directoryAudits?$top=20")
	if len(all) != len(audits) || pages < 2 {
		t.Fatalf("%d audits in %d pages, want %d", len(all), pages, len(audits))
	}
	for i := 1; i < len(all); i++ {
		if all[i-1]["activityDateTime"].(string) < all[i]["activityDateTime"].(string) {
			t.Fatal("audits not newest first")
		}
	}
	asc := values(t, e.get(t, "/v1.0/auditLogs/directoryAudits?$top=5&$orderby=activityDateTime%20asc").JSON(t))
	if asc[0]["id"] != audits[0].ID {
		t.Fatalf("asc first %v, want %s", asc[0]["id"], audits[0].ID)
	}
	count := func(pred func(AuditEvent) bool) int {
		n := 0
		for _, a := range audits {
			if pred(a) {
				n++
			}
		}
		return n
	}
	var sspr, lic AuditEvent
	for _, a := range audits {
		if a.InitiatedBy.User != nil && sspr.ID == "" {
			sspr = a
		}
		if a.ActivityDisplayName == "Change user license" && a.Result == "failure" && lic.ID == "" {
			lic = a
		}
	}
	if sspr.ID == "" || lic.ID == "" {
		t.Fatal("tenant lacks SSPR or license failure events")
	}
	cutoff := audits[len(audits)/2].ActivityDateTime.UTC()
	cases := []struct {
		filter string
		pred   func(AuditEvent) bool
	}{
		{"activityDisplayName eq 'Change user license' and result eq 'failure'", func(a AuditEvent) bool {
			return a.ActivityDisplayName == "Change user license" && a.Result == "failure"
		}},
		{"startswith(activityDisplayName,'Change')", func(a AuditEvent) bool { return strings.HasPrefix(a.ActivityDisplayName, "Change") }},
		{"activityDateTime ge " + cutoff.Format(time.RFC3339), func(a AuditEvent) bool { return !a.ActivityDateTime.Before(cutoff) }},
		{"activityDateTime le " + cutoff.Format(time.RFC3339), func(a AuditEvent) bool { return !a.ActivityDateTime.After(cutoff) }},
		{"loggedByService eq '" + sspr.LoggedByService + "'", func(a AuditEvent) bool { return a.LoggedByService == sspr.LoggedByService }},
		{"correlationId eq '" + sspr.CorrelationID + "'", func(a AuditEvent) bool { return a.CorrelationID == sspr.CorrelationID }},
		{"initiatedBy/user/userPrincipalName eq '" + sspr.InitiatedBy.User.UserPrincipalName + "'", func(a AuditEvent) bool {
			return a.InitiatedBy.User != nil && strings.EqualFold(a.InitiatedBy.User.UserPrincipalName, sspr.InitiatedBy.User.UserPrincipalName)
		}},
		{"targetResources/any(t:t/id eq '" + lic.TargetResources[0].ID + "')", func(a AuditEvent) bool {
			return slices.ContainsFunc(a.TargetResources, func(x AuditTarget) bool { return x.ID == lic.TargetResources[0].ID })
		}},
	}
	for _, c := range cases {
		got, _ := e.pageAll(t, "/v1.0/auditLogs/directoryAudits?$top=999&$filter="+url.QueryEscape(c.filter))
		if want := count(c.pred); len(got) != want || want == 0 {
			t.Errorf("%s: %d events, want %d", c.filter, len(got), want)
		}
	}
	one := values(t, e.get(t, "/v1.0/auditLogs/directoryAudits?$filter="+url.QueryEscape("id eq '"+lic.ID+"'")).JSON(t))[0]
	det := one["additionalDetails"].([]any)[0].(map[string]any)
	if det["key"] != "Licensing Error Message" || one["result"] != "failure" || !strings.HasSuffix(one["activityDateTime"].(string), "Z") {
		t.Fatalf("license failure event %v", one)
	}
	if r := e.get(t, "/v1.0/auditLogs/directoryAudits/"+lic.ID); r.Status != 200 || r.JSON(t)["id"] != lic.ID {
		t.Fatalf("audit by id: %d", r.Status)
	}
	wantError(t, e.get(t, "/v1.0/auditLogs/directoryAudits?$filter="+url.QueryEscape("activityDateTime ge '2026-01-01'")), 400, "BadRequest", "incompatible")
	wantError(t, e.get(t, "/v1.0/auditLogs/directoryAudits?$orderby=category"), 400, "Request_UnsupportedQuery", "category")
}

// FuzzRouter throws arbitrary methods, paths, queries and headers at the API: it must never
// panic and never answer 5xx, and every error must be Graph's error body.
func FuzzRouter(f *testing.F) {
	for _, s := range []struct{ method, path, query, cl string }{
		{"GET", "/v1.0/users", "$top=5&$select=id", ""},
		{"GET", "/v1.0/groups", "$filter=assignedLicenses/$count ne 0&$count=true", "eventual"},
		{"GET", "/v1.0/groups/delta()", "", ""},
		{"GET", "/v1.0/groups/x/members/microsoft.graph.user/$count", "", "eventual"},
		{"POST", "/v1.0/$batch", "", ""},
		{"GET", "/v1.0/auditLogs/directoryAudits", "$filter=targetResources/any(t:t/id eq 'x')", ""},
		{"PATCH", "/v1.0//users/", "%zz", ""},
		{"GET", "/v1.0/users/delta", "$deltatoken=abc", ""},
		{"GET", "/v1.0/users", "$skiptoken=XcDF8fDA", ""},
		{"POST", "/v1.0/groups", "", ""},
	} {
		f.Add(s.method, s.path, s.query, s.cl, []byte(`{"requests":[{"id":"1","method":"GET","url":"/users"}]}`))
	}
	e := newAPIEnv(f)
	f.Fuzz(func(t *testing.T, method, path, query, cl string, body []byte) {
		if !validMethod(method) || strings.ContainsAny(path, " \r\n\t#?\x00") || !strings.HasPrefix(path, "/") {
			return
		}
		req := httptest.NewRequest("GET", "/", bytes.NewReader(body))
		req.Method = method
		req.URL = &url.URL{Path: path, RawQuery: query}
		req.Header.Set("Authorization", "Bearer "+tokFull)
		if cl != "" {
			req.Header.Set("ConsistencyLevel", cl)
		}
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s: %d %s", method, path, query, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var eb graphError
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
				t.Fatalf("%s %s?%s: error without code or message: %s", method, path, query, rec.Body)
			}
		}
	})
}

// eventually waits up to two seconds for cond: the middleware counts a request only after its
// answer is written, so the client may look before the last count lands.
func eventually(cond func() bool) {
	for deadline := time.Now().Add(2 * time.Second); !cond() && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

func validMethod(m string) bool {
	if m == "" || len(m) > 10 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// Every license state comes out as Graph documents it: the four states by name and error null
// (never "None") when there is none.
func TestAPILicenseStatesJSON(t *testing.T) {
	e := newAPIEnv(t)
	all, _ := e.pageAll(t, "/v1.0/users?$select=id,licenseAssignmentStates&$top=999")
	seen := map[string]int{}
	for _, u := range all {
		for _, raw := range u["licenseAssignmentStates"].([]any) {
			st := raw.(map[string]any)
			state, _ := st["state"].(string)
			seen[state]++
			errVal, present := st["error"]
			switch {
			case !present:
				t.Fatalf("state without an error property: %v", st)
			case state == "Active" || state == "Disabled":
				if errVal != nil {
					t.Fatalf("%s state with error %v, want null", state, errVal)
				}
			case errVal == nil || errVal == "None" || errVal == "":
				t.Fatalf("%s state with error %v", state, errVal)
			}
		}
	}
	for _, s := range []string{"Active", "ActiveWithError", "Disabled", "Error"} {
		if seen[s] == 0 {
			t.Errorf("no %s state in the tenant: %v", s, seen)
		}
	}
	r := e.get(t, "/v1.0/users?$select=licenseAssignmentStates&$top=999")
	if strings.Contains(string(r.Body), `"None"`) {
		t.Error(`a state says "None"`)
	}
}

// Audit events appear AuditDelay after the change, as in Entra ID, minutes here: a reprocess's
// failure event is not listed, nor found by id, until five minutes have passed; then it is, at
// the time of the change. The control API's knob changes the delay for later events.
func TestAPIAuditLatency(t *testing.T) {
	clk := newFakeClock()
	e := newAPIEnvWith(t, Config{Seed: 7, Users: 200, Groups: 30, LicensedGroups: 10, AuditDelay: 5 * time.Minute, Now: clk.Now})
	user := userMembers(e.t, e.t.Scenarios.A1Group)[0]
	changedAt := clk.Now().UTC().Truncate(time.Second)
	since := "/v1.0/auditLogs/directoryAudits?$filter=" + url.QueryEscape("activityDateTime ge "+changedAt.Format(time.RFC3339)+
		" and targetResources/any(t:t/id eq '"+user+"')")
	if r := e.do(t, "POST", "/v1.0/users/"+user+"/reprocessLicenseAssignment", tokFull, nil); r.Status != 200 {
		t.Fatalf("reprocess: %d %s", r.Status, r.Body)
	}
	log := e.t.AuditLog()
	written := log[len(log)-1]
	if written.ActivityDisplayName != "Change user license" || written.TargetResources[0].ID != user {
		t.Fatalf("the reprocess wrote %+v", written)
	}
	for _, wait := range []time.Duration{0, 4*time.Minute + 59*time.Second} {
		clk.Add(wait)
		if got := values(t, e.get(t, since).JSON(t)); len(got) != 0 {
			t.Fatalf("after %v: %d events listed, want none yet", wait, len(got))
		}
		wantError(t, e.get(t, "/v1.0/auditLogs/directoryAudits/"+written.ID), 404, "Request_ResourceNotFound", written.ID)
	}
	clk.Add(time.Second)
	got := values(t, e.get(t, since).JSON(t))
	if len(got) != 1 || got[0]["id"] != written.ID || got[0]["activityDateTime"] != changedAt.Format("2006-01-02T15:04:05Z") {
		t.Fatalf("after five minutes: %v", got)
	}
	if r := e.get(t, "/v1.0/auditLogs/directoryAudits/"+written.ID); r.Status != 200 {
		t.Fatalf("by id after five minutes: %d", r.Status)
	}

	ctl := httptest.NewRequest("POST", "/_sim/knobs", strings.NewReader(`{"audit_delay_ms":0}`))
	ctl.RemoteAddr = "127.0.0.1:1234"
	rec := httptest.NewRecorder()
	NewControl(e.t, e.api, e.faults).ServeHTTP(rec, ctl)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"audit_delay_ms":0`) {
		t.Fatalf("knob: %d %s", rec.Code, rec.Body)
	}
	if r := e.do(t, "POST", "/v1.0/users/"+user+"/reprocessLicenseAssignment", tokFull, nil); r.Status != 200 {
		t.Fatalf("reprocess: %d", r.Status)
	}
	if got := values(t, e.get(t, since).JSON(t)); len(got) != 2 {
		t.Fatalf("with no delay: %d events, want 2", len(got))
	}
}

// With the knob, chosen routes answer 415 to a gzip body and take the same body uncompressed;
// other routes still take gzip. The control API refuses routes the simulator does not have.
func TestAPIRejectCompressedKnob(t *testing.T) {
	e := newAPIEnv(t)
	u := e.users()[0]
	body := []byte(`{"addLicenses":[],"removeLicenses":[]}`)
	assign := "/v1.0/users/" + u.ID + "/assignLicense"
	if r := e.do(t, "POST", assign, tokFull, gz(body), "Content-Encoding", "gzip", "Content-Type", "application/json"); r.Status != 200 {
		t.Fatalf("gzip accepted by default: %d %s", r.Status, r.Body)
	}
	k := e.faults.Knobs()
	k.RejectCompressed = []string{"POST /users/{id}/assignLicense"}
	e.faults.SetKnobs(k)
	wantError(t, e.do(t, "POST", assign, tokFull, gz(body), "Content-Encoding", "gzip", "Content-Type", "application/json"), 415, "BadRequest", "uncompressed")
	if r := e.do(t, "POST", assign, tokFull, body, "Content-Type", "application/json"); r.Status != 200 {
		t.Fatalf("uncompressed after the 415: %d %s", r.Status, r.Body)
	}
	batch := []byte(`{"requests":[{"id":"1","method":"GET","url":"/users?$top=1"}]}`)
	if r := e.do(t, "POST", "/v1.0/$batch", tokFull, gz(batch), "Content-Encoding", "gzip", "Content-Type", "application/json"); r.Status != 200 {
		t.Fatalf("gzip on another route: %d %s", r.Status, r.Body)
	}

	ctl := NewControl(e.t, e.api, e.faults)
	knob := func(body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/_sim/knobs", strings.NewReader(body))
		req.RemoteAddr = "127.0.0.1:1"
		rec := httptest.NewRecorder()
		ctl.ServeHTTP(rec, req)
		return rec
	}
	if rec := knob(`{"reject_compressed_routes":["POST /nowhere"]}`); rec.Code != 400 || !strings.Contains(rec.Body.String(), "POST /nowhere") {
		t.Fatalf("unknown route: %d %s", rec.Code, rec.Body)
	}
	if rec := knob(`{"reject_compressed_routes":["*"]}`); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"reject_compressed_routes":["*"]`) {
		t.Fatalf("all routes: %d %s", rec.Code, rec.Body)
	}
	wantError(t, e.do(t, "POST", "/v1.0/$batch", tokFull, gz(batch), "Content-Encoding", "gzip", "Content-Type", "application/json"), 415, "BadRequest", "")
	if rec := knob(`{"reject_compressed_routes":[]}`); rec.Code != 200 {
		t.Fatalf("reset: %d %s", rec.Code, rec.Body)
	}
	if r := e.do(t, "POST", "/v1.0/$batch", tokFull, gz(batch), "Content-Encoding", "gzip", "Content-Type", "application/json"); r.Status != 200 {
		t.Fatalf("gzip after reset: %d %s", r.Status, r.Body)
	}
}

// The smaller deviations from Graph found by driving the simulator with Microsoft's own
// JavaScript libraries, each as Graph documents or answers it.
func TestAPIGraphDetails(t *testing.T) {
	e := newAPIEnv(t)
	sc := e.t.Scenarios

	// $select=hasMembersWithLicenseErrors is accepted and the property is not returned.
	r := e.get(t, "/v1.0/groups?$select=id,hasMembersWithLicenseErrors&$top=3")
	if r.Status != 200 {
		t.Fatalf("$select=hasMembersWithLicenseErrors: %d %s", r.Status, r.Body)
	}
	for _, g := range values(t, r.JSON(t)) {
		if _, ok := g["hasMembersWithLicenseErrors"]; ok || g["id"] == nil {
			t.Fatalf("group %v", g)
		}
	}

	// $orderby=userPrincipalName, both ways, without an advanced query; groups do not take it.
	for _, desc := range []bool{false, true} {
		q := "/v1.0/users?$select=userPrincipalName&$top=999&$orderby=userPrincipalName"
		if desc {
			q += "%20desc"
		}
		got := values(t, e.get(t, q).JSON(t))
		upns := make([]string, len(got))
		for i, u := range got {
			upns[i] = strings.ToLower(u["userPrincipalName"].(string))
		}
		sorted := slices.IsSorted(upns)
		if desc {
			slices.Reverse(upns)
			sorted = slices.IsSorted(upns)
		}
		if !sorted || len(upns) != len(e.users()) {
			t.Fatalf("$orderby=userPrincipalName desc=%v: sorted %v, %d users", desc, sorted, len(upns))
		}
	}
	wantError(t, e.get(t, "/v1.0/groups?$orderby=userPrincipalName"), 400, "Request_UnsupportedQuery", "Order by 'userPrincipalName' is not supported.")

	// Every 401 carries the WWW-Authenticate challenge.
	for _, tok := range []string{"", "forged"} {
		r := e.do(t, "GET", "/v1.0/users", tok, nil)
		if r.Status != 401 || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"`) {
			t.Fatalf("401 with token %q: %d, WWW-Authenticate %q", tok, r.Status, r.Header.Get("WWW-Authenticate"))
		}
	}

	// Group assignLicense errors name the group.
	bad := []byte(`{"addLicenses":[]}`)
	wantError(t, e.do(t, "POST", "/v1.0/groups/"+sc.A1Group+"/assignLicense", tokFull, bad), 400, "Request_BadRequest",
		"Invalid value specified for property 'removeLicenses' of resource 'Group'.")
	wantError(t, e.do(t, "POST", "/v1.0/users/"+e.users()[0].ID+"/assignLicense", tokFull, bad), 400, "Request_BadRequest",
		"Invalid value specified for property 'removeLicenses' of resource 'User'.")

	// Throttling errors carry Graph's inner fields, whole requests and $batch parts alike.
	k := e.faults.Knobs()
	k.ThrottleRequests, k.ThrottleWindow = 2, time.Hour
	e.faults.SetKnobs(k)
	batch := `{"requests":[{"id":"1","method":"GET","url":"/users?$top=1"},{"id":"2","method":"GET","url":"/users?$top=1"}]}`
	br := e.do(t, "POST", "/v1.0/$batch", tokRead, []byte(batch), "Content-Type", "application/json").JSON(t)
	var part map[string]any
	for _, p := range br["responses"].([]any) {
		if p := p.(map[string]any); p["status"].(float64) == 429 {
			part = p["body"].(map[string]any)
		}
	}
	whole := e.do(t, "GET", "/v1.0/users", tokRead, nil)
	if whole.Status != 429 || part == nil {
		t.Fatalf("throttling: whole %d, part %v", whole.Status, br)
	}
	for _, body := range []map[string]any{whole.JSON(t), part} {
		ge := body["error"].(map[string]any)
		in := ge["innerError"].(map[string]any)
		if ge["code"] != "TooManyRequests" || ge["message"] != "Please retry again later." || in["code"] != "429" ||
			in["message"] != "Please retry after" || in["status"] != "429" || in["request-id"] == "" || in["date"] == "" {
			t.Fatalf("throttling body %v", body)
		}
	}
	e.faults.SetKnobs(Knobs{})

	// Audit events: servicePrincipalId a GUID for every app, an empty target name null.
	if r := e.do(t, "POST", "/v1.0/users/"+userMembers(e.t, sc.A1Group)[0]+"/reprocessLicenseAssignment", tokFull, nil); r.Status != 200 {
		t.Fatalf("reprocess: %d", r.Status)
	}
	all, _ := e.pageAll(t, "/v1.0/auditLogs/directoryAudits?$top=999")
	nullName := false
	for _, ev := range all {
		if app, _ := ev["initiatedBy"].(map[string]any)["app"].(map[string]any); app != nil {
			if sp, _ := app["servicePrincipalId"].(string); !isGUID(sp) {
				t.Fatalf("initiatedBy.app %v: servicePrincipalId not a GUID", app)
			}
		}
		for _, tr := range ev["targetResources"].([]any) {
			tr := tr.(map[string]any)
			name, present := tr["displayName"]
			if !present || name == "" {
				t.Fatalf("target %v: displayName missing or empty, want null or a name", tr)
			}
			nullName = nullName || name == nil
		}
	}
	if !nullName {
		t.Error("no audit target with a null displayName (user targets of Change user license have none)")
	}
}

// Responses are gzip-compressed when the client accepts it, and not otherwise.
func TestAPIGzipResponses(t *testing.T) {
	e := newAPIEnv(t)
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	get := func(accept string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/v1.0/users?$top=50", nil)
		req.Header.Set("Authorization", "Bearer "+tokFull)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	res, zipped := get("gzip, deflate, br")
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("accepting gzip: headers %v", res.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !json.Valid(plain) {
		t.Fatalf("gzip body: %v %q", err, plain)
	}
	res, body := get("")
	if res.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, plain) {
		t.Fatalf("without Accept-Encoding: %v, same body %v", res.Header, bytes.Equal(body, plain))
	}
	if res, _ := get("gzip;q=0, identity"); res.Header.Get("Content-Encoding") != "" {
		t.Fatal("gzip;q=0 answered gzipped")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"deflate, gzip;q=0.5"}, true},
		{[]string{"br", "gzip"}, true},
		{[]string{"*"}, true},
		{[]string{"*;q=0"}, false},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip;q=0, *"}, false},
		{[]string{"gzip;q=abc"}, false},
		{[]string{"gzip;q=2"}, false},
		{[]string{"gzip;q=-1"}, false},
		{[]string{"identity"}, false},
		{[]string{"gzipped"}, false},
		{[]string{";;;,,,=;q="}, false},
		{[]string{"x-gzip"}, true},
	} {
		if got := AcceptsGzip(tc.in); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.in, got, tc.want)
		}
	}
}

func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"gzip", "gzip;q=0.3, br", "*;q=0", "", ";q=;", "gzip;q=1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := AcceptsGzip([]string{v})
		if got && !strings.Contains(strings.ToLower(v), "gzip") && !strings.Contains(v, "*") {
			t.Fatalf("%q accepted without naming gzip or *", v)
		}
	})
}

type fakeAccounts struct {
	roles    map[string][]string
	disabled map[string]bool
}

func (f *fakeAccounts) SetRoles(upn string, roles []string) error {
	if upn != "reader@x" {
		return fmt.Errorf("%q: unknown account", upn)
	}
	f.roles[upn] = roles
	return nil
}

func (f *fakeAccounts) SetDisabled(upn string, d bool) error { f.disabled[upn] = d; return nil }

// POST /_sim/accounts changes an account's app roles or blocks it, as an administrator would.
func TestControlAccounts(t *testing.T) {
	e := newAPIEnv(t)
	ctl := NewControl(e.t, e.api, e.faults)
	post := func(body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/_sim/accounts", strings.NewReader(body))
		req.RemoteAddr = "127.0.0.1:1"
		rec := httptest.NewRecorder()
		ctl.ServeHTTP(rec, req)
		return rec
	}
	if rec := post(`{"upn":"reader@x","roles":[]}`); rec.Code != 404 {
		t.Errorf("without an account admin: %d", rec.Code)
	}
	acc := &fakeAccounts{roles: map[string][]string{}, disabled: map[string]bool{}}
	ctl.Accounts = acc
	if rec := post(`{"upn":"reader@x","roles":[],"disabled":true}`); rec.Code != 200 || acc.roles["reader@x"] == nil || !acc.disabled["reader@x"] {
		t.Errorf("change: %d %s, %+v", rec.Code, rec.Body, acc)
	}
	for _, bad := range []string{`{"upn":"other@x","roles":["Reader"]}`, `{"upn":"reader@x"}`, `{"roles":[]}`, `{"upn":"reader@x","role":"x"}`, `nope`} {
		if rec := post(bad); rec.Code < 400 {
			t.Errorf("%s: %d", bad, rec.Code)
		}
	}
}
