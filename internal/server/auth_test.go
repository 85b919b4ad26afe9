package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
)

// authEnv is the dashboard with real sign-in against the simulated identity provider.
type authEnv struct {
	s      *Server
	h      http.Handler
	base   string
	idp    *authtest.IDP
	st     *store.Store
	syncer *fakeSyncer
}

func newAuthEnv(t *testing.T, mod func(*Deps)) *authEnv {
	t.Helper()
	e := &authEnv{idp: authtest.NewIDP(t, authtest.NewClock()), syncer: &fakeSyncer{}}
	snap := testSnapshot()
	e.st = openStore(t, &snap)
	srv := httptest.NewUnstartedServer(nil)
	e.base = "http://" + srv.Listener.Addr().String()
	a, err := auth.New(e.idp.Config(e.base))
	if err != nil {
		t.Fatal(err)
	}
	deps := testDeps(t, e.st, nil)
	deps.Syncer, deps.Auth, deps.Activity = e.syncer, a, e.st
	if mod != nil {
		mod(&deps)
	}
	if e.s, err = New(deps); err != nil {
		t.Fatal(err)
	}
	e.h = e.s.Handler()
	srv.Config.Handler = e.h
	srv.Start()
	t.Cleanup(srv.Close)
	return e
}

// browser signs a new browser in as account.
func (e *authEnv) browser(t *testing.T, account string) *http.Client {
	t.Helper()
	b := e.idp.Browser(t)
	b.CheckRedirect = nil
	if account != "" {
		status, final := authtest.SignIn(t, b, e.base, account, "")
		if final != e.base+"/" || (status != http.StatusOK && status != http.StatusForbidden) {
			t.Fatalf("sign in as %s ended at %s (%d)", account, final, status)
		}
	}
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return b
}

func (e *authEnv) send(t *testing.T, b *http.Client, method, path string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return response{Response: res, body: string(body)}
}

func (e *authEnv) activity(t *testing.T, f model.ActivityFilter) []model.Activity {
	t.Helper()
	page, err := e.st.ListActivity(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return page.Entries
}

// openRoutes are the only routes an anonymous request may use.
func openRoute(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/favicon.ico", loginPath, auth.CallbackPath, logoutPath, signedOutPath:
		return true
	}
	return strings.HasPrefix(path, assetPrefix)
}

// Every route but probes, assets and the sign-in flow sends an anonymous browser to sign in
// (GET) or answers 401 (anything else). The routes are walked, so new ones are covered.
func TestAnonymousRequestsMustSignIn(t *testing.T) {
	e := newAuthEnv(t, nil)
	routes, ok := e.h.(chi.Routes)
	if !ok {
		t.Fatalf("Handler is %T, not a chi router", e.h)
	}
	checked := 0
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if openRoute(route) {
			return nil
		}
		path := strings.NewReplacer("{id}", "x", "{hash}", "x", "*", "x").Replace(route)
		for strings.Contains(path, "{") { // any other parameter
			i, j := strings.Index(path, "{"), strings.Index(path, "}")
			path = path[:i] + "x" + path[j+1:]
		}
		res := do(t, e.h, method, path, nil)
		switch method {
		case http.MethodGet, http.MethodHead:
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
				t.Errorf("anonymous %s %s: %d to %q, want 303 to sign-in", method, path, res.StatusCode, loc)
			}
			if next, _ := url.ParseQuery(strings.TrimPrefix(loc, "/login?")); next.Get("next") != path {
				t.Errorf("anonymous %s %s: next=%q", method, path, next.Get("next"))
			}
		default:
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("anonymous %s %s: %d, want 401", method, path, res.StatusCode)
			}
		}
		if strings.Contains(res.body, "A1 Students") || strings.Contains(res.body, "Data as of") {
			t.Errorf("anonymous %s %s shows tenant data", method, path)
		}
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 8 {
		t.Fatalf("only %d routes checked: the walk is broken", checked)
	}
	// The open ones stay open.
	for _, p := range []string{"/healthz", "/readyz", signedOutPath} {
		if res := do(t, e.h, "GET", p, nil); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", p, res.StatusCode)
		}
	}
}

