package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/health"
)

// The health pages: findings with CSV, thresholds checked, prices and cleanup for LicenseAdmins
// only, bad input shown on its form.
func TestHealthPages(t *testing.T) {
	e := newLicEnv(t, true)
	admin := http.Header{"X-Test-Role": {"licenseadmin"}}
	reader := http.Header{"X-Test-Role": {"reader"}}

	res := do(t, e.h, "GET", "/health", reader)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/health: %d", res.StatusCode)
	}
	d := res.doc(t)
	if n := d.Find("#health-findings tbody tr").Length(); n != len(health.Kinds()) {
		t.Errorf("%d findings in the summary, want %d", n, len(health.Kinds()))
	}
	if d.Find("#prices-link").Length() != 0 || d.Find(".finding-cleanup").Length() != 0 {
		t.Error("a Reader is offered prices or cleanup")
	}
	if d.Find(`nav > ul > li > a[aria-current="page"]`).Text() != "Health" {
		t.Error("Health is not the active navigation entry")
	}
	for target, status := range map[string]int{
		"/health?days=0": 400, "/health?days=abc": 400, "/health?horizon=9999": 400, "/health?finding=nope": 404,
		"/health/nope.csv": 404, "/health/disabled": 404, "/health/disabled.csv?days=-1": 400,
	} {
		if res := do(t, e.h, "GET", target, reader); res.StatusCode != status {
			t.Errorf("GET %s: %d, want %d", target, res.StatusCode, status)
		}
	}
	if res := do(t, e.h, "GET", "/health?days=0", reader); !strings.Contains(res.doc(t).Find("#health-filter .form-problem").Text(), "Inactive after") {
		t.Error("a bad threshold is not shown on the thresholds form")
	}
	csv := do(t, e.h, "GET", "/health/disabled.csv", reader)
	if csv.StatusCode != 200 || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(csv.Header.Get("Content-Disposition"), "license-health-disabled.csv") {
		t.Fatalf("CSV: %d %v", csv.StatusCode, csv.Header)
	}
	if rows := csvRecords(t, csv.body); len(rows) < 1 || rows[0][0] != "finding" {
		t.Errorf("CSV rows %q", rows)
	}

	for _, p := range []string{"/health/prices", "/health/cleanup?finding=disabled"} {
		if res := do(t, e.h, "GET", p, reader); res.StatusCode != http.StatusForbidden {
			t.Errorf("Reader GET %s: %d, want 403", p, res.StatusCode)
		}
	}
	if res := postForm(t, e.h, "/health/prices", url.Values{"sku": {skuFaculty}, "amount": {"5"}, "currency": {"EUR"}}, "reader"); res.StatusCode != http.StatusForbidden {
		t.Errorf("Reader's price POST: %d", res.StatusCode)
	}
	if res := postForm(t, e.h, "/health/cleanup", url.Values{"finding": {"disabled"}, "user": {"x"}}, "operator"); res.StatusCode != http.StatusForbidden {
		t.Errorf("Operator's cleanup POST: %d", res.StatusCode)
	}

	bad := postForm(t, e.h, "/health/prices", url.Values{"sku": {skuFaculty}, "amount": {"=1+1"}, "currency": {"EUR"}}, "licenseadmin")
	if bad.StatusCode != http.StatusBadRequest || !strings.Contains(bad.doc(t).Find(`#prices tr[data-sku="`+skuFaculty+`"] .form-problem`).Text(), "not a price") {
		t.Errorf("bad price: %d", bad.StatusCode)
	}
	if res := postForm(t, e.h, "/health/prices", url.Values{"sku": {"00000000-0000-0000-0000-000000000000"}, "amount": {"1"}, "currency": {"EUR"}}, "licenseadmin"); res.StatusCode != http.StatusNotFound {
		t.Errorf("price of an unknown SKU: %d", res.StatusCode)
	}
	good := postForm(t, e.h, "/health/prices", url.Values{"sku": {skuFaculty}, "amount": {"12,50"}, "currency": {"eur"}}, "licenseadmin")
	if good.StatusCode != http.StatusSeeOther || !strings.Contains(good.Header.Get("Location"), "saved="+skuFaculty) {
		t.Fatalf("good price: %d %s", good.StatusCode, good.Header.Get("Location"))
	}
	row := do(t, e.h, "GET", "/health/prices", admin).doc(t).Find(`#prices tr[data-sku="` + skuFaculty + `"]`)
	if v, _ := row.Find(`input[name="amount"]`).Attr("value"); v != "12.50" {
		t.Errorf("stored price shows %q", v)
	}
	if res := do(t, e.h, "GET", "/health/cleanup?finding=nope", admin); res.StatusCode != http.StatusBadRequest {
		t.Errorf("cleanup of an unknown finding: %d", res.StatusCode)
	}
	if res := postForm(t, e.h, "/health/cleanup", url.Values{"finding": {"disabled"}}, "licenseadmin"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("cleanup without users: %d", res.StatusCode)
	}
}

// FuzzHealthQuery: whatever the address holds, the thresholds and the cleanup's choices are
// either refused as bad input or within their limits.
func FuzzHealthQuery(f *testing.F) {
	for _, s := range []string{"days=90&horizon=30", "days=-1", "days=99999999999999999999", "finding=disabled&groups=keep",
		"finding=%00&groups=x", "days=1e3", "days=+5", "days= 7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		o, err := healthOptions(q)
		if err == nil && (o.InactiveDays < 0 || o.InactiveDays > health.MaxInactiveDays || o.HorizonDays < 0 || o.HorizonDays > health.MaxHorizonDays) {
			t.Fatalf("%q: options %+v accepted", raw, o)
		}
		if _, kinds, groups, err := cleanupRequest(q); err == nil {
			for _, k := range kinds {
				if !strings.Contains(strings.Join(health.CleanupKinds(), " "), k) {
					t.Fatalf("%q: kind %q accepted", raw, k)
				}
			}
			if groups != health.GroupsRemove && groups != health.GroupsKeep {
				t.Fatalf("%q: groups %q accepted", raw, groups)
			}
		}
	})
}
