// Package server is tenantdesk's HTTP side and nothing more: the chi router (every route is in
// routes.go), one handler method per action on Server, middleware, and the mapping of domain
// results to web view models. Handlers parse the request, call a domain package (the store for
// pages, assign for writes, live for what Graph says now), and return an error that ONE function
// (errors.go) turns into a page. They never call Graph, retry, batch or patch a snapshot.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/live"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Store is what the pages read from the current snapshot. *store.Store implements it.
type Store interface {
	licensing.ExplainerSource
	GroupReport(ctx context.Context, q model.GroupReportQuery) (model.GroupReportPage, error)
	EachGroupReportRow(ctx context.Context, q model.GroupReportQuery, fn func(model.GroupReportRow) error) error
	GroupDetail(ctx context.Context, id string) (model.GroupDetail, error)
	UsersInErrorForGroup(ctx context.Context, groupID string) ([]model.User, error)
	UsersDisabledForGroup(ctx context.Context, groupID string) ([]model.User, error)
	User(ctx context.Context, id string) (model.User, error)
	SearchUsers(ctx context.Context, q string, offset, limit int) (model.UserSearchResult, error)
	Overview(ctx context.Context) (model.Overview, error)
	CurrentSnapshot(ctx context.Context) (model.SnapshotInfo, error)
	LatestSyncRun(ctx context.Context) (model.SyncRun, error)
	Ping(ctx context.Context) error
}

// ActivityLog records and lists what people do in the dashboard. *store.Store implements it.
type ActivityLog interface {
	AddActivity(ctx context.Context, a model.Activity) error
	ListActivity(ctx context.Context, f model.ActivityFilter) (model.ActivityPage, error)
	EachActivity(ctx context.Context, f model.ActivityFilter, fn func(model.Activity) error) error
}

// Syncer runs refreshes of the snapshot. *snapshot.Syncer implements it.
type Syncer interface {
	// Start begins a sync in the background unless one is running; it reports whether it
	// started one.
	Start(ctx context.Context) bool
	Progress() model.SyncProgress
}

// Operations are the licensing operations behind the group page's forms. *assign.Service
// implements it.
type Operations interface {
	ReprocessBlocked(ctx context.Context) string
	ReprocessGroup(ctx context.Context, groupID string, sel assign.Selection, progress assign.Progress) (assign.Result, error)
	RefreshGroupErrors(ctx context.Context, groupID string) (assign.Result, error)
}

// Live reads what Graph says now and the snapshot does not hold. *live.Reader implements it.
type Live interface {
	Group(ctx context.Context, groupID string, inError []model.User) live.Group
	User(ctx context.Context, userID string) live.User
}

// Deps are the Server's dependencies. Every interface is required: a server that could not
// sign people in, record what they do or reach the tenant's data refuses to be built rather than
// serving open or half-working pages.
type Deps struct {
	Store      Store
	Activity   ActivityLog
	Syncer     Syncer
	Auth       Authenticator
	Operations Operations
	Live       Live
	IP         IPLookup
	Licenses   LicenseReport
	SSPR       SSPRVerifier
	// SSPRSamples offers the simulated tenant's sample mails on the verifier's page (the demo);
	// nil elsewhere.
	SSPRSamples SSPRSamples

	Logger *slog.Logger // nil discards
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Version is shown in the footer.
	Version string
	// RoleNames are the configured app-role names, for messages; missing ones use the defaults.
	RoleNames map[auth.Role]string
	// TrustedProxies are reverse proxies whose X-Forwarded-For/-Proto are believed (client IP
	// for rate limits and the activity log; HSTS and Secure cookies behind a TLS proxy).
	TrustedProxies auth.Proxies
	// PublicURL is the dashboard's external URL; its origin is trusted for cross-origin checks.
	PublicURL string
	// SignInRate and WriteRate are requests per minute per client IP to the sign-in flow and
	// to POST routes; 0 means the defaults (30 and 120).
	SignInRate, WriteRate int
	// Background is the parent context of work started from the web that outlives its request
	// (refreshes, downloads), so shutdown can cancel it. nil means context.Background().
	Background context.Context
}

// Server serves the dashboard. Create it with New; it is safe for concurrent use.
type Server struct {
	compress func(http.Handler) http.Handler // gzip for clients that accept it
	store    Store
	activity ActivityLog
	syncer   Syncer
	authn    Authenticator
	ops      Operations
	live     Live
	ip       IPLookup
	licenses LicenseReport
	sspr     SSPRVerifier
	samples  SSPRSamples

	log     *slog.Logger
	now     func() time.Time
	version string
	bg      context.Context
	assets  *assets

	roleNames map[auth.Role]string
	proxies   auth.Proxies
	publicURL string

	signInRate, writeRate int

	results assign.Results // of reprocesses, for the page after the redirect
}

// New checks deps and prepares the server, hashing the embedded static files.
func New(deps Deps) (*Server, error) {
	var missing []string
	for _, d := range []struct {
		name string
		ok   bool
	}{
		{"Store", deps.Store != nil}, {"Activity", deps.Activity != nil}, {"Syncer", deps.Syncer != nil},
		{"Auth", deps.Auth != nil}, {"Operations", deps.Operations != nil}, {"Live", deps.Live != nil},
		{"IP", deps.IP != nil}, {"Licenses", deps.Licenses != nil}, {"SSPR", deps.SSPR != nil},
	} {
		if !d.ok {
			missing = append(missing, d.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("server: Deps %v are required", missing)
	}
	s := &Server{
		store: deps.Store, activity: deps.Activity, syncer: deps.Syncer, authn: deps.Auth,
		ops: deps.Operations, live: deps.Live, ip: deps.IP, licenses: deps.Licenses, sspr: deps.SSPR, samples: deps.SSPRSamples,

		log: deps.Logger, now: deps.Now, version: deps.Version, bg: deps.Background,

		roleNames: deps.RoleNames, proxies: deps.TrustedProxies, publicURL: deps.PublicURL,
		signInRate: deps.SignInRate, writeRate: deps.WriteRate,
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
	if s.compress, err = newCompressor(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return s, nil
}

// isNotFound reports whether err means the thing asked for does not exist.
func isNotFound(err error) bool { return errors.Is(err, model.ErrNotFound) }
