package sdktest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/graph"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// env is one running simulated tenant and the plain HTTPS client that trusts its CA.
type env struct {
	srv  *tenantsim.Server
	info tenantsim.Info
	http *http.Client
}

// start runs a simulated tenant for the length of the test.
func start(t *testing.T, cfg tenantsim.Config) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := tenantsim.Start(ctx, tenantsim.Options{Config: cfg, FaultSeed: 3})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = srv.Close(sctx)
		cancel()
	})
	info := srv.Info()
	pemBytes, err := os.ReadFile(info.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("CA file %s holds no certificate", info.CAFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	return &env{srv: srv, info: info, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// credential is one way the app proves who it is.
type credential struct {
	name string
	cfg  func(e *env, t *testing.T) graph.Config
}

var credentials = []credential{
	{"secret", func(e *env, t *testing.T) graph.Config { return e.secretConfig() }},
	{"certificate", func(e *env, t *testing.T) graph.Config { return e.certConfig(t) }},
}

func (e *env) secretConfig() graph.Config {
	return graph.Config{
		TenantID: e.info.TenantID, ClientID: e.info.ClientID, ClientSecret: e.info.ClientSecret,
		GraphURL: e.info.GraphURL, AuthorityURL: e.info.AuthorityURL, CAFile: e.info.CAFile, MaxRetries: 10,
	}
}

func (e *env) certConfig(t *testing.T) graph.Config {
	t.Helper()
	pemBytes, err := os.ReadFile(e.info.ClientCertFile) // certificate and private key
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.secretConfig()
	cfg.ClientSecret, cfg.CertificatePEM = "", pemBytes
	return cfg
}

func (e *env) readOnlyConfig() graph.Config {
	cfg := e.secretConfig()
	cfg.ClientID, cfg.ClientSecret = e.info.ReadonlyClientID, e.info.ReadonlyClientSecret
	return cfg
}

func newClient(t *testing.T, cfg graph.Config) *graph.Client {
	t.Helper()
	c, err := graph.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// control calls the simulator's control API over HTTPS; out, if not nil, receives the JSON
// answer.
func (e *env) control(t *testing.T, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.info.ControlURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("control %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("control %s %s: %d %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("control %s %s: %v in %s", method, path, err, b)
		}
	}
}

// stats reads GET /_sim/stats.
func (e *env) stats(t *testing.T) tenantsim.StatsSnapshot {
	t.Helper()
	var s tenantsim.StatsSnapshot
	e.control(t, "GET", "/stats", nil, &s)
	return s
}

func (e *env) resetStats(t *testing.T) { e.control(t, "POST", "/stats/reset", nil, nil) }

// statsWhen polls the statistics until cond holds or two seconds pass: the simulator counts a
// request after its answer is written, so the client can finish reading before the count lands.
func (e *env) statsWhen(t *testing.T, cond func(tenantsim.StatsSnapshot) bool) tenantsim.StatsSnapshot {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		s := e.stats(t)
		if cond(s) || time.Now().After(deadline) {
			return s
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// token gets an app token by the client-credentials grant, as curl would.
func (e *env) token(t *testing.T, clientID, secret string) string {
	t.Helper()
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret},
		"scope": {"https://graph.microsoft.com/.default"},
	}
	res, err := e.http.PostForm(e.info.AuthorityURL+"/"+e.info.TenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != 200 || body.AccessToken == "" {
		t.Fatalf("token: %d, %v", res.StatusCode, err)
	}
	return body.AccessToken
}

// rawResponse is a plain HTTP answer of the simulated Graph.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic map (collections, errors).
func (r rawResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// errorCode returns error.code and error.message of a Graph error body.
func (r rawResponse) errorCode(t *testing.T) (code, message string) {
	t.Helper()
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, r.body)
	}
	return b.Error.Code, b.Error.Message
}

// do sends one request to the simulated Graph; target is a path below /v1.0 with its query, or
// an absolute URL (a nextLink). Headers come in name, value pairs.
func (e *env) do(t *testing.T, tok, method, target string, body []byte, headers ...string) rawResponse {
	t.Helper()
	if !strings.HasPrefix(target, "https://") {
		target = e.info.GraphURL + target
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{status: res.StatusCode, header: res.Header, body: b}
}
