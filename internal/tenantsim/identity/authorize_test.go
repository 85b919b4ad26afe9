package identity

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

func authorizeQuery(mod func(url.Values)) url.Values {
	q := url.Values{
		"client_id":             {dashClientID},
		"redirect_uri":          {callbackURI},
		"response_type":         {"code"},
		"scope":                 {"openid profile email"},
		"state":                 {"st-123"},
		"nonce":                 {"nonce-456"},
		"code_challenge":        {testChallenge},
		"code_challenge_method": {"S256"},
		"login_hint":            {adminUPN},
	}
	if mod != nil {
		mod(q)
	}
	return q
}

// authorize sends GET /authorize and returns the redirect's query, failing unless it is a
// redirect to the callback.
func (e *env) authorize(t *testing.T, q url.Values) url.Values {
	t.Helper()
	resp := e.get(t, e.url("/oauth2/v2.0/authorize?"+q.Encode()))
	if resp.StatusCode != http.StatusFound {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("authorize: status %d: %s", resp.StatusCode, b)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != callbackURI {
		t.Fatalf("redirected to %s, want %s", got, callbackURI)
	}
	return loc.Query()
}

func redeemForm(code string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {dashClientID},
		"client_secret": {dashSecret},
		"code":          {code},
		"redirect_uri":  {callbackURI},
		"code_verifier": {testVerifier},
	}
}

// verifyWithJWKS checks an ID token the way a relying party does, from the published JWKS only.
func (e *env) verifyWithJWKS(t *testing.T, raw string) jwt.MapClaims {
	t.Helper()
	body := decodeJSON(t, e.get(t, e.url("/discovery/v2.0/keys")).Body)
	keys := map[string]*rsa.PublicKey{}
	for _, k := range body["keys"].([]any) {
		m := k.(map[string]any)
		n, _ := base64.RawURLEncoding.DecodeString(m["n"].(string))
		ex, _ := base64.RawURLEncoding.DecodeString(m["e"].(string))
		keys[m["kid"].(string)] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(ex).Int64())}
	}
	var claims jwt.MapClaims
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(dashClientID),
		jwt.WithIssuer(e.p.IssuerURL()), jwt.WithExpirationRequired()).
		ParseWithClaims(raw, &claims, func(tok *jwt.Token) (any, error) {
			return keys[tok.Header["kid"].(string)], nil
		})
	if err != nil {
		t.Fatalf("ID token does not verify against the JWKS: %v", err)
	}
	return claims
}

