package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/testkit"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// simVars are the settings of a command that reaches the simulated tenant of info as a real
// one, keeping its data in dataDir, without downloads.
func simVars(info tenantsim.Info, dataDir string) map[string]string {
	return map[string]string{
		"TENANTDESK_DATA_DIR":            dataDir,
		"TENANTDESK_TENANT_ID":           info.TenantID,
		"TENANTDESK_CLIENT_ID":           info.ClientID,
		"TENANTDESK_CLIENT_SECRET":       info.ClientSecret,
		"TENANTDESK_GRAPH_URL":           info.GraphURL,
		"TENANTDESK_AUTHORITY_URL":       info.AuthorityURL,
		"TENANTDESK_CA_FILE":             info.CAFile,
		"TENANTDESK_LICENSE_CATALOG_URL": "off",
	}
}

// testEnv is an env whose variables come from vars only, never from the machine.
func testEnv(vars map[string]string, stdout, stderr io.Writer) env {
	return env{
		stdout:    stdout,
		stderr:    stderr,
		lookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		readFile:  os.ReadFile,
	}
}

func TestUnknownCommandAndBadFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"demo", "-no-such-flag"}, {"licenses"}, {"licenses", "import"}} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), testEnv(nil, &out, &errOut), args)
		if !errors.Is(err, errUsage) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
		if errOut.Len() == 0 {
			t.Errorf("%q: nothing printed to explain the mistake", args)
		}
	}
}

func TestServeNamesEveryMissingSetting(t *testing.T) {
	var errOut bytes.Buffer
	err := run(context.Background(), testEnv(map[string]string{"TENANTDESK_DATA_DIR": t.TempDir()}, io.Discard, &errOut), []string{"serve"})
	if err == nil {
		t.Fatal("serve without a tenant started")
	}
	for _, want := range []string{"TENANTDESK_TENANT_ID", "TENANTDESK_CLIENT_ID", "TENANTDESK_CLIENT_SECRET"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
}

func TestLicensesImportLoadsMicrosoftsCSV(t *testing.T) {
	csv := findSharedData(t, "licensing/product-names-and-service-plan-identifiers.csv")
	var out bytes.Buffer
	vars := map[string]string{"TENANTDESK_DATA_DIR": t.TempDir()}
	if err := run(context.Background(), testEnv(vars, &out, io.Discard), []string{"licenses", "import", csv}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "569 products") {
		t.Errorf("output %q, want the 569 products of the file", out.String())
	}
	// A broken file is refused and the catalog already there stays.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("not,a,catalog\n1,2,3\n"), 0o600)
	if err := run(context.Background(), testEnv(vars, io.Discard, io.Discard), []string{"licenses", "import", bad}); err == nil {
		t.Error("a file without the catalog's columns was accepted")
	}
}

// The simulator prints one JSON line that is enough to reach it; a dashboard configured from
// that line alone (as `serve` against a real tenant) takes a snapshot and becomes ready.
func TestSimLineIsEnoughToServeAgainstIt(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the simulator and the dashboard")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	simDone := make(chan error, 1)
	go func() {
		simDone <- run(ctx, testEnv(nil, pw, io.Discard), []string{"sim", "-addr", "127.0.0.1:0", "-dir", t.TempDir(), "-users", "300", "-groups", "30", "-licensed-groups", "10"})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("sim printed no line: %v", err)
	}
	go io.Copy(io.Discard, pr)
	var info tenantsim.Info
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("sim line is not JSON: %v\n%s", err, line)
	}
	var raw map[string]any
	json.Unmarshal([]byte(line), &raw)
	for _, k := range []string{"graph_url", "authority_url", "tenant_id", "client_id", "client_secret", "readonly_client_id", "readonly_client_secret", "ca_file", "oidc_issuer", "demo_accounts"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("sim line lacks %q", k)
		}
	}

	addr := freeAddr(t)
	vars := simVars(info, t.TempDir())
	for k, v := range map[string]string{"TENANTDESK_LISTEN": addr, "TENANTDESK_OIDC_ISSUER": info.OIDCIssuer,
		"TENANTDESK_OIDC_CLIENT_ID": info.DashboardClientID, "TENANTDESK_OIDC_CLIENT_SECRET": info.DashboardSecret,
		"TENANTDESK_SYNC_INTERVAL": "0"} {
		vars[k] = v
	}
	serveCtx, stopServe := context.WithCancel(ctx)
	serveDone := make(chan error, 1)
	go func() { serveDone <- run(serveCtx, testEnv(vars, io.Discard, io.Discard), []string{"serve"}) }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve against the simulator never became ready (last: %v)", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	stopServe()
	if err := <-serveDone; err != nil {
		t.Errorf("serve: %v", err)
	}
	cancel()
	if err := <-simDone; err != nil {
		t.Errorf("sim: %v", err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// findSharedData finds a file of ../shared/data by walking up from the package directory.
func findSharedData(t *testing.T, rel string) string {
	t.Helper()
	return testkit.SharedData(t, rel)
}
