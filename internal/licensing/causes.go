package licensing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Causes before cases: 25 members of a group in error usually share one or two causes, and a
// helpdesk person wants each cause once, with its count, its fix and who it affects, before
// reading 25 explanations.

// Cause is one reason several users cannot get their licenses: its headline with the count,
// the fix for all of them, and who they are.
type Cause struct {
	// Key identifies the cause: the same key, the same fix. It is stable for the same data
	// (for anchors and tests), not meant to be read.
	Key  string
	Code model.LicenseError // the error Microsoft reports (or would report, in Then)
	SKU  model.NamedSKU     // the license that fails
	// Headline says the cause with its count: "25 members cannot get Office 365 A1 for faculty:
	// 0 of 500 available".
	Headline string
	Fix      string
	// Users are the ids of the users it affects, in the order the users were given.
	Users []string
	// Then are the causes that would stop (some of) these users next, once this one is fixed:
	// the look-ahead of each user's licenses from the same source.
	Then []Cause
}

// Kind is the cause's error in words ("Not enough licenses", ...).
func (c Cause) Kind() string {
	if l := KindLabel(c.Code); l != "" {
		return l
	}
	return string(c.Code)
}

// people is how many people a cause affects and what they are called.
type people struct {
	n         int
	one, many string // "member", "members"
}

func (p people) String() string { return number(p.n) + " " + plural(p.n, p.one, p.many) }

// verb picks the verb's form for p: p.verb("has", "have").
func (p people) verb(one, many string) string { return plural(p.n, one, many) }

// Causes groups the license errors from group groupID of users (its members) by cause, for the
// group's page: people are "members". An "Other" counts under the error of the sibling that
// blocks it; an "Other" whose blocker is nowhere to be found is a cause of its own. A user with
// two causes is under both. Causes come most users first; each carries what would fail next
// for its users (Then).
func (ex *Explainer) Causes(users []model.User, groupID string) []Cause {
	return ex.causes(users, func(st model.LicenseState) bool { return model.SameID(st.AssignedByGroup, groupID) },
		people{one: "member", many: "members"})
}

// TenantCauses is Causes over the errors of any source for which keep holds (nil keeps every
// one), tenant-wide: people are "users", and a shortage from a group and directly is one cause.
func (ex *Explainer) TenantCauses(users []model.User, keep func(model.LicenseState) bool) []Cause {
	if keep == nil {
		keep = func(model.LicenseState) bool { return true }
	}
	return ex.causes(users, keep, people{one: "user", many: "users"})
}

func (ex *Explainer) causes(users []model.User, keep func(model.LicenseState) bool, noun people) []Cause {
	var top causeSet
	for _, u := range users {
		x := explainer{ex.context(u)}
		for _, st := range u.LicenseStates {
			if !st.InError() || !keep(st) {
				continue
			}
			var r reason
			fail := st
			switch {
			case st.Error != model.ErrorOther:
				r = x.reason(st)
			default:
				if _, ok := x.blockerState(st); ok {
					continue // counted under the blocker's own state
				}
				if id, kind, ok := x.auditBlocker(st); ok {
					fail = model.LicenseState{SKUID: id, AssignedByGroup: st.AssignedByGroup, Error: kind}
					r = x.reason(fail)
				} else {
					r = x.unexplainedOther(st)
				}
			}
			c := top.add(r.key, fail, r.many, u.ID)
			for _, p := range x.lookAhead(fail) {
				c.then.add(p.r.key, p.st, p.r.many, u.ID)
			}
		}
	}
	return top.causes(noun, ex.names)
}

// unexplainedOther is the reason of an "Other" whose failing sibling is not known.
func (x explainer) unexplainedOther(st model.LicenseState) reason {
	e := x.other(st)
	return reason{summary: e.Summary, detail: e.Detail, fix: e.Fix, short: "blocked by another license",
		key: x.causeKey("other", st.AssignedByGroup),
		many: func(p people) (string, string) {
			return fmt.Sprintf("%s %s blocked by all-or-none, but the current data shows no failing license", p, p.verb("is", "are")),
				"Reprocess them to apply the licenses again or get the current reason."
		}}
}

// causeKey joins a cause's kind and what tells it apart from others of its kind.
func (x explainer) causeKey(kind string, parts ...string) string {
	for i, p := range parts {
		parts[i] = model.NormalizeID(p)
	}
	return kind + "|" + strings.Join(parts, "|")
}

// causeSet gathers users by cause key, in first-seen order.
type causeSet struct {
	list  []*causeAcc
	index map[string]*causeAcc
}

type causeAcc struct {
	key   string
	st    model.LicenseState
	many  manyWords
	users []string
	seen  map[string]bool
	then  causeSet
}

func (s *causeSet) add(key string, st model.LicenseState, many manyWords, user string) *causeAcc {
	if s.index == nil {
		s.index = map[string]*causeAcc{}
	}
	c, ok := s.index[key]
	if !ok {
		c = &causeAcc{key: key, st: st, many: many, seen: map[string]bool{}}
		s.index[key] = c
		s.list = append(s.list, c)
	}
	if !c.seen[user] {
		c.seen[user] = true
		c.users = append(c.users, user)
	}
	return c
}

// causes words the set for noun, most users first (then by kind and headline, so the order is
// stable).
func (s *causeSet) causes(noun people, names *Names) []Cause {
	out := make([]Cause, 0, len(s.list))
	for _, c := range s.list {
		p := noun
		p.n = len(c.users)
		head, fix := "", ""
		if c.many != nil {
			head, fix = c.many(p)
		}
		out = append(out, Cause{Key: c.key, Code: c.st.Error, SKU: names.NamedSKU(c.st.SKUID), Headline: head, Fix: fix,
			Users: c.users, Then: c.then.causes(noun, names)})
	}
	slices.SortStableFunc(out, func(a, b Cause) int {
		return cmp.Or(cmp.Compare(len(b.Users), len(a.Users)), cmp.Compare(a.Code, b.Code), cmp.Compare(a.Headline, b.Headline))
	})
	return out
}

// DisabledHolderSource counts the holders of SKUs whose account is disabled. *store.Store
// implements it.
type DisabledHolderSource interface {
	DisabledAccountHolders(ctx context.Context, skuIDs []string) (map[string]int, error)
}

// CountDisabledHolders reads, for every subscription with no unit left, how many of its
// holders are disabled accounts, so that "not enough licenses" can say how many units could
// be freed. Only used-up subscriptions are asked about (the only ones whose fix frees units).
func (ex *Explainer) CountDisabledHolders(ctx context.Context, src DisabledHolderSource) error {
	var full []string
	for _, s := range ex.skus {
		if SKUCapacity(s) == CapacityUsedUp || (s.Available() == 0 && !strings.EqualFold(s.AppliesTo, "Company")) {
			full = append(full, model.NormalizeID(s.ID))
		}
	}
	if len(full) == 0 {
		return nil
	}
	counts, err := src.DisabledAccountHolders(ctx, full)
	if err != nil {
		return fmt.Errorf("disabled accounts holding used-up licenses: %w", err)
	}
	ex.disabledHolders = counts
	return nil
}

// number writes n with thousands separators: 10000 -> "10,000".
func number(n int) string {
	s := strconv.Itoa(n)
	if n < 0 || len(s) <= 3 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// nUnits is "1 unit", "25 units".
func nUnits(n int) string { return number(n) + " " + units(n) }