func TestAuthorizationCodeFlow(t *testing.T) {
	e := newEnv(t)

	t.Run("login_hint end to end", func(t *testing.T) {
		q := e.authorize(t, authorizeQuery(nil))
		if q.Get("state") != "st-123" || q.Get("code") == "" {
			t.Fatalf("callback query %v", q)
		}
		status, body := e.postToken(t, redeemForm(q.Get("code")), nil)
		if status != http.StatusOK {
			t.Fatalf("status %d: %v", status, body)
		}
		if body["token_type"] != "Bearer" || body["expires_in"] != float64(3599) || body["access_token"] == "" {
			t.Errorf("reply %v", body)
		}
		c := e.verifyWithJWKS(t, body["id_token"].(string))
		if c["nonce"] != "nonce-456" || c["preferred_username"] != adminUPN || c["name"] != "Adele Admin" ||
			c["tid"] != testTenant || c["oid"] == "" || c["sub"] == "" || c["ver"] != "2.0" {
			t.Errorf("ID token claims %v", c)
		}
		roles, _ := c["roles"].([]any)
		if !slices.Equal(roles, []any{"Reader", "Operator", "LicenseAdmin"}) {
			t.Errorf("roles %v", c["roles"])
		}
		ac, err := e.p.VerifyAccessToken(body["access_token"].(string))
		if err != nil || ac.IDType != "user" || ac.UPN != adminUPN || ac.AppID != dashClientID || len(ac.Roles) != 0 {
			t.Errorf("access token %+v, %v", ac, err)
		}

		// The same code a second time: already redeemed.
		status, body = e.postToken(t, redeemForm(q.Get("code")), nil)
		if status != 400 || body["error"] != "invalid_grant" || body["error_codes"].([]any)[0] != float64(54005) {
			t.Errorf("reuse: %d %v", status, body)
		}
	})

	t.Run("account without roles has no roles claim", func(t *testing.T) {
		q := e.authorize(t, authorizeQuery(func(q url.Values) { q.Set("login_hint", strings.ToUpper(noRoleUPN)) }))
		_, body := e.postToken(t, redeemForm(q.Get("code")), nil)
		c := e.verifyWithJWKS(t, body["id_token"].(string))
		if _, ok := c["roles"]; ok || c["preferred_username"] != noRoleUPN {
			t.Errorf("claims %v", c)
		}
	})

	t.Run("basic client auth", func(t *testing.T) {
		q := e.authorize(t, authorizeQuery(nil))
		f := redeemForm(q.Get("code"))
		f.Del("client_secret")
		f.Del("client_id")
		status, body := e.postToken(t, f, func(r *http.Request) { r.SetBasicAuth(dashClientID, dashSecret) })
		if status != 200 {
			t.Errorf("status %d: %v", status, body)
		}
	})

	for _, tc := range []struct {
		name   string
		mod    func(url.Values)
		status int
		errc   string
		aadsts float64
	}{
		{"PKCE mismatch", func(f url.Values) { f.Set("code_verifier", strings.Repeat("a", 43)) }, 400, "invalid_grant", 501481},
		{"no verifier", func(f url.Values) { f.Del("code_verifier") }, 400, "invalid_grant", 501481},
		{"other redirect", func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:9999/cb") }, 400, "invalid_grant", 500112},
		{"bad client secret", func(f url.Values) { f.Set("client_secret", "x") }, 401, "invalid_client", 7000215},
		{"no client secret", func(f url.Values) { f.Del("client_secret") }, 401, "invalid_client", 7000218},
		{"other client", func(f url.Values) { f.Set("client_id", fullAppID) }, 400, "unauthorized_client", 700016},
		{"unknown code", func(f url.Values) { f.Set("code", "bm90LWEtY29kZQ") }, 400, "invalid_grant", 9002313},
		{"no code", func(f url.Values) { f.Del("code") }, 400, "invalid_request", 900144},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := e.authorize(t, authorizeQuery(nil))
			f := redeemForm(q.Get("code"))
			tc.mod(f)
			status, body := e.postToken(t, f, nil)
			codes, _ := body["error_codes"].([]any)
			if status != tc.status || body["error"] != tc.errc || len(codes) != 1 || codes[0] != tc.aadsts {
				t.Errorf("got %d %v, want %d %s %v", status, body, tc.status, tc.errc, tc.aadsts)
			}
			if _, ok := body["id_token"]; ok {
				t.Error("refusal carries an id_token")
			}
		})
	}

	t.Run("failed redemption spends the code", func(t *testing.T) {
		q := e.authorize(t, authorizeQuery(nil))
		f := redeemForm(q.Get("code"))
		f.Set("code_verifier", strings.Repeat("b", 43))
		if status, _ := e.postToken(t, f, nil); status != 400 {
			t.Fatalf("status %d", status)
		}
		if status, _ := e.postToken(t, redeemForm(q.Get("code")), nil); status != 400 {
			t.Errorf("a code survived a wrong verifier: status %d", status)
		}
	})

	t.Run("expired code", func(t *testing.T) {
		q := e.authorize(t, authorizeQuery(nil))
		e.clock.Add(codeLifetime + time.Second)
		defer e.clock.Add(-codeLifetime - time.Second)
		status, body := e.postToken(t, redeemForm(q.Get("code")), nil)
		if status != 400 || body["error_codes"].([]any)[0] != float64(70008) {
			t.Errorf("got %d %v", status, body)
		}
	})
}

