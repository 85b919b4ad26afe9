package app_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/licensereport"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// truthColumns are the report columns the simulator's truth can check.
var truthColumns = []string{"id", "displayName", "assignment", "licenseState", "error", "disabledPlans"}

// TestLicenseReportEqualsTheSimulatorsTruth takes the report of every SKU of the simulated
// tenant — read through the real Graph client, stored, explained and written as CSV — parses the
// file back and compares each row with the engine's own state: who holds the SKU, directly or
// from which groups, in which state, with which plans off. Then it changes the tenant, refreshes
// and checks again, and checks the ZIP of every SKU the same way.
func TestLicenseReportEqualsTheSimulatorsTruth(t *testing.T) {
	ctx := context.Background()
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 7}})
	sim := d.Sim.Tenant
	cols, err := licensereport.ParseColumns(truthColumns)
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T) {
		sums, err := d.App.Licenses.Summaries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		skus := sim.SKUTruths()
		if len(sums) != len(skus) {
			t.Errorf("report lists %d SKUs, the tenant subscribes to %d", len(sums), len(skus))
		}
		groupNames := map[string]string{}
		for _, g := range sim.LicensedGroupTruth() {
			groupNames[g.ID] = g.DisplayName
		}
		for _, sku := range skus {
			sum, err := licensereport.Find(sums, sku.ID)
			if err != nil {
				t.Errorf("%s: %v", sku.PartNumber, err)
				continue
			}
			var buf bytes.Buffer
			if err := d.App.Licenses.WriteCSV(ctx, &buf, []licensereport.Summary{sum}, licensereport.Options{Columns: cols, BOM: true}); err != nil {
				t.Fatalf("%s: %v", sku.PartNumber, err)
			}
			compareWithTruth(t, sku, buf.Bytes(), sim.HoldersOf(sku.ID), groupNames)
		}
	}
	check(t)
	// The hostile names are among the holders, so the comparison above read them back.
	for _, id := range sim.Scenarios.HostileUsers {
		held := false
		for _, s := range sim.SKUTruths() {
			held = held || slices.ContainsFunc(sim.HoldersOf(s.ID), func(h tenantsim.HolderTruth) bool { return h.UserID == id })
		}
		if !held {
			t.Errorf("hostile user %s holds no license, so no file showed its name", id)
		}
	}
	if len(sim.Scenarios.HostileUsers) == 0 || sim.Scenarios.DirectAndGroupsUser == "" {
		t.Error("the demo tenant lacks the report's hard cases")
	}

	// The report follows the tenant: a user gets one SKU directly, loses another, and the next
	// snapshot's files say so.
	var skuAdded, skuRemoved tenantsim.SKUTruth
	for _, s := range sim.SKUTruths() {
		if free := s.Prepaid.Enabled - s.Consumed; free > 0 && free < 1000 && len(s.Plans) > 0 {
			skuAdded = s // a paid SKU with units left
		}
	}
	holds := func(sku, user string) bool {
		return slices.ContainsFunc(sim.HoldersOf(sku), func(h tenantsim.HolderTruth) bool { return h.UserID == user })
	}
	user := ""
	for _, s := range sim.SKUTruths() {
		for _, h := range sim.HoldersOf(s.ID) {
			if user == "" && s.ID != skuAdded.ID && h.Direct && len(h.Groups) == 0 && !h.InError && !holds(skuAdded.ID, h.UserID) {
				user, skuRemoved = h.UserID, s
			}
		}
	}
	if user == "" || skuAdded.ID == "" {
		t.Fatal("the demo tenant has no user with a direct license to change")
	}
	if _, err := sim.AssignUserLicenses(user, []tenantsim.License{{SKUID: skuAdded.ID}}, []string{skuRemoved.ID}, tenantsim.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.App.Syncer.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if !holds(skuAdded.ID, user) || holds(skuRemoved.ID, user) {
		t.Fatalf("the change did not happen in the tenant")
	}
	t.Run("after a change", check)

	t.Run("zip of every SKU", func(t *testing.T) {
		sums, err := d.App.Licenses.Summaries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := d.App.Licenses.WriteZIP(ctx, &buf, sums, licensereport.Options{Columns: cols}); err != nil {
			t.Fatal(err)
		}
		byName := map[string]tenantsim.SKUTruth{}
		for _, s := range sim.SKUTruths() {
			byName[s.PartNumber+".csv"] = s
		}
		groupNames := map[string]string{}
		for _, g := range sim.LicensedGroupTruth() {
			groupNames[g.ID] = g.DisplayName
		}
		for _, f := range testkit.ZipFiles(t, buf.Bytes()) {
			sku, ok := byName[f.Name]
			if !ok {
				t.Errorf("ZIP holds %s, which is no SKU's part number", f.Name)
				continue
			}
			delete(byName, f.Name)
			compareWithTruth(t, sku, f.Data, sim.HoldersOf(sku.ID), groupNames)
		}
		if len(byName) > 0 {
			t.Errorf("ZIP lacks %d SKUs", len(byName))
		}
	})
}

