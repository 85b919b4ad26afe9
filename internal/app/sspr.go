package app

import (
	"context"
	"log/slog"

	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/graph"
	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/live"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/sspr"
	"github.com/tenantdesk/tenantdesk/internal/store"
)

// NewSSPRVerifier builds the password-reset request check: users from the snapshot, then from
// Graph (newer than the snapshot); the audit log, directory roles and the tenant id from
// Graph; the connecting address looked up in the IP ranges.
// Graph's reads go through guard, as a page's live reads do: within the page's time limit, and
// not at all while Graph is not answering.
func NewSSPRVerifier(cfg config.Config, st *store.Store, gc *graph.Client, ip iprange.Looker, guard *live.Guard, logger *slog.Logger) (*sspr.Verifier, error) {
	g := guardedGraph{gc: gc, guard: guard}
	return sspr.New(sspr.Deps{
		Users:    []sspr.UserSource{st, g},
		Audits:   g,
		Roles:    g,
		IP:       ip,
		TenantID: gc.TenantID,
		Options: sspr.Options{MaxBytes: cfg.SSPRMaxBytes, Before: cfg.SSPRWindowBefore, After: cfg.SSPRWindowAfter,
			TrustedARCSealers: cfg.SSPRTrustedARCSealers},
		Logger: logger,
	})
}

// guardedGraph is the verifier's Graph reads within a live.Guard.
type guardedGraph struct {
	gc    *graph.Client
	guard *live.Guard
}

func (g guardedGraph) User(ctx context.Context, idOrUPN string) (model.User, error) {
	var u model.User
	err := g.guard.Do(ctx, func(ctx context.Context) error {
		var err error
		u, err = g.gc.User(ctx, idOrUPN)
		return err
	})
	return u, err
}

func (g guardedGraph) DirectoryAudits(ctx context.Context, q model.AuditQuery) ([]model.AuditEvent, error) {
	var out []model.AuditEvent
	err := g.guard.Do(ctx, func(ctx context.Context) error {
		var err error
		out, err = g.gc.DirectoryAudits(ctx, q)
		return err
	})
	return out, err
}

func (g guardedGraph) DirectoryRoles(ctx context.Context) ([]model.DirectoryRole, error) {
	var out []model.DirectoryRole
	err := g.guard.Do(ctx, func(ctx context.Context) error {
		var err error
		out, err = g.gc.DirectoryRoles(ctx)
		return err
	})
	return out, err
}

func (g guardedGraph) DirectoryRoleMembers(ctx context.Context, roleID string) ([]model.DirectoryObject, error) {
	var out []model.DirectoryObject
	err := g.guard.Do(ctx, func(ctx context.Context) error {
		var err error
		out, err = g.gc.DirectoryRoleMembers(ctx, roleID)
		return err
	})
	return out, err
}
