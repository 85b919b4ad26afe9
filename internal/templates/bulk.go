package templates

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// BulkKind is what a bulk change does to each group's template.
type BulkKind string

// Kinds of bulk changes.
const (
	BulkReplace BulkKind = "replace" // remove SKU, add With (keeping SKU's disabled plans that With has, plus Plans)
	BulkDisable BulkKind = "disable" // disable Plans in SKU
	BulkEnable  BulkKind = "enable"  // enable Plans in SKU
	BulkAdd     BulkKind = "add"     // add SKU with Plans disabled
	BulkRemove  BulkKind = "remove"  // remove SKU
)

// BulkKinds are the kinds in the order forms offer them.
func BulkKinds() []BulkKind {
	return []BulkKind{BulkReplace, BulkDisable, BulkEnable, BulkAdd, BulkRemove}
}

// BulkOp is one change applied to several groups' templates.
type BulkOp struct {
	Kind  BulkKind
	SKU   string
	With  string
	Plans []string
}

// Next is the template tpl becomes under op, and whether op changes it at all.
func (op BulkOp) Next(tpl []model.AssignedLicense) ([]model.AssignedLicense, bool) {
	cur := licensing.CanonicalTemplate(tpl)
	i := slices.IndexFunc(cur, func(l model.AssignedLicense) bool { return model.SameID(l.SKUID, op.SKU) })
	next := slices.Clone(cur)
	switch op.Kind {
	case BulkReplace:
		if i < 0 {
			return cur, false
		}
		old := next[i]
		next = slices.Delete(next, i, i+1)
		if !slices.ContainsFunc(next, func(l model.AssignedLicense) bool { return model.SameID(l.SKUID, op.With) }) {
			// The plans that were off in the old license stay off in the new one where it has
			// them (matched by the caller through plansOf), with op.Plans added.
			next = append(next, model.AssignedLicense{SKUID: op.With, DisabledPlans: append(slices.Clone(old.DisabledPlans), op.Plans...)})
		}
	case BulkDisable, BulkEnable:
		if i < 0 {
			return cur, false
		}
		l := next[i]
		l.DisabledPlans = slices.Clone(l.DisabledPlans)
		for _, p := range op.Plans {
			has := slices.ContainsFunc(l.DisabledPlans, func(x string) bool { return model.SameID(x, p) })
			switch {
			case op.Kind == BulkDisable && !has:
				l.DisabledPlans = append(l.DisabledPlans, p)
			case op.Kind == BulkEnable && has:
				l.DisabledPlans = slices.DeleteFunc(l.DisabledPlans, func(x string) bool { return model.SameID(x, p) })
			}
		}
		next[i] = l
	case BulkAdd:
		if i >= 0 {
			return cur, false
		}
		next = append(next, model.AssignedLicense{SKUID: op.SKU, DisabledPlans: op.Plans})
	case BulkRemove:
		if i < 0 {
			return cur, false
		}
		next = slices.Delete(next, i, i+1)
	}
	next = licensing.CanonicalTemplate(next)
	return next, !licensing.SameTemplate(cur, next)
}

// check validates op against the tenant's subscriptions and names it.
func (op BulkOp) check(t tenant) (BulkOp, error) {
	if !slices.Contains(BulkKinds(), op.Kind) {
		return op, model.Invalid("Choose what to change: replace, disable, enable, add or remove.")
	}
	var problems []string
	sku, ok := t.sku(op.SKU)
	if !ok {
		problems = append(problems, "Choose a license of the tenant.")
	}
	op.SKU = model.NormalizeID(op.SKU)
	op.Plans = slices.Clone(op.Plans) // the caller's slice stays as it was
	if op.Kind == BulkReplace {
		if _, ok := t.sku(op.With); !ok {
			problems = append(problems, "Choose the license that replaces it.")
		} else if model.SameID(op.With, op.SKU) {
			problems = append(problems, "A license cannot replace itself.")
		}
		op.With = model.NormalizeID(op.With)
	}
	if (op.Kind == BulkDisable || op.Kind == BulkEnable) && len(op.Plans) == 0 {
		problems = append(problems, "Choose the service plans to "+string(op.Kind)+".")
	}
	planOwner := sku
	if op.Kind == BulkReplace {
		planOwner, _ = t.sku(op.With)
	}
	for i, p := range op.Plans {
		op.Plans[i] = model.NormalizeID(p)
		if ok && !slices.ContainsFunc(planOwner.ServicePlans, func(sp model.ServicePlan) bool { return model.SameID(sp.ID, p) }) {
			problems = append(problems, fmt.Sprintf("%s has no service plan %s.", t.names.SKU(planOwner.ID), p))
		}
	}
	if len(problems) > 0 {
		return op, &model.InputError{Message: "The change cannot be made:", Problems: problems}
	}
	return op, nil
}

