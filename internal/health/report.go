package health

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Finding kinds, stable: URLs, CSV file names, thresholds and JSON use them.
const (
	KindDisabled       = "disabled"         // licenses held by disabled accounts
	KindInactive       = "inactive"         // by members inactive for N days
	KindNeverSignedIn  = "never-signed-in"  // by members who never signed in
	KindGuests         = "guests"           // by guests inactive or never signed in
	KindUnassigned     = "unassigned-units" // units paid for and not assigned, per SKU
	KindSubscriptions  = "subscriptions"    // expiring, in grace, suspended or trial within the horizon
	KindDirectAndGroup = "direct-and-group" // the same SKU directly and from a group
	KindNested         = "nested-groups"    // groups nested in license-assigning groups
	KindNoUsageLoc     = "no-usage-location"
	KindPrerequisite   = "missing-prerequisite" // a template's add-on without its prerequisite
	KindStuck          = "stuck-processing"
	KindPlanUnion      = "plan-union" // one SKU from groups with different disabled plans
	KindNewPlans       = "new-plans"  // templates whose disabled plans miss plans added since
)

// Kinds are every finding kind in the order the report shows them.
func Kinds() []string {
	return []string{KindDisabled, KindInactive, KindNeverSignedIn, KindGuests, KindUnassigned, KindSubscriptions,
		KindDirectAndGroup, KindNested, KindNoUsageLoc, KindPrerequisite, KindStuck, KindNewPlans, KindPlanUnion}
}

// Report is the license health of the current snapshot.
type Report struct {
	TakenAt      time.Time
	Options      Options
	SignInsMiss  string // why sign-in activity is missing ("" when read)
	SubsMissing  string // why subscriptions are missing
	Findings     []Finding
	Waste        Money           // monthly cost of the waste findings, priced SKUs only
	UnpricedSKUs int             // SKUs in waste findings without a price (counted in units)
	dynamic      map[string]bool // licensed groups with dynamic membership
}

// Finding is one check of the report.
type Finding struct {
	Kind  string
	Title string
	// Count is how many things it found: licenses, units, subscriptions, users or groups, as
	// Unit says.
	Count int
	Unit  string
	// Monthly is what the waste costs a month (or, for subscriptions, the value at stake), priced
	// SKUs only; Unpriced counts what had no price.
	Monthly  Money
	Unpriced int
	Waste    bool   // counted in the report's total waste
	Fix      string // what to do, in general; each item says it for itself
	// Unavailable says why the check could not run (its count is then 0).
	Unavailable string
	Items       []Item
}

// Item is one thing a finding found: a user's license, a SKU's units, a subscription or a group.
type Item struct {
	UserID, UserName, UPN string
	GroupID, GroupName    string
	SKUID, SKUName        string
	// Sources is where the license comes from: "direct" and/or group names (Groups has their ids).
	Direct bool
	Groups []model.GroupRef
	Units  int
	// Monthly is what this item costs a month where priced.
	Monthly Money
	// When is the date the item is about: the last sign-in, the subscription's next lifecycle
	// date, since when a group processes.
	When   time.Time
	Detail string // one sentence of what is wrong
	Fix    string // one sentence of what to do, for this item's path
}

// Finding returns the finding of kind, if the report has it.
func (r Report) Finding(kind string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.Kind == kind {
			return f, true
		}
	}
	return Finding{}, false
}

