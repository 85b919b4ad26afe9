package tenantsim

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// The licensing engine. A user's licenses come from sources: their direct assignments first,
// then the license template of each group they are a direct member of, in group creation order.
// Each source is all-or-none: if one of its SKUs cannot be assigned, the failing SKU carries its
// reason, its siblings carry "Other", and nothing of that source is assigned. A SKU held from
// several sources consumes one unit, and a SKU the user already holds keeps its unit, so
// re-evaluating a user never takes a unit away from them.

// License states and errors as Graph spells them. Graph documents the four states by name only
// (licenseAssignmentState: Active, ActiveWithError, Disabled, Error), not when each occurs; the
// engine gives the two rarer ones the most conservative meaning that fits their names, so a
// client cannot take either for "fine" or for "not assigned":
//   - ActiveWithError: a license a source already gave the user stays assigned (and keeps its
//     unit) when a later processing of that source fails because of a sibling ("Other"), e.g. a
//     license added to a group's template that cannot be assigned. All-or-none stops the change,
//     it does not take working licenses away.
//   - Disabled: the user holds a license of a subscription that is Suspended, LockedOut or
//     Deleted: still assigned, services off, no error.
//
// No error is null in Graph's JSON ("" here); "None" is never written.
const (
	stateActive          = "Active"
	stateActiveWithError = "ActiveWithError"
	stateDisabled        = "Disabled"
	stateError           = "Error"

	errNone          = ""
	errCount         = "CountViolation"
	errMutuallyExcl  = "MutuallyExclusiveViolation"
	errDependency    = "DependencyViolation"
	errUsageLocation = "ProhibitedInUsageLocationViolation"
	errUniqueness    = "UniquenessViolation"
	errOther         = "Other"
)

// Group license processing states.
const (
	processingQueued     = "QueuedForProcessing"
	processingInProgress = "ProcessingInProgress"
	processingComplete   = "ProcessingComplete"
)

// source is one origin of a user's licenses: direct (group nil) or a group's template.
type source struct {
	group    *Group
	licenses []License
}

func (s source) groupID() string {
	if s.group == nil {
		return ""
	}
	return s.group.ID
}

// violation is why one license of a source cannot be assigned.
type violation struct {
	code    string // CountViolation, ...
	skuID   string // the license that fails
	message string // the "Licensing Error Message" audit detail
	detail  string // the offending plans, for Graph's synchronous error text
	reason  string // the audit event's resultReason
}

// outcome is the result of evaluating one source for a user.
type outcome struct {
	group   string // "" = direct
	failed  bool
	first   violation // the first real violation when failed
	changed bool      // its states differ from before
}

// evalResult is what one evaluation of a user changed.
type evalResult struct {
	oldAssigned, newAssigned []License
	outcomes                 []outcome
}

func (r evalResult) licensesChanged() bool { return !sameLicenses(r.oldAssigned, r.newAssigned) }

// sourcesOf lists u's license sources in evaluation order.
func (t *Tenant) sourcesOf(u *User, directOnly bool) []source {
	var out []source
	if len(u.DirectLicenses) > 0 {
		out = append(out, source{licenses: u.DirectLicenses})
	}
	if directOnly {
		return out
	}
	for _, gid := range t.memberOf[u.ID] {
		if g := t.groupByID[gid]; g != nil && len(g.Licenses) > 0 {
			out = append(out, source{group: g, licenses: g.Licenses})
		}
	}
	return out
}

// enabledPlans are the plan ids of sku that disabled does not switch off.
func enabledPlans(sku *SKU, disabled []string) []string {
	out := make([]string, 0, len(sku.Plans))
	for _, p := range sku.Plans {
		if !slices.Contains(disabled, p.ID) {
			out = append(out, p.ID)
		}
	}
	return out
}

// dependency finds enabled plans of sku none of whose prerequisites has(plan).
func (t *Tenant) dependency(sku *SKU, enabled []string, has func(string) bool) (violation, bool) {
	var deps []string
	for _, p := range enabled {
		pre := t.rules.prereqs[p]
		if len(pre) == 0 || slices.ContainsFunc(pre, has) {
			continue
		}
		deps = append(deps, "["+p+" depends on "+strings.Join(pre, " or ")+"]")
	}
	if len(deps) == 0 {
		return violation{}, false
	}
	return violation{
		code:  errDependency,
		skuID: sku.ID,
		message: "The license can't be assigned because some service plans in the new license depend on " +
			"service plans that the user doesn't have. Assign or enable the required service plans: " +
			strings.Join(deps, ", ") + ". Licenses being added: [" + sku.ID + "]",
		reason: "Microsoft.Online.Provisioning.SubscriptionManagement.DependencyViolationException",
	}, true
}

// proxyClash reports a proxy address of u that another object also claims ("" if none).
func (t *Tenant) proxyClash(u *User) string {
	for _, p := range u.ProxyAddresses {
		if t.proxyOwners[proxyKey(p)] > 1 {
			return p
		}
	}
	return ""
}

// proxyKey normalises a proxy address ("SMTP:a@b" or "a@b") for uniqueness checks.
func proxyKey(p string) string {
	if i := strings.IndexByte(p, ':'); i >= 0 && i < 5 {
		p = p[i+1:]
	}
	return strings.ToLower(p)
}

