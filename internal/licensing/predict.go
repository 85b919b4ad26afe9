package licensing

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// The consequence engine: what a template change will do, member by member, before it is made.
//
// It evaluates each member the way group-based licensing does when it processes the group:
// every source of the member's licenses (direct assignments first, then each licensed group the
// member is in, oldest group first) is all-or-none; a SKU the member already holds, from any
// source, takes no new unit; a new SKU takes one unit while units last, members in the order
// Graph lists them; conflicting plans (Excludes), missing prerequisites (PrerequisiteOf, from any
// source, checked again against what is finally granted), usage locations (ProhibitedIn; a
// member without one inherits the tenant's country) and duplicate proxy addresses stop a source.
// A source that fails keeps the licenses it already gave (ActiveWithError) and gives nothing new.
// The rules are THE product's knowledge of plans (knownplans.go); nothing here is a second table.

// GroupTemplate is a licensed group as the engine needs it: its template, and when it was created
// (groups are processed for a member oldest first, so that decides which of two conflicting
// groups wins).
type GroupTemplate struct {
	ID       string
	Name     string
	Template []model.AssignedLicense
	Created  time.Time
}

// PredictInput is what a prediction is made from: the snapshot's subscriptions and licensed
// groups, the group to change with its current template, the proposed template, and the group's
// direct members with their licenses.
type PredictInput struct {
	Names    *Names
	SKUs     []model.SKU
	Groups   []GroupTemplate // every licensed group of the tenant
	Group    GroupTemplate   // the group to change, with its current template
	Proposed []model.AssignedLicense
	// Members are the group's direct members that are users, in the order Graph lists them
	// (the order in which the last units go is Microsoft's and not documented: this one is
	// assumed).
	Members []model.User
	// Country is the tenant's country, which members without a usage location inherit; ""
	// when it is not known (such members are then not checked against usage locations).
	Country string
}

// Outcome is how a member comes out of a template change, for this group's licenses.
type Outcome string

// Outcomes of a member.
const (
	OutcomeUnchanged    Outcome = "unchanged"      // the same states as now
	OutcomeLicensed     Outcome = "licensed"       // changed, every license from the group assigned
	OutcomeFixed        Outcome = "fixed"          // in error now, fully licensed after
	OutcomeNewlyInError Outcome = "newly-in-error" // fine now (or new), in error after
	OutcomeStillInError Outcome = "still-in-error" // in error now and after
	OutcomeRemoved      Outcome = "removed"        // the group assigns nothing any more
)

// Violation is why a license of a source cannot be assigned to a member.
type Violation struct {
	Code  model.LicenseError
	SKUID string   // the license that fails
	Plans []string // its plans at fault: conflicting, dependent, not offered in the location
	// With are the plans they conflict with (from WithSKU, held from WithSource) or of which
	// one is needed (a prerequisite).
	With       []string
	WithSKU    string
	WithSource string // "" direct, else the group id; only for conflicts
	// WithinSource: the plan it conflicts with comes from the same template.
	WithinSource bool
	Location     string // for usage-location violations
	Need         string // the prerequisite in words
}

// StateChange is a license state of a member from another source that the change alters.
type StateChange struct {
	Before, After model.LicenseState
}

// MemberPrediction is what the change does to one member.
type MemberPrediction struct {
	User    model.User
	Before  []model.LicenseState // states from this group now
	After   []model.LicenseState // states from this group after
	Outcome Outcome
	// Failure is the real violation that stops this group's licenses for the member, if any.
	Failure *Violation
	// Gains and Losses are the SKUs the member will newly hold or no longer hold, from any
	// source.
	Gains, Losses []string
	// Elsewhere are the member's states from other sources that change too.
	Elsewhere []StateChange
}

// InError reports whether the member will be in error from this group.
func (m MemberPrediction) InError() bool { return statesInError(m.After) }

