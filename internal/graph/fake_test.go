package graph

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	khttp "github.com/microsoft/kiota-http-go"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// fakeGraph is a minimal Entra token endpoint + Graph for tests of the client's own logic (paging
// headers, query fallback, $batch retries, transport retries) without the simulated tenant.
type fakeGraph struct {
	t   *testing.T
	srv *httptest.Server

	mu              sync.Mutex
	refuseAdvanced  bool
	groupPageLevels []string       // ConsistencyLevel seen on each /groups page
	reprocessCalls  map[string]int // inner reprocess requests per user id
	dropFirstUsers  bool
	throttleBatches int // the first n $batch requests get an outer 429
	batchCalls      int
	usersCalls      int
	tokenCalls      int
	answers         map[string]http.HandlerFunc // by path below /v1.0, before the routes above
}

const fakeTenant = "contoso.onmicrosoft.com"

func newFakeGraph(t *testing.T) (*fakeGraph, Config) {
	f := &fakeGraph{t: t, reprocessCalls: map[string]int{}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return f, Config{
		TenantID: fakeTenant, ClientID: "app", ClientSecret: "secret",
		GraphURL: f.srv.URL, AuthorityURL: f.srv.URL, CAFile: ca, MaxRetries: 6,
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func graphErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg,
		"innerError": map[string]string{"request-id": "rid-" + code}}})
}

func (f *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	base := f.srv.URL
	switch {
	case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration"):
		writeJSON(w, 200, map[string]string{
			"token_endpoint":         base + "/" + fakeTenant + "/oauth2/v2.0/token",
			"authorization_endpoint": base + "/" + fakeTenant + "/oauth2/v2.0/authorize",
			"issuer":                 base + "/" + fakeTenant + "/v2.0",
		})
		return
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token"):
		r.ParseForm()
		f.mu.Lock()
		f.tokenCalls++
		f.mu.Unlock()
		if r.PostForm.Get("client_secret") != "secret" {
			writeJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
			return
		}
		writeJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": 3599,
			"access_token": jwtWith(`{"roles":["User.Read.All","Group.Read.All"]}`)})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		graphErr(w, 401, "InvalidAuthenticationToken", "Access token is empty.")
		return
	}
	f.mu.Lock()
	answer := f.answers[strings.TrimPrefix(r.URL.Path, "/v1.0")]
	f.mu.Unlock()
	if answer != nil {
		answer(w, r)
		return
	}
	switch p := strings.TrimPrefix(r.URL.Path, "/v1.0"); {
	case p == "/groups":
		f.groups(w, r)
	case p == "/users":
		f.mu.Lock()
		f.usersCalls++
		drop := f.dropFirstUsers && f.usersCalls == 1
		f.mu.Unlock()
		if drop {
			// A dropped connection: the client must retry the GET.
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		writeJSON(w, 200, map[string]any{"value": []map[string]any{{"id": "u1", "displayName": "Ann",
			"licenseAssignmentStates": []map[string]any{{"skuId": "94763226-9b3c-4e75-a931-5c89701abe66", "state": "Error", "error": "CountViolation", "assignedByGroup": "g1"}}}}})
	case p == "/groups/forbidden":
		// A 403 whose body lacks a message: ODataError.Error() would panic on it.
		writeJSON(w, 403, map[string]any{"error": map[string]any{"code": "Authorization_RequestDenied"}})
	case p == "/$batch":
		f.batch(w, r)
	default:
		graphErr(w, 404, "Request_ResourceNotFound", "no route "+p)
	}
}

var fakeGroupIDs = []string{"g1", "g2", "g3", "g4", "g5"}

