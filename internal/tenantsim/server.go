package tenantsim

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim/identity"
)

// Options configures Start.
type Options struct {
	Config Config // the generated tenant
	// Addr to listen on; default "127.0.0.1:0" (a free port).
	Addr string
	// BrowserAddr, when set (e.g. "127.0.0.1:0"), also serves the sign-in and sign-out pages
	// over plain http on that loopback address and advertises them in discovery, so a person
	// signing in to a demo meets no certificate warning. Everything else stays on TLS.
	BrowserAddr string
	// Dir receives ca.pem and client.pem; default a new temporary directory, removed by Close.
	Dir string
	// Fault knobs at start; they can change later through SetKnobs or /_sim/knobs.
	Latency          time.Duration
	ThrottleRequests int
	ThrottleWindow   time.Duration
	FaultRate        float64
	DropRate         float64
	// FaultSeed makes fault and drop decisions reproducible; 0 seeds randomly.
	FaultSeed uint64
	Logger    *slog.Logger
}

// Info is how clients reach the running simulator; `tenantdesk sim` prints it as one JSON line.
type Info struct {
	GraphURL             string `json:"graph_url"`
	AuthorityURL         string `json:"authority_url"`
	TenantID             string `json:"tenant_id"`
	ClientID             string `json:"client_id"`
	ClientSecret         string `json:"client_secret"`
	ReadonlyClientID     string `json:"readonly_client_id"`
	ReadonlyClientSecret string `json:"readonly_client_secret"`
	// The license-only app may change license templates but not reprocess (see LicenseOnlyAppRoles).
	LicenseOnlyClientID     string   `json:"licenseonly_client_id"`
	LicenseOnlyClientSecret string   `json:"licenseonly_client_secret"`
	CAFile                  string   `json:"ca_file"`
	OIDCIssuer              string   `json:"oidc_issuer"`
	DemoAccounts            []string `json:"demo_accounts"`
	ClientCertFile          string   `json:"client_cert_file"`
	DashboardClientID       string   `json:"dashboard_client_id"`
	DashboardSecret         string   `json:"dashboard_client_secret"`
	ControlURL              string   `json:"control_url"`
}

// The simulator's three app registrations and their application permissions (the roles of
// their tokens). The full app holds the set the README recommends, the least privileged
// permission of each of GRAPH.md's calls tenantdesk makes; the read-only app reads with other
// permissions Graph accepts; the license-only app may change group license templates
// (LicenseAssignment.ReadWrite.All) but, without User.ReadWrite.All, not reprocess.
var (
	FullAppRoles = []string{"LicenseAssignment.Read.All", "GroupMember.Read.All", "User.Read.All", "AuditLog.Read.All",
		"User.ReadWrite.All", "LicenseAssignment.ReadWrite.All", "RoleManagement.Read.Directory"}
	ReadOnlyAppRoles    = []string{"Organization.Read.All", "Group.Read.All", "User.Read.All", "AuditLog.Read.All"}
	LicenseOnlyAppRoles = []string{"LicenseAssignment.Read.All", "GroupMember.Read.All", "User.Read.All", "AuditLog.Read.All",
		"LicenseAssignment.ReadWrite.All"}
)

// Names of the app registrations, for Info.App.
const (
	AppFull        = "full"
	AppReadOnly    = "read-only"
	AppLicenseOnly = "license-only"
)

// AppNames lists the app registrations by name, full first.
func AppNames() []string { return []string{AppFull, AppReadOnly, AppLicenseOnly} }

// App returns the client id and secret of the app registration called name ("" means full).
func (i Info) App(name string) (clientID, secret string, err error) {
	switch name {
	case "", AppFull:
		return i.ClientID, i.ClientSecret, nil
	case AppReadOnly:
		return i.ReadonlyClientID, i.ReadonlyClientSecret, nil
	case AppLicenseOnly:
		return i.LicenseOnlyClientID, i.LicenseOnlyClientSecret, nil
	}
	return "", "", fmt.Errorf("tenantsim: no app registration %q (there are %s)", name, strings.Join(AppNames(), ", "))
}

