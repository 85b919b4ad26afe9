package tenantsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

type simClient struct {
	s    *Server
	hc   *http.Client
	info Info
}

func startSim(tb testing.TB) *simClient {
	tb.Helper()
	s, err := Start(context.Background(), Options{Config: Config{Seed: 3, Users: 200, Groups: 30, LicensedGroups: 10}, FaultSeed: 9})
	if err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return &simClient{s: s, hc: &http.Client{Transport: &http.Transport{TLSClientConfig: s.TLSConfig()}}, info: s.Info()}
}

func (c *simClient) token(tb testing.TB, clientID, secret string) string {
	tb.Helper()
	return testkit.AppToken(tb, c.hc, c.info.AuthorityURL+"/"+c.info.TenantID+"/oauth2/v2.0/token", clientID, secret)
}

func (c *simClient) call(tb testing.TB, method, u, token, body string, hdr ...string) (int, http.Header, []byte) {
	tb.Helper()
	r := testkit.Do(tb, c.hc, method, u, token, []byte(body), hdr...)
	return r.Status, r.Header, r.Body
}

func TestServerEndToEnd(t *testing.T) {
	c := startSim(t)
	info := c.info
	for _, f := range []string{info.CAFile, info.ClientCertFile} {
		if b, err := os.ReadFile(f); err != nil || !strings.Contains(string(b), "BEGIN CERTIFICATE") {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if !strings.HasPrefix(info.GraphURL, "https://127.0.0.1:") || !strings.HasSuffix(info.GraphURL, "/v1.0") ||
		len(info.DemoAccounts) != 4 || !strings.HasPrefix(info.DemoAccounts[0], "reader@") || info.OIDCIssuer == "" {
		t.Fatalf("info %+v", info)
	}
	raw, _ := json.Marshal(info)
	for _, k := range []string{"graph_url", "authority_url", "tenant_id", "client_id", "client_secret", "readonly_client_id",
		"readonly_client_secret", "ca_file", "oidc_issuer", "demo_accounts", "client_cert_file", "dashboard_client_id",
		"dashboard_client_secret", "control_url"} {
		if !strings.Contains(string(raw), `"`+k+`":`) {
			t.Errorf("Info JSON lacks %s", k)
		}
	}

	full := c.token(t, info.ClientID, info.ClientSecret)
	ro := c.token(t, info.ReadonlyClientID, info.ReadonlyClientSecret)
	st, _, body := c.call(t, "GET", info.GraphURL+"/users?$top=5", full, "")
	if st != 200 || !strings.Contains(string(body), `"@odata.nextLink":"`+info.GraphURL+`/users?`) {
		t.Fatalf("users: %d %s", st, body)
	}
	st, _, body = c.call(t, "GET", info.GraphURL+"/users", "", "")
	if st != 401 || !strings.Contains(string(body), "Access token is empty.") {
		t.Fatalf("no token: %d %s", st, body)
	}
	st, _, body = c.call(t, "GET", info.GraphURL+"/users", full[:len(full)-4]+"AAAA", "")
	if st != 401 || !strings.Contains(string(body), "InvalidAuthenticationToken") {
		t.Fatalf("bad signature: %d %s", st, body)
	}

	// The A1 scenario through the control API: faculty units bought, processing advanced,
	// reprocess, both Active.
	var sc scenariosJSON
	st, _, body = c.call(t, "GET", info.ControlURL+"/scenarios", "", "")
	if st != 200 || json.Unmarshal(body, &sc) != nil || sc.A1Group == "" {
		t.Fatalf("scenarios: %d %s", st, body)
	}
	errs := func() []map[string]any {
		_, _, b := c.call(t, "GET", info.GraphURL+"/groups/"+sc.A1Group+"/membersWithLicenseErrors?$select=id&$top=999", full, "")
		var m struct{ Value []map[string]any }
		_ = json.Unmarshal(b, &m)
		return m.Value
	}
	inError := errs()
	if len(inError) == 0 {
		t.Fatal("A1 group has no members in error")
	}
	st, _, _ = c.call(t, "POST", info.GraphURL+"/users/"+inError[0]["id"].(string)+"/reprocessLicenseAssignment", ro, "")
	if st != 403 {
		t.Fatalf("read-only reprocess: %d", st)
	}
	st, _, body = c.call(t, "POST", info.ControlURL+"/skus/"+sc.FacultySKU+"/prepaid", "", `{"enabled": 100000}`)
	if st != 200 {
		t.Fatalf("buy: %d %s", st, body)
	}
	for _, u := range inError {
		if st, _, body = c.call(t, "POST", info.GraphURL+"/users/"+u["id"].(string)+"/reprocessLicenseAssignment", full, ""); st != 200 {
			t.Fatalf("reprocess: %d %s", st, body)
		}
	}
	if st, _, _ = c.call(t, "POST", info.ControlURL+"/advance-processing", "", ""); st != 200 {
		t.Fatalf("advance: %d", st)
	}
	if left := errs(); len(left) != 0 {
		t.Fatalf("%d A1 members still in error after buying units", len(left))
	}
	_, _, body = c.call(t, "GET", info.GraphURL+"/subscribedSkus", full, "")
	if want := fmt.Sprintf(`"consumedUnits":%d`, c.s.Tenant.ConsumedUnits(sc.FacultySKU)); !strings.Contains(string(body), want) {
		t.Fatalf("subscribedSkus lacks %s", want)
	}

	// Knobs and stats.
	st, _, body = c.call(t, "POST", info.ControlURL+"/knobs", "", `{"throttle_requests":1,"throttle_window_ms":60000,"processing_delay_ms":2000}`)
	if st != 200 || !strings.Contains(string(body), `"processing_delay_ms":2000`) {
		t.Fatalf("knobs: %d %s", st, body)
	}
	c.call(t, "GET", info.GraphURL+"/subscribedSkus", full, "")
	st, hdr, body := c.call(t, "GET", info.GraphURL+"/subscribedSkus", full, "")
	if st != 429 || hdr.Get("Retry-After") == "" || !strings.Contains(string(body), "TooManyRequests") {
		t.Fatalf("throttle: %d %v %s", st, hdr, body)
	}
	if st, _, body = c.call(t, "POST", info.ControlURL+"/knobs", "", `{"fault_rate": 2}`); st != 400 {
		t.Fatalf("bad knob accepted: %d %s", st, body)
	}
	c.s.SetKnobs(Knobs{})
	var stats StatsSnapshot
	var err error
	eventually(func() bool {
		_, _, body = c.call(t, "GET", info.ControlURL+"/stats", "", "")
		err = json.Unmarshal(body, &stats)
		return err == nil && stats.Routes["GET /subscribedSkus"].Throttled == 1
	})
	if err != nil || stats.Routes["GET /subscribedSkus"].Throttled != 1 ||
		stats.Routes["POST /users/{id}/reprocessLicenseAssignment"].Requests != int64(len(inError)+1) {
		t.Fatalf("stats %v: %s", err, body)
	}
	c.call(t, "POST", info.ControlURL+"/stats/reset", "", "")
	if s := c.s.Stats(); s.Total.Requests != 0 {
		t.Fatalf("stats after reset %+v", s.Total)
	}

	// SSPR material.
	var flows []ssprFlowJSON
	_, _, body = c.call(t, "GET", info.ControlURL+"/sspr/flows", "", "")
	if err := json.Unmarshal(body, &flows); err != nil || len(flows) == 0 {
		t.Fatalf("flows %v %s", err, body)
	}
	i := slices.IndexFunc(flows, func(f ssprFlowJSON) bool { return f.Outcome == "contacted-admin" })
	if i < 0 {
		t.Fatal("no contacted-admin flow")
	}
	st, hdr, body = c.call(t, "GET", info.ControlURL+"/sspr/email?correlation_id="+flows[i].CorrelationID, "", "")
	if st != 200 || hdr.Get("Content-Type") != "message/rfc822" || !strings.Contains(string(body), "Subject:") {
		t.Fatalf("email: %d %s", st, body)
	}
	if st, _, _ = c.call(t, "GET", info.ControlURL+"/sspr/email?correlation_id=nope", "", ""); st < 400 || st >= 500 {
		t.Fatalf("unknown flow email: %d", st)
	}
	if st, _, _ = c.call(t, "GET", info.ControlURL+"/nope", "", ""); st != 404 {
		t.Fatalf("unknown control path: %d", st)
	}
	// Reset drops changes.
	if st, _, _ = c.call(t, "POST", info.ControlURL+"/reset", "", ""); st != 200 {
		t.Fatalf("reset: %d", st)
	}
	if len(errs()) == 0 {
		t.Fatal("reset kept the bought units")
	}
	// The identity provider is mounted at the root.
	if st, _, _ = c.call(t, "GET", info.OIDCIssuer+"/.well-known/openid-configuration", "", ""); st != 200 {
		t.Fatalf("discovery: %d", st)
	}
}

func TestControlLoopbackOnly(t *testing.T) {
	c := NewControl(nil, nil, NewFaults(FaultOptions{}))
	req, _ := http.NewRequest("GET", "/_sim/stats", nil)
	req.RemoteAddr = "192.0.2.7:5555"
	rec := &recorder{h: http.Header{}}
	c.ServeHTTP(rec, req)
	if rec.status != 403 {
		t.Fatalf("remote client got %d", rec.status)
	}
	req.RemoteAddr = "[::1]:5555"
	rec = &recorder{h: http.Header{}}
	c.ServeHTTP(rec, req)
	if rec.status != 200 {
		t.Fatalf("loopback client got %d", rec.status)
	}
}

// With BrowserAddr the sign-in pages are also served over plain loopback http and discovery
// sends browsers there, while tokens, keys and discovery itself stay on TLS.
func TestBrowserSignInOverPlainLoopbackHTTP(t *testing.T) {
	s, err := Start(context.Background(), Options{Config: Config{Seed: 3, Users: 60, Groups: 10, LicensedGroups: 7}, BrowserAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	info := s.Info()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: s.TLSConfig()},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(info.OIDCIssuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Issuer        string `json:"issuer"`
		Authorization string `json:"authorization_endpoint"`
		Token         string `json:"token_endpoint"`
	}
	json.NewDecoder(res.Body).Decode(&doc)
	res.Body.Close()
	if !strings.HasPrefix(doc.Authorization, "http://127.0.0.1:") || !strings.HasPrefix(doc.Token, "https://") || doc.Issuer != info.OIDCIssuer {
		t.Fatalf("discovery: %+v", doc)
	}
	q := url.Values{"response_type": {"code"}, "client_id": {info.DashboardClientID}, "redirect_uri": {"http://127.0.0.1:9/cb"},
		"scope": {"openid"}, "state": {"s1"}, "nonce": {"n1"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
		"code_challenge_method": {"S256"}, "login_hint": {info.DemoAccounts[0]}}
	res, err = hc.Get(doc.Authorization + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "s1" {
		t.Fatalf("plain-http authorize: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// Only the browser pages are on plain http: no token endpoint there.
	plain := strings.TrimSuffix(doc.Authorization, "/oauth2/v2.0/authorize")
	res, err = http.PostForm(plain+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusOK {
		t.Error("the token endpoint answered over plain http")
	}
	if _, err := Start(context.Background(), Options{Config: Config{Seed: 3, Users: 60, Groups: 10, LicensedGroups: 7}, BrowserAddr: "0.0.0.0:0"}); err == nil {
		t.Error("a non-loopback plain-http sign-in address was accepted")
	}
}
