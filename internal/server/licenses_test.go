package server

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

func csvRecords(t *testing.T, body string) [][]string {
	t.Helper()
	return testkit.ReadCSV(t, []byte(body))
}

func TestLicensesPage(t *testing.T) {
	e := newLicEnv(t, false)
	res := do(t, e.h, "GET", "/licenses", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	d := res.doc(t)
	if got := d.Find(`nav a[aria-current="page"]`).Text(); got != "Licenses" {
		t.Errorf("active nav %q", got)
	}
	faculty := d.Find(`#licenses tr[data-sku="` + skuFaculty + `"]`)
	if name := faculty.Find("td.col-name a").Text(); name != "Office 365 A1 for faculty" ||
		faculty.Find("td.col-name a").AttrOr("href", "") != "/licenses/STANDARDWOFFPACK_FACULTY" {
		t.Errorf("faculty row %q -> %q", name, faculty.Find("td.col-name a").AttrOr("href", ""))
	}
	if w := faculty.Find(".warn-used-up").Text(); !strings.Contains(w, "Used up: 0 of 500") {
		t.Errorf("faculty warning %q", w)
	}
	if g := faculty.Find("td.col-groups a"); g.Text() != "LT Students and Faculty" || g.AttrOr("href", "") != "/groups/"+groupLT {
		t.Errorf("groups %q", g.Text())
	}
	if holders := faculty.Find("td.col-holders").Text(); !strings.Contains(holders, "1") || !strings.Contains(holders, "1 in error") {
		t.Errorf("holders %q", holders)
	}
	if faculty.Find("svg.use-bar").AttrOr("aria-label", "") != "100% used" {
		t.Errorf("use bar %q", faculty.Find("svg.use-bar").AttrOr("aria-label", ""))
	}
	for _, id := range []string{"#all-csv", "#all-zip", "#users-csv"} {
		if d.Find(id).AttrOr("href", "") == "" {
			t.Errorf("no %s link", id)
		}
	}
}

func TestLicensePageColumnsFiltersAndCSV(t *testing.T) {
	e := newLicEnv(t, false)
	res := do(t, e.h, "GET", "/licenses/SPE_E5", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, res.body)
	}
	d := res.doc(t)
	var headers []string
	d.Find("#holders thead th").Each(func(_ int, th *goquery.Selection) { headers = append(headers, th.AttrOr("data-col", "")) })
	if strings.Join(headers, ",") != "displayName,userPrincipalName,accountEnabled,assignment,licenseState" {
		t.Errorf("default columns %v", headers)
	}
	if n := d.Find("#holders tbody tr").Length(); n != 4 {
		t.Errorf("%d E5 holders, want the four LT members with an E5 state", n)
	}
	if d.Find("#use-chart svg title").Text() == "" || d.Find("#use-chart svg desc").Text() == "" {
		t.Error("the chart has no title or description")
	}

	// Pick columns and a filter: the page and its CSV show exactly the same.
	view := url.Values{"col": {"displayName,department,usageLocation,licenseState,error"}, "errors": {"1"}, "loc": {"de"}, "sort": {"department"}}
	res = do(t, e.h, "GET", "/licenses/SPE_E5?"+view.Encode(), nil)
	d = res.doc(t)
	var rows [][]string
	d.Find("#holders tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var cells []string
		tr.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, strings.TrimSpace(td.Text())) })
		rows = append(rows, cells)
	})
	if len(rows) != 3 { // Carla, Conny, Uma are in error with usage location DE
		t.Fatalf("filtered rows %v", rows)
	}
	csvURL := d.Find("#holders-csv").AttrOr("href", "")
	if !strings.HasPrefix(csvURL, "/licenses/SPE_E5/holders.csv?") || strings.Contains(csvURL, "page=") {
		t.Errorf("CSV link %q", csvURL)
	}
	res = do(t, e.h, "GET", csvURL, nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "STANDARDWOFFPACK") && !strings.Contains(res.Header.Get("Content-Disposition"), "SPE_E5") {
		t.Fatalf("CSV: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	recs := csvRecords(t, res.body)
	if strings.Join(recs[0], ",") != "displayName,department,usageLocation,licenseState,error" || len(recs) != len(rows)+1 {
		t.Fatalf("CSV %q", recs)
	}
	for i, row := range rows {
		if !slices.Equal(recs[i+1], row) {
			t.Errorf("row %d: CSV %q, page %q", i, recs[i+1], row)
		}
	}
	// The column picker keeps what was chosen; sorting keeps the filter.
	if !d.Find(`#column-picker input[value="department"]`).Is("[checked]") || d.Find(`#column-picker input[value="userPrincipalName"]`).Is("[checked]") {
		t.Error("the picker does not show the chosen columns")
	}
	sortLink := d.Find(`#holders th[data-col="usageLocation"] a`).AttrOr("href", "")
	if !strings.Contains(sortLink, "sort=usageLocation") || !strings.Contains(sortLink, "errors=1") || !strings.Contains(sortLink, "loc=de") {
		t.Errorf("sort link %q", sortLink)
	}
	if d.Find(`#holders th[data-col="error"] a`).Length() != 0 {
		t.Error("the error column offers a sort it does not have")
	}
}

func TestLicensePagesRefuseBadInput(t *testing.T) {
	e := newLicEnv(t, false)
	res := do(t, e.h, "GET", "/licenses/NO_SUCH_SKU", nil)
	if res.StatusCode != 404 || !strings.Contains(res.body, "SPE_E5") {
		t.Errorf("unknown SKU: %d", res.StatusCode)
	}
	res = do(t, e.h, "GET", "/licenses/SPE_E5?col=shoeSize&sort=error&size=7&account=maybe", nil)
	if res.StatusCode != 400 {
		t.Fatalf("bad view: %d", res.StatusCode)
	}
	problem := res.doc(t).Find("#holder-filter #form-problem").Text()
	for _, w := range []string{"shoeSize", "sort:", "size:", "account:"} {
		if !strings.Contains(problem, w) {
			t.Errorf("problem %q lacks %q", problem, w)
		}
	}
	for _, target := range []string{"/licenses/SPE_E5/holders.csv?dir=sideways", "/licenses/export?format=pdf", "/licenses/export?sku=nope"} {
		if res := do(t, e.h, "GET", target, nil); res.StatusCode != 400 && res.StatusCode != 404 {
			t.Errorf("%s: %d", target, res.StatusCode)
		}
	}
}

func TestLicenseExports(t *testing.T) {
	e := newLicEnv(t, false)
	res := do(t, e.h, "GET", "/licenses/export?format=zip&bom=0", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("zip: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	files := testkit.ZipFiles(t, []byte(res.body))
	if len(files) != 5 {
		t.Errorf("%d files, want one per SKU", len(files))
	}
	for _, f := range files {
		if bytes.HasPrefix(f.Data, []byte("\ufeff")) || !bytes.HasPrefix(f.Data, []byte("displayName,")) {
			t.Errorf("%s starts %q", f.Name, f.Data[:min(20, len(f.Data))])
		}
	}
	res = do(t, e.h, "GET", "/licenses/export?sku=SPE_E5&sku=STANDARDWOFFPACK_FACULTY", nil)
	recs := csvRecords(t, res.body)
	if recs[0][0] != "skuPartNumber" || len(recs) != 1+4+1 {
		t.Errorf("two SKUs: %d records, header %q", len(recs), recs[0])
	}
	res = do(t, e.h, "GET", "/licenses/users.csv", nil)
	recs = csvRecords(t, res.body)
	if recs[0][len(recs[0])-1] != "licenses" || len(recs) != 8 {
		t.Errorf("users CSV: %d records, header %q", len(recs), recs[0])
	}
}
