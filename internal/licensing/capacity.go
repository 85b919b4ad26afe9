package licensing

import (
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