func TestAuthorizeRefusals(t *testing.T) {
	e := newEnv(t)
	// Bad client or redirect URI: an error page, never a redirect (no open redirector).
	for _, tc := range []struct {
		name string
		mod  func(url.Values)
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", fullAppID) }},
		{"no client", func(q url.Values) { q.Del("client_id") }},
		{"foreign redirect", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }},
		{"loopback lookalike", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1.evil.example/cb") }},
		{"userinfo trick", func(q url.Values) { q.Set("redirect_uri", "http://localhost@evil.example/cb") }},
		{"javascript scheme", func(q url.Values) { q.Set("redirect_uri", "javascript://localhost/%0aalert(1)") }},
		{"no redirect", func(q url.Values) { q.Del("redirect_uri") }},
		{"unknown tenant", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := authorizeQuery(tc.mod)
			u := e.url("/oauth2/v2.0/authorize?" + q.Encode())
			if tc.mod == nil {
				u = e.p.base + "/not-a-tenant/oauth2/v2.0/authorize?" + q.Encode()
			}
			resp := e.get(t, u)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			b, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(b), "AADSTS") || strings.Contains(string(b), "<script") {
				t.Errorf("error page %s", b)
			}
		})
	}
	// Valid client and redirect: errors go back to the client with state.
	for _, tc := range []struct {
		name string
		mod  func(url.Values)
		errc string
	}{
		{"no PKCE", func(q url.Values) { q.Del("code_challenge") }, "invalid_request"},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"short challenge", func(q url.Values) { q.Set("code_challenge", "abc") }, "invalid_request"},
		{"implicit flow", func(q url.Values) { q.Set("response_type", "id_token") }, "unsupported_response_type"},
		{"form_post", func(q url.Values) { q.Set("response_mode", "form_post") }, "invalid_request"},
		{"no openid", func(q url.Values) { q.Set("scope", "profile") }, "invalid_scope"},
		{"prompt none unknown user", func(q url.Values) { q.Set("prompt", "none"); q.Set("login_hint", "x@y") }, "login_required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := e.authorize(t, authorizeQuery(tc.mod))
			if q.Get("error") != tc.errc || q.Get("state") != "st-123" || q.Get("code") != "" ||
				!strings.HasPrefix(q.Get("error_description"), "AADSTS") {
				t.Errorf("callback query %v", q)
			}
		})
	}
	t.Run("allow-listed redirect", func(t *testing.T) {
		cfg := testConfig(t, e.p.base, e.clock.Now)
		cfg.Dashboard.RedirectURIs = []string{"https://desk.contoso.example/auth/callback"}
		p, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for uri, want := range map[string]bool{
			"https://desk.contoso.example/auth/callback":  true,
			"https://desk.contoso.example/auth/callback/": false,
			"http://[::1]:4000/cb":                        true,
			"http://localhost/cb":                         true,
			"https://localhost:8443/cb?x=1":               true,
			"http://localhost:8080/cb#frag":               false,
			"ftp://localhost/cb":                          false,
			"":                                            false,
		} {
			if got := p.validRedirect(uri); got != want {
				t.Errorf("validRedirect(%q) = %v, want %v", uri, got, want)
			}
		}
	})
}

