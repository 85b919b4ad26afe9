package server

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tenantdesk/tenantdesk/internal/export"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// reportServer is a handler over a real store holding testSnapshot.
func reportServer(t *testing.T) http.Handler {
	t.Helper()
	snap := testSnapshot()
	return newServer(t, openStore(t, &snap), nil, nil).Handler()
}

// rowIDs are the object ids of the report table's rows, in order.
func rowIDs(d *goquery.Document) []string {
	var ids []string
	d.Find("#groups tbody tr[data-id]").Each(func(_ int, s *goquery.Selection) {
		ids = append(ids, s.AttrOr("data-id", ""))
	})
	return ids
}

func TestGroupReportRows(t *testing.T) {
	h := reportServer(t)
	res := do(t, h, "GET", "/groups?q=A1+students", nil)
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, res.body)
	}
	d := res.doc(t)
	rows := d.Find("#groups tbody tr[data-id]")
	if rows.Length() != 1 {
		t.Fatalf("%d rows, want the A1 group only", rows.Length())
	}
	row := rows.First()
	if id := row.AttrOr("data-id", ""); id != groupA1 {
		t.Fatalf("row id %q", id)
	}
	if got := row.Find("td.col-id code").AttrOr("title", ""); got != groupA1 {
		t.Errorf("full id on hover = %q", got)
	}
	if got := row.Find("td.col-id button.copy").AttrOr("data-copy", ""); got != groupA1 {
		t.Errorf("copy button copies %q", got)
	}
	link := row.Find("td.col-name a")
	if link.Text() != "A1 Students and Faculty" || link.AttrOr("href", "") != "/groups/"+groupA1 {
		t.Errorf("name link %q -> %q", link.Text(), link.AttrOr("href", ""))
	}
	if got := strings.TrimSpace(row.Find("td.col-members").Text()); got != "7" {
		t.Errorf("members %q", got)
	}
	if got := strings.TrimSpace(row.Find("td.col-errors").Text()); got != "3" {
		t.Errorf("errors %q", got)
	}
	if got := row.Find("td.col-errors a").AttrOr("href", ""); got != "/groups/"+groupA1+"#errors" {
		t.Errorf("errors link %q", got)
	}
	if !row.HasClass("has-errors") {
		t.Error("row with errors not marked")
	}
	var licenses []string
	row.Find("td.col-licenses li").Each(func(_ int, s *goquery.Selection) {
		licenses = append(licenses, s.Text()+"|"+s.AttrOr("title", ""))
	})
	want := []string{"Office 365 A1 for faculty|" + skuFaculty, "Office 365 A1 for students|" + skuStudents}
	if fmt.Sprint(licenses) != fmt.Sprint(want) {
		t.Errorf("licenses %q, want %q", licenses, want)
	}
	if got := row.Find("td.col-processing").Text(); got != "Complete" {
		t.Errorf("processing %q", got)
	}
	if strings.Contains(res.body, "STANDARDWOFFPACK") {
		t.Error("part number shown where the friendly name is known")
	}
	if got := d.Find("#q").AttrOr("value", ""); got != "A1 students" {
		t.Errorf("search box keeps %q", got)
	}
}

func TestGroupReportEscapesHostileNames(t *testing.T) {
	h := reportServer(t)
	res := do(t, h, "GET", "/groups?sort=processing&dir=desc&size=25", nil)
	d := res.doc(t)
	first := d.Find("#groups tbody tr").First()
	if first.AttrOr("data-id", "") != groupHostile {
		t.Fatalf("queued group not first when sorted by processing desc: %v", rowIDs(d)[:3])
	}
	if got := first.Find("td.col-name a").Text(); got != hostileName {
		t.Errorf("name rendered as %q", got)
	}
	if got := first.Find("td.col-processing").Text(); got != "Queued" {
		t.Errorf("processing %q", got)
	}
}

