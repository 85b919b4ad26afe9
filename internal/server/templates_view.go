package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/templates"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// maxOutcomeRows bounds the members a preview lists one by one; the counts cover every member.
const maxOutcomeRows = 500

func groupRef(g model.Group) web.GroupRef {
	return web.GroupRef{ID: g.ID, Name: displayName(text.FirstNonEmpty(g.DisplayName, g.ID)), Href: groupURL(g.ID)}
}

// editorView is the editor showing tpl (the group's template, or a copied one) ticked.
func (s *Server) editorView(r *http.Request, ed templates.Editor, tpl []model.AssignedLicense) web.TemplateEditorView {
	v := web.TemplateEditorView{
		Group: groupRef(ed.Group), CanEdit: s.can(r, auth.RoleLicenseAdmin), ApplyBlocked: ed.ApplyBlocked,
		ReadProblem: ed.ReadProblem, FormAction: templateURL(ed.Group.ID), CopyAction: templateURL(ed.Group.ID),
		SplitHref: splitURL(ed.Group.ID), BulkHref: bulkURL,
	}
	find := func(list []model.AssignedLicense, id string) (model.AssignedLicense, bool) {
		i := slices.IndexFunc(list, func(l model.AssignedLicense) bool { return model.SameID(l.SKUID, id) })
		if i < 0 {
			return model.AssignedLicense{}, false
		}
		return list[i], true
	}
	for _, o := range ed.SKUs {
		lic, assigned := find(tpl, o.SKU.ID)
		_, now := find(ed.Template, o.SKU.ID)
		el := web.EditorLicense{ID: o.SKU.ID, Name: o.SKU.Name, PartNumber: o.PartNumber, Status: o.Status,
			Available: o.Available, Assigned: assigned, InCurrent: now}
		for _, p := range o.Plans {
			el.Plans = append(el.Plans, web.EditorPlan{ID: p.Plan.ID, Name: p.Plan.Name, Tech: p.Tech,
				Enabled: !slices.ContainsFunc(lic.DisabledPlans, func(d string) bool { return model.SameID(d, p.Plan.ID) })})
		}
		v.Licenses = append(v.Licenses, el)
	}
	// Licenses of the template first, then the rest, each by name (as the service sorts them).
	slices.SortStableFunc(v.Licenses, func(a, b web.EditorLicense) int {
		switch {
		case a.Assigned == b.Assigned:
			return 0
		case a.Assigned:
			return -1
		}
		return 1
	})
	return v
}

// previewView is a preview page's model; with the LicenseAdmin role it has the apply form.
func (s *Server) previewView(r *http.Request, p templates.Preview) web.TemplatePreviewView {
	v := web.TemplatePreviewView{
		Group: groupRef(p.Group), EditHref: editorURL(p.Group.ID, p.Proposed), Diff: p.Diff, NoChange: p.Diff.Empty(),
		Body: p.Change.IndentedBody(), PowerShell: p.Change.PowerShell(p.Group.ID),
		Consequence: consequenceView(p), Warnings: p.Problems,
	}
	if s.can(r, auth.RoleLicenseAdmin) {
		v.Apply = &web.ApplyForm{PostTo: templateURL(p.Group.ID) + "/apply", Base: encodeTemplate(p.Current),
			Proposed: encodeTemplate(p.Proposed), Blocked: p.ApplyBlocked, Risky: p.Consequence.NewlyInError > 0}
	}
	return v
}