// evalScratch holds maps evaluate reuses.
type evalScratch struct {
	granted, earlier  planHolder
	srcPlans, offered map[string]bool
}

// planHolder tracks enabled plans during one evaluation: plan id -> SKU that enables it.
type planHolder map[string]string

// check finds why license lic (from a source whose enabled plans are srcPlans, with srcEarlier
// the plans of the source's licenses before lic) cannot join the plans already granted.
func (t *Tenant) check(u *User, lic License, sku *SKU, enabled []string, granted, srcEarlier planHolder,
	srcPlans map[string]bool, held bool, location string,
) (violation, bool) {
	being := "Licenses being added: [" + sku.ID + "]"
	if !held && sku.Prepaid.Enabled-sku.ConsumedUnits <= 0 {
		return violation{
			code: errCount,
			message: "Not enough licenses are available to complete this operation. Purchase more licenses or " +
				"remove unneeded licenses from users and groups for SKU [" + sku.ID + "]. " + being,
			reason: "Microsoft.Online.Provisioning.SubscriptionManagement.SubscriptionFullException",
		}, true
	}
	var bad []string
	for _, p := range enabled {
		if t.rules.prohibitedIn(p, location) {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		return violation{
			code: errUsageLocation,
			message: "The license can't be assigned because some service plans in the license aren't available " +
				"in the user's usage location [" + location + "]: [" + strings.Join(bad, ", ") + "]. Set a " +
				"supported usage location for the user. " + being,
			reason: "Microsoft.Online.Provisioning.SubscriptionManagement.ProhibitedInUsageLocationException",
		}, true
	}
	var pairs []string
	for _, p := range enabled {
		for _, q := range t.rules.conflicts[p] {
			if s, ok := granted[q]; ok && s != sku.ID {
				pairs = append(pairs, "["+q+", "+p+"]")
			} else if s, ok := srcEarlier[q]; ok && s != sku.ID {
				pairs = append(pairs, "["+q+", "+p+"]")
			}
		}
	}
	if len(pairs) > 0 {
		return violation{
			code:   errMutuallyExcl,
			detail: strings.Join(pairs, ", "),
			message: "The license can't be assigned because the user has licensed service plans that conflict " +
				"with plans in the new license. Resolve these conflicting service plan pairs to solve this " +
				"problem: " + strings.Join(pairs, ", ") + ". " + being,
			reason: "Microsoft.Online.Provisioning.SubscriptionManagement.MutuallyExclusiveViolationException",
		}, true
	}
	if v, bad := t.dependency(sku, enabled, func(p string) bool {
		_, g := granted[p]
		return g || srcPlans[p]
	}); bad {
		return v, true
	}
	if clash := t.proxyClash(u); clash != "" {
		for _, p := range enabled {
			if t.rules.mailbox[p] {
				return violation{
					code: errUniqueness,
					message: "The license can't be assigned because the proxy address [" + clash + "] of the user " +
						"is already used by another object. Proxy addresses must be unique. " + being,
					reason: "Microsoft.Online.Provisioning.DirectoryObjectManagement.UniquenessViolationException",
				}, true
			}
		}
	}
	return violation{}, false
}

// evaluate recomputes u's AssignedLicenses and LicenseStates from its sources and keeps the
// SKUs' consumed units in step. directOnly ignores group sources (used while generating, so
// that direct assignments, which came first, hold their units).
//
// A prerequisite plan may come from any source, also a later one (direct audio conferencing on
// top of Teams from a group). So a pass checks dependencies against every plan some source
// offers; a source whose prerequisite then turns out to come only from a source that failed is
// failed on its dependency and the pass is repeated, until nothing changes.
func (t *Tenant) evaluate(u *User, now time.Time, directOnly bool) evalResult {
	res := evalResult{oldAssigned: u.AssignedLicenses}
	srcs := t.sourcesOf(u, directOnly)
	if len(srcs) == 0 && len(u.AssignedLicenses) == 0 && len(u.LicenseStates) == 0 {
		return res
	}
	if t.scratch.granted == nil {
		t.scratch = evalScratch{granted: planHolder{}, earlier: planHolder{}, srcPlans: map[string]bool{}, offered: map[string]bool{}}
	}
	// Every plan some source offers, for the optimistic dependency check.
	offered := t.scratch.offered
	clear(offered)
	for _, src := range srcs {
		for _, lic := range src.licenses {
			if sku := t.skuByID[lic.SKUID]; sku != nil {
				for _, p := range enabledPlans(sku, lic.DisabledPlans) {
					offered[p] = true
				}
			}
		}
	}
	forced := map[int]violation{}
	var p evalPass
	for range len(srcs) + 1 {
		p = t.evalPass(u, srcs, offered, forced, now)
		bad := false
		for i, oc := range p.outcomes {
			if oc.failed {
				continue
			}
			if v, missing := t.missingPrereq(srcs[i], p.grantedPlans); missing {
				forced[i] = v
				bad = true
			}
		}
		if !bad {
			break
		}
	}
	held := func(id string) bool {
		return slices.ContainsFunc(u.AssignedLicenses, func(l License) bool { return l.SKUID == id })
	}
	// Units: SKUs newly held take one, SKUs no longer held give theirs back.
	for _, l := range p.granted {
		if !held(l.SKUID) {
			t.skuByID[l.SKUID].ConsumedUnits++
		}
	}
	for _, l := range u.AssignedLicenses {
		if !slices.ContainsFunc(p.granted, func(g License) bool { return g.SKUID == l.SKUID }) {
			if s := t.skuByID[l.SKUID]; s != nil {
				s.ConsumedUnits--
			}
		}
	}
	u.AssignedLicenses = p.granted
	u.LicenseStates = p.states
	res.newAssigned = p.granted
	res.outcomes = p.outcomes
	// Delta queries track assignedLicenses; the license states just written are not tracked.
	if res.licensesChanged() {
		t.changedProps(TypeUser, u.ID, "assignedLicenses")
	}
	return res
}

// evalPass is one pass of evaluate over a user's sources.
type evalPass struct {
	granted      []License
	grantedPlans planHolder
	states       []LicenseState
	outcomes     []outcome
}

// evalPass evaluates the sources in order; forced sources fail with the given violation.
func (t *Tenant) evalPass(u *User, srcs []source, offered map[string]bool, forced map[int]violation, now time.Time) evalPass {
	held := func(id string) bool {
		return slices.ContainsFunc(u.AssignedLicenses, func(l License) bool { return l.SKUID == id })
	}
	location := u.UsageLocation
	if location == "" {
		location = t.country // group licensing falls back to the tenant's country
	}
	// Scratch maps reused across evaluations (always under the write lock): at 100,000 users
	// allocating them per user dominated generation time.
	p := evalPass{grantedPlans: t.scratch.granted}
	clear(p.grantedPlans)
	for si, src := range srcs {
		gid := src.groupID()
		srcPlans := t.scratch.srcPlans
		clear(srcPlans)
		enabled := make([][]string, len(src.licenses))
		skus := make([]*SKU, len(src.licenses))
		for i, lic := range src.licenses {
			skus[i] = t.skuByID[lic.SKUID]
			if skus[i] == nil {
				continue
			}
			enabled[i] = enabledPlans(skus[i], lic.DisabledPlans)
			for _, pl := range enabled[i] {
				srcPlans[pl] = true
			}
		}
		errs := make([]string, len(src.licenses))
		oc := outcome{group: gid}
		srcEarlier := t.scratch.earlier
		clear(srcEarlier)
		for i, lic := range src.licenses {
			sku := skus[i]
			if sku == nil {
				errs[i] = errOther
				continue
			}
			have := held(sku.ID) || slices.ContainsFunc(p.granted, func(l License) bool { return l.SKUID == sku.ID })
			v, bad := t.check(u, lic, sku, enabled[i], p.grantedPlans, srcEarlier, offered, have, location)
			if fv, ok := forced[si]; ok && !bad && fv.skuID == sku.ID {
				v, bad = fv, true
			}
			if bad {
				errs[i] = v.code
				if !oc.failed {
					oc.failed, oc.first = true, v
				}
			}
			for _, pl := range enabled[i] {
				srcEarlier[pl] = sku.ID
			}
		}
		if fv, ok := forced[si]; ok && !oc.failed {
			oc.failed, oc.first = true, fv
		}
		kept := make([]bool, len(src.licenses)) // assigned from this source after this pass
		for i, lic := range src.licenses {
			st := LicenseState{
				SKUID:           lic.SKUID,
				DisabledPlans:   lic.DisabledPlans,
				AssignedByGroup: gid,
				State:           stateActive,
				Error:           errNone,
				LastUpdated:     now,
			}
			old, hadState := findState(u.LicenseStates, lic.SKUID, gid)
			switch {
			case oc.failed && errs[i] == "" && hadState && old.State != stateError && held(lic.SKUID):
				st.State, st.Error = stateActiveWithError, errOther
				kept[i] = true
			case oc.failed:
				st.State, st.Error = stateError, errs[i]
				if st.Error == "" {
					st.Error = errOther
				}
			default:
				kept[i] = true
				if skus[i] != nil && subscriptionOff(skus[i].CapabilityStatus) {
					st.State = stateDisabled
				}
			}
			if hadState && sameState(old, st) {
				st.LastUpdated = old.LastUpdated
			} else {
				oc.changed = true
			}
			p.states = append(p.states, st)
		}
		for i, lic := range src.licenses {
			if !kept[i] {
				continue
			}
			p.granted = mergeLicense(p.granted, lic)
			for _, pl := range enabled[i] {
				if _, ok := p.grantedPlans[pl]; !ok {
					p.grantedPlans[pl] = lic.SKUID
				}
			}
		}
		p.outcomes = append(p.outcomes, oc)
	}
	return p
}

// subscriptionOff reports whether a subscription in this capabilityStatus has its services off:
// its licenses stay assigned, their states Disabled. Warning is a grace period: still on.
func subscriptionOff(status string) bool {
	switch status {
	case "Suspended", "LockedOut", "Deleted":
		return true
	}
	return false
}

// missingPrereq reports the first license of src with a plan whose prerequisites none of the
// finally granted plans provide.
func (t *Tenant) missingPrereq(src source, granted planHolder) (violation, bool) {
	for _, lic := range src.licenses {
		sku := t.skuByID[lic.SKUID]
		if sku == nil {
			continue
		}
		if v, bad := t.dependency(sku, enabledPlans(sku, lic.DisabledPlans), func(p string) bool {
			_, ok := granted[p]
			return ok
		}); bad {
			return v, true
		}
	}
	return violation{}, false
}

// mergeLicense adds lic to the assigned list; a SKU from two sources is assigned once with the
// plans enabled by either (disabled only where both disable).
func mergeLicense(list []License, lic License) []License {
	for i, l := range list {
		if l.SKUID == lic.SKUID {
			var both []string
			for _, d := range l.DisabledPlans {
				if slices.Contains(lic.DisabledPlans, d) {
					both = append(both, d)
				}
			}
			list[i] = License{SKUID: l.SKUID, DisabledPlans: both}
			return list
		}
	}
	return append(list, License{SKUID: lic.SKUID, DisabledPlans: slices.Clone(lic.DisabledPlans)})
}

func findState(states []LicenseState, sku, group string) (LicenseState, bool) {
	for _, s := range states {
		if s.SKUID == sku && s.AssignedByGroup == group {
			return s, true
		}
	}
	return LicenseState{}, false
}

func sameState(a, b LicenseState) bool {
	return a.State == b.State && a.Error == b.Error && slices.Equal(a.DisabledPlans, b.DisabledPlans)
}

func sameLicenses(a, b []License) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		i := slices.IndexFunc(b, func(y License) bool { return y.SKUID == x.SKUID })
		if i < 0 {
			return false
		}
		da, db := slices.Clone(x.DisabledPlans), slices.Clone(b[i].DisabledPlans)
		slices.Sort(da)
		slices.Sort(db)
		if !slices.Equal(da, db) {
			return false
		}
	}
	return true
}

