package tenantsim

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// SignInActivity is a user's signInActivity as Graph keeps it: the last interactive sign-in
// attempt, the last non-interactive one (a client refreshing a token for the user) and the last
// successful sign-in of either kind. A zero time is null (never, or before Microsoft kept it:
// lastSuccessfulSignInDateTime exists only since December 2023 and was not backfilled).
type SignInActivity struct {
	LastSignIn         time.Time
	LastNonInteractive time.Time
	LastSuccessful     time.Time
}

// Subscription is a commercial subscription of the tenant (companySubscription, GET
// /directory/subscriptions). Its units are part of its SKU's prepaidUnits, by its status.
type Subscription struct {
	ID                     string
	CommerceSubscriptionID string
	SKUID                  string
	SKUPartNumber          string
	Status                 string // Enabled, Warning, Suspended, Deleted, LockedOut
	IsTrial                bool
	TotalLicenses          int
	CreatedDateTime        time.Time
	// NextLifecycleDateTime is when the subscription moves to its next state unless renewed:
	// an Enabled one expires (or, auto-renewing, renews), a Warning one is suspended, a
	// Suspended one is deleted.
	NextLifecycleDateTime time.Time
	ServicePlans          []ServicePlan
}

// subscriptionTerm is what the generator decided about a SKU's subscriptions: when they were
// bought, when the enabled one's term ends and whether it is a trial. The units come from the
// SKU's prepaidUnits when Graph is asked, so /directory/subscriptions always adds up to
// /subscribedSkus, also after the control API changes the units.
type subscriptionTerm struct {
	created     time.Time
	nextEnabled time.Time // end of the enabled subscription's term
	nextOther   time.Time // when the warning, suspended or locked-out one moves on
	trial       bool
}

// Sign-in spreads, as shares of each population. Disabled accounts mostly went quiet long ago,
// guests often never accepted or came back, members are mostly active.
const (
	memberNever          = 0.05
	memberOnlyNonInterac = 0.05 // interactive long ago, a client still refreshes tokens
	memberFailedOnly     = 0.02 // recent attempts, none successful for months
	memberInactive30     = 0.08 // last success 30-89 days ago
	memberInactive90     = 0.07 // 90-179 days
	memberInactive180    = 0.06 // 180-400 days
)

// healthScenarios gives every user a sign-in history and every SKU its subscription terms. It
// draws from a random source of its own, so the rest of the generated tenant is as it was
// before sign-ins were simulated.
func (g *generator) healthScenarios() {
	t := g.t
	rng := rand.New(rand.NewPCG(uint64(t.cfg.Seed), 0x51b1_a7e5))
	now := g.now
	days := func(lo, hi int) time.Time {
		d := lo + rng.IntN(hi-lo+1)
		return now.Add(-time.Duration(d)*24*time.Hour - time.Duration(rng.IntN(86400))*time.Second)
	}
	for _, u := range t.users {
		u.SignIns = g.signInsOf(u, rng, days)
		if u.SignIns != nil {
			clampSignIns(u.SignIns, u.CreatedDateTime, now)
		}
	}
	// Some guests were given Office 365 E1 directly (with a usage location, which a direct
	// assignment needs): licenses a guest who never came back wastes.
	added := 0
	for _, u := range t.users {
		if u.UserType == "Guest" && rng.Float64() < 0.4 {
			u.UsageLocation = t.country
			u.DirectLicenses = append(u.DirectLicenses, License{SKUID: skuO365E1})
			t.evaluate(u, u.CreatedDateTime.Add(time.Hour), true)
			added++
		}
	}
	t.skuByID[skuO365E1].Prepaid.Enabled += added
	t.terms = map[string]subscriptionTerm{}
	for _, s := range t.skus {
		h := fnv.New64a()
		h.Write([]byte(s.ID))
		r := rand.New(rand.NewPCG(h.Sum64(), uint64(t.cfg.Seed)))
		term := subscriptionTerm{
			created:     now.Add(-time.Duration(200+r.IntN(900)) * 24 * time.Hour).Truncate(time.Second),
			nextEnabled: now.Add(time.Duration(95+r.IntN(240)) * 24 * time.Hour).Truncate(time.Second),
			nextOther:   now.Add(time.Duration(60+r.IntN(60)) * 24 * time.Hour).Truncate(time.Second),
		}
		switch s.ID {
		case skuM365E5:
			// A trial: bought a week ago, it ends in 23 days.
			term.trial = true
			term.created = now.Add(-7 * 24 * time.Hour).Truncate(time.Second)
			term.nextEnabled = now.Add(23 * 24 * time.Hour).Truncate(time.Second)
		case skuProjectP3:
			term.nextEnabled = now.Add(17 * 24 * time.Hour).Truncate(time.Second) // expires within 30 days
		case skuM365F3:
			term.nextEnabled = now.Add(52 * 24 * time.Hour).Truncate(time.Second) // within 60
		case skuVisioP2:
			term.nextOther = now.Add(9 * 24 * time.Hour).Truncate(time.Second) // grace ends: suspended
		case skuPowerAutoFree:
			term.nextOther = now.Add(80 * 24 * time.Hour).Truncate(time.Second) // deleted
		}
		t.terms[s.ID] = term
	}
}

