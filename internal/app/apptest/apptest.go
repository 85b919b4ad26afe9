// Package apptest starts the whole product on a simulated tenant for tests (what `tenantdesk
// demo` runs), on a free port, for the length of one test. It is skipped under `go test -short`.
// Only tests import it.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// StartDemo runs the demo on sim, connected with the full app registration, until t ends and
// fails t if it ends with an error.
func StartDemo(t testing.TB, sim tenantsim.Options) *app.Demo {
	t.Helper()
	return StartDemoAs(t, sim, tenantsim.AppFull)
}

// StartDemoAs is StartDemo with the dashboard connected as the named app registration
// (tenantsim.AppFull, AppReadOnly or AppLicenseOnly).
func StartDemoAs(t testing.TB, sim tenantsim.Options, appName string) *app.Demo {
	t.Helper()
	testkit.Slow(t, "starts the demo")
	ctx, cancel := context.WithCancel(context.Background())
	d, err := app.StartDemo(ctx, app.DemoOptions{
		Listen:  "127.0.0.1:0",
		DataDir: t.TempDir(),
		Sim:     sim,
		App:     appName,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		cancel()
		t.Fatalf("start demo: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo run: %v", err)
		}
	})
	return d
}
