// Package app assembles tenantdesk from its parts — store, Graph client, snapshot syncer,
// licensing operations, live reads, license-name catalog, IP ranges and web server — and runs it
// until its context ends. cmd/tenantdesk and
// the end-to-end tests start the product through it, so both run exactly the same wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/graph"
	"github.com/tenantdesk/tenantdesk/internal/health"
	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/jobs"
	"github.com/tenantdesk/tenantdesk/internal/licensereport"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/live"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
	"github.com/tenantdesk/tenantdesk/internal/server"
	"github.com/tenantdesk/tenantdesk/internal/snapshot"
	"github.com/tenantdesk/tenantdesk/internal/sspr"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/templates"
	"github.com/tenantdesk/tenantdesk/internal/tick"
)

// Version is set at build time with -ldflags "-X .../internal/app.Version=...".
var Version = "dev"

// App is a running tenantdesk: everything the web server, the command line and the background
// jobs need.
type App struct {
	Config  config.Config
	Logger  *slog.Logger
	Store   *store.Store
	Graph   *graph.Client
	Syncer  *snapshot.Syncer
	Catalog *licensing.CatalogUpdater
	IP      *iprange.Service // IP lookup over the stored Microsoft 365 endpoints and Azure service tags
	// Permissions knows what the app registration may do in Graph (from its token).
	Permissions *permissions.Checker
	// Assign runs the licensing operations that write (reprocess, refresh errors).
	Assign *assign.Service
	// Jobs runs long writes in the background and takes up those a stopped process left.
	Jobs *jobs.Manager
	// Templates manages groups' license templates: editor, preview, apply, copy, bulk, split.
	Templates *templates.Service
	// Live reads what the snapshot does not hold (members, audit events) while pages render.
	Live *live.Reader
	// Licenses is the license assignment report and its exports.
	Licenses *licensereport.Report
	// Health is license health: waste, renewals, hygiene, and SKU prices.
	Health *health.Service
	// SSPR checks password-reset request mails against the trusted headers and the audit log.
	SSPR *sspr.Verifier
	// SSPRSamples offers sample mails on the verifier's page: the demo's simulated tenant sets
	// it; nil otherwise.
	SSPRSamples server.SSPRSamples
	// Alerts evaluates the alert rules after every refresh and delivers the notifications.
	Alerts *alerts.Engine
	// AlertConfig changes the alerts' channels and rules and sends tests (/alerts), each change
	// in the activity log.
	AlertConfig *alerts.Configurator
	Server      *server.Server
}

// New opens the database and connects the Graph client; it makes no network call yet.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger) (*App, error) {
	if logger == nil {
		logger = slog.Default()
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	gc, err := NewGraphClient(cfg, logger)
	if err != nil {
		st.Close()
		return nil, err
	}
	ipSvc, err := NewIPService(ctx, st, logger.With("component", "ipranges"))
	if err != nil {
		st.Close()
		return nil, err
	}
	var src interface {
		snapshot.Source
		snapshot.DeltaSource   // else every refresh would read the whole tenant
		snapshot.ChangesSource // else each would cost several round trips
	} = gc
	syncer := snapshot.New(src, st, logger.With("component", "sync"))
	syncer.Requests = func() int64 { return gc.Stats().Requests }
	syncer.FullEvery = cfg.FullSyncInterval
	perms, err := permissions.NewChecker(gc.GrantedPermissions, nil, logger.With("component", "permissions"))
	if err != nil {
		st.Close()
		return nil, err
	}
	ops, err := assign.New(gc, st, perms, nil, logger.With("component", "assign"))
	if err != nil {
		st.Close()
		return nil, err
	}
	tpl, err := templates.New(gc, st, ops, st, perms, nil, logger.With("component", "templates"))
	if err != nil {
		st.Close()
		return nil, err
	}
	hs, err := health.New(st, st, nil)
	if err != nil {
		st.Close()
		return nil, err
	}
	hs.Graph, hs.Rereader = gc, ops
	jm, err := jobs.New(st, st, logger.With("component", "jobs"), slices.Concat(ops.JobKinds(), tpl.JobKinds(), hs.JobKinds())...)
	if err != nil {
		st.Close()
		return nil, err
	}
	lv, err := live.New(gc, nil)
	if err != nil {
		st.Close()
		return nil, err
	}
	lv.SetLimits(cfg.GraphLiveTimeout, cfg.GraphLiveRetry)
	ops.Live = lv.Guard()
	report, err := licensereport.New(st, nil)
	if err != nil {
		st.Close()
		return nil, err
	}
	report.Log = logger.With("component", "licensereport")
	verifier, err := NewSSPRVerifier(cfg, st, gc, ipSvc, lv.Guard(), logger.With("component", "sspr"))
	if err != nil {
		st.Close()
		return nil, err
	}
	al, err := NewAlerts(ctx, cfg, st, hs, logger)
	if err != nil {
		st.Close()
		return nil, err
	}
	alertConfig, err := alerts.NewConfigurator(st, st, al)
	if err != nil {
		st.Close()
		return nil, err
	}
	alertConfig.Configured = ConfiguredChannels()
	syncer.AfterRun = al.AfterSync
	a := &App{
		Alerts:      al,
		AlertConfig: alertConfig,
		Config:      cfg,
		Logger:      logger,
		Store:       st,
		Graph:       gc,
		Syncer:      syncer,
		IP:          ipSvc,
		Permissions: perms,
		Assign:      ops,
		Jobs:        jm,
		Templates:   tpl,
		Live:        lv,
		Licenses:    report,
		Health:      hs,
		SSPR:        verifier,
		Catalog: &licensing.CatalogUpdater{
			URL:    cfg.LicenseCatalogURL,
			Store:  st,
			Logger: logger.With("component", "license-catalog"),
		},
	}
	return a, nil
}

