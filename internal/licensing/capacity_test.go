package licensing

import (
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestSKUCapacity(t *testing.T) {
	sku := func(appliesTo string, enabled, consumed int) model.SKU {
		return model.SKU{AppliesTo: appliesTo, ConsumedUnits: consumed, Prepaid: model.PrepaidUnits{Enabled: enabled}}
	}
	for _, tc := range []struct {
		name string
		sku  model.SKU
		want Capacity
	}{
		{"room left", sku("User", 100, 50), CapacityOK},
		{"exactly 10% left is not nearly full", sku("User", 100, 90), CapacityOK},
		{"under 10% left", sku("User", 100, 91), CapacityNearlyFull},
		{"one left of many", sku("User", 500, 499), CapacityNearlyFull},
		{"used up", sku("User", 500, 500), CapacityUsedUp},
		{"over-assigned", sku("User", 500, 520), CapacityUsedUp},
		{"tenant-wide", sku("Company", 1, 1), CapacityOK},
		{"tenant-wide, any case", sku("company", 1, 1), CapacityOK},
		{"no enabled units (grace only)", model.SKU{AppliesTo: "User", ConsumedUnits: 10, Prepaid: model.PrepaidUnits{Warning: 25}}, CapacityOK},
		{"empty appliesTo counts as per user", sku("", 10, 10), CapacityUsedUp},
	} {
		if got := SKUCapacity(tc.sku); got != tc.want {
			t.Errorf("%s: SKUCapacity = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestInWarning(t *testing.T) {
	for _, tc := range []struct {
		sku  model.SKU
		want bool
	}{
		{model.SKU{CapabilityStatus: "Enabled", Prepaid: model.PrepaidUnits{Enabled: 5}}, false},
		{model.SKU{CapabilityStatus: "enabled"}, false},
		{model.SKU{}, false},
		{model.SKU{CapabilityStatus: "Warning"}, true},
		{model.SKU{CapabilityStatus: "Suspended"}, true},
		{model.SKU{CapabilityStatus: "LockedOut"}, true},
		{model.SKU{CapabilityStatus: "Enabled", Prepaid: model.PrepaidUnits{Warning: 1}}, true},
		{model.SKU{CapabilityStatus: "Enabled", Prepaid: model.PrepaidUnits{Suspended: 3}}, true},
	} {
		if got := InWarning(tc.sku); got != tc.want {
			t.Errorf("InWarning(%+v) = %v, want %v", tc.sku, got, tc.want)
		}
	}
}