// Describe says op in words: "replace Office 365 E3 with Microsoft 365 E5".
func (op BulkOp) Describe(n *licensing.Names) string {
	plans := make([]string, len(op.Plans))
	for i, p := range op.Plans {
		plans[i] = n.Plan(p)
	}
	list := strings.Join(plans, ", ")
	switch op.Kind {
	case BulkReplace:
		s := "replace " + n.SKU(op.SKU) + " with " + n.SKU(op.With)
		if list != "" {
			s += " (" + list + " disabled)"
		}
		return s
	case BulkDisable:
		return "disable " + list + " in " + n.SKU(op.SKU)
	case BulkEnable:
		return "enable " + list + " in " + n.SKU(op.SKU)
	case BulkAdd:
		s := "add " + n.SKU(op.SKU)
		if list != "" {
			s += " with " + list + " disabled"
		}
		return s
	case BulkRemove:
		return "remove " + n.SKU(op.SKU)
	}
	return string(op.Kind)
}

// BulkItem is one group of a bulk preview.
type BulkItem struct {
	Group      model.Group
	Unaffected bool     // the change does nothing to its template
	Preview    *Preview // the group's preview, when affected and read
	Err        error    // why it could not be previewed
}

// BulkPreview is one change previewed for several groups.
type BulkPreview struct {
	Op          BulkOp
	Description string
	Items       []BulkItem
	Names       *licensing.Names
	// Totals over the affected groups.
	Affected, Members, NewlyInError, FullyLicensed int
	ApplyBlocked                                   string
}

// BulkSelection picks the groups of a bulk change: these ids, or every licensed group whose
// template has WithSKU.
type BulkSelection struct {
	Groups  []string
	WithSKU string
}

// BulkPreview previews op for every selected group; progress, if not nil, gets groups done.
func (s *Service) BulkPreview(ctx context.Context, sel BulkSelection, op BulkOp, progress func(done, total int)) (BulkPreview, error) {
	t, err := s.tenant(ctx)
	if err != nil {
		return BulkPreview{}, err
	}
	if op, err = op.check(t); err != nil {
		return BulkPreview{}, err
	}
	groups, err := s.selectGroups(ctx, t, sel)
	if err != nil {
		return BulkPreview{}, err
	}
	bp := BulkPreview{Op: op, Description: op.Describe(t.names), Names: t.names, Items: make([]BulkItem, len(groups)), ApplyBlocked: s.ApplyBlocked(ctx)}
	var mu sync.Mutex
	done := 0
	s.each(len(groups), func(i int) {
		it := BulkItem{Group: groups[i]}
		if g, err := s.freshGroup(ctx, groups[i].ID); err != nil {
			it.Err = err
		} else if next, changed := op.Next(s.keepPlans(t, op, g.AssignedLicenses)); !changed {
			it.Group, it.Unaffected = g, true
		} else {
			it.Group = g
			p, err := s.preview(ctx, t, g, next)
			if err != nil {
				it.Err = err
			} else {
				it.Preview = &p
			}
		}
		mu.Lock()
		bp.Items[i] = it
		done++
		if progress != nil {
			progress(done, len(groups))
		}
		mu.Unlock()
	})
	for _, it := range bp.Items {
		if it.Preview != nil {
			bp.Affected++
			bp.Members += len(it.Preview.Consequence.Members)
			bp.NewlyInError += it.Preview.Consequence.NewlyInError
			bp.FullyLicensed += it.Preview.Consequence.FullyLicensed
		}
	}
	return bp, nil
}