// SKUUnits is what the change does to one SKU's units.
type SKUUnits struct {
	SKUID     string
	Available int // units free before the change
	Needed    int // members of the group who do not hold the SKU yet (from any source)
	Takes     int // units the change would take
	Frees     int // units it would give back
	Short     int // members who would fail for want of units of it
	// ShortLosing are the short members who would then lose licenses they hold now;
	// ShortKeeping those who keep what the group gives them, marked Active with error.
	ShortLosing, ShortKeeping int
}

// Finding is one kind of problem the change causes, with how many members it hits.
type Finding struct {
	Violation
	Members []string // user ids, in member order
}

// Consequence is the whole prediction.
type Consequence struct {
	Members []MemberPrediction
	Units   []SKUUnits // SKUs of the proposed and the current template, by id

	FullyLicensed int // members with every license from the group after the change
	Licensed      int // of them, members whose states change
	Fixed         int
	NewlyInError  int
	StillInError  int
	Unchanged     int
	Removed       int

	// NoUsageLocation counts members without a usage location: group-based licensing gives them
	// the tenant's country.
	NoUsageLocation int
	// Findings are the problems, real errors only (not the "Other" of their siblings), grouped
	// by kind, license and plans, most members first.
	Findings []Finding
	// MissingInTemplate are add-on plans of the proposed template whose prerequisite no license
	// of the same template provides: Microsoft refuses such a template for a group.
	MissingInTemplate []Violation
	// Unsubscribed are SKUs of the proposed template the tenant does not subscribe to.
	Unsubscribed []string
}

// Predict computes the consequence of changing in.Group's template to in.Proposed.
func Predict(in PredictInput) Consequence {
	p := newPredictor(in)
	c := Consequence{Members: make([]MemberPrediction, 0, len(in.Members))}
	same := SameTemplate(in.Group.Template, in.Proposed)
	for _, u := range in.Members {
		var m MemberPrediction
		if same {
			// Nothing to write, nothing processed: every member stays as they are.
			m = MemberPrediction{User: u, Outcome: OutcomeUnchanged}
			for _, st := range u.LicenseStates {
				if model.NormalizeID(st.AssignedByGroup) == p.target {
					m.Before = append(m.Before, st)
				}
			}
			m.After = m.Before
		} else {
			m = p.member(u)
		}
		c.Members = append(c.Members, m)
		switch m.Outcome {
		case OutcomeUnchanged:
			c.Unchanged++
		case OutcomeLicensed:
			c.Licensed++
		case OutcomeFixed:
			c.Fixed++
		case OutcomeNewlyInError:
			c.NewlyInError++
		case OutcomeStillInError:
			c.StillInError++
		case OutcomeRemoved:
			c.Removed++
		}
		if len(m.After) > 0 && !m.InError() {
			c.FullyLicensed++
		}
		if strings.TrimSpace(u.UsageLocation) == "" {
			c.NoUsageLocation++
		}
	}
	c.Units = p.units(c.Members)
	c.Findings = findings(c.Members)
	c.MissingInTemplate = p.templatePrereqs()
	for _, l := range CanonicalTemplate(in.Proposed) {
		if _, ok := p.skus[l.SKUID]; !ok {
			c.Unsubscribed = append(c.Unsubscribed, l.SKUID)
		}
	}
	return c
}

type skuState struct {
	sku   model.SKU
	plans []string // plan ids
	avail int      // prepaid enabled minus consumed, as the engine goes
	start int
	takes int
	frees int
}

type predictor struct {
	in     PredictInput
	names  *Names
	skus   map[string]*skuState
	groups map[string]GroupTemplate
	target string
	// The plan knowledge resolved to the tenant's plan ids once: the plans each plan excludes
	// (sorted, so answers do not depend on map order) and each add-on's prerequisite plans.
	excludes map[string][]string
	prereqs  map[string]prereqIDs
}

type prereqIDs struct {
	what  string
	plans []string // sorted
}