func (f *fakeGraph) groups(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	advanced := strings.Contains(q.Get("$filter"), "assignedLicenses/$count")
	level := r.Header.Get("ConsistencyLevel")
	if advanced {
		f.mu.Lock()
		f.groupPageLevels = append(f.groupPageLevels, level)
		refuse := f.refuseAdvanced
		f.mu.Unlock()
		if refuse || level != "eventual" {
			graphErr(w, 400, "Request_UnsupportedQuery", "Unsupported Query.")
			return
		}
	}
	var all []map[string]any
	for i, id := range fakeGroupIDs {
		g := map[string]any{"id": id, "displayName": "Group " + id}
		if i%2 == 0 { // g1, g3, g5 are licensed
			g["assignedLicenses"] = []map[string]any{{"skuId": "314c4481-f395-4525-be8b-2ec4bb1e9d91", "disabledPlans": []string{}}}
		} else if advanced {
			continue
		}
		all = append(all, g)
	}
	// One group per page for the advanced query, two otherwise: several pages either way.
	size := 2
	if advanced {
		size = 1
	}
	start, _ := strconv.Atoi(q.Get("$skiptoken"))
	page := all[min(start, len(all)):min(start+size, len(all))]
	body := map[string]any{"value": page}
	if next := start + size; next < len(all) {
		nq := r.URL.Query()
		nq.Set("$skiptoken", strconv.Itoa(next))
		body["@odata.nextLink"] = f.srv.URL + r.URL.Path + "?" + nq.Encode()
	}
	writeJSON(w, 200, body)
}

// batch answers reprocess and $count parts with deterministic chaos: users whose number is a
// multiple of 3 are throttled on their first two tries, multiples of 5 get no answer on their
// first try, "gone" users are 404; responses come back in reverse order with a stray extra id.
func (f *fakeGraph) batch(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.batchCalls++
	throttle := f.batchCalls <= f.throttleBatches
	f.mu.Unlock()
	if throttle {
		w.Header().Set("Retry-After", "0")
		graphErr(w, 429, "TooManyRequests", "Please retry again later.")
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			graphErr(w, 400, "BadRequest", "bad gzip")
			return
		}
		body = zr
	}
	var in struct{ Requests []batchRequest }
	if err := json.NewDecoder(body).Decode(&in); err != nil || len(in.Requests) == 0 || len(in.Requests) > maxBatch {
		graphErr(w, 400, "BadRequest", fmt.Sprintf("bad batch (%d requests): %v", len(in.Requests), err))
		return
	}
	var out []map[string]any
	for _, q := range in.Requests {
		res := map[string]any{"id": q.ID}
		switch {
		case strings.HasSuffix(q.URL, "/reprocessLicenseAssignment"):
			uid := strings.Split(q.URL, "/")[2]
			f.mu.Lock()
			f.reprocessCalls[uid]++
			n := f.reprocessCalls[uid]
			f.mu.Unlock()
			num, _ := strconv.Atoi(strings.TrimPrefix(uid, "u"))
			switch {
			case uid == "gone":
				res["status"] = 404
				res["body"] = map[string]any{"error": map[string]any{"code": "Request_ResourceNotFound", "message": "Resource 'gone' does not exist."}}
			case num%5 == 0 && n == 1:
				continue // no answer at all
			case num%3 == 0 && n <= 2:
				res["status"] = 429
				res["headers"] = map[string]string{"Retry-After": "0.01"}
				res["body"] = map[string]any{"error": map[string]any{"code": "TooManyRequests", "message": "Please retry again later."}}
			default:
				res["status"] = 200
				res["headers"] = map[string]string{"Content-Type": "application/json"}
				res["body"] = map[string]any{"id": uid, "displayName": "User " + uid}
			}
		case strings.HasSuffix(q.URL, "/$count"):
			if q.Headers["ConsistencyLevel"] != "eventual" {
				res["status"] = 400
				res["body"] = map[string]any{"error": map[string]any{"code": "Request_BadRequest", "message": "$count is not currently supported."}}
				break
			}
			gid := strings.Split(q.URL, "/")[2]
			n := len(gid) * 10
			if strings.Contains(q.URL, "microsoft.graph.user") {
				n = len(gid)
			}
			res["status"] = 200
			res["headers"] = map[string]string{"Content-Type": "text/plain"}
			res["body"] = strconv.Itoa(n) // a numeric string; the simulator sends base64
		default:
			res["status"] = 404
		}
		out = append(out, res)
	}
	slices.Reverse(out)
	out = append(out, map[string]any{"id": "stray", "status": 200})
	writeJSON(w, 200, map[string]any{"responses": out})
}

