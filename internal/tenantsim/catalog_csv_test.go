package tenantsim

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestProductCatalogCSVHasEveryPlanWithFriendlyNames(t *testing.T) {
	ten, _ := newTestTenant(t, Config{Seed: 1, Users: 60, Groups: 10, LicensedGroups: 7})
	data := ten.ProductCatalogCSV()
	if !bytes.HasPrefix(data, []byte("\ufeff")) || !bytes.Contains(data, []byte("\r\n")) {
		t.Fatal("catalog must start with a BOM and use CRLF like Microsoft's file")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := 1
	for _, s := range ten.skus {
		want += len(s.Plans)
	}
	if len(rows) != want {
		t.Fatalf("rows = %d, want %d (header + one per SKU plan)", len(rows), want)
	}
	found := false
	for _, r := range rows[1:] {
		if r[2] == skuA1Faculty && r[0] == "Office 365 A1 for faculty" && r[4] == planTeams && r[5] == "Microsoft Teams" {
			found = true
		}
		if r[5] == "" || r[0] == "" {
			t.Errorf("row without names: %v", r)
		}
	}
	if !found {
		t.Error("A1 for faculty with its Teams plan and friendly names not in the catalog")
	}
}