// nowSec is the tenant clock truncated to seconds, as Graph reports times.
func (t *Tenant) nowSec() time.Time { return t.now().UTC().Truncate(time.Second) }

// Tick applies group license processing whose time has come: a queued group moves to
// ProcessingInProgress halfway through its delay, and at ProcessingDue its members are
// re-evaluated and it becomes ProcessingComplete. The HTTP layer calls it before every request.
func (t *Tenant) Tick() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tick(t.nowSec(), false)
}

// AdvanceProcessing completes every queued or running group processing now.
func (t *Tenant) AdvanceProcessing() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tick(t.nowSec(), true)
}

func (t *Tenant) tick(now time.Time, all bool) {
	if len(t.pending) == 0 {
		return
	}
	// Due groups in due order, so the result does not depend on the order they were queued in.
	sort.SliceStable(t.pending, func(i, j int) bool {
		return t.groupByID[t.pending[i]].ProcessingDue.Before(t.groupByID[t.pending[j]].ProcessingDue)
	})
	keep := t.pending[:0]
	for _, id := range t.pending {
		g := t.groupByID[id]
		half := g.queuedAt.Add(t.cfg.ProcessingDelay / 2)
		if g.ProcessingState == processingQueued && (all || !now.Before(half)) {
			g.ProcessingState = processingInProgress
			t.changedProps(TypeGroup, g.ID, "licenseProcessingState")
			t.auditGroupProcessing(g, "Start applying group based license to users", now)
		}
		if all || !now.Before(g.ProcessingDue) {
			t.processGroup(g, now)
			continue
		}
		keep = append(keep, id)
	}
	t.pending = keep
}

