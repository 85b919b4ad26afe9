package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/health"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
)

func TestHealthUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"health", "stray"}, {"health", "-max", "nosuch=1"}, {"health", "-max", "disabled"},
		{"health", "-max", "disabled=-1"}, {"health", "-days", "x"}} {
		var errOut bytes.Buffer
		err := run(context.Background(), testEnv(map[string]string{"TENANTDESK_DATA_DIR": t.TempDir()}, io.Discard, &errOut), args)
		if !errors.Is(err, errUsage) || errOut.Len() == 0 {
			t.Errorf("%q: %v, stderr %q", args, err, errOut.String())
		}
	}
}

// `tenantdesk health` on a synced tenant: the summary, the JSON report, and exit code 3 when a
// finding passes its -max threshold (0 when none does).
func TestHealthCommand(t *testing.T) {
	ctx := context.Background()
	sim := simtest.Start(t, tenantsim.Options{Config: tenantsim.Config{Seed: 5, Users: 300, Groups: 30, LicensedGroups: 10}})
	vars := simVars(sim.Info(), t.TempDir())
	vars["TENANTDESK_LOG_LEVEL"] = "error"
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, testEnv(vars, &out, io.Discard), args)
		return out.String(), err
	}
	if _, err := cli("health"); err == nil || !strings.Contains(err.Error(), "tenantdesk refresh") {
		t.Errorf("before a snapshot: %v", err)
	}
	if _, err := cli("refresh"); err != nil {
		t.Fatal(err)
	}
	out, err := cli("health", "-max", "stuck-processing=0")
	if err != nil || !strings.Contains(out, "Licenses held by disabled accounts") || !strings.Contains(out, "waste is counted in units") {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	out, err = cli("health", "-json", "-days", "30", "-max", "disabled=0,subscriptions=1000")
	var ee exitError
	if !errors.As(err, &ee) || ee.code != healthExceeded {
		t.Fatalf("past a threshold: %v", err)
	}
	var rep struct {
		InactiveDays     int      `json:"inactiveDays"`
		ThresholdsPassed []string `json:"thresholdsPassed"`
		Findings         []struct {
			Kind  string            `json:"kind"`
			Count int               `json:"count"`
			Items []json.RawMessage `json:"items"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if rep.InactiveDays != 30 || len(rep.Findings) != len(health.Kinds()) || len(rep.ThresholdsPassed) != 1 ||
		!strings.HasPrefix(rep.ThresholdsPassed[0], "disabled: ") {
		t.Fatalf("report: %+v", rep)
	}
	for _, f := range rep.Findings {
		if f.Kind == health.KindDisabled && (f.Count == 0 || len(f.Items) != f.Count) {
			t.Errorf("disabled: %d, %d items", f.Count, len(f.Items))
		}
	}
}