// compareWithTruth parses a report CSV of truthColumns and compares it row by row with truth.
func compareWithTruth(t *testing.T, sku tenantsim.SKUTruth, file []byte, truth []tenantsim.HolderTruth, groupNames map[string]string) {
	t.Helper()
	recs := testkit.ReadCSV(t, file)
	if !slices.Equal(recs[0], truthColumns) {
		t.Errorf("%s: header %q", sku.PartNumber, recs[0])
		return
	}
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		if _, dup := rows[r[0]]; dup {
			t.Errorf("%s: user %s has two rows", sku.PartNumber, r[0])
		}
		rows[r[0]] = r
	}
	if len(rows) != len(truth) {
		t.Errorf("%s: %d rows, the tenant has %d holders", sku.PartNumber, len(rows), len(truth))
	}
	planNames := map[string]string{}
	for _, p := range sku.Plans {
		planNames[p.ID] = p.FriendlyName
	}
	for _, h := range truth {
		r, ok := rows[h.UserID]
		if !ok {
			t.Errorf("%s: holder %s (%q) missing", sku.PartNumber, h.UserID, h.DisplayName)
			continue
		}
		name, assignment, state, errText, plans := r[1], r[2], r[3], r[4], r[5]
		if name != h.DisplayName && (name != "'"+h.DisplayName || !startsLikeFormula(h.DisplayName)) {
			t.Errorf("%s: name %q, the tenant has %q", sku.PartNumber, name, h.DisplayName)
		}
		var want []string
		if h.Direct {
			want = append(want, "Direct")
		}
		for _, g := range h.Groups {
			want = append(want, groupNames[g])
		}
		if got := strings.Split(assignment, "; "); !testkit.SameElements(got, want) {
			t.Errorf("%s: %q assigned %q, the tenant has %q", sku.PartNumber, h.DisplayName, assignment, want)
		}
		if wantState := worstLabel(h); state != wantState {
			t.Errorf("%s: %q state %q, the tenant's states %q", sku.PartNumber, h.DisplayName, state, h.States)
		}
		if (errText != "") != h.InError {
			t.Errorf("%s: %q error %q, in error in the tenant: %v", sku.PartNumber, h.DisplayName, errText, h.InError)
		}
		var wantPlans []string
		for _, p := range h.DisabledPlans {
			wantPlans = append(wantPlans, planNames[p])
		}
		var gotPlans []string
		if plans != "" {
			gotPlans = strings.Split(plans, "; ")
		}
		if !testkit.SameElements(gotPlans, wantPlans) {
			t.Errorf("%s: %q plans off %q, the tenant has %q", sku.PartNumber, h.DisplayName, gotPlans, wantPlans)
		}
	}
}

// worstLabel is the state column a holder must show: the worst of its sources' states, or
// "Assigned" for a license without a state.
func worstLabel(h tenantsim.HolderTruth) string {
	labels := map[string]string{"Error": "Error", "ActiveWithError": "Active with error", "Disabled": "Disabled", "Active": "Active"}
	for _, s := range []string{"Error", "ActiveWithError", "Disabled", "Active"} {
		if slices.Contains(h.States, s) {
			return labels[s]
		}
	}
	return "Assigned"
}

// startsLikeFormula says whether a spreadsheet would evaluate s: its first visible character is
// one of = + - @ (or their full-width forms) or it starts with a tab or carriage return.
func startsLikeFormula(s string) bool {
	for _, r := range s {
		switch r {
		case '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
			return true
		}
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return false
}
