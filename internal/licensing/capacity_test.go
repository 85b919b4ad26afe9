package licensing

import (
	"strings"
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

func TestWarnings(t *testing.T) {
	for _, tc := range []struct {
		name string
		sku  model.SKU
		want []string
	}{
		{"fine", model.SKU{AppliesTo: "User", CapabilityStatus: "Enabled", ConsumedUnits: 5, Prepaid: model.PrepaidUnits{Enabled: 100}}, nil},
		{"used up", model.SKU{AppliesTo: "User", ConsumedUnits: 500, Prepaid: model.PrepaidUnits{Enabled: 500}},
			[]string{"Used up: 0 of 500 available; new assignments fail"}},
		{"nearly full", model.SKU{AppliesTo: "User", ConsumedUnits: 95, Prepaid: model.PrepaidUnits{Enabled: 100}},
			[]string{"Nearly full: 5 of 100 available"}},
		{"over-assigned", model.SKU{AppliesTo: "User", ConsumedUnits: 520, Prepaid: model.PrepaidUnits{Enabled: 500}},
			[]string{"Over-assigned: 520 assigned, 500 purchased"}},
		{"grace", model.SKU{AppliesTo: "User", CapabilityStatus: "Warning", ConsumedUnits: 10, Prepaid: model.PrepaidUnits{Warning: 25}},
			[]string{"25 units in the grace period: renew before they are suspended"}},
		{"suspended", model.SKU{AppliesTo: "User", CapabilityStatus: "Suspended", Prepaid: model.PrepaidUnits{Suspended: 1}},
			[]string{"1 unit suspended: they cannot be assigned until reactivated"}},
		{"locked out", model.SKU{CapabilityStatus: "LockedOut", Prepaid: model.PrepaidUnits{LockedOut: 3}},
			[]string{"3 units locked out: the subscription was cancelled"}},
		{"status only", model.SKU{CapabilityStatus: "Deleted"}, []string{"Subscription status Deleted"}},
	} {
		var got []string
		for _, w := range Warnings(tc.sku) {
			got = append(got, w.Text)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := Purchased(model.SKU{Prepaid: model.PrepaidUnits{Enabled: 3, Warning: 25, Suspended: 5}}); got != 28 {
		t.Errorf("purchased %d: grace units count, suspended ones do not", got)
	}
}
