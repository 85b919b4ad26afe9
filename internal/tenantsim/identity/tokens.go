package identity

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Graph resource identifiers: the public cloud, the national clouds, and Graph's app id, which
// Entra puts in aud for delegated tokens.
var graphAudiences = map[string]bool{
	"https://graph.microsoft.com":             true,
	"https://graph.microsoft.us":              true,
	"https://dod-graph.microsoft.us":          true,
	"https://microsoftgraph.chinacloudapi.cn": true,
	"00000003-0000-0000-c000-000000000000":    true,
}

const graphResource = "https://graph.microsoft.com"

// isGraphResource reports whether resource names Microsoft Graph: one of the clouds' Graph
// hosts, Graph's app id, or the simulator's own base URL, at which its Graph answers (as a
// client configured with a custom Graph endpoint, like PowerShell's Add-MgEnvironment, asks
// for "<endpoint>/.default").
func (p *Provider) isGraphResource(resource string) bool {
	r := strings.ToLower(strings.TrimSuffix(resource, "/"))
	return graphAudiences[r] || r == strings.ToLower(p.base)
}

// Access token verification failures. GraphMessage turns them into the message Graph puts in its
// 401 InvalidAuthenticationToken error.
var (
	ErrTokenEmpty     = errors.New("identity: access token is empty")
	ErrTokenMalformed = errors.New("identity: access token is malformed")
	ErrTokenSignature = errors.New("identity: access token signature is invalid")
	ErrTokenExpired   = errors.New("identity: access token has expired or is not yet valid")
	ErrTokenTenant    = errors.New("identity: access token is for another tenant")
	ErrTokenAudience  = errors.New("identity: access token is for another resource")
)

// GraphMessage is the message Microsoft Graph returns with 401 InvalidAuthenticationToken for a
// verification error from VerifyAccessToken.
func GraphMessage(err error) string {
	switch {
	case errors.Is(err, ErrTokenEmpty):
		return "Access token is empty."
	case errors.Is(err, ErrTokenMalformed):
		return "CompactToken parsing failed with error code: 80049217"
	case errors.Is(err, ErrTokenExpired):
		return "Lifetime validation failed, the token is expired."
	case errors.Is(err, ErrTokenTenant):
		return "Access token validation failure. Invalid issuer."
	case errors.Is(err, ErrTokenAudience):
		return "Access token validation failure. Invalid audience."
	default:
		return "Access token validation failure."
	}
}

// AccessClaims is what the simulated Graph needs from a verified access token.
type AccessClaims struct {
	AppID     string // appid: the client that got the token
	AppName   string // app_displayname
	TenantID  string
	Roles     []string // application permissions granted (app tokens)
	ExpiresAt time.Time
	Audience  string
	ObjectID  string // oid: the service principal (app tokens) or the user (delegated tokens)
	IDType    string // idtyp: "app" or "user"
	UPN       string // delegated tokens only
}

// accessClaims is the body of an access token, v1 shape, as Entra issues them for Graph.
type accessClaims struct {
	jwt.RegisteredClaims
	// Aud shadows RegisteredClaims.Audience, which jwt marshals as an array; Entra sends a string.
	Aud            string   `json:"aud"`
	AIO            string   `json:"aio,omitempty"`
	AppDisplayName string   `json:"app_displayname,omitempty"`
	AppID          string   `json:"appid"`
	AppIDACR       string   `json:"appidacr,omitempty"`
	IDP            string   `json:"idp,omitempty"`
	IDType         string   `json:"idtyp"`
	OID            string   `json:"oid"`
	Roles          []string `json:"roles,omitempty"`
	Scp            string   `json:"scp,omitempty"`
	Name           string   `json:"name,omitempty"`
	UPN            string   `json:"upn,omitempty"`
	TID            string   `json:"tid"`
	UTI            string   `json:"uti"`
	Ver            string   `json:"ver"`
}

// idClaims is the body of a v2 ID token.
type idClaims struct {
	jwt.RegisteredClaims
	Aud               string   `json:"aud"` // a string, as Entra sends it
	Nonce             string   `json:"nonce,omitempty"`
	Name              string   `json:"name,omitempty"`
	OID               string   `json:"oid"`
	PreferredUsername string   `json:"preferred_username,omitempty"`
	Roles             []string `json:"roles,omitempty"`
	TID               string   `json:"tid"`
	UTI               string   `json:"uti"`
	Ver               string   `json:"ver"`
}

