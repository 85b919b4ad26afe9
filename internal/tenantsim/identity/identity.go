// Package identity is the simulated Microsoft Entra ID of the simulated tenant: the token
// endpoint that azidentity (MSAL) calls for client-secret and client-certificate credentials, and
// an OpenID Connect provider (discovery, authorize with PKCE, token, JWKS, logout) with demo
// accounts for dashboard sign-in. It speaks Entra's wire format closely enough that the real
// clients cannot tell, and it verifies the access tokens it issued for the simulated Graph API.
package identity

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// App is an app registration of the tenant that gets tokens with client credentials.
type App struct {
	ClientID    string
	DisplayName string
	Secret      string // client secret; empty: no secret registered
	CertPEM     []byte // one or more PEM certificates registered for client assertions
	Roles       []string
}

// Account is a demo user who can sign in to the dashboard.
type Account struct {
	ObjectID    string // empty: derived from the UPN
	UPN         string
	DisplayName string
	Roles       []string // app roles of the dashboard app (Reader, Operator, LicenseAdmin)
	// Disabled accounts cannot sign in (AADSTS50057), silently or not.
	Disabled bool
}

// DashboardClient is the dashboard's own app registration for OpenID Connect sign-in.
// Redirect URIs on loopback hosts (127.0.0.1, localhost, [::1]) are accepted on any port, as
// Entra does for native apps; RedirectURIs lists any others exactly.
type DashboardClient struct {
	ClientID     string
	Secret       string
	RedirectURIs []string
}

// Config describes the simulated directory's identity side.
type Config struct {
	TenantID string
	BaseURL  string // e.g. https://127.0.0.1:8443, no trailing slash: the authority host
	// BrowserURL, when set, is a plain-http loopback base URL (e.g. http://127.0.0.1:8444) where
	// the pages a person's browser opens — authorize (sign-in) and logout — are also served and
	// advertised in discovery, so a demo needs no certificate warning. Servers keep using
	// BaseURL (https) for discovery, tokens and keys.
	BrowserURL string
	Apps       []App
	Accounts   []Account
	Dashboard  DashboardClient
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SigningKey signs every token; nil generates an RSA 2048 key (tests pass one to save time).
	SigningKey *rsa.PrivateKey
	// Logger receives refused sign-ins and token requests; nil discards.
	Logger *slog.Logger
}

// Lifetimes Entra uses.
const (
	tokenLifetime = time.Hour
	codeLifetime  = 5 * time.Minute
	// Entra accepts assertions within a five-minute clock skew.
	clockSkew = 5 * time.Minute
	// Access tokens and ID tokens are reported as one second short of the hour, like Entra.
	expiresIn = 3599
	maxCodes  = 10000
)

// ErrUnknownAccount is returned when a demo account is not configured.
var ErrUnknownAccount = errors.New("identity: unknown account")

// Provider is the simulated Entra ID of one tenant. It is safe for concurrent use.
type Provider struct {
	tenantID string
	base     string // scheme://host:port
	browser  string // base of the browser-facing endpoints; base when not configured
	now      func() time.Time
	log      *slog.Logger

	key  *rsa.PrivateKey
	kid  string
	x5c  string // the signing key's self-signed certificate, base64 DER, for the JWKS
	x5t  string
	apps map[string]*app // by lower-case client id

	accMu         sync.RWMutex // guards the accounts' roles and state (SetRoles, SetDisabled)
	accounts      []Account    // in configured order, ObjectID filled
	accountsByUPN map[string]int
	dashboard     DashboardClient

	foreignOnce sync.Once
	foreignKey  *rsa.PrivateKey
	foreignErr  error

	mu    sync.Mutex
	codes map[string]*authCode
}

type app struct {
	App
	certs []*x509.Certificate
}

