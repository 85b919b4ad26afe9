package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/sessions"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"golang.org/x/oauth2"
)

// Cookie names: the session, and the short-lived state of a sign-in in progress.
const (
	SessionCookie = "tenantdesk_session"
	FlowCookie    = "tenantdesk_signin"
	// CallbackPath is where the identity provider sends the browser back; the flow cookie is
	// scoped to it so no other request carries it.
	CallbackPath = "/auth/callback"
)

// Defaults of Config.
const (
	DefaultIdleTimeout     = 8 * time.Hour
	DefaultAbsoluteTimeout = 24 * time.Hour
	flowLifetime           = 10 * time.Minute
	// touchEvery limits how often the idle timer is pushed forward, so not every request
	// rewrites the cookie.
	touchEvery = time.Minute
	// maxRoles bounds what is kept of a token's roles claim (cookies are at most 4 KB).
	maxRoles = 16
	maxClaim = 256
)

// Config configures an Authenticator.
type Config struct {
	Issuer       string // OpenID Connect issuer URL
	ClientID     string
	ClientSecret string
	RedirectURL  string // absolute URL of CallbackPath as the provider knows it
	// HTTPClient makes discovery, key and token requests (it trusts a configured CA); nil
	// means http.DefaultClient.
	HTTPClient *http.Client
	// Keys sign and encrypt session cookies: the first signs, all verify (rotation).
	Keys      []string
	RoleNames RoleNames // nil means DefaultRoleNames
	// IdleTimeout ends a session not used for this long; AbsoluteTimeout ends any session
	// this long after sign-in. Zero means the defaults (8h, 24h).
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	Proxies         Proxies
	// AlwaysSecure marks cookies Secure on every request (the public URL is https), not only
	// on requests that arrived over TLS.
	AlwaysSecure bool
	// TenantIssuer allows the discovered issuer to name the tenant differently (by GUID)
	// from Issuer (by domain), as Entra does; set it only for issuers derived from the tenant.
	TenantIssuer bool
	Now          func() time.Time
	Logger       *slog.Logger
}

// Authenticator signs people in with OpenID Connect (authorization code with PKCE, state and
// nonce) and keeps who they are in an encrypted, signed session cookie. Nothing is stored on
// the server, so restarts and several instances with the same keys keep everyone signed in.
type Authenticator struct {
	cfg     Config
	client  *http.Client
	store   *sessions.CookieStore
	flows   *sessions.CookieStore
	now     func() time.Time
	log     *slog.Logger
	idle    time.Duration
	absMax  time.Duration
	oauth   oauth2.Config
	mu      sync.Mutex
	prov    *oidc.Provider
	verify  *oidc.IDTokenVerifier
	provErr time.Time // when discovery last failed; retried after a short pause
}

// New checks cfg and prepares the cookie stores; it makes no network call (the provider is
// discovered on the first sign-in, so a provider outage does not stop the dashboard starting).
func New(cfg Config) (*Authenticator, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"issuer", cfg.Issuer}, {"client id", cfg.ClientID}, {"redirect URL", cfg.RedirectURL},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("auth: %s required", strings.Join(missing, ", "))
	}
	if len(cfg.Keys) == 0 {
		return nil, errors.New("auth: session keys required")
	}
	pairs, err := keyPairs(cfg.Keys)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	a := &Authenticator{cfg: cfg, client: cfg.HTTPClient, now: cfg.Now, log: cfg.Logger,
		idle: cfg.IdleTimeout, absMax: cfg.AbsoluteTimeout}
	if a.client == nil {
		a.client = http.DefaultClient
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.cfg.RoleNames == nil {
		a.cfg.RoleNames = DefaultRoleNames()
	}
	if a.idle <= 0 {
		a.idle = DefaultIdleTimeout
	}
	if a.absMax <= 0 {
		a.absMax = DefaultAbsoluteTimeout
	}
	a.store = sessions.NewCookieStore(pairs...)
	a.store.Options = &sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
	a.store.MaxAge(int(a.absMax / time.Second))
	a.flows = sessions.NewCookieStore(pairs...)
	// Lax, not Strict: the provider's redirect back is a cross-site top-level GET.
	a.flows.Options = &sessions.Options{Path: CallbackPath, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	a.flows.MaxAge(int(flowLifetime / time.Second))
	a.oauth = oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		RedirectURL:  cfg.RedirectURL,
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
	}
	return a, nil
}

// RoleNames are the configured app-role names.
func (a *Authenticator) RoleNames() RoleNames { return a.cfg.RoleNames }

