package licensing

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// FindSKU finds the tenant's subscribed SKU that ref names: its GUID, its skuPartNumber or its
// friendly product name, in any case. Anything else, or a name two SKUs share, is an
// *model.InputError that lists what would do.
func (n *Names) FindSKU(ref string, tenant []model.SKU) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", model.Invalid("A license must be named: give its name, part number or GUID.")
	}
	var hits []string
	for _, s := range tenant {
		id := model.NormalizeID(s.ID)
		if id == model.NormalizeID(ref) {
			return id, nil
		}
		if strings.EqualFold(s.PartNumber, ref) || strings.EqualFold(n.SKU(id), ref) {
			hits = appendUnique(hits, id)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		var near []string
		for _, s := range tenant {
			if strings.Contains(strings.ToLower(n.SKU(s.ID)+" "+s.PartNumber), strings.ToLower(ref)) {
				near = append(near, fmt.Sprintf("%s (%s, %s)", n.SKU(s.ID), s.PartNumber, model.NormalizeID(s.ID)))
			}
		}
		e := &model.InputError{Message: fmt.Sprintf("The tenant has no license %q: give a license's name, part number or GUID.", ref)}
		if len(near) > 0 {
			e.Message += " Licenses whose name contains it:"
			e.Problems = near
		}
		return "", e
	}
	var which []string
	for _, id := range hits {
		which = append(which, fmt.Sprintf("%s (%s, %s)", n.SKU(id), n.SKUPartNumber(id), id))
	}
	return "", &model.InputError{Message: fmt.Sprintf("%q names more than one license: give the GUID.", ref), Problems: which}
}

// FindPlan finds the service plan of SKU skuID that ref names: its GUID, its servicePlanName or
// its friendly name, in any case; else an *model.InputError listing the SKU's plans.
func (n *Names) FindPlan(skuID, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	plans := n.SKUPlans(skuID)
	var hits []string
	for _, p := range plans {
		if model.NormalizeID(p) == model.NormalizeID(ref) {
			return p, nil
		}
		if strings.EqualFold(n.ServicePlanName(p), ref) || strings.EqualFold(n.Plan(p), ref) {
			hits = appendUnique(hits, p)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		var all []string
		for _, p := range plans {
			all = append(all, fmt.Sprintf("%s (%s, %s)", n.Plan(p), n.ServicePlanName(p), p))
		}
		slices.Sort(all)
		return "", &model.InputError{Message: fmt.Sprintf("%s has no service plan %q. Its plans:", n.SKU(skuID), ref), Problems: all}
	}
	var which []string
	for _, p := range hits {
		which = append(which, fmt.Sprintf("%s (%s, %s)", n.Plan(p), n.ServicePlanName(p), p))
	}
	return "", &model.InputError{Message: fmt.Sprintf("%q names more than one service plan of %s: give the GUID.", ref, n.SKU(skuID)), Problems: which}
}
