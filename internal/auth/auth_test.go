package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/identity"
)

// dash is a minimal dashboard around an Authenticator: the sign-in routes and /whoami.
type dash struct {
	idp  *authtest.IDP
	srv  *httptest.Server
	a    atomic.Pointer[auth.Authenticator]
	base string
}

func newDash(t *testing.T) *dash {
	t.Helper()
	d := &dash{idp: authtest.NewIDP(t, authtest.NewClock())}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		if err := d.a.Load().BeginSignIn(w, r, r.URL.Query().Get("next"), r.URL.Query().Get("login_hint")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /auth/callback", func(w http.ResponseWriter, r *http.Request) {
		p, next, err := d.a.Load().FinishSignIn(w, r)
		var se *auth.SignInError
		if errors.As(err, &se) {
			http.Error(w, se.Reason+" | "+se.Err.Error(), se.Status)
			return
		} else if err != nil {
			t.Errorf("FinishSignIn returned %T, want *SignInError", err)
		}
		_ = p
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		p, ok := d.a.Load().SignOut(w, r)
		fmt.Fprintf(w, "signed out %s %v", p.UPN, ok)
	})
	who := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.PrincipalFrom(r.Context()); ok {
			fmt.Fprintf(w, "%s|%s|%s", p.UPN, p.Role, p.Name)
			return
		}
		fmt.Fprint(w, "anonymous")
	})
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.a.Load().Middleware(who).ServeHTTP(w, r)
	}))
	d.srv = httptest.NewServer(mux)
	t.Cleanup(d.srv.Close)
	d.base = d.srv.URL
	d.use(t, "")
	return d
}

// use switches to a new Authenticator with the given keys (default one key).
func (d *dash) use(t *testing.T, keys ...string) {
	t.Helper()
	if len(keys) == 1 && keys[0] == "" {
		keys = nil
	}
	a, err := auth.New(d.idp.Config(d.base, keys...))
	if err != nil {
		t.Fatal(err)
	}
	d.a.Store(a)
}

func (d *dash) whoami(t *testing.T, b *http.Client) string {
	t.Helper()
	res, err := b.Get(d.base + "/whoami")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}

func TestSignInEachRole(t *testing.T) {
	d := newDash(t)
	for _, tc := range []struct{ account, want string }{
		{authtest.Reader, "reader@contoso.example|Reader|Riley Reader"},
		{authtest.Operator, "operator@contoso.example|Operator|Olivia Operator"},
		{authtest.LicenseAdmin, "licenseadmin@contoso.example|LicenseAdmin|Lee LicenseAdmin"},
		{authtest.NoRole, "norole@contoso.example|none|Nora NoRole"},
	} {
		b := d.idp.Browser(t)
		status, final := authtest.SignIn(t, b, d.base, tc.account, "/whoami?x=1")
		if status != http.StatusOK || !strings.HasSuffix(final, "/whoami?x=1") {
			t.Fatalf("%s: sign-in ended at %s with %d", tc.account, final, status)
		}
		if got := d.whoami(t, b); got != tc.want {
			t.Errorf("%s: whoami %q, want %q", tc.account, got, tc.want)
		}
		c := authtest.CookieOf(t, b, d.base, auth.SessionCookie)
		if c.Value == "" || strings.Contains(c.Value, "reader") {
			t.Errorf("session cookie is empty or readable: %q", c.Value)
		}
		res, err := b.Post(d.base+"/logout", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(body) != "signed out "+tc.account+" true" {
			t.Errorf("logout: %q", body)
		}
		if got := d.whoami(t, b); got != "anonymous" {
			t.Errorf("%s after sign-out: %q", tc.account, got)
		}
	}
}

func TestLoginRedirectCarriesPKCEStateNonceHint(t *testing.T) {
	d := newDash(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(d.base + "/login?login_hint=" + url.QueryEscape(authtest.Reader) + "&next=//evil.example/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), d.idp.Server.URL) {
		t.Fatalf("login redirect %q", res.Header.Get("Location"))
	}
	q := loc.Query()
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(k)) < 20 {
			t.Errorf("%s = %q, want a long random value", k, q.Get(k))
		}
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("login_hint") != authtest.Reader ||
		q.Get("redirect_uri") != d.base+auth.CallbackPath || !strings.Contains(q.Get("scope"), "openid") {
		t.Errorf("authorize query %v", q)
	}
	var flow *http.Cookie
	for _, ck := range res.Cookies() {
		if strings.HasPrefix(ck.Name, auth.FlowCookie+"_") {
			flow = ck
		}
	}
	if flow == nil || !flow.HttpOnly || flow.SameSite != http.SameSiteLaxMode || flow.Path != auth.CallbackPath || flow.Secure {
		t.Fatalf("flow cookie %+v", flow)
	}
	// The unsafe next was replaced: after sign-in the browser lands on /.
	b := d.idp.Browser(t)
	if _, final := authtest.SignIn(t, b, d.base, authtest.Reader, "//evil.example/"); final != d.base+"/" {
		t.Errorf("unsafe next led to %s", final)
	}
}

// callbackURL runs the flow up to the provider's redirect back and returns the callback URL
// without following it, plus the browser holding the flow cookie.
func callbackURL(t *testing.T, d *dash, account string) (*http.Client, string) {
	t.Helper()
	b := d.idp.Browser(t)
	b.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if r.URL.Path == auth.CallbackPath {
			return http.ErrUseLastResponse
		}
		return nil
	}
	res, err := b.Get(d.base + "/login?login_hint=" + url.QueryEscape(account))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cb := res.Header.Get("Location")
	if !strings.Contains(cb, auth.CallbackPath+"?") {
		t.Fatalf("no callback redirect: %d %q", res.StatusCode, cb)
	}
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return b, cb
}

