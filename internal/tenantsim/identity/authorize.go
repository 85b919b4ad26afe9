package identity

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// authCode is an issued authorization code, kept until it expires so that a second redemption
// is told "already redeemed" rather than "not found", as Entra does.
type authCode struct {
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
	scope       string
	account     Account
	expires     time.Time
	used        bool
}

// authParams are the authorize parameters that the sign-in page carries through its forms.
var authParams = []string{"client_id", "redirect_uri", "response_type", "response_mode", "scope",
	"state", "nonce", "code_challenge", "code_challenge_method", "prompt"}

// validRedirect reports whether uri may receive codes for the dashboard: any port on a loopback
// host (Entra's rule for native apps), or an exact match in the allow-list.
func (p *Provider) validRedirect(uri string) bool {
	if uri == "" || len(uri) > 2048 {
		return false
	}
	if slices.Contains(p.dashboard.RedirectURIs, uri) {
		return true
	}
	u, err := url.Parse(uri)
	if err != nil || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	switch strings.ToLower(u.Hostname()) {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}

func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			p.errorPage(w, badRequest("invalid_request", 9002313, "Invalid request. Request is malformed or invalid."))
			return
		}
		params = r.PostForm
	}
	seg := r.PathValue("tenant")
	if !p.tenantSegment(seg) {
		p.errorPage(w, tenantNotFound(seg))
		return
	}
	// Until client and redirect URI are known good, errors go to a page: redirecting them
	// would make the provider an open redirector.
	clientID := params.Get("client_id")
	if clientID == "" || p.dashboard.ClientID == "" || !strings.EqualFold(clientID, p.dashboard.ClientID) {
		p.errorPage(w, badRequest("unauthorized_client", 700016, "Application with identifier '%s' was not found in the directory '%s'.", truncate(clientID, 64), p.tenantID))
		return
	}
	redirectURI := params.Get("redirect_uri")
	if !p.validRedirect(redirectURI) {
		p.errorPage(w, badRequest("invalid_request", 50011, "The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'.", truncate(redirectURI, 256), p.dashboard.ClientID))
		return
	}
	state := params.Get("state")
	fail := func(e *oauthError) { p.redirectError(w, r, redirectURI, state, e) }

	if rt := params.Get("response_type"); rt != "code" {
		fail(badRequest("unsupported_response_type", 700054, "response_type '%s' is not enabled for the application.", truncate(rt, 64)))
		return
	}
	if rm := params.Get("response_mode"); rm != "" && rm != "query" {
		fail(badRequest("invalid_request", 900351, "The response_mode '%s' is not supported by this provider; use query.", truncate(rm, 64)))
		return
	}
	scope := params.Get("scope")
	if !slices.Contains(strings.Fields(scope), "openid") {
		fail(badRequest("invalid_scope", 70011, "The provided request must include an 'openid' scope."))
		return
	}
	if _, oerr := p.resourceFromScope(scope, false); oerr != nil {
		fail(oerr)
		return
	}
	challenge := params.Get("code_challenge")
	if challenge == "" {
		fail(badRequest("invalid_request", 9002325, "Proof Key for Code Exchange is required for cross-origin authorization code redemption."))
		return
	}
	if m := params.Get("code_challenge_method"); m != "S256" {
		fail(badRequest("invalid_request", 501491, "Invalid code_challenge_method '%s': only S256 is accepted.", truncate(m, 32)))
		return
	}
	if !validChallenge(challenge) {
		fail(badRequest("invalid_request", 501491, "Invalid size of Code_Challenge parameter."))
		return
	}

	hint := params.Get("login_hint")
	if acc, ok := p.account(hint); ok && acc.Disabled {
		// Entra: "AADSTS50057: The user account is disabled." A silent request cannot show it,
		// so it answers interaction_required; an interactive one shows it on the page.
		if params.Get("prompt") == "none" {
			fail(badRequest("interaction_required", 50057, "The user account is disabled."))
			return
		}
		p.signInPage(w, r, seg, params, "AADSTS50057: The user account is disabled.")
		return
	}
	if acc, ok := p.account(hint); ok {
		code := p.issueCode(authCode{
			clientID:    p.dashboard.ClientID,
			redirectURI: redirectURI,
			challenge:   challenge,
			nonce:       params.Get("nonce"),
			scope:       scope,
			account:     acc,
		})
		p.redirectWith(w, r, redirectURI, url.Values{"code": {code}, "state": {state}, "session_state": {uuid.NewString()}})
		return
	}
	// No session cookie is kept: without a usable hint the user must pick an account.
	if params.Get("prompt") == "none" {
		fail(badRequest("login_required", 50058, "A silent sign-in request was sent but no user is signed in."))
		return
	}
	msg := ""
	if hint != "" {
		msg = "This account is not one of the demo accounts. Pick one below."
	}
	p.signInPage(w, r, seg, params, msg)
}