func newFakeClient(t *testing.T) (*fakeGraph, *Client) {
	f, cfg := newFakeGraph(t)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func TestFakeLicensedGroupsKeepsConsistencyLevel(t *testing.T) {
	f, c := newFakeClient(t)
	gs, err := c.LicensedGroups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.ID)
	}
	if !slices.Equal(ids, []string{"g1", "g3", "g5"}) {
		t.Fatalf("licensed groups = %v", ids)
	}
	if len(f.groupPageLevels) != 3 || slices.ContainsFunc(f.groupPageLevels, func(s string) bool { return s != "eventual" }) {
		t.Fatalf("ConsistencyLevel per page = %q, want eventual on all 3 pages", f.groupPageLevels)
	}
	if gs[0].AssignedLicenses[0].SKUID != "314c4481-f395-4525-be8b-2ec4bb1e9d91" {
		t.Fatalf("template not read: %+v", gs[0])
	}
	st := c.Stats()
	if st.Requests != 3 || st.TokenRequests < 2 || st.Bytes == 0 || st.TokenBytes == 0 {
		t.Fatalf("stats = %+v, want 3 Graph requests and the discovery+token requests", st)
	}
}

func TestFakeLicensedGroupsFallsBack(t *testing.T) {
	f, c := newFakeClient(t)
	f.refuseAdvanced = true
	gs, err := c.LicensedGroups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 3 || gs[2].ID != "g5" {
		t.Fatalf("fallback groups = %+v", gs)
	}
}

