package licensing

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// ExplainedLicense is one license of a user as every page, export and command shows it: named,
// where it comes from, its state, and for an error what is wrong, why and the fix.
type ExplainedLicense struct {
	SKU       model.NamedSKU
	Direct    bool
	GroupID   string
	GroupName string // the assigning group's name; its id when unknown
	State     string
	Code      model.LicenseError // model.ErrorNone when the license is fine
	Summary   string
	Detail    string
	Fix       string
	// DisabledPlans are the license's disabled service plans, named.
	DisabledPlans []model.NamedPlan
	// Blocker is, for Other, the name of the sibling license that really failed.
	Blocker string
	// Then is what would fail next once this error is fixed (see Explanation.Then), named.
	Then []Ahead
}

// InError reports whether the license carries an error.
func (l ExplainedLicense) InError() bool { return l.Code != model.ErrorNone }

// StateLabel is the license's state in words, THE one wording of license states for pages,
// CSV exports and the command line: "Active", "Active with error" (assigned and working, but the
// last change of its source failed), "Disabled" (assigned, services off), "Error" (not
// assigned), "Assigned" for a license without a state; Graph's own word for a state tenantdesk
// does not know.
func (l ExplainedLicense) StateLabel() string {
	switch {
	case l.State == "" && !l.InError():
		return "Assigned"
	case l.State == "":
		return "Error"
	case l.State == model.StateActiveWithError:
		return "Active with error"
	}
	return l.State
}

// Explained reports whether the license has an explanation to show: an error, or a state that
// is not plainly active (Disabled).
func (l ExplainedLicense) Explained() bool {
	return l.Summary != "" && (l.InError() || l.State == model.StateDisabled)
}

// ExplainerSource is what LoadExplainer reads: the subscriptions, Microsoft's product names and
// the licensed groups. *store.Store implements it.
type ExplainerSource interface {
	SKUs(ctx context.Context) ([]model.SKUUsage, error)
	ProductCatalog(ctx context.Context) ([]model.Product, error)
	Groups(ctx context.Context, ids []string) (map[string]model.GroupInfo, error)
}

// Explainer is THE explainer: it turns license states into ExplainedLicenses with names, and
// decodes licensing messages of the audit log and of refused Graph calls. Pages, CSV exports
// and the command line all explain licenses through it. It is read-only once loaded (AddGroup
// aside, called before use), so one request's explainer may serve its goroutines.
type Explainer struct {
	names     *Names
	skus      []model.SKU
	templates map[string][]model.AssignedLicense
	groups    map[string]string // group id -> name
	audit     map[string][]LicensingErrorDetail
	// disabledHolders counts disabled accounts among the holders of used-up SKUs (see
	// CountDisabledHolders); nil until read.
	disabledHolders map[string]int
}

// LoadExplainer reads the names of licenses and plans, the subscriptions, and the names and
// templates of every group that assigns these users a license. events are recent audit events
// of these users, newest first: their licensing messages make explanations more precise. On
// error the explainer still works, with GUIDs where names are missing, and the error says what
// could not be read.
func LoadExplainer(ctx context.Context, src ExplainerSource, users []model.User, events []model.AuditEvent) (*Explainer, error) {
	ex := &Explainer{templates: map[string][]model.AssignedLicense{}, groups: map[string]string{}, audit: auditDetails(events)}
	var errs []error
	usage, err := src.SKUs(ctx)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		errs = append(errs, err)
	}
	for _, u := range usage {
		ex.skus = append(ex.skus, u.SKU)
	}
	products, err := src.ProductCatalog(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	ex.names = NewNames(products, ex.skus)
	var ids []string
	for _, u := range users {
		for _, st := range u.LicenseStates {
			if g := st.AssignedByGroup; g != "" && !slices.Contains(ids, g) {
				ids = append(ids, g)
			}
		}
	}
	if len(ids) > 0 {
		gs, err := src.Groups(ctx, ids)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			errs = append(errs, err)
		}
		for id, g := range gs {
			ex.groups[id] = g.DisplayName
			ex.templates[id] = g.Template
		}
	}
	return ex, errors.Join(errs...)
}

