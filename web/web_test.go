package web

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

var now = time.Date(2026, 3, 4, 10, 5, 0, 0, time.UTC)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	d, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func baseLayout() Layout {
	return Layout{
		Title: "Groups", Now: now, Version: "v1.2.3",
		Nav:           []NavItem{{Label: "Overview", Href: "/"}, {Label: "Groups", Href: "/groups", Active: true}},
		Assets:        map[string]string{"app.css": "/static/abc/app.css", "app.js": "/static/def/app.js"},
		DataAsOf:      now.Add(-3 * time.Minute),
		RefreshAction: "/refresh", ProgressURL: "/sync/progress",
	}
}

func TestLayout(t *testing.T) {
	l := baseLayout()
	d := render(t, ErrorPage(l, ErrorView{Status: 404, Heading: "Page not found", Message: "gone"}))
	if got := d.Find("title").Text(); got != "Groups · tenantdesk" {
		t.Errorf("title %q", got)
	}
	var nav []string
	d.Find("nav[aria-label=Main] a").Each(func(_ int, s *goquery.Selection) {
		nav = append(nav, s.Text()+"="+s.AttrOr("href", "")+"/"+s.AttrOr("aria-current", ""))
	})
	if strings.Join(nav, " ") != "Overview=// Groups=/groups/page" {
		t.Errorf("nav %q", nav)
	}
	if d.Find("form[role=search]").Length() != 0 {
		t.Error("user search shown before its route exists")
	}
	if got := d.Find("link[rel=stylesheet]").AttrOr("href", ""); got != "/static/abc/app.css" {
		t.Errorf("css %q", got)
	}
	if got := d.Find("#data-age time"); got.Text() != "3 minutes ago" || got.AttrOr("datetime", "") != "2026-03-04T10:02:00Z" {
		t.Errorf("data age %q %q", got.Text(), got.AttrOr("datetime", ""))
	}
	if d.Find("#sync-failure").Length() != 0 {
		t.Error("failure banner without a failure")
	}
	if _, ok := d.Find("#sync-progress").Attr("hidden"); !ok {
		t.Error("progress visible while idle")
	}
	if !strings.Contains(d.Find("footer").Text(), "v1.2.3") {
		t.Error("version missing from footer")
	}
	if d.Find("a.skip[href='#main']").Length() != 1 || d.Find("main#main").Length() != 1 {
		t.Error("no skip link to main")
	}

	l.SearchAction = "/users"
	l.RefreshAction = ""
	l.DataAsOf = time.Time{}
	l.Sync = SyncView{Running: true, Phase: "member counts", LastFail: &SyncFailure{At: now.Add(-time.Hour), Error: `<b>boom</b>`}}
	d = render(t, ErrorPage(l, ErrorView{Status: 500}))
	if d.Find("form[role=search][action='/users'] input[name=q]").Length() != 1 {
		t.Error("user search not shown when its route exists")
	}
	if d.Find("form.refresh").Length() != 0 {
		t.Error("refresh form without a refresh action")
	}
	banner := strings.Join(strings.Fields(d.Find("#sync-failure").Text()), " ")
	if banner != "Last refresh failed at 4 Mar 2026 09:05 UTC: <b>boom</b>; no data has been loaded yet." {
		t.Errorf("banner %q", banner)
	}
	if d.Find("#sync-failure b").Length() != 0 {
		t.Error("error text not escaped")
	}
	if got := d.Find("#sync-text").Text(); got != "Refreshing (member counts)…" {
		t.Errorf("progress text %q", got)
	}
	if _, ok := d.Find("#sync-bar").Attr("value"); ok {
		t.Error("progress bar has a value while the total is unknown (should be indeterminate)")
	}
}

func TestGroupReportPageLinks(t *testing.T) {
	v := GroupReportView{
		HasData: true, PageSize: 50, PageSizes: []int{25, 50}, Total: 1, FormAction: "/groups",
		Columns: []Column{{Key: "name", Label: "Name", Href: "/groups?dir=desc", Sorted: true}},
		Rows: []GroupRow{{ID: "id-1", Name: `<img src=x onerror=alert(1)>`, Href: "javascript:alert(1)", Errors: 2,
			ErrorsHref: "/groups/id-1#errors", Licenses: []model.NamedSKU{{ID: "sku", Name: "E5"}}}},
		Pager: Pager{Page: 1, Pages: 1, First: 1, Last: 1, Total: 1},
	}
	d := render(t, GroupReportPage(baseLayout(), v))
	if d.Find("#groups img").Length() != 0 {
		t.Error("group name rendered as HTML")
	}
	if got := d.Find("#groups td.col-name a").AttrOr("href", ""); strings.HasPrefix(got, "javascript:") {
		t.Errorf("unsafe link rendered: %q", got)
	}
	if got := d.Find("#groups td.col-errors a").AttrOr("href", ""); got != "/groups/id-1#errors" {
		t.Errorf("safe relative link changed: %q", got)
	}
	if got := d.Find("#groups th").AttrOr("aria-sort", ""); got != "ascending" {
		t.Errorf("aria-sort %q", got)
	}
	if d.Find("#groups th .arrow").Text() != "▲" {
		t.Error("no sort arrow")
	}
	if d.Find("#pager").Length() != 0 {
		t.Error("pager for a single page")
	}
	if got := d.Find("#size option[selected]").AttrOr("value", ""); got != "50" {
		t.Errorf("selected size %q", got)
	}
}