// OpenStore opens the configured database, creating the data directory (mode 0700: it holds
// tenant data and generated keys) when the database lives there.
func OpenStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	if cfg.DatabasePath == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
		}
	}
	return store.Open(ctx, cfg.DBPath())
}

// NewGraphClient builds the Graph client from the configuration.
func NewGraphClient(cfg config.Config, logger *slog.Logger) (*graph.Client, error) {
	gcfg := graph.Config{
		Cloud:               cfg.Cloud,
		TenantID:            cfg.TenantID,
		ClientID:            cfg.ClientID,
		ClientSecret:        cfg.ClientSecret,
		CertificatePassword: cfg.CertificatePassword,
		GraphURL:            cfg.GraphURL,
		AuthorityURL:        cfg.AuthorityURL,
		CAFile:              cfg.CAFile,
		Logger:              logger.With("component", "graph"),
	}
	if cfg.CertificateFile != "" {
		pem, err := os.ReadFile(cfg.CertificateFile)
		if err != nil {
			return nil, fmt.Errorf("certificate: %w", err)
		}
		gcfg.CertificatePEM = pem
	}
	gc, err := graph.New(gcfg)
	if err != nil {
		return nil, fmt.Errorf("graph client: %w", err)
	}
	return gc, nil
}

// Close stops the license report's background reads and releases the database.
func (a *App) Close() error {
	a.Licenses.Close()
	return a.Store.Close()
}

// Run serves the dashboard on ln until ctx ends, with the background jobs: the first snapshot
// when there is none, the periodic sync and the weekly license-name catalog refresh. It shuts
// down gracefully, letting requests in flight finish.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	// The server's configuration decides the configured channels, switching off one whose
	// setting is gone; a command run beside it (refresh, alerts) only adds or updates them.
	// (A quick write: not cut short by a shutdown that is already on its way.)
	if err := ConfigureAlertChannel(context.WithoutCancel(ctx), a.Config, a.Store, true); err != nil {
		return err
	}
	authn, err := NewAuthenticator(a.Config, ln, a.Store, a.Logger.With("component", "auth"))
	if err != nil {
		return err
	}
	srv, err := server.New(server.Deps{
		Store:          a.Store,
		Activity:       a.Store,
		Syncer:         a.Syncer,
		Auth:           authn,
		Operations:     a.Assign,
		Jobs:           a.Jobs,
		Templates:      a.Templates,
		Live:           a.Live,
		IP:             a.IP,
		Licenses:       a.Licenses,
		Health:         a.Health,
		SSPR:           a.SSPR,
		SSPRSamples:    a.SSPRSamples,
		AlertData:      a.Store,
		AlertConfig:    a.AlertConfig,
		IPDownloads:    IPDownloadsEnabled(a.Config),
		RoleNames:      roleNames(a.Config),
		TrustedProxies: a.Config.TrustedProxies,
		PublicURL:      a.Config.PublicURL,
		SignInRate:     a.Config.RateSignIn,
		WriteRate:      a.Config.RateWrites,
		RefusedRate:    a.Config.RateRefused,
		RefusalPolicy:  model.RefusalPolicy{Window: a.Config.ActivityCollapseWindow, AnonymousRows: a.Config.ActivityAnonymousRows},
		RoleCheck:      a.Config.SessionRoleCheck,
		Logger:         a.Logger.With("component", "web"),
		Version:        Version,
		Background:     ctx,
	})
	if err != nil {
		return err
	}
	a.Server = srv
	if err := a.Catalog.SeedBuiltin(ctx); err != nil {
		a.Logger.Warn("license names: the built-in table could not be stored; part numbers are shown until a catalog is imported", "err", err)
	}
	httpServer := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
	}
	go a.background(ctx)
	jobsCtx, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	jobsDone := make(chan struct{})
	go func() { a.Jobs.Run(jobsCtx); close(jobsDone) }()
	select { // unfinished jobs are taken up before the first page (see jobs.Manager.Claimed)
	case <-a.Jobs.Claimed():
	case <-jobsDone:
	case <-ctx.Done():
	}

	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	select {
	case err := <-errc:
		stopJobs()
		<-jobsDone
		return err
	case <-ctx.Done():
	}
	a.Logger.Info("shutting down")
	a.Syncer.Cancel()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	shutdownErr := httpServer.Shutdown(shutdownCtx)
	a.Syncer.Wait()
	a.Alerts.Wait() // an evaluation or delivery after the last sync, recorded before the store closes
	<-jobsDone      // running jobs stop between batches and are released for the next start
	if shutdownErr != nil {
		return fmt.Errorf("shutdown: %w", shutdownErr)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// AlertsDeliverEvery is how often the outbox is looked at for deliveries due again.
const AlertsDeliverEvery = 30 * time.Second

// background runs the jobs that keep the data current.
func (a *App) background(ctx context.Context) {
	go a.runIPRanges(ctx)
	if a.IP != nil {
		go a.IP.Watch(ctx, IPWatchInterval) // `tenantdesk ip import` by another process
	}
	go a.housekeeping(ctx)
	go a.Alerts.Run(ctx, AlertsDeliverEvery) // retries between refreshes
	if a.Config.LicenseCatalogURL != "" {
		// Run refreshes a missing or stale catalog at once, then weekly; failures are logged
		// there and the stored catalog (or part numbers) stays in use.
		go a.Catalog.Run(ctx)
	}
	if _, err := a.Store.CurrentSnapshot(ctx); errors.Is(err, model.ErrNotFound) {
		a.Syncer.Start(ctx)
	}
	if a.Config.SyncInterval <= 0 {
		return
	}
	tick.Every(ctx, a.Config.SyncInterval, func() { a.Syncer.Start(ctx) })
}