// New builds a Provider from cfg and generates its signing key unless one is given.
func New(cfg Config) (*Provider, error) {
	if _, err := uuid.Parse(cfg.TenantID); err != nil {
		return nil, fmt.Errorf("identity: tenant id %q is not a GUID: %w", cfg.TenantID, err)
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		// MSAL refuses an authority that is not https at the root of its host.
		return nil, fmt.Errorf("identity: base URL %q must be https://host[:port]", cfg.BaseURL)
	}
	browser := "https://" + u.Host
	if cfg.BrowserURL != "" {
		b, err := url.Parse(cfg.BrowserURL)
		if err != nil || b.Scheme != "http" || b.Path != "" || !isLoopbackHost(b.Hostname()) {
			return nil, fmt.Errorf("identity: browser URL %q must be http://<loopback host>:port", cfg.BrowserURL)
		}
		browser = "http://" + b.Host
	}
	p := &Provider{
		tenantID:      strings.ToLower(cfg.TenantID),
		base:          "https://" + u.Host,
		browser:       browser,
		now:           cfg.Now,
		log:           cfg.Logger,
		key:           cfg.SigningKey,
		apps:          make(map[string]*app, len(cfg.Apps)),
		accountsByUPN: make(map[string]int, len(cfg.Accounts)),
		dashboard:     cfg.Dashboard,
		codes:         make(map[string]*authCode),
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.key == nil {
		if p.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, fmt.Errorf("identity: generate signing key: %w", err)
		}
	}
	if err := p.initKeyID(); err != nil {
		return nil, err
	}
	for _, a := range cfg.Apps {
		if a.ClientID == "" {
			return nil, errors.New("identity: app without client id")
		}
		if a.Secret == "" && len(a.CertPEM) == 0 {
			return nil, fmt.Errorf("identity: app %s has neither secret nor certificate", a.ClientID)
		}
		certs, err := parseCertificates(a.CertPEM)
		if err != nil {
			return nil, fmt.Errorf("identity: app %s: %w", a.ClientID, err)
		}
		p.apps[strings.ToLower(a.ClientID)] = &app{App: a, certs: certs}
	}
	for _, a := range cfg.Accounts {
		if a.UPN == "" {
			return nil, errors.New("identity: account without UPN")
		}
		if a.ObjectID == "" {
			a.ObjectID = derivedID("account", strings.ToLower(a.UPN))
		}
		if a.DisplayName == "" {
			a.DisplayName = a.UPN
		}
		p.accountsByUPN[strings.ToLower(a.UPN)] = len(p.accounts)
		p.accounts = append(p.accounts, a)
	}
	return p, nil
}

// initKeyID wraps the signing key in a self-signed certificate, as Entra publishes x5c and x5t
// for its keys, and uses the certificate's thumbprint as the kid.
func (p *Provider) initKeyID() error {
	now := p.now()
	tmpl := &x509.Certificate{
		SerialNumber: serialNumber(),
		Subject:      pkixName("accounts.tenantsim.invalid"),
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.key.PublicKey, p.key)
	if err != nil {
		return fmt.Errorf("identity: self-sign signing key: %w", err)
	}
	sum := sha1Sum(der)
	p.x5c = base64.StdEncoding.EncodeToString(der)
	p.x5t = base64.RawURLEncoding.EncodeToString(sum)
	p.kid = p.x5t
	return nil
}

func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue // a bundle may carry its private key too; only certificates register
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		if _, ok := c.PublicKey.(*rsa.PublicKey); !ok {
			return nil, errors.New("certificate key is not RSA")
		}
		certs = append(certs, c)
	}
	if len(strings.TrimSpace(string(data))) > 0 && len(certs) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return certs, nil
}

// TenantID is the tenant's id (lower case).
func (p *Provider) TenantID() string { return p.tenantID }

// IssuerURL is the OpenID Connect issuer, https://HOST/{tenant}/v2.0, as ID tokens carry it.
func (p *Provider) IssuerURL() string { return p.base + "/" + p.tenantID + "/v2.0" }

// AuthorityURL is what azidentity takes as its authority host (with the trailing slash).
func (p *Provider) AuthorityURL() string { return p.base + "/" }

