package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
)

func TestReprocessUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"reprocess"},
		{"reprocess", "-group", "g", "-user", "u"},
		{"reprocess", "stray"},
		{"reprocess", "-user", "a/b"},
		{"reprocess", "-user", "x?y"},
	} {
		var errOut bytes.Buffer
		err := run(context.Background(), testEnv(map[string]string{"TENANTDESK_DATA_DIR": t.TempDir()}, io.Discard, &errOut), args)
		if !errors.Is(err, errUsage) || errOut.Len() == 0 {
			t.Errorf("%q: err %v, stderr %q; want a usage error that says why", args, err, errOut.String())
		}
	}
}

// The command line reprocesses with the same operation as the group page: every member in
// error gets one line while they stay in error, the exit code says whether all are licensed,
// and the run is in the activity log.
func TestReprocessCommandAgainstTheSimulator(t *testing.T) {
	ctx := context.Background()
	sim := simtest.Start(t, tenantsim.Options{Config: tenantsim.Config{Seed: 7, Users: 300, Groups: 30, LicensedGroups: 10}})
	info := sim.Info()
	dataDir := t.TempDir()
	vars := simVars(info, dataDir)
	vars["TENANTDESK_LOG_LEVEL"] = "error"
	cli := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, testEnv(vars, &out, &errOut), args)
		return out.String(), errOut.String(), err
	}
	sc := sim.Tenant.Scenarios
	if _, _, err := cli("reprocess", "-group", sc.A1Group); err == nil || !strings.Contains(err.Error(), "tenantdesk refresh") {
		t.Errorf("before the first snapshot: %v, want a pointer to refresh", err)
	}
	if _, _, err := cli("refresh"); err != nil {
		t.Fatal(err)
	}

	// Faculty has no units left: every member stays in error, one line each, exit code 1.
	out, _, err := cli("reprocess", "-group", sc.A1Group)
	if !errors.Is(err, errNotAllLicensed) {
		t.Fatalf("reprocess with no units left: %v, want errNotAllLicensed\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	summary := lines[len(lines)-1]
	if !strings.Contains(summary, "(job ") {
		t.Errorf("summary %q does not name the job", summary)
	}
	if !strings.Contains(summary, "0 now licensed") || !strings.Contains(summary, "0 refused by Graph") {
		t.Errorf("summary %q", summary)
	}
	failed := lines[:len(lines)-1]
	if len(failed) == 0 {
		t.Fatalf("no line per user in error:\n%s", out)
	}
	for _, l := range failed {
		if !strings.Contains(l, "still in error: Not enough licenses") || !strings.Contains(l, "Fix:") {
			t.Errorf("line %q does not say why the user is still in error", l)
		}
	}

	// Units bought: the same command licenses every member and succeeds.
	if err := sim.Tenant.SetPrepaidUnits(sc.FacultySKU, 100_000); err != nil {
		t.Fatal(err)
	}
	out, _, err = cli("reprocess", "-group", sc.A1Group)
	if err != nil {
		t.Fatalf("reprocess after buying units: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(out); !strings.HasPrefix(got, strings.Split(summary, " ")[0]+" users: "+strings.Split(summary, " ")[0]+" now licensed, 0 still in error") || strings.Contains(got, "\n") {
		t.Errorf("output %q: want only the summary, every user licensed", got)
	}

	// Users by id, any group; an unknown id is refused by Graph and fails the run.
	st := storetest.OpenAt(t, filepath.Join(dataDir, "tenantdesk.db"))
	licensed, err := st.SearchUsers(ctx, "@", 0, 2)
	if err != nil || len(licensed.Users) < 2 {
		t.Fatalf("users: %v %v", licensed, err)
	}
	u1, u2 := licensed.Users[0].ID, licensed.Users[1].ID
	if out, _, err := cli("reprocess", "-user", u1, "-user", strings.ToUpper(u1)+","+u2); err != nil || !strings.HasPrefix(out, "2 users:") {
		t.Errorf("two users (one repeated): %v\n%s", err, out)
	}
	out, _, err = cli("reprocess", "-user", "00000000-0000-4000-8000-00000000dead")
	if !errors.Is(err, errNotAllLicensed) || !strings.Contains(out, "refused by Graph") {
		t.Errorf("unknown user: %v\n%s", err, out)
	}

	page, err := st.ListActivity(ctx, model.ActivityFilter{Action: model.ActionReprocess})
	if err != nil {
		t.Fatal(err)
	}
	// Each of the four runs is a job: an entry when it started and one when it ended.
	if page.Total != 8 {
		t.Errorf("%d reprocess entries in the activity log, want 8: %+v", page.Total, page.Entries)
	}
	for _, a := range page.Entries {
		if !strings.HasPrefix(a.ActorName, "command line") {
			t.Errorf("entry %+v does not say it came from the command line", a)
		}
	}
}
