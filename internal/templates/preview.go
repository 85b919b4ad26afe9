package templates

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// SKUOption is a subscription the editor offers, with its plans named.
type SKUOption struct {
	SKU        model.NamedSKU
	PartNumber string
	Status     string // capabilityStatus
	Available  int
	Plans      []PlanOption
}

// PlanOption is one service plan of a SKUOption.
type PlanOption struct {
	Plan model.NamedPlan
	Tech string // servicePlanName
}

// Editor is what the template editor shows: the group with its template as Graph has it now
// (or as the snapshot has it, when Graph could not be read), and every subscription a group can
// assign.
type Editor struct {
	Group    model.Group
	Template []model.AssignedLicense // canonical
	// ReadProblem says why the template shown is the snapshot's, not Graph's; "" when fresh.
	ReadProblem  string
	SKUs         []SKUOption
	Names        *licensing.Names
	ApplyBlocked string
}

// Editor reads what the editor of groupID's template needs.
func (s *Service) Editor(ctx context.Context, groupID string) (Editor, error) {
	t, err := s.tenant(ctx)
	if err != nil {
		return Editor{}, err
	}
	e := Editor{Names: t.names, ApplyBlocked: s.ApplyBlocked(ctx)}
	g, err := s.freshGroup(ctx, groupID)
	switch {
	case err == nil:
	case errors.Is(err, model.ErrNotFound):
		return e, err
	default:
		i := slices.IndexFunc(t.groups, func(x model.Group) bool { return model.SameID(x.ID, groupID) })
		if i < 0 {
			return e, err
		}
		g = t.groups[i]
		e.ReadProblem = "The template could not be read from Microsoft Graph (" + model.DescribeGraphError(err) + "); this is the snapshot's, which may be older."
	}
	e.Group, e.Template = g, licensing.CanonicalTemplate(g.AssignedLicenses)
	e.SKUs = skuOptions(t)
	return e, nil
}

// SKUOptions are the subscriptions a group can assign, with their plans named (the bulk form's
// choices).
func (s *Service) SKUOptions(ctx context.Context) ([]SKUOption, error) {
	t, err := s.tenant(ctx)
	if err != nil {
		return nil, err
	}
	return skuOptions(t), nil
}

func skuOptions(t tenant) []SKUOption {
	var out []SKUOption
	for _, s := range t.userSKUs() {
		o := SKUOption{SKU: t.names.NamedSKU(model.NormalizeID(s.ID)), PartNumber: s.PartNumber, Status: s.CapabilityStatus, Available: s.Available()}
		for _, p := range s.ServicePlans {
			if p.AppliesTo != "" && !strings.EqualFold(p.AppliesTo, "User") {
				continue // a company-wide plan cannot be switched off per user
			}
			id := model.NormalizeID(p.ID)
			o.Plans = append(o.Plans, PlanOption{Plan: t.names.NamedPlan(id), Tech: p.Name})
		}
		slices.SortStableFunc(o.Plans, func(a, b PlanOption) int {
			return strings.Compare(strings.ToLower(a.Plan.Name), strings.ToLower(b.Plan.Name))
		})
		out = append(out, o)
	}
	slices.SortStableFunc(out, func(a, b SKUOption) int {
		return strings.Compare(strings.ToLower(a.SKU.Name), strings.ToLower(b.SKU.Name))
	})
	return out
}

// Preview is a proposed change of one group's template with everything that decides it: the
// diff, the request and the consequence member by member.
type Preview struct {
	Group model.Group
	// Current is the template the change is computed against, as Graph has it now; Proposed
	// the template after it. Both canonical.
	Current, Proposed []model.AssignedLicense
	Diff              licensing.TemplateDiff
	Change            licensing.Change
	Body              string // the assignLicense request body
	PowerShell        string
	Consequence       licensing.Consequence
	Names             *licensing.Names
	// GroupName names group ids for the consequence's sentences.
	GroupName func(id string) string
	// MembersAt is when the members were read; NotUsers counts members that are not users
	// (group-based licensing does not reach them); Fresh counts members newer than the
	// snapshot, read from Graph for the preview.
	MembersAt time.Time
	NotUsers  int
	Fresh     int
	// Problems are what makes the prediction less certain, in sentences.
	Problems     []string
	ApplyBlocked string
}

