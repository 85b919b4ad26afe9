package licensing

import (
	"fmt"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// The consequence in words: THE sentences pages and the command line show for a prediction.

// UnitsSentence says what the change does to one SKU's units, "" when it does nothing to them.
// added tells whether the change adds the SKU, kept whether the template has it before and
// after (then only a shortage is worth saying).
func (n *Names) UnitsSentence(u SKUUnits, added, kept bool) string {
	name := n.SKU(u.SKUID)
	switch {
	case !added && !kept && u.Frees > 0:
		return fmt.Sprintf("Removing %s gives back %s %s.", name, count(u.Frees), plural(u.Frees, "unit", "units"))
	case !added && !kept, kept && u.Short == 0:
		return ""
	case u.Needed == 0:
		return fmt.Sprintf("%s takes no new unit: every member holds it already, directly or from another group.", name)
	}
	s := fmt.Sprintf("%s needs %s more %s and %s %s available", name, count(u.Needed), plural(u.Needed, "unit", "units"),
		count(u.Available), plural(u.Available, "is", "are"))
	if kept {
		s = fmt.Sprintf("%s, already in the template, is still short: it needs %s more %s and %s %s available", name,
			count(u.Needed), plural(u.Needed, "unit", "units"), count(u.Available), plural(u.Available, "is", "are"))
	}
	if u.Short == 0 {
		return s + "."
	}
	s += fmt.Sprintf(": all or none, so %s %s would get no new license from this group, %s failing stops the others it assigns too.",
		count(u.Short), plural(u.Short, "member", "members"), name)
	if u.ShortLosing > 0 {
		s += fmt.Sprintf(" %s of them would lose licenses they have now.", count(u.ShortLosing))
	}
	if u.ShortKeeping > 0 {
		s += fmt.Sprintf(" %s keep what this group gives them now, marked Active with error.", count(u.ShortKeeping))
	}
	return s
}

// FindingSentence says one problem of the change in a sentence: which license, which plans,
// what they clash with or need, and how many members it hits. group names a group id.
func (n *Names) FindingSentence(f Finding, group func(id string) string) string {
	who := fmt.Sprintf("%s %s", count(len(f.Members)), plural(len(f.Members), "member", "members"))
	return who + ": " + n.Reason(f.Violation, group)
}

// Reason says why a license fails for a member, without saying who: "Yammer for Academic in
// Office 365 A1 for students conflicts with Yammer Enterprise in Office 365 E3, which they hold
// directly; a user cannot hold both."
func (n *Names) Reason(v Violation, group func(id string) string) string {
	name := n.SKU(v.SKUID)
	switch v.Code {
	case model.ErrorCountViolation:
		return fmt.Sprintf("not enough %s licenses left for them.", name)
	case model.ErrorMutuallyExclusive:
		src := "which they hold directly"
		switch {
		case v.WithinSource:
			src = "in the same template"
		case v.WithSource != "" && group != nil:
			src = "which they hold from group " + group(v.WithSource)
		case v.WithSource != "":
			src = "which they hold from group " + v.WithSource
		}
		return fmt.Sprintf("%s conflicts with %s, %s; a user cannot hold both.",
			n.plansIn(v.Plans, v.SKUID), n.plansIn(v.With, v.WithSKU), src)
	case model.ErrorDependency:
		return fmt.Sprintf("%s %s %s, which none of their licenses provides.",
			n.plansIn(v.Plans, v.SKUID), plural(len(v.Plans), "needs", "need"), v.Need)
	case model.ErrorUsageLocation:
		return fmt.Sprintf("%s %s not offered in usage location %s.", n.plansIn(v.Plans, v.SKUID), plural(len(v.Plans), "is", "are"), v.Location)
	case model.ErrorUniqueness:
		return fmt.Sprintf("%s includes an Exchange Online mailbox, and another object already uses one of their proxy addresses.", name)
	}
	return fmt.Sprintf("%s fails (%s).", name, v.Code)
}

// TemplatePrereqSentence says that an add-on of the template lacks its prerequisite in the same
// group, which Microsoft refuses.
func (n *Names) TemplatePrereqSentence(v Violation) string {
	plans := make([]string, len(v.Plans))
	for i, id := range v.Plans {
		plans[i] = n.Plan(id)
	}
	return fmt.Sprintf("%s %s %s in the same group: Microsoft refuses a group template without it (\"License operation failed. Make sure that the group has necessary services before adding or removing a dependent service\"). Add a license that includes it to this template, or disable %s.",
		n.plansIn(v.Plans, v.SKUID), plural(len(plans), "needs", "need"), v.Need, andList(plans))
}

// plansIn names plans of a SKU: "Yammer for Academic in Office 365 A1 for students", or just
// the name when the SKU is that one plan ("Microsoft 365 Audio Conferencing").
func (n *Names) plansIn(ids []string, sku string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = n.Plan(id)
	}
	list, name := andList(s), n.SKU(sku)
	if sku == "" || strings.EqualFold(list, name) {
		return list
	}
	return list + " in " + name
}

// OutcomeLabel is a member's outcome in words.
func (o Outcome) Label() string {
	switch o {
	case OutcomeUnchanged:
		return "Unchanged"
	case OutcomeLicensed:
		return "Fully licensed"
	case OutcomeFixed:
		return "Fixed: fully licensed"
	case OutcomeNewlyInError:
		return "Newly in error"
	case OutcomeStillInError:
		return "Still in error"
	case OutcomeRemoved:
		return "Licenses from this group removed"
	}
	return string(o)
}

// count writes n with thousands separators.
func count(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