// processGroup re-evaluates every user member of g, and the users who left it, and marks its
// processing complete.
func (t *Tenant) processGroup(g *Group, now time.Time) {
	corr := t.newGUID()
	for _, m := range append(slices.Clone(g.Members), g.leavers...) {
		if u := t.userByID[m]; u != nil {
			res := t.evaluate(u, now, false)
			t.auditEvaluation(u, res, now, t.gblInitiator(), corr, g.ID)
		}
	}
	g.leavers = nil
	g.ProcessingState = processingComplete
	t.changedProps(TypeGroup, g.ID, "licenseProcessingState")
	t.auditGroupProcessing(g, "Finish applying group based license to users", now)
}

// queue marks g's license processing as queued, due after the configured delay.
func (t *Tenant) queue(g *Group, now time.Time) {
	if g.ProcessingState != processingQueued {
		t.changedProps(TypeGroup, g.ID, "licenseProcessingState")
	}
	g.ProcessingState = processingQueued
	g.queuedAt = now
	g.ProcessingDue = now.Add(t.cfg.ProcessingDelay)
	if !slices.Contains(t.pending, g.ID) {
		t.pending = append(t.pending, g.ID)
	}
}

// Graph errors the engine returns.
func errNotFound(id string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "Request_ResourceNotFound",
		Message: "Resource '" + id + "' does not exist or one of its queried reference-property objects are not present."}
}

func errBadRequest(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "Request_BadRequest", Message: msg}
}

func errInvalidLicense(id string) *Error {
	return errBadRequest("License " + id + " does not correspond to a valid company License.")
}