// SignInError is a sign-in that did not succeed: Reason is for the person, Err for the log.
type SignInError struct {
	Status int
	Reason string
	Err    error
}

func (e *SignInError) Error() string {
	if e.Err != nil {
		return "sign-in: " + e.Reason + ": " + e.Err.Error()
	}
	return "sign-in: " + e.Reason
}

func (e *SignInError) Unwrap() error { return e.Err }

// discoveryRetry is how long a failed discovery is remembered before the next try.
const discoveryRetry = 10 * time.Second

// provider discovers the OpenID provider once and keeps it.
func (a *Authenticator) provider(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.verify != nil {
		return a.verify, nil
	}
	if !a.provErr.IsZero() && time.Since(a.provErr) < discoveryRetry {
		return nil, errors.New("the identity provider was unreachable moments ago")
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ctx = oidc.ClientContext(ctx, a.client)
	p, err := oidc.NewProvider(ctx, a.cfg.Issuer)
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) && a.cfg.TenantIssuer && sameTenantIssuer(a.cfg.Issuer, mismatch.Discovered) {
		p, err = oidc.NewProvider(oidc.InsecureIssuerURLContext(ctx, mismatch.Discovered), a.cfg.Issuer)
	}
	if err != nil {
		a.provErr = time.Now()
		return nil, fmt.Errorf("discover %s: %w", a.cfg.Issuer, err)
	}
	a.prov = p
	a.oauth.Endpoint = p.Endpoint()
	a.oauth.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	a.verify = p.Verifier(&oidc.Config{ClientID: a.cfg.ClientID, Now: a.now, SupportedSigningAlgs: []string{oidc.RS256}})
	return a.verify, nil
}

// sameTenantIssuer accepts Entra naming a tenant by GUID in the issuer when the configuration
// named it by domain: same scheme and host, one path segment, then /v2.0.
func sameTenantIssuer(configured, discovered string) bool {
	c, err1 := url.Parse(configured)
	d, err2 := url.Parse(discovered)
	if err1 != nil || err2 != nil || c.Scheme != d.Scheme || !strings.EqualFold(c.Host, d.Host) {
		return false
	}
	seg, ok := strings.CutSuffix(strings.TrimPrefix(d.Path, "/"), "/v2.0")
	return ok && seg != "" && !strings.Contains(seg, "/")
}

func (a *Authenticator) secure(r *http.Request) bool {
	return a.cfg.AlwaysSecure || a.cfg.Proxies.IsTLS(r)
}

// BeginSignIn sends the browser to the identity provider, remembering (in the flow cookie)
// state, nonce, PKCE verifier and where to return. loginHint, if any, is passed on so a
// bookmark or a script can choose the account.
func (a *Authenticator) BeginSignIn(w http.ResponseWriter, r *http.Request, next, loginHint string) error {
	if _, err := a.provider(r.Context()); err != nil {
		return &SignInError{Status: http.StatusBadGateway, Reason: "The sign-in service could not be reached. Try again in a minute.", Err: err}
	}
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	flow, _ := a.flows.New(r, FlowCookie) // a stale or broken flow cookie is simply replaced
	flow.Values = map[any]any{"state": state, "nonce": nonce, "verifier": verifier,
		"next": SafeNext(next), "started": a.now().Unix()}
	flow.Options.Secure = a.secure(r)
	if err := a.flows.Save(r, w, flow); err != nil {
		return &SignInError{Status: http.StatusInternalServerError, Reason: "Sign-in could not be started.", Err: err}
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)}
	if h := cleanHint(loginHint); h != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", h))
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, a.oauth.AuthCodeURL(state, opts...), http.StatusSeeOther)
	return nil
}

// cleanHint drops a login hint that cannot be an account name.
func cleanHint(h string) string {
	h = strings.TrimSpace(h)
	if len(h) > maxClaim {
		return ""
	}
	for _, c := range h {
		if c < 0x20 || c == 0x7f {
			return ""
		}
	}
	return h
}