// Server is a running simulated tenant: Graph v1.0 at /v1.0, the control API at /_sim/ and
// the identity provider (token endpoint, OIDC) at the root, over TLS with its own CA.
type Server struct {
	Tenant   *Tenant
	Provider *identity.Provider
	API      *API
	Faults   *Faults
	CA       *identity.CA

	info Info
	srv  *http.Server
	ln   net.Listener
	// browserSrv serves the sign-in pages over plain http (Options.BrowserAddr), if asked.
	browserSrv *http.Server
	browserLn  net.Listener
	tempDir    string
	done       chan struct{}
	once       sync.Once
}

func randomSecret() string {
	var b [30]byte
	_, _ = rand.Read(b[:])
	// Entra secrets are ~40 characters with a "~" in them; readability does not matter here.
	return strings.ReplaceAll(base64.RawURLEncoding.EncodeToString(b[:]), "-", "~")
}

// Start generates the tenant, its certificates and credentials, and serves it until ctx ends
// or Close is called.
func Start(ctx context.Context, opts Options) (*Server, error) {
	t, err := New(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("tenantsim: generate tenant: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{Tenant: t, done: make(chan struct{})}
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "tenantsim-*"); err != nil {
			return nil, fmt.Errorf("tenantsim: temp dir: %w", err)
		}
		s.tempDir = dir
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tenantsim: dir: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			s.cleanup()
		}
	}()

	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if s.ln, err = net.Listen("tcp", addr); err != nil {
		return nil, fmt.Errorf("tenantsim: listen on %s: %w", addr, err)
	}
	tcp := s.ln.Addr().(*net.TCPAddr)
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	base := "https://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))
	browserURL := ""
	if opts.BrowserAddr != "" {
		if s.browserLn, err = net.Listen("tcp", opts.BrowserAddr); err != nil {
			return nil, fmt.Errorf("tenantsim: listen on %s: %w", opts.BrowserAddr, err)
		}
		b := s.browserLn.Addr().(*net.TCPAddr)
		if !b.IP.IsLoopback() {
			return nil, fmt.Errorf("tenantsim: the plain-http sign-in address %s must be loopback", opts.BrowserAddr)
		}
		browserURL = "http://" + net.JoinHostPort(b.IP.String(), strconv.Itoa(b.Port))
	}

	if s.CA, err = identity.NewCA([]string{"127.0.0.1", "localhost", "::1", host}); err != nil {
		return nil, fmt.Errorf("tenantsim: %w", err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, s.CA.CertPEM, 0o600); err != nil {
		return nil, fmt.Errorf("tenantsim: write CA: %w", err)
	}
	certPEM, keyPEM, err := identity.NewClientCertificate("tenantdesk-sim-full")
	if err != nil {
		return nil, fmt.Errorf("tenantsim: %w", err)
	}
	certFile := filepath.Join(dir, "client.pem")
	if err := os.WriteFile(certFile, append(append([]byte{}, certPEM...), keyPEM...), 0o600); err != nil {
		return nil, fmt.Errorf("tenantsim: write client certificate: %w", err)
	}

	full := identity.App{ClientID: newGUID(), DisplayName: "tenantdesk (simulated, full)", Secret: randomSecret(), CertPEM: certPEM, Roles: FullAppRoles}
	ro := identity.App{ClientID: newGUID(), DisplayName: "tenantdesk (simulated, read-only)", Secret: randomSecret(), Roles: ReadOnlyAppRoles}
	lo := identity.App{ClientID: newGUID(), DisplayName: "tenantdesk (simulated, license-only)", Secret: randomSecret(), Roles: LicenseOnlyAppRoles}
	dash := identity.DashboardClient{ClientID: newGUID(), Secret: randomSecret()}
	var accounts []identity.Account
	var upns []string
	for _, a := range []struct{ local, name, role string }{
		{"reader", "Riley Reader", "Reader"}, {"operator", "Olivia Operator", "Operator"},
		{"licenseadmin", "Lee LicenseAdmin", "LicenseAdmin"}, {"norole", "Nora NoRole", ""},
	} {
		acc := identity.Account{UPN: a.local + "@" + t.DefaultDomain, DisplayName: a.name}
		if a.role != "" {
			acc.Roles = []string{a.role}
		}
		accounts = append(accounts, acc)
		upns = append(upns, acc.UPN)
	}
	s.Provider, err = identity.New(identity.Config{
		TenantID: t.ID, BaseURL: base, BrowserURL: browserURL, Apps: []identity.App{full, ro, lo}, Accounts: accounts, Dashboard: dash, Logger: logger,
	})
	if err != nil {
		return nil, fmt.Errorf("tenantsim: identity provider: %w", err)
	}

	s.Faults = NewFaults(FaultOptions{Seed: opts.FaultSeed, Knobs: Knobs{
		Latency: opts.Latency, ThrottleRequests: opts.ThrottleRequests, ThrottleWindow: opts.ThrottleWindow,
		FaultRate: opts.FaultRate, DropRate: opts.DropRate,
	}})
	verifier := TokenVerifierFunc(func(raw string) (Caller, error) {
		c, err := s.Provider.VerifyAccessToken(raw)
		if err != nil {
			return Caller{}, errors.New(identity.GraphMessage(err))
		}
		return Caller{AppID: c.AppID, AppName: c.AppName, Roles: c.Roles, ServicePrincipalID: c.ObjectID}, nil
	})
	s.API = NewAPI(t, verifier, APIOptions{Faults: s.Faults, Logger: logger})
	appOf := func(r *http.Request) string {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return ""
		}
		c, err := s.Provider.VerifyAccessToken(raw)
		if err != nil {
			return ""
		}
		return c.AppID
	}
	graph := s.Faults.Middleware(s.API, appOf)
	mux := http.NewServeMux()
	mux.Handle("/v1.0/", graph)
	mux.Handle("/v1.0", graph)
	ctl := NewControl(t, s.API, s.Faults)
	ctl.Accounts = s.Provider
	mux.Handle("/_sim/", ctl)
	mux.Handle("/", s.Provider.Handler())

	s.info = Info{
		GraphURL: base + "/v1.0", AuthorityURL: base, TenantID: t.ID,
		ClientID: full.ClientID, ClientSecret: full.Secret,
		ReadonlyClientID: ro.ClientID, ReadonlyClientSecret: ro.Secret,
		LicenseOnlyClientID: lo.ClientID, LicenseOnlyClientSecret: lo.Secret,
		CAFile: caFile, OIDCIssuer: s.Provider.IssuerURL(), DemoAccounts: upns,
		ClientCertFile: certFile, DashboardClientID: dash.ClientID, DashboardSecret: dash.Secret,
		ControlURL: base + "/_sim",
	}
	s.srv = &http.Server{
		Handler:           mux,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{s.CA.ServerCert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		// Dropped connections and clients hanging up are part of the game, not worth a log line.
		ErrorLog: log.New(discard{}, "", 0),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.ServeTLS(s.ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("tenantsim: serve", "err", err)
		}
	}()
	if s.browserLn != nil {
		s.browserSrv = &http.Server{Handler: s.Provider.BrowserHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := s.browserSrv.Serve(s.browserLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("tenantsim: serve sign-in pages", "err", err)
			}
		}()
	}
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.Close(sctx)
		case <-s.done:
		}
	}()
	ok = true
	logger.Info("tenantsim: serving", "graph", s.info.GraphURL, "tenant", t.ID)
	return s, nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Info returns the URLs and credentials of the running simulator.
