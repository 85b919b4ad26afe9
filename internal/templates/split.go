package templates

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// The split wizard: a group assigning several licenses becomes one dynamic security group per
// license ("<group name> - <license name>", members: the group's members, the same disabled
// plans), so that one license short of units no longer stops the others for everybody (all or
// none applies per group). Each new group is found again by its name and rule, so a run after a
// failure creates nothing twice. Removing the licenses from the original group afterwards is an
// ordinary template change, previewed like any other.

// PartState is where one license of a split stands.
type PartState string

// States of a split's part.
const (
	PartCreate      PartState = "create"       // no group yet: the run creates it
	PartSetTemplate PartState = "set-template" // the group exists; its template lacks the license
	PartReady       PartState = "ready"        // the group exists with the license
	PartNameTaken   PartState = "name-taken"   // another group has the name: the run skips it
)

// SplitPart is one license of the group to split and its dynamic group.
type SplitPart struct {
	License  model.AssignedLicense
	SKU      model.NamedSKU
	Disabled []model.NamedPlan
	Name     string
	Rule     string
	State    PartState
	Group    *model.Group // the dynamic group, when it exists
	Problem  string
}

// Requirement is something the split needs, and whether the tenant has it.
type Requirement struct {
	What   string
	Met    bool
	Detail string
}

// SplitPlan is what a split of one group would do and needs.
type SplitPlan struct {
	Group        model.Group
	Parts        []SplitPart
	Requirements []Requirement
	// Blocked says why the run cannot start ("" when it can): a requirement that is not met.
	Blocked string
}

// MemberOfRule is the membership rule of a group whose members are exactly groupID's.
func MemberOfRule(groupID string) string {
	return "user.memberof -any (group.objectId -in ['" + model.NormalizeID(groupID) + "'])"
}

// sameRule compares membership rules as Entra ID does: without regard to case and spacing.
func sameRule(a, b string) bool {
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), "") }
	return norm(a) == norm(b)
}

// PlanSplit says what splitting groupID would do: a dynamic group per license, each either to
// create, existing, or blocked by another group of the same name, and the requirements.
func (s *Service) PlanSplit(ctx context.Context, groupID string) (SplitPlan, error) {
	t, err := s.tenant(ctx)
	if err != nil {
		return SplitPlan{}, err
	}
	g, err := s.freshGroup(ctx, groupID)
	if err != nil {
		return SplitPlan{}, err
	}
	p := SplitPlan{Group: g}
	rule := MemberOfRule(g.ID)
	for _, l := range licensing.CanonicalTemplate(g.AssignedLicenses) {
		part := SplitPart{License: l, SKU: t.names.NamedSKU(l.SKUID), Rule: rule}
		for _, d := range l.DisabledPlans {
			part.Disabled = append(part.Disabled, t.names.NamedPlan(d))
		}
		part.Name = strings.TrimSpace(g.DisplayName) + " - " + part.SKU.Name
		found, err := s.graph.GroupsNamed(ctx, part.Name)
		if err != nil {
			return p, fmt.Errorf("look for group %q: %w", part.Name, err)
		}
		slices.SortStableFunc(found, func(a, b model.Group) int { return a.CreatedAt.Compare(b.CreatedAt) })
		i := slices.IndexFunc(found, func(x model.Group) bool { return sameRule(x.MembershipRule, rule) })
		switch {
		case i >= 0:
			fg := found[i]
			part.Group = &fg
			part.State = PartSetTemplate
			if slices.ContainsFunc(licensing.CanonicalTemplate(fg.AssignedLicenses), func(x model.AssignedLicense) bool {
				return x.SKUID == l.SKUID && slices.Equal(x.DisabledPlans, l.DisabledPlans)
			}) {
				part.State = PartReady
			}
		case len(found) > 0:
			part.State = PartNameTaken
			part.Problem = fmt.Sprintf("A group named %q already exists with another membership rule (%q): rename or delete it, then split again.",
				part.Name, found[0].MembershipRule)
		default:
			part.State = PartCreate
		}
		p.Parts = append(p.Parts, part)
	}
	p.Requirements = s.splitRequirements(ctx, t, g, len(p.Parts))
	for _, r := range p.Requirements {
		if !r.Met {
			p.Blocked = r.What + ": " + r.Detail
			break
		}
	}
	return p, nil
}

