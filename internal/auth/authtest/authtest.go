// Package authtest is dashboard sign-in for tests: a simulated Entra ID (tenantsim's identity
// provider) that test browsers sign in to through the real OpenID Connect flow, and
// Authenticator, a double that signs each request in as a given person for handler tests.
package authtest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/identity"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// Demo accounts of the test provider, one per role and one without.
const (
	Reader       = "reader@contoso.example"
	Operator     = "operator@contoso.example"
	LicenseAdmin = "licenseadmin@contoso.example"
	NoRole       = "norole@contoso.example"

	TenantID     = "8f3c1f2e-4b5a-4c6d-9e7f-0a1b2c3d4e5f"
	ClientID     = "5d2a7c1e-6f4b-4a3c-8d9e-1f2a3b4c5d6e"
	ClientSecret = "dashboard~secret~for~tests~only~0123456789"
)

// NewClock is a clock for the provider and the authenticator, starting at now: cookies carry
// real timestamps too, so tests stay near real time.
func NewClock() *testkit.Clock { return testkit.NewClock(time.Now()) }

// IDP is a running identity provider over HTTPS, with a session store (real SQLite) for the
// authenticators of its Config.
type IDP struct {
	Provider *identity.Provider
	Server   *httptest.Server
	Clock    *testkit.Clock
	Sessions auth.SessionStore
}

// NewIDP starts the provider with the four accounts; it stops when t ends.
func NewIDP(t testing.TB, clock *testkit.Clock) *IDP {
	t.Helper()
	var h http.Handler = http.NotFoundHandler()
	var mu sync.RWMutex
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.RLock()
		defer mu.RUnlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p, err := identity.New(identity.Config{
		TenantID: TenantID,
		BaseURL:  srv.URL,
		Accounts: []identity.Account{
			{UPN: Reader, DisplayName: "Riley Reader", Roles: []string{"Reader"}},
			{UPN: Operator, DisplayName: "Olivia Operator", Roles: []string{"Operator", "SomeOtherAppRole"}},
			{UPN: LicenseAdmin, DisplayName: "Lee LicenseAdmin", Roles: []string{"Reader", "LicenseAdmin"}},
			{UPN: NoRole, DisplayName: "Nora NoRole"},
		},
		Dashboard: identity.DashboardClient{ClientID: ClientID, Secret: ClientSecret},
		Now:       clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	h = p.Handler()
	mu.Unlock()
	return &IDP{Provider: p, Server: srv, Clock: clock, Sessions: storetest.Open(t)}
}

// Issuer is the provider's issuer URL.
func (i *IDP) Issuer() string { return i.Provider.IssuerURL() }

// Config is an authenticator configuration against this provider for a dashboard at base.
func (i *IDP) Config(base string, keys ...string) auth.Config {
	if len(keys) == 0 {
		keys = []string{strings.Repeat("k", 32)}
	}
	return auth.Config{
		Issuer:       i.Issuer(),
		ClientID:     ClientID,
		ClientSecret: ClientSecret,
		RedirectURL:  strings.TrimRight(base, "/") + auth.CallbackPath,
		HTTPClient:   i.Server.Client(),
		Keys:         keys,
		Sessions:     i.Sessions,
		Now:          i.Clock.Now,
	}
}

// Browser is an HTTP client with a cookie jar that trusts the provider's certificate and
// follows redirects, like a browser.
func (i *IDP) Browser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Transport: i.Server.Client().Transport, Timeout: 20 * time.Second}
}

// SignIn signs browser in to the dashboard at base as account through /login?login_hint=,
// and returns the final page's status and URL.
func SignIn(t testing.TB, browser *http.Client, base, account, next string) (int, string) {
	t.Helper()
	q := url.Values{"login_hint": {account}}
	if next != "" {
		q.Set("next", next)
	}
	res, err := browser.Get(strings.TrimRight(base, "/") + "/login?" + q.Encode())
	if err != nil {
		t.Fatalf("sign in as %s: %v", account, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Request.URL.String()
}

// CookieOf returns the named cookie the browser holds for base.
func CookieOf(t testing.TB, browser *http.Client, base, name string) *http.Cookie {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range browser.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie for %s", name, base)
	return nil
}

// MustMint mints an ID token, failing t on error.
func (i *IDP) MustMint(t testing.TB, o identity.IDTokenOptions) string {
	t.Helper()
	raw, err := i.Provider.MintIDToken(o)
	if err != nil {
		t.Fatal(fmt.Errorf("mint: %w", err))
	}
	return raw
}
