package licensing

import (
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// PrerequisiteGap is an add-on of a group's license template whose prerequisite plan no license
// of the same template provides: group-based licensing then fails every member who does not
// happen to hold the prerequisite in the same group (DependencyViolation).
type PrerequisiteGap struct {
	SKUID  string
	AddOns []string // the add-on plans, named
	Needs  string   // what they need, in words
}

// TemplatePrerequisiteGaps are the prerequisite gaps of template tpl, by the prerequisites
// licensing knows (knownplans.go), with plans named by names.
func TemplatePrerequisiteGaps(names *Names, tpl []model.AssignedLicense) []PrerequisiteGap {
	have := map[string]bool{}
	enabled := func(l model.AssignedLicense) []string {
		var out []string
		for _, p := range names.SKUPlans(l.SKUID) {
			if !containsAny(l.DisabledPlans, p) {
				out = append(out, p)
			}
		}
		return out
	}
	for _, l := range tpl {
		for _, p := range enabled(l) {
			have[strings.ToUpper(names.ServicePlanName(p))] = true
		}
	}
	var out []PrerequisiteGap
	for _, l := range tpl {
		var gap PrerequisiteGap
		for _, p := range enabled(l) {
			pr, ok := prerequisites[strings.ToUpper(names.ServicePlanName(p))]
			if !ok || anyIn(have, pr.plans) || gap.Needs != "" && gap.Needs != pr.what {
				continue
			}
			gap.SKUID, gap.Needs = model.NormalizeID(l.SKUID), pr.what
			gap.AddOns = appendUnique(gap.AddOns, names.Plan(p))
		}
		if gap.Needs != "" {
			out = append(out, gap)
		}
	}
	return out
}