func TestFakeUsersRetriesDroppedConnection(t *testing.T) {
	f, c := newFakeClient(t)
	f.dropFirstUsers = true
	var got []model.User
	err := c.Users(context.Background(), func(p []model.User) error { got = append(got, p...); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].LicenseStates[0].Error != model.ErrorCountViolation || got[0].LicenseStates[0].AssignedByGroup != "g1" {
		t.Fatalf("users = %+v", got)
	}
	if f.usersCalls != 2 {
		t.Fatalf("users requests = %d, want 2 (one dropped, one retried)", f.usersCalls)
	}
	// The callback's own error comes back unchanged.
	stop := errors.New("stop")
	if err := c.Users(context.Background(), func([]model.User) error { return stop }); err != stop {
		t.Fatalf("Users returned %v, want the callback's error", err)
	}
}

func TestFakeReprocessExactlyOneOutcomeEach(t *testing.T) {
	f, c := newFakeClient(t)
	var ids []string
	for i := 1; i <= 137; i++ {
		ids = append(ids, "u"+strconv.Itoa(i))
	}
	ids = append(ids, "gone", "u7") // a missing user and a duplicate
	var last int
	var mu sync.Mutex
	out := c.ReprocessUsers(context.Background(), ids, func(done int) {
		mu.Lock()
		defer mu.Unlock()
		if done < last {
			t.Errorf("progress went back from %d to %d", last, done)
		}
		last = done
	})
	if len(out) != len(ids) || last != len(ids) {
		t.Fatalf("%d outcomes, progress %d, for %d ids", len(out), last, len(ids))
	}
	for i, o := range out {
		if o.UserID != ids[i] {
			t.Fatalf("outcome %d is for %q, want %q", i, o.UserID, ids[i])
		}
		if ids[i] == "gone" {
			if !errors.Is(o.Err, model.ErrNotFound) {
				t.Errorf("gone: err = %v, want not found", o.Err)
			}
			continue
		}
		if o.Err != nil || o.User.ID != ids[i] || o.User.DisplayName != "User "+ids[i] {
			t.Errorf("%s: outcome %+v", ids[i], o)
		}
	}
	// u3 was throttled twice then done; u5 unanswered once; u15 both.
	for id, want := range map[string]int{"u1": 1, "u3": 3, "u5": 2, "u15": 3} {
		if got := f.reprocessCalls[id]; got != want {
			t.Errorf("%s reprocessed %d times, want %d", id, got, want)
		}
	}
}

func TestFakeReprocessGivesUpAfterRetries(t *testing.T) {
	f, cfg := newFakeGraph(t)
	// u3 needs two retries; alone in its batch, no round makes progress, so one retry is all
	// it gets. (Rounds where other parts get answered do not count against the budget.)
	cfg.MaxRetries = 1
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := c.ReprocessUsers(context.Background(), []string{"u3"}, nil)
	if !errors.Is(out[0].Err, model.ErrThrottled) {
		t.Fatalf("outcomes = %+v", out)
	}
	if f.reprocessCalls["u3"] != 2 {
		t.Fatalf("u3 tried %d times, want 2", f.reprocessCalls["u3"])
	}
}

func TestFakeMemberCounts(t *testing.T) {
	_, c := newFakeClient(t)
	ids := []string{"a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g", "h", "i", "j", "k", "longer-id"}
	counts, err := c.MemberCounts(context.Background(), ids, everyGroup, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if got, want := counts[id], (model.MemberCounts{All: len(id) * 10, Users: len(id)}); got != want {
			t.Errorf("%s: %+v, want %+v", id, got, want)
		}
	}
}

func TestFakeErrors(t *testing.T) {
	_, c := newFakeClient(t)
	// A 403 without a message in its body is classified, not a panic in the SDK.
	_, err := c.Group(context.Background(), "forbidden")
	var ge *model.GraphError
	if !errors.As(err, &ge) || ge.Kind != model.GraphForbidden || ge.Code != "Authorization_RequestDenied" || ge.Permission != permissions.GroupMemberRead {
		t.Fatalf("err = %#v", err)
	}
	if _, err := c.Group(context.Background(), "nope"); !errors.Is(err, model.ErrNotFound) || !strings.Contains(err.Error(), "no route") {
		t.Fatalf("missing group: %v", err)
	}
	roles, err := c.GrantedPermissions(context.Background())
	if err != nil || !slices.Equal(roles, []string{"Group.Read.All", "User.Read.All"}) {
		t.Fatalf("GrantedPermissions = %v, %v", roles, err)
	}

	_, cfg := newFakeGraph(t)
	cfg.ClientSecret = "wrong"
	bad, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.SubscribedSKUs(context.Background())
	if !errors.As(err, &ge) || ge.Kind != model.GraphUnauthorized || !strings.Contains(ge.Message, "AADSTS7000215") {
		t.Fatalf("wrong secret: %#v", err)
	}
}

// A $batch POST retried after an outer 429 must go out as valid gzip again.
func TestFakeBatchRetriedAfterOuter429(t *testing.T) {
	for i := range 5 { // the middleware order used to be random; try a few clients
		f, c := newFakeClient(t)
		f.throttleBatches = 2
		out := c.ReprocessUsers(context.Background(), []string{"u1", "u2"}, nil)
		if out[0].Err != nil || out[1].Err != nil {
			t.Fatalf("client %d: %+v", i, out)
		}
		if f.batchCalls != 3 {
			t.Fatalf("client %d: %d batch requests, want 3", i, f.batchCalls)
		}
	}
}

func TestMiddlewareOrder(t *testing.T) {
	for range 10 {
		mws := middlewares(4)
		if len(mws) != 8 {
			t.Fatalf("%d middlewares, want the SDK's 8", len(mws))
		}
		var comp, retry = -1, -1
		for i, m := range mws {
			switch m.(type) {
			case *khttp.CompressionHandler:
				comp = i
			case *khttp.RetryHandler:
				retry = i
			}
		}
		if comp < 0 || retry < 0 || comp > retry {
			t.Fatalf("compression at %d, retry at %d: compression must wrap retry", comp, retry)
		}
	}
}

// everyGroup counts the user members of every group.
func everyGroup(string) bool { return true }
