package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
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
	DefaultRoleCheck       = time.Hour
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
	// Sessions keeps the sessions (required): the cookie holds only a random token.
	Sessions SessionStore
	// IdleTimeout ends a session not used for this long; AbsoluteTimeout ends any session
	// this long after sign-in. Zero means the defaults (8h, 24h).
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	// RoleCheck is how often a session's roles are re-read from the identity provider by a
	// silent sign-in (prompt=none); zero means DefaultRoleCheck.
	RoleCheck time.Duration
	Proxies   Proxies
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
// nonce) and keeps their sessions on the server (Config.Sessions): the cookie, signed and
// encrypted, holds only a random token, so signing out ends every copy of it, and a person's
// roles are re-read from the identity provider every RoleCheck by a silent sign-in.
type Authenticator struct {
	cfg     Config
	client  *http.Client
	cookies *sessions.CookieStore
	flows   *sessions.CookieStore
	now     func() time.Time
	log     *slog.Logger
	idle    time.Duration
	absMax  time.Duration
	recheck time.Duration
	store   SessionStore
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
	if cfg.Sessions == nil {
		return nil, errors.New("auth: a session store is required")
	}
	pairs, err := keyPairs(cfg.Keys)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	a := &Authenticator{cfg: cfg, client: cfg.HTTPClient, now: cfg.Now, log: cfg.Logger,
		idle: cfg.IdleTimeout, absMax: cfg.AbsoluteTimeout, recheck: cfg.RoleCheck, store: cfg.Sessions}
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
	if a.recheck <= 0 {
		a.recheck = DefaultRoleCheck
	}
	a.cookies = sessions.NewCookieStore(pairs...)
	a.cookies.Options = &sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
	a.cookies.MaxAge(int(a.absMax / time.Second))
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
	// SessionEnded is set when a silent re-check of a session failed and the session ended.
	SessionEnded bool
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
	return a.beginFlow(w, r, flowState{Next: SafeNext(next)}, loginHint, false)
}

// flowState is one sign-in under way, kept in its own flow cookie until its callback.
type flowState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
	Started  int64  `json:"t"`
	// Session is the session whose roles a silent sign-in re-checks ("" for a sign-in).
	Session string `json:"r,omitempty"`
}

// flowCookieName is the cookie of the sign-in with state: one per sign-in, so several under
// way in one browser (two tabs, or two tabs re-checking roles at once) do not overwrite each
// other. Each lives ten minutes and is scoped to the callback, so no other request carries it.
func flowCookieName(state string) string {
	sum := sha256.Sum256([]byte(state))
	return FlowCookie + "_" + hex.EncodeToString(sum[:6])
}

// beginFlow starts a sign-in: silent asks the provider not to show anything (prompt=none).
func (a *Authenticator) beginFlow(w http.ResponseWriter, r *http.Request, f flowState, loginHint string, silent bool) error {
	if _, err := a.provider(r.Context()); err != nil {
		return &SignInError{Status: http.StatusBadGateway, Reason: "The sign-in service could not be reached. Try again in a minute.", Err: err}
	}
	f.State, f.Nonce, f.Verifier, f.Started = rand.Text(), rand.Text(), oauth2.GenerateVerifier(), a.now().Unix()
	if err := a.saveFlow(w, r, f, false); err != nil {
		return &SignInError{Status: http.StatusInternalServerError, Reason: "Sign-in could not be started.", Err: err}
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce)}
	if h := cleanHint(loginHint); h != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", h))
	}
	if silent {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "none"))
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, a.oauth.AuthCodeURL(f.State, opts...), http.StatusSeeOther)
	return nil
}

// flowOf is the sign-in of state in r's flow cookies, if it is there and not expired.
func (a *Authenticator) flowOf(r *http.Request, state string) (flowState, bool) {
	if state == "" || len(state) > 256 {
		return flowState{}, false
	}
	c, err := a.flows.New(r, flowCookieName(state))
	if err != nil || c.IsNew {
		return flowState{}, false
	}
	raw, _ := c.Values["flow"].(string)
	var f flowState
	if json.Unmarshal([]byte(raw), &f) != nil || f.State == "" ||
		subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 || a.now().Sub(time.Unix(f.Started, 0)) > flowLifetime {
		return flowState{}, false
	}
	return f, true
}