func newPredictor(in PredictInput) *predictor {
	p := &predictor{in: in, names: in.Names, skus: map[string]*skuState{}, groups: map[string]GroupTemplate{},
		target: model.NormalizeID(in.Group.ID)}
	for _, s := range in.SKUs {
		st := &skuState{sku: s, avail: s.Prepaid.Enabled - s.ConsumedUnits}
		st.start = st.avail
		for _, pl := range s.ServicePlans {
			st.plans = append(st.plans, model.NormalizeID(pl.ID))
		}
		p.skus[model.NormalizeID(s.ID)] = st
	}
	for _, g := range in.Groups {
		p.groups[model.NormalizeID(g.ID)] = g
	}
	p.resolveKnowledge()
	g := in.Group
	g.Template = in.Proposed
	p.groups[p.target] = g
	return p
}

// resolveKnowledge maps the product's plan knowledge (by servicePlanName) onto the tenant's
// plan ids.
func (p *predictor) resolveKnowledge() {
	all := map[string]bool{}
	for _, sk := range p.skus {
		for _, pl := range sk.plans {
			all[pl] = true
		}
	}
	ids := slices.Sorted(maps.Keys(all))
	p.excludes, p.prereqs = map[string][]string{}, map[string]prereqIDs{}
	for _, a := range ids {
		an := p.names.ServicePlanName(a)
		for _, b := range ids {
			if a != b && Excludes(an, p.names.ServicePlanName(b)) {
				p.excludes[a] = append(p.excludes[a], b)
			}
		}
		if pre, ok := PrerequisiteOf(an); ok {
			r := prereqIDs{what: pre.What}
			for _, b := range ids {
				if containsFold(pre.Plans, p.names.ServicePlanName(b)) {
					r.plans = append(r.plans, b)
				}
			}
			p.prereqs[a] = r
		}
	}
}

// source is one origin of a member's licenses: direct (group "") or a group's template.
type source struct {
	group    string
	licenses []model.AssignedLicense
}

// sources are u's license sources in processing order, with the target group's proposed
// template in its place.
func (p *predictor) sources(u model.User) []source {
	var direct []model.AssignedLicense
	seenDirect := map[string]bool{}
	groupIDs := []string{p.target}
	for _, st := range u.LicenseStates {
		if st.Direct() {
			id := model.NormalizeID(st.SKUID)
			if !seenDirect[id] {
				seenDirect[id] = true
				direct = append(direct, model.AssignedLicense{SKUID: id, DisabledPlans: normIDs(st.DisabledPlans)})
			}
			continue
		}
		if g := model.NormalizeID(st.AssignedByGroup); !slices.Contains(groupIDs, g) {
			groupIDs = append(groupIDs, g)
		}
	}
	var srcs []source
	if len(direct) > 0 {
		srcs = append(srcs, source{licenses: direct})
	}
	var gs []GroupTemplate
	for _, id := range groupIDs {
		if g, ok := p.groups[id]; ok && len(g.Template) > 0 {
			gs = append(gs, g)
		}
	}
	slices.SortStableFunc(gs, func(a, b GroupTemplate) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(model.NormalizeID(a.ID), model.NormalizeID(b.ID))
	})
	for _, g := range gs {
		var ls []model.AssignedLicense
		for _, l := range g.Template {
			ls = append(ls, model.AssignedLicense{SKUID: model.NormalizeID(l.SKUID), DisabledPlans: normIDs(l.DisabledPlans)})
		}
		srcs = append(srcs, source{group: model.NormalizeID(g.ID), licenses: ls})
	}
	return srcs
}

func normIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = model.NormalizeID(id)
	}
	return out
}

// enabled are the SKU's plans that disabled does not switch off.
func (s *skuState) enabled(disabled []string) []string {
	out := make([]string, 0, len(s.plans))
	for _, pl := range s.plans {
		if !slices.Contains(disabled, pl) {
			out = append(out, pl)
		}
	}
	return out
}

// outcome is how one source came out of a pass.
type outcome struct {
	failed bool
	first  Violation
}

