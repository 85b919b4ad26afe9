package identity

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

const (
	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	maxFormBytes        = 64 << 10
)

// oauthError is an Entra error reply: an OAuth error code and an AADSTS number and text.
type oauthError struct {
	status int
	code   string // invalid_client, invalid_grant, ...
	aadsts int
	desc   string
}

func (e *oauthError) Error() string { return fmt.Sprintf("%s: AADSTS%d: %s", e.code, e.aadsts, e.desc) }

func badRequest(code string, aadsts int, format string, args ...any) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code, aadsts: aadsts, desc: fmt.Sprintf(format, args...)}
}

func badClient(aadsts int, format string, args ...any) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", aadsts: aadsts, desc: fmt.Sprintf(format, args...)}
}

func missingParam(name string) *oauthError {
	return badRequest("invalid_request", 900144, "The request body must contain the following parameter: '%s'.", name)
}

// writeOAuthError replies as Entra does: the AADSTS text with trace and correlation ids appended.
func (p *Provider) writeOAuthError(w http.ResponseWriter, r *http.Request, e *oauthError) {
	traceID := uuid.NewString()
	corrID := r.Header.Get("client-request-id")
	if _, err := uuid.Parse(corrID); err != nil {
		corrID = uuid.NewString()
	}
	ts := p.now().UTC().Format("2006-01-02 15:04:05Z")
	desc := fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", e.aadsts, e.desc, traceID, corrID, ts)
	p.log.Info("identity: request refused", "path", r.URL.Path, "error", e.code, "aadsts", e.aadsts, "description", e.desc)
	body := map[string]any{
		"error":             e.code,
		"error_description": desc,
		"error_codes":       []int{e.aadsts},
		"timestamp":         ts,
		"trace_id":          traceID,
		"correlation_id":    corrID,
		"error_uri":         p.base + "/error?code=" + fmt.Sprint(e.aadsts),
	}
	w.Header().Set("x-ms-request-id", traceID)
	writeJSON(w, r, e.status, body)
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	if id := r.Header.Get("client-request-id"); id != "" {
		h.Set("client-request-id", id)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

// tokenReply is Entra's token response. IDToken is omitted when empty: MSAL fails on "".
type tokenReply struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token,omitempty"`
}

func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	reply, oerr := p.token(w, r)
	if oerr != nil {
		p.writeOAuthError(w, r, oerr)
		return
	}
	writeJSON(w, r, http.StatusOK, reply)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) (tokenReply, *oauthError) {
	seg := r.PathValue("tenant")
	if !p.tenantSegment(seg) {
		return tokenReply{}, tenantNotFound(seg)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return tokenReply{}, badRequest("invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")
	}
	form := r.PostForm
	switch gt := form.Get("grant_type"); gt {
	case "":
		return tokenReply{}, missingParam("grant_type")
	case "client_credentials":
		return p.clientCredentials(r, seg, form)
	case "authorization_code":
		return p.redeemCode(r, form)
	default:
		return tokenReply{}, badRequest("unsupported_grant_type", 70003, "The app requested an unsupported grant type '%s'.", truncate(gt, 64))
	}
}

