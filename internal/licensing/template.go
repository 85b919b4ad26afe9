package licensing

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// A group's license template and changes to it: the canonical form of a template, the
// assignLicense call that turns one template into another, that call as Graph's JSON body and as
// the PowerShell an admin would run, and the difference in words.

// CanonicalTemplate is tpl with ids normalised, each SKU once (the last entry wins, as Graph
// takes it), disabled plans unique and sorted, and SKUs sorted by id: two templates are the same
// exactly when their canonical forms are equal.
func CanonicalTemplate(tpl []model.AssignedLicense) []model.AssignedLicense {
	out := make([]model.AssignedLicense, 0, len(tpl))
	for _, l := range tpl {
		id := model.NormalizeID(l.SKUID)
		if id == "" {
			continue
		}
		plans := make([]string, 0, len(l.DisabledPlans))
		for _, p := range l.DisabledPlans {
			if p = model.NormalizeID(p); p != "" && !slices.Contains(plans, p) {
				plans = append(plans, p)
			}
		}
		slices.Sort(plans)
		c := model.AssignedLicense{SKUID: id, DisabledPlans: plans}
		if i := slices.IndexFunc(out, func(o model.AssignedLicense) bool { return o.SKUID == id }); i >= 0 {
			out[i] = c
			continue
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b model.AssignedLicense) int { return strings.Compare(a.SKUID, b.SKUID) })
	return out
}

// SameTemplate reports whether two templates assign the same licenses with the same plans off.
func SameTemplate(a, b []model.AssignedLicense) bool {
	return slices.EqualFunc(CanonicalTemplate(a), CanonicalTemplate(b), func(x, y model.AssignedLicense) bool {
		return x.SKUID == y.SKUID && slices.Equal(x.DisabledPlans, y.DisabledPlans)
	})
}

// Change is one assignLicense call: licenses to add (or whose disabled plans to replace) and
// SKU ids to remove, both at once. A swap (remove one SKU, add another) is one call, so Microsoft
// applies both together: members keep service and no conflict arises between the two.
type Change struct {
	Add    []model.AssignedLicense
	Remove []string
}

// Empty reports whether the change changes nothing.
func (c Change) Empty() bool { return len(c.Add) == 0 && len(c.Remove) == 0 }

// ChangeBetween is the one assignLicense call that turns template from into to: every SKU of to
// that from lacks or holds with other disabled plans is added (with all of to's disabled plans:
// Graph replaces them), every SKU of from that to lacks is removed. Both lists are sorted by id.
func ChangeBetween(from, to []model.AssignedLicense) Change {
	f, t := CanonicalTemplate(from), CanonicalTemplate(to)
	var c Change
	for _, l := range t {
		i := slices.IndexFunc(f, func(o model.AssignedLicense) bool { return o.SKUID == l.SKUID })
		if i < 0 || !slices.Equal(f[i].DisabledPlans, l.DisabledPlans) {
			c.Add = append(c.Add, l)
		}
	}
	for _, l := range f {
		if !slices.ContainsFunc(t, func(o model.AssignedLicense) bool { return o.SKUID == l.SKUID }) {
			c.Remove = append(c.Remove, l.SKUID)
		}
	}
	return c
}

// Apply is the template that results from applying c to tpl, as Graph does: removals, then each
// added license replacing the same SKU's entry.
func (c Change) Apply(tpl []model.AssignedLicense) []model.AssignedLicense {
	out := CanonicalTemplate(tpl)
	out = slices.DeleteFunc(out, func(l model.AssignedLicense) bool { return containsAny(c.Remove, l.SKUID) })
	return CanonicalTemplate(append(out, c.Add...))
}

type bodyLicense struct {
	SKUID         string   `json:"skuId"`
	DisabledPlans []string `json:"disabledPlans"`
}

type body struct {
	AddLicenses    []bodyLicense `json:"addLicenses"`
	RemoveLicenses []string      `json:"removeLicenses"`
}

func (c Change) body() body {
	b := body{AddLicenses: []bodyLicense{}, RemoveLicenses: []string{}}
	for _, l := range c.Add {
		b.AddLicenses = append(b.AddLicenses, bodyLicense{SKUID: l.SKUID, DisabledPlans: append([]string{}, l.DisabledPlans...)})
	}
	b.RemoveLicenses = append(b.RemoveLicenses, c.Remove...)
	return b
}

// Body is the call as Graph's JSON request body, compact: both lists always present (Graph
// requires them), every disabledPlans an array.
func (c Change) Body() string {
	out, _ := json.Marshal(c.body()) // strings and slices of strings always marshal
	return string(out)
}

// IndentedBody is Body indented for reading.
func (c Change) IndentedBody() string {
	out, _ := json.MarshalIndent(c.body(), "", "  ")
	return string(out)
}

// PowerShell is the same call as an admin would run it with the Microsoft Graph PowerShell
// module: the body as a hashtable in $params, then Set-MgGroupLicense.
func (c Change) PowerShell(groupID string) string {
	var b strings.Builder
	b.WriteString("$params = @{ addLicenses = @(")
	for i, l := range c.Add {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "@{ skuId = %s; disabledPlans = @(%s) }", psString(l.SKUID), psList(l.DisabledPlans))
	}
	fmt.Fprintf(&b, "); removeLicenses = @(%s) }\n", psList(c.Remove))
	fmt.Fprintf(&b, "Set-MgGroupLicense -GroupId %s -BodyParameter $params", psString(groupID))
	return b.String()
}