func (s *Service) splitRequirements(ctx context.Context, t tenant, g model.Group, licenses int) []Requirement {
	var rs []Requirement
	r := Requirement{What: "Several licenses", Met: licenses > 1, Detail: fmt.Sprintf("the group assigns %d", licenses)}
	if licenses <= 1 {
		r.Detail = fmt.Sprintf("the group assigns %d: there is nothing to split", licenses)
	}
	rs = append(rs, r)
	ref := strings.Contains(strings.ToLower(g.MembershipRule), "memberof")
	named := Requirement{What: "A group a memberOf rule may name", Met: !ref,
		Detail: "its direct members become the new groups' members (members of nested groups do not, as with group-based licensing)"}
	if ref {
		named.Detail = "this group's own members come from a memberOf rule, and Entra ID lets no memberOf group name another"
	}
	rs = append(rs, named)
	perm := func(what string, anyOf []string) {
		if miss := s.perms.Missing(ctx, anyOf...); miss != "" {
			rs = append(rs, Requirement{What: what, Detail: miss})
		} else {
			rs = append(rs, Requirement{What: what, Met: true, Detail: "granted (any of " + strings.Join(anyOf, ", ") + ")"})
		}
	}
	perm("Creating groups", permissions.CreateGroups())
	perm("Changing licenses", permissions.ChangeTemplates())
	p1 := Requirement{What: "Microsoft Entra ID P1 for dynamic membership"}
	for _, sku := range t.skus {
		if sku.CapabilityStatus != "Enabled" && sku.CapabilityStatus != "Warning" {
			continue
		}
		for _, sp := range sku.ServicePlans {
			if strings.EqualFold(sp.Name, "AAD_PREMIUM") || strings.EqualFold(sp.Name, "AAD_PREMIUM_P2") {
				p1.Met, p1.Detail = true, "included in "+t.names.SKU(sku.ID)
				break
			}
		}
		if p1.Met {
			break
		}
	}
	if !p1.Met {
		p1.Detail = "no subscription of the tenant includes Microsoft Entra ID P1 or P2: dynamic groups would not get members"
	}
	return append(rs, p1)
}

// SplitStep is the outcome of one part of a split run.
type SplitStep struct {
	Part  int
	Name  string
	Did   string // "created", "template set", "already done", "skipped", "failed"
	Group *model.Group
	Err   error
}

// RunSplit makes the split's groups: each part's dynamic group found or created, then its
// license set. It starts from a fresh plan, so a run after a failure does only what is missing.
// progress, if not nil, gets each step as it ends. A part whose name another group has is
// skipped with its problem; the other parts go on.
func (s *Service) RunSplit(ctx context.Context, by Actor, groupID string, progress func(SplitStep)) (SplitPlan, []SplitStep, error) {
	p, err := s.PlanSplit(ctx, groupID)
	if err != nil {
		return p, nil, err
	}
	if p.Blocked != "" {
		return p, nil, &model.PermissionError{Action: "Splitting the group", Why: p.Blocked}
	}
	t, err := s.tenant(ctx)
	if err != nil {
		return p, nil, err
	}
	var steps []SplitStep
	for i := range p.Parts {
		st := s.splitStep(ctx, by, t, p, i)
		steps = append(steps, st)
		if progress != nil {
			progress(st)
		}
	}
	return p, steps, nil
}

// splitStep does part i of plan p: nothing when its group is ready or its name taken.
func (s *Service) splitStep(ctx context.Context, by Actor, t tenant, p SplitPlan, i int) SplitStep {
	part := p.Parts[i]
	st := SplitStep{Part: i, Name: part.Name}
	switch part.State {
	case PartReady:
		st.Did, st.Group = "already done", part.Group
	case PartNameTaken:
		st.Did, st.Err = "skipped", model.Invalid("%s", part.Problem)
	default:
		st = s.runPart(ctx, by, t, p.Group, part, st)
	}
	return st
}

