package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/licensereport"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// DemoOptions configures a dashboard on an in-process simulated tenant.
type DemoOptions struct {
	Listen  string // dashboard address; default 127.0.0.1:8080 ("127.0.0.1:0" picks a free port)
	DataDir string // "" means a new temporary folder, removed when the demo ends
	Sim     tenantsim.Options
	// App is the simulator's app registration the dashboard connects with: tenantsim.AppFull
	// (the default, the README's permissions), AppReadOnly or AppLicenseOnly, to see what the
	// dashboard offers with each.
	App    string
	Logger *slog.Logger
}

// Demo is tenantdesk running against a simulated tenant in the same process.
type Demo struct {
	Sim *tenantsim.Server
	App *App
	URL string // the dashboard, e.g. http://127.0.0.1:8080

	ln      net.Listener
	tempDir string
}

// StartDemo starts the simulated tenant, connects the real Graph client to it over TLS with the
// simulator's CA and a client secret of the chosen app registration — exactly as to a real
// tenant — imports the simulator's
// license names, takes the first snapshot and opens the dashboard's listener. Serve with Run.
func StartDemo(ctx context.Context, opts DemoOptions) (*Demo, error) {
	d := &Demo{}
	if err := d.start(ctx, opts); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *Demo) start(ctx context.Context, opts DemoOptions) (err error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	dataDir := opts.DataDir
	if dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "tenantdesk-demo-"); err != nil {
			return err
		}
		d.tempDir = dataDir
	}
	simOpts := opts.Sim
	if simOpts.Dir == "" {
		simOpts.Dir = filepath.Join(dataDir, "sim")
		if err := os.MkdirAll(simOpts.Dir, 0o700); err != nil {
			return err
		}
	}
	if simOpts.BrowserAddr == "" {
		// People sign in to the demo in their own browser: serve the simulator's sign-in page
		// over plain loopback http so they meet no warning about its private CA.
		simOpts.BrowserAddr = "127.0.0.1:0"
	}
	if simOpts.Logger == nil {
		simOpts.Logger = logger.With("component", "sim")
	}
	if d.Sim, err = tenantsim.Start(ctx, simOpts); err != nil {
		return fmt.Errorf("simulated tenant: %w", err)
	}
	info := d.Sim.Info()
	clientID, secret, err := info.App(opts.App)
	if err != nil {
		return err
	}

	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.TenantID = info.TenantID
	cfg.ClientID = clientID
	cfg.ClientSecret = secret
	cfg.GraphURL = info.GraphURL
	cfg.AuthorityURL = info.AuthorityURL
	cfg.CAFile = info.CAFile
	cfg.OIDCIssuer = info.OIDCIssuer
	cfg.OIDCClientID = info.DashboardClientID
	cfg.OIDCClientSecret = info.DashboardSecret
	cfg.LicenseCatalogURL = "" // the simulator's own catalog is imported below; no internet here
	cfg.IPRangeDownloads = false
	if opts.Listen != "" {
		cfg.Listen = opts.Listen
	}
	if err := cfg.Validate(config.ModeDemo); err != nil {
		return err
	}
	if d.App, err = New(ctx, cfg, logger); err != nil {
		return err
	}
	d.App.SSPRSamples = demoSamples{d.Sim.Tenant}
	catalog := filepath.Join(simOpts.Dir, "product-names.csv")
	if err := os.WriteFile(catalog, d.Sim.Tenant.ProductCatalogCSV(), 0o600); err != nil {
		return err
	}
	if err := d.App.Catalog.ImportFile(ctx, catalog); err != nil {
		return fmt.Errorf("import the simulator's license names: %w", err)
	}
	if _, err := d.App.Syncer.Run(ctx); err != nil {
		// Serve what there is: the previous snapshot of a kept data folder (-data), or pages
		// that say no data has been loaded yet and why; Refresh tries again.
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, serr := d.App.Store.CurrentSnapshot(ctx); serr == nil {
			logger.Warn("the startup snapshot of the simulated tenant failed; serving the previous one", "err", err)
		} else {
			logger.Warn("the startup snapshot of the simulated tenant failed; serving without data until a refresh succeeds", "err", err)
		}
	}
	if err := d.App.Store.AddSKUHistory(ctx, demoHistory(d.Sim.Tenant)); err != nil {
		return fmt.Errorf("the simulated tenant's license history: %w", err)
	}
	if d.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return fmt.Errorf("dashboard address: %w", err)
	}
	d.URL = "http://" + d.ln.Addr().String()
	return nil
}

// Run serves the dashboard until ctx ends, then stops the simulator and removes temporary data.
func (d *Demo) Run(ctx context.Context) error {
	err := d.App.Run(ctx, d.ln)
	d.ln = nil
	return errors.Join(err, d.close())
}

func (d *Demo) close() error {
	var errs []error
	if d.ln != nil {
		errs = append(errs, d.ln.Close())
	}
	if d.App != nil {
		errs = append(errs, d.App.Close())
	}
	if d.Sim != nil {
		errs = append(errs, d.Sim.Close(context.Background()))
	}
	if d.tempDir != "" {
		errs = append(errs, os.RemoveAll(d.tempDir))
	}
	return errors.Join(errs...)
}

// demoHistory is the simulated tenant's past use of its SKUs, for the report's charts: a real
// tenant's history grows with each snapshot tenantdesk takes, a demo should not start empty.
func demoHistory(t *tenantsim.Tenant) map[string][]model.SKUHistoryPoint {
	out := map[string][]model.SKUHistoryPoint{}
	for sku, points := range t.UsageHistory(licensereport.HistoryDays) {
		for _, p := range points {
			out[sku] = append(out[sku], model.SKUHistoryPoint{At: p.At, Consumed: p.Consumed, Prepaid: model.PrepaidUnits{
				Enabled: p.Prepaid.Enabled, Warning: p.Prepaid.Warning, Suspended: p.Prepaid.Suspended, LockedOut: p.Prepaid.LockedOut}})
		}
	}
	return out
}