func TestGroupReportSortLinksKeepView(t *testing.T) {
	h := reportServer(t)
	res := do(t, h, "GET", "/groups?q=filler&errors=0&size=25&page=3&sort=members&dir=asc", nil)
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	d := res.doc(t)
	hrefs := map[string]string{}
	aria := map[string]string{}
	d.Find("#groups thead th").Each(func(_ int, s *goquery.Selection) {
		hrefs[s.AttrOr("data-col", "")] = s.Find("a").AttrOr("href", "")
		aria[s.AttrOr("data-col", "")] = s.AttrOr("aria-sort", "")
	})
	if len(hrefs) != 6 {
		t.Fatalf("columns %v", hrefs)
	}
	for col, href := range hrefs {
		u, err := url.Parse(href)
		if err != nil || u.Path != "/groups" {
			t.Fatalf("%s: href %q", col, href)
		}
		v := u.Query()
		if v.Get("q") != "filler" || v.Get("size") != "25" {
			t.Errorf("%s: sort link %q drops the search or size", col, href)
		}
		if v.Has("page") {
			t.Errorf("%s: sort link %q keeps the page; a new order starts at page 1", col, href)
		}
	}
	// Sorted by members ascending: its link flips to descending (the default, so no dir).
	if got := hrefs["members"]; got != "/groups?q=filler&size=25&sort=members" {
		t.Errorf("members link %q", got)
	}
	if aria["members"] != "ascending" || aria["name"] != "none" {
		t.Errorf("aria-sort %v", aria)
	}
	if got := hrefs["errors"]; got != "/groups?q=filler&size=25&sort=errors" {
		t.Errorf("errors link %q", got)
	}
	if got := hrefs["name"]; got != "/groups?q=filler&size=25" {
		t.Errorf("name link %q", got)
	}
	// Page 3 of 120 fillers by 25, ascending by member count (filler i has i members).
	ids := rowIDs(d)
	if len(ids) != 25 || ids[0] != fillerID(50) || ids[24] != fillerID(74) {
		t.Errorf("page 3 rows %v…", ids[:min(3, len(ids))])
	}
	// The filter form carries the sort along and resets the page.
	hidden := map[string]string{}
	d.Find("#report-filter input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
		hidden[s.AttrOr("name", "")] = s.AttrOr("value", "")
	})
	if fmt.Sprint(hidden) != "map[dir:asc sort:members]" {
		t.Errorf("hidden fields %v", hidden)
	}
	if d.Find("#report-filter [name=page]").Length() != 0 {
		t.Error("filter form keeps the page")
	}
	if got := d.Find("#size option[selected]").AttrOr("value", ""); got != "25" {
		t.Errorf("selected size %q", got)
	}
	if got := d.Find("#csv-link").AttrOr("href", ""); got != "/groups.csv?dir=asc&q=filler&sort=members" {
		t.Errorf("csv link %q", got)
	}
}

func TestGroupReportPager(t *testing.T) {
	h := reportServer(t)
	// 123 groups by 25: 5 pages.
	d := do(t, h, "GET", "/groups?size=25&page=3&errors=0", nil).doc(t)
	p := d.Find("#pager")
	if p.Length() != 1 {
		t.Fatal("no pager")
	}
	if got := p.Find("a[rel=prev]").AttrOr("href", ""); got != "/groups?page=2&size=25" {
		t.Errorf("prev %q", got)
	}
	if got := p.Find("a[rel=next]").AttrOr("href", ""); got != "/groups?page=4&size=25" {
		t.Errorf("next %q", got)
	}
	if got := p.Find("a[aria-current=page]").Text(); got != "3" {
		t.Errorf("current %q", got)
	}
	var pages []string
	p.Find("li").Each(func(_ int, s *goquery.Selection) { pages = append(pages, strings.TrimSpace(s.Text())) })
	if fmt.Sprint(pages) != "[1 2 3 4 5]" {
		t.Errorf("page links %v", pages)
	}
	if got := strings.Join(strings.Fields(d.Find("#summary").Text()), " "); !strings.HasPrefix(got, "123 groups · showing 51–75") {
		t.Errorf("summary %q", got)
	}

	// Far from both ends, gaps appear.
	d = do(t, h, "GET", "/groups?size=25&page=1", nil).doc(t)
	pages = nil
	d.Find("#pager li").Each(func(_ int, s *goquery.Selection) { pages = append(pages, strings.TrimSpace(s.Text())) })
	if fmt.Sprint(pages) != "[1 2 3 … 5]" {
		t.Errorf("page links on page 1: %v", pages)
	}
	if d.Find("#pager a[rel=prev]").Length() != 0 {
		t.Error("prev link on page 1")
	}

	// A page past the end shows the last page.
	d = do(t, h, "GET", "/groups?size=25&page=999", nil).doc(t)
	if got := d.Find("#pager a[aria-current=page]").Text(); got != "5" {
		t.Errorf("page past the end shows page %q", got)
	}
	if n := len(rowIDs(d)); n != 123-4*25 {
		t.Errorf("last page has %d rows", n)
	}
}