// Preview computes the consequence of changing groupID's template to proposed.
func (s *Service) Preview(ctx context.Context, groupID string, proposed []model.AssignedLicense) (Preview, error) {
	t, err := s.tenant(ctx)
	if err != nil {
		return Preview{}, err
	}
	g, err := s.freshGroup(ctx, groupID)
	if err != nil {
		return Preview{}, err
	}
	return s.preview(ctx, t, g, proposed)
}

func (s *Service) preview(ctx context.Context, t tenant, g model.Group, proposed []model.AssignedLicense) (Preview, error) {
	proposed, err := t.check(proposed)
	if err != nil {
		return Preview{}, err
	}
	current := licensing.CanonicalTemplate(g.AssignedLicenses)
	p := Preview{
		Group: g, Current: current, Proposed: proposed, Names: t.names, GroupName: t.groupName,
		Diff:         t.names.Diff(current, proposed),
		Change:       licensing.ChangeBetween(current, proposed),
		ApplyBlocked: s.ApplyBlocked(ctx),
	}
	p.Body, p.PowerShell = p.Change.Body(), p.Change.PowerShell(g.ID)
	members, err := s.memberUsers(ctx, &p)
	if err != nil {
		return p, err
	}
	p.Consequence = licensing.Predict(licensing.PredictInput{
		Names: t.names, SKUs: t.skus, Groups: t.groupTemplates(),
		Group:    licensing.GroupTemplate{ID: g.ID, Name: g.DisplayName, Template: current, Created: g.CreatedAt},
		Proposed: proposed, Members: members,
	})
	if p.Consequence.NoUsageLocation > 0 {
		p.Problems = append(p.Problems, fmt.Sprintf("%d %s no usage location: group-based licensing gives them the tenant's country, which tenantdesk does not read, so they are not checked against where services are offered.",
			p.Consequence.NoUsageLocation, plural(p.Consequence.NoUsageLocation, "member has", "members have")))
	}
	return p, nil
}

// memberIDs reads groupID's direct members from Graph: the users' ids (normalised, in Graph's
// order) and how many members are not users.
func (s *Service) memberIDs(ctx context.Context, groupID string) (ids []string, notUsers int, err error) {
	err = s.graph.GroupMembers(ctx, groupID, func(page []model.DirectoryObject) error {
		for _, o := range page {
			if o.Type == model.ObjectUser || o.Type == "" {
				ids = append(ids, model.NormalizeID(o.ID))
			} else {
				notUsers++
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("members of group %s: %w", groupID, err)
	}
	return ids, notUsers, nil
}

// memberUsers reads the group's direct members from Graph, in Graph's order, and takes each
// user's licenses from the snapshot (users newer than it from Graph, up to MaxFreshUsers).
func (s *Service) memberUsers(ctx context.Context, p *Preview) ([]model.User, error) {
	ids, notUsers, err := s.memberIDs(ctx, p.Group.ID)
	if err != nil {
		return nil, err
	}
	p.NotUsers += notUsers
	p.MembersAt = s.now()
	known, err := s.store.UsersByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("members' licenses: %w", err)
	}
	byID := make(map[string]model.User, len(known))
	for _, u := range known {
		byID[model.NormalizeID(u.ID)] = u
	}
	var missing []string
	for _, id := range ids {
		if _, ok := byID[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > MaxFreshUsers {
		p.Problems = append(p.Problems, fmt.Sprintf("%d members are newer than the data and counted as holding no license: refresh for an exact preview.", len(missing)))
		missing = nil
	}
	fresh := s.readUsers(ctx, missing)
	for id, u := range fresh {
		byID[id] = u
		p.Fresh++
	}
	if n := len(missing) - len(fresh); n > 0 {
		p.Problems = append(p.Problems, fmt.Sprintf("%d %s could not be read from Microsoft Graph: counted as holding no license.", n, plural(n, "member", "members")))
	}
	out := make([]model.User, 0, len(ids))
	for _, id := range ids {
		u, ok := byID[id]
		if !ok {
			u = model.User{ID: id, DisplayName: id}
		}
		out = append(out, u)
	}
	return out, nil
}

// readUsers reads users from Graph, a few at a time; those that fail are left out.
func (s *Service) readUsers(ctx context.Context, ids []string) map[string]model.User {
	out := map[string]model.User{}
	var mu sync.Mutex
	s.each(len(ids), func(i int) {
		u, err := s.graph.User(ctx, ids[i])
		if err != nil {
			s.log.DebugContext(ctx, "member not read", "user", ids[i], "err", err)
			return
		}
		mu.Lock()
		out[ids[i]] = u
		mu.Unlock()
	})
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