func TestAge(t *testing.T) {
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{-time.Hour, "just now"},
		{0, "just now"},
		{44 * time.Second, "just now"},
		{60 * time.Second, "1 minute ago"},
		{3 * time.Minute, "3 minutes ago"},
		{59 * time.Minute, "59 minutes ago"},
		{70 * time.Minute, "1 hour ago"},
		{5 * time.Hour, "5 hours ago"},
		{30 * time.Hour, "yesterday"},
		{72 * time.Hour, "3 days ago"},
	}
	for _, tc := range tests {
		if got := Age(now, now.Add(-tc.ago)); got != tc.want {
			t.Errorf("Age(-%v) = %q, want %q", tc.ago, got, tc.want)
		}
	}
	if got := Age(now, time.Time{}); got != "never" {
		t.Errorf("Age(zero) = %q", got)
	}
}

func TestNumber(t *testing.T) {
	tests := map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 10000: "10,000", 123456: "123,456",
		1234567: "1,234,567", -1: "-1", -1000: "-1,000", -123456: "-123,456"}
	for n, want := range tests {
		if got := Number(n); got != want {
			t.Errorf("Number(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSmallHelpers(t *testing.T) {
	if got := ShortID("06ebc4ee-1bb5-47dd-8120-11324bc54e06"); got != "06ebc4ee…" {
		t.Errorf("ShortID %q", got)
	}
	if got := ShortID("short"); got != "short" {
		t.Errorf("ShortID %q", got)
	}
	for state, want := range map[string]string{model.ProcessingComplete: "Complete", model.ProcessingQueued: "Queued",
		model.ProcessingInProgress: "In progress", "": "Unknown", "Weird": "Weird"} {
		if got := ProcessingLabel(state); got != want {
			t.Errorf("ProcessingLabel(%q) = %q", state, got)
		}
	}
	if got := PhaseLabel(SyncView{Phase: "users", Done: 1200, Total: 5000}); got != "Refreshing (users): 1,200 of 5,000" {
		t.Errorf("PhaseLabel %q", got)
	}
	if got := PhaseLabel(SyncView{Phase: "groups", Done: 3}); got != "Refreshing (groups): 3" {
		t.Errorf("PhaseLabel %q", got)
	}
	if Percent(1, 0) != 0 || Percent(95, 100) != 95 {
		t.Error("Percent")
	}
	if (Layout{}).AssetURL("x.css") != "/static/x.css" {
		t.Error("AssetURL fallback")
	}
}

func TestSKUUsageText(t *testing.T) {
	tests := []struct {
		s    SKUView
		want string
	}{
		{SKUView{Consumed: 500, Enabled: 500}, "500 of 500 used"},
		{SKUView{Consumed: 10, Warning: 25}, "10 used, 25 in grace period"},
		{SKUView{Consumed: 1200, Enabled: 1000, Suspended: 3}, "1,200 of 1,000 used, 3 suspended"},
	}
	for _, tc := range tests {
		if got := SKUUsageText(tc.s); got != tc.want {
			t.Errorf("SKUUsageText(%+v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// The header says whether the data came from a full sync or an incremental refresh, and the
// progress line which kind is running.
func TestDataKind(t *testing.T) {
	l := baseLayout()
	l.DataKind, l.DataFullAt = model.SyncIncremental, now.Add(-5*time.Hour)
	d := render(t, ErrorPage(l, ErrorView{Status: 404}))
	if got := d.Find("#data-kind").Text(); got != "Incremental" {
		t.Errorf("data kind %q", got)
	}
	if got, _ := d.Find("#data-age time").Attr("title"); !strings.Contains(got, "incremental refresh") || !strings.Contains(got, DateTime(l.DataFullAt)) {
		t.Errorf("data age title %q", got)
	}
	l.DataKind = model.SyncFull
	if got := render(t, ErrorPage(l, ErrorView{Status: 404})).Find("#data-kind").Text(); got != "Full sync" {
		t.Errorf("data kind %q", got)
	}
	l.DataKind = ""
	d = render(t, ErrorPage(l, ErrorView{Status: 404}))
	if n := d.Find("#data-kind").Length(); n != 0 || d.Find(".data-age-label").Text() != "Data as of" {
		t.Error("a data kind shown when it is not known")
	}
	for kind, want := range map[string]string{
		model.SyncFull:        "Full sync (users): 1,200 of 5,000",
		model.SyncIncremental: "Refreshing what changed (users): 1,200 of 5,000",
	} {
		if got := PhaseLabel(SyncView{Kind: kind, Phase: "users", Done: 1200, Total: 5000}); got != want {
			t.Errorf("PhaseLabel(%s) = %q, want %q", kind, got, want)
		}
	}
}
