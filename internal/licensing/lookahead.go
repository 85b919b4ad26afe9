package licensing

import (
	"fmt"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// The look-ahead: under all-or-none Microsoft reports the first failure of a group's template
// for a user and "Other" for the rest, so fixing that one failure may only move the error to
// the next license. The explainer therefore checks every license of the same source against
// what the user's data already shows: capacity, usage location, conflicting plans and missing
// prerequisites.

// problem is a failure the data predicts for a license of the user: the hypothetical state
// (st.Error says which failure) and its explanation.
type problem struct {
	st model.LicenseState
	r  reason
}

// lookAhead checks every license of st's source (the group's template; the user's direct
// licenses for a direct state) as if it were assigned now, and returns the failures that are
// not already the reported error of that license (nor st's own), in the source's order.
func (x explainer) lookAhead(st model.LicenseState) []problem {
	var out []problem
	for _, l := range x.sourceLicenses(st) {
		cand := model.LicenseState{SKUID: l.SKUID, AssignedByGroup: st.AssignedByGroup, DisabledPlans: l.DisabledPlans, State: model.StateError}
		reported := x.reportedError(l.SKUID, st.AssignedByGroup)
		for _, code := range x.wouldFail(cand) {
			if code == reported || (code == st.Error && model.SameID(l.SKUID, st.SKUID)) {
				continue
			}
			cand.Error = code
			out = append(out, problem{st: cand, r: x.reason(cand)})
		}
	}
	return out
}

// sourceLicenses are the licenses assigned together with st: the group's template (when
// known, else the user's states from that group), or the user's direct licenses.
func (x explainer) sourceLicenses(st model.LicenseState) []model.AssignedLicense {
	if !st.Direct() {
		if tpl, ok := x.GroupTemplates[st.AssignedByGroup]; ok {
			return tpl
		}
	}
	var out []model.AssignedLicense
	seen := map[string]bool{}
	for _, s := range x.User.LicenseStates {
		if strings.EqualFold(s.AssignedByGroup, st.AssignedByGroup) && !seen[model.NormalizeID(s.SKUID)] {
			seen[model.NormalizeID(s.SKUID)] = true
			out = append(out, model.AssignedLicense{SKUID: s.SKUID, DisabledPlans: s.DisabledPlans})
		}
	}
	return out
}

// reportedError is the error Microsoft reports for SKU sku from source group ("" direct).
func (x explainer) reportedError(sku, group string) model.LicenseError {
	for _, s := range x.User.LicenseStates {
		if model.SameID(s.SKUID, sku) && strings.EqualFold(s.AssignedByGroup, group) {
			return s.Error
		}
	}
	return model.ErrorNone
}

// wouldFail lists why assigning cand's license to the user now would fail, by what the data
// shows: no unit left for a user who does not hold it yet; no usage location for a direct
// assignment (group-based licensing falls back to the tenant's country); a plan that a known
// family says cannot be held with one the user has; an add-on without its prerequisite.
// Restrictions by country are not known beforehand and proxy addresses are not checked.
func (x explainer) wouldFail(cand model.LicenseState) []model.LicenseError {
	var out []model.LicenseError
	if !x.holds(cand.SKUID) {
		sku, ok := x.tenantSKU(cand.SKUID)
		switch {
		case !ok && len(x.SKUs) > 0:
			out = append(out, model.ErrorCountViolation) // not subscribed at all
		case ok && !strings.EqualFold(sku.AppliesTo, "Company") && sku.Available() == 0:
			out = append(out, model.ErrorCountViolation)
		}
	}
	if cand.Direct() && strings.TrimSpace(x.User.UsageLocation) == "" {
		out = append(out, model.ErrorUsageLocation)
	}
	if len(x.conflictMatches(cand)) > 0 {
		out = append(out, model.ErrorMutuallyExclusive)
	}
	if _, ok := x.missingPrerequisite(cand); ok {
		out = append(out, model.ErrorDependency)
	}
	return out
}

// holds reports whether the user holds SKU id already (from any source): assigning it again
// takes no unit.
func (x explainer) holds(id string) bool {
	for _, l := range x.User.AssignedLicenses {
		if model.SameID(l.SKUID, id) {
			return true
		}
	}
	return false
}

// ahead says problem p in words, seen from the state being explained.
func (x explainer) ahead(from model.LicenseState, p problem) Ahead {
	name := x.sku(p.st.SKUID)
	verb := "would fail too"
	if model.SameID(p.st.SKUID, from.SKUID) {
		verb = "would still fail"
	}
	return Ahead{SKUID: p.st.SKUID, Code: p.st.Error, Text: fmt.Sprintf("%s %s: %s", name, verb, p.r.short), Fix: p.r.fix}
}
