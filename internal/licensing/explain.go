package licensing

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// ExplainContext is what Explain may use to explain one license state of one user. Only Names
// and User matter much; everything else makes the explanation more precise when present.
type ExplainContext struct {
	Names *Names
	// SKUs are the tenant's subscribed SKUs, for unit counts.
	SKUs []model.SKU
	// User is the user the state belongs to, with all license states and assigned licenses.
	User model.User
	// GroupTemplates maps a group id to its license template; GroupNames a group id to its name.
	GroupTemplates map[string][]model.AssignedLicense
	GroupNames     map[string]string
	// Audit are the parsed "Licensing Error Message"s of this user's recent "Change user
	// license" events, newest first (see ParseLicensingErrorMessage).
	Audit []LicensingErrorDetail
	// DisabledHolders counts, per SKU id (lower case), the holders whose account is disabled:
	// units a count violation could free. Missing SKUs are not known.
	DisabledHolders map[string]int
}

// Explanation is a license state in plain words: what is wrong, why, and how to fix it.
type Explanation struct {
	Code    model.LicenseError // the normalised error (model.ErrorCountViolation, ...); "" when no error
	Summary string             // one line, e.g. "Not enough licenses: Office 365 A1 for faculty has 0 of 500 available"
	Detail  string             // why, with where the license comes from
	Fix     string             // what an admin does about it
	// Blocker is, for Other, the state of the sibling license (same group, same user) that
	// really failed; nil when none was found.
	Blocker *model.LicenseState
	// Then is what would fail next once this error is fixed: every license of the same source
	// (the group's template, or the user's direct licenses) checked against capacity, usage
	// location, conflicts and prerequisites (see lookAhead).
	Then []Ahead
}

// Ahead is a failure the user's data predicts for a license of the same source, which Microsoft
// has not reported (all-or-none stops at the first failure it meets, and numbers change).
type Ahead struct {
	SKUID string
	Code  model.LicenseError
	Text  string // "Power BI Pro would fail too: not enough licenses, 0 of 96 available"
	Fix   string
}

// Explain explains one of ctx.User's license states.
func Explain(ctx ExplainContext, st model.LicenseState) Explanation {
	x := explainer{ctx}
	if st.Error == model.ErrorOther {
		return x.other(st)
	}
	r := x.reason(st)
	e := Explanation{Code: st.Error, Summary: r.summary, Detail: r.detail, Fix: r.fix}
	if st.InError() && r.key != "" {
		for _, a := range x.lookAhead(st) {
			e.Then = append(e.Then, x.ahead(st, a))
		}
	}
	return e
}

type explainer struct{ ExplainContext }

// reason is an explanation plus its short form for "blocked by ...: <short>". key names the
// cause (the same key, the same fix: see Causes) and many says it of n users at once; both are
// unset for a license that is fine.
type reason struct {
	summary, short, detail, fix string
	key                         string
	many                        manyWords
}

// manyWords says a cause of several people in one headline and its fix.
type manyWords func(p people) (headline, fix string)

func (x explainer) reason(st model.LicenseState) reason {
	switch st.Error {
	case model.ErrorNone:
		return x.noError(st)
	case model.ErrorCountViolation:
		return x.count(st)
	case model.ErrorMutuallyExclusive:
		return x.conflict(st)
	case model.ErrorDependency:
		return x.dependency(st)
	case model.ErrorUsageLocation:
		return x.usageLocation(st)
	case model.ErrorUniqueness:
		return x.uniqueness(st)
	}
	name := x.sku(st.SKUID)
	return reason{
		summary: fmt.Sprintf("License error %q on %s", st.Error, name),
		short:   fmt.Sprintf("license error %q", st.Error),
		detail: fmt.Sprintf("Microsoft reports the error %q for %s (%s), which tenantdesk does not know.",
			st.Error, name, x.source(st)),
		fix: "Reprocess the user; if the error stays, look it up in the Microsoft Entra admin center under the user's licenses.",
		key: x.causeKey("code", string(st.Error), st.SKUID),
		many: func(p people) (string, string) {
			return fmt.Sprintf("%s %s the license error %q on %s", p, p.verb("has", "have"), st.Error, name),
				"Reprocess them; if the error stays, look it up in the Microsoft Entra admin center under the users' licenses."
		},
	}
}