func (s *Service) runPart(ctx context.Context, by Actor, t tenant, src model.Group, part SplitPart, st SplitStep) SplitStep {
	g := part.Group
	if g == nil {
		ng := model.NewGroup{DisplayName: part.Name, MailNickname: mailNickname(part.Name), MembershipRule: part.Rule,
			Description: fmt.Sprintf("%s of group %q (%s), split by tenantdesk", part.SKU.Name, src.DisplayName, src.ID)}
		created, err := s.graph.CreateDynamicGroup(ctx, ng)
		s.record(ctx, by, model.Activity{Action: model.ActionGroupCreate, Target: created.ID, TargetName: part.Name, Result: resultOf(err),
			Detail: "dynamic group, rule " + part.Rule + errDetail(err)})
		if err != nil {
			st.Did, st.Err = "failed", err
			return st
		}
		g = &created
		st.Did = "created"
	}
	next := licensing.CanonicalTemplate(append(slices.DeleteFunc(slices.Clone(g.AssignedLicenses), func(l model.AssignedLicense) bool {
		return model.SameID(l.SKUID, part.License.SKUID)
	}), part.License))
	a, err := s.apply(ctx, by, t, *g, g.AssignedLicenses, next)
	if err != nil {
		st.Did, st.Err, st.Group = "failed", err, g
		return st
	}
	if st.Did == "" {
		st.Did = "template set"
	}
	st.Group = &a.Group
	if mc, err := s.memberCounts(ctx, a.Group.ID); err == nil {
		if c, ok := mc[a.Group.ID]; ok {
			if err := s.saveGroup(ctx, unprocessedInSnapshot(a.Group), &c); err != nil {
				s.log.WarnContext(ctx, "new group not saved in the snapshot", "group", a.Group.ID, "err", err)
			}
		}
	}
	return st
}

func errDetail(err error) string {
	if err == nil {
		return ""
	}
	return "; " + model.DescribeGraphError(err)
}

// mailNickname is a valid, stable mailNickname for a group name: its ASCII letters and digits
// (Graph refuses @ ( ) \ [ ] " ; : . < > , and spaces), and a short hash of the whole name so
// that similar names do not collide.
func mailNickname(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '-' || r == ' ' || r == '_':
			if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
				b.WriteByte('-')
			}
		}
	}
	base := strings.Trim(b.String(), "-")
	if len(base) > 50 {
		base = strings.TrimRight(base[:50], "-")
	}
	sum := sha256.Sum256([]byte(name))
	return strings.TrimLeft(base+"-"+hex.EncodeToString(sum[:4]), "-")
}

// PartStatus is how one of a split's groups stands after the run.
type PartStatus struct {
	Name string
	GroupStatus
}

// SplitStatus reads the processing state and member count of each of the split's groups; the
// split is done when every group exists and is processed.
func (s *Service) SplitStatus(ctx context.Context, groupID string) (SplitPlan, []PartStatus, error) {
	p, err := s.PlanSplit(ctx, groupID)
	if err != nil {
		return p, nil, err
	}
	groups := make([]*model.Group, len(p.Parts))
	for i, part := range p.Parts {
		groups[i] = part.Group
	}
	out := make([]PartStatus, len(p.Parts))
	for i, st := range s.groupStatuses(ctx, groups) {
		out[i] = PartStatus{Name: p.Parts[i].Name, GroupStatus: st}
	}
	return p, out, nil
}

// SplitDone reports whether every part's group exists with its license and is processed.
func SplitDone(p SplitPlan, st []PartStatus) bool {
	if len(p.Parts) == 0 {
		return false
	}
	for i, part := range p.Parts {
		if part.State != PartReady || i >= len(st) || !st[i].Processing.Done() {
			return false
		}
	}
	return true
}

// Remaining is the original group's template without the licenses its split groups now give.
func Remaining(p SplitPlan) []model.AssignedLicense {
	var out []model.AssignedLicense
	for _, l := range licensing.CanonicalTemplate(p.Group.AssignedLicenses) {
		i := slices.IndexFunc(p.Parts, func(part SplitPart) bool { return part.License.SKUID == l.SKUID })
		if i < 0 || p.Parts[i].State != PartReady {
			out = append(out, l)
		}
	}
	return out
}
