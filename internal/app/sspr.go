package app

import (
	"log/slog"

	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/graph"
	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/sspr"
	"github.com/tenantdesk/tenantdesk/internal/store"
)

// NewSSPRVerifier builds the password-reset request check: users from the snapshot, then from
// Graph (newer than the snapshot); the audit log, directory roles and the tenant id from
// Graph; the connecting address looked up in the IP ranges.
func NewSSPRVerifier(cfg config.Config, st *store.Store, gc *graph.Client, ip iprange.Looker, logger *slog.Logger) (*sspr.Verifier, error) {
	return sspr.New(sspr.Deps{
		Users:    []sspr.UserSource{st, gc},
		Audits:   gc,
		Roles:    gc,
		IP:       ip,
		TenantID: gc.TenantID,
		Options: sspr.Options{MaxBytes: cfg.SSPRMaxBytes, Before: cfg.SSPRWindowBefore, After: cfg.SSPRWindowAfter,
			TrustedARCSealers: cfg.SSPRTrustedARCSealers},
		Logger: logger,
	})
}