type pass struct {
	granted      []model.AssignedLicense
	grantedPlans map[string]string // plan -> SKU that enables it
	grantedFrom  map[string]string // plan -> the source ("" direct, else group id) that granted it
	states       []model.LicenseState
	outcomes     []outcome
}

// member evaluates one member and books the units it takes or frees.
func (p *predictor) member(u model.User) MemberPrediction {
	m := MemberPrediction{User: u}
	for _, st := range u.LicenseStates {
		if model.NormalizeID(st.AssignedByGroup) == p.target {
			m.Before = append(m.Before, st)
		}
	}
	srcs := p.sources(u)
	held := map[string]bool{}
	for _, l := range u.AssignedLicenses {
		held[model.NormalizeID(l.SKUID)] = true
	}
	offered := map[string]bool{}
	for _, s := range srcs {
		for _, l := range s.licenses {
			if sk := p.skus[l.SKUID]; sk != nil {
				for _, pl := range sk.enabled(l.DisabledPlans) {
					offered[pl] = true
				}
			}
		}
	}
	forced := map[int]Violation{}
	var ps pass
	for range len(srcs) + 1 {
		ps = p.pass(u, srcs, offered, forced, held)
		again := false
		for i, oc := range ps.outcomes {
			if oc.failed {
				continue
			}
			if v, missing := p.missingPrereq(srcs[i], ps.grantedPlans); missing {
				forced[i] = v
				again = true
			}
		}
		if !again {
			break
		}
	}
	// Units: SKUs newly held take one, SKUs no longer held give theirs back.
	granted := map[string]bool{}
	for _, l := range ps.granted {
		granted[l.SKUID] = true
		if !held[l.SKUID] {
			if sk := p.skus[l.SKUID]; sk != nil {
				sk.avail--
				sk.takes++
			}
			m.Gains = append(m.Gains, l.SKUID)
		}
	}
	for id := range held {
		if !granted[id] {
			if sk := p.skus[id]; sk != nil {
				sk.avail++
				sk.frees++
			}
			m.Losses = append(m.Losses, id)
		}
	}
	slices.Sort(m.Losses)
	for i, s := range srcs {
		if s.group == p.target && ps.outcomes[i].failed {
			v := ps.outcomes[i].first
			m.Failure = &v
		}
	}
	for _, st := range ps.states {
		if model.NormalizeID(st.AssignedByGroup) == p.target {
			m.After = append(m.After, st)
			continue
		}
		old, ok := findState(u.LicenseStates, st.SKUID, st.AssignedByGroup)
		if !ok || !sameState(old, st) {
			m.Elsewhere = append(m.Elsewhere, StateChange{Before: old, After: st})
		}
	}
	for _, old := range u.LicenseStates {
		if model.NormalizeID(old.AssignedByGroup) == p.target {
			continue
		}
		if _, ok := findState(ps.states, old.SKUID, old.AssignedByGroup); !ok {
			m.Elsewhere = append(m.Elsewhere, StateChange{Before: old})
		}
	}
	m.Outcome = classify(m.Before, m.After)
	return m
}

func classify(before, after []model.LicenseState) Outcome {
	switch {
	case sameStates(before, after):
		return OutcomeUnchanged
	case len(after) == 0:
		return OutcomeRemoved
	case statesInError(after) && !statesInError(before):
		return OutcomeNewlyInError
	case statesInError(after):
		return OutcomeStillInError
	case statesInError(before):
		return OutcomeFixed
	}
	return OutcomeLicensed
}

func statesInError(sts []model.LicenseState) bool {
	return slices.ContainsFunc(sts, func(s model.LicenseState) bool { return s.InError() })
}

func sameStates(a, b []model.LicenseState) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		y, ok := findState(b, x.SKUID, x.AssignedByGroup)
		if !ok || !sameState(x, y) {
			return false
		}
	}
	return true
}

