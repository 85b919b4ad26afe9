package identity

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

const (
	testTenant     = "5f1c2f4e-9d0a-4b7e-8f7a-1c2d3e4f5a6b"
	fullAppID      = "0a1b2c3d-1111-4222-8333-444455556666"
	fullAppSecret  = "full~secret.value_123"
	readAppID      = "0a1b2c3d-2222-4222-8333-444455556666"
	readAppSecret  = "read~secret.value_456"
	certAppID      = "0a1b2c3d-3333-4222-8333-444455556666"
	dashClientID   = "0a1b2c3d-4444-4222-8333-444455556666"
	dashSecret     = "dash~secret"
	callbackURI    = "http://127.0.0.1:8080/auth/callback"
	adminUPN       = "adele.admin@contoso.example"
	readerUPN      = "rita.reader@contoso.example"
	noRoleUPN      = "nora.norole@contoso.example"
	testVerifier   = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	testChallenge  = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" // S256 of testVerifier (RFC 7636 B)
	tokenEndpointP = "/oauth2/v2.0/token"
)

// Key generation dominates test time; one key of each kind serves every test.
var (
	testSigningKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	goodCert       = sync.OnceValues(func() ([2][]byte, error) {
		c, k, err := NewClientCertificate("tenantdesk-cert")
		return [2][]byte{c, k}, err
	})
	otherCert = sync.OnceValues(func() ([2][]byte, error) {
		c, k, err := NewClientCertificate("someone-else")
		return [2][]byte{c, k}, err
	})
	testCA = sync.OnceValues(func() (*CA, error) { return NewCA([]string{"127.0.0.1", "localhost"}) })
)

type env struct {
	p      *Provider
	srv    *httptest.Server
	client *http.Client // trusts the CA, does not follow redirects
	clock  *testkit.Clock
	cert   [2][]byte // the certificate app's cert and key PEM
}

func mustPair(t testing.TB, f func() ([2][]byte, error)) [2][]byte {
	t.Helper()
	v, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func testConfig(t testing.TB, base string, now func() time.Time) Config {
	t.Helper()
	key, err := testSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	cert := mustPair(t, goodCert)
	return Config{
		TenantID: testTenant,
		BaseURL:  base,
		Apps: []App{
			{ClientID: fullAppID, DisplayName: "tenantdesk (full)", Secret: fullAppSecret,
				Roles: []string{"User.ReadWrite.All", "Group.ReadWrite.All", "AuditLog.Read.All"}},
			{ClientID: readAppID, DisplayName: "tenantdesk (read-only)", Secret: readAppSecret,
				Roles: []string{"User.Read.All", "Group.Read.All"}},
			{ClientID: certAppID, DisplayName: "tenantdesk (certificate)", CertPEM: append(cert[0], cert[1]...),
				Roles: []string{"User.Read.All"}},
		},
		Accounts: []Account{
			{UPN: adminUPN, DisplayName: "Adele Admin", Roles: []string{"Reader", "Operator", "LicenseAdmin"}},
			{ObjectID: "11111111-2222-4333-8444-555555555555", UPN: readerUPN, DisplayName: "Rita Reader", Roles: []string{"Reader"}},
			{UPN: noRoleUPN, DisplayName: "Nora <No Role>"},
		},
		Dashboard:  DashboardClient{ClientID: dashClientID, Secret: dashSecret},
		Now:        now,
		SigningKey: key,
	}
}

// newEnv starts the provider behind HTTPS with a certificate from NewCA, as the simulator does.
func newEnv(t testing.TB) *env {
	t.Helper()
	ca, err := testCA()
	if err != nil {
		t.Fatal(err)
	}
	clk := testkit.NewClock(time.Now()) // real time: go-oidc uses time.Now and must agree
	srv := httptest.NewUnstartedServer(nil)
	base := "https://" + srv.Listener.Addr().String()
	p, err := New(testConfig(t, base, clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = p.Handler()
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.ServerCert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: 10 * time.Second,
	}
	t.Cleanup(client.CloseIdleConnections)
	return &env{p: p, srv: srv, client: client, clock: clk, cert: mustPair(t, goodCert)}
}

func (e *env) url(path string) string { return e.p.base + "/" + testTenant + path }

// postForm posts to the token endpoint and decodes the JSON reply.
func (e *env) postToken(t testing.TB, form url.Values, mod func(*http.Request)) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url(tokenEndpointP), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if mod != nil {
		mod(req)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, decodeJSON(t, resp.Body)
}

func (e *env) get(t testing.TB, u string) *http.Response {
	t.Helper()
	resp, err := e.client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decodeJSON(t testing.TB, r io.Reader) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatalf("decode JSON reply: %v", err)
	}
	return m
}

// msalAssertion builds a client assertion exactly as MSAL Go's Credential.JWT does: PS256 with
// a standard-base64 SHA-256 thumbprint in x5t#S256, or RS256 with a SHA-1 x5t (ADFS), claims
// aud/exp/iss/jti/nbf/sub.
func msalAssertion(t testing.TB, pair [2][]byte, alg, clientID, aud string, now time.Time) string {
	t.Helper()
	block, _ := pem.Decode(pair[0])
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := pem.Decode(pair[1])
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{
		"aud": aud,
		"exp": json.Number(strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10)),
		"iss": clientID,
		"jti": uuid.New().String(),
		"nbf": json.Number(strconv.FormatInt(now.Unix(), 10)),
		"sub": clientID,
	}
	method := jwt.SigningMethod(jwt.SigningMethodPS256)
	thumbKey, thumb := "x5t#S256", func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
	if alg == "RS256" {
		method = jwt.SigningMethodRS256
		thumbKey, thumb = "x5t", func(b []byte) []byte { s := sha1.Sum(b); return s[:] }
	}
	tok := jwt.NewWithClaims(method, claims)
	tok.Header = map[string]any{
		"alg":    method.Alg(),
		"typ":    "JWT",
		thumbKey: base64.StdEncoding.EncodeToString(thumb(cert.Raw)),
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jwtPart decodes one part of a compact JWT into a map.
func jwtPart(t testing.TB, raw string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
