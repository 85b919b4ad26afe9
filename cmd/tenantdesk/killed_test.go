package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
)

// TestMain lets a test run the real command in a child process: the test binary re-executes
// itself with TENANTDESK_TEST_RUN_MAIN=1 and the command's arguments.
func TestMain(m *testing.M) {
	if os.Getenv("TENANTDESK_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A `tenantdesk refresh` killed (SIGKILL) in the middle of its sync leaves the previous
// snapshot current and readable after a restart, and the dead run is reported as failed.
func TestRefreshKilledMidwayKeepsThePreviousSnapshot(t *testing.T) {
	ctx := context.Background()
	sim := simtest.Start(t, tenantsim.Options{
		Config: tenantsim.Config{Seed: 9, Users: 3000, Groups: 80, LicensedGroups: 40},
		Logger: discardLogger(),
	})
	info := sim.Info()
	vars := simVars(info, t.TempDir())
	// A first, complete snapshot.
	if err := run(ctx, testEnv(vars, io.Discard, io.Discard), []string{"refresh"}); err != nil {
		t.Fatalf("first refresh: %v", err)
	}
	dbPath := vars["TENANTDESK_DATA_DIR"] + "/tenantdesk.db"
	first := currentSnapshot(t, dbPath)

	// A slow second full sync in a child process, killed once it is reading users (a full
	// sync pages through GET /users, with their sign-in activity).
	sim.SetKnobs(tenantsim.Knobs{Latency: 150 * time.Millisecond})
	killWhileReading(t, sim, vars, "GET /users", "refresh", "-mode", "full")

	// "Restart": open the database again.
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cur, err := st.CurrentSnapshot(ctx)
	if err != nil || cur.ID != first.ID {
		t.Fatalf("current snapshot after the kill = %+v (%v), want the first one %+v", cur, err, first)
	}
	last, err := st.LatestSyncRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last.Status != model.SyncFailed || last.Error == "" {
		t.Errorf("the killed run is %+v, want failed with a reason", last)
	}
	page, err := st.GroupReport(ctx, model.GroupReportQuery{})
	if err != nil || page.Total != 40 {
		t.Errorf("report after restart: %d groups, %v; want the 40 licensed groups", page.Total, err)
	}
}

// An incremental refresh killed midway leaves the snapshot it was patching as it was, and the
// next refresh, incremental again, clears what the dead one had staged.
func TestIncrementalRefreshKilledMidwayLeavesTheSnapshot(t *testing.T) {
	ctx := context.Background()
	sim := simtest.Start(t, tenantsim.Options{
		Config: tenantsim.Config{Seed: 9, Users: 3000, Groups: 80, LicensedGroups: 40},
		Logger: discardLogger(),
	})
	vars := simVars(sim.Info(), t.TempDir())
	if err := run(ctx, testEnv(vars, io.Discard, io.Discard), []string{"refresh"}); err != nil {
		t.Fatalf("first refresh: %v", err)
	}
	dbPath := vars["TENANTDESK_DATA_DIR"] + "/tenantdesk.db"
	digest := func() map[string]string {
		st, err := store.Open(ctx, dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		d, err := st.SnapshotDigest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	before := digest()
	if _, err := sim.Tenant.ApplyChanges(0.05, 1); err != nil {
		t.Fatal(err)
	}
	sim.SetKnobs(tenantsim.Knobs{Latency: 150 * time.Millisecond})
	// It reads users in the $batch that starts every incremental refresh.
	killWhileReading(t, sim, vars, "POST /$batch", "refresh", "-mode", "incremental")
	if after := digest(); !maps.Equal(after, before) {
		t.Fatalf("the killed refresh changed the snapshot: %v, was %v", after, before)
	}
	sim.SetKnobs(tenantsim.Knobs{})
	var out bytes.Buffer
	if err := run(ctx, testEnv(vars, &out, io.Discard), []string{"refresh"}); err != nil || !strings.Contains(out.String(), "incrementally") {
		t.Fatalf("the refresh after the kill: %v, %q", err, out.String())
	}
	if maps.Equal(digest(), before) {
		t.Error("the refresh after the kill changed nothing")
	}
}

// killWhileReading runs the command in a child process and kills it (SIGKILL) once it has
// sent the simulator a request of usersRoute.
func killWhileReading(t *testing.T, sim *tenantsim.Server, vars map[string]string, usersRoute string, args ...string) {
	t.Helper()
	before := sim.Stats().Routes[usersRoute].Requests
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TENANTDESK_TEST_RUN_MAIN=1")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for sim.Stats().Routes[usersRoute].Requests == before {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child refresh never started reading users")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
}

func currentSnapshot(t *testing.T, path string) model.SnapshotInfo {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	info, err := st.CurrentSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