// accessIssuer is the issuer of v1 access tokens, which Graph tokens are.
func (p *Provider) accessIssuer() string { return "https://sts.windows.net/" + p.tenantID + "/" }

// Accounts lists the demo accounts in configured order, ObjectID filled.
func (p *Provider) Accounts() []Account {
	p.accMu.RLock()
	defer p.accMu.RUnlock()
	out := make([]Account, len(p.accounts))
	for i, a := range p.accounts {
		a.Roles = append([]string(nil), a.Roles...)
		out[i] = a
	}
	return out
}

func (p *Provider) account(upn string) (Account, bool) {
	i, ok := p.accountsByUPN[strings.ToLower(strings.TrimSpace(upn))]
	if !ok {
		return Account{}, false
	}
	p.accMu.RLock()
	defer p.accMu.RUnlock()
	a := p.accounts[i]
	a.Roles = append([]string(nil), a.Roles...)
	return a, true
}

// SetRoles replaces the dashboard app roles assigned to an account, as an administrator does
// under Enterprise applications: tokens issued from now on carry the new roles claim, tokens
// issued before keep theirs (Entra puts roles in the token when it issues it).
func (p *Provider) SetRoles(upn string, roles []string) error {
	return p.changeAccount(upn, func(a *Account) { a.Roles = append([]string(nil), roles...) })
}

// SetDisabled blocks (or unblocks) an account's sign-in, as "Block sign-in" does in Entra:
// from now on every sign-in of it fails, silent ones included.
func (p *Provider) SetDisabled(upn string, disabled bool) error {
	return p.changeAccount(upn, func(a *Account) { a.Disabled = disabled })
}

func (p *Provider) changeAccount(upn string, change func(*Account)) error {
	i, ok := p.accountsByUPN[strings.ToLower(strings.TrimSpace(upn))]
	if !ok {
		return fmt.Errorf("%q: %w", upn, ErrUnknownAccount)
	}
	p.accMu.Lock()
	defer p.accMu.Unlock()
	change(&p.accounts[i])
	return nil
}

// tenantSegment maps the first path segment to the tenant: its id, or the multi-tenant aliases
// that a single-tenant simulator can treat as itself.
func (p *Provider) tenantSegment(seg string) bool {
	switch strings.ToLower(seg) {
	case p.tenantID, "organizations", "common":
		return true
	}
	return false
}

// Handler serves every endpoint under /{tenant}/, with paths as Entra has them. Mount it at the
// root of the authority host (no prefix stripping).
func (p *Provider) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", p.serveDiscovery)
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", p.serveKeys)
	mux.HandleFunc("GET /{tenant}/discovery/keys", p.serveKeys)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", p.serveToken)
	p.handleBrowserPages(mux)
	return mux
}

// BrowserHandler serves only the pages a browser opens (sign-in and sign-out), for the plain-http
// loopback listener of Config.BrowserURL.
func (p *Provider) BrowserHandler() http.Handler {
	mux := http.NewServeMux()
	p.handleBrowserPages(mux)
	return mux
}

// handleBrowserPages registers the sign-in and sign-out pages, which both handlers serve.
func (p *Provider) handleBrowserPages(mux *http.ServeMux) {
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", p.serveAuthorize)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/authorize", p.serveAuthorize)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/logout", p.serveLogout)
}

// endpoint builds an endpoint URL for the tenant segment the client used, as Entra does.
func (p *Provider) endpoint(seg, path string) string {
	return p.base + "/" + seg + path
}

// browserEndpoint is endpoint for the pages a browser opens (see Config.BrowserURL).
func (p *Provider) browserEndpoint(seg, path string) string {
	return p.browser + "/" + seg + path
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// derivedID makes a stable GUID from a kind and a name, for object ids nobody configured.
func derivedID(kind, name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("tenantsim:"+kind+":"+name)).String()
}

// pairwiseSub is the ID token's sub: stable per user and app, unlike oid (Entra's "pairwise").
func pairwiseSub(oid, clientID string) string {
	sum := sha256.Sum256([]byte(oid + "|" + strings.ToLower(clientID)))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}
