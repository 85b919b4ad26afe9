package sdktest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/graph"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
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
	srv := simtest.Start(t, tenantsim.Options{Config: cfg, FaultSeed: 3})
	info := srv.Info()
	return &env{srv: srv, info: info, http: simtest.HTTPClient(t, info)}
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
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	r := testkit.Do(t, e.http, method, e.info.ControlURL+path, "", b, "Content-Type", "application/json")
	if r.Status != http.StatusOK {
		t.Fatalf("control %s %s: %d %s", method, path, r.Status, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			t.Fatalf("control %s %s: %v in %s", method, path, err, r.Body)
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
	return testkit.AppToken(t, e.http, e.info.AuthorityURL+"/"+e.info.TenantID+"/oauth2/v2.0/token", clientID, secret)
}

// rawResponse is a plain HTTP answer of the simulated Graph.
type rawResponse struct{ testkit.Response }

// errorCode returns error.code and error.message of a Graph error body.
func (r rawResponse) errorCode(t *testing.T) (code, message string) {
	t.Helper()
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, r.Body)
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
	return rawResponse{testkit.Do(t, e.http, method, target, tok, body, headers...)}
}

// groupsWithLicenseErrors lists, with a plain request as any client would send it, the groups
// that Graph's hasMembersWithLicenseErrors filter finds (it works only without ConsistencyLevel).
func (e *env) groupsWithLicenseErrors(t *testing.T) []string {
	t.Helper()
	tok := e.token(t, e.info.ClientID, e.info.ClientSecret)
	var ids []string
	next := "/groups?$filter=" + url.QueryEscape("hasMembersWithLicenseErrors eq true") + "&$select=id&$top=999"
	for next != "" {
		res := e.do(t, tok, "GET", next, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("groups with license errors: %d %s", res.Status, res.Body)
		}
		var page struct {
			Value []struct {
				ID string `json:"id"`
			} `json:"value"`
			Next string `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(res.Body, &page); err != nil {
			t.Fatal(err)
		}
		for _, g := range page.Value {
			ids = append(ids, g.ID)
		}
		next = page.Next
	}
	return ids
}
