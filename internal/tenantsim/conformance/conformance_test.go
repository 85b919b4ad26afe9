package conformance

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// findNode returns the node binary when it and the installed dependencies (npm ci here) can run
// the script, and skips or fails the test otherwise (testkit.Node).
func findNode(t *testing.T) string {
	t.Helper()
	return testkit.Node(t, ".", "@azure/identity", "@microsoft/microsoft-graph-client")
}

// result is what one run of the script said: the checks that passed and failed, by name.
type result struct {
	err            error
	passed, failed map[string]string // name -> "" or why
	output         string
}

var tapLine = regexp.MustCompile(`^(ok|not ok) \d+ - ([^:]+)(?:: (.*))?$`)

// runScript runs conformance.js for the simulator described by info, with its CA trusted the
// way a Node.js user trusts it.
func runScript(t *testing.T, node string, info tenantsim.Info) result {
	t.Helper()
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "sim.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "conformance.js", file)
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+info.CAFile)
	out, err := cmd.CombinedOutput()
	r := result{err: err, passed: map[string]string{}, failed: map[string]string{}, output: string(out)}
	for _, line := range strings.Split(string(out), "\n") {
		m := tapLine.FindStringSubmatch(strings.TrimSpace(line))
		switch {
		case m == nil:
		case m[1] == "ok":
			r.passed[m[2]] = ""
		default:
			r.failed[m[2]] = m[3]
		}
	}
	if len(r.passed)+len(r.failed) == 0 {
		t.Fatalf("the script reported no checks (%v):\n%s", err, out)
	}
	return r
}

func startSim(t *testing.T) *tenantsim.Server {
	t.Helper()
	return simtest.Start(t, tenantsim.Options{Config: tenantsim.Config{Seed: 41, Users: 120, Groups: 20, LicensedGroups: 8}, FaultSeed: 1})
}

// TestNodeConformance drives the simulated tenant with Microsoft's JavaScript libraries: every
// check of conformance.js passes.
func TestNodeConformance(t *testing.T) {
	testkit.Slow(t, "runs Node.js against the simulated tenant")
	node := findNode(t)
	r := runScript(t, node, startSim(t).Info())
	if r.err != nil || len(r.failed) > 0 {
		t.Fatalf("conformance.js failed (%v):\n%s", r.err, r.output)
	}
	t.Logf("%d checks passed", len(r.passed))
}

// TestNodeConformanceCatchesABrokenSimulator puts a proxy that breaks one rule between the
// script and the simulator (which stays as it is): each breakage makes the script fail, in the
// checks that hold that rule and only there. So a passing run means the rules hold.
func TestNodeConformanceCatchesABrokenSimulator(t *testing.T) {
	testkit.Slow(t, "runs Node.js against the simulated tenant")
	node := findNode(t)
	sim := startSim(t)
	for _, tc := range []struct {
		name string
		// request changes what the simulator is asked; response what the script gets back.
		request  func(*http.Request)
		response func(*http.Request, map[string]any, int) (map[string]any, bool)
		fail     []string // checks that must fail
	}{
		{
			name: "paging: the second page has no nextLink",
			response: func(req *http.Request, body map[string]any, status int) (map[string]any, bool) {
				if req.URL.Path == "/v1.0/users" && req.URL.Query().Get("$skiptoken") != "" {
					delete(body, "@odata.nextLink")
					return body, true
				}
				return nil, false
			},
			fail: []string{"users paging to the end with $count equal"},
		},
		{
			name:    "$count rules: ConsistencyLevel no longer needed",
			request: func(r *http.Request) { r.Header.Set("ConsistencyLevel", "eventual") },
			fail: []string{"/users/$count is text/plain and needs ConsistencyLevel", "licensed groups refused without ConsistencyLevel",
				"hasMembersWithLicenseErrors without ConsistencyLevel"},
		},
		{
			name: "error shape: no innerError",
			response: func(_ *http.Request, body map[string]any, status int) (map[string]any, bool) {
				if e, ok := body["error"].(map[string]any); ok && status >= 400 {
					delete(e, "innerError")
					return body, true
				}
				return nil, false
			},
			fail: []string{"licensed groups refused without ConsistencyLevel", "reprocess refused for the license-only app",
				"reprocess refused for the read-only app", "bad token refused"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := sim.Info()
			info.GraphURL = breakingProxy(t, sim, tc.request, tc.response) + "/v1.0"
			r := runScript(t, node, info)
			if r.err == nil {
				t.Fatalf("the script passed against a broken simulator:\n%s", r.output)
			}
			for _, name := range tc.fail {
				if _, ok := r.failed[name]; !ok {
					t.Errorf("check %q did not fail:\n%s", name, r.output)
				}
			}
			if len(r.passed) == 0 {
				t.Errorf("every check failed: the breakage was not the only fault\n%s", r.output)
			}
			for name, why := range r.failed {
				t.Logf("failed as it should: %s: %s", name, why)
			}
		})
	}
}

// breakingProxy serves the simulator's Graph API on another loopback port, over TLS with the
// simulator's own certificate, changing requests and JSON answers as told; it returns its
// base URL.
func breakingProxy(t *testing.T, sim *tenantsim.Server, request func(*http.Request),
	response func(*http.Request, map[string]any, int) (map[string]any, bool)) string {
	t.Helper()
	target, err := url.Parse(sim.Info().AuthorityURL)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: sim.TLSConfig()}
	t.Cleanup(tr.CloseIdleConnections)
	rp := &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host // the simulator's links then lead back through the proxy
			pr.Out.Header.Del("Accept-Encoding")
			if request != nil {
				request(pr.Out)
			}
		},
		ModifyResponse: func(res *http.Response) error {
			if response == nil || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				return nil
			}
			b, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				return err
			}
			var body map[string]any
			if json.Unmarshal(b, &body) == nil {
				if changed, ok := response(res.Request, body, res.StatusCode); ok {
					if b, err = json.Marshal(changed); err != nil {
						return err
					}
				}
			}
			res.Body = io.NopCloser(bytes.NewReader(b))
			res.ContentLength = int64(len(b))
			res.Header.Set("Content-Length", strconv.Itoa(len(b)))
			return nil
		},
	}
	srv := httptest.NewUnstartedServer(rp)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{sim.CA.ServerCert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}
