// Package server is tenantdesk's HTTP side: the chi router (every route is listed in
// routes.go), one handler method per action on Server, middleware, and the glue that turns
// store results into web view models. Handlers never call Graph: pages are SQL over the
// current snapshot, and refreshes run in the snapshot syncer.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// ReportStore is what the pages read. *store.Store implements it.
type ReportStore interface {
	GroupReport(ctx context.Context, q model.GroupReportQuery) (model.GroupReportPage, error)
	EachGroupReportRow(ctx context.Context, q model.GroupReportQuery, fn func(model.GroupReportRow) error) error
	GroupDetail(ctx context.Context, id string) (model.GroupDetail, error)
	Overview(ctx context.Context) (model.Overview, error)
	CurrentSnapshot(ctx context.Context) (model.SnapshotInfo, error)
	LatestSyncRun(ctx context.Context) (model.SyncRun, error)
	Ping(ctx context.Context) error
}

// Syncer runs refreshes of the snapshot. *snapshot.Syncer implements it.
type Syncer interface {
	// Start begins a sync in the background unless one is running; it reports whether it
	// started one.
	Start(ctx context.Context) bool
	Progress() model.SyncProgress
}

// Deps are the Server's dependencies.
type Deps struct {
	Store  ReportStore // required
	Syncer Syncer      // required
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Version is shown in the footer.
	Version string
	// Auth signs people in; nil leaves every page open (unit tests of single pages only).
	Auth Authenticator
	// RoleNames are the configured app-role names, for messages; missing ones use the defaults.
	RoleNames map[auth.Role]string
	// Activity records who did what; nil records nothing.
	Activity ActivityLog
	// Permissions lists the Graph application permissions the tenant granted (graph.Client's
	// GrantedPermissions); cached for ten minutes. nil means every permission counts as
	// granted (unit tests).
	Permissions func(ctx context.Context) ([]string, error)
	// TrustedProxies are reverse proxies whose X-Forwarded-For/-Proto are believed (client IP
	// for rate limits and the activity log; HSTS and Secure cookies behind a TLS proxy).
	TrustedProxies auth.Proxies
	// PublicURL is the dashboard's external URL; its origin is trusted for cross-origin checks.
	PublicURL string
	// SignInRate and WriteRate are requests per minute per client IP to the sign-in flow and
	// to POST routes; 0 means the defaults (30 and 120).
	SignInRate, WriteRate int
	// Background is the parent context of refreshes started from the web, so shutdown can
	// cancel them; a request's context would end with the redirect. nil means
	// context.Background().
	Background context.Context
	// IP answers the IP lookup pages (ip.go); nil shows them as unavailable.
	IP IPLookup
	// Licenses serves the group, user and reprocess pages (group.go, user.go, reprocess.go);
	// nil uses Store when it implements LicenseStore.
	Licenses LicenseStore
	// Directory is live Microsoft Graph for members, audit events and reprocess; nil shows
	// those parts as unavailable.
	Directory Directory
}

// Server serves the dashboard. Create it with New; it is safe for concurrent use.
type Server struct {
	store   ReportStore
	syncer  Syncer
	log     *slog.Logger
	now     func() time.Time
	version string
	bg      context.Context
	assets  *assets

	authn     Authenticator
	roleNames map[auth.Role]string
	activity  ActivityLog
	perms     permCache
	proxies   auth.Proxies
	publicURL string

	signInRate, writeRate int

	lic    licensingParts // group, user and reprocess pages
	ip     IPLookup
	ipJobs ipJobs
}

// New checks deps and prepares the server, hashing the embedded static files.
func New(deps Deps) (*Server, error) {
	if deps.Store == nil {
		return nil, errors.New("server: Deps.Store is required")
	}
	if deps.Syncer == nil {
		return nil, errors.New("server: Deps.Syncer is required")
	}
	s := &Server{
		store:   deps.Store,
		syncer:  deps.Syncer,
		log:     deps.Logger,
		now:     deps.Now,
		version: deps.Version,
		bg:      deps.Background,

		authn:      deps.Auth,
		roleNames:  deps.RoleNames,
		activity:   deps.Activity,
		perms:      permCache{fetch: deps.Permissions},
		proxies:    deps.TrustedProxies,
		publicURL:  deps.PublicURL,
		signInRate: deps.SignInRate,
		writeRate:  deps.WriteRate,

		ip:  deps.IP,
		lic: newLicensingParts(deps),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.version == "" {
		s.version = "dev"
	}
	if s.bg == nil {
		s.bg = context.Background()
	}
	a, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.assets = a
	return s, nil
}

// isNotFound reports whether err means the thing asked for does not exist.
func isNotFound(err error) bool { return errors.Is(err, model.ErrNotFound) }