func (x explainer) noError(st model.LicenseState) reason {
	name := x.sku(st.SKUID)
	switch st.State {
	case model.StateDisabled:
		r := reason{summary: name + " is assigned but disabled", short: "disabled",
			detail: fmt.Sprintf("%s is %s but disabled: its services are switched off for this user.", name, x.source(st)),
			fix:    fmt.Sprintf("Check the %s subscription in the Microsoft 365 admin center (Billing).", name)}
		if sku, ok := x.tenantSKU(st.SKUID); ok && sku.CapabilityStatus != "" && !strings.EqualFold(sku.CapabilityStatus, "Enabled") {
			r.summary = fmt.Sprintf("%s is assigned but disabled: the subscription is %s", name, strings.ToLower(sku.CapabilityStatus))
			r.detail = fmt.Sprintf("%s is %s, but the subscription's status is %s, so its services are switched off for this user. The assignment stays and still counts against the subscription.",
				name, x.source(st), sku.CapabilityStatus)
			r.fix = fmt.Sprintf("Renew or reactivate the %s subscription (Microsoft 365 admin center, Billing), or remove the license from %s if it is no longer needed.", name, x.where(st))
		}
		return r
	case model.StateError, model.StateActiveWithError:
		// An error state without an error code: nothing precise to say.
		return reason{summary: name + " is in error without a reason given", short: "in error",
			detail: fmt.Sprintf("%s (%s) is in state %s, but Microsoft gave no error code.", name, x.source(st), st.State),
			fix:    "Reprocess the user to get a current state.",
			key:    x.causeKey("nocode", st.SKUID, st.AssignedByGroup),
			many: func(p people) (string, string) {
				return fmt.Sprintf("%s %s in error on %s without a reason given", p, p.verb("is", "are"), name),
					"Reprocess them to get a current state."
			}}
	}
	return reason{summary: name + " is assigned", short: "assigned",
		detail: fmt.Sprintf("%s is %s and active.", name, x.source(st))}
}

func (x explainer) count(st model.LicenseState) reason {
	name := x.sku(st.SKUID)
	key := x.causeKey("count", st.SKUID)
	sku, ok := x.tenantSKU(st.SKUID)
	if !ok {
		return reason{
			summary: fmt.Sprintf("Not enough licenses: the tenant has no subscription for %s", name),
			short:   "not enough licenses (no subscription for it in this tenant)",
			detail: fmt.Sprintf("%s is %s, but the tenant's subscriptions do not include it (expired or never bought).",
				name, x.source(st)),
			fix: fmt.Sprintf("Buy %s, or remove it from %s, then %s.", name, x.where(st), x.reprocess(st)),
			key: key,
			many: func(p people) (string, string) {
				return fmt.Sprintf("%s cannot get %s: the tenant has no subscription for it", p, name),
					fmt.Sprintf("Buy at least %s of %s, or remove it from %s, then reprocess them.", nUnits(p.n), name, x.where(st))
			},
		}
	}
	avail, total := sku.Available(), sku.Prepaid.Enabled
	free := x.freeable(st.SKUID)
	left := fmt.Sprintf("%d of %d available", avail, total) // what is left, in words
	switch {
	case total == 0 && sku.Prepaid.Warning > 0:
		left = fmt.Sprintf("0 available, its %s in the grace period", nUnits(sku.Prepaid.Warning))
	case total == 0 && sku.Prepaid.Suspended > 0:
		left = fmt.Sprintf("0 available, its %s suspended", nUnits(sku.Prepaid.Suspended))
	}
	r := reason{
		summary: fmt.Sprintf("Not enough licenses: %s has %s", name, left),
		short:   "not enough licenses, " + left,
		detail: fmt.Sprintf("%s is %s, but all %d purchased licenses were in use (%d assigned).",
			name, x.source(st), total, sku.ConsumedUnits),
		fix: fmt.Sprintf("Buy more %s licenses, or remove it from users who no longer need it (direct assignments or groups)%s, then %s.",
			name, free, x.reprocess(st)),
		key: key,
	}
	status := sku.CapabilityStatus
	off := status != "" && !strings.EqualFold(status, "Enabled")
	r.many = func(p people) (string, string) {
		head := fmt.Sprintf("%s cannot get %s: %s", p, name, left)
		need := p.n - avail
		switch {
		case off:
			return head, fmt.Sprintf("Renew or reactivate the %s subscription (status %s), or buy at least %s, then reprocess them.",
				name, status, nUnits(max(need, 1)))
		case need <= 0:
			return head, fmt.Sprintf("Licenses are free now: reprocess these %s.", p)
		}
		return head, fmt.Sprintf("Buy at least %s, or free %s%s, then reprocess them.", nUnits(need), number(need), free)
	}
	if off {
		r.detail += fmt.Sprintf(" The subscription's status is %s: its licenses cannot be assigned until it is renewed.", status)
		r.fix = fmt.Sprintf("Renew or reactivate the %s subscription (status %s) or buy more licenses, then %s.", name, status, x.reprocess(st))
	} else if avail > 0 {
		r.detail += fmt.Sprintf(" %d licenses have become free since.", avail)
		r.fix = fmt.Sprintf("Licenses are free now: %s to apply it.", x.reprocess(st))
	}
	return r
}