func TestRolesSeeAndDoWhatTheyMay(t *testing.T) {
	e := newAuthEnv(t, nil)
	type want struct {
		refreshButton, activityNav bool
		refresh, activity          int
	}
	for _, tc := range []struct {
		account, role string
		want          want
	}{
		{authtest.Reader, "Reader", want{false, false, http.StatusForbidden, http.StatusForbidden}},
		{authtest.Operator, "Operator", want{true, false, http.StatusSeeOther, http.StatusForbidden}},
		{authtest.LicenseAdmin, "LicenseAdmin", want{true, true, http.StatusSeeOther, http.StatusOK}},
	} {
		t.Run(tc.role, func(t *testing.T) {
			b := e.browser(t, tc.account)
			res := e.send(t, b, "GET", "/groups", nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET /groups: %d", res.StatusCode)
			}
			doc := res.doc(t)
			if got := doc.Find("#refresh-button").Length() > 0; got != tc.want.refreshButton {
				t.Errorf("refresh button shown: %v", got)
			}
			if got := doc.Find(`nav a[href="/activity"]`).Length() > 0; got != tc.want.activityNav {
				t.Errorf("activity link shown: %v", got)
			}
			if got := strings.TrimSpace(doc.Find("#user-role").Text()); got != tc.role {
				t.Errorf("role shown %q", got)
			}
			if doc.Find(`form[action="/logout"][method="post"] #sign-out`).Length() != 1 {
				t.Error("no sign-out form")
			}
			starts := e.syncer.starts
			// A hand-crafted POST, as a script would send it.
			res = e.send(t, b, "POST", "/refresh", nil)
			if res.StatusCode != tc.want.refresh {
				t.Errorf("POST /refresh: %d, want %d", res.StatusCode, tc.want.refresh)
			}
			acts := e.activity(t, model.ActivityFilter{Actor: tc.account, Limit: 1})
			if tc.want.refresh == http.StatusForbidden {
				if e.syncer.starts != starts {
					t.Error("a refused refresh started a sync")
				}
				if !strings.Contains(res.body, "Operator") {
					t.Error("the 403 page does not name the role needed")
				}
				if len(acts) != 1 || acts[0].Result != model.ActivityRefused || acts[0].Target != "POST /refresh" || acts[0].CorrelationID == "" {
					t.Errorf("refusal not logged: %+v", acts)
				}
			} else if len(acts) != 1 || acts[0].Action != "refresh" || acts[0].Result != model.ActivityOK {
				t.Errorf("refresh not logged: %+v", acts)
			}
			if res := e.send(t, b, "GET", "/activity", nil); res.StatusCode != tc.want.activity {
				t.Errorf("GET /activity: %d, want %d", res.StatusCode, tc.want.activity)
			}
		})
	}
	// Sign-ins were logged with the role.
	if acts := e.activity(t, model.ActivityFilter{Action: "sign-in", Result: model.ActivityOK}); len(acts) != 3 || acts[0].Detail != "role LicenseAdmin" {
		t.Errorf("sign-ins logged: %+v", acts)
	}
}

