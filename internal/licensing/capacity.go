package licensing

import (
	"fmt"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Capacity is how much room a subscription has left for new assignments.
type Capacity int

// Capacities, from fine to used up.
const (
	CapacityOK         Capacity = iota
	CapacityNearlyFull          // under NearlyFullShare of the enabled units left
	CapacityUsedUp              // no unit left: new assignments fail with CountViolation
)

// NearlyFullShare is the share of enabled units left below which a subscription is nearly full.
const NearlyFullShare = 0.10

// SKUCapacity is the capacity of a subscribed SKU. Tenant-wide SKUs (appliesTo Company) are not
// assigned to users and have no capacity to run out of; neither has a SKU without enabled units
// (a trial that ended, a subscription only in its grace period: see InWarning).
func SKUCapacity(s model.SKU) Capacity {
	enabled, avail := s.Prepaid.Enabled, s.Available()
	switch {
	case strings.EqualFold(s.AppliesTo, "Company") || enabled <= 0:
		return CapacityOK
	case avail == 0:
		return CapacityUsedUp
	case float64(avail) < NearlyFullShare*float64(enabled):
		return CapacityNearlyFull
	}
	return CapacityOK
}

// InWarning reports whether a subscription needs attention for its status: a capability status
// other than Enabled, or units in their grace period or suspended.
func InWarning(s model.SKU) bool {
	return (s.CapabilityStatus != "" && !strings.EqualFold(s.CapabilityStatus, "Enabled")) ||
		s.Prepaid.Warning > 0 || s.Prepaid.Suspended > 0
}

// Purchased is how many units of a subscription users may hold, as Microsoft counts them: the
// enabled units and those in their grace period (warning), which still work until they are
// suspended. A subscription in its grace period is not "0 purchased".
func Purchased(s model.SKU) int { return s.Prepaid.Enabled + s.Prepaid.Warning }

// Warning kinds of a subscription.
const (
	WarnUsedUp       = "used-up"
	WarnNearlyFull   = "nearly-full"
	WarnOverAssigned = "over-assigned"
	WarnGrace        = "grace"
	WarnSuspended    = "suspended"
	WarnLockedOut    = "locked-out"
	WarnStatus       = "status"
)

// SKUWarning is what needs attention about a subscription, in words with the units affected.
type SKUWarning struct {
	Kind string
	Text string
}

// Warnings are what needs attention about s: used up or nearly full (CountViolation next), more
// units assigned than purchased, units in their grace period, suspended or locked out, and a
// status other than Enabled.
func Warnings(s model.SKU) []SKUWarning {
	var out []SKUWarning
	add := func(kind, format string, args ...any) {
		out = append(out, SKUWarning{Kind: kind, Text: fmt.Sprintf(format, args...)})
	}
	bought, used := Purchased(s), s.ConsumedUnits
	switch {
	case used > bought && bought > 0:
		add(WarnOverAssigned, "Over-assigned: %d assigned, %d purchased", used, bought)
	case SKUCapacity(s) == CapacityUsedUp:
		add(WarnUsedUp, "Used up: 0 of %d available; new assignments fail", s.Prepaid.Enabled)
	case SKUCapacity(s) == CapacityNearlyFull:
		add(WarnNearlyFull, "Nearly full: %d of %d available", s.Available(), s.Prepaid.Enabled)
	}
	if n := s.Prepaid.Warning; n > 0 {
		add(WarnGrace, "%d %s in the grace period: renew before they are suspended", n, units(n))
	}
	if n := s.Prepaid.Suspended; n > 0 {
		add(WarnSuspended, "%d %s suspended: they cannot be assigned until reactivated", n, units(n))
	}
	if n := s.Prepaid.LockedOut; n > 0 {
		add(WarnLockedOut, "%d %s locked out: the subscription was cancelled", n, units(n))
	}
	if st := s.CapabilityStatus; st != "" && !strings.EqualFold(st, "Enabled") && s.Prepaid.Warning == 0 && s.Prepaid.Suspended == 0 && s.Prepaid.LockedOut == 0 {
		add(WarnStatus, "Subscription status %s", st)
	}
	return out
}

func units(n int) string { return plural(n, "unit", "units") }