// AddGroup makes a group known by name and template (a page's own group, which may assign
// none of the users explained).
func (ex *Explainer) AddGroup(id, name string, tpl []model.TemplateLicense) {
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

// Names are the explainer's license and plan names.
func (ex *Explainer) Names() *Names { return ex.names }

func (ex *Explainer) context(u model.User) ExplainContext {
	return ExplainContext{
		Names: ex.names, SKUs: ex.skus, User: u,
		GroupTemplates: ex.templates, GroupNames: ex.groups,
		Audit: ex.audit[model.NormalizeID(u.ID)], DisabledHolders: ex.disabledHolders,
	}
}

// License explains one license state of u.
func (ex *Explainer) License(u model.User, st model.LicenseState) ExplainedLicense {
	v := ExplainedLicense{
		SKU:     ex.names.NamedSKU(st.SKUID),
		Direct:  st.Direct(),
		GroupID: st.AssignedByGroup,
		State:   st.State,
		Code:    st.Error,
	}
	if !v.Direct {
		v.GroupName = ex.GroupName(st.AssignedByGroup)
	}
	for _, p := range st.DisabledPlans {
		v.DisabledPlans = append(v.DisabledPlans, ex.names.NamedPlan(p))
	}
	if st.InError() || st.State == model.StateDisabled {
		x := Explain(ex.context(u), st)
		v.Summary, v.Detail, v.Fix, v.Then = x.Summary, x.Detail, x.Fix, x.Then
		if x.Blocker != nil {
			v.Blocker = ex.names.SKU(x.Blocker.SKUID)
		}
	}
	return v
}

// Licenses explains every license of u: each state, plus assigned licenses without a state
// (taken as direct). Real errors first, then "Other", then the rest, each by name.
func (ex *Explainer) Licenses(u model.User) []ExplainedLicense {
	var out []ExplainedLicense
	var have []string
	for _, st := range u.LicenseStates {
		out = append(out, ex.License(u, st))
		have = append(have, model.NormalizeID(st.SKUID))
	}
	for _, l := range u.AssignedLicenses {
		if slices.Contains(have, model.NormalizeID(l.SKUID)) {
			continue
		}
		out = append(out, ex.License(u, model.LicenseState{SKUID: l.SKUID, DisabledPlans: l.DisabledPlans, State: model.StateActive}))
	}
	sortLicenses(out)
	return out
}

// LicensePlan is one service plan of a license, named, on or off for the user.
type LicensePlan struct {
	model.NamedPlan
	Enabled bool
}

// Plans are the service plans of license l (as the tenant's subscription lists them, else
// Microsoft's catalog), each enabled unless l disables it, by name; disabled plans the SKU is
// not known to have are listed too.
func (ex *Explainer) Plans(l ExplainedLicense) []LicensePlan {
	var out []LicensePlan
	off := map[string]bool{}
	for _, p := range l.DisabledPlans {
		off[model.NormalizeID(p.ID)] = true
	}
	for _, id := range ex.names.SKUPlans(l.SKU.ID) {
		out = append(out, LicensePlan{NamedPlan: ex.names.NamedPlan(id), Enabled: !off[id]})
		delete(off, id)
	}
	for _, p := range l.DisabledPlans {
		if off[model.NormalizeID(p.ID)] {
			out = append(out, LicensePlan{NamedPlan: p})
		}
	}
	slices.SortStableFunc(out, func(a, b LicensePlan) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out
}

// GroupLicenses explains the states of u that groupID assigns, in the order of Licenses.
func (ex *Explainer) GroupLicenses(u model.User, groupID string) []ExplainedLicense {
	var out []ExplainedLicense
	for _, st := range u.LicenseStates {
		if model.SameID(st.AssignedByGroup, groupID) {
			out = append(out, ex.License(u, st))
		}
	}
	sortLicenses(out)
	return out
}

// FirstGroupError is the explained error of u from groupID that says most: a real error before
// "Other" (whose explanation names that real error anyway).
func (ex *Explainer) FirstGroupError(u model.User, groupID string) (ExplainedLicense, bool) {
	for _, l := range ex.GroupLicenses(u, groupID) {
		if l.InError() {
			return l, true // sorted: real errors come before Other
		}
	}
	return ExplainedLicense{}, false
}

// errorRank orders licenses: real errors, then Other, then the rest.
func errorRank(l ExplainedLicense) int {
	switch {
	case l.InError() && l.Code != model.ErrorOther:
		return 0
	case l.InError():
		return 1
	}
	return 2
}

func sortLicenses(ls []ExplainedLicense) {
	slices.SortStableFunc(ls, func(a, b ExplainedLicense) int {
		if d := errorRank(a) - errorRank(b); d != 0 {
			return d
		}
		return strings.Compare(strings.ToLower(a.SKU.Name), strings.ToLower(b.SKU.Name))
	})
}

// GroupName is a group's name, or its id when the name is not known.
func (ex *Explainer) GroupName(id string) string {
	if n := strings.TrimSpace(ex.groups[id]); n != "" {
		return n
	}
	return id
}

var guidRE = regexp.MustCompile(`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)

// NameGUIDs replaces every GUID in s whose SKU, plan or group name is known with that name.
func (ex *Explainer) NameGUIDs(s string) string {
	return guidRE.ReplaceAllStringFunc(s, func(id string) string {
		if n := ex.names.SKU(id); !strings.EqualFold(n, id) {
			return n
		}
		if n := ex.names.Plan(id); !strings.EqualFold(n, id) {
			return n
		}
		if n := strings.TrimSpace(ex.groups[model.NormalizeID(id)]); n != "" {
			return n
		}
		return id
	})
}

// DecodedMessage is a "Licensing Error Message" of the audit log with every GUID named.
type DecodedMessage struct {
	Text      string // the message with GUIDs replaced by names, without the licenses being added or removed
	Raw       string // as Microsoft wrote it, for copying
	KindLabel string // "Not enough licenses", ...
	SKUs      []model.NamedSKU
	Added     []model.NamedSKU
	Removed   []model.NamedSKU
	Conflicts []PlanPair
}

// PlanPair is a pair of service plans in conflict.
type PlanPair struct{ A, B model.NamedPlan }

// beingChangedRE is the "Licenses being added: [...]" (or removed) part of a licensing message,
// which DecodedMessage lists apart (Added, Removed).
var beingChangedRE = regexp.MustCompile(`(?i)\s*licen[cs]es? being (?:added|removed):\s*\[[^\]]*\]\.?`)

// DecodeMessage takes a "Licensing Error Message" apart and names every GUID in it. Its Text
// leaves out the licenses being added or removed, which Added and Removed list by name.
func (ex *Explainer) DecodeMessage(raw string) DecodedMessage {
	d := ParseLicensingErrorMessage(raw)
	text := raw
	if len(d.LicensesAdded) > 0 || len(d.LicensesRemoved) > 0 {
		text = strings.TrimSpace(beingChangedRE.ReplaceAllString(raw, ""))
	}
	m := DecodedMessage{Raw: raw, Text: ex.NameGUIDs(text), KindLabel: KindLabel(d.Kind)}
	named := func(ids []string) []model.NamedSKU {
		var out []model.NamedSKU
		for _, id := range ids {
			out = append(out, ex.names.NamedSKU(id))
		}
		return out
	}
	m.SKUs, m.Added, m.Removed = named(d.SKUs), named(d.LicensesAdded), named(d.LicensesRemoved)
	for _, p := range d.ConflictingPlans {
		m.Conflicts = append(m.Conflicts, PlanPair{A: ex.names.NamedPlan(p[0]), B: ex.names.NamedPlan(p[1])})
	}
	return m
}

// DecodeError says what a failed Graph call means (model.DescribeGraphError), with GUIDs named
// and, for a licensing refusal, the kind of error in words first.
func (ex *Explainer) DecodeError(err error) string {
	if err == nil {
		return ""
	}
	msg := model.DescribeGraphError(err)
	text := ex.NameGUIDs(msg)
	if label := KindLabel(ParseLicensingErrorMessage(msg).Kind); label != "" {
		text = label + ": " + text
	}
	return text
}

// KindLabel names a license error for people; "" for no error or one tenantdesk does not know.
func KindLabel(code model.LicenseError) string {
	switch code {
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

// licensingMessageKey is the additional detail of "Change user license" events that carries
// Microsoft's licensing error text.
const licensingMessageKey = "Licensing Error Message"

// licensingMessage is an event's licensing error text, if it has one.
func licensingMessage(e model.AuditEvent) (string, bool) {
	msg, ok := e.Detail(licensingMessageKey)
	return msg, ok && strings.TrimSpace(msg) != ""
}

// AuditEntry is one directory audit event as the pages show it: the target and who started it
// by name, and its licensing message decoded.
type AuditEntry struct {
	model.AuditEvent
	TargetID   string
	TargetName string
	TargetUser bool // the target is a user (so it has a page)
	Initiator  string
	Reason     string          // resultReason with GUIDs named
	Message    *DecodedMessage // the "Licensing Error Message", when there is one
}

// AuditEntries explains at most limit events and says how many were left out.
func (ex *Explainer) AuditEntries(events []model.AuditEvent, limit int) ([]AuditEntry, int) {
	var out []AuditEntry
	for i, e := range events {
		if i >= limit {
			return out, len(events) - limit
		}
		x := AuditEntry{AuditEvent: e, Reason: ex.NameGUIDs(e.ResultReason)}
		for _, t := range e.Targets {
			user := strings.EqualFold(t.Type, "user")
			if user || x.TargetID == "" {
				x.TargetID = t.ID
				x.TargetName = text.FirstNonEmpty(t.DisplayName, t.UserPrincipalName, t.ID)
				if user && t.ID != "" {
					x.TargetUser = true
					break
				}
			}
		}
		switch {
		case e.InitiatedByApp != nil && e.InitiatedByApp.DisplayName != "":
			x.Initiator = e.InitiatedByApp.DisplayName
		case e.InitiatedByUser != nil:
			x.Initiator = text.FirstNonEmpty(e.InitiatedByUser.UserPrincipalName, e.InitiatedByUser.DisplayName)
		}
		if msg, ok := licensingMessage(e); ok {
			m := ex.DecodeMessage(msg)
			x.Message = &m
		}
		out = append(out, x)
	}
	return out, 0
}

// auditDetails decodes the licensing messages of events per normalised target id, newest first
// as the events come, for explanations.
func auditDetails(events []model.AuditEvent) map[string][]LicensingErrorDetail {
	out := map[string][]LicensingErrorDetail{}
	for _, e := range events {
		msg, ok := licensingMessage(e)
		if !ok {
			continue
		}
		d := ParseLicensingErrorMessage(msg)
		for _, t := range e.Targets {
			if t.ID != "" {
				k := model.NormalizeID(t.ID)
				out[k] = append(out[k], d)
			}
		}
	}
	return out
}

// FirstError is the explained error of u that says most, from any source.
func (ex *Explainer) FirstError(u model.User) (ExplainedLicense, bool) {
	for _, l := range ex.Licenses(u) {
		if l.InError() {
			return l, true // sorted: real errors come before Other
		}
	}
	return ExplainedLicense{}, false
}

// AddGroups makes groups known by name and template (for explanations of users the explainer
// was not loaded with, such as a whole SKU's holders streamed to a file).
func (ex *Explainer) AddGroups(groups map[string]model.GroupInfo) {
	for id, g := range groups {
		ex.groups[id] = g.DisplayName
		if _, ok := ex.templates[id]; !ok {
			ex.templates[id] = g.Template
		}
	}
}

// SKULicenses explains u's states (and stateless assignment) of one SKU, errors first.
func (ex *Explainer) SKULicenses(u model.User, skuID string) []ExplainedLicense {
	var out []ExplainedLicense
	for _, l := range ex.Licenses(u) {
		if model.SameID(l.SKU.ID, skuID) {
			out = append(out, l)
		}
	}
	return out
}