// validChallenge checks an S256 challenge: base64url of a SHA-256 hash, 43 characters.
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil
}

func (p *Provider) issueCode(c authCode) string {
	now := p.now()
	c.expires = now.Add(codeLifetime)
	code := randomToken(32)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.codes) >= maxCodes/2 {
		for k, v := range p.codes {
			if now.After(v.expires) {
				delete(p.codes, k)
			}
		}
	}
	if len(p.codes) >= maxCodes {
		// A flood of unredeemed codes: drop an arbitrary one rather than grow without bound.
		for k := range p.codes {
			delete(p.codes, k)
			break
		}
	}
	p.codes[code] = &c
	return code
}

// takeCode returns the code's grant and marks it used. Any redemption attempt spends the code,
// so a guessed verifier cannot be retried.
func (p *Provider) takeCode(code string) (authCode, *oauthError) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.codes[code]
	switch {
	case !ok:
		return authCode{}, badRequest("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid. The authorization code is not valid.")
	case c.used:
		return authCode{}, badRequest("invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
	case p.now().After(c.expires):
		delete(p.codes, code)
		return authCode{}, badRequest("invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
	}
	c.used = true
	return *c, nil
}

func (p *Provider) redeemCode(r *http.Request, form url.Values) (tokenReply, *oauthError) {
	id, secret, oerr := clientAuth(r, form)
	if oerr != nil {
		return tokenReply{}, oerr
	}
	if id == "" {
		return tokenReply{}, missingParam("client_id")
	}
	if p.dashboard.ClientID == "" || !strings.EqualFold(id, p.dashboard.ClientID) {
		return tokenReply{}, badRequest("unauthorized_client", 700016, "Application with identifier '%s' was not found in the directory '%s'.", truncate(id, 64), p.tenantID)
	}
	if p.dashboard.Secret != "" {
		if secret == "" {
			return tokenReply{}, badClient(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		}
		if subtle.ConstantTimeCompare([]byte(secret), []byte(p.dashboard.Secret)) != 1 {
			return tokenReply{}, badClient(7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", p.dashboard.ClientID)
		}
	}
	code := form.Get("code")
	if code == "" {
		return tokenReply{}, missingParam("code")
	}
	grant, oerr := p.takeCode(code)
	if oerr != nil {
		return tokenReply{}, oerr
	}
	if !strings.EqualFold(grant.clientID, id) {
		return tokenReply{}, badRequest("invalid_grant", 70000, "The request was denied because one or more grants are invalid: the code was issued to another client.")
	}
	if form.Get("redirect_uri") != grant.redirectURI {
		return tokenReply{}, badRequest("invalid_grant", 500112, "The reply address '%s' does not match the reply address '%s' provided when requesting the authorization code.", truncate(form.Get("redirect_uri"), 256), grant.redirectURI)
	}
	verifier := form.Get("code_verifier")
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	if verifier == "" || subtle.ConstantTimeCompare([]byte(got), []byte(grant.challenge)) != 1 {
		return tokenReply{}, badRequest("invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
	}
	now := p.now()
	resource, oerr := p.resourceFromScope(grant.scope, false)
	if oerr != nil {
		return tokenReply{}, oerr
	}
	at, err := p.userAccessToken(grant.account, grant.clientID, resource, delegatedScopes(grant.scope), now)
	if err != nil {
		return tokenReply{}, &oauthError{status: http.StatusInternalServerError, code: "server_error", aadsts: 90100, desc: err.Error()}
	}
	idt, err := p.idToken(grant.account, IDTokenOptions{Nonce: grant.nonce, IssuedAt: now})
	if err != nil {
		return tokenReply{}, &oauthError{status: http.StatusInternalServerError, code: "server_error", aadsts: 90100, desc: err.Error()}
	}
	p.log.Info("identity: signed in", "upn", grant.account.UPN)
	return tokenReply{
		TokenType:    "Bearer",
		Scope:        grant.scope,
		ExpiresIn:    expiresIn,
		ExtExpiresIn: expiresIn,
		AccessToken:  at,
		IDToken:      idt,
	}, nil
}

// delegatedScopes is the scp claim: the requested scopes without the OIDC ones.
func delegatedScopes(scope string) string {
	var out []string
	for _, s := range strings.Fields(scope) {
		switch s {
		case "openid", "offline_access":
			continue
		}
		if i := strings.LastIndex(s, "/"); i >= 0 {
			s = s[i+1:]
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func (p *Provider) redirectWith(w http.ResponseWriter, r *http.Request, redirectURI string, add url.Values) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		p.errorPage(w, badRequest("invalid_request", 50011, "The redirect URI is not valid."))
		return
	}
	q := u.Query()
	for k, vs := range add {
		if len(vs) > 0 && vs[0] != "" {
			q.Set(k, vs[0])
		}
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store, no-cache")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// redirectError reports an authorize error to the (already validated) client, as OAuth does.
func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, redirectURI, state string, e *oauthError) {
	p.log.Info("identity: authorize refused", "error", e.code, "aadsts", e.aadsts, "description", e.desc)
	p.redirectWith(w, r, redirectURI, url.Values{
		"error":             {e.code},
		"error_description": {"AADSTS" + strconv.Itoa(e.aadsts) + ": " + e.desc},
		"state":             {state},
	})
}

func (p *Provider) serveLogout(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	if !p.tenantSegment(seg) {
		p.errorPage(w, tenantNotFound(seg))
		return
	}
	q := r.URL.Query()
	if uri := q.Get("post_logout_redirect_uri"); p.validRedirect(uri) {
		p.redirectWith(w, r, uri, url.Values{"state": {q.Get("state")}})
		return
	}
	p.render(w, http.StatusOK, pageData{Title: "You signed out of your account", Message: "It's a good idea to close all browser windows."})
}

type hiddenField struct{ Name, Value string }

type accountButton struct {
	UPN, DisplayName, Roles string
}

type pageData struct {
	Title    string
	Message  string
	Error    string
	TenantID string
	Action   string
	Hidden   []hiddenField
	Accounts []accountButton
	Picker   bool
}

func (p *Provider) signInPage(w http.ResponseWriter, r *http.Request, seg string, params url.Values, msg string) {
	d := pageData{
		Title:    "Sign in to your account",
		Error:    msg,
		TenantID: p.tenantID,
		Action:   p.browserEndpoint(seg, "/oauth2/v2.0/authorize"),
		Picker:   true,
	}
	for _, name := range authParams {
		if v := params.Get(name); v != "" {
			d.Hidden = append(d.Hidden, hiddenField{name, v})
		}
	}
	for _, a := range p.Accounts() {
		roles := "no app role"
		if len(a.Roles) > 0 {
			roles = strings.Join(a.Roles, ", ")
		}
		d.Accounts = append(d.Accounts, accountButton{UPN: a.UPN, DisplayName: a.DisplayName, Roles: roles})
	}
	p.render(w, http.StatusOK, d)
}

func (p *Provider) errorPage(w http.ResponseWriter, e *oauthError) {
	p.log.Info("identity: sign-in error page", "error", e.code, "aadsts", e.aadsts, "description", e.desc)
	p.render(w, e.status, pageData{
		Title:   "Sorry, but we're having trouble signing you in.",
		Error:   "AADSTS" + strconv.Itoa(e.aadsts) + ": " + e.desc,
		Message: "The application sent a request this tenant cannot accept.",
	})
}

func (p *Provider) render(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	// No script at all; the inline style block is the only inline content.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, d) // the client went away; nothing to do
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;margin:0}
main{max-width:440px;margin:8vh auto;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:24px;font-weight:600;margin:0 0 12px}
.sub{color:#666;font-size:13px;margin:0 0 20px}
.error{color:#e81123}
ul{list-style:none;padding:0;margin:0}
li{margin:0 0 8px}
button{width:100%;text-align:left;padding:12px;border:1px solid #ccc;background:#fff;cursor:pointer;font:inherit}
button:hover,button:focus{background:#f2f2f2;border-color:#0067b8}
.name{display:block;font-weight:600}
.upn,.roles{display:block;font-size:13px;color:#555}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{if .TenantID}}<p class="sub">Simulated Microsoft Entra ID &middot; tenant {{.TenantID}}</p>{{end}}
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .Picker}}
{{if .Accounts}}<p>Pick a demo account:</p>
<ul>
{{range .Accounts}}<li><form method="post" action="{{$.Action}}">
{{range $.Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<button type="submit" name="login_hint" value="{{.UPN}}"><span class="name">{{.DisplayName}}</span><span class="upn">{{.UPN}}</span><span class="roles">{{.Roles}}</span></button>
</form></li>
{{end}}</ul>
{{else}}<p>No demo accounts are configured.</p>{{end}}
{{end}}
</main>
</body>
</html>
`))
