package licensing

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// Audit activities that change licenses.
const (
	ActivityChangeUserLicense = "Change user license"
	ActivitySetGroupLicense   = "Set group license"
	ActivityUpdateUser        = "Update user"
	gblApp                    = "Microsoft Azure AD Group-Based Licensing"
)

// AuditLicense is one license as the audit log writes it in an AssignedLicense value:
// "[SkuName=ENTERPRISEPACK, AccountId=..., SkuId=6fd2c87f-..., DisabledPlans=[guid,guid]]".
type AuditLicense struct {
	SKUID         string   // lower case
	PartNumber    string   // SkuName
	DisabledPlans []string // lower case
}

// maxAuditValue bounds the work on one modified property value; real ones are a few KB.
const maxAuditValue = 256 << 10

// ParseAuditLicenses reads an AssignedLicense old or new value: a JSON array of strings, each
// one license in the directory's bracket notation (Graph also sends the array's text itself, or
// an empty string for none). Anything that is not a license is skipped; ok is false when the
// value is not in a shape the audit log uses.
func ParseAuditLicenses(v string) (out []AuditLicense, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" || v == "[]" || v == `""` {
		return nil, true
	}
	if len(v) > maxAuditValue {
		return nil, false
	}
	var items []string
	if err := json.Unmarshal([]byte(v), &items); err != nil {
		// Some events carry the JSON array as a JSON string.
		var inner string
		if json.Unmarshal([]byte(v), &inner) != nil || json.Unmarshal([]byte(inner), &items) != nil {
			return nil, false
		}
	}
	for _, it := range items {
		if l, ok := parseAuditLicense(it); ok && !slices.ContainsFunc(out, func(x AuditLicense) bool { return x.SKUID == l.SKUID }) {
			out = append(out, l)
		}
	}
	return out, true
}

// parseAuditLicense reads "[SkuName=X, AccountId=Y, SkuId=Z, DisabledPlans=[a,b]]".
func parseAuditLicense(s string) (AuditLicense, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return AuditLicense{}, false
	}
	s = s[1 : len(s)-1]
	var l AuditLicense
	// DisabledPlans holds a bracketed list with commas: take it out first.
	if i := strings.Index(s, "DisabledPlans=["); i >= 0 {
		rest := s[i+len("DisabledPlans=["):]
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return AuditLicense{}, false
		}
		for p := range strings.SplitSeq(rest[:j], ",") {
			if p = model.NormalizeID(strings.TrimSpace(p)); isGUID(p) && !slices.Contains(l.DisabledPlans, p) {
				l.DisabledPlans = append(l.DisabledPlans, p)
			}
		}
		s = s[:i] + rest[j+1:]
	}
	for field := range strings.SplitSeq(s, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(field), "=")
		if !found {
			continue
		}
		switch strings.TrimSpace(k) {
		case "SkuId":
			l.SKUID = model.NormalizeID(strings.TrimSpace(v))
		case "SkuName":
			l.PartNumber = strings.TrimSpace(v)
		}
	}
	if !isGUID(l.SKUID) {
		return AuditLicense{}, false
	}
	return l, true
}

// TimelineEntry is one license change of a user or a group, decoded from the audit log.
type TimelineEntry struct {
	At       time.Time
	Activity string
	Result   string // success, failure
	// By is who or what made the change: a person's UPN, an app's name, or "group-based
	// licensing" (the service applying a group's licenses).
	By        string
	ByService bool // group-based licensing made it
	Added     []TimelineLicense
	Removed   []model.NamedSKU
	Changed   []TimelineLicense // same SKU, other disabled plans
	// FromGroups are the groups the user holds an added license from now (the audit log does
	// not name the group of a group-based change).
	FromGroups []model.GroupRef
	// Failure is a failed change's licensing error message, GUIDs named.
	Failure string
	// Undecoded: the event changed licenses in a way this version cannot read.
	Undecoded bool
}

// TimelineLicense is a license with its plans named: those disabled, and for a change, the
// plans switched on and off by it.
type TimelineLicense struct {
	SKU           model.NamedSKU
	DisabledPlans []model.NamedPlan
	PlansOn       []model.NamedPlan
	PlansOff      []model.NamedPlan
}

