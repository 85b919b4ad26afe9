package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/sspr"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
)

func TestSSPRUsageIsBadInput(t *testing.T) {
	for _, args := range [][]string{{"sspr"}, {"sspr", "verify"}, {"sspr", "check", "x"}, {"sspr", "verify", "a", "b"}, {"sspr", "verify", "-no-such-flag", "x"}} {
		var errOut bytes.Buffer
		err := run(context.Background(), testEnv(map[string]string{"TENANTDESK_DATA_DIR": t.TempDir()}, &bytes.Buffer{}, &errOut), args)
		var ee exitError
		if !errors.As(err, &ee) || ee.code != exitBadInput || errOut.Len() == 0 {
			t.Errorf("%q: err %v, stderr %q; want exit 4 with a usage message", args, err, errOut.String())
		}
	}
}

// The command line checks the simulator's mails with the same verifier as the page: the exit
// code is the verdict, -json prints the report, stdin works, and each check is logged.
func TestSSPRVerifyCommand(t *testing.T) {
	ctx := context.Background()
	sim := simtest.Start(t, tenantsim.Options{Config: tenantsim.Config{Seed: 40, Users: 300, Groups: 30, LicensedGroups: 10}})
	dataDir := t.TempDir()
	vars := simVars(sim.Info(), dataDir)
	vars["TENANTDESK_LOG_LEVEL"] = "error"
	cli := func(stdin []byte, args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		e := testEnv(vars, &out, &errOut)
		if stdin != nil {
			e.stdin = bytes.NewReader(stdin)
		}
		err := run(ctx, e, args)
		return out.String(), errOut.String(), err
	}
	if _, _, err := cli(nil, "refresh"); err != nil {
		t.Fatal(err)
	}
	ww := filepath.Join(findSharedData(t, "ipranges"), "m365_endpoints_worldwide.json")
	if _, _, err := cli(nil, "ip", "import", ww); err != nil {
		t.Fatal(err)
	}
	var flow tenantsim.SSPRFlow
	for _, f := range sim.Tenant.SSPRFlows() {
		if f.Outcome == "contacted-admin" {
			flow = f
			break
		}
	}
	file := func(variant string) string {
		b, err := sim.Tenant.RenderSSPREmail(flow.CorrelationID, variant)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), variant+".eml")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	code := func(err error) int {
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return 0
	}

	out, _, err := cli(nil, "sspr", "verify", file("genuine"))
	if code(err) != 0 || !strings.HasPrefix(out, "GENUINE REQUEST") || !strings.Contains(out, "<- explains this mail") ||
		!strings.Contains(out, "pass  Connecting IP") || !strings.Contains(out, "/users/"+flow.UserID) {
		t.Fatalf("genuine: exit %d\n%s", code(err), out)
	}
	for variant, want := range map[string]int{"no-audit": 1, "spoofed-lookalike": 2, "spoofed-injected-authres": 2} {
		if out, _, err := cli(nil, "sspr", "verify", file(variant), "-json"); code(err) != want {
			t.Errorf("%s: exit %d, want %d\n%s", variant, code(err), want, out)
		} else {
			var rep sspr.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Verdict.ExitCode() != want {
				t.Errorf("%s: JSON %v %q", variant, err, out[:min(len(out), 200)])
			}
		}
	}
	genuine, _ := os.ReadFile(file("genuine"))
	headers, _, _ := strings.Cut(string(genuine), "\r\n\r\n")
	if out, _, err := cli([]byte(headers), "sspr", "verify", "-"); code(err) != 3 || !strings.Contains(out, "Missing to decide") {
		t.Errorf("headers on stdin: exit %d\n%s", code(err), out)
	}
	if _, errOut, err := cli([]byte{0, 1, 2, 3}, "sspr", "verify", "-"); code(err) != exitBadInput || !strings.Contains(errOut, "not an email") {
		t.Errorf("junk: exit %d, %q", code(err), errOut)
	}
	if _, errOut, err := cli(nil, "sspr", "verify", filepath.Join(t.TempDir(), "missing.eml")); code(err) != exitBadInput || errOut == "" {
		t.Errorf("missing file: exit %d, %q", code(err), errOut)
	}

	st := storetest.OpenAt(t, filepath.Join(dataDir, "tenantdesk.db"))
	page, err := st.ListActivity(ctx, model.ActivityFilter{Action: model.ActionSSPRVerify})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 5 {
		t.Errorf("%d checks in the activity log, want 5", page.Total)
	}
	for _, a := range page.Entries {
		if !strings.HasPrefix(a.ActorName, "command line") || !strings.HasPrefix(a.Detail, "verdict: ") {
			t.Errorf("entry %+v", a)
		}
	}
}