func TestNoRolePage(t *testing.T) {
	e := newAuthEnv(t, func(d *Deps) {
		d.RoleNames = map[auth.Role]string{auth.RoleReader: "Reader", auth.RoleOperator: "Operator", auth.RoleLicenseAdmin: "LicenseAdmin"}
	})
	b := e.browser(t, authtest.NoRole)
	for _, p := range []string{"/", "/groups", "/activity"} {
		res := e.send(t, b, "GET", p, nil)
		doc := res.doc(t)
		if res.StatusCode != http.StatusForbidden || strings.TrimSpace(doc.Find("#role-to-request").Text()) != "Reader" {
			t.Errorf("GET %s as no-role: %d, role to request %q", p, res.StatusCode, doc.Find("#role-to-request").Text())
		}
		if doc.Find("nav a, #refresh-button, #data-age").Length() != 0 || strings.Contains(res.body, "A1 Students") {
			t.Errorf("GET %s as no-role shows more than the no-role page", p)
		}
		if doc.Find("#sign-out").Length() != 1 {
			t.Errorf("GET %s as no-role: no way to sign out", p)
		}
	}
	if res := e.send(t, b, "POST", "/refresh", nil); res.StatusCode != http.StatusForbidden || e.syncer.starts != 0 {
		t.Errorf("POST /refresh as no-role: %d, %d syncs", res.StatusCode, e.syncer.starts)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	e := newAuthEnv(t, nil)
	b := e.browser(t, authtest.Operator)
	for _, h := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Sec-Fetch-Site": {"same-site"}},
		{"Origin": {"http://evil.example"}},
		{"Origin": {"null"}},
	} {
		res := e.send(t, b, "POST", "/refresh", h)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("POST /refresh with %v: %d, want 403", h, res.StatusCode)
		}
		res = e.send(t, b, "POST", logoutPath, h)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("POST /logout with %v: %d, want 403 (a cross-site sign-out)", h, res.StatusCode)
		}
	}
	if e.syncer.starts != 0 {
		t.Fatal("a cross-origin POST started a sync")
	}
	acts := e.activity(t, model.ActivityFilter{Result: model.ActivityRefused, Text: "cross-origin"})
	// One person's refusals within the collapse window are one entry that counts them.
	if len(acts) != 1 || acts[0].Count != 8 || acts[0].ActorUPN != authtest.Operator {
		t.Errorf("cross-origin refusals logged: %d, %+v", len(acts), acts)
	}
	// The same request from the dashboard's own page passes.
	for _, h := range []http.Header{{"Sec-Fetch-Site": {"same-origin"}}, {"Origin": {e.base}}} {
		if res := e.send(t, b, "POST", "/refresh", h); res.StatusCode != http.StatusSeeOther {
			t.Errorf("same-origin POST with %v: %d", h, res.StatusCode)
		}
	}
}