// keepPlans prepares tpl for a replace: the replaced license's disabled plans that the new one
// does not have are dropped, so that "keep what was off" never names a foreign plan.
func (s *Service) keepPlans(t tenant, op BulkOp, tpl []model.AssignedLicense) []model.AssignedLicense {
	if op.Kind != BulkReplace {
		return tpl
	}
	with, _ := t.sku(op.With)
	out := licensing.CanonicalTemplate(tpl)
	for i, l := range out {
		if model.SameID(l.SKUID, op.SKU) {
			out[i].DisabledPlans = slices.DeleteFunc(slices.Clone(l.DisabledPlans), func(p string) bool {
				return !slices.ContainsFunc(with.ServicePlans, func(sp model.ServicePlan) bool { return model.SameID(sp.ID, p) })
			})
		}
	}
	return out
}

// selectGroups resolves a selection to groups, in name order.
func (s *Service) selectGroups(ctx context.Context, t tenant, sel BulkSelection) ([]model.Group, error) {
	var out []model.Group
	if sel.WithSKU != "" {
		for _, g := range t.groups {
			if slices.ContainsFunc(g.AssignedLicenses, func(l model.AssignedLicense) bool { return model.SameID(l.SKUID, sel.WithSKU) }) {
				out = append(out, g)
			}
		}
		if len(out) == 0 {
			return nil, model.Invalid("No licensed group assigns %s.", t.names.SKU(sel.WithSKU))
		}
	}
	for _, id := range sel.Groups {
		if slices.ContainsFunc(out, func(g model.Group) bool { return model.SameID(g.ID, id) }) {
			continue
		}
		i := slices.IndexFunc(t.groups, func(g model.Group) bool { return model.SameID(g.ID, id) })
		if i < 0 {
			return nil, model.Invalid("Group %s is not a licensed group of the current data.", id)
		}
		out = append(out, t.groups[i])
	}
	switch {
	case len(out) == 0:
		return nil, model.Invalid("Choose the groups to change.")
	case len(out) > MaxBulkGroups:
		return nil, model.Invalid("%d groups chosen; one change takes at most %d.", len(out), MaxBulkGroups)
	}
	return out, nil
}

// BulkChange is one group's part of a bulk apply: the template previewed and the one proposed.
type BulkChange struct {
	GroupID        string
	Base, Proposed []model.AssignedLicense
}

// BulkOutcome is how one group of a bulk apply came out.
type BulkOutcome struct {
	GroupID, Name string
	Applied       Applied
	Err           error
}

// BulkApply applies each group's change as Apply does (its own lost-update check, its own
// activity entry), a few groups at a time; every group gets its outcome, in order. progress,
// if not nil, gets groups done.
func (s *Service) BulkApply(ctx context.Context, by Actor, changes []BulkChange, progress func(done, total int)) ([]BulkOutcome, error) {
	if why := s.ApplyBlocked(ctx); why != "" {
		return nil, &model.PermissionError{Action: "Changing licenses", Why: why}
	}
	if len(changes) > MaxBulkGroups {
		return nil, model.Invalid("%d groups; one change takes at most %d.", len(changes), MaxBulkGroups)
	}
	t, err := s.tenant(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]BulkOutcome, len(changes))
	var mu sync.Mutex
	done := 0
	s.each(len(changes), func(i int) {
		o := s.bulkOne(ctx, by, t, changes[i])
		mu.Lock()
		out[i] = o
		done++
		if progress != nil {
			progress(done, len(changes))
		}
		mu.Unlock()
	})
	return out, nil
}

// bulkOne applies one group's part of a bulk change, with its own lost-update check.
func (s *Service) bulkOne(ctx context.Context, by Actor, t tenant, c BulkChange) BulkOutcome {
	o := BulkOutcome{GroupID: c.GroupID, Name: t.groupName(c.GroupID)}
	proposed, err := t.check(c.Proposed)
	if err == nil {
		var g model.Group
		if g, err = s.freshGroup(ctx, c.GroupID); err == nil {
			o.Name = g.DisplayName
			o.Applied, err = s.apply(ctx, by, t, g, c.Base, proposed)
		}
	}
	o.Err = err
	return o
}

// each runs fn for 0..n-1 on a few goroutines.
func (s *Service) each(n int, fn func(i int)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range jobs {
				fn(i)
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}
