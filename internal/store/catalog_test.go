package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/testkit"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// sharedData finds the project's shared/data directory by walking up from the package dir.
func sharedData(t *testing.T) string {
	t.Helper()
	return testkit.SharedData(t, ".")
}

// realCatalog reads Microsoft's CSV the simple way (the real parser lives elsewhere): it is
// only the input that exercises the store.
func realCatalog(t *testing.T) []model.Product {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedData(t), "licensing", "product-names-and-service-plan-identifiers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var products []model.Product
	index := map[string]int{}
	for _, r := range recs[1:] {
		for i := range r {
			r[i] = strings.TrimSpace(r[i])
		}
		i, ok := index[r[2]]
		if !ok {
			i = len(products)
			index[r[2]] = i
			products = append(products, model.Product{SKUID: r[2], PartNumber: r[1], DisplayName: r[0]})
		}
		products[i].Plans = append(products[i].Plans, model.PlanName{PlanID: r[4], Name: r[3], FriendlyName: r[5]})
	}
	return products
}

func TestProductCatalog(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.ProductCatalogInfo(ctx); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("info before import: %v, want model.ErrNotFound", err)
	}
	mustSave(t, st, 0, smallTenant())
	before, err := st.GroupReport(ctx, model.GroupReportQuery{Sort: model.GroupSortLicenses})
	if err != nil {
		t.Fatal(err)
	}

	fetched := time.Date(2025, 12, 30, 0, 0, 0, 0, time.UTC)
	products := realCatalog(t)
	if err := st.ReplaceProductCatalog(ctx, products, "file:test.csv", fetched); err != nil {
		t.Fatal(err)
	}
	info, err := st.ProductCatalogInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Source != "file:test.csv" || !info.FetchedAt.Equal(fetched) || info.Products != 569 || info.Plans != 723 {
		t.Errorf("info = %+v, want 569 products, 723 plans", info)
	}
	names, err := st.ProductNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names[skuA1Faculty] != "Office 365 A1 for faculty" || names[skuE5] != "Microsoft 365 E5" || len(names) != 569 {
		t.Errorf("product names: %d, faculty %q, E5 %q", len(names), names[skuA1Faculty], names[skuE5])
	}
	plans, err := st.PlanNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if plans[planTeams] != "Microsoft Teams" || len(plans) != 723 {
		t.Errorf("plan names: %d, teams %q", len(plans), plans[planTeams])
	}
	all, err := st.ProductCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nplans := 0
	for _, p := range all {
		nplans += len(p.Plans)
	}
	if len(all) != 569 || nplans != 5457-len(dupRows(products)) {
		t.Errorf("ProductCatalog: %d products, %d plan rows", len(all), nplans)
	}

	// names of the current snapshot follow the catalog, and so does the sort by licenses
	after, err := st.GroupReport(ctx, model.GroupReportQuery{Sort: model.GroupSortLicenses})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]model.NamedSKU{}
	for _, r := range after.Rows {
		got[r.ID] = r.Licenses
	}
	want := []model.NamedSKU{{ID: skuUnknown, Name: skuUnknown}, {ID: skuE5, Name: "Microsoft 365 E5"}}
	if g := got["g-staff"]; len(g) != 2 || g[0] != want[0] || g[1] != want[1] {
		t.Errorf("g-staff licenses = %+v, want %+v", g, want)
	}
	if g := got["g-students"]; len(g) != 2 || g[0].Name != "Office 365 A1 for faculty" || g[1].Name != "Office 365 A1 for students" {
		t.Errorf("g-students licenses = %+v", g)
	}
	// before: "0badc0de..." < "spe_e5" < "standardwoffpack..."; after: "0badc0de..." < "microsoft..." < "office..."
	order := func(p model.GroupReportPage) string {
		var ids []string
		for _, r := range p.Rows {
			ids = append(ids, r.ID)
		}
		return strings.Join(ids, " ")
	}
	if order(before) != "g-staff g-empty g-students" || order(after) != "g-staff g-empty g-students" {
		t.Errorf("license order before %q after %q", order(before), order(after))
	}
	desc, err := st.GroupReport(ctx, model.GroupReportQuery{Sort: model.GroupSortLicenses, Desc: true})
	if err != nil || order(desc) != "g-students g-empty g-staff" {
		t.Errorf("licenses desc = %q, %v", order(desc), err)
	}
}