// saveFlow writes f's flow cookie, or deletes it.
func (a *Authenticator) saveFlow(w http.ResponseWriter, r *http.Request, f flowState, remove bool) error {
	c := sessions.NewSession(a.flows, flowCookieName(f.State))
	// Lax, not Strict: the provider's redirect back is a cross-site top-level GET.
	c.Options = &sessions.Options{Path: CallbackPath, MaxAge: int(flowLifetime / time.Second), HttpOnly: true,
		Secure: a.secure(r), SameSite: http.SameSiteLaxMode}
	if remove {
		c.Options.MaxAge = -1
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	c.Values["flow"] = string(b)
	return a.flows.Save(r, w, c)
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
// expiry, nonce) and starts the session. It returns the person and where to send them. A
// silent re-check of a session's roles ends here too: its principal has Rechecked set, and when
// the provider does not confirm the sign-in, the session ends (a *SignInError with
// SessionEnded). Errors are *SignInError.
func (a *Authenticator) FinishSignIn(w http.ResponseWriter, r *http.Request) (Principal, string, error) {
	state := r.URL.Query().Get("state")
	f, found := a.flowOf(r, state)
	if state != "" && len(state) <= 256 {
		_ = a.saveFlow(w, r, flowState{State: state}, true) // one use only: a replayed callback finds no flow
	}
	if !found {
		return Principal{}, "", &SignInError{Status: http.StatusBadRequest,
			Reason: "This sign-in was not started here, took longer than 10 minutes, or your browser blocks cookies. Sign in again.",
			Err:    errors.New("no sign-in flow of this state in the flow cookies")}
	}
	p, err := a.finish(r, f)
	if f.Session == "" {
		if err != nil {
			return Principal{}, "", err
		}
		if err := a.startSession(w, r, p); err != nil {
			return Principal{}, "", &SignInError{Status: http.StatusInternalServerError, Reason: "The session could not be started.", Err: err}
		}
		return p, SafeNext(f.Next), nil
	}
	return a.finishRecheck(w, r, f, p, err)
}

// finish redeems the callback's code of flow f and verifies the ID token.
func (a *Authenticator) finish(r *http.Request, f flowState) (Principal, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		desc := text.Truncate(strings.Map(printable, q.Get("error_description")), 300)
		return Principal{}, &SignInError{Status: http.StatusUnauthorized,
			Reason: "The identity provider did not sign you in (" + text.Truncate(strings.Map(printable, e), 64) + "). " + desc,
			Err:    fmt.Errorf("provider error %q: %s", text.Truncate(e, 64), desc)}
	}
	code := q.Get("code")
	if code == "" || len(code) > 8192 {
		return Principal{}, &SignInError{Status: http.StatusBadRequest, Reason: "The identity provider's answer had no sign-in code. Sign in again.",
			Err: errors.New("callback without code")}
	}
	verify, err := a.provider(r.Context())
	if err != nil {
		return Principal{}, &SignInError{Status: http.StatusBadGateway, Reason: "The sign-in service could not be reached. Try again in a minute.", Err: err}
	}
	ctx := context.WithValue(oidc.ClientContext(r.Context(), a.client), oauth2.HTTPClient, a.client)
	tok, err := a.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return Principal{}, &SignInError{Status: http.StatusBadGateway, Reason: "The identity provider did not accept the sign-in code. Sign in again.", Err: err}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Principal{}, &SignInError{Status: http.StatusBadGateway, Reason: "The identity provider sent no ID token.", Err: errors.New("token response without id_token")}
	}
	p, err := a.verifyIDToken(ctx, verify, raw, f.Nonce)
	if err != nil {
		return Principal{}, &SignInError{Status: http.StatusUnauthorized, Reason: "The identity provider's answer could not be verified. Sign in again.", Err: err}
	}
	return p, nil
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

func printable(c rune) rune {
	if c < 0x20 || c == 0x7f {
		return ' '
	}
	return c
}