func TestSignInPage(t *testing.T) {
	e := newEnv(t)
	q := authorizeQuery(func(q url.Values) { q.Del("login_hint") })
	resp := e.get(t, e.url("/oauth2/v2.0/authorize?"+q.Encode()))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	b, _ := io.ReadAll(resp.Body)
	page := string(b)
	for _, want := range []string{
		`<button type="submit" name="login_hint" value="` + adminUPN + `">`,
		`value="` + readerUPN + `"`,
		"Reader, Operator, LicenseAdmin",
		"Nora &lt;No Role&gt;", // escaped
		"no app role",
		`name="code_challenge" value="` + testChallenge + `"`,
		`name="state" value="st-123"`,
		`method="post"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "onclick") {
		t.Error("sign-in page has script")
	}

	// Pressing the reader's button posts the form back.
	form := url.Values{}
	for _, k := range authParams {
		if v := q.Get(k); v != "" {
			form.Set(k, v)
		}
	}
	form.Set("login_hint", readerUPN)
	resp2, err := e.client.PostForm(e.url("/oauth2/v2.0/authorize"), form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	loc, _ := url.Parse(resp2.Header.Get("Location"))
	if resp2.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		t.Fatalf("status %d, Location %v", resp2.StatusCode, loc)
	}
	_, body := e.postToken(t, redeemForm(loc.Query().Get("code")), nil)
	c := e.verifyWithJWKS(t, body["id_token"].(string))
	if c["oid"] != "11111111-2222-4333-8444-555555555555" || c["preferred_username"] != readerUPN {
		t.Errorf("claims %v", c)
	}

	// An unknown hint shows the page again with a note.
	q.Set("login_hint", "mallory@evil.example")
	resp3 := e.get(t, e.url("/oauth2/v2.0/authorize?"+q.Encode()))
	b, _ = io.ReadAll(resp3.Body)
	if resp3.StatusCode != 200 || !strings.Contains(string(b), "not one of the demo accounts") {
		t.Errorf("status %d: %s", resp3.StatusCode, b)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	resp := e.get(t, e.url("/oauth2/v2.0/logout?post_logout_redirect_uri="+url.QueryEscape("http://localhost:8080/signed-out")+"&state=s1"))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "http://localhost:8080/signed-out?state=s1" {
		t.Errorf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = e.get(t, e.url("/oauth2/v2.0/logout?post_logout_redirect_uri="+url.QueryEscape("https://evil.example/")))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
		t.Errorf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestOIDCClient signs in with the libraries the dashboard uses: go-oidc discovery, x/oauth2
// with PKCE, ID token verification from the JWKS.
func TestOIDCClient(t *testing.T) {
	e := newEnv(t)
	ctx := oidc.ClientContext(context.Background(), e.client)
	provider, err := oidc.NewProvider(ctx, e.p.IssuerURL())
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{
		ClientID:     dashClientID,
		ClientSecret: dashSecret,
		Endpoint:     provider.Endpoint(),
		RedirectURL:  "http://localhost:39123/auth/callback",
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
	}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-xyz", oidc.Nonce("n-789"), oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("login_hint", readerUPN))
	resp := e.get(t, authURL)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Query().Get("state") != "state-xyz" {
		t.Fatalf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idv := provider.Verifier(&oidc.Config{ClientID: dashClientID})
	idt, err := idv.Verify(ctx, rawID)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Name              string   `json:"name"`
		PreferredUsername string   `json:"preferred_username"`
		Roles             []string `json:"roles"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != "n-789" || claims.PreferredUsername != readerUPN || !slices.Equal(claims.Roles, []string{"Reader"}) {
		t.Errorf("nonce %q, claims %+v", idt.Nonce, claims)
	}

	// Tokens minted wrong are refused by the same verifier.
	now := time.Now()
	for _, tc := range []struct {
		name string
		o    IDTokenOptions
		ok   bool
	}{
		{"good", IDTokenOptions{UPN: adminUPN, Nonce: "n"}, true},
		{"wrong audience", IDTokenOptions{UPN: adminUPN, Audience: fullAppID}, false},
		{"wrong issuer", IDTokenOptions{UPN: adminUPN, Issuer: "https://login.microsoftonline.com/" + testTenant + "/v2.0"}, false},
		{"foreign key", IDTokenOptions{UPN: adminUPN, SignWithForeignKey: true}, false},
		{"expired", IDTokenOptions{UPN: adminUPN, IssuedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := e.p.MintIDToken(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			_, err = idv.Verify(ctx, raw)
			if (err == nil) != tc.ok {
				t.Errorf("Verify: %v, want ok=%v", err, tc.ok)
			}
		})
	}
	t.Run("wrong nonce is visible", func(t *testing.T) {
		raw, _ := e.p.MintIDToken(IDTokenOptions{UPN: adminUPN, Nonce: "other"})
		idt, err := idv.Verify(ctx, raw)
		if err != nil || idt.Nonce != "other" {
			t.Errorf("nonce %v, %v", idt, err)
		}
	})
	if _, err := e.p.MintIDToken(IDTokenOptions{UPN: "nobody@x"}); err == nil {
		t.Error("minted a token for an unknown account")
	}
}

// An administrator's changes to an account apply to what is issued from then on: removed app
// roles are missing from the next ID token, and a blocked account cannot sign in, silently or
// not (Entra's AADSTS50057).
func TestAccountChanges(t *testing.T) {
	e := newEnv(t)
	if err := e.p.SetRoles(adminUPN, []string{"Reader"}); err != nil {
		t.Fatal(err)
	}
	raw, err := e.p.MintIDToken(IDTokenOptions{UPN: adminUPN, Nonce: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if roles, _ := jwtPart(t, raw, 1)["roles"].([]any); len(roles) != 1 || roles[0] != "Reader" {
		t.Errorf("roles after SetRoles: %v", jwtPart(t, raw, 1)["roles"])
	}
	if err := e.p.SetRoles("nobody@example.com", nil); err == nil {
		t.Error("SetRoles of an unknown account succeeded")
	}
	if err := e.p.SetDisabled(adminUPN, true); err != nil {
		t.Fatal(err)
	}
	q := e.authorize(t, authorizeQuery(func(q url.Values) { q.Set("prompt", "none") }))
	if q.Get("error") != "interaction_required" || !strings.Contains(q.Get("error_description"), "AADSTS50057") || q.Get("code") != "" {
		t.Errorf("silent sign-in of a blocked account: %v", q)
	}
	resp := e.get(t, e.url("/oauth2/v2.0/authorize?"+authorizeQuery(nil).Encode()))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "AADSTS50057") {
		t.Errorf("interactive sign-in of a blocked account: %d", resp.StatusCode)
	}
	e.p.SetDisabled(adminUPN, false)
	if q := e.authorize(t, authorizeQuery(func(q url.Values) { q.Set("prompt", "none") })); q.Get("code") == "" {
		t.Errorf("unblocked account: %v", q)
	}
}