// signInsOf draws u's sign-in history; nil is a user who never signed in (Graph returns
// signInActivity null for them).
func (g *generator) signInsOf(u *User, rng *rand.Rand, days func(lo, hi int) time.Time) *SignInActivity {
	if u.CreatedDateTime.After(g.now.Add(-2 * 24 * time.Hour)) {
		return nil // too new to have signed in
	}
	both := func(at time.Time) *SignInActivity {
		return &SignInActivity{LastSignIn: at, LastNonInteractive: at.Add(time.Duration(rng.IntN(7200)) * time.Second), LastSuccessful: at}
	}
	p := rng.Float64()
	switch {
	case !u.AccountEnabled:
		switch {
		case p < 0.3:
			return nil
		case p < 0.8:
			return both(days(100, 400))
		default:
			return both(days(30, 89))
		}
	case u.UserType == "Guest":
		switch {
		case p < 0.4:
			return nil
		case p < 0.7:
			return both(days(90, 365))
		default:
			return both(days(0, 29))
		}
	}
	cut := 0.0
	next := func(share float64) bool { cut += share; return p < cut }
	switch {
	case next(memberNever):
		return nil
	case next(memberOnlyNonInterac):
		recent := days(0, 6)
		return &SignInActivity{LastSignIn: days(120, 300), LastNonInteractive: recent, LastSuccessful: recent}
	case next(memberFailedOnly):
		return &SignInActivity{LastSignIn: days(0, 9), LastSuccessful: days(150, 300)}
	case next(memberInactive30):
		return both(days(30, 89))
	case next(memberInactive90):
		return both(days(90, 179))
	case next(memberInactive180):
		return both(days(180, 400))
	}
	return both(days(0, 29))
}

// clampSignIns keeps a sign-in history between the account's creation and now.
func clampSignIns(s *SignInActivity, created, now time.Time) {
	for _, at := range []*time.Time{&s.LastSignIn, &s.LastNonInteractive, &s.LastSuccessful} {
		if at.IsZero() {
			continue
		}
		if at.Before(created) {
			*at = created.Add(37 * time.Minute)
		}
		if at.After(now) {
			*at = now
		}
	}
}

// hasEntraPremium reports whether the tenant holds Entra ID P1 or P2, which Graph requires for
// signInActivity: a subscribed SKU with the AAD_PREMIUM or AAD_PREMIUM_P2 plan and units enabled
// or in grace, unless Config.EntraIDFree takes them away. The caller holds the read lock.
// Graph does not document which SKUs it counts; this is the most conservative reading.
func (t *Tenant) hasEntraPremium() bool {
	if t.cfg.EntraIDFree {
		return false
	}
	for _, s := range t.skus {
		if s.Prepaid.Enabled+s.Prepaid.Warning == 0 {
			continue
		}
		if slices.ContainsFunc(s.Plans, func(p ServicePlan) bool { return p.Name == "AAD_PREMIUM" || p.Name == "AAD_PREMIUM_P2" }) {
			return true
		}
	}
	return false
}

