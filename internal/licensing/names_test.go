package licensing

import (
	"bytes"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestNames(t *testing.T) {
	products := []model.Product{{
		SKUID: facultySKU, PartNumber: "STANDARDWOFFPACK_FACULTY", DisplayName: "Office 365 A1 for faculty",
		Plans: []model.PlanName{
			{PlanID: "9aaf7827-d63c-4b61-89c3-182f06f82e5c", Name: "EXCHANGE_S_STANDARD", FriendlyName: "Exchange Online (Plan 1)"},
			{PlanID: "2078e8df-cff6-4290-98cb-5408261a760a", Name: "YAMMER_EDU", FriendlyName: ""},
		},
	}}
	tenant := []model.SKU{
		{ID: "AAAAAAAA-0000-0000-0000-000000000001", PartNumber: "CUSTOM_SKU",
			ServicePlans: []model.ServicePlan{{ID: "bbbbbbbb-0000-0000-0000-000000000001", Name: "CUSTOM_PLAN"}}},
		// The tenant's own plan list wins over the catalog's for a SKU it subscribes to.
		{ID: facultySKU, PartNumber: "STANDARDWOFFPACK_FACULTY",
			ServicePlans: []model.ServicePlan{{ID: "9AAF7827-D63C-4B61-89C3-182F06F82E5C", Name: "EXCHANGE_S_STANDARD"}}},
	}
	n := NewNames(products, tenant)
	tests := []struct {
		got, want string
	}{
		{n.SKU(facultySKU), "Office 365 A1 for faculty"},
		{n.SKU("  94763226-9B3C-4E75-A931-5C89701ABE66 "), "Office 365 A1 for faculty"},
		{n.SKU("aaaaaaaa-0000-0000-0000-000000000001"), "CUSTOM_SKU"},
		{n.SKU("cccccccc-0000-0000-0000-000000000001"), "cccccccc-0000-0000-0000-000000000001"},
		{n.SKU(""), ""},
		{n.SKUPartNumber(facultySKU), "STANDARDWOFFPACK_FACULTY"},
		{n.SKUPartNumber("cccccccc-0000-0000-0000-000000000001"), ""},
		{n.Plan("9aaf7827-d63c-4b61-89c3-182f06f82e5c"), "Exchange Online (Plan 1)"},
		// Named only technically here: the built-in table (Microsoft's CSV) has its real name.
		{n.Plan("2078e8df-cff6-4290-98cb-5408261a760a"), "Yammer for Academic"},
		{n.Plan("bbbbbbbb-0000-0000-0000-000000000001"), "CUSTOM_PLAN"},
		{n.Plan("dddddddd-0000-0000-0000-000000000001"), "dddddddd-0000-0000-0000-000000000001"},
		{n.ServicePlanName("9AAF7827-d63c-4b61-89c3-182f06f82e5c"), "EXCHANGE_S_STANDARD"},
		{n.NamedSKU(facultySKU).Name, "Office 365 A1 for faculty"},
		{n.NamedPlan("9aaf7827-d63c-4b61-89c3-182f06f82e5c").ID, "9aaf7827-d63c-4b61-89c3-182f06f82e5c"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
	if got := n.SKUPlans(facultySKU); len(got) != 1 || got[0] != "9aaf7827-d63c-4b61-89c3-182f06f82e5c" {
		t.Errorf("faculty plans = %v, want the tenant's one plan", got)
	}

	var none *Names
	if none.SKU(facultySKU) != facultySKU || none.Plan("x") != "x" || none.SKUPlans(facultySKU) != nil || none.SKUPartNumber("x") != "" {
		t.Error("nil Names must fall back to the GUID")
	}
}

func TestNamesRealCatalog(t *testing.T) {
	products, err := ParseProductCSV(bytes.NewReader(realCatalog(t)))
	if err != nil {
		t.Fatal(err)
	}
	n := NewNames(products, nil)
	if got := n.SKU(studentSKU); got != "Office 365 A1 for students" {
		t.Errorf("students = %q", got)
	}
	// The file also calls these plans "YAMMER_ENTERPRISE" and "EXCHANGE ONLINE (PLAN 2)"; the
	// readable spelling wins whatever the row order.
	for id, want := range map[string]string{
		"7547a3fe-08ee-4ccb-b430-5077c5041653": "Yammer Enterprise",
		"efb87545-963c-4e0d-99df-69c6916d9eb0": "Exchange Online (Plan 2)",
	} {
		if got := n.Plan(id); got != want {
			t.Errorf("Plan(%s) = %q, want %q", id, got, want)
		}
	}
	if got := len(n.SKUPlans(facultySKU)); got < 10 {
		t.Errorf("faculty has %d plans", got)
	}
}