func TestBadSessionCookieMeansSignIn(t *testing.T) {
	e := newAuthEnv(t, nil)
	b := e.browser(t, authtest.Reader)
	c := authtest.CookieOf(t, b, e.base, auth.SessionCookie)
	for _, v := range []string{c.Value[:len(c.Value)-2] + "xx", "garbage", ""} {
		res := do(t, e.h, "GET", "/groups", http.Header{"Cookie": {auth.SessionCookie + "=" + v}})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("cookie %.12q…: %d %s", v, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if res := do(t, e.h, "GET", "/groups", http.Header{"Cookie": {auth.SessionCookie + "=" + c.Value}}); res.StatusCode != http.StatusOK {
		t.Errorf("the good cookie: %d", res.StatusCode)
	}
}

func TestSignInAndOutFlowPages(t *testing.T) {
	e := newAuthEnv(t, nil)
	// The sign-in flow keeps where the person was going.
	b := e.idp.Browser(t)
	res, err := b.Get(e.base + "/groups?errors=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// The provider shows its account picker (no hint): the person would choose there.
	if !strings.HasPrefix(res.Request.URL.String(), e.idp.Server.URL) {
		t.Fatalf("anonymous page led to %s, want the provider's sign-in", res.Request.URL)
	}
	_, final := authtest.SignIn(t, b, e.base, authtest.Reader, "/groups?errors=1")
	if final != e.base+"/groups?errors=1" {
		t.Fatalf("after sign-in: %s", final)
	}
	// Signed in, /login without a hint goes straight on.
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if r := e.send(t, b, "GET", "/login?next=/groups", nil); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/groups" {
		t.Errorf("signed-in /login: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	r := e.send(t, b, "POST", logoutPath, nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != signedOutPath {
		t.Fatalf("logout: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r := e.send(t, b, "GET", "/groups", nil); r.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out /groups: %d", r.StatusCode)
	}
	if acts := e.activity(t, model.ActivityFilter{Action: "sign-out"}); len(acts) != 1 || acts[0].ActorUPN != authtest.Reader {
		t.Errorf("sign-out logged: %+v", acts)
	}
	// A forged callback is a logged sign-in failure with a clear page.
	r = e.send(t, b, "GET", auth.CallbackPath+"?code=x&state=forged", nil)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "Sign-in failed") {
		t.Errorf("forged callback: %d", r.StatusCode)
	}
	if acts := e.activity(t, model.ActivityFilter{Action: "sign-in", Result: model.ActivityFailed}); len(acts) != 1 || acts[0].RemoteIP != "127.0.0.1" {
		t.Errorf("sign-in failure logged: %+v", acts)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newAuthEnv(t, func(d *Deps) { d.TrustedProxies = auth.Proxies{netip.MustParsePrefix("192.0.2.0/24")} })
	for _, p := range []string{"/", "/healthz", "/nope", e.s.assets.urls["app.css"], loginPath} {
		res := do(t, e.h, "GET", p, nil)
		h := res.Header
		if h.Get("Content-Security-Policy") != contentSecurityPolicy || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") == "" {
			t.Errorf("GET %s headers: %v", p, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("GET %s over plain http sets HSTS", p)
		}
	}
	if !strings.Contains(contentSecurityPolicy, "script-src 'self'") || strings.Contains(contentSecurityPolicy, "unsafe") ||
		!strings.Contains(contentSecurityPolicy, "frame-ancestors 'none'") {
		t.Errorf("CSP is not strict: %s", contentSecurityPolicy)
	}
	req := httptest.NewRequest("GET", "/healthz", nil)
	req.RemoteAddr = "192.0.2.10:4000"
	req.Header.Set("X-Forwarded-Proto", "https")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS behind a trusted TLS proxy")
	}
	// A non-proxy claiming https gets no HSTS.
	req.RemoteAddr = "203.0.113.1:4000"
	rec = httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS from an untrusted X-Forwarded-Proto")
	}
	// Session cookies: HttpOnly, SameSite=Lax, not Secure over plain http.
	cb := e.idp.Browser(t)
	cb.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if r.URL.Path == auth.CallbackPath {
			return http.ErrUseLastResponse
		}
		return nil
	}
	res, err := cb.Get(e.base + "/login?login_hint=" + url.QueryEscape(authtest.Reader))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cb.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err = cb.Get(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var sess *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == auth.SessionCookie {
			sess = c
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Secure || sess.Path != "/" {
		t.Errorf("session cookie %+v", sess)
	}
}

func TestRateLimits(t *testing.T) {
	e := newAuthEnv(t, func(d *Deps) { d.SignInRate, d.WriteRate = 3, 2 })
	codes := func(method, path string, n int) []int {
		var out []int
		for range n {
			out = append(out, do(t, e.h, method, path, nil).StatusCode)
		}
		return out
	}
	if got := codes("POST", logoutPath, 3); got[0] != http.StatusSeeOther || got[1] != http.StatusSeeOther || got[2] != http.StatusTooManyRequests {
		t.Errorf("POST /logout x3: %v", got)
	}
	if got := codes("GET", "/healthz", 5); got[4] != http.StatusOK {
		t.Errorf("reads are limited too: %v", got)
	}
	if got := codes("GET", auth.CallbackPath+"?state=x", 4); got[2] == http.StatusTooManyRequests || got[3] != http.StatusTooManyRequests {
		t.Errorf("GET /auth/callback x4: %v", got)
	}
	res := do(t, e.h, "GET", loginPath, nil)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("sign-in after the limit: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// Another address has its own budget.
	req := httptest.NewRequest("GET", loginPath, nil)
	req.RemoteAddr = "198.51.100.7:1"
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code == http.StatusTooManyRequests {
		t.Error("the limit is not per address")
	}
}
