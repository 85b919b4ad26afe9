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
	printDemoTools(e, d)
	return d.Run(ctx)
}

// printDemoTools tells where the simulated tenant is controlled (README: "The simulated
// tenant"), with one example to copy, and where the demo keeps its data.
func printDemoTools(e env, d *app.Demo) {
	info, sc := d.Sim.Info(), d.Sim.Tenant.Scenarios
	fmt.Fprintf(e.stdout, "simulated tenant's control API: %s (loopback only; its TLS certificate is signed by the CA in %s)\n",
		info.ControlURL, info.CAFile)
	fmt.Fprintf(e.stdout, "  the seeded scenarios' groups and users: curl --cacert %s %s/scenarios\n", info.CAFile, info.ControlURL)
	if sc.FacultySKU != "" {
		fmt.Fprintf(e.stdout, "  buy licenses (Office 365 A1 for faculty, so its group's members in error can be reprocessed):\n"+
			"  curl --cacert %s -X POST -d '{\"enabled\":%d}' %s/skus/%s/prepaid\n",
			info.CAFile, d.Sim.Tenant.ConsumedUnits(sc.FacultySKU)+100, info.ControlURL, sc.FacultySKU)
	}
	fmt.Fprintf(e.stdout, "demo data: %s (tenantdesk ip import -data-dir %s FILE|DIR loads IP ranges into the running demo)\n",
		d.App.Config.DBPath(), d.App.Config.DataDir)
}
