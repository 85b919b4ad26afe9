package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// runDemo serves the dashboard on a simulated tenant started in the same process.
func runDemo(ctx context.Context, e env, args []string) error {
	var opts app.DemoOptions
	fs := newFlagSet(e, "demo", "")
	fs.StringVar(&opts.Listen, "listen", "127.0.0.1:8080", "dashboard address")
	fs.StringVar(&opts.DataDir, "data", "", "keep the demo's database in this folder (default: a temporary one)")
	fs.StringVar(&opts.App, "app", tenantsim.AppFull, "the simulator's app registration the dashboard connects with: "+strings.Join(tenantsim.AppNames(), ", "))
	simFlags(fs, &opts.Sim)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	opts.Logger = logger
	logger.Info("starting the simulated tenant and taking the first snapshot")
	d, err := app.StartDemo(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "tenantdesk demo: open %s (simulated tenant %s; Ctrl-C stops)\n", d.URL, d.Sim.Tenant.DisplayName)
	fmt.Fprintf(e.stdout, "sign in with one of the demo accounts (no password; %s/login?login_hint=<account> skips the picker):\n", d.URL)
	for _, acc := range d.Sim.Info().DemoAccounts {
		fmt.Fprintf(e.stdout, "  %s\n", acc)
	}
	return d.Run(ctx)
}