// subscriptionsLocked are the tenant's subscriptions now: per SKU one subscription per unit
// status with units, its units those of the SKU's prepaidUnits. The caller holds the read lock.
func (t *Tenant) subscriptionsLocked() []Subscription {
	var out []Subscription
	for _, s := range t.skus {
		term := t.terms[s.ID]
		add := func(status string, units int, next time.Time, trial bool) {
			if units <= 0 {
				return
			}
			out = append(out, Subscription{
				ID: stableGUID("subscription", t.ID+":"+s.ID+":"+status), CommerceSubscriptionID: stableGUID("commerce", t.ID+":"+s.ID+":"+status),
				SKUID: strings.ToLower(s.ID), SKUPartNumber: s.PartNumber, Status: status, IsTrial: trial,
				TotalLicenses: units, CreatedDateTime: term.created, NextLifecycleDateTime: next, ServicePlans: s.Plans,
			})
		}
		add("Enabled", s.Prepaid.Enabled, term.nextEnabled, term.trial)
		add("Warning", s.Prepaid.Warning, term.nextOther, term.trial)
		add("Suspended", s.Prepaid.Suspended, term.nextOther, term.trial)
		add("LockedOut", s.Prepaid.LockedOut, term.nextOther, term.trial)
	}
	return out
}

// Subscriptions are the tenant's commercial subscriptions, as GET /directory/subscriptions
// returns them.
func (t *Tenant) Subscriptions() []Subscription {
	t.Tick()
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.subscriptionsLocked()
}

// SignInTruth is every user's sign-in history by user id (nil: never signed in), for tests.
func (t *Tenant) SignInTruth() map[string]*SignInActivity {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make(map[string]*SignInActivity, len(t.users))
	for _, u := range t.users {
		if u.SignIns != nil {
			s := *u.SignIns
			out[u.ID] = &s
		} else {
			out[u.ID] = nil
		}
	}
	return out
}

// UsersTruth is a copy of every user, in creation order, for tests that recompute what a
// report should find.
func (t *Tenant) UsersTruth() []User {
	t.Tick()
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]User, len(t.users))
	for i, u := range t.users {
		out[i] = cloneUser(u)
		if u.SignIns != nil {
			s := *u.SignIns
			out[i].SignIns = &s
		}
	}
	return out
}

// MembersOf are the ids of group groupID's direct members, for tests (nil for no such group).
func (t *Tenant) MembersOf(groupID string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if g := t.lookupGroup(groupID); g != nil {
		return slices.Clone(g.Members)
	}
	return nil
}

// IsGroup reports whether id is a group of the tenant, for tests.
func (t *Tenant) IsGroup(id string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.objectType[strings.ToLower(id)] == TypeGroup
}

// AddServicePlan adds a service plan to a SKU, as Microsoft adds plans to products over time:
// holders get it switched on unless it is among their disabled plans. For tests and demos.
func (t *Tenant) AddServicePlan(skuID string, p ServicePlan) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.skuByID[strings.ToLower(skuID)]
	if s == nil {
		return errNotFound(skuID)
	}
	p.ID = strings.ToLower(p.ID)
	if s.planSet[p.ID] {
		return errBadRequest("Service plan " + p.ID + " is already part of license " + s.ID + ".")
	}
	s.Plans = append(s.Plans, p)
	if s.planSet == nil {
		s.planSet = map[string]bool{}
	}
	s.planSet[p.ID] = true
	return nil
}

// TemplateOf is group groupID's license template, for tests.
func (t *Tenant) TemplateOf(groupID string) []License {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if g := t.lookupGroup(groupID); g != nil {
		return cloneLicenses(g.Licenses)
	}
	return nil
}