func get(t *testing.T, b *http.Client, u string) (int, string) {
	t.Helper()
	res, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestCallbackRefusals(t *testing.T) {
	d := newDash(t)

	t.Run("replayed callback", func(t *testing.T) {
		b, cb := callbackURL(t, d, authtest.Reader)
		if st, body := get(t, b, cb); st != http.StatusSeeOther {
			t.Fatalf("first callback: %d %s", st, body)
		}
		if st, _ := get(t, b, cb); st != http.StatusBadRequest {
			t.Fatalf("replayed callback: %d, want 400", st)
		}
	})
	t.Run("state mismatch", func(t *testing.T) {
		b, cb := callbackURL(t, d, authtest.Reader)
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		if st, body := get(t, b, u.String()); st != http.StatusBadRequest || !strings.Contains(body, "state") {
			t.Fatalf("forged state: %d %s", st, body)
		}
	})
	t.Run("callback in another browser (login CSRF)", func(t *testing.T) {
		_, cb := callbackURL(t, d, authtest.Reader)
		victim := d.idp.Browser(t)
		victim.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		if st, _ := get(t, victim, cb); st != http.StatusBadRequest {
			t.Fatalf("callback without flow cookie: %d", st)
		}
		if got := d.whoami(t, victim); got != "anonymous" {
			t.Fatalf("victim signed in as %q", got)
		}
	})
	t.Run("provider error", func(t *testing.T) {
		b, cb := callbackURL(t, d, authtest.Reader)
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Del("code")
		q.Set("error", "access_denied")
		q.Set("error_description", "AADSTS50105: user not assigned\x00<script>")
		u.RawQuery = q.Encode()
		st, body := get(t, b, u.String())
		if st != http.StatusUnauthorized || !strings.Contains(body, "access_denied") || strings.Contains(body, "\x00") {
			t.Fatalf("provider error: %d %q", st, body)
		}
	})
	t.Run("wrong code", func(t *testing.T) {
		b, cb := callbackURL(t, d, authtest.Reader)
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("code", "not-a-code")
		u.RawQuery = q.Encode()
		if st, _ := get(t, b, u.String()); st != http.StatusBadGateway {
			t.Fatalf("wrong code: %d", st)
		}
	})
	t.Run("flow older than 10 minutes", func(t *testing.T) {
		b, cb := callbackURL(t, d, authtest.Reader)
		d.idp.Clock.Add(11 * time.Minute)
		if st, _ := get(t, b, cb); st != http.StatusBadRequest {
			t.Fatalf("stale flow: %d", st)
		}
	})
}

func TestVerifyIDToken(t *testing.T) {
	d := newDash(t)
	a := d.a.Load()
	now := d.idp.Clock.Now()
	ctx := context.Background()
	const nonce = "n-0123456789"
	good := identity.IDTokenOptions{UPN: authtest.Operator, Nonce: nonce}
	p, err := a.VerifyIDToken(ctx, d.idp.MustMint(t, good), nonce)
	if err != nil || p.Role != auth.RoleOperator || p.UPN != authtest.Operator || p.ObjectID == "" {
		t.Fatalf("good token: %+v, %v", p, err)
	}
	for _, tc := range []struct {
		name  string
		mod   func(*identity.IDTokenOptions)
		nonce string
		want  string
	}{
		{"wrong audience", func(o *identity.IDTokenOptions) { o.Audience = "00000000-0000-0000-0000-000000000001" }, nonce, "audience"},
		{"wrong issuer", func(o *identity.IDTokenOptions) {
			o.Issuer = "https://login.microsoftonline.com/" + authtest.TenantID + "/v2.0"
		}, nonce, "issued by a different provider"},
		{"wrong nonce", func(o *identity.IDTokenOptions) { o.Nonce = "other" }, nonce, "nonce"},
		{"no nonce expected", func(o *identity.IDTokenOptions) {}, "", "nonce"},
		{"foreign signature", func(o *identity.IDTokenOptions) { o.SignWithForeignKey = true }, nonce, "signature"},
		{"expired", func(o *identity.IDTokenOptions) {
			o.IssuedAt, o.ExpiresAt = now.Add(-2*time.Hour), now.Add(-time.Hour)
		}, nonce, "expired"},
		{"not yet valid", func(o *identity.IDTokenOptions) {
			o.IssuedAt, o.ExpiresAt = now.Add(time.Hour), now.Add(2*time.Hour)
		}, nonce, "before the nbf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.mod(&o)
			_, err := a.VerifyIDToken(ctx, d.idp.MustMint(t, o), tc.nonce)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %q", err, tc.want)
			}
		})
	}
	for _, raw := range []string{"", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", strings.Repeat("x", 10000)} {
		if _, err := a.VerifyIDToken(ctx, raw, nonce); err == nil {
			t.Errorf("garbage token %.20q accepted", raw)
		}
	}
	// Roles: none, unknown, and several (the highest wins).
	for _, tc := range []struct {
		roles []string
		want  auth.Role
	}{
		{[]string{}, auth.RoleNone},
		{[]string{"Admin", "readers"}, auth.RoleNone},
		{[]string{"reader"}, auth.RoleReader},
		{[]string{"Reader", "LicenseAdmin", "Operator"}, auth.RoleLicenseAdmin},
	} {
		o := good
		o.Roles = tc.roles
		p, err := a.VerifyIDToken(ctx, d.idp.MustMint(t, o), nonce)
		if err != nil || p.Role != tc.want {
			t.Errorf("roles %v: %v, %v; want %v", tc.roles, p.Role, err, tc.want)
		}
	}
}

