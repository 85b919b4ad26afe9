package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// runDemo starts the demo on dir with sim and serves it until the test (or stop) ends.
func runDemo(t *testing.T, dir string, sim tenantsim.Options) (*app.Demo, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d, err := app.StartDemo(ctx, app.DemoOptions{Listen: "127.0.0.1:0", DataDir: dir, Sim: sim,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cancel()
		t.Fatalf("start demo: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo run: %v", err)
		}
	}
	t.Cleanup(stop)
	return d, stop
}

// When the startup snapshot fails (Graph failing on every request), the demo serves the
// snapshot its data folder kept from before, and says the refresh failed, instead of exiting.
func TestDemoServesThePreviousSnapshotWhenTheStartupSyncFails(t *testing.T) {
	testkit.Slow(t, "starts the demo twice")
	dir := t.TempDir()
	cfg := tenantsim.Config{Seed: 4, Users: 150, Groups: 20, LicensedGroups: 8}
	first, stop := runDemo(t, dir, tenantsim.Options{Config: cfg})
	snap, err := first.App.Store.CurrentSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stop()

	start := time.Now()
	second, _ := runDemo(t, dir, tenantsim.Options{Config: cfg, FaultRate: 1})
	t.Logf("the second demo started in %v with Graph failing", time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	if cur, err := second.App.Store.CurrentSnapshot(ctx); err != nil || cur.ID != snap.ID {
		t.Fatalf("current snapshot %+v (%v), want the previous one %+v", cur, err, snap)
	}
	if run, err := second.App.Store.LatestSyncRun(ctx); err != nil || run.Status != model.SyncFailed {
		t.Errorf("latest sync run %+v (%v), want the failed startup one", run, err)
	}
	res, err := http.Get(second.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "ready") {
		t.Errorf("/readyz: %d %s", res.StatusCode, body)
	}
}
