package server

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// explainer turns license states into web.LicenseViews with names and explanations, and
// decodes licensing messages: everything the licensing pages say about licenses goes through it.
type explainer struct {
	names     *licensing.Names
	skus      []model.SKU
	templates map[string][]model.AssignedLicense
	groups    map[string]string // group id -> name
	audit     map[string][]licensing.LicensingErrorDetail
}

// newExplainer reads the names of licenses and plans, the subscriptions, and the names and
// templates of every group that assigns these users a license. audit maps a lower-case user id
// to the decoded licensing messages of that user, newest first. On error the explainer still
// works, with GUIDs where names are missing.
func (s *Server) newExplainer(ctx context.Context, users []model.User, audit map[string][]licensing.LicensingErrorDetail) (*explainer, error) {
	ex := &explainer{templates: map[string][]model.AssignedLicense{}, groups: map[string]string{}, audit: audit}
	if s.lic.store == nil {
		ex.names = licensing.NewNames(nil, nil)
		return ex, errors.New("no license store")
	}
	var errs []error
	usage, err := s.lic.store.SKUs(ctx)
	if err != nil && !isNotFound(err) {
		errs = append(errs, err)
	}
	for _, u := range usage {
		ex.skus = append(ex.skus, u.SKU)
	}
	products, err := s.lic.store.ProductCatalog(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	ex.names = licensing.NewNames(products, ex.skus)
	var ids []string
	seen := map[string]bool{}
	for _, u := range users {
		for _, st := range u.LicenseStates {
			if g := st.AssignedByGroup; g != "" && !seen[g] {
				seen[g] = true
				ids = append(ids, g)
			}
		}
	}
	if len(ids) > 0 {
		gs, err := s.lic.store.Groups(ctx, ids)
		if err != nil && !isNotFound(err) {
			errs = append(errs, err)
		}
		for id, g := range gs {
			ex.groups[id] = g.DisplayName
			ex.templates[id] = g.Template
		}
	}
	return ex, errors.Join(errs...)
}

// addGroup makes a group known by name and template (the page's own group).
func (ex *explainer) addGroup(id, name string, tpl []model.TemplateLicense) {
	ex.groups[id] = name
	if _, ok := ex.templates[id]; ok {
		return
	}
	var ls []model.AssignedLicense
	for _, t := range tpl {
		l := model.AssignedLicense{SKUID: t.SKU.ID}
		for _, p := range t.DisabledPlans {
			l.DisabledPlans = append(l.DisabledPlans, p.ID)
		}
		ls = append(ls, l)
	}
	ex.templates[id] = ls
}

func (ex *explainer) context(u model.User) licensing.ExplainContext {
	return licensing.ExplainContext{
		Names: ex.names, SKUs: ex.skus, User: u,
		GroupTemplates: ex.templates, GroupNames: ex.groups,
		Audit: ex.audit[strings.ToLower(u.ID)],
	}
}

// license explains one license state of u.
func (ex *explainer) license(u model.User, st model.LicenseState) web.LicenseView {
	code := model.NormalizeLicenseError(st.Error)
	v := web.LicenseView{
		SKU:     ex.names.NamedSKU(st.SKUID),
		Direct:  st.Direct(),
		GroupID: st.AssignedByGroup,
		State:   st.State,
		Code:    code,
	}
	if !v.Direct {
		v.GroupName = ex.groupName(st.AssignedByGroup)
		v.GroupHref = groupURL(st.AssignedByGroup)
	}
	for _, p := range st.DisabledPlans {
		v.DisabledPlans = append(v.DisabledPlans, ex.names.NamedPlan(p))
	}
	if code != model.ErrorNone {
		x := licensing.Explain(ex.context(u), st)
		v.Summary, v.Detail, v.Fix = x.Summary, x.Detail, x.Fix
		if x.Blocker != nil {
			v.Blocker = ex.names.SKU(x.Blocker.SKUID)
		}
	}
	return v
}

// licenses explains every license of u: each state, plus assigned licenses without a state
// (taken as direct). Errors first, then by name.
func (ex *explainer) licenses(u model.User) []web.LicenseView {
	var out []web.LicenseView
	have := map[string]bool{}
	for _, st := range u.LicenseStates {
		out = append(out, ex.license(u, st))
		have[strings.ToLower(st.SKUID)] = true
	}
	for _, l := range u.AssignedLicenses {
		if have[strings.ToLower(l.SKUID)] {
			continue
		}
		out = append(out, ex.license(u, model.LicenseState{SKUID: l.SKUID, DisabledPlans: l.DisabledPlans, State: model.StateActive}))
	}
	sortLicenses(out)
	return out
}

// groupLicenses explains the states of u that groupID assigns.
func (ex *explainer) groupLicenses(u model.User, groupID string) []web.LicenseView {
	var out []web.LicenseView
	for _, st := range u.LicenseStates {
		if strings.EqualFold(st.AssignedByGroup, groupID) {
			out = append(out, ex.license(u, st))
		}
	}
	sortLicenses(out)
	return out
}

// firstGroupError is the explained error of u from groupID that says most: a real error
// before "Other" (whose explanation names that real error anyway).
func (ex *explainer) firstGroupError(u model.User, groupID string) (web.LicenseView, bool) {
	var other *web.LicenseView
	for _, l := range ex.groupLicenses(u, groupID) {
		if !l.InError() {
			continue
		}
		if l.Code != model.ErrorOther {
			return l, true
		}
		if other == nil {
			other = &l
		}
	}
	if other != nil {
		return *other, true
	}
	return web.LicenseView{}, false
}

func sortLicenses(ls []web.LicenseView) {
	rank := func(l web.LicenseView) int {
		switch {
		case l.InError() && l.Code != model.ErrorOther:
			return 0
		case l.InError():
			return 1
		}
		return 2
	}
	for i := 1; i < len(ls); i++ { // insertion sort: stable, lists are short
		for j := i; j > 0; j-- {
			a, b := ls[j-1], ls[j]
			if rank(a) < rank(b) || (rank(a) == rank(b) && strings.ToLower(a.SKU.Name) <= strings.ToLower(b.SKU.Name)) {
				break
			}
			ls[j-1], ls[j] = b, a
		}
	}
}

func (ex *explainer) groupName(id string) string {
	if n := strings.TrimSpace(ex.groups[id]); n != "" {
		return n
	}
	return id
}

var guidRE = regexp.MustCompile(`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)

// nameGUIDs replaces every GUID in s whose SKU or plan name is known with that name.
func (ex *explainer) nameGUIDs(s string) string {
	return guidRE.ReplaceAllStringFunc(s, func(id string) string {
		if n := ex.names.SKU(id); !strings.EqualFold(n, id) {
			return n
		}
		if n := ex.names.Plan(id); !strings.EqualFold(n, id) {
			return n
		}
		if n := strings.TrimSpace(ex.groups[strings.ToLower(id)]); n != "" {
			return n
		}
		return id
	})
}

// decodeMessage takes a "Licensing Error Message" apart and names every GUID in it.
func (ex *explainer) decodeMessage(raw string) web.DecodedMessage {
	d := licensing.ParseLicensingErrorMessage(raw)
	m := web.DecodedMessage{Raw: raw, Text: ex.nameGUIDs(raw), KindLabel: kindLabel(d.Kind)}
	for _, id := range d.SKUs {
		m.SKUs = append(m.SKUs, ex.names.NamedSKU(id))
	}
	for _, id := range d.LicensesAdded {
		m.Added = append(m.Added, ex.names.NamedSKU(id))
	}
	for _, id := range d.LicensesRemoved {
		m.Removed = append(m.Removed, ex.names.NamedSKU(id))
	}
	for _, p := range d.ConflictingPlans {
		m.Conflicts = append(m.Conflicts, web.PlanPair{A: ex.names.NamedPlan(p[0]), B: ex.names.NamedPlan(p[1])})
	}
	return m
}

// decodeError says what a failed Graph call means, with GUIDs named and, for a licensing
// refusal, the kind of error in words.
func (ex *explainer) decodeError(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var ge *GraphError
	if errors.As(err, &ge) {
		msg = ge.Error()
		if ge.Kind == "forbidden" {
			msg += ". The app registration lacks the permission: an administrator must grant it."
		}
	}
	text := ex.nameGUIDs(msg)
	if label := kindLabel(licensing.ParseLicensingErrorMessage(msg).Kind); label != "" {
		text = label + ": " + text
	}
	return text
}

// kindLabel names a license error kind for people.
func kindLabel(kind string) string {
	switch kind {
	case model.ErrorCountViolation:
		return "Not enough licenses"
	case model.ErrorMutuallyExclusive:
		return "Conflicting service plans"
	case model.ErrorDependency:
		return "Missing prerequisite"
	case model.ErrorUsageLocation:
		return "Usage location"
	case model.ErrorUniqueness:
		return "Proxy address already in use"
	case model.ErrorOther:
		return "Blocked by another license"
	}
	return ""
}

// auditRows builds rows of audit events, decoding licensing messages, with names of users
// the snapshot knows linked to their pages.
func (ex *explainer) auditRows(events []model.AuditEvent, limit int) ([]web.AuditRow, int) {
	var rows []web.AuditRow
	for i, e := range events {
		if i >= limit {
			return rows, len(events) - limit
		}
		row := web.AuditRow{At: e.At, Activity: e.Activity, Result: e.Result, Reason: ex.nameGUIDs(e.ResultReason),
			Service: e.LoggedByService}
		for _, t := range e.Targets {
			if strings.EqualFold(t.Type, "user") || row.TargetID == "" {
				row.TargetID = t.ID
				row.TargetName = displayName(firstNonEmpty(t.DisplayName, t.UserPrincipalName, t.ID))
				if strings.EqualFold(t.Type, "user") && t.ID != "" {
					row.TargetHref = userURL(t.ID)
					break
				}
			}
		}
		switch {
		case e.InitiatedByApp != nil && e.InitiatedByApp.DisplayName != "":
			row.Initiator = e.InitiatedByApp.DisplayName
		case e.InitiatedByUser != nil:
			row.Initiator = firstNonEmpty(e.InitiatedByUser.UserPrincipalName, e.InitiatedByUser.DisplayName)
		}
		if msg, ok := e.Detail("Licensing Error Message"); ok && strings.TrimSpace(msg) != "" {
			m := ex.decodeMessage(msg)
			row.Message = &m
		}
		rows = append(rows, row)
	}
	return rows, 0
}

// auditDetails decodes the licensing messages of events per lower-case target user id, newest
// first as the events come, for explanations.
func auditDetails(events []model.AuditEvent) map[string][]licensing.LicensingErrorDetail {
	out := map[string][]licensing.LicensingErrorDetail{}
	for _, e := range events {
		msg, ok := e.Detail("Licensing Error Message")
		if !ok || strings.TrimSpace(msg) == "" {
			continue
		}
		d := licensing.ParseLicensingErrorMessage(msg)
		for _, t := range e.Targets {
			if t.ID != "" {
				k := strings.ToLower(t.ID)
				out[k] = append(out[k], d)
			}
		}
	}
	return out
}
