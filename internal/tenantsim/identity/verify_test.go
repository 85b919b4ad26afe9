package identity

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func newProvider(t testing.TB, now func() time.Time) *Provider {
	t.Helper()
	p, err := New(testConfig(t, "https://127.0.0.1:8443", now))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVerifyAccessToken(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	cur := now
	p := newProvider(t, func() time.Time { return cur })
	mint := func(o AccessTokenOptions) string {
		t.Helper()
		if o.ClientID == "" {
			o.ClientID = fullAppID
		}
		s, err := p.MintAccessToken(o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := mint(AccessTokenOptions{})
	parts := strings.Split(good, ".")

	// Same key and kid, other tenant: the signature is fine, the tenant is not.
	otherTenant, err := p.sign(accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		},
		Aud: "https://graph.microsoft.com", AppID: fullAppID, TID: "72f988bf-86f1-41af-91ab-2d7cd011db47", Roles: []string{"User.ReadWrite.All"},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	// A token whose roles were edited after signing.
	claims := jwtPart(t, good, 1)
	claims["roles"] = []string{"Directory.ReadWrite.All"}
	tamperedPayload := base64.RawURLEncoding.EncodeToString(mustJSON(t, claims))
	// HS256 keyed with the public key: the classic algorithm confusion.
	pubDER, _ := x509.MarshalPKIXPublicKey(&p.key.PublicKey)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"tid": testTenant, "aud": "https://graph.microsoft.com",
		"iss": p.accessIssuer(), "exp": now.Add(time.Hour).Unix(), "appid": fullAppID})
	hs.Header["kid"] = p.kid
	confused, _ := hs.SignedString(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))

	for _, tc := range []struct {
		name string
		raw  string
		want error
	}{
		{"good", good, nil},
		{"bearer with spaces", "  " + good + "\n", nil},
		{"empty", "", ErrTokenEmpty},
		{"blank", "   ", ErrTokenEmpty},
		{"no dots", "abcdef", ErrTokenMalformed},
		{"four parts", good + ".x", ErrTokenMalformed},
		{"garbage parts", "a.b.c", ErrTokenMalformed},
		{"huge", strings.Repeat("a", maxTokenLen) + ".b.c", ErrTokenMalformed},
		{"tampered payload", parts[0] + "." + tamperedPayload + "." + parts[2], ErrTokenSignature},
		{"signature stripped", parts[0] + "." + parts[1] + ".", ErrTokenSignature},
		{"alg none", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".", ErrTokenSignature},
		{"HS256 with public key", confused, ErrTokenSignature},
		{"foreign key", mint(AccessTokenOptions{SignWithForeignKey: true}), ErrTokenSignature},
		{"expired", mint(AccessTokenOptions{ExpiresAt: now.Add(-time.Minute)}), ErrTokenExpired},
		{"other tenant", otherTenant, ErrTokenTenant},
		{"other resource", mint(AccessTokenOptions{Resource: "https://management.azure.com"}), ErrTokenAudience},
		{"national cloud graph", mint(AccessTokenOptions{Resource: "https://graph.microsoft.us"}), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := p.VerifyAccessToken(tc.raw)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if err != nil {
				if GraphMessage(err) == "" {
					t.Error("no Graph message")
				}
				return
			}
			if c.AppID != fullAppID || c.TenantID != testTenant || c.AppName != "tenantdesk (full)" ||
				!c.ExpiresAt.Equal(now.Add(time.Hour)) || len(c.Roles) != 3 {
				t.Errorf("claims %+v", c)
			}
		})
	}

	t.Run("lifetime follows the clock", func(t *testing.T) {
		cur = now.Add(61 * time.Minute)
		defer func() { cur = now }()
		if _, err := p.VerifyAccessToken(good); !errors.Is(err, ErrTokenExpired) {
			t.Errorf("err %v", err)
		}
	})
}