// validateLicenses checks SKU ids and disabled plans of an assignLicense body and returns the
// licenses with normalised (lower-case) ids.
func (t *Tenant) validateLicenses(add []License, remove []string) ([]License, []string, error) {
	var outAdd []License
	for _, l := range add {
		id := strings.ToLower(strings.TrimSpace(l.SKUID))
		sku := t.skuByID[id]
		if sku == nil {
			return nil, nil, errInvalidLicense(l.SKUID)
		}
		var dis []string
		for _, p := range l.DisabledPlans {
			p = strings.ToLower(strings.TrimSpace(p))
			if !sku.planSet[p] {
				return nil, nil, errBadRequest("Service plan " + p + " is not part of license " + id + ".")
			}
			if !slices.Contains(dis, p) {
				dis = append(dis, p)
			}
		}
		if i := slices.IndexFunc(outAdd, func(x License) bool { return x.SKUID == id }); i >= 0 {
			outAdd[i].DisabledPlans = dis // the last entry for a SKU wins
			continue
		}
		outAdd = append(outAdd, License{SKUID: id, DisabledPlans: dis})
	}
	var outRemove []string
	for _, r := range remove {
		id := strings.ToLower(strings.TrimSpace(r))
		if t.skuByID[id] == nil {
			return nil, nil, errInvalidLicense(r)
		}
		if slices.ContainsFunc(outAdd, func(x License) bool { return x.SKUID == id }) {
			return nil, nil, errBadRequest("License " + id + " is in both addLicenses and removeLicenses.")
		}
		outRemove = append(outRemove, id)
	}
	return outAdd, outRemove, nil
}

// sortLicenses orders a template by SKU id. Graph documents no order of assignedLicenses nor in
// which order processing checks a template's licenses (it decides which of two conflicting
// licenses of one template carries the error and which "Other"); the simulator keeps every
// template in this one order, returns it so and processes it so.
func sortLicenses(ls []License) {
	slices.SortFunc(ls, func(a, b License) int { return strings.Compare(a.SKUID, b.SKUID) })
}

// applyLicenseChange returns current with remove taken out and add put in (replacing a SKU's
// disabled plans when it is already there), in SKU order.
func applyLicenseChange(current, add []License, remove []string) []License {
	var out []License
	for _, l := range current {
		if !slices.Contains(remove, l.SKUID) {
			out = append(out, l)
		}
	}
	for _, a := range add {
		if i := slices.IndexFunc(out, func(l License) bool { return l.SKUID == a.SKUID }); i >= 0 {
			out[i] = a
		} else {
			out = append(out, a)
		}
	}
	sortLicenses(out)
	return out
}

// AssignUserLicenses is POST /users/{id}/assignLicense: all-or-none, with Graph's error texts.
// A failed call changes nothing (it only writes the failure to the audit log).
func (t *Tenant) AssignUserLicenses(userID string, add []License, remove []string, by Actor) (User, error) {
	return changeObject(t, userID, t.lookupUser, cloneUser, func(u *User, now time.Time) error {
		return t.assignUserLicenses(u, add, remove, by, now)
	})
}

// assignUserLicenses is AssignUserLicenses on u; the caller holds t.mu for writing.
func (t *Tenant) assignUserLicenses(u *User, add []License, remove []string, by Actor, now time.Time) error {
	add, remove, err := t.validateLicenses(add, remove)
	if err != nil {
		return err
	}
	if len(add) > 0 && u.UsageLocation == "" {
		return errBadRequest("License assignment cannot be done for user with invalid usage location.")
	}
	for _, r := range remove {
		if !slices.ContainsFunc(u.DirectLicenses, func(l License) bool { return l.SKUID == r }) {
			if slices.ContainsFunc(u.AssignedLicenses, func(l License) bool { return l.SKUID == r }) {
				return errBadRequest("User license is inherited from a group membership and it cannot be removed directly from the user.")
			}
			return errBadRequest("User does not have a corresponding license.")
		}
	}
	if v, bad := t.checkDirect(u, add, remove); bad {
		t.auditDirectFailure(u, v, now, by)
		return v.err
	}
	old := u.DirectLicenses
	u.DirectLicenses = applyLicenseChange(u.DirectLicenses, add, remove)
	// assignLicense writes the user's assignedLicenses even when the licenses it adds or
	// removes are also inherited from a group, so that the list reads the same afterwards.
	// Whether Graph's delta then reports the user is undocumented; the simulator does, taking
	// the documented "assignedLicenses changes are tracked" to cover every write of it (Entra ID's
	// audit log records each such call as a "Change user license" modifying AssignedLicense).
	if !sameLicenses(old, u.DirectLicenses) {
		t.changedProps(TypeUser, u.ID, "assignedLicenses")
	}
	res := t.evaluate(u, now, false)
	t.auditEvaluation(u, res, now, actorInitiator(by), t.newGUID(), "")
	return nil
}

// changeObject is the frame of a write call on one object: under the write lock and at the
// tenant's current second it finds the object id names, runs change on it and returns a copy
// of the object as change left it.
func changeObject[T any](t *Tenant, id string, lookup func(string) *T, clone func(*T) T, change func(obj *T, now time.Time) error) (T, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.nowSec()
	obj := lookup(id)
	if obj == nil {
		var none T
		return none, errNotFound(id)
	}
	if err := change(obj, now); err != nil {
		var none T
		return none, err
	}
	return clone(obj), nil
}

// directViolation is a rejected direct assignment: the audit detail and the Graph error.
type directViolation struct {
	violation
	err *Error
}