// Timeline decodes the license changes among events (any order) into entries, newest first.
// states are the target user's license states now (nil for a group), to say from which group
// a license added by group-based licensing comes.
func (ex *Explainer) Timeline(events []model.AuditEvent, states []model.LicenseState) []TimelineEntry {
	var out []TimelineEntry
	for _, e := range events {
		if !isLicenseChange(e) {
			continue
		}
		te := TimelineEntry{At: e.At, Activity: e.Activity, Result: e.Result}
		switch {
		case e.InitiatedByUser != nil && e.InitiatedByUser.UserPrincipalName != "":
			te.By = e.InitiatedByUser.UserPrincipalName
		case e.InitiatedByApp != nil && strings.EqualFold(e.InitiatedByApp.DisplayName, gblApp):
			te.By, te.ByService = "group-based licensing", true
		case e.InitiatedByApp != nil:
			te.By = text.FirstNonEmpty(e.InitiatedByApp.DisplayName, e.InitiatedByApp.ServicePrincipalName, e.InitiatedByApp.AppID)
		}
		if msg, ok := licensingMessage(e); ok {
			te.Failure = ex.NameGUIDs(msg)
		}
		for _, t := range e.Targets {
			for _, mp := range t.ModifiedProperties {
				if !strings.EqualFold(mp.DisplayName, "AssignedLicense") {
					continue
				}
				old, ok1 := ParseAuditLicenses(mp.OldValue)
				cur, ok2 := ParseAuditLicenses(mp.NewValue)
				if !ok1 || !ok2 {
					te.Undecoded = true
					continue
				}
				ex.diff(&te, old, cur)
			}
		}
		if len(te.Added)+len(te.Removed)+len(te.Changed) == 0 && te.Failure == "" && !te.Undecoded {
			continue // an "Update user" that changed something else
		}
		if states != nil {
			for _, a := range te.Added {
				for _, st := range states {
					if !st.Direct() && model.NormalizeID(st.SKUID) == a.SKU.ID &&
						!slices.ContainsFunc(te.FromGroups, func(g model.GroupRef) bool { return g.ID == st.AssignedByGroup }) {
						te.FromGroups = append(te.FromGroups, model.GroupRef{ID: st.AssignedByGroup, Name: ex.GroupName(st.AssignedByGroup)})
					}
				}
			}
		}
		out = append(out, te)
	}
	slices.SortStableFunc(out, func(a, b TimelineEntry) int { return b.At.Compare(a.At) })
	return out
}

// isLicenseChange reports whether e is one of the activities that change licenses.
func isLicenseChange(e model.AuditEvent) bool {
	switch {
	case strings.EqualFold(e.Activity, ActivityChangeUserLicense), strings.EqualFold(e.Activity, ActivitySetGroupLicense):
		return true
	case strings.EqualFold(e.Activity, ActivityUpdateUser):
		for _, t := range e.Targets {
			for _, mp := range t.ModifiedProperties {
				if strings.EqualFold(mp.DisplayName, "AssignedLicense") {
					return true
				}
			}
		}
	}
	return false
}

// diff adds to te what changed from old to cur, named.
func (ex *Explainer) diff(te *TimelineEntry, old, cur []AuditLicense) {
	plans := func(ids []string) []model.NamedPlan {
		var out []model.NamedPlan
		for _, id := range ids {
			out = append(out, ex.names.NamedPlan(id))
		}
		return out
	}
	find := func(ls []AuditLicense, sku string) (AuditLicense, bool) {
		i := slices.IndexFunc(ls, func(l AuditLicense) bool { return l.SKUID == sku })
		if i < 0 {
			return AuditLicense{}, false
		}
		return ls[i], true
	}
	for _, c := range cur {
		o, had := find(old, c.SKUID)
		tl := TimelineLicense{SKU: ex.names.NamedSKU(c.SKUID), DisabledPlans: plans(c.DisabledPlans)}
		if !had {
			te.Added = append(te.Added, tl)
			continue
		}
		var on, off []string
		for _, p := range o.DisabledPlans {
			if !slices.Contains(c.DisabledPlans, p) {
				on = append(on, p)
			}
		}
		for _, p := range c.DisabledPlans {
			if !slices.Contains(o.DisabledPlans, p) {
				off = append(off, p)
			}
		}
		if len(on)+len(off) > 0 {
			tl.PlansOn, tl.PlansOff = plans(on), plans(off)
			te.Changed = append(te.Changed, tl)
		}
	}
	for _, o := range old {
		if _, still := find(cur, o.SKUID); !still {
			te.Removed = append(te.Removed, ex.names.NamedSKU(o.SKUID))
		}
	}
}