func TestSessionCookieRefusals(t *testing.T) {
	d := newDash(t)
	signedIn := func(t *testing.T) *http.Client {
		b := d.idp.Browser(t)
		authtest.SignIn(t, b, d.base, authtest.Reader, "/")
		if got := d.whoami(t, b); !strings.HasPrefix(got, authtest.Reader) {
			t.Fatalf("not signed in: %q", got)
		}
		return b
	}
	setCookie := func(t *testing.T, b *http.Client, value string) {
		u, _ := url.Parse(d.base)
		b.Jar.SetCookies(u, []*http.Cookie{{Name: auth.SessionCookie, Value: value, Path: "/"}})
	}

	t.Run("tampered", func(t *testing.T) {
		b := signedIn(t)
		v := authtest.CookieOf(t, b, d.base, auth.SessionCookie).Value
		i := len(v) / 2
		flipped := v[:i] + string("AB"[(strings.IndexByte("AB", v[i])+1)%2]) + v[i+1:]
		if flipped == v {
			t.Fatal("tampering changed nothing")
		}
		setCookie(t, b, flipped)
		if got := d.whoami(t, b); got != "anonymous" {
			t.Fatalf("tampered cookie accepted: %q", got)
		}
		// The bad cookie was deleted.
		u, _ := url.Parse(d.base)
		for _, c := range b.Jar.Cookies(u) {
			if c.Name == auth.SessionCookie {
				t.Fatalf("tampered cookie still set: %q", c.Value)
			}
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		b := signedIn(t)
		d.idp.Clock.Add(auth.DefaultIdleTimeout - time.Minute)
		if got := d.whoami(t, b); got == "anonymous" {
			t.Fatal("signed out before the idle timeout")
		}
		d.idp.Clock.Add(auth.DefaultIdleTimeout + time.Minute)
		if got := d.whoami(t, b); got != "anonymous" {
			t.Fatalf("idle session accepted: %q", got)
		}
	})
	t.Run("absolute timeout", func(t *testing.T) {
		b := signedIn(t)
		// Busy all day: the idle timer never runs out, the absolute one does.
		for elapsed := time.Duration(0); elapsed < auth.DefaultAbsoluteTimeout-time.Hour; elapsed += time.Hour {
			d.idp.Clock.Add(time.Hour)
			if got := d.whoami(t, b); got == "anonymous" {
				t.Fatalf("signed out after %v of use", elapsed+time.Hour)
			}
		}
		d.idp.Clock.Add(2 * time.Hour)
		if got := d.whoami(t, b); got != "anonymous" {
			t.Fatalf("session older than %v accepted: %q", auth.DefaultAbsoluteTimeout, got)
		}
	})
	t.Run("foreign key and rotation", func(t *testing.T) {
		old := strings.Repeat("o", 40)
		d.use(t, old)
		b := signedIn(t)
		d.use(t, strings.Repeat("f", 40))
		if got := d.whoami(t, b); got != "anonymous" {
			t.Fatalf("cookie of another key accepted: %q", got)
		}
		d.use(t, old)
		b = signedIn(t)
		d.use(t, strings.Repeat("n", 40), old) // rotation: new key signs, old still verifies
		if got := d.whoami(t, b); !strings.HasPrefix(got, authtest.Reader) {
			t.Fatalf("rotated keys refused the old cookie: %q", got)
		}
		d.use(t, "")
	})
	t.Run("garbage", func(t *testing.T) {
		for _, v := range []string{"x", "MTIz|YWJj|ZGVm", strings.Repeat("A", 3000), "%%%"} {
			b := d.idp.Browser(t)
			setCookie(t, b, v)
			if got := d.whoami(t, b); got != "anonymous" {
				t.Fatalf("garbage cookie %.20q accepted: %q", v, got)
			}
		}
	})
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	for _, c := range []auth.Config{
		{},
		{Issuer: "https://x", ClientID: "c", RedirectURL: "http://127.0.0.1/auth/callback"},
		{Issuer: "https://x", ClientID: "c", Keys: []string{strings.Repeat("k", 32)}},
	} {
		if _, err := auth.New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

func TestSecureCookies(t *testing.T) {
	d := newDash(t)
	cfg := d.idp.Config(d.base)
	cfg.Proxies = auth.Proxies{netip.MustParsePrefix("10.0.0.0/8")}
	a, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		remote, proto string
		secure        bool
	}{
		{"10.1.2.3:5000", "https", true},
		{"10.1.2.3:5000", "http", false},
		{"192.0.2.1:5000", "https", false}, // not a trusted proxy: its header is ignored
	} {
		r := httptest.NewRequest("GET", "/login", nil)
		r.RemoteAddr = tc.remote
		r.Header.Set("X-Forwarded-Proto", tc.proto)
		w := httptest.NewRecorder()
		if err := a.BeginSignIn(w, r, "/", ""); err != nil {
			t.Fatal(err)
		}
		cs := w.Result().Cookies()
		if len(cs) != 1 || cs[0].Secure != tc.secure {
			t.Errorf("%s %s: cookies %+v, want Secure=%v", tc.remote, tc.proto, cs, tc.secure)
		}
	}
}

// Two sign-ins under way in one browser at once (two tabs, or two tabs re-checking roles at the
// same moment) both complete; each callback works once.
func TestConcurrentSignInFlows(t *testing.T) {
	d := newDash(t)
	b := d.idp.Browser(t)
	b.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if r.URL.Path == auth.CallbackPath {
			return http.ErrUseLastResponse
		}
		return nil
	}
	var callbacks []string
	for _, next := range []string{"/whoami?tab=1", "/whoami?tab=2"} {
		res, err := b.Get(d.base + "/login?login_hint=" + url.QueryEscape(authtest.Reader) + "&next=" + url.QueryEscape(next))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		callbacks = append(callbacks, res.Header.Get("Location"))
	}
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for i, cb := range callbacks {
		res, err := b.Get(cb)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), fmt.Sprintf("tab=%d", i+1)) {
			t.Errorf("callback %d: %d to %q", i+1, res.StatusCode, res.Header.Get("Location"))
		}
		if st, _ := get(t, b, cb); st != http.StatusBadRequest {
			t.Errorf("callback %d replayed: %d", i+1, st)
		}
	}
}

// The cookie holds a random token only; the stored session is keyed by its hash, and ending
// the session ends what the cookie is worth.
func TestSessionLivesOnTheServer(t *testing.T) {
	d := newDash(t)
	b := d.idp.Browser(t)
	authtest.SignIn(t, b, d.base, authtest.Operator, "/")
	ctx := context.Background()
	all, err := d.a.Load().ActiveSessions(ctx, "")
	if err != nil || len(all) != 1 || all[0].UPN != authtest.Operator || all[0].Roles[0] != "Operator" {
		t.Fatalf("sessions %+v, %v", all, err)
	}
	c := authtest.CookieOf(t, b, d.base, auth.SessionCookie)
	if strings.Contains(c.Value, all[0].ID) {
		t.Error("the cookie carries the stored id")
	}
	if _, err := d.a.Load().EndSession(ctx, all[0].Ref); err != nil {
		t.Fatal(err)
	}
	if got := d.whoami(t, b); got != "anonymous" {
		t.Errorf("after the session was ended: %q", got)
	}
}