func TestGroupReportOnlyErrors(t *testing.T) {
	h := reportServer(t)
	d := do(t, h, "GET", "/groups?errors=1", nil).doc(t)
	if ids := rowIDs(d); fmt.Sprint(ids) != fmt.Sprint([]string{groupA1}) {
		t.Errorf("rows %v", ids)
	}
	if _, ok := d.Find("input[name=errors]").Attr("checked"); !ok {
		t.Error("checkbox not checked")
	}
	if got := d.Find("#clear-filter").AttrOr("href", ""); got != "/groups" {
		t.Errorf("clear link %q", got)
	}
	if d.Find("#pager").Length() != 0 {
		t.Error("pager shown for one page")
	}
	d = do(t, h, "GET", "/groups?q=no-such-group-xyz", nil).doc(t)
	if d.Find("#groups tbody tr.empty-row").Length() != 1 || len(rowIDs(d)) != 0 {
		t.Error("no empty-row message for a search without hits")
	}
}

func TestGroupReportBadQuery(t *testing.T) {
	h := reportServer(t)
	for _, target := range []string{
		"/groups?sort=bogus", "/groups?dir=sideways", "/groups?size=13", "/groups?page=abc",
		"/groups?errors=perhaps", "/groups?q=" + strings.Repeat("a", 300),
		"/groups.csv?sort=bogus", "/groups.csv?size=9",
	} {
		res := do(t, h, "GET", target, nil)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", target, res.StatusCode)
			continue
		}
		d := res.doc(t)
		if d.Find(".error-details li").Length() == 0 {
			t.Errorf("%s: 400 page names no parameter", target)
		}
		if d.Find("nav[aria-label=Main]").Length() != 1 {
			t.Errorf("%s: 400 page without the layout", target)
		}
	}
	res := do(t, h, "GET", "/groups?sort=bogus&size=13", nil)
	d := res.doc(t)
	if d.Find(".error-details li").Length() != 2 {
		t.Errorf("both bad parameters not named: %q", d.Find(".error-details").Text())
	}
	// Normalised, not refused.
	for _, target := range []string{"/groups?page=0", "/groups?page=-3", "/groups?q=%ff%00", "/groups?page=99999999999999999999999"} {
		if res := do(t, h, "GET", target, nil); res.StatusCode != 200 {
			t.Errorf("%s: status %d, want 200", target, res.StatusCode)
		}
	}
}

