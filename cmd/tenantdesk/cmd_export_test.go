package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

func TestExportUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"export"}, {"export", "groups"}, {"export", "licenses"},
		{"export", "licenses", "-all", "-users"}, {"export", "licenses", "-all", "stray"}} {
		var errOut bytes.Buffer
		err := run(context.Background(), testEnv(map[string]string{"TENANTDESK_DATA_DIR": t.TempDir()}, io.Discard, &errOut), args)
		if !errors.Is(err, errUsage) || errOut.Len() == 0 {
			t.Errorf("%q: %v, stderr %q", args, err, errOut.String())
		}
	}
}

// `tenantdesk export licenses` on a synced tenant: a ZIP with one CSV per SKU, one SKU's CSV on
// standard output, and clear errors for an unknown SKU or column.
func TestExportLicensesCommand(t *testing.T) {
	ctx := context.Background()
	sim := simtest.Start(t, tenantsim.Options{Config: tenantsim.Config{Seed: 5, Users: 300, Groups: 30, LicensedGroups: 10}})
	dir := t.TempDir()
	vars := simVars(sim.Info(), dir)
	vars["TENANTDESK_LOG_LEVEL"] = "error"
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, testEnv(vars, &out, io.Discard), args)
		return out.String(), err
	}
	if _, err := cli("export", "licenses", "-all"); err == nil || !strings.Contains(err.Error(), "tenantdesk refresh") {
		t.Errorf("before a snapshot: %v", err)
	}
	if _, err := cli("refresh"); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(dir, "out.zip")
	if _, err := cli("export", "licenses", "-all", "-o", zipPath); err != nil {
		t.Fatal(err)
	}
	archive, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	files := testkit.ZipFiles(t, archive)
	skus := sim.Tenant.SKUTruths()
	if len(files) != len(skus) {
		t.Errorf("%d files for %d SKUs", len(files), len(skus))
	}
	for _, f := range files {
		if recs := testkit.ReadCSV(t, f.Data); recs[0][0] != "displayName" {
			t.Errorf("%s: header %q", f.Name, recs[0])
		}
	}
	out, err := cli("export", "licenses", "-sku", strings.ToLower(skus[0].PartNumber), "-columns", "userPrincipalName,licenseState", "-no-bom")
	if err != nil || !strings.HasPrefix(out, "userPrincipalName,licenseState\r\n") {
		t.Errorf("one SKU on stdout: %v %q", err, out[:min(len(out), 60)])
	}
	if _, err := cli("export", "licenses", "-sku", "NOPE"); err == nil || !strings.Contains(err.Error(), skus[0].PartNumber) {
		t.Errorf("unknown SKU: %v", err)
	}
	if _, err := cli("export", "licenses", "-all", "-columns", "displayName,shoeSize"); err == nil || !strings.Contains(err.Error(), "officeLocation") {
		t.Errorf("unknown column: %v", err)
	}
	usersPath := filepath.Join(dir, "users.csv")
	if _, err := cli("export", "licenses", "-users", "-o", usersPath); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(usersPath)
	if !bytes.Contains(b, []byte("licenseCount,licenses")) {
		t.Errorf("users CSV header: %q", b[:min(len(b), 80)])
	}
}