// checkDirect runs the engine's checks for the licenses a direct assignLicense adds against
// everything the user keeps, the way Graph rejects such a call synchronously.
func (t *Tenant) checkDirect(u *User, add []License, remove []string) (directViolation, bool) {
	// Plans the user keeps: assigned licenses not replaced by this call and not removed.
	kept := planHolder{}
	for _, l := range u.AssignedLicenses {
		if slices.ContainsFunc(add, func(a License) bool { return a.SKUID == l.SKUID }) {
			continue
		}
		fromGroup := false
		for _, s := range u.LicenseStates {
			if s.SKUID == l.SKUID && s.AssignedByGroup != "" && s.Error == errNone {
				fromGroup = true
			}
		}
		if slices.Contains(remove, l.SKUID) && !fromGroup {
			continue
		}
		for _, p := range enabledPlans(t.skuByID[l.SKUID], l.DisabledPlans) {
			kept[p] = l.SKUID
		}
	}
	allPlans := map[string]bool{}
	for p := range kept {
		allPlans[p] = true
	}
	enabled := make([][]string, len(add))
	for i, a := range add {
		enabled[i] = enabledPlans(t.skuByID[a.SKUID], a.DisabledPlans)
		for _, p := range enabled[i] {
			allPlans[p] = true
		}
	}
	earlier := planHolder{}
	for i, a := range add {
		sku := t.skuByID[a.SKUID]
		held := slices.ContainsFunc(u.AssignedLicenses, func(l License) bool { return l.SKUID == a.SKUID })
		if v, bad := t.check(u, a, sku, enabled[i], kept, earlier, allPlans, held, u.UsageLocation); bad {
			var e *Error
			switch v.code {
			case errCount:
				e = errBadRequest("Subscription with SKU " + sku.ID + " does not have any available licenses.")
			case errUniqueness:
				e = errBadRequest("Another object with the same value for property proxyAddresses already exists.")
			case errMutuallyExcl:
				e = errBadRequest("License assignment failed because service plans are mutually exclusive: " + v.detail + ".")
			case errDependency:
				e = errBadRequest("License assignment failed because of a service plan dependency violation for license " + sku.ID + ".")
			default:
				e = errBadRequest("License assignment failed because license " + sku.ID + " is not available in usage location " + u.UsageLocation + ".")
			}
			return directViolation{violation: v, err: e}, true
		}
		for _, p := range enabled[i] {
			earlier[p] = sku.ID
		}
	}
	return directViolation{}, false
}

// AssignGroupLicenses is POST /groups/{id}/assignLicense: it changes the group's template at
// once and queues the processing of its members.
//
// Refusals Graph's page does not list, modelled on what Entra ID documents: group-based
// licensing works only on security-enabled groups ("The feature can only be used with security
// groups, and Microsoft 365 groups that have securityEnabled=TRUE"); an add-on needs its
// prerequisite plan in the same group ("the system requires that both the prerequisite and
// add-on service plans be present in the same group"; the portal's message is quoted); and, as
// for a user, a license the group does not have cannot be removed. The wording of the two last
// refusals on Graph is not documented; the simulator answers 400 with the portal's sentence
// and with the user call's, the conservative reading (a client must expect the call to fail).
func (t *Tenant) AssignGroupLicenses(groupID string, add []License, remove []string, by Actor) (Group, error) {
	return changeObject(t, groupID, t.lookupGroup, cloneGroup, func(g *Group, now time.Time) error {
		return t.assignGroupLicenses(g, add, remove, by, now)
	})
}

// assignGroupLicenses is AssignGroupLicenses on g; the caller holds t.mu for writing.
func (t *Tenant) assignGroupLicenses(g *Group, add []License, remove []string, by Actor, now time.Time) error {
	add, remove, err := t.validateLicenses(add, remove)
	if err != nil {
		return err
	}
	if !g.SecurityEnabled {
		return errBadRequest("License assignment is only supported for security-enabled groups: group " + g.ID + " has securityEnabled false.")
	}
	for _, r := range remove {
		if !slices.ContainsFunc(g.Licenses, func(l License) bool { return l.SKUID == r }) {
			return errBadRequest("Group does not have a corresponding license " + r + ".")
		}
	}
	old := g.Licenses
	next := applyLicenseChange(old, add, remove)
	if msg, bad := t.missingGroupPrereq(old, next); bad {
		return errBadRequest(msg)
	}
	g.Licenses = next
	if !sameLicenses(old, g.Licenses) {
		t.changedProps(TypeGroup, g.ID, "assignedLicenses")
	}
	t.auditSetGroupLicense(g, old, now, by)
	t.queue(g, now)
	return nil
}

// missingGroupPrereq finds an enabled plan of template next whose prerequisite no license of
// next enables, and that template old did not already lack (a template from before the rule
// may still be changed in other ways); it returns the portal's refusal for it.
func (t *Tenant) missingGroupPrereq(old, next []License) (string, bool) {
	enabledIn := func(tpl []License) map[string]bool {
		on := map[string]bool{}
		for _, l := range tpl {
			if sku := t.skuByID[l.SKUID]; sku != nil {
				for _, p := range enabledPlans(sku, l.DisabledPlans) {
					on[p] = true
				}
			}
		}
		return on
	}
	before, after := enabledIn(old), enabledIn(next)
	lacks := func(on map[string]bool, plan string) bool {
		pre := t.rules.prereqs[plan]
		return len(pre) > 0 && !slices.ContainsFunc(pre, func(p string) bool { return on[p] })
	}
	for _, l := range next {
		sku := t.skuByID[l.SKUID]
		if sku == nil {
			continue
		}
		for _, p := range enabledPlans(sku, l.DisabledPlans) {
			if !lacks(after, p) || (before[p] && lacks(before, p)) {
				continue
			}
			need := make([]string, 0, len(t.rules.prereqs[p]))
			for _, q := range t.rules.prereqs[p] {
				need = append(need, t.planTitle(q))
			}
			return "License operation failed. Make sure that the group has necessary services before adding or removing a dependent service. The service " +
				t.planTitle(p) + " requires " + strings.Join(need, " or ") + " to be enabled as well.", true
		}
	}
	return "", false
}