func sameState(a, b model.LicenseState) bool {
	da, db := CanonicalTemplate([]model.AssignedLicense{{SKUID: "x", DisabledPlans: a.DisabledPlans}}),
		CanonicalTemplate([]model.AssignedLicense{{SKUID: "x", DisabledPlans: b.DisabledPlans}})
	return a.State == b.State && a.Error == b.Error && slices.Equal(da[0].DisabledPlans, db[0].DisabledPlans)
}

func findState(sts []model.LicenseState, sku, group string) (model.LicenseState, bool) {
	for _, s := range sts {
		if model.SameID(s.SKUID, sku) && model.SameID(s.AssignedByGroup, group) {
			return s, true
		}
	}
	return model.LicenseState{}, false
}

// pass evaluates the sources in order; forced sources fail with the given violation.
func (p *predictor) pass(u model.User, srcs []source, offered map[string]bool, forced map[int]Violation, held map[string]bool) pass {
	location := strings.TrimSpace(u.UsageLocation)
	if location == "" {
		location = p.in.Country // group licensing gives the tenant's country
	}
	clash := hasUniquenessError(u)
	ps := pass{grantedPlans: map[string]string{}, grantedFrom: map[string]string{}}
	for si, src := range srcs {
		errs := make([]model.LicenseError, len(src.licenses))
		enabled := make([][]string, len(src.licenses))
		var oc outcome
		earlier := map[string]string{}
		for i, lic := range src.licenses {
			sk := p.skus[lic.SKUID]
			if sk == nil {
				errs[i] = model.ErrorOther
				if !oc.failed {
					oc.failed, oc.first = true, Violation{Code: model.ErrorOther, SKUID: lic.SKUID}
				}
				continue
			}
			enabled[i] = sk.enabled(lic.DisabledPlans)
			have := held[sk.sku.ID] || held[lic.SKUID] || slices.ContainsFunc(ps.granted, func(l model.AssignedLicense) bool { return l.SKUID == lic.SKUID })
			v, bad := p.check(lic.SKUID, sk, enabled[i], ps.grantedPlans, ps.grantedFrom, earlier, offered, have, location, clash, src.group)
			if fv, ok := forced[si]; ok && !bad && fv.SKUID == lic.SKUID {
				v, bad = fv, true
			}
			if bad {
				errs[i] = v.Code
				if !oc.failed {
					oc.failed, oc.first = true, v
				}
			}
			for _, pl := range enabled[i] {
				earlier[pl] = lic.SKUID
			}
		}
		if fv, ok := forced[si]; ok && !oc.failed {
			oc.failed, oc.first = true, fv
		}
		kept := make([]bool, len(src.licenses))
		for i, lic := range src.licenses {
			st := model.LicenseState{SKUID: lic.SKUID, DisabledPlans: lic.DisabledPlans, AssignedByGroup: src.group, State: model.StateActive}
			old, hadState := findState(u.LicenseStates, lic.SKUID, src.group)
			switch {
			case oc.failed && errs[i] == model.ErrorNone && hadState && old.State != model.StateError && held[lic.SKUID]:
				st.State, st.Error = model.StateActiveWithError, model.ErrorOther
				kept[i] = true
			case oc.failed:
				st.State, st.Error = model.StateError, errs[i]
				if st.Error == model.ErrorNone {
					st.Error = model.ErrorOther
				}
			default:
				kept[i] = true
				if sk := p.skus[lic.SKUID]; sk != nil && subscriptionOff(sk.sku.CapabilityStatus) {
					st.State = model.StateDisabled
				}
			}
			ps.states = append(ps.states, st)
		}
		for i, lic := range src.licenses {
			if !kept[i] {
				continue
			}
			ps.granted = mergeLicense(ps.granted, lic)
			for _, pl := range enabled[i] {
				if _, ok := ps.grantedPlans[pl]; !ok {
					ps.grantedPlans[pl] = lic.SKUID
					ps.grantedFrom[pl] = src.group
				}
			}
		}
		ps.outcomes = append(ps.outcomes, oc)
	}
	return ps
}

