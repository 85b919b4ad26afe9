package graphtest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Templates is Graph for tests of template management: groups kept by id (read back as
// assignLicense leaves them, processing queued), groups created and found by name, member
// counts, and every write recorded. Members and users come from the embedded Graph.
type Templates struct {
	*Graph
	Groups    map[string]model.Group // by id; Group answers 404 for others
	AssignErr error                  // AssignGroupLicenses fails with it
	CreateErr error                  // CreateDynamicGroup fails with it
	Counts    map[string]model.MemberCounts

	Assigned []AssignCall     // what AssignGroupLicenses was asked
	Created  []model.NewGroup // what CreateDynamicGroup was asked
}

// AssignCall is one AssignGroupLicenses call.
type AssignCall struct {
	GroupID string
	Add     []model.AssignedLicense
	Remove  []string
}

// NewTemplates is a Templates with no groups.
func NewTemplates() *Templates {
	return &Templates{Graph: New(), Groups: map[string]model.Group{}, Counts: map[string]model.MemberCounts{}}
}

// Group returns the group with this id, else Graph's 404.
func (g *Templates) Group(_ context.Context, id string) (model.Group, error) {
	g.Lock()
	defer g.Unlock()
	if gr, ok := g.Groups[model.NormalizeID(id)]; ok {
		return gr, nil
	}
	return model.Group{}, &model.GraphError{Kind: model.GraphNotFound, Status: 404, Code: "Request_ResourceNotFound",
		Message: "Resource '" + id + "' does not exist or one of its queried reference-property objects are not present."}
}

// AssignGroupLicenses records the call and, unless AssignErr, changes the group's template as
// Graph does and queues its processing.
func (g *Templates) AssignGroupLicenses(_ context.Context, id string, add []model.AssignedLicense, remove []string) (model.Group, error) {
	g.Lock()
	defer g.Unlock()
	g.Assigned = append(g.Assigned, AssignCall{GroupID: id, Add: slices.Clone(add), Remove: slices.Clone(remove)})
	if g.AssignErr != nil {
		return model.Group{}, g.AssignErr
	}
	gr, ok := g.Groups[model.NormalizeID(id)]
	if !ok {
		return model.Group{}, &model.GraphError{Kind: model.GraphNotFound, Status: 404, Code: "Request_ResourceNotFound", Message: "Resource '" + id + "' does not exist."}
	}
	var next []model.AssignedLicense
	for _, l := range gr.AssignedLicenses {
		if !slices.ContainsFunc(remove, func(r string) bool { return model.SameID(r, l.SKUID) }) &&
			!slices.ContainsFunc(add, func(a model.AssignedLicense) bool { return model.SameID(a.SKUID, l.SKUID) }) {
			next = append(next, l)
		}
	}
	gr.AssignedLicenses = append(next, add...)
	gr.ProcessingState = model.ProcessingQueued
	g.Groups[model.NormalizeID(id)] = gr
	return gr, nil
}

// CreateDynamicGroup records the call and, unless CreateErr, adds the group.
func (g *Templates) CreateDynamicGroup(_ context.Context, ng model.NewGroup) (model.Group, error) {
	g.Lock()
	defer g.Unlock()
	g.Created = append(g.Created, ng)
	if g.CreateErr != nil {
		return model.Group{}, g.CreateErr
	}
	gr := model.Group{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", len(g.Created)), DisplayName: ng.DisplayName,
		Description: ng.Description, GroupTypes: []string{"DynamicMembership"}, SecurityEnabled: true, MembershipRule: ng.MembershipRule}
	g.Groups[gr.ID] = gr
	return gr, nil
}

// GroupsNamed returns the groups whose name is name, in any case.
func (g *Templates) GroupsNamed(_ context.Context, name string) ([]model.Group, error) {
	g.Lock()
	defer g.Unlock()
	var out []model.Group
	for _, gr := range g.Groups {
		if strings.EqualFold(gr.DisplayName, name) {
			out = append(out, gr)
		}
	}
	slices.SortFunc(out, func(a, b model.Group) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// MemberCounts returns Counts for the groups it has.
func (g *Templates) MemberCounts(_ context.Context, ids []string, _ func(string) bool, _ func(int)) (map[string]model.MemberCounts, error) {
	g.Lock()
	defer g.Unlock()
	out := map[string]model.MemberCounts{}
	for _, id := range ids {
		if c, ok := g.Counts[id]; ok {
			out[id] = c
		}
	}
	return out, nil
}