// planTitle is a service plan's friendly name, as the portal writes it, else its id.
func (t *Tenant) planTitle(id string) string {
	if n := planFriendlyNames[id]; n != "" {
		return n
	}
	return id
}

// ReprocessUser is POST /users/{id}/reprocessLicenseAssignment: it re-evaluates one user at
// once and returns it.
func (t *Tenant) ReprocessUser(userID string, by Actor) (User, error) {
	return changeObject(t, userID, t.lookupUser, cloneUser, func(u *User, now time.Time) error {
		res := t.evaluate(u, now, false)
		t.auditEvaluation(u, res, now, t.gblInitiator(), t.newGUID(), "*")
		return nil
	})
}

// GroupSpec is the body of POST /groups.
type GroupSpec struct {
	DisplayName     string
	Description     string
	MailNickname    string
	MailEnabled     bool
	SecurityEnabled bool
	GroupTypes      []string
	MembershipRule  string
	// ProcessingState is membershipRuleProcessingState: "On", "Paused", or "" for On.
	ProcessingState string
	// Licenses start the group with a template. Graph's POST /groups cannot do that
	// (assignedLicenses is read-only; the API refuses it): the generator and engine tests can.
	Licenses []License
}

// validMailNickname is Graph's rule for mailNickname: 1 to 64 characters of ASCII 0-127 except
// @ ( ) \ [ ] " ; : . < > , and space.
func validMailNickname(nick string) bool {
	if nick == "" || len(nick) > 64 {
		return false
	}
	for i := 0; i < len(nick); i++ {
		if c := nick[i]; c > 127 || c < 0x20 || c == 0x7f || strings.IndexByte(`@()\[]";:.<>, `, c) >= 0 {
			return false
		}
	}
	return true
}

func errInvalidGroupProperty(name string) *Error {
	return errBadRequest("Invalid value specified for property '" + name + "' of resource 'Group'.")
}

// CreateGroup is POST /groups. A dynamic group's rule is evaluated at once; license processing
// of the new group is queued like after a template change.
func (t *Tenant) CreateGroup(spec GroupSpec, by Actor) (Group, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.nowSec()
	if strings.TrimSpace(spec.DisplayName) == "" || len(spec.DisplayName) > 256 {
		return Group{}, errInvalidGroupProperty("displayName")
	}
	nick := strings.TrimSpace(spec.MailNickname)
	if !validMailNickname(nick) {
		return Group{}, errInvalidGroupProperty("mailNickname")
	}
	unified, dynamic := false, false
	for _, gt := range spec.GroupTypes {
		switch {
		case strings.EqualFold(gt, "Unified"):
			unified = true
		case strings.EqualFold(gt, "DynamicMembership"):
			dynamic = true
		default:
			return Group{}, errInvalidGroupProperty("groupTypes")
		}
	}
	if !spec.MailEnabled && !spec.SecurityEnabled {
		return Group{}, errInvalidGroupProperty("securityEnabled")
	}
	var rule *ruleNode
	if dynamic {
		r, err := parseRule(spec.MembershipRule)
		if err != nil || strings.TrimSpace(spec.MembershipRule) == "" || !t.validMemberOfRule(r) {
			return Group{}, errInvalidGroupProperty("membershipRule")
		}
		rule = r
	} else if strings.TrimSpace(spec.MembershipRule) != "" {
		return Group{}, errInvalidGroupProperty("membershipRule")
	}
	switch spec.ProcessingState {
	case "", "On", "Paused":
	default:
		return Group{}, errInvalidGroupProperty("membershipRuleProcessingState")
	}
	lics, _, err := t.validateLicenses(spec.Licenses, nil)
	if err != nil {
		return Group{}, err
	}
	sortLicenses(lics)
	g := &Group{
		ID:              t.newGUID(),
		DisplayName:     spec.DisplayName,
		Description:     spec.Description,
		MailNickname:    nick,
		MailEnabled:     spec.MailEnabled,
		SecurityEnabled: spec.SecurityEnabled,
		CreatedDateTime: now,
		Licenses:        lics,
	}
	if unified {
		g.GroupTypes = append(g.GroupTypes, "Unified")
	}
	if dynamic {
		g.GroupTypes = append(g.GroupTypes, "DynamicMembership")
		g.MembershipRule = spec.MembershipRule
		// Graph's page does not say what a dynamic group without the property gets; Entra ID
		// processes new dynamic groups, so it is On unless the caller paused it.
		g.MembershipRuleProcessingState = "On"
		if spec.ProcessingState == "Paused" {
			g.MembershipRuleProcessingState = "Paused"
			rule = nil
		}
	}
	if spec.MailEnabled {
		g.Mail = strings.ToLower(nick) + "@" + t.vanity
		if t.proxyOwners[proxyKey(g.Mail)] > 0 {
			return Group{}, errBadRequest("Another object with the same value for property proxyAddresses already exists.")
		}
		t.proxyOwners[proxyKey(g.Mail)]++
	}
	t.addGroup(g)
	t.record(change{typ: TypeGroup, id: g.ID, kind: changeCreated})
	if rule != nil {
		t.fillDynamic(g, rule)
	}
	t.auditAddGroup(g, now, by)
	t.queue(g, now)
	return cloneGroup(g), nil
}