func TestGroupReportCSV(t *testing.T) {
	h := reportServer(t)
	res := do(t, h, "GET", "/groups.csv?sort=processing&dir=desc&page=4&size=25", nil)
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, res.body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="tenantdesk-groups-2026-03-04.csv"` {
		t.Errorf("disposition %q", cd)
	}
	body, ok := strings.CutPrefix(res.body, "\ufeff")
	if !ok {
		t.Error("no BOM")
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+123 {
		t.Fatalf("%d records, want header + all 123 groups (page and size ignored)", len(recs))
	}
	if fmt.Sprint(recs[0]) != fmt.Sprint(csvHeader) {
		t.Errorf("header %q", recs[0])
	}
	// Sorted by processing state descending: the queued hostile group first.
	hostile := recs[1]
	if hostile[0] != groupHostile {
		t.Fatalf("first row %q", hostile)
	}
	if hostile[1] != "'"+hostileName {
		t.Errorf("formula not neutralised: %q", hostile[1])
	}
	if hostile[5] != "Microsoft 365 E5" || hostile[6] != skuE5 || hostile[7] != model.ProcessingQueued {
		t.Errorf("row %q", hostile)
	}
	for _, r := range recs[1:] {
		if r[0] == groupA1 && (r[2] != "7" || r[3] != "6" || r[4] != "3" ||
			r[5] != "Office 365 A1 for faculty; Office 365 A1 for students") {
			t.Errorf("A1 row %q", r)
		}
	}
	res = do(t, h, "GET", "/groups.csv?errors=1", nil)
	recs, _ = csv.NewReader(strings.NewReader(strings.TrimPrefix(res.body, "\ufeff"))).ReadAll()
	if len(recs) != 2 || recs[1][0] != groupA1 {
		t.Errorf("filtered csv %q", recs)
	}
}

func TestCSVSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Sales", "Sales"},
		{"=1+1", "'=1+1"},
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"+49 30 1234", "'+49 30 1234"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"\t=cmd|' /C calc'!A0", "'\t=cmd|' /C calc'!A0"},
		{"\r=1", "'\r=1"},
		{"a=1", "a=1"},
		{" =1", "' =1"}, // a spreadsheet skips the space and reads a formula
		{"'quoted", "'quoted"},
		{"Ärzte = Doctors", "Ärzte = Doctors"},
		{"42", "42"},
	}
	for _, tc := range tests {
		if got := export.Neutralise(tc.in); got != tc.want {
			t.Errorf("export.Neutralise(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestGroupReportCSVHostileCells writes hostile names through the handler and reads them back
// as a spreadsheet would see them.
func TestGroupReportCSVHostileCells(t *testing.T) {
	names := []string{"=1+1", "+cmd", "-1", "@x", "\tTab", "\rCR", "normal", `a "quoted", name`, "line\nbreak"}
	fs := &fakeStore{eachRow: func(_ model.GroupReportQuery, fn func(model.GroupReportRow) error) error {
		for i, n := range names {
			if err := fn(model.GroupReportRow{ID: fmt.Sprint(i), DisplayName: n, ProcessingState: "=bad",
				Licenses: []model.NamedSKU{{ID: "-id", Name: "@name"}}}); err != nil {
				return err
			}
		}
		return nil
	}}
	h := newServer(t, fs, nil, nil).Handler()
	res := do(t, h, "GET", "/groups.csv", nil)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		r := recs[i+1]
		// A carriage return inside a value does not survive CSV's CRLF line ends (export's doc).
		if r[1] != strings.ReplaceAll(export.Neutralise(n), "\r", "") {
			t.Errorf("name %q written as %q", n, r[1])
		}
		if r[5] != "'@name" || r[6] != "'-id" || r[7] != "'=bad" {
			t.Errorf("row %d: %q", i, r)
		}
	}
}

func TestGroupReportCSVStoreFailure(t *testing.T) {
	var logs bytes.Buffer
	fs := &fakeStore{eachRow: func(_ model.GroupReportQuery, fn func(model.GroupReportRow) error) error {
		_ = fn(model.GroupReportRow{ID: "1", DisplayName: "first"})
		return errors.New("disk I/O error")
	}}
	res := do(t, newServer(t, fs, nil, &logs).Handler(), "GET", "/groups.csv", nil)
	if res.StatusCode != 500 || res.Header.Get("Content-Disposition") != "" {
		t.Errorf("status %d, disposition %q: a failed export must not look like a file", res.StatusCode, res.Header.Get("Content-Disposition"))
	}
	if strings.Contains(res.body, "disk I/O") {
		t.Error("internal error shown to the user")
	}
	if !strings.Contains(logs.String(), "disk I/O error") {
		t.Error("internal error not logged")
	}
}