// sign signs claims with the provider's key (or the foreign one), with Entra's header.
func (p *Provider) sign(claims jwt.Claims, foreign bool) (string, error) {
	key := p.key
	if foreign {
		var err error
		if key, err = p.foreign(); err != nil {
			return "", err
		}
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = p.kid
	t.Header["x5t"] = p.x5t
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("identity: sign token: %w", err)
	}
	return s, nil
}

// foreign is a key that is not in the JWKS but announces the real kid, so a verifier picks the
// real key and must fail on the signature.
func (p *Provider) foreign() (*rsa.PrivateKey, error) {
	p.foreignOnce.Do(func() {
		p.foreignKey, p.foreignErr = rsa.GenerateKey(rand.Reader, 2048)
	})
	if p.foreignErr != nil {
		return nil, fmt.Errorf("identity: generate foreign key: %w", p.foreignErr)
	}
	return p.foreignKey, nil
}

// appAccessToken issues a client-credentials token for a.
func (p *Provider) appAccessToken(a *app, resource, acr string, now, exp time.Time, foreign bool) (string, error) {
	oid := derivedID("serviceprincipal", strings.ToLower(a.ClientID))
	c := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    p.accessIssuer(),
			Subject:   oid,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Aud:            resource,
		AIO:            randomToken(24),
		AppDisplayName: a.DisplayName,
		AppID:          a.ClientID,
		AppIDACR:       acr,
		IDP:            p.accessIssuer(),
		IDType:         "app",
		OID:            oid,
		Roles:          a.Roles,
		TID:            p.tenantID,
		UTI:            randomToken(16),
		Ver:            "1.0",
	}
	return p.sign(c, foreign)
}

// userAccessToken issues the delegated token that accompanies an authorization code redemption.
func (p *Provider) userAccessToken(acc Account, clientID, resource, scp string, now time.Time) (string, error) {
	c := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    p.accessIssuer(),
			Subject:   pairwiseSub(acc.ObjectID, resource),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(tokenLifetime)),
		},
		Aud:            resource,
		AIO:            randomToken(24),
		AppDisplayName: p.dashboardName(),
		AppID:          clientID,
		AppIDACR:       "1",
		IDP:            p.accessIssuer(),
		IDType:         "user",
		OID:            acc.ObjectID,
		Scp:            scp,
		Name:           acc.DisplayName,
		UPN:            acc.UPN,
		TID:            p.tenantID,
		UTI:            randomToken(16),
		Ver:            "1.0",
	}
	return p.sign(c, false)
}

func (p *Provider) dashboardName() string { return "tenantdesk" }

// idToken issues an ID token for acc.
func (p *Provider) idToken(acc Account, o IDTokenOptions) (string, error) {
	iat := o.IssuedAt
	if iat.IsZero() {
		iat = p.now()
	}
	exp := o.ExpiresAt
	if exp.IsZero() {
		exp = iat.Add(tokenLifetime)
	}
	aud := o.Audience
	if aud == "" {
		aud = p.dashboard.ClientID
	}
	iss := o.Issuer
	if iss == "" {
		iss = p.IssuerURL()
	}
	roles := acc.Roles
	if o.Roles != nil {
		roles = o.Roles
	}
	c := idClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    iss,
			Subject:   pairwiseSub(acc.ObjectID, aud),
			IssuedAt:  jwt.NewNumericDate(iat),
			NotBefore: jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Aud:               aud,
		Nonce:             o.Nonce,
		Name:              acc.DisplayName,
		OID:               acc.ObjectID,
		PreferredUsername: acc.UPN,
		TID:               p.tenantID,
		UTI:               randomToken(16),
		Ver:               "2.0",
	}
	if len(roles) > 0 {
		c.Roles = roles
	}
	return p.sign(c, o.SignWithForeignKey)
}

