package app

import (
	"context"

	"github.com/tenantdesk/tenantdesk/internal/graph"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/server"
)

// directory adapts the Graph client to server.Directory, so the web server gets live Graph
// without compiling the SDK, and Graph's errors arrive as server.GraphErrors it can explain.
type directory struct{ c *graph.Client }

// NewDirectory wraps a Graph client for the licensing pages (members, audit events, reprocess).
func NewDirectory(c *graph.Client) server.Directory { return directory{c} }

func (d directory) ReprocessUsers(ctx context.Context, ids []string) []server.ReprocessOutcome {
	res := d.c.ReprocessUsers(ctx, ids, nil)
	out := make([]server.ReprocessOutcome, len(res))
	for i, o := range res {
		out[i] = server.ReprocessOutcome{UserID: o.UserID, Err: graphError(o.Err)}
	}
	return out
}

func (d directory) User(ctx context.Context, id string) (model.User, error) {
	u, err := d.c.User(ctx, id)
	return u, graphError(err)
}

func (d directory) Users(ctx context.Context, fn func([]model.User) error) error {
	return graphError(d.c.Users(ctx, fn))
}

func (d directory) Group(ctx context.Context, id string) (model.Group, error) {
	g, err := d.c.Group(ctx, id)
	return g, graphError(err)
}

func (d directory) GroupMembers(ctx context.Context, id string, fn func([]model.DirectoryObject) error) error {
	return graphError(d.c.GroupMembers(ctx, id, fn))
}

func (d directory) MembersWithLicenseErrors(ctx context.Context, id string) ([]model.DirectoryObject, error) {
	objs, err := d.c.MembersWithLicenseErrors(ctx, id)
	return objs, graphError(err)
}

func (d directory) SubscribedSKUs(ctx context.Context) ([]model.SKU, error) {
	skus, err := d.c.SubscribedSKUs(ctx)
	return skus, graphError(err)
}

func (d directory) DirectoryAudits(ctx context.Context, q server.AuditQuery) ([]model.AuditEvent, error) {
	events, err := d.c.DirectoryAudits(ctx, graph.AuditFilter{Activity: q.Activity, TargetID: q.TargetID,
		Since: q.Since, Max: q.Max, Top: q.Max})
	return events, graphError(err)
}

// graphError turns the client's classified error into the server's; other errors (the
// caller's own, a cancelled context) pass unchanged.
func graphError(err error) error {
	return err
}