// subscriptionOff reports whether a subscription in this capabilityStatus has its services off:
// its licenses stay assigned, Disabled.
func subscriptionOff(status string) bool {
	switch status {
	case "Suspended", "LockedOut", "Deleted":
		return true
	}
	return false
}

// hasUniquenessError reports whether u has a proxy address another object also claims, as far
// as the snapshot can tell: Microsoft already refused one of u's licenses for it.
func hasUniquenessError(u model.User) bool {
	return slices.ContainsFunc(u.LicenseStates, func(s model.LicenseState) bool { return s.Error == model.ErrorUniqueness })
}

// check finds why license skuID (of a source whose earlier licenses enable earlier) cannot join
// the plans already granted.
func (p *predictor) check(skuID string, sk *skuState, enabled []string, granted, grantedFrom, earlier map[string]string,
	offered map[string]bool, have bool, location string, clash bool, srcGroup string,
) (Violation, bool) {
	if !have && sk.avail <= 0 {
		return Violation{Code: model.ErrorCountViolation, SKUID: skuID}, true
	}
	var bad []string
	for _, pl := range enabled {
		if location != "" && ProhibitedIn(p.names.ServicePlanName(pl), location) {
			bad = append(bad, pl)
		}
	}
	if len(bad) > 0 {
		return Violation{Code: model.ErrorUsageLocation, SKUID: skuID, Plans: bad, Location: location}, true
	}
	for _, pl := range enabled {
		for _, q := range p.excludes[pl] {
			if from, ok := granted[q]; ok && from != skuID {
				return Violation{Code: model.ErrorMutuallyExclusive, SKUID: skuID, Plans: []string{pl}, With: []string{q},
					WithSKU: from, WithSource: grantedFrom[q]}, true
			}
		}
		for _, q := range p.excludes[pl] {
			if from, ok := earlier[q]; ok && from != skuID {
				return Violation{Code: model.ErrorMutuallyExclusive, SKUID: skuID, Plans: []string{pl}, With: []string{q},
					WithSKU: from, WithSource: srcGroup, WithinSource: true}, true
			}
		}
	}
	if v, bad := p.dependency(skuID, enabled, func(pl string) bool {
		_, g := granted[pl]
		return g || offered[pl]
	}); bad {
		return v, true
	}
	if clash {
		for _, pl := range enabled {
			if ProvisionsMailbox(p.names.ServicePlanName(pl)) {
				return Violation{Code: model.ErrorUniqueness, SKUID: skuID}, true
			}
		}
	}
	return Violation{}, false
}

// dependency finds enabled plans of a license none of whose prerequisites has(plan).
func (p *predictor) dependency(skuID string, enabled []string, has func(string) bool) (Violation, bool) {
	var deps []string
	var need prereqIDs
	for _, pl := range enabled {
		pre, ok := p.prereqs[pl]
		if !ok || slices.ContainsFunc(pre.plans, has) {
			continue
		}
		deps = append(deps, pl)
		if need.what == "" {
			need = pre
		}
	}
	if len(deps) == 0 {
		return Violation{}, false
	}
	return Violation{Code: model.ErrorDependency, SKUID: skuID, Plans: deps, With: need.plans, Need: need.what}, true
}

// missingPrereq reports the first license of src with a plan whose prerequisites none of the
// finally granted plans provide.
func (p *predictor) missingPrereq(src source, granted map[string]string) (Violation, bool) {
	for _, lic := range src.licenses {
		sk := p.skus[lic.SKUID]
		if sk == nil {
			continue
		}
		if v, bad := p.dependency(lic.SKUID, sk.enabled(lic.DisabledPlans), func(pl string) bool {
			_, ok := granted[pl]
			return ok
		}); bad {
			return v, true
		}
	}
	return Violation{}, false
}

