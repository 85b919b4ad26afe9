package app

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/config"
)

// roleNames are the configured app-role names.
func roleNames(cfg config.Config) auth.RoleNames {
	return auth.RoleNames{auth.RoleReader: cfg.RoleReader, auth.RoleOperator: cfg.RoleOperator,
		auth.RoleLicenseAdmin: cfg.RoleLicenseAdmin}
}

// baseURL is the dashboard's external URL: the configured one, else the address ln listens
// on (so "127.0.0.1:0" in tests still yields the right redirect URL).
func baseURL(cfg config.Config, ln net.Listener) string {
	if cfg.PublicURL != "" || ln == nil {
		return cfg.BaseURL()
	}
	c := cfg
	c.Listen = ln.Addr().String()
	return c.BaseURL()
}

// NewAuthenticator builds dashboard sign-in from the configuration: the configured issuer or
// the tenant's Entra issuer in its cloud, the provider client trusting CAFile, and session keys
// from the configuration or generated once in the data directory.
func NewAuthenticator(cfg config.Config, ln net.Listener, sessions auth.SessionStore, logger *slog.Logger) (*auth.Authenticator, error) {
	issuer, derived := cfg.OIDCIssuer, false
	if issuer == "" {
		var err error
		if issuer, err = auth.Issuer(cfg.Cloud, cfg.TenantID); err != nil {
			return nil, fmt.Errorf("sign-in: %w", err)
		}
		derived = true
	}
	id, secret := cfg.OIDCClient()
	if id == "" {
		return nil, fmt.Errorf("sign-in: no client id: set TENANTDESK_OIDC_CLIENT_ID or TENANTDESK_CLIENT_ID")
	}
	client, err := auth.HTTPClient(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("sign-in: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("sign-in: data directory: %w", err)
	}
	keys, err := auth.LoadOrCreateKeys(cfg.DataDir, cfg.SessionKeys)
	if err != nil {
		return nil, fmt.Errorf("sign-in: %w", err)
	}
	base := baseURL(cfg, ln)
	a, err := auth.New(auth.Config{
		Issuer:       issuer,
		TenantIssuer: derived,
		ClientID:     id,
		ClientSecret: secret,
		RedirectURL:  base + auth.CallbackPath,
		HTTPClient:   client,
		Keys:         keys,
		RoleNames:    roleNames(cfg),
		Proxies:      cfg.TrustedProxies,
		AlwaysSecure: strings.HasPrefix(strings.ToLower(base), "https://"),
		Logger:       logger,

		Sessions:        sessions,
		IdleTimeout:     cfg.SessionIdle,
		AbsoluteTimeout: cfg.SessionMaxAge,
		RoleCheck:       cfg.SessionRoleCheck,
	})
	if err != nil {
		return nil, fmt.Errorf("sign-in: %w", err)
	}
	return a, nil
}
