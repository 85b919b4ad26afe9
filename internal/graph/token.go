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

// tokenRoles decodes a JWT's payload (without verifying it: it is our own token, fresh from the
// authority over TLS) and returns its roles claim, sorted and deduplicated. A token without
// roles has none granted.
func tokenRoles(jwt string) ([]string, error) {
	parts := strings.Split(strings.TrimSpace(jwt), ".")
	if len(parts) != 3 {
		return nil, errors.New("access token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		// Some issuers pad or use the standard alphabet.
		payload, err = base64.StdEncoding.DecodeString(padBase64(strings.NewReplacer("-", "+", "_", "/").Replace(parts[1])))
		if err != nil {
			return nil, fmt.Errorf("access token payload: %w", err)
		}
	}
	var claims struct {
		Roles json.RawMessage `json:"roles"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, fmt.Errorf("access token payload: %w", err)
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

func padBase64(s string) string {
	s = strings.TrimRight(s, "=")
	if n := len(s) % 4; n != 0 {
		s += strings.Repeat("=", 4-n)
	}
	return s
}
