// Package server is tenantdesk's HTTP side and nothing more: the chi router (every route is in
// routes.go), one handler method per action on Server, middleware, and the mapping of domain
// results to web view models. Handlers parse the request, call a domain package (the store for
// pages, assign for writes, live for what Graph says now), and return an error that ONE function
// (errors.go) turns into a page. They never call Graph, retry, batch or patch a snapshot.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/httprate"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/jobs"
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
	// DataVersion changes whenever the current snapshot's data does (a new snapshot, a patch).
	DataVersion(ctx context.Context) (string, error)
	UsersInErrorForGroup(ctx context.Context, groupID string) ([]model.User, error)
	UsersDisabledForGroup(ctx context.Context, groupID string) ([]model.User, error)
	UsersInError(ctx context.Context) ([]model.User, error)
	DisabledAccountHolders(ctx context.Context, skuIDs []string) (map[string]int, error)
	User(ctx context.Context, id string) (model.User, error)
	SearchUsers(ctx context.Context, q string, offset, limit int) (model.UserSearchResult, error)
	SearchLicensedUsers(ctx context.Context, q string, offset, limit int) (model.UserSearchResult, error)
	Overview(ctx context.Context) (model.Overview, error)
	CurrentSnapshot(ctx context.Context) (model.SnapshotInfo, error)
	LatestSyncRun(ctx context.Context) (model.SyncRun, error)
	Ping(ctx context.Context) error
}

// ActivityLog records and lists what people do in the dashboard. *store.Store implements it.
type ActivityLog interface {
	AddActivity(ctx context.Context, a model.Activity) error
	// AddRefusal records a refused request within p (see model.RefusalPolicy).
	AddRefusal(ctx context.Context, a model.Activity, p model.RefusalPolicy) error
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

// Operations are the licensing operations behind the group page's forms, prepared as jobs.
// *assign.Service implements it.
type Operations interface {
	ReprocessBlocked(ctx context.Context) string
	ReprocessGroupJob(ctx context.Context, groupID, name string, sel assign.Selection) (jobs.Spec, error)
	ReprocessUsersJob(ctx context.Context, ids []string) (jobs.Spec, error)
	RefreshErrorsJob(ctx context.Context, groupID, name string) (jobs.Spec, error)
}

// JobRunner runs long writes as background jobs and shows them. *jobs.Manager implements it.
type JobRunner interface {
	Start(ctx context.Context, s jobs.Spec) (model.Job, error)
	Job(ctx context.Context, id int64) (model.Job, error)
	Jobs(ctx context.Context, q model.JobQuery) ([]model.Job, int, error)
	Items(ctx context.Context, id int64, q model.JobItemQuery) (model.JobItemPage, error)
	EachItem(ctx context.Context, id int64, fn func(model.JobItem) error) error
	Kind(name string) (jobs.Kind, bool)
	Active(ctx context.Context, kind, target string) (model.Job, bool, error)
	Running() bool
}

// Live reads what Graph says now and the snapshot does not hold. *live.Reader implements it.
type Live interface {
	Group(ctx context.Context, groupID string, inError []model.User, audit live.AuditRead) live.Group
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
	Jobs       JobRunner
	Templates  Templates
	Live       Live
	IP         IPLookup
	Licenses   LicenseReport
	Health     Health
	SSPR       SSPRVerifier
	// AlertData and AlertConfig are the alerts page's reads and changes.
	AlertData   AlertData
	AlertConfig AlertConfig
	// SSPRSamples offers the simulated tenant's sample mails on the verifier's page (the demo);
	// nil elsewhere.
	SSPRSamples SSPRSamples
	// IPDownloads says the IP range sources may be downloaded (TENANTDESK_IP_RANGE_DOWNLOADS):
	// without it the IP page offers only imports and refuses a download.
	IPDownloads bool

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
	// SignInRate, WriteRate and RefusedRate are requests per minute per client address to the
	// sign-in flow, to POST routes, and refused requests that are recorded; 0 means the defaults
	// (30, 120 and 30).
	SignInRate, WriteRate, RefusedRate int
	// RefusalPolicy bounds what refusals write to the activity log; zero means the default
	// (10 minutes, 100 anonymous entries).
	RefusalPolicy model.RefusalPolicy
	// RoleCheck is how often sessions' roles are re-read (shown on the sessions page); zero
	// means an hour.
	RoleCheck time.Duration
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
	jobs     JobRunner
	tpl      Templates
	live     Live
	ip       IPLookup
	licenses LicenseReport
	health   Health
	sspr     SSPRVerifier
	samples  SSPRSamples

	alertData   AlertData
	alertConfig AlertConfig
	ipOnline    bool

	groupFacts *groupFactsCache // the group page's explained members, per data version

	log     *slog.Logger
	now     func() time.Time
	version string
	bg      context.Context
	assets  *assets

	roleNames map[auth.Role]string
	proxies   auth.Proxies
	publicURL string

	signInRate, writeRate, refusedRate int
	refusalPolicy                      model.RefusalPolicy
	refusedLimit                       *httprate.RateLimiter
	roleCheck                          time.Duration
}

// New checks deps and prepares the server, hashing the embedded static files.
func New(deps Deps) (*Server, error) {
	var missing []string
	for _, d := range []struct {
		name string
		ok   bool
	}{
		{"Store", deps.Store != nil}, {"Activity", deps.Activity != nil}, {"Syncer", deps.Syncer != nil},
		{"Auth", deps.Auth != nil}, {"Operations", deps.Operations != nil}, {"Jobs", deps.Jobs != nil}, {"Templates", deps.Templates != nil}, {"Live", deps.Live != nil},
		{"IP", deps.IP != nil}, {"Licenses", deps.Licenses != nil}, {"SSPR", deps.SSPR != nil}, {"Health", deps.Health != nil},
		{"AlertData", deps.AlertData != nil}, {"AlertConfig", deps.AlertConfig != nil},
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
		ops: deps.Operations, jobs: deps.Jobs, tpl: deps.Templates, live: deps.Live, ip: deps.IP, licenses: deps.Licenses, health: deps.Health, sspr: deps.SSPR, samples: deps.SSPRSamples, ipOnline: deps.IPDownloads,
		alertData: deps.AlertData, alertConfig: deps.AlertConfig,

		log: deps.Logger, now: deps.Now, version: deps.Version, bg: deps.Background,

		roleNames: deps.RoleNames, proxies: deps.TrustedProxies, publicURL: deps.PublicURL,
		signInRate: cmp.Or(deps.SignInRate, defaultSignInRate), writeRate: cmp.Or(deps.WriteRate, defaultWriteRate),
		refusedRate: cmp.Or(deps.RefusedRate, defaultRefusedRate), refusalPolicy: deps.RefusalPolicy,
		roleCheck: cmp.Or(deps.RoleCheck, time.Hour), groupFacts: newGroupFactsCache(),
	}
	if s.refusalPolicy.Window <= 0 || s.refusalPolicy.AnonymousRows <= 0 {
		s.refusalPolicy = defaultRefusalPolicy
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
	s.refusedLimit = s.newLimiter(s.refusedRate)
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
