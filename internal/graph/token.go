package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/uuid"
)

// GrantedPermissions returns the application permissions (app roles) granted to the app, read
// from the roles claim of its own access token. Features needing others can be shown disabled.
func (c *Client) GrantedPermissions(ctx context.Context) ([]string, error) {
	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
	if err != nil {
		return nil, classify(err, "get access token", "")
	}
	roles, err := tokenRoles(tok.Token)
	if err != nil {
		return nil, fmt.Errorf("read granted permissions: %w", err)
	}
	return roles, nil
}

// TenantID is the directory id (GUID) of the tenant the app signs in to: the configured one
// when it is a GUID, else the tid claim of the app's own token (a tenant configured by its
// domain name).
func (c *Client) TenantID(ctx context.Context) (string, error) {
	if isGUID(c.tenant) {
		return strings.ToLower(c.tenant), nil
	}
	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
	if err != nil {
		return "", classify(err, "get access token", "")
	}
	claims, err := tokenClaims(tok.Token)
	if err != nil {
		return "", fmt.Errorf("read the tenant id: %w", err)
	}
	if !isGUID(claims.TID) {
		return "", errors.New("read the tenant id: the access token has no tid claim")
	}
	return strings.ToLower(claims.TID), nil
}

// tokenRoles decodes a JWT's payload (without verifying it: it is our own token, fresh from the
// authority over TLS) and returns its roles claim, sorted and deduplicated. A token without
// roles has none granted.
func tokenRoles(jwt string) ([]string, error) {
	claims, err := tokenClaims(jwt)
	if err != nil {
		return nil, err
	}
	var roles []string
	if len(claims.Roles) > 0 && string(claims.Roles) != "null" {
		if err := json.Unmarshal(claims.Roles, &roles); err != nil {
			// A single role is sometimes a bare string.
			var one string
			if json.Unmarshal(claims.Roles, &one) != nil {
				return nil, errors.New("access token: roles claim is neither a list nor a string")
			}
			roles = []string{one}
		}
	}
	out := roles[:0]
	for _, r := range roles {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// isGUID reports whether s is a GUID in its 36-character form.
func isGUID(s string) bool { return len(s) == 36 && uuid.Validate(s) == nil }

// claims are the access token claims tenantdesk reads.
type claims struct {
	Roles json.RawMessage `json:"roles"`
	TID   string          `json:"tid"`
}

// tokenClaims decodes a JWT's payload without verifying it: it is our own token, fresh from the
// authority over TLS.
func tokenClaims(jwt string) (claims, error) {
	var c claims
	parts := strings.Split(strings.TrimSpace(jwt), ".")
	if len(parts) != 3 {
		return c, errors.New("access token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		// Some issuers pad or use the standard alphabet.
		payload, err = base64.StdEncoding.DecodeString(padBase64(strings.NewReplacer("-", "+", "_", "/").Replace(parts[1])))
		if err != nil {
			return c, fmt.Errorf("access token payload: %w", err)
		}
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return c, fmt.Errorf("access token payload: %w", err)
	}
	return c, nil
}

func padBase64(s string) string {
	s = strings.TrimRight(s, "=")
	if n := len(s) % 4; n != 0 {
		s += strings.Repeat("=", 4-n)
	}
	return s
}