// Report computes every finding from the current snapshot. model.ErrNotFound before the first
// sync.
func (s *Service) Report(ctx context.Context, opts Options) (Report, error) {
	if err := opts.Validate(); err != nil {
		return Report{}, err
	}
	opts = opts.withDefaults()
	data, err := s.st.HealthData(ctx)
	if err != nil {
		return Report{}, err
	}
	sums, err := s.st.LicenseSummaries(ctx)
	if err != nil {
		return Report{}, err
	}
	prices, err := s.st.Prices(ctx)
	if err != nil {
		return Report{}, err
	}
	var rows []model.GroupReportRow
	if err := s.st.EachGroupReportRow(ctx, model.GroupReportQuery{}, func(r model.GroupReportRow) error {
		rows = append(rows, r)
		return nil
	}); err != nil {
		return Report{}, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	groups := map[string]model.GroupInfo{}
	if len(ids) > 0 {
		if groups, err = s.st.Groups(ctx, ids); err != nil {
			return Report{}, err
		}
	}
	c := &computation{
		now: s.now(), opts: opts, data: data, prices: prices, names: s.names(ctx), groups: groups,
		skus: map[string]model.SKUSummary{}, f: map[string]*Finding{},
	}
	for _, sm := range sums {
		c.skus[model.NormalizeID(sm.ID)] = sm
	}
	c.start()
	if opts.SkipUsers {
		for _, k := range userKinds {
			c.f[k].Unavailable = "Not computed here: the licensed users were not read."
		}
	} else if err := s.st.EachLicensedUser(ctx, []string{}, func(u model.User) error {
		c.user(u)
		return nil
	}); err != nil {
		return Report{}, err
	}
	c.units(sums)
	c.subscriptions()
	c.templates(rows)
	return c.finish(), nil
}

// userKinds are the findings computed from the licensed users (computation.user).
var userKinds = []string{KindDisabled, KindInactive, KindNeverSignedIn, KindGuests, KindDirectAndGroup, KindNoUsageLoc, KindPlanUnion}

// computation is one report being computed.
type computation struct {
	now    time.Time
	opts   Options
	data   model.HealthData
	prices map[string]model.Price
	names  *licensing.Names
	groups map[string]model.GroupInfo
	skus   map[string]model.SKUSummary
	f      map[string]*Finding
}

func (c *computation) start() {
	days := c.opts.InactiveDays
	add := func(kind, title, unit, fix string, waste bool) {
		c.f[kind] = &Finding{Kind: kind, Title: title, Unit: unit, Fix: fix, Waste: waste, Monthly: Money{}}
	}
	pathFix := "Remove each license the way it was given: a direct one from the user, one from a group by taking the user out of that group (Graph refuses to remove a group's license from the user)."
	add(KindDisabled, "Licenses held by disabled accounts", "licenses", pathFix, true)
	add(KindInactive, fmt.Sprintf("Licenses held by members inactive for %d days or more", days), "licenses", pathFix, true)
	add(KindNeverSignedIn, "Licenses held by members who never signed in", "licenses",
		pathFix+fmt.Sprintf(" Accounts created in the last %d days are not counted.", days), true)
	add(KindGuests, fmt.Sprintf("Licenses held by guests inactive for %d days or who never signed in", days), "licenses", pathFix, true)
	add(KindUnassigned, "Units paid for and not assigned", "units",
		"Reduce the subscription's quantity at its next renewal in the Microsoft 365 admin center (Billing › Your products), or assign the units.", true)
	add(KindSubscriptions, fmt.Sprintf("Subscriptions that expire, renew, are in grace, suspended or a trial within %d days", c.opts.HorizonDays), "subscriptions",
		"Renew or cancel each in the Microsoft 365 admin center before its date; move users off a trial or suspended subscription first.", false)
	add(KindDirectAndGroup, "The same license assigned directly and by a group", "licenses",
		"Remove the direct assignment: the group keeps the license, and the user is then managed by group membership alone.", false)
	add(KindNested, "Groups nested in license-assigning groups (their members get no license)", "nested groups",
		"Add the nested group's users to the licensed group directly, or assign the licenses to the nested group itself.", false)
	add(KindNoUsageLoc, "Members of licensed groups without a usage location", "users",
		"Set the user's usage location (group-based licensing falls back to the tenant's country, which may forbid some services).", false)
	add(KindPrerequisite, "Templates holding an add-on without its prerequisite", "groups",
		"Add a license with the prerequisite plan to the same group's template, or remove the add-on.", false)
	add(KindStuck, fmt.Sprintf("Groups processing licenses for more than %.0f hours", c.opts.StuckAfter.Hours()), "groups",
		"Open the group in the Entra admin center and reprocess it; if it stays stuck, check its members for errors and open a support case.", false)
	add(KindNewPlans, "Templates whose disabled plans miss plans added to the license since", "groups",
		"Review the new plans: disable those the group's members should not get in the template (new plans are on by default). tenantdesk knows when a plan appeared from its own snapshots only.", false)
	add(KindPlanUnion, "One license from several groups with different disabled plans", "licenses",
		"Give these groups the same disabled plans for the license, or assign it from one group: the user gets every plan that any of the groups enables.", false)
	if m := c.data.SignInsMissing; m != "" {
		for _, k := range []string{KindInactive, KindNeverSignedIn, KindGuests} {
			c.f[k].Unavailable = "Inactivity cannot be checked: " + m
		}
	}
	if m := c.data.SubscriptionsMissing; m != "" {
		c.f[KindSubscriptions].Unavailable = "Renewals cannot be checked: " + m
	}
}

// skuName is a SKU's friendly name.
func (c *computation) skuName(id string) string { return c.names.SKU(id) }

// groupRef is a group by id with its name.
func (c *computation) groupRef(id string) model.GroupRef {
	name := id
	if g, ok := c.groups[id]; ok && g.DisplayName != "" {
		name = g.DisplayName
	}
	return model.GroupRef{ID: id, Name: name}
}

// price adds what n units of sku cost to m, or counts them unpriced in f.
func (c *computation) price(f *Finding, m Money, sku string, n int) {
	if p, ok := c.prices[model.NormalizeID(sku)]; ok {
		m.Add(p, n)
		f.Monthly.Add(p, n)
		return
	}
	f.Unpriced += n
}

// user adds the findings of one licensed user.
func (c *computation) user(u model.User) {
	si, ok := c.data.SignIns[u.ID]
	state := Classify(u, si, ok, c.data.SignInsMissing, c.now, c.opts.InactiveDays)
	kind := ""
	switch {
	case !u.AccountEnabled:
		kind = KindDisabled
	case state.Activity != ActivityInactive && state.Activity != ActivityNever:
	case strings.EqualFold(u.UserType, "Guest"):
		kind = KindGuests
	case state.Activity == ActivityNever:
		kind = KindNeverSignedIn
	default:
		kind = KindInactive
	}
	held := heldLicenses(u)
	if kind != "" {
		f := c.f[kind]
		for _, h := range held {
			it := c.licenseItem(u, h)
			it.When = state.Last
			it.Detail = c.activityDetail(u, state)
			c.price(f, it.Monthly, h.sku, 1)
			f.Items = append(f.Items, it)
			f.Count++
		}
	}
	for _, h := range held {
		if h.direct && len(h.groups) > 0 {
			it := c.licenseItem(u, h)
			it.Detail = fmt.Sprintf("%s is assigned directly and by %s.", c.skuName(h.sku), groupNames(h.groups))
			it.Fix = "Remove the direct assignment of " + c.skuName(h.sku) + " from the user; " + groupNames(h.groups) + " keeps it assigned."
			c.f[KindDirectAndGroup].Items = append(c.f[KindDirectAndGroup].Items, it)
			c.f[KindDirectAndGroup].Count++
		}
		c.planUnion(u, h)
	}
	if u.UsageLocation == "" {
		var gs []model.GroupRef
		for _, h := range held {
			for _, g := range h.groups {
				if !slices.ContainsFunc(gs, func(x model.GroupRef) bool { return x.ID == g.ID }) {
					gs = append(gs, c.groupRef(g.ID))
				}
			}
		}
		if len(gs) > 0 {
			f := c.f[KindNoUsageLoc]
			f.Items = append(f.Items, Item{UserID: u.ID, UserName: u.DisplayName, UPN: u.UserPrincipalName, Groups: gs,
				Detail: "Member of " + groupNames(gs) + " without a usage location.",
				Fix:    "Set the usage location of " + userName(u) + "."})
			f.Count++
		}
	}
}

// held is one SKU a user holds and where it comes from.
type held struct {
	sku    string
	direct bool
	groups []model.GroupRef
	states []model.LicenseState
}

// heldLicenses are the SKUs u holds (assigned, or assigned with an error state), each once with
// every source, in SKU order.
func heldLicenses(u model.User) []held {
	by := map[string]*held{}
	var order []string
	get := func(sku string) *held {
		sku = model.NormalizeID(sku)
		if h, ok := by[sku]; ok {
			return h
		}
		h := &held{sku: sku}
		by[sku] = h
		order = append(order, sku)
		return h
	}
	assigned := map[string]bool{}
	for _, l := range u.AssignedLicenses {
		assigned[model.NormalizeID(l.SKUID)] = true
	}
	for _, st := range u.LicenseStates {
		if !assigned[model.NormalizeID(st.SKUID)] || st.State == model.StateError {
			continue // an assignment that failed holds no unit
		}
		h := get(st.SKUID)
		h.states = append(h.states, st)
		if st.Direct() {
			h.direct = true
		} else {
			h.groups = append(h.groups, model.GroupRef{ID: st.AssignedByGroup})
		}
	}
	for _, l := range u.AssignedLicenses {
		if h := get(l.SKUID); len(h.states) == 0 {
			h.direct = true // assigned without a state: Graph counts it direct
		}
	}
	slices.Sort(order)
	out := make([]held, 0, len(order))
	for _, s := range order {
		out = append(out, *by[s])
	}
	return out
}

// licenseItem is an item of u's license h, named, with the fix for its path.
func (c *computation) licenseItem(u model.User, h held) Item {
	it := Item{UserID: u.ID, UserName: u.DisplayName, UPN: u.UserPrincipalName, SKUID: h.sku, SKUName: c.skuName(h.sku),
		Direct: h.direct, Units: 1, Monthly: Money{}}
	for _, g := range h.groups {
		it.Groups = append(it.Groups, c.groupRef(g.ID))
	}
	var static, dynamic []model.GroupRef
	for _, g := range it.Groups {
		if c.data.DynamicGroups[g.ID] {
			dynamic = append(dynamic, g)
		} else {
			static = append(static, g)
		}
	}
	var fixes []string
	if h.direct {
		fixes = append(fixes, "remove "+it.SKUName+" from the user (assigned directly)")
	}
	if len(static) > 0 {
		fixes = append(fixes, "take the user out of "+groupNames(static)+" (the license comes from there)")
	}
	if len(dynamic) > 0 {
		fixes = append(fixes, "change the membership rule of "+groupNames(dynamic)+" to leave the user out (dynamic membership)")
	}
	if len(fixes) == 0 { // every held license has a source; kept safe all the same
		fixes = []string{"review where " + it.SKUName + " comes from"}
	}
	it.Fix = strings.ToUpper(fixes[0][:1]) + strings.Join(fixes, "; ")[1:] + "."
	return it
}

// activityDetail says in a sentence why u counts.
func (c *computation) activityDetail(u model.User, st SignInState) string {
	var b strings.Builder
	if !u.AccountEnabled {
		b.WriteString("The account is disabled. ")
	}
	switch st.Activity {
	case ActivityUnknown:
		b.WriteString("Sign-in activity is not known.")
	case ActivityNever, ActivityNew:
		b.WriteString("No sign-in is recorded.")
	default:
		days := int(c.now.Sub(st.Last).Hours() / 24)
		what := "Last signed in"
		if st.AttemptsOnly {
			what = "Last sign-in attempt (no success recorded)"
		} else if st.NonInteractive {
			what = "Last used (non-interactive sign-in)"
		}
		fmt.Fprintf(&b, "%s %s, %d days ago.", what, st.Last.UTC().Format("2006-01-02"), days)
	}
	return b.String()
}

// planUnion adds h to the plan-union finding when its groups disable different plans.
func (c *computation) planUnion(u model.User, h held) {
	var fromGroups []model.LicenseState
	for _, st := range h.states {
		if !st.Direct() {
			fromGroups = append(fromGroups, st)
		}
	}
	if len(fromGroups) < 2 {
		return
	}
	// A plan switched off by some group but on in another: the user gets it.
	off := map[string][]string{} // plan -> groups that disable it
	for _, st := range fromGroups {
		for _, p := range st.DisabledPlans {
			off[model.NormalizeID(p)] = append(off[model.NormalizeID(p)], st.AssignedByGroup)
		}
	}
	var gained []string
	for p, gs := range off {
		if len(gs) < len(fromGroups) {
			gained = append(gained, c.names.Plan(p))
		}
	}
	if len(gained) == 0 {
		return
	}
	slices.Sort(gained)
	it := c.licenseItem(u, h)
	it.Detail = fmt.Sprintf("%s comes from %s with different disabled plans: the user gets %s, which some of them switch off.",
		it.SKUName, groupNames(it.Groups), strings.Join(gained, ", "))
	it.Fix = "Give " + groupNames(it.Groups) + " the same disabled plans for " + it.SKUName + "."
	f := c.f[KindPlanUnion]
	f.Items = append(f.Items, it)
	f.Count++
}

// units adds, per SKU, the enabled units nobody holds.
func (c *computation) units(sums []model.SKUSummary) {
	f := c.f[KindUnassigned]
	for _, s := range sums {
		n := s.Prepaid.Enabled - s.ConsumedUnits
		if n <= 0 || !strings.EqualFold(s.AppliesTo, "User") && s.AppliesTo != "" {
			continue
		}
		if p, ok := c.prices[model.NormalizeID(s.ID)]; ok && p.AmountCents == 0 {
			continue // priced at nothing: free units waste nothing
		}
		it := Item{SKUID: model.NormalizeID(s.ID), SKUName: c.skuName(s.ID), Units: n, Monthly: Money{},
			Detail: fmt.Sprintf("%d of %d enabled units are not assigned.", n, s.Prepaid.Enabled),
			Fix:    fmt.Sprintf("Lower the quantity of %s by %d at its next renewal, or assign the units.", c.skuName(s.ID), n)}
		c.price(f, it.Monthly, s.ID, n)
		f.Items = append(f.Items, it)
		f.Count += n
	}
}

// subscriptions adds the subscriptions that move on within the horizon, and every trial.
func (c *computation) subscriptions() {
	f := c.f[KindSubscriptions]
	if f.Unavailable != "" {
		return
	}
	until := c.now.Add(time.Duration(c.opts.HorizonDays) * 24 * time.Hour)
	for _, sub := range c.data.Subscriptions {
		next := sub.NextLifecycleAt
		soon := !next.IsZero() && !next.After(until)
		var what string
		switch {
		case sub.Status == model.SubscriptionWarning:
			what = "is in its grace period (expired): it is suspended"
		case sub.Status == model.SubscriptionSuspended:
			what = "is suspended: it is deleted"
		case sub.Status == model.SubscriptionLockedOut:
			what = "is locked out: it is deleted"
		case sub.IsTrial && sub.Status == model.SubscriptionEnabled:
			what = "is a trial: it ends"
		case sub.Status == model.SubscriptionEnabled && soon:
			what = "expires or renews"
		default:
			continue
		}
		if !soon && sub.Status == model.SubscriptionEnabled && !sub.IsTrial {
			continue
		}
		name := c.skuName(sub.SKUID)
		it := Item{SKUID: sub.SKUID, SKUName: name, Units: sub.TotalLicenses, When: next, Monthly: Money{}}
		when := "at a date Microsoft does not give"
		if !next.IsZero() {
			when = fmt.Sprintf("on %s (in %d days)", next.UTC().Format("2006-01-02"), int(next.Sub(c.now).Hours()/24))
		}
		users := 0
		if s, ok := c.skus[model.NormalizeID(sub.SKUID)]; ok {
			users = s.ConsumedUnits
		}
		trial := ""
		if sub.IsTrial {
			trial = " trial"
		}
		it.Detail = fmt.Sprintf("%s%s (%d units, %s) %s %s; %d users hold %s.", name, trial, sub.TotalLicenses, sub.Status, what, when, users, name)
		it.Fix = "Renew or cancel " + name + " in the Microsoft 365 admin center before then."
		c.price(f, it.Monthly, sub.SKUID, sub.TotalLicenses)
		f.Items = append(f.Items, it)
		f.Count++
	}
	slices.SortStableFunc(f.Items, func(a, b Item) int { return a.When.Compare(b.When) })
}

// templates adds the group-level findings: add-ons without prerequisites and stuck processing.
func (c *computation) templates(rows []model.GroupReportRow) {
	for _, r := range rows {
		g := c.groups[r.ID]
		ref := model.GroupRef{ID: r.ID, Name: r.DisplayName}
		for _, gap := range licensing.TemplatePrerequisiteGaps(c.names, g.Template) {
			f := c.f[KindPrerequisite]
			f.Items = append(f.Items, Item{GroupID: r.ID, GroupName: r.DisplayName, Groups: []model.GroupRef{ref},
				SKUID: gap.SKUID, SKUName: c.skuName(gap.SKUID),
				Detail: fmt.Sprintf("%s in the template brings %s, which %s; the template provides none.", c.skuName(gap.SKUID), strings.Join(gap.AddOns, ", "), gap.Needs),
				Fix:    fmt.Sprintf("Add a license with %s to %s's template.", gap.Needs, r.DisplayName)})
			f.Count++
		}
		for _, n := range c.data.NestedGroups[r.ID] {
			f := c.f[KindNested]
			nref := model.GroupRef{ID: n.ID, Name: n.Name}
			f.Items = append(f.Items, Item{GroupID: r.ID, GroupName: r.DisplayName, Groups: []model.GroupRef{ref, nref},
				Detail: fmt.Sprintf("%s is a member of %s: group-based licensing gives its members none of %s's licenses.", n.Name, r.DisplayName, r.DisplayName),
				Fix:    fmt.Sprintf("Add the users of %s to %s directly, or assign the licenses to %s.", n.Name, r.DisplayName, n.Name)})
			f.Count++
		}
		for _, l := range g.Template {
			plans := c.data.NewPlans[r.ID][model.NormalizeID(l.SKUID)]
			if len(plans) == 0 {
				continue
			}
			names := make([]string, len(plans))
			for i, p := range plans {
				names[i] = c.names.Plan(p)
			}
			f := c.f[KindNewPlans]
			f.Items = append(f.Items, Item{GroupID: r.ID, GroupName: r.DisplayName, Groups: []model.GroupRef{ref},
				SKUID: model.NormalizeID(l.SKUID), SKUName: c.skuName(l.SKUID),
				Detail: fmt.Sprintf("%s's template disables some plans of %s, but not %s, which appeared since: its members get it.",
					r.DisplayName, c.skuName(l.SKUID), strings.Join(names, ", ")),
				Fix: fmt.Sprintf("Decide whether %s's members should have %s; if not, disable it in the template.", r.DisplayName, strings.Join(names, ", "))})
		}
		if r.ProcessingState != model.ProcessingComplete && r.ProcessingState != "" {
			since, ok := c.data.ProcessingSince[r.ID]
			if ok && c.now.Sub(since) > c.opts.StuckAfter {
				f := c.f[KindStuck]
				f.Items = append(f.Items, Item{GroupID: r.ID, GroupName: r.DisplayName, Groups: []model.GroupRef{ref}, When: since,
					Detail: fmt.Sprintf("%s since at least %s (%.0f hours).", r.ProcessingState, since.UTC().Format("2006-01-02 15:04 UTC"), c.now.Sub(since).Hours()),
					Fix:    "Reprocess " + r.DisplayName + " in the Entra admin center."})
				f.Count++
			}
		}
	}
	for _, k := range []string{KindPrerequisite, KindNewPlans} {
		c.f[k].Count = countGroups(c.f[k].Items)
	}
}

func countGroups(items []Item) int {
	seen := map[string]bool{}
	for _, it := range items {
		seen[it.GroupID] = true
	}
	return len(seen)
}

func (c *computation) finish() Report {
	r := Report{TakenAt: c.data.TakenAt, Options: c.opts, SignInsMiss: c.data.SignInsMissing, SubsMissing: c.data.SubscriptionsMissing,
		Waste: Money{}, dynamic: c.data.DynamicGroups}
	unpriced := map[string]bool{}
	for _, k := range Kinds() {
		f := c.f[k]
		if k != KindSubscriptions && k != KindUnassigned {
			slices.SortStableFunc(f.Items, func(a, b Item) int {
				return cmp.Or(strings.Compare(strings.ToLower(a.UserName), strings.ToLower(b.UserName)), strings.Compare(a.UserID, b.UserID),
					strings.Compare(strings.ToLower(a.GroupName), strings.ToLower(b.GroupName)), strings.Compare(a.SKUName, b.SKUName))
			})
		}
		if f.Waste {
			r.Waste.Plus(f.Monthly)
			for _, it := range f.Items {
				if _, ok := c.prices[it.SKUID]; !ok {
					unpriced[it.SKUID] = true
				}
			}
		}
		r.Findings = append(r.Findings, *f)
	}
	r.UnpricedSKUs = len(unpriced)
	return r
}

func groupNames(gs []model.GroupRef) string {
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.Name
		if names[i] == "" {
			names[i] = g.ID
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return "group " + names[0]
	}
	return "groups " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func userName(u model.User) string {
	if u.UserPrincipalName != "" {
		return u.UserPrincipalName
	}
	return u.DisplayName
}