// dupRows are the CSV's repeated (SKU, plan) rows, which the store keeps once.
func dupRows(products []model.Product) []string {
	var dups []string
	for _, p := range products {
		seen := map[string]bool{}
		for _, pl := range p.Plans {
			k := strings.ToLower(pl.PlanID)
			if seen[k] {
				dups = append(dups, p.SKUID+"/"+k)
			}
			seen[k] = true
		}
	}
	return dups
}

func TestReplaceProductCatalogFailureChangesNothing(t *testing.T) {
	good := []model.Product{{SKUID: skuE5, PartNumber: "SPE_E5", DisplayName: "Microsoft 365 E5",
		Plans: []model.PlanName{{PlanID: planTeams, Name: "TEAMS1", FriendlyName: "Microsoft Teams"}}}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name     string
		ctx      context.Context
		products []model.Product
	}{
		{"empty", context.Background(), nil},
		{"product without id", context.Background(), append(realCatalog(t), model.Product{SKUID: "  ", DisplayName: "x"})},
		{"plan without id", context.Background(), []model.Product{{SKUID: skuA1Faculty, Plans: []model.PlanName{{Name: "X"}}}}},
		{"cancelled", cancelled, realCatalog(t)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := openTest(t)
			ctx := context.Background()
			if err := st.ReplaceProductCatalog(ctx, good, "first", time.Time{}); err != nil {
				t.Fatal(err)
			}
			if err := st.ReplaceProductCatalog(tc.ctx, tc.products, "second", time.Time{}); err == nil {
				t.Fatal("ReplaceProductCatalog succeeded")
			}
			info, err := st.ProductCatalogInfo(ctx)
			if err != nil || info.Source != "first" || info.Products != 1 || info.Plans != 1 || !info.FetchedAt.IsZero() {
				t.Errorf("catalog changed: %+v, %v", info, err)
			}
			names, err := st.ProductNames(ctx)
			if err != nil || len(names) != 1 || names[skuE5] != "Microsoft 365 E5" {
				t.Errorf("names changed: %v, %v", names, err)
			}
		})
	}
}

func TestReplaceProductCatalogNormalises(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	err := st.ReplaceProductCatalog(ctx, []model.Product{
		{SKUID: " 06EBC4EE-1BB5-47DD-8120-11324BC54E06 ", PartNumber: "SPE_E5 ", DisplayName: "Microsoft 365 E5 ",
			Plans: []model.PlanName{{PlanID: planTeams, Name: "TEAMS1"}}},
		// the same plan under another product, now with a friendly name: it fills the gap
		{SKUID: skuA1Faculty, DisplayName: "", PartNumber: "STANDARDWOFFPACK_FACULTY",
			Plans: []model.PlanName{{PlanID: strings.ToUpper(planTeams), Name: "TEAMS1", FriendlyName: "Microsoft Teams"}}},
	}, "x", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	names, err := st.ProductNames(ctx)
	if err != nil || len(names) != 1 || names[skuE5] != "Microsoft 365 E5" {
		t.Errorf("names = %q, %v", names, err)
	}
	plans, err := st.PlanNames(ctx)
	if err != nil || len(plans) != 1 || plans[planTeams] != "Microsoft Teams" {
		t.Errorf("plans = %q, %v", plans, err)
	}
	// a product without friendly name falls back to the catalog's part number when the tenant has none
	snap := smallTenant()
	snap.SKUs = nil
	mustSave(t, st, 0, snap)
	p, err := st.GroupReport(ctx, model.GroupReportQuery{Search: "all students"})
	if err != nil || len(p.Rows) != 1 {
		t.Fatalf("report: %+v, %v", p, err)
	}
	want := []model.NamedSKU{{ID: skuA1Students, Name: skuA1Students}, {ID: skuA1Faculty, Name: "STANDARDWOFFPACK_FACULTY"}}
	if l := p.Rows[0].Licenses; len(l) != 2 || l[0] != want[0] || l[1] != want[1] {
		t.Errorf("licenses = %+v, want %+v", l, want)
	}
}
