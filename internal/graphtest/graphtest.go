// Package graphtest is an in-memory stand-in for internal/graph's client in unit tests of the
// packages that consume it (assign, live, server): the test sets what each call returns, and
// every call is recorded. Integration tests use the simulated tenant and the real client instead.
package graphtest

import (
	"context"
	"sync"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Graph answers as its fields say. Set them before use (or under Lock); it is safe for
// concurrent use by the code under test.
type Graph struct {
	sync.Mutex

	Members    []model.DirectoryObject // GroupMembers, served 50 a page
	MembersErr error
	Audits     []model.AuditEvent // DirectoryAudits, filtered by Activity and first target
	AuditErr   error
	UserByID   map[string]model.User // what User and Users return
	Refuse     map[string]error      // ReprocessUsers refuses these ids with their error
	SKUs       []model.SKU
	GroupRead  model.Group // what Group returns for any id, with that id
	GroupErr   error
	InError    []model.DirectoryObject // MembersWithLicenseErrors
	InErrorErr error
	Roles      []model.DirectoryRole // DirectoryRoles (without members) and each role's DirectoryRoleMembers
	RolesErr   error

	// What was asked.
	Reprocessed  [][]string
	AuditQueries []model.AuditQuery
	UserReads    int
	ListReads    int
}

// New is a Graph with empty maps and a group whose processing is complete.
func New() *Graph {
	return &Graph{UserByID: map[string]model.User{}, Refuse: map[string]error{},
		GroupRead: model.Group{ProcessingState: model.ProcessingComplete}}
}

// ReprocessUsers accepts every id but those in Refuse, one outcome each, in order.
func (g *Graph) ReprocessUsers(_ context.Context, ids []string, progress func(int)) []model.ReprocessOutcome {
	g.Lock()
	defer g.Unlock()
	g.Reprocessed = append(g.Reprocessed, append([]string(nil), ids...))
	out := make([]model.ReprocessOutcome, len(ids))
	for i, id := range ids {
		out[i] = model.ReprocessOutcome{UserID: id, Err: g.Refuse[id]}
		if progress != nil {
			progress(i + 1)
		}
	}
	return out
}

// User returns UserByID[id], else Graph's 404.
func (g *Graph) User(_ context.Context, id string) (model.User, error) {
	g.Lock()
	defer g.Unlock()
	g.UserReads++
	if u, ok := g.UserByID[id]; ok {
		return u, nil
	}
	return model.User{}, &model.GraphError{Kind: model.GraphNotFound, Status: 404, Code: "Request_ResourceNotFound",
		Message: "Resource '" + id + "' does not exist or one of its queried reference-property objects are not present."}
}

// Users calls fn once with every user.
func (g *Graph) Users(_ context.Context, fn func([]model.User) error) error {
	g.Lock()
	g.ListReads++
	all := make([]model.User, 0, len(g.UserByID))
	for _, u := range g.UserByID {
		all = append(all, u)
	}
	g.Unlock()
	return fn(all)
}

// Group returns GroupRead with the id asked for (or GroupErr).
func (g *Graph) Group(_ context.Context, id string) (model.Group, error) {
	g.Lock()
	defer g.Unlock()
	if g.GroupErr != nil {
		return model.Group{}, g.GroupErr
	}
	gr := g.GroupRead
	gr.ID = id
	return gr, nil
}

// GroupMembers pages through Members, 50 a page (or fails with MembersErr).
func (g *Graph) GroupMembers(_ context.Context, _ string, fn func([]model.DirectoryObject) error) error {
	g.Lock()
	members, err := g.Members, g.MembersErr
	g.Unlock()
	if err != nil {
		return err
	}
	for i := 0; i < len(members); i += 50 {
		if err := fn(members[i:min(i+50, len(members))]); err != nil {
			return err
		}
	}
	return nil
}

// MembersWithLicenseErrors returns InError (or InErrorErr).
func (g *Graph) MembersWithLicenseErrors(context.Context, string) ([]model.DirectoryObject, error) {
	g.Lock()
	defer g.Unlock()
	return g.InError, g.InErrorErr
}

// SubscribedSKUs returns SKUs.
func (g *Graph) SubscribedSKUs(context.Context) ([]model.SKU, error) {
	g.Lock()
	defer g.Unlock()
	return g.SKUs, nil
}

// DirectoryAudits returns the Audits whose activity and first target match q (or AuditErr).
func (g *Graph) DirectoryAudits(_ context.Context, q model.AuditQuery) ([]model.AuditEvent, error) {
	g.Lock()
	defer g.Unlock()
	g.AuditQueries = append(g.AuditQueries, q)
	if g.AuditErr != nil {
		return nil, g.AuditErr
	}
	var out []model.AuditEvent
	for _, e := range g.Audits {
		if q.TargetID != "" && (len(e.Targets) == 0 || e.Targets[0].ID != q.TargetID) {
			continue
		}
		if q.Activity != "" && e.Activity != q.Activity {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// DirectoryRoles returns Roles without their members, or RolesErr.
func (g *Graph) DirectoryRoles(context.Context) ([]model.DirectoryRole, error) {
	g.Lock()
	defer g.Unlock()
	if g.RolesErr != nil {
		return nil, g.RolesErr
	}
	out := make([]model.DirectoryRole, len(g.Roles))
	for i, r := range g.Roles {
		out[i] = model.DirectoryRole{ID: r.ID, DisplayName: r.DisplayName, TemplateID: r.TemplateID}
	}
	return out, nil
}

// DirectoryRoleMembers returns the members of the role in Roles with this id, else Graph's 404.
func (g *Graph) DirectoryRoleMembers(_ context.Context, id string) ([]model.DirectoryObject, error) {
	g.Lock()
	defer g.Unlock()
	if g.RolesErr != nil {
		return nil, g.RolesErr
	}
	for _, r := range g.Roles {
		if r.ID == id {
			return append([]model.DirectoryObject(nil), r.Members...), nil
		}
	}
	return nil, &model.GraphError{Kind: model.GraphNotFound, Status: 404, Code: "Request_ResourceNotFound", Message: "Resource '" + id + "' does not exist."}
}