func TestGraphMessage(t *testing.T) {
	for err, want := range map[error]string{
		ErrTokenEmpty:     "Access token is empty.",
		ErrTokenMalformed: "CompactToken parsing failed with error code: 80049217",
		ErrTokenExpired:   "Lifetime validation failed, the token is expired.",
		ErrTokenSignature: "Access token validation failure.",
		ErrTokenTenant:    "Access token validation failure. Invalid issuer.",
		ErrTokenAudience:  "Access token validation failure. Invalid audience.",
	} {
		if got := GraphMessage(errors.Join(errors.New("context"), err)); got != want {
			t.Errorf("GraphMessage(%v) = %q, want %q", err, got, want)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	good := testConfig(t, "https://127.0.0.1:8443", nil)
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"tenant not a GUID", func(c *Config) { c.TenantID = "contoso.onmicrosoft.com" }},
		{"http authority", func(c *Config) { c.BaseURL = "http://127.0.0.1:8443" }},
		{"authority with path", func(c *Config) { c.BaseURL = "https://127.0.0.1:8443/tenant" }},
		{"app without credential", func(c *Config) { c.Apps = []App{{ClientID: "x"}} }},
		{"app with bad PEM", func(c *Config) { c.Apps = []App{{ClientID: "x", CertPEM: []byte("not pem")}} }},
		{"account without UPN", func(c *Config) { c.Accounts = []Account{{DisplayName: "x"}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mod(&cfg)
			if _, err := New(cfg); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}

func TestNewCA(t *testing.T) {
	ca, err := testCA()
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		if _, err := ca.ServerCert.Leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: ca.Pool()}); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	if _, err := ca.ServerCert.Leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: ca.Pool()}); err == nil {
		t.Error("leaf valid for a host it was not issued for")
	}
	if _, err := NewCA(nil); err == nil {
		t.Error("NewCA without hosts")
	}
	// A TLS client that trusts only CertPEM connects.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.ServerCert}}
	srv.StartTLS()
	defer srv.Close()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	defer c.CloseIdleConnections()
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestNewClientCertificate(t *testing.T) {
	pair := mustPair(t, goodCert)
	block, _ := pem.Decode(pair[0])
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatal("no certificate PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || cert.Subject.CommonName != "tenantdesk-cert" {
		t.Fatalf("%v %v", cert, err)
	}
	kb, _ := pem.Decode(pair[1])
	if kb == nil || kb.Type != "PRIVATE KEY" {
		t.Fatal("no PKCS #8 key PEM")
	}
	if _, err := tls.X509KeyPair(pair[0], pair[1]); err != nil {
		t.Errorf("cert and key do not match: %v", err)
	}
}

// FuzzTokenEndpoint posts arbitrary bodies (and Basic credentials) to the token endpoint: it must
// answer JSON with a 200, 400 or 401 and never panic; only real credentials get a token.
func FuzzTokenEndpoint(f *testing.F) {
	now := time.Now()
	p := newProvider(f, func() time.Time { return now })
	cert := mustPair(f, goodCert)
	aud := p.endpoint(testTenant, tokenEndpointP)
	f.Add("grant_type=client_credentials&client_id="+fullAppID+"&client_secret=x&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default", "")
	f.Add("grant_type=client_credentials&client_id="+certAppID+"&client_assertion_type="+url.QueryEscape(clientAssertionType)+
		"&client_assertion="+msalAssertion(f, cert, "PS256", certAppID, aud, now)+"&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default", "")
	f.Add("grant_type=authorization_code&code=abc&code_verifier=x&redirect_uri=http%3A%2F%2F127.0.0.1%2F", dashClientID+":"+dashSecret)
	f.Add("grant_type=client_credentials&scope=%2F.default%20%2F.default&client_id=%zz", "a:b")
	f.Add("grant_type=client_credentials&client_id="+certAppID+"&client_assertion_type="+url.QueryEscape(clientAssertionType)+
		"&client_assertion=eyJhbGciOiJQUzI1NiIsIng1dCNTMjU2IjpbMV19.e30.", "")
	f.Add("grant_type=client_credentials&client_id="+fullAppID+"&client_secret=x&client_secret=y&scope=a b c/.default", "%:%")
	h := p.Handler()
	f.Fuzz(func(t *testing.T, body, basic string) {
		req := httptest.NewRequest(http.MethodPost, "/"+testTenant+tokenEndpointP, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if u, pw, ok := strings.Cut(basic, ":"); ok {
			req.SetBasicAuth(u, pw)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 401:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		reply := decodeJSON(t, rec.Body)
		if rec.Code == 200 {
			at, _ := reply["access_token"].(string)
			c, err := p.VerifyAccessToken(at)
			if err != nil || c.AppID != certAppID && c.AppID != fullAppID && c.AppID != readAppID {
				t.Fatalf("issued an unverifiable token: %v %+v", err, c)
			}
			// A fuzzer cannot guess a secret: a token means one of the registered secrets was sent.
			form, _ := url.ParseQuery(body)
			if sec := form.Get("client_secret"); sec != "" && sec != fullAppSecret && sec != readAppSecret {
				t.Fatalf("token for a wrong secret: %q", body)
			}
		} else if reply["error"] == "" || reply["error_description"] == "" {
			t.Fatalf("error reply without error: %v", reply)
		}
	})
}

// FuzzClientAssertion feeds arbitrary assertions to the verifier: no panic, and nothing but a
// genuine signature from the registered certificate is accepted.
func FuzzClientAssertion(f *testing.F) {
	now := time.Now()
	p := newProvider(f, func() time.Time { return now })
	cert := mustPair(f, goodCert)
	aud := p.endpoint(testTenant, tokenEndpointP)
	valid := []string{
		msalAssertion(f, cert, "PS256", certAppID, aud, now),
		msalAssertion(f, cert, "RS256", certAppID, aud, now),
	}
	signed := map[string]bool{}
	for _, v := range valid {
		f.Add(v)
		signed[v[:strings.LastIndex(v, ".")]] = true
	}
	f.Add(msalAssertion(f, mustPair(f, otherCert), "PS256", certAppID, aud, now))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("eyJhbGciOiJQUzI1NiIsIng1dCNTMjU2IjpudWxsfQ.bnVsbA.AAAA")
	f.Add("eyJhbGciOiJSUzI1NiIsIng1dCI6MX0.W10.x")
	f.Add("..")
	f.Add("e30.e30.e30")
	a := p.apps[strings.ToLower(certAppID)]
	auds := p.assertionAudiences(testTenant)
	f.Fuzz(func(t *testing.T, raw string) {
		err := p.verifyAssertion(raw, a, auds)
		// Without the private key, only the signed header and payload can pass.
		if i := strings.LastIndex(raw, "."); err == nil && (i < 0 || !signed[raw[:i]]) {
			t.Fatalf("accepted %q", raw)
		}
		if err != nil && (err.status != 401 || err.code != "invalid_client") {
			t.Fatalf("odd refusal %+v", err)
		}
	})
}

// FuzzAuthorize sends arbitrary authorize queries: no panic, and a redirect only ever goes to a
// loopback host (the dashboard's registered kind), so the provider is no open redirector.
func FuzzAuthorize(f *testing.F) {
	p := newProvider(f, time.Now)
	h := p.Handler()
	f.Add(authorizeQuery(nil).Encode())
	f.Add(authorizeQuery(func(q url.Values) { q.Set("redirect_uri", "https://evil.example/") }).Encode())
	f.Add(authorizeQuery(func(q url.Values) { q.Set("response_type", "token") }).Encode())
	f.Add(authorizeQuery(func(q url.Values) { q.Del("login_hint") }).Encode())
	f.Add("redirect_uri=http://localhost%2540evil.example/&client_id=" + dashClientID)
	f.Add("%zz&&==;")
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/"+testTenant+"/oauth2/v2.0/authorize", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400:
		case 302:
			loc, err := url.Parse(rec.Header().Get("Location"))
			if err != nil {
				t.Fatalf("bad Location %q", rec.Header().Get("Location"))
			}
			switch strings.ToLower(loc.Hostname()) {
			case "127.0.0.1", "localhost", "::1":
			default:
				t.Fatalf("redirected to %q", loc)
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}

// FuzzVerifyAccessToken: no panic, and only tokens of this tenant pass.
func FuzzVerifyAccessToken(f *testing.F) {
	now := time.Now()
	p := newProvider(f, func() time.Time { return now })
	good, err := p.MintAccessToken(AccessTokenOptions{ClientID: fullAppID})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6W119.e30.AA")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := p.VerifyAccessToken(raw)
		if err == nil && c.TenantID != testTenant {
			t.Fatalf("accepted %+v", c)
		}
		if err != nil && GraphMessage(err) == "" {
			t.Fatal("no message")
		}
	})
}