// addGroup registers g as the newest group.
func (t *Tenant) addGroup(g *Group) {
	g.seq = len(t.groups)
	t.groups = append(t.groups, g)
	t.groupByID[g.ID] = g
	t.objectType[g.ID] = TypeGroup
}

// addMember makes id a direct member of g, unless it is one already (a group lists each member
// once). Callers add in group creation order or sort later.
func (t *Tenant) addMember(g *Group, id string) {
	if slices.Contains(t.memberOf[id], g.ID) {
		return
	}
	g.Members = append(g.Members, id)
	t.memberOf[id] = append(t.memberOf[id], g.ID)
	t.memberChanged(g, id, true)
}

// fillDynamic adds every user matching rule to g.
func (t *Tenant) fillDynamic(g *Group, rule *ruleNode) {
	byGroup := rule.usesMemberOf()
	for _, u := range t.users {
		var of []string
		if byGroup {
			of = t.memberOf[u.ID]
		}
		if rule.match(u, of) {
			t.addMember(g, u.ID)
		}
	}
}

// SetPrepaidUnits sets prepaidUnits.enabled of a SKU ("buy licenses"). Users are not
// re-evaluated: as in Entra ID, that takes a reprocess or the next group processing.
func (t *Tenant) SetPrepaidUnits(skuID string, enabled int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.skuByID[strings.ToLower(skuID)]
	if s == nil {
		return errNotFound(skuID)
	}
	if enabled < 0 {
		return errBadRequest(fmt.Sprintf("Prepaid units must not be negative: %d.", enabled))
	}
	s.Prepaid.Enabled = enabled
	return nil
}

// ConsumedUnits is how many users really hold the SKU (0 for an unknown SKU).
func (t *Tenant) ConsumedUnits(skuID string) int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if s := t.skuByID[strings.ToLower(skuID)]; s != nil {
		return s.ConsumedUnits
	}
	return 0
}

// Reset regenerates the tenant from its Config, dropping every change.
func (t *Tenant) Reset() error {
	fresh, err := New(t.cfg)
	if err != nil {
		return fmt.Errorf("reset tenant: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.adopt(fresh)
	return nil
}

// adopt takes over every field of fresh except the lock.
func (t *Tenant) adopt(f *Tenant) {
	t.cfg, t.now = f.cfg, f.now
	t.ID, t.DisplayName, t.DefaultDomain, t.Scenarios = f.ID, f.DisplayName, f.DefaultDomain, f.Scenarios
	t.skus, t.skuByID = f.skus, f.skuByID
	t.users, t.userByID = f.users, f.userByID
	t.groups, t.groupByID = f.groups, f.groupByID
	t.devices, t.contacts = f.devices, f.contacts
	t.objectType, t.memberOf = f.objectType, f.memberOf
	t.audits, t.sspr, t.auditDelay, t.roles = f.audits, f.sspr, f.auditDelay, f.roles
	t.rules, t.rng, t.proxyOwners, t.pending = f.rules, f.rng, f.proxyOwners, f.pending
	t.country, t.vanity = f.country, f.vanity
	t.changes, t.deletedUsers = f.changes, f.deletedUsers
}

// lookupUser finds a user by object id or userPrincipalName, as Graph's /users/{id} does.
func (t *Tenant) lookupUser(idOrUPN string) *User {
	if u := t.userByID[strings.ToLower(idOrUPN)]; u != nil {
		return u
	}
	if strings.Contains(idOrUPN, "@") {
		for _, u := range t.users {
			if strings.EqualFold(u.UserPrincipalName, idOrUPN) {
				return u
			}
		}
	}
	return nil
}

func (t *Tenant) lookupGroup(id string) *Group { return t.groupByID[strings.ToLower(id)] }

// cloneUser copies u deeply enough that later engine changes do not show through.
func cloneUser(u *User) User {
	c := *u
	c.ProxyAddresses = slices.Clone(u.ProxyAddresses)
	c.BusinessPhones = slices.Clone(u.BusinessPhones)
	c.DirectLicenses = cloneLicenses(u.DirectLicenses)
	c.AssignedLicenses = cloneLicenses(u.AssignedLicenses)
	c.LicenseStates = slices.Clone(u.LicenseStates)
	for i := range c.LicenseStates {
		c.LicenseStates[i].DisabledPlans = slices.Clone(c.LicenseStates[i].DisabledPlans)
	}
	return c
}

func cloneGroup(g *Group) Group {
	c := *g
	c.GroupTypes = slices.Clone(g.GroupTypes)
	c.Licenses = cloneLicenses(g.Licenses)
	c.Members = slices.Clone(g.Members)
	return c
}

func cloneLicenses(ls []License) []License {
	if ls == nil {
		return nil
	}
	out := make([]License, len(ls))
	for i, l := range ls {
		out[i] = License{SKUID: l.SKUID, DisabledPlans: slices.Clone(l.DisabledPlans)}
	}
	return out
}