func tenantNotFound(seg string) *oauthError {
	return badRequest("invalid_request", 90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", truncate(seg, 64))
}

// clientAuth reads client_id and client_secret from HTTP Basic (form-encoded, RFC 6749 2.3.1) or
// from the form.
func clientAuth(r *http.Request, form url.Values) (id, secret string, oerr *oauthError) {
	if u, pw, ok := r.BasicAuth(); ok {
		var err1, err2 error
		id, err1 = url.QueryUnescape(u)
		secret, err2 = url.QueryUnescape(pw)
		if err1 != nil || err2 != nil {
			return "", "", badClient(7000215, "Invalid client secret provided.")
		}
		if f := form.Get("client_id"); f != "" && f != id {
			return "", "", badRequest("invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")
		}
		if form.Get("client_secret") != "" {
			return "", "", badRequest("invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")
		}
		return id, secret, nil
	}
	return form.Get("client_id"), form.Get("client_secret"), nil
}

func (p *Provider) clientCredentials(r *http.Request, seg string, form url.Values) (tokenReply, *oauthError) {
	id, secret, oerr := clientAuth(r, form)
	if oerr != nil {
		return tokenReply{}, oerr
	}
	if id == "" {
		return tokenReply{}, missingParam("client_id")
	}
	a, ok := p.apps[strings.ToLower(id)]
	if !ok {
		return tokenReply{}, badRequest("unauthorized_client", 700016, "Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", truncate(id, 64), p.tenantID)
	}
	assertion := form.Get("client_assertion")
	var acr string
	switch {
	case assertion != "" && secret != "":
		return tokenReply{}, badRequest("invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")
	case assertion != "":
		if form.Get("client_assertion_type") != clientAssertionType {
			return tokenReply{}, badRequest("invalid_request", 700023, "Invalid client_assertion_type: expected '%s'.", clientAssertionType)
		}
		if oerr := p.verifyAssertion(assertion, a, p.assertionAudiences(seg)); oerr != nil {
			return tokenReply{}, oerr
		}
		acr = "2"
	case secret != "":
		if a.Secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(a.Secret)) != 1 {
			return tokenReply{}, badClient(7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", a.ClientID)
		}
		acr = "1"
	default:
		return tokenReply{}, badClient(7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
	}
	// claims (a CAE challenge or client capabilities) is accepted and ignored, as a tenant
	// without CAE policies does.
	resource, oerr := p.resourceFromScope(form.Get("scope"), true)
	if oerr != nil {
		return tokenReply{}, oerr
	}
	now := p.now()
	at, err := p.appAccessToken(a, resource, acr, now, now.Add(tokenLifetime), false)
	if err != nil {
		return tokenReply{}, &oauthError{status: http.StatusInternalServerError, code: "server_error", aadsts: 90100, desc: err.Error()}
	}
	return tokenReply{TokenType: "Bearer", ExpiresIn: expiresIn, ExtExpiresIn: expiresIn, AccessToken: at}, nil
}

// resourceFromScope finds the one resource the scopes name. Client credentials require the
// "<resource>/.default" form; OIDC scopes ride along (MSAL always adds them). Microsoft Graph
// (see isGraphResource) is the only resource of the simulated tenant: any other answers
// AADSTS500011, as Entra does for a resource the tenant does not have.
func (p *Provider) resourceFromScope(scope string, appOnly bool) (string, *oauthError) {
	resource, oerr := scopeResource(scope, appOnly)
	if oerr != nil {
		return "", oerr
	}
	if !p.isGraphResource(resource) {
		return "", p.resourceNotFound(resource)
	}
	return resource, nil
}

// resourceNotFound is Entra's answer for a resource the tenant does not have.
func (p *Provider) resourceNotFound(resource string) *oauthError {
	return badRequest("invalid_resource", 500011, "The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
		truncate(resource, 128), p.tenantID)
}

// scopeResource is the one resource the scopes name, unchecked.
func scopeResource(scope string, appOnly bool) (string, *oauthError) {
	resource := ""
	for _, s := range strings.Fields(scope) {
		switch s {
		case "openid", "profile", "offline_access", "email":
			continue
		}
		var res string
		if r, ok := strings.CutSuffix(s, "/.default"); ok {
			res = r
		} else if appOnly {
			return "", badRequest("invalid_scope", 1002012, "The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", truncate(s, 128))
		} else if i := strings.LastIndex(s, "/"); i > 0 {
			res = s[:i]
		} else {
			res = graphResource // a bare delegated scope such as User.Read is a Graph scope
		}
		if res == "" {
			return "", badRequest("invalid_resource", 500011, "The resource principal named %s was not found in the tenant.", truncate(s, 128))
		}
		if resource != "" && !strings.EqualFold(resource, res) {
			return "", badRequest("invalid_scope", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope %s is not valid.", truncate(scope, 256))
		}
		resource = res
	}
	if resource == "" {
		if appOnly {
			return "", missingParam("scope")
		}
		resource = graphResource
	}
	return strings.TrimSuffix(resource, "/"), nil
}

// assertionAudiences are the audiences Entra accepts in a client assertion: the token endpoint
// the client called and the tenant's canonical one.
func (p *Provider) assertionAudiences(seg string) []string {
	return []string{
		p.endpoint(seg, "/oauth2/v2.0/token"),
		p.endpoint(p.tenantID, "/oauth2/v2.0/token"),
		p.endpoint(p.tenantID, "/oauth2/token"),
	}
}

// verifyAssertion checks a client assertion as Entra does: the header names a registered
// certificate by thumbprint (x5t#S256 or x5t), the signature (PS256 or RS256) verifies with its
// key, iss and sub are the client id, aud is the token endpoint, and exp has not passed.
func (p *Provider) verifyAssertion(raw string, a *app, audiences []string) *oauthError {
	if len(raw) > maxTokenLen || strings.Count(raw, ".") != 2 {
		return badClient(700025, "Client assertion is malformed: it is not a JWT in compact serialization.")
	}
	var claims jwt.RegisteredClaims
	var thumb string
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"PS256", "RS256"}),
		jwt.WithTimeFunc(p.now),
		jwt.WithLeeway(clockSkew),
		jwt.WithExpirationRequired(),
	)
	_, err := parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		c, th, err := findCert(t.Header, a.certs)
		thumb = th
		if err != nil {
			return nil, err
		}
		return c.PublicKey.(*rsa.PublicKey), nil
	})
	switch {
	case err == nil:
	case errors.Is(err, errKeyNotFound):
		return badClient(700027, "Client assertion failed signature validation. Reason - The key was not found., Thumbprint of key used by client: '%s'.", truncate(thumb, 64))
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return badClient(700024, "Client assertion is not within its valid time range. Current time: %s.", p.now().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return badClient(700027, "Client assertion failed signature validation. Thumbprint of key used by client: '%s'.", truncate(thumb, 64))
	default:
		return badClient(700025, "Client assertion is malformed: %s.", truncate(err.Error(), 128))
	}
	if claims.Issuer != a.ClientID || claims.Subject != a.ClientID {
		return badClient(700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .")
	}
	for _, aud := range claims.Audience {
		for _, want := range audiences {
			if strings.EqualFold(aud, want) {
				return nil
			}
		}
	}
	return badClient(700212, "Client assertion audience claim does not match the token endpoint. Expected '%s', got '%s'.", audiences[0], truncate(strings.Join(claims.Audience, " "), 256))
}

var errKeyNotFound = errors.New("no registered certificate matches the assertion's thumbprint")

// findCert picks the registered certificate the assertion's header names. MSAL base64-encodes
// thumbprints with the standard alphabet; RFC 7515 says base64url: both are accepted.
func findCert(header map[string]any, certs []*x509.Certificate) (*x509.Certificate, string, error) {
	if s, ok := header["x5t#S256"].(string); ok {
		return certByThumb(s, certs, sha256Sum)
	}
	if s, ok := header["x5t"].(string); ok {
		return certByThumb(s, certs, sha1Sum)
	}
	return nil, "", errKeyNotFound
}

// certByThumb finds the certificate whose sum is the thumbprint thumb; it returns thumb for
// the error message either way.
func certByThumb(thumb string, certs []*x509.Certificate, sum func([]byte) []byte) (*x509.Certificate, string, error) {
	want, ok := decodeThumb(thumb)
	for _, c := range certs {
		if ok && subtle.ConstantTimeCompare(want, sum(c.Raw)) == 1 {
			return c, thumb, nil
		}
	}
	return nil, thumb, errKeyNotFound
}

func decodeThumb(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// serveDiscovery serves the v2 OpenID Connect discovery document, shaped like Entra's.
func (p *Provider) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	if !p.tenantSegment(seg) {
		p.writeOAuthError(w, r, tenantNotFound(seg))
		return
	}
	doc := map[string]any{
		"token_endpoint":                        p.endpoint(seg, "/oauth2/v2.0/token"),
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              p.endpoint(seg, "/discovery/v2.0/keys"),
		"response_modes_supported":              []string{"query"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                p.IssuerURL(),
		"request_uri_parameter_supported":       false,
		"authorization_endpoint":                p.browserEndpoint(seg, "/oauth2/v2.0/authorize"),
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  p.browserEndpoint(seg, "/oauth2/v2.0/logout"),
		"claims_supported": []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
			"cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce",
			"preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email", "oid", "roles"},
		"code_challenge_methods_supported": []string{"S256"},
		"grant_types_supported":            []string{"authorization_code", "client_credentials"},
		"tenant_region_scope":              "EU",
		"cloud_instance_name":              "microsoftonline.com",
		"cloud_graph_host_name":            "graph.windows.net",
		"msgraph_host":                     "graph.microsoft.com",
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, r, http.StatusOK, doc)
}

// serveKeys serves the JWKS with the one signing key, its certificate and thumbprint.
func (p *Provider) serveKeys(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	if !p.tenantSegment(seg) {
		p.writeOAuthError(w, r, tenantNotFound(seg))
		return
	}
	pub := p.key.PublicKey
	key := map[string]any{
		"kty":    "RSA",
		"use":    "sig",
		"kid":    p.kid,
		"x5t":    p.x5t,
		"n":      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		"x5c":    []string{p.x5c},
		"issuer": p.IssuerURL(),
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, r, http.StatusOK, map[string]any{"keys": []any{key}})
}