// IDTokenOptions shapes a token from MintIDToken. Zero fields take what the provider would issue.
type IDTokenOptions struct {
	UPN       string // a configured demo account (required)
	Nonce     string
	Audience  string   // default: the dashboard's client id
	Issuer    string   // default: IssuerURL()
	Roles     []string // nil: the account's roles; empty non-nil: no roles claim
	IssuedAt  time.Time
	ExpiresAt time.Time // default: IssuedAt + 1h
	// SignWithForeignKey signs with a key that is not in the JWKS (same kid), so signature
	// verification must fail.
	SignWithForeignKey bool
}

// MintIDToken issues an ID token outside the sign-in flow, for tests that need tokens with a
// wrong audience, issuer, nonce, signature or lifetime.
func (p *Provider) MintIDToken(o IDTokenOptions) (string, error) {
	acc, ok := p.account(o.UPN)
	if !ok {
		return "", fmt.Errorf("mint ID token for %q: %w", o.UPN, ErrUnknownAccount)
	}
	return p.idToken(acc, o)
}

// AccessTokenOptions shapes a token from MintAccessToken.
type AccessTokenOptions struct {
	ClientID           string    // a configured app (required)
	Resource           string    // default https://graph.microsoft.com
	ExpiresAt          time.Time // default now + 1h
	SignWithForeignKey bool
}

// MintAccessToken issues an app access token without the token endpoint, for tests of the
// simulated Graph's token checks.
func (p *Provider) MintAccessToken(o AccessTokenOptions) (string, error) {
	a, ok := p.apps[strings.ToLower(o.ClientID)]
	if !ok {
		return "", fmt.Errorf("mint access token for %q: %w", o.ClientID, ErrUnknownApp)
	}
	res := o.Resource
	if res == "" {
		res = graphResource
	}
	now := p.now()
	exp := o.ExpiresAt
	if exp.IsZero() {
		exp = now.Add(tokenLifetime)
	}
	iat := now
	if exp.Before(iat) {
		iat = exp.Add(-tokenLifetime)
	}
	return p.appAccessToken(a, res, "1", iat, exp, o.SignWithForeignKey)
}

// ErrUnknownApp is returned when an app registration is not configured.
var ErrUnknownApp = errors.New("identity: unknown app")

// maxTokenLen bounds what the parsers look at; Entra tokens are a few kilobytes.
const maxTokenLen = 16 << 10

// VerifyAccessToken checks a bearer token as Graph would: signed by this provider, RS256,
// within its lifetime, issued for this tenant and for Graph. The error wraps one of the ErrToken
// sentinels.
func (p *Provider) VerifyAccessToken(raw string) (AccessClaims, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return AccessClaims{}, ErrTokenEmpty
	}
	if len(raw) > maxTokenLen || strings.Count(raw, ".") != 2 {
		return AccessClaims{}, ErrTokenMalformed
	}
	var c accessClaims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithTimeFunc(p.now),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(30*time.Second),
	)
	_, err := parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != p.kid {
			return nil, errors.New("unknown signing key")
		}
		return &p.key.PublicKey, nil
	})
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenMalformed):
		return AccessClaims{}, fmt.Errorf("%w: %v", ErrTokenMalformed, err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return AccessClaims{}, fmt.Errorf("%w: %v", ErrTokenSignature, err)
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet),
		errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return AccessClaims{}, fmt.Errorf("%w: %v", ErrTokenExpired, err)
	default:
		return AccessClaims{}, fmt.Errorf("%w: %v", ErrTokenMalformed, err)
	}
	if !strings.EqualFold(c.TID, p.tenantID) ||
		(c.Issuer != p.accessIssuer() && c.Issuer != p.IssuerURL()) {
		return AccessClaims{}, fmt.Errorf("%w: tid %q, iss %q", ErrTokenTenant, c.TID, c.Issuer)
	}
	aud := c.Aud
	if !p.isGraphResource(aud) {
		return AccessClaims{}, fmt.Errorf("%w: aud %q", ErrTokenAudience, aud)
	}
	out := AccessClaims{
		AppID:    c.AppID,
		AppName:  c.AppDisplayName,
		TenantID: c.TID,
		Roles:    c.Roles,
		Audience: aud,
		ObjectID: c.OID,
		IDType:   c.IDType,
		UPN:      c.UPN,
	}
	if c.ExpiresAt != nil {
		out.ExpiresAt = c.ExpiresAt.Time
	}
	return out, nil
}