// freeable says, for a fix that frees units of a SKU, how many of its holders are disabled
// accounts (" (12 of its holders are disabled accounts)"), "" when none or not known.
func (x explainer) freeable(skuID string) string {
	switch n := x.DisabledHolders[model.NormalizeID(skuID)]; n {
	case 0:
		return ""
	case 1:
		return " (1 of its holders is a disabled account)"
	default:
		return fmt.Sprintf(" (%s of its holders are disabled accounts)", number(n))
	}
}

// holder is a license the user holds besides the one being explained.
type holder struct {
	skuID    string
	group    string // "" = direct
	disabled []string
}

func (x explainer) conflict(st model.LicenseState) reason {
	name := x.sku(st.SKUID)
	mine := x.enabledPlans(st.SKUID, st.DisabledPlans)
	holders := x.otherLicenses(st)

	// 1. The audit log names the pair.
	for _, d := range x.Audit {
		for _, pair := range d.ConflictingPlans {
			a, b := pair[0], pair[1]
			if contains(mine, b) && !contains(mine, a) {
				a, b = b, a
			}
			if len(mine) > 0 && !contains(mine, a) && !containsAny(d.LicensesAdded, st.SKUID) {
				continue // this event is about another license
			}
			h, found := x.holding(holders, b)
			return x.conflictReason(st, a, b, h, found, "")
		}
	}
	// 2. Known families of exclusive plans.
	if matches := x.conflictMatches(st); len(matches) > 0 {
		m := matches[0]
		r := x.conflictReason(st, m.mine, m.theirs, m.h, true, m.f.note)
		var also []string
		for _, o := range matches[1:] {
			also = append(also, fmt.Sprintf("%s with %s from %s", x.plan(o.mine), x.plan(o.theirs), x.sku(o.h.skuID)))
		}
		if len(also) > 0 {
			r.detail += " Also in conflict: " + strings.Join(also, "; ") + "."
		}
		return r
	}
	// 3. Licenses that overlap in plans, or at least the list of the user's other licenses.
	var overlap, others []string
	for _, h := range holders {
		desc := x.sku(h.skuID) + " (" + x.holderSource(h) + ")"
		others = append(others, desc)
		if n := countShared(mine, x.enabledPlans(h.skuID, h.disabled)); n > 0 {
			overlap = append(overlap, fmt.Sprintf("%s, sharing %d service plans", desc, n))
		}
	}
	r := reason{
		summary: fmt.Sprintf("Conflicting service plans: %s conflicts with a plan this user already has", name),
		short:   "a service plan conflicts with one the user already has",
		detail:  fmt.Sprintf("%s is %s, but one of its service plans cannot be held together with a plan of another of this user's licenses.", name, x.source(st)),
		fix:     fmt.Sprintf("Remove the other license or disable the conflicting plan in one of them, then %s.", x.reprocess(st)),
		key:     x.causeKey("conflict", st.SKUID, st.AssignedByGroup),
		many: func(p people) (string, string) {
			return fmt.Sprintf("%s cannot get %s: one of its service plans conflicts with a plan they already have", p, name),
				fmt.Sprintf("Compare their other licenses with %s; remove the other license or disable the conflicting plan in one of them, then reprocess them.", x.where(st))
		},
	}
	switch {
	case len(overlap) > 0:
		r.detail += " Overlapping licenses: " + strings.Join(overlap, "; ") + "."
	case len(others) > 0:
		r.detail += " The user's other licenses: " + strings.Join(others, "; ") + "."
	default:
		r.detail += " The snapshot shows no other license of this user; it may have been assigned since."
		r.fix = "Reprocess the user; if the error stays, compare the user's licenses in the Microsoft Entra admin center."
	}
	return r
}

// conflictMatch is a plan of the license being explained (mine) that a known family of
// exclusive plans says cannot be held with a plan (theirs) of another license h of the user.
type conflictMatch struct {
	mine, theirs string
	h            holder
	f            exclusiveFamily
}