// mergeLicense adds lic to the granted list; a SKU from two sources is assigned once with the
// plans enabled by either.
func mergeLicense(list []model.AssignedLicense, lic model.AssignedLicense) []model.AssignedLicense {
	for i, l := range list {
		if l.SKUID == lic.SKUID {
			var both []string
			for _, d := range l.DisabledPlans {
				if slices.Contains(lic.DisabledPlans, d) {
					both = append(both, d)
				}
			}
			list[i] = model.AssignedLicense{SKUID: l.SKUID, DisabledPlans: both}
			return list
		}
	}
	return append(list, model.AssignedLicense{SKUID: lic.SKUID, DisabledPlans: slices.Clone(lic.DisabledPlans)})
}

// templatePrereqs are add-on plans of the proposed template whose prerequisite the template
// does not provide, where the current template did not lack it already.
func (p *predictor) templatePrereqs() []Violation {
	on := func(tpl []model.AssignedLicense) map[string]bool {
		m := map[string]bool{}
		for _, l := range CanonicalTemplate(tpl) {
			if sk := p.skus[l.SKUID]; sk != nil {
				for _, pl := range sk.enabled(l.DisabledPlans) {
					m[pl] = true
				}
			}
		}
		return m
	}
	before, after := on(p.in.Group.Template), on(p.in.Proposed)
	var out []Violation
	for _, l := range CanonicalTemplate(p.in.Proposed) {
		sk := p.skus[l.SKUID]
		if sk == nil {
			continue
		}
		enabled := sk.enabled(l.DisabledPlans)
		v, bad := p.dependency(l.SKUID, enabled, func(pl string) bool { return after[pl] })
		if !bad {
			continue
		}
		if _, badBefore := p.dependency(l.SKUID, enabled, func(pl string) bool { return before[pl] }); badBefore && slices.ContainsFunc(v.Plans, func(pl string) bool { return before[pl] }) {
			continue // the template lacks it already; Microsoft lets other changes through
		}
		out = append(out, v)
	}
	return out
}

// units sums what the change does to each SKU of the current and proposed templates.
func (p *predictor) units(members []MemberPrediction) []SKUUnits {
	var ids []string
	for _, l := range CanonicalTemplate(append(slices.Clone(p.in.Group.Template), p.in.Proposed...)) {
		ids = append(ids, l.SKUID)
	}
	var out []SKUUnits
	for _, id := range ids {
		sk := p.skus[id]
		if sk == nil {
			continue
		}
		su := SKUUnits{SKUID: id, Available: max(sk.start, 0), Takes: sk.takes, Frees: sk.frees}
		inProposed := slices.ContainsFunc(p.in.Proposed, func(l model.AssignedLicense) bool { return model.SameID(l.SKUID, id) })
		for _, m := range members {
			if inProposed && !slices.ContainsFunc(m.User.AssignedLicenses, func(l model.AssignedLicense) bool { return model.SameID(l.SKUID, id) }) {
				su.Needed++
			}
			if m.Failure != nil && m.Failure.Code == model.ErrorCountViolation && m.Failure.SKUID == id {
				su.Short++
				switch {
				case len(m.Losses) > 0:
					su.ShortLosing++
				case slices.ContainsFunc(m.After, func(st model.LicenseState) bool { return st.State == model.StateActiveWithError }):
					su.ShortKeeping++
				}
			}
		}
		out = append(out, su)
	}
	return out
}

// findings groups the members' real violations by kind, license and plans.
func findings(members []MemberPrediction) []Finding {
	var out []Finding
	for _, m := range members {
		if m.Failure == nil || m.Failure.Code == model.ErrorOther {
			continue
		}
		v := *m.Failure
		i := slices.IndexFunc(out, func(f Finding) bool {
			return f.Code == v.Code && f.SKUID == v.SKUID && slices.Equal(f.Plans, v.Plans) &&
				slices.Equal(f.With, v.With) && f.WithSKU == v.WithSKU && f.WithSource == v.WithSource && f.WithinSource == v.WithinSource && f.Location == v.Location
		})
		if i < 0 {
			out = append(out, Finding{Violation: v})
			i = len(out) - 1
		}
		out[i].Members = append(out[i].Members, m.User.ID)
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return len(b.Members) - len(a.Members) })
	return out
}