// FinishSignIn completes the sign-in at CallbackPath: it checks state against the flow cookie,
// redeems the code with the PKCE verifier, verifies the ID token (signature, issuer, audience,
// expiry, nonce) and starts the session. It returns the person and where to send them. Errors
// are *SignInError.
func (a *Authenticator) FinishSignIn(w http.ResponseWriter, r *http.Request) (Principal, string, error) {
	flow, err := a.flows.New(r, FlowCookie)
	if !flow.IsNew || err != nil {
		// One use only: a replayed callback finds no flow.
		del := sessions.NewSession(a.flows, FlowCookie)
		del.Options = &sessions.Options{Path: CallbackPath, MaxAge: -1, HttpOnly: true, Secure: a.secure(r), SameSite: http.SameSiteLaxMode}
		_ = a.flows.Save(r, w, del)
	}
	stale := &SignInError{Status: http.StatusBadRequest,
		Reason: "This sign-in was not started here, took longer than 10 minutes, or your browser blocks cookies. Sign in again."}
	if err != nil || flow.IsNew {
		stale.Err = fmt.Errorf("no valid sign-in flow cookie: %v", err)
		return Principal{}, "", stale
	}
	state, _ := flow.Values["state"].(string)
	nonce, _ := flow.Values["nonce"].(string)
	verifier, _ := flow.Values["verifier"].(string)
	next, _ := flow.Values["next"].(string)
	started, _ := flow.Values["started"].(int64)
	q := r.URL.Query()
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(q.Get("state"))) != 1 {
		stale.Err = errors.New("state does not match the flow cookie")
		return Principal{}, "", stale
	}
	if a.now().Sub(time.Unix(started, 0)) > flowLifetime {
		stale.Err = errors.New("sign-in flow expired")
		return Principal{}, "", stale
	}
	if e := q.Get("error"); e != "" {
		desc := text.Truncate(strings.Map(printable, q.Get("error_description")), 300)
		return Principal{}, "", &SignInError{Status: http.StatusUnauthorized,
			Reason: "The identity provider did not sign you in (" + text.Truncate(strings.Map(printable, e), 64) + "). " + desc,
			Err:    fmt.Errorf("provider error %q: %s", text.Truncate(e, 64), desc)}
	}
	code := q.Get("code")
	if code == "" || len(code) > 8192 {
		return Principal{}, "", &SignInError{Status: http.StatusBadRequest, Reason: "The identity provider's answer had no sign-in code. Sign in again.",
			Err: errors.New("callback without code")}
	}
	verify, err := a.provider(r.Context())
	if err != nil {
		return Principal{}, "", &SignInError{Status: http.StatusBadGateway, Reason: "The sign-in service could not be reached. Try again in a minute.", Err: err}
	}
	ctx := context.WithValue(oidc.ClientContext(r.Context(), a.client), oauth2.HTTPClient, a.client)
	tok, err := a.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Principal{}, "", &SignInError{Status: http.StatusBadGateway, Reason: "The identity provider did not accept the sign-in code. Sign in again.", Err: err}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Principal{}, "", &SignInError{Status: http.StatusBadGateway, Reason: "The identity provider sent no ID token.", Err: errors.New("token response without id_token")}
	}
	p, err := a.verifyIDToken(ctx, verify, raw, nonce)
	if err != nil {
		return Principal{}, "", &SignInError{Status: http.StatusUnauthorized, Reason: "The identity provider's answer could not be verified. Sign in again.", Err: err}
	}
	if err := a.startSession(w, r, p); err != nil {
		return Principal{}, "", &SignInError{Status: http.StatusInternalServerError, Reason: "The session could not be started.", Err: err}
	}
	return p, SafeNext(next), nil
}

// VerifyIDToken checks an ID token as the callback does: signature against the provider's
// keys, issuer, audience (our client id), expiry and nonce.
func (a *Authenticator) VerifyIDToken(ctx context.Context, raw, nonce string) (Principal, error) {
	verify, err := a.provider(ctx)
	if err != nil {
		return Principal{}, err
	}
	return a.verifyIDToken(oidc.ClientContext(ctx, a.client), verify, raw, nonce)
}