func (s *Server) Info() Info {
	i := s.info
	i.DemoAccounts = append([]string(nil), i.DemoAccounts...)
	return i
}

// SetKnobs changes the fault settings.
func (s *Server) SetKnobs(k Knobs) { s.Faults.SetKnobs(k) }

// Stats returns the request statistics so far.
func (s *Server) Stats() StatsSnapshot { return s.Faults.Stats().Snapshot() }

// TLSConfig returns a client TLS configuration that trusts the simulator's CA.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.CA.Pool(), MinVersion: tls.VersionTLS12}
}

// Close stops serving (waiting for requests in flight until ctx ends) and removes the temporary
// directory Start created.
func (s *Server) Close(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		if s.browserSrv != nil {
			_ = s.browserSrv.Shutdown(ctx)
		}
		if s.srv != nil {
			if err = s.srv.Shutdown(ctx); err != nil {
				_ = s.srv.Close()
			}
			<-s.done
		}
		s.cleanup()
	})
	return err
}

func (s *Server) cleanup() {
	if s.ln != nil && s.srv == nil {
		_ = s.ln.Close()
	}
	if s.browserLn != nil && s.browserSrv == nil {
		_ = s.browserLn.Close()
	}
	if s.tempDir != "" {
		_ = os.RemoveAll(s.tempDir)
	}
}