// psString quotes s for PowerShell. Ids come from Graph or were checked as GUIDs; anything a
// double-quoted PowerShell string would expand ($, `, ") is escaped all the same.
func psString(s string) string {
	r := strings.NewReplacer("`", "``", `"`, "`\"", "$", "`$")
	return `"` + r.Replace(s) + `"`
}

func psList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = psString(id)
	}
	return strings.Join(q, ", ")
}

// LicenseDiff is one SKU of a template change, named: its disabled plans after the change and
// which plans the change switches off or on.
type LicenseDiff struct {
	SKU           model.NamedSKU
	DisabledPlans []model.NamedPlan // after the change
	Disabled      []model.NamedPlan // plans the change switches off
	Enabled       []model.NamedPlan // plans the change switches on
}

// TemplateDiff is a template change in words: SKUs added and removed, and plans disabled or
// enabled in SKUs that stay.
type TemplateDiff struct {
	Added   []LicenseDiff
	Removed []model.NamedSKU
	Changed []LicenseDiff
	Kept    []model.NamedSKU // SKUs the change leaves as they are
}

// Swap reports whether the change removes a SKU and adds another in the same call.
func (d TemplateDiff) Swap() bool { return len(d.Added) > 0 && len(d.Removed) > 0 }

// Empty reports whether the change changes nothing.
func (d TemplateDiff) Empty() bool {
	return len(d.Added) == 0 && len(d.Removed) == 0 && len(d.Changed) == 0
}

// Diff names the change from template from to template to.
func (n *Names) Diff(from, to []model.AssignedLicense) TemplateDiff {
	f, t := CanonicalTemplate(from), CanonicalTemplate(to)
	var d TemplateDiff
	plans := func(ids []string) []model.NamedPlan {
		out := make([]model.NamedPlan, 0, len(ids))
		for _, id := range ids {
			out = append(out, n.NamedPlan(id))
		}
		slices.SortStableFunc(out, func(a, b model.NamedPlan) int {
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		})
		return out
	}
	for _, l := range t {
		i := slices.IndexFunc(f, func(o model.AssignedLicense) bool { return o.SKUID == l.SKUID })
		ld := LicenseDiff{SKU: n.NamedSKU(l.SKUID), DisabledPlans: plans(l.DisabledPlans)}
		switch {
		case i < 0:
			ld.Disabled = ld.DisabledPlans
			d.Added = append(d.Added, ld)
		case slices.Equal(f[i].DisabledPlans, l.DisabledPlans):
			d.Kept = append(d.Kept, ld.SKU)
		default:
			var off, on []string
			for _, p := range l.DisabledPlans {
				if !slices.Contains(f[i].DisabledPlans, p) {
					off = append(off, p)
				}
			}
			for _, p := range f[i].DisabledPlans {
				if !slices.Contains(l.DisabledPlans, p) {
					on = append(on, p)
				}
			}
			ld.Disabled, ld.Enabled = plans(off), plans(on)
			d.Changed = append(d.Changed, ld)
		}
	}
	for _, l := range f {
		if !slices.ContainsFunc(t, func(o model.AssignedLicense) bool { return o.SKUID == l.SKUID }) {
			d.Removed = append(d.Removed, n.NamedSKU(l.SKUID))
		}
	}
	byName := func(a, b model.NamedSKU) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	}
	slices.SortStableFunc(d.Added, func(a, b LicenseDiff) int { return byName(a.SKU, b.SKU) })
	slices.SortStableFunc(d.Changed, func(a, b LicenseDiff) int { return byName(a.SKU, b.SKU) })
	slices.SortStableFunc(d.Removed, byName)
	slices.SortStableFunc(d.Kept, byName)
	return d
}

// Lines are the diff in sentences, for the activity log and the command line.
func (d TemplateDiff) Lines() []string {
	var out []string
	names := func(ps []model.NamedPlan) string {
		s := make([]string, len(ps))
		for i, p := range ps {
			s[i] = p.Name
		}
		return andList(s)
	}
	for _, a := range d.Added {
		line := "add " + a.SKU.Name
		if len(a.DisabledPlans) > 0 {
			line += " with " + names(a.DisabledPlans) + " disabled"
		}
		out = append(out, line)
	}
	for _, r := range d.Removed {
		out = append(out, "remove "+r.Name)
	}
	for _, c := range d.Changed {
		var parts []string
		if len(c.Disabled) > 0 {
			parts = append(parts, "disable "+names(c.Disabled))
		}
		if len(c.Enabled) > 0 {
			parts = append(parts, "enable "+names(c.Enabled))
		}
		out = append(out, "in "+c.SKU.Name+": "+strings.Join(parts, ", "))
	}
	return out
}

// String is the diff in one line.
func (d TemplateDiff) String() string {
	if d.Empty() {
		return "no change"
	}
	return strings.Join(d.Lines(), "; ")
}