// consequenceView puts a prediction into words and rows: members whose outcome changes first,
// errors before the rest.
func consequenceView(p templates.Preview) web.Consequence {
	c, n := p.Consequence, p.Names
	v := web.Consequence{
		Members: len(c.Members), FullyLicensed: c.FullyLicensed, NewlyInError: c.NewlyInError, StillInError: c.StillInError,
		Fixed: c.Fixed, Unchanged: c.Unchanged, Removed: c.Removed, NoUsageLocation: c.NoUsageLocation,
		NotUsers: p.NotUsers, Fresh: p.Fresh, MembersAt: p.MembersAt,
	}
	v.Basis = fmt.Sprintf("Predicted from the current data for the %d %s among the group's direct members as Microsoft Graph listed them at %s",
		len(c.Members), web.Plural(len(c.Members), "user", "users"), web.DateTime(p.MembersAt))
	if p.NotUsers > 0 {
		v.Basis += fmt.Sprintf("; %d other %s not a user (group-based licensing skips them)", p.NotUsers, web.Plural(p.NotUsers, "member is", "members are"))
	}
	if p.Fresh > 0 {
		v.Basis += fmt.Sprintf("; %d %s newer than the data, read from Graph", p.Fresh, web.Plural(p.Fresh, "member is", "members are"))
	}
	v.Basis += "."
	w := p.Words()
	v.Units, v.Findings, v.TemplateProblems = w.Units, w.Findings, w.TemplateProblems
	rank := func(m licensing.MemberPrediction) int {
		switch m.Outcome {
		case licensing.OutcomeNewlyInError:
			return 0
		case licensing.OutcomeStillInError:
			return 1
		case licensing.OutcomeRemoved:
			return 2
		case licensing.OutcomeUnchanged:
			return 5
		}
		return 3
	}
	members := slices.Clone(c.Members)
	slices.SortStableFunc(members, func(a, b licensing.MemberPrediction) int { return rank(a) - rank(b) })
	for i, m := range members {
		if i == maxOutcomeRows {
			v.MoreRows = len(members) - i
			break
		}
		v.Rows = append(v.Rows, memberRow(n, m, p.GroupName))
	}
	return v
}

func memberRow(n *licensing.Names, m licensing.MemberPrediction, group func(string) string) web.MemberOutcomeRow {
	u := m.User
	row := web.MemberOutcomeRow{ID: u.ID, Name: userDisplayName(u), UPN: u.UserPrincipalName, Href: userURL(u.ID),
		UsageLocation: u.UsageLocation, Outcome: string(m.Outcome), OutcomeLabel: m.Outcome.Label()}
	switch {
	case m.Failure != nil && m.Failure.Code != model.ErrorOther:
		row.Reason = capitalize(n.Reason(*m.Failure, group))
	case m.Failure != nil:
		row.Reason = "Another license of this group fails for them, so none applies (all or none)."
	case m.Outcome == licensing.OutcomeRemoved:
		row.Reason = "This group no longer gives them licenses." + keptElsewhere(n, m, group)
	}
	for _, id := range m.Gains {
		row.Gains = append(row.Gains, n.NamedSKU(id))
	}
	for _, id := range m.Losses {
		row.Losses = append(row.Losses, n.NamedSKU(id))
	}
	for _, e := range m.Elsewhere {
		st := e.After
		if st.SKUID == "" {
			st = e.Before
		}
		from := "assigned directly"
		if st.AssignedByGroup != "" {
			from = "from group " + group(st.AssignedByGroup)
		}
		row.Elsewhere = append(row.Elsewhere, n.SKU(st.SKUID)+" "+from+": "+stateWords(e.Before)+" → "+stateWords(e.After))
	}
	return row
}

// stateWords is a license state in the explainer's words ("none" when there is no state).
func stateWords(st model.LicenseState) string {
	if st.SKUID == "" {
		return "none"
	}
	l := licensing.ExplainedLicense{State: st.State, Code: st.Error}
	if st.InError() {
		return l.StateLabel() + " (" + string(st.Error) + ")"
	}
	return l.StateLabel()
}

// keptElsewhere names the licenses a member keeps from other sources when this group stops
// giving them (after a split: from the new groups), as a sentence, or "".
func keptElsewhere(n *licensing.Names, m licensing.MemberPrediction, group func(string) string) string {
	var kept []string
	for _, before := range m.Before {
		for _, st := range m.User.LicenseStates {
			if model.SameID(st.SKUID, before.SKUID) && !model.SameID(st.AssignedByGroup, before.AssignedByGroup) && !st.InError() {
				from := "directly"
				if st.AssignedByGroup != "" {
					from = "from " + group(st.AssignedByGroup)
				}
				kept = append(kept, n.SKU(st.SKUID)+" "+from)
				break
			}
		}
	}
	if len(kept) == 0 {
		return ""
	}
	return " They keep " + strings.Join(kept, ", ") + "."
}