// conflictMatches are the known conflicts of st's license with the user's other licenses,
// strict families first: Exchange's comes last, Microsoft relaxed it.
func (x explainer) conflictMatches(st model.LicenseState) []conflictMatch {
	var matches []conflictMatch
	holders := x.otherLicenses(st)
	for _, p := range x.enabledPlans(st.SKUID, st.DisabledPlans) {
		pn := x.Names.ServicePlanName(p)
		for _, h := range holders {
			for _, q := range x.enabledPlans(h.skuID, h.disabled) {
				if f, ok := exclusiveWith(pn, x.Names.ServicePlanName(q)); ok {
					matches = append(matches, conflictMatch{p, q, h, f})
				}
			}
		}
	}
	relaxed := func(m conflictMatch) int {
		if m.f.note != "" {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(matches, func(a, b conflictMatch) int { return cmp.Compare(relaxed(a), relaxed(b)) })
	return matches
}

func (x explainer) conflictReason(st model.LicenseState, mine, theirs string, h holder, found bool, note string) reason {
	name := x.sku(st.SKUID)
	a, b := x.plan(mine), x.plan(theirs)
	r := reason{}
	if found {
		other := x.sku(h.skuID)
		src := x.holderSource(h)
		r.summary = fmt.Sprintf("Conflicting service plans: %s (in %s) conflicts with %s from %s, %s", a, name, b, other, src)
		r.short = fmt.Sprintf("conflicting plans, %s conflicts with %s from %s (%s)", a, b, other, src)
		r.detail = fmt.Sprintf("%s is %s. The user already has %s through %s (%s), and a user cannot hold %s and %s together.",
			name, x.source(st), b, other, src, a, b)
		var fixMany string
		if h.group == "" {
			r.fix = fmt.Sprintf("Remove %s from the user or disable %s in it (or disable %s in %s), then %s.",
				other, b, a, x.where(st), x.reprocess(st))
			fixMany = fmt.Sprintf("Remove %s from them or disable %s in their direct assignment (or disable %s in %s), then reprocess them.",
				other, b, a, x.where(st))
		} else {
			r.fix = fmt.Sprintf("Remove the user from group %s or disable %s in that group's template (or disable %s in %s), then %s.",
				x.groupName(h.group), b, a, x.where(st), x.reprocess(st))
			fixMany = fmt.Sprintf("Remove them from group %s or disable %s in that group's template (or disable %s in %s), then reprocess them.",
				x.groupName(h.group), b, a, x.where(st))
		}
		r.key = x.causeKey("conflict", st.SKUID, st.AssignedByGroup, mine, theirs, h.skuID, h.group)
		r.many = func(p people) (string, string) {
			return fmt.Sprintf("%s %s %s from %s (%s), which conflicts with %s in %s", p, p.verb("holds", "hold"), b, other, src, a, name),
				fixMany + noteSuffix(note)
		}
	} else {
		r.summary = fmt.Sprintf("Conflicting service plans: %s (in %s) conflicts with %s, which the user already has", a, name, b)
		r.short = fmt.Sprintf("conflicting plans, %s conflicts with %s", a, b)
		r.detail = fmt.Sprintf("%s is %s. The user already has %s through another license, and cannot hold %s and %s together.",
			name, x.source(st), b, a, b)
		r.fix = fmt.Sprintf("Find the user's license that includes %s and remove it or disable that plan (or disable %s in %s), then %s.",
			b, a, x.where(st), x.reprocess(st))
		r.key = x.causeKey("conflict", st.SKUID, st.AssignedByGroup, mine, theirs)
		r.many = func(p people) (string, string) {
			return fmt.Sprintf("%s already %s %s, which conflicts with %s in %s", p, p.verb("holds", "hold"), b, a, name),
				fmt.Sprintf("Find their licenses that include %s and remove them or disable that plan (or disable %s in %s), then reprocess them.",
					b, a, x.where(st)) + noteSuffix(note)
		}
	}
	if note != "" {
		r.fix += " " + note
	}
	return r
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return " " + note
}

func (x explainer) dependency(st model.LicenseState) reason {
	name := x.sku(st.SKUID)
	if m, ok := x.missingPrerequisite(st); ok {
		what, verb := andList(m.addons), "needs"
		if len(m.addons) > 1 {
			verb = "need"
		}
		r := reason{
			summary: fmt.Sprintf("Missing prerequisite: %s %s %s", what, verb, m.need.what),
			short:   fmt.Sprintf("missing prerequisite, %s %s %s", what, verb, m.need.what),
			detail:  fmt.Sprintf("%s is %s. Its %s %s %s %s, which ", name, x.source(st), plural(len(m.addons), "plan", "plans"), what, verb, m.need.what),
			key:     x.causeKey("dependency", st.SKUID, st.AssignedByGroup, m.need.what),
		}
		switch {
		case st.Direct():
			r.detail += "none of this user's licenses provides."
			r.fix = fmt.Sprintf("Assign the user a license that includes %s (or enable that plan in one they have), then %s.", m.need.what, x.reprocess(st))
		case m.held != nil:
			r.detail += fmt.Sprintf("the user has through %s (%s), but group-based licensing needs the prerequisite in the same group as the add-on.",
				x.sku(m.held.skuID), x.holderSource(*m.held))
			r.fix = fmt.Sprintf("Add a license that includes %s to the template of group %s (a user who already holds that license uses no extra one), then reprocess the group.",
				m.need.what, x.groupName(st.AssignedByGroup))
		default:
			r.detail += fmt.Sprintf("group %s does not assign and group-based licensing needs in the same group as the add-on.",
				x.groupName(st.AssignedByGroup))
			r.fix = fmt.Sprintf("Add a license that includes %s to the template of group %s (or enable that plan in a license it has), then reprocess the group.",
				m.need.what, x.groupName(st.AssignedByGroup))
		}
		it := what // "it needs", when the add-on plan is named as its license is
		if it == name {
			it = "it"
		}
		r.many = func(p people) (string, string) {
			if st.Direct() {
				return fmt.Sprintf("%s cannot get %s: %s %s %s, which none of their licenses provides", p, name, it, verb, m.need.what),
					fmt.Sprintf("Assign them a license that includes %s (or enable that plan in one they have), then reprocess them.", m.need.what)
			}
			return fmt.Sprintf("%s cannot get %s: %s %s %s in the same group", p, name, it, verb, m.need.what),
				fmt.Sprintf("Add a license that includes %s to the template of group %s (a user who already holds that license uses no extra one), then reprocess them.",
					m.need.what, x.groupName(st.AssignedByGroup))
		}
		return r
	}
	return reason{
		summary: fmt.Sprintf("Missing prerequisite: %s depends on a service plan this user does not have", name),
		short:   "a prerequisite service plan is missing",
		detail: fmt.Sprintf("%s is %s. One of its service plans needs another plan to be enabled, or removing a license would leave another license without its prerequisite.",
			name, x.source(st)),
		fix: fmt.Sprintf("Make sure the prerequisite plan stays assigned (with group-based licensing, in the same group), or disable the dependent plan, then %s.",
			x.reprocess(st)),
		key: x.causeKey("dependency", st.SKUID, st.AssignedByGroup),
		many: func(p people) (string, string) {
			return fmt.Sprintf("%s cannot get %s: a prerequisite service plan is missing", p, name),
				"Make sure the prerequisite plan stays assigned (with group-based licensing, in the same group), or disable the dependent plan, then reprocess them."
		},
	}
}

// missing is what an add-on needs and the user lacks: the add-on plans (named), their
// prerequisite, and a license outside the group that has it (nil when none).
type missing struct {
	addons []string
	need   prerequisite
	held   *holder
}

// missingPrerequisite finds add-on plans of st's license whose prerequisite is missing,
// grouped by that prerequisite. What counts: what the license brings along itself, and the
// same group's template for a group assignment (group-based licensing wants add-on and
// prerequisite together), all of the user's licenses for a direct one.
func (x explainer) missingPrerequisite(st model.LicenseState) (missing, bool) {
	mine := x.enabledPlans(st.SKUID, st.DisabledPlans)
	names := make([]string, len(mine))
	addon := false
	for i, p := range mine {
		names[i] = strings.ToUpper(x.Names.ServicePlanName(p))
		_, needs := prerequisites[names[i]]
		addon = addon || needs
	}
	if !addon {
		// Most licenses have no add-on plan: nothing to look for among the user's others (the
		// look-ahead asks this of every license of every user in error).
		return missing{}, false
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	elsewhere := map[string]holder{} // plan name -> a license of the user outside the group
	for _, h := range x.otherLicenses(st) {
		for _, p := range x.enabledPlans(h.skuID, h.disabled) {
			pn := strings.ToUpper(x.Names.ServicePlanName(p))
			if st.Direct() || strings.EqualFold(h.group, st.AssignedByGroup) {
				have[pn] = true
			} else if _, ok := elsewhere[pn]; !ok {
				elsewhere[pn] = h
			}
		}
	}
	if st.AssignedByGroup != "" {
		for _, l := range x.GroupTemplates[st.AssignedByGroup] {
			if model.NormalizeID(l.SKUID) == model.NormalizeID(st.SKUID) {
				continue
			}
			for _, p := range x.enabledPlans(l.SKUID, l.DisabledPlans) {
				have[strings.ToUpper(x.Names.ServicePlanName(p))] = true
			}
		}
	}
	var m missing
	for i, p := range mine {
		pr, ok := prerequisites[names[i]]
		if !ok || anyIn(have, pr.plans) || (len(m.addons) > 0 && pr.what != m.need.what) {
			continue
		}
		m.need = pr
		m.addons = appendUnique(m.addons, x.plan(p))
	}
	if len(m.addons) == 0 {
		return missing{}, false
	}
	for _, n := range m.need.plans {
		if h, ok := elsewhere[strings.ToUpper(n)]; ok {
			m.held = &h
			break
		}
	}
	return m, true
}

func (x explainer) usageLocation(st model.LicenseState) reason {
	name := x.sku(st.SKUID)
	loc := strings.TrimSpace(x.User.UsageLocation)
	upn := x.User.UserPrincipalName
	if upn == "" {
		upn = "<user>"
	}
	set := fmt.Sprintf("set the user's usage location (Microsoft Entra admin center: Users > %s > Edit properties > Settings > Usage location, or Update-MgUser -UserId %s -UsageLocation <two-letter country code>)",
		text.FirstNonEmpty(x.User.DisplayName, upn), upn)
	if loc == "" {
		return reason{
			summary: fmt.Sprintf("No usage location: %s cannot be assigned until the user has one", name),
			short:   "the user has no usage location",
			detail: fmt.Sprintf("%s is %s. Licenses need the country where the user uses the services, and this user has none set.",
				name, x.source(st)),
			fix: fmt.Sprintf("%s to the country where the user works, then %s.", capitalize(set), x.reprocess(st)),
			key: x.causeKey("location", ""),
			many: func(p people) (string, string) {
				return fmt.Sprintf("%s %s no usage location", p, p.verb("has", "have")),
					"Set each one's usage location to the country where they work (Microsoft Entra admin center: Users > the user > Edit properties > Settings > Usage location, or Update-MgUser -UserId <user> -UsageLocation <two-letter country code>), then reprocess them."
			},
		}
	}
	return reason{
		summary: fmt.Sprintf("Not available in usage location %s: %s cannot be assigned there", loc, name),
		short:   fmt.Sprintf("not available in usage location %s", loc),
		detail: fmt.Sprintf("%s is %s, but some of its services are not offered in %s, the user's usage location.",
			name, x.source(st), loc),
		fix: fmt.Sprintf("If %s is wrong, %s, then %s. If it is right, %s: it cannot be used there.",
			loc, set, x.reprocess(st), x.removeFrom(st)),
		key: x.causeKey("location", strings.ToUpper(loc), st.SKUID, st.AssignedByGroup),
		many: func(p people) (string, string) {
			remove := "remove " + name + " from them"
			if !st.Direct() {
				remove = "remove them from group " + x.groupName(st.AssignedByGroup)
			}
			return fmt.Sprintf("%s %s in usage location %s, where %s is not offered", p, p.verb("is", "are"), loc, name),
				fmt.Sprintf("Where %s is wrong, set the right usage location and reprocess; where it is right, %s: it cannot be used there.", loc, remove)
		},
	}
}

func (x explainer) uniqueness(st model.LicenseState) reason {
	name := x.sku(st.SKUID)
	addr := text.FirstNonEmpty(x.User.Mail, x.User.UserPrincipalName)
	lookup := "Get-Recipient -Filter \"EmailAddresses -eq '<address>'\""
	if addr != "" {
		lookup = fmt.Sprintf("Get-Recipient -Filter \"EmailAddresses -eq 'smtp:%s'\"", addr)
	}
	return reason{
		summary: "Proxy address already in use: another object claims one of this user's email addresses",
		short:   "a proxy address of the user is already used by another object",
		detail: fmt.Sprintf("%s is %s, but Exchange Online could not provision it: one of this user's proxy addresses is already used by another mailbox, group or contact.",
			name, x.source(st)),
		fix: fmt.Sprintf("Find the other owner in Exchange Online PowerShell with %s, change or remove the duplicate address, then %s.",
			lookup, x.reprocess(st)),
		key: x.causeKey("uniqueness", ""),
		many: func(p people) (string, string) {
			return fmt.Sprintf("%s %s a proxy address another object already uses", p, p.verb("has", "have")),
				"For each, find the other owner in Exchange Online PowerShell (Get-Recipient -Filter \"EmailAddresses -eq 'smtp:<address>'\"), change or remove the duplicate address, then reprocess them."
		},
	}
}

// other explains "Other": under all-or-none, a sibling license from the same source failed.
// What the user's data says would fail next, for this license itself or its siblings, is said
// too: fixing the sibling alone would only move the error.
func (x explainer) other(st model.LicenseState) Explanation {
	name := x.sku(st.SKUID)
	e := Explanation{Code: model.ErrorOther}
	from := "assigned together with it"
	if !st.Direct() {
		from = "in the template of group " + x.groupName(st.AssignedByGroup)
	}
	var own []problem
	for _, p := range x.lookAhead(st) {
		if model.SameID(p.st.SKUID, st.SKUID) {
			own = append(own, p)
		} else {
			e.Then = append(e.Then, x.ahead(st, p))
		}
	}
	if s, ok := x.blockerState(st); ok {
		sib := x.reason(s)
		blocker := s
		e.Blocker = &blocker
		x.blockedBy(&e, st, name, x.sku(s.SKUID), from, sib, "", own)
		return e
	}
	// No sibling state in error: the audit log may still say which license failed.
	if id, kind, ok := x.auditBlocker(st); ok {
		sib := x.reason(model.LicenseState{SKUID: id, AssignedByGroup: st.AssignedByGroup, Error: kind})
		x.blockedBy(&e, st, name, x.sku(id), from, sib, " (from the audit log)", own)
		return e
	}
	e.Summary = "Blocked by all-or-none: another license assigned with it failed"
	e.Detail = fmt.Sprintf("%s (%s) was not assigned because another license %s could not be assigned to this user, but the current data shows no failing license for them: it may have been fixed or changed since.",
		name, x.source(st), from)
	if st.State == model.StateActiveWithError {
		e.Summary = "Still active, but blocked by all-or-none: another license assigned with it failed"
		e.Detail = fmt.Sprintf("%s (%s) is still assigned and works, but the last change of these licenses failed for another license %s; the current data shows no failing license for them: it may have been fixed or changed since.",
			name, x.source(st), from)
	}
	e.Fix = fmt.Sprintf("Reprocess the user to apply the licenses again or get the current reason; if it stays, check the other licenses %s.", from)
	for _, p := range own {
		e.Then = append(e.Then, x.ahead(st, p))
	}
	return e
}

// blockerState is the sibling state (same SKU source, another SKU) in a real error that blocks
// st under all-or-none.
func (x explainer) blockerState(st model.LicenseState) (model.LicenseState, bool) {
	for _, s := range x.User.LicenseStates {
		if model.NormalizeID(s.SKUID) == model.NormalizeID(st.SKUID) || !strings.EqualFold(s.AssignedByGroup, st.AssignedByGroup) ||
			s.Error == model.ErrorNone || s.Error == model.ErrorOther {
			continue
		}
		return s, true
	}
	return model.LicenseState{}, false
}

// auditBlocker is the sibling SKU and its error that the audit log names for st, when no
// sibling state says so.
func (x explainer) auditBlocker(st model.LicenseState) (string, model.LicenseError, bool) {
	for _, d := range x.Audit {
		if d.Kind == model.ErrorNone || d.Kind == model.ErrorOther {
			continue
		}
		for _, id := range append(append([]string{}, d.SKUs...), d.LicensesAdded...) {
			if model.NormalizeID(id) == model.NormalizeID(st.SKUID) || !x.inSameSource(st, id) {
				continue
			}
			return id, d.Kind, true
		}
	}
	return "", model.ErrorNone, false
}

// blockedBy fills e for an "Other" state st (of license name) whose sibling sibName, from, failed
// for reason sib; own are the problems license name would meet itself once the sibling is
// fixed. An ActiveWithError state is still assigned: the failed change waits, the license works.
func (x explainer) blockedBy(e *Explanation, st model.LicenseState, name, sibName, from string, sib reason, note string, own []problem) {
	if st.State == model.StateActiveWithError {
		e.Summary = fmt.Sprintf("Still active, but blocked by all-or-none: %s failed: %s", sibName, sib.short)
		e.Detail = fmt.Sprintf("%s (%s) is still assigned and works, but %s, %s, could not be assigned to this user%s, and licenses %s are assigned all or none: the change waits until %s can be assigned too.",
			name, x.source(st), sibName, from, note, x.sourcePhrase(st), sibName)
		e.Fix = sib.fix + fmt.Sprintf(" %s is then assigned along with %s.", sibName, name)
		for _, p := range own {
			e.Then = append(e.Then, x.ahead(st, p))
		}
		return
	}
	e.Summary = fmt.Sprintf("Blocked by all-or-none: %s failed: %s", sibName, sib.short)
	e.Detail = fmt.Sprintf("%s (%s) is not assigned because %s, %s, could not be assigned to this user%s, and licenses %s are assigned all or none.",
		name, x.source(st), sibName, from, note, x.sourcePhrase(st))
	if len(own) == 0 {
		e.Detail += fmt.Sprintf(" %s itself is fine.", name)
		e.Fix = sib.fix + fmt.Sprintf(" %s is then assigned along with it.", name)
		return
	}
	var shorts, fixes []string
	for _, p := range own {
		shorts = append(shorts, p.r.short)
		fixes = append(fixes, p.r.fix)
	}
	e.Detail += fmt.Sprintf(" After that, %s would fail itself: %s.", name, strings.Join(shorts, "; "))
	e.Fix = sib.fix + " Then for " + name + ": " + strings.Join(fixes, " ")
}

// inSameSource reports whether SKU id is assigned from the same source as st: in the group's
// template (when known) or among the user's licenses of that source.
func (x explainer) inSameSource(st model.LicenseState, id string) bool {
	if !st.Direct() {
		if tpl, ok := x.GroupTemplates[st.AssignedByGroup]; ok {
			for _, l := range tpl {
				if model.NormalizeID(l.SKUID) == model.NormalizeID(id) {
					return true
				}
			}
			return false
		}
	}
	for _, s := range x.User.LicenseStates {
		if model.NormalizeID(s.SKUID) == model.NormalizeID(id) && strings.EqualFold(s.AssignedByGroup, st.AssignedByGroup) {
			return true
		}
	}
	// Direct assignments fail whole too; a direct error without state is still a sibling.
	return st.Direct()
}

// otherLicenses lists the licenses the user holds apart from st's SKU: states that are not in
// plain error, plus assigned licenses that have no state (taken as direct).
func (x explainer) otherLicenses(st model.LicenseState) []holder {
	var out []holder
	seen := map[string]bool{}
	for _, s := range x.User.LicenseStates {
		id := model.NormalizeID(s.SKUID)
		if id == model.NormalizeID(st.SKUID) || s.State == model.StateError {
			continue
		}
		out = append(out, holder{skuID: id, group: s.AssignedByGroup, disabled: s.DisabledPlans})
		seen[id] = true
	}
	for _, l := range x.User.AssignedLicenses {
		id := model.NormalizeID(l.SKUID)
		if id == model.NormalizeID(st.SKUID) || seen[id] {
			continue
		}
		out = append(out, holder{skuID: id, disabled: l.DisabledPlans})
		seen[id] = true
	}
	return out
}

// holding finds the license among hs that has plan enabled.
func (x explainer) holding(hs []holder, plan string) (holder, bool) {
	for _, h := range hs {
		if contains(x.enabledPlans(h.skuID, h.disabled), plan) {
			return h, true
		}
	}
	return holder{}, false
}

// enabledPlans are the SKU's plans minus the disabled ones; nil when the SKU's plans are unknown.
func (x explainer) enabledPlans(skuID string, disabled []string) []string {
	all := x.Names.SKUPlans(skuID)
	if len(disabled) == 0 {
		return all
	}
	out := make([]string, 0, len(all))
	for _, p := range all {
		if !containsAny(disabled, p) {
			out = append(out, p)
		}
	}
	return out
}

func (x explainer) tenantSKU(id string) (model.SKU, bool) {
	for _, s := range x.SKUs {
		if model.NormalizeID(s.ID) == model.NormalizeID(id) {
			return s, true
		}
	}
	return model.SKU{}, false
}

func (x explainer) sku(id string) string  { return x.Names.SKU(id) }
func (x explainer) plan(id string) string { return x.Names.Plan(id) }

func (x explainer) groupName(id string) string {
	if n := strings.TrimSpace(x.GroupNames[id]); n != "" {
		return fmt.Sprintf("%q", n)
	}
	return id
}

// source says where st comes from: "assigned directly" or "assigned by group "Staff"".
func (x explainer) source(st model.LicenseState) string {
	if st.Direct() {
		return "assigned directly"
	}
	return "assigned by group " + x.groupName(st.AssignedByGroup)
}

func (x explainer) holderSource(h holder) string {
	if h.group == "" {
		return "assigned directly"
	}
	return "from group " + x.groupName(h.group)
}

func (x explainer) sourcePhrase(st model.LicenseState) string {
	if st.Direct() {
		return "assigned together"
	}
	return "of one group"
}

// where names what to change for st: the user's direct licenses or the group's template.
func (x explainer) where(st model.LicenseState) string {
	if st.Direct() {
		return "the user's direct licenses"
	}
	return "the template of group " + x.groupName(st.AssignedByGroup)
}

// removeFrom says how to take st's license away from the user.
func (x explainer) removeFrom(st model.LicenseState) string {
	if st.Direct() {
		return "remove " + x.sku(st.SKUID) + " from the user"
	}
	return "remove the user from group " + x.groupName(st.AssignedByGroup)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (x explainer) reprocess(st model.LicenseState) string {
	if st.Direct() {
		return "reprocess the user"
	}
	return "reprocess the user (or the group)"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// containsAny is contains with GUID normalisation.
func containsAny(list []string, id string) bool {
	id = model.NormalizeID(id)
	for _, v := range list {
		if model.NormalizeID(v) == id {
			return true
		}
	}
	return false
}

func countShared(a, b []string) int {
	n := 0
	for _, v := range a {
		if contains(b, v) {
			n++
		}
	}
	return n
}

func anyIn(have map[string]bool, names []string) bool {
	for _, n := range names {
		if have[strings.ToUpper(n)] {
			return true
		}
	}
	return false
}

// andList joins names as "A", "A and B", "A, B and C".
func andList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