type idClaims struct {
	OID               string   `json:"oid"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	Email             string   `json:"email"`
	Roles             []string `json:"roles"`
}

func (a *Authenticator) verifyIDToken(ctx context.Context, verify *oidc.IDTokenVerifier, raw, nonce string) (Principal, error) {
	tok, err := verify.Verify(ctx, raw)
	if err != nil {
		return Principal{}, fmt.Errorf("verify id token: %w", err)
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1 {
		return Principal{}, errors.New("verify id token: nonce does not match the sign-in")
	}
	var c idClaims
	if err := tok.Claims(&c); err != nil {
		return Principal{}, fmt.Errorf("verify id token: claims: %w", err)
	}
	p := Principal{ObjectID: c.OID, Name: c.Name, UPN: c.PreferredUsername}
	if p.ObjectID == "" {
		p.ObjectID = tok.Subject
	}
	if p.UPN == "" {
		p.UPN = c.Email
	}
	if p.ObjectID == "" {
		return Principal{}, errors.New("verify id token: no oid or sub claim")
	}
	p = a.withRoles(clip(p), c.Roles)
	return p, nil
}

func clip(p Principal) Principal {
	p.ObjectID = text.Truncate(p.ObjectID, maxClaim)
	p.Name = text.Truncate(p.Name, maxClaim)
	p.UPN = text.Truncate(p.UPN, maxClaim)
	return p
}

func (a *Authenticator) withRoles(p Principal, roles []string) Principal {
	p.Roles = nil
	for _, r := range roles {
		if len(p.Roles) == maxRoles {
			break
		}
		p.Roles = append(p.Roles, text.Truncate(r, maxClaim))
	}
	p.Role = a.cfg.RoleNames.RoleOf(p.Roles)
	return p
}

func (a *Authenticator) startSession(w http.ResponseWriter, r *http.Request, p Principal) error {
	s, _ := a.store.New(r, SessionCookie) // a new session replaces whatever cookie was there
	now := a.now().Unix()
	s.Values = map[any]any{"oid": p.ObjectID, "name": p.Name, "upn": p.UPN, "roles": p.Roles,
		"created": now, "seen": now}
	s.Options.Secure = a.secure(r)
	return a.store.Save(r, w, s)
}

// sessionState is what reading the session cookie found.
type sessionState int

const (
	sessionNone sessionState = iota
	sessionOK
	sessionInvalid // tampered, foreign key, or garbled
	sessionIdle
	sessionExpired
)

func (a *Authenticator) load(r *http.Request) (Principal, *sessions.Session, sessionState) {
	s, err := a.store.New(r, SessionCookie)
	if err != nil {
		return Principal{}, s, sessionInvalid
	}
	if s.IsNew {
		return Principal{}, s, sessionNone
	}
	oid, _ := s.Values["oid"].(string)
	name, _ := s.Values["name"].(string)
	upn, _ := s.Values["upn"].(string)
	roles, _ := s.Values["roles"].([]string)
	created, ok1 := s.Values["created"].(int64)
	seen, ok2 := s.Values["seen"].(int64)
	if oid == "" || !ok1 || !ok2 {
		return Principal{}, s, sessionInvalid
	}
	now := a.now()
	switch c, l := time.Unix(created, 0), time.Unix(seen, 0); {
	case now.Sub(c) > a.absMax || c.After(now.Add(time.Minute)):
		return Principal{}, s, sessionExpired
	case now.Sub(l) > a.idle:
		return Principal{}, s, sessionIdle
	}
	return a.withRoles(Principal{ObjectID: oid, Name: name, UPN: upn}, roles), s, sessionOK
}

func (a *Authenticator) clear(w http.ResponseWriter, r *http.Request) {
	del := sessions.NewSession(a.store, SessionCookie)
	del.Options = &sessions.Options{Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.secure(r), SameSite: http.SameSiteLaxMode}
	_ = a.store.Save(r, w, del)
}

// Middleware puts the signed-in person into the request's context when the session cookie is
// valid and within its timeouts; any other cookie is deleted and the request goes on
// anonymous. It pushes the idle timer forward at most once a minute.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, s, st := a.load(r)
		switch st {
		case sessionNone:
			next.ServeHTTP(w, r)
			return
		case sessionOK:
		default:
			a.log.InfoContext(r.Context(), "session refused", "reason", st.String())
			a.clear(w, r)
			next.ServeHTTP(w, r)
			return
		}
		if seen, _ := s.Values["seen"].(int64); a.now().Sub(time.Unix(seen, 0)) >= touchEvery {
			s.Values["seen"] = a.now().Unix()
			s.Options.Secure = a.secure(r)
			if err := a.store.Save(r, w, s); err != nil {
				a.log.WarnContext(r.Context(), "session touch", "err", err)
			}
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

func (st sessionState) String() string {
	switch st {
	case sessionOK:
		return "ok"
	case sessionInvalid:
		return "invalid cookie"
	case sessionIdle:
		return "idle timeout"
	case sessionExpired:
		return "absolute timeout"
	}
	return "none"
}

// SignOut ends the session (deleting its cookie) and returns who was signed in, if anyone.
func (a *Authenticator) SignOut(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	p, _, st := a.load(r)
	if st != sessionNone {
		a.clear(w, r)
	}
	return p, st == sessionOK
}

func printable(c rune) rune {
	if c < 0x20 || c == 0x7f {
		return ' '
	}
	return c
}
