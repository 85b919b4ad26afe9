package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Open alerts come first, the first ten of them with a link to all, each linking to its page.
func TestAlertsPageOpenAlerts(t *testing.T) {
	st := openStore(t, nil)
	h := newServer(t, st, nil, nil).Handler()
	var changes []model.AlertChange
	for i := range 12 {
		changes = append(changes, model.AlertChange{Message: model.AlertMessage{Kind: model.AlertFired, Rule: alerts.RuleGroupErrors,
			Subject: fmt.Sprintf("group:%d", i), Title: fmt.Sprintf("Group %02d: 1 member in license error", i),
			Link: "https://td.example.com/groups/g" + strconv.Itoa(i), Since: testNow, At: testNow.Add(time.Duration(i) * time.Second)}})
	}
	if err := st.RecordAlerts(context.Background(), changes); err != nil {
		t.Fatal(err)
	}
	d := do(t, h, "GET", "/alerts", http.Header{"X-Test-Role": {"reader"}}).doc(t)
	rows := d.Find("#open-alerts tbody tr")
	if rows.Length() != 10 || d.Find(`#open-more a[href="/alerts?open=all#open"]`).Length() != 1 {
		t.Fatalf("%d open alerts shown, link to all: %d", rows.Length(), d.Find("#open-more a").Length())
	}
	if got := rows.First().Find("a").AttrOr("href", ""); got != "/groups/g11" {
		t.Errorf("the newest open alert links to %q", got)
	}
	if got := strings.TrimSpace(rows.First().Find("td").Eq(1).Text()); got != "Group gaining license errors" {
		t.Errorf("rule %q", got)
	}
	d = do(t, h, "GET", "/alerts?open=all", http.Header{"X-Test-Role": {"reader"}}).doc(t)
	if n := d.Find("#open-alerts tbody tr").Length(); n != 12 || d.Find("#open-more").Length() != 0 {
		t.Errorf("?open=all lists %d", n)
	}
	if n := d.Find("#history .alert-entry").Length(); n != 12 {
		t.Errorf("the history lists %d", n)
	}
}

// The history is paged, 20 a page, newest first, bookmarkable; a page past the last shows the
// last.
func TestAlertsHistoryPages(t *testing.T) {
	st := openStore(t, nil)
	h := newServer(t, st, nil, nil).Handler()
	for i := range 25 {
		at := testNow.Add(time.Duration(i) * time.Minute)
		m := model.AlertMessage{Kind: model.AlertFired, Rule: alerts.RuleSKULow, Subject: fmt.Sprintf("sku:%d", i),
			Title: fmt.Sprintf("License %02d is used up", i), Since: at, At: at}
		if err := st.RecordAlerts(context.Background(), []model.AlertChange{{Message: m}}); err != nil {
			t.Fatal(err)
		}
	}
	titles := func(path string) []string {
		d := do(t, h, "GET", path, nil).doc(t)
		var out []string
		d.Find("#history .alert-entry h3").Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
		return out
	}
	first := titles("/alerts")
	if len(first) != 20 || first[0] != "License 24 is used up" || first[19] != "License 05 is used up" {
		t.Fatalf("page 1: %d entries, %q … %q", len(first), first[0], first[len(first)-1])
	}
	d := do(t, h, "GET", "/alerts", nil).doc(t)
	if got := d.Find("#history-pager a[rel=next]").AttrOr("href", ""); got != "/alerts?page=2#history" {
		t.Errorf("next page link %q", got)
	}
	for _, p := range []string{"/alerts?page=2", "/alerts?page=99"} {
		if got := titles(p); len(got) != 5 || got[0] != "License 04 is used up" || got[4] != "License 00 is used up" {
			t.Errorf("%s: %q", p, got)
		}
	}
}

// page is a redirect's location as a browser asks for it: without its fragment.
func page(loc string) string {
	p, _, _ := strings.Cut(loc, "#")
	return p
}

// items is the text of each element of sel, squashed, joined by " | ".
func items(sel *goquery.Selection) string {
	var out []string
	sel.Each(func(_ int, c *goquery.Selection) { out = append(out, strings.Join(strings.Fields(c.Text()), " ")) })
	return strings.Join(out, " | ")
}

// Every threshold of every rule has a unit on the page.
func TestAlertThresholdUnits(t *testing.T) {
	for _, r := range alerts.Rules() {
		for _, th := range r.Thresholds {
			if u := thresholdUnits[th.Key]; u[0] == "" || u[1] == "" {
				t.Errorf("rule %s: threshold %q has no unit in thresholdUnits", r.Name, th.Key)
			}
		}
	}
}

// A notification's link is shown as a path on this dashboard, never as another site.
func TestDashboardPath(t *testing.T) {
	for in, want := range map[string]string{
		"https://td.example.com/groups/abc":   "/groups/abc",
		"/licenses/x?y=1":                     "/licenses/x?y=1",
		"":                                    "",
		"javascript:alert(1)":                 "",
		"https://evil.example//evil.example/": "",
		"%zz":                                 "",
	} {
		if got := dashboardPath(in); got != want {
			t.Errorf("dashboardPath(%q) = %q, want %q", in, got, want)
		}
	}
}
