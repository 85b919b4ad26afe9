package e2e

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// A helpdesk person opens the group license report, finds the A1 students/faculty group with
// its errors, sorts by errors, filters to groups with errors, searches and opens the group.
func TestGroupReportInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	a1 := d.Sim.Tenant.Scenarios.A1Group
	var truth tenantsim.GroupTruth
	for _, g := range d.Sim.Tenant.LicensedGroupTruth() {
		if g.ID == a1 {
			truth = g
		}
	}
	if truth.Errors == 0 {
		t.Fatal("the simulator's A1 group has no errors: scenario missing")
	}
	row := `#groups tr[data-id="` + a1 + `"]`
	signIn(t, ctx, d, "reader")

	do(t, ctx, "open /groups", chromedp.Navigate(d.URL+"/groups?size=100"), chromedp.WaitVisible(chromedp.CSS("#groups")))
	screenshot(t, ctx, "groups")
	if got := text(t, ctx, row+" .col-errors"); got != strconv.Itoa(truth.Errors) {
		t.Errorf("A1 group error count shows %q, the tenant has %d", got, truth.Errors)
	}
	lic := text(t, ctx, row+" .col-licenses")
	if !strings.Contains(lic, "Office 365 A1 for faculty") || !strings.Contains(lic, "Office 365 A1 for students") {
		t.Errorf("A1 group licenses show %q, want both friendly names", lic)
	}
	if got := text(t, ctx, row+" .col-name"); got != truth.DisplayName {
		t.Errorf("A1 group name shows %q, want %q", got, truth.DisplayName)
	}

	// Sort by errors: the column header is a link; most errors first.
	do(t, ctx, "sort by errors", chromedp.Click(chromedp.CSS(`#groups th[data-col="errors"] a`)))
	waitURL(t, ctx, "sort=errors")
	counts := eval[[]int](t, ctx, `[...document.querySelectorAll('#groups tbody tr .col-errors')].map(td => parseInt(td.textContent.replace(/,/g, ''), 10))`)
	for i := 1; i < len(counts); i++ {
		if counts[i] > counts[i-1] {
			t.Fatalf("sorted by errors, yet row %d has %d after %d: %v", i, counts[i], counts[i-1], counts)
		}
	}

	// Only groups with errors: ticking the box applies it at once (the form's button is for
	// browsers without JS; pressing it too would submit twice). Every row then has errors,
	// and the A1 group is among them.
	do(t, ctx, "filter to groups with errors",
		chromedp.Click(chromedp.CSS(`#report-filter input[name="errors"]`)))
	loc := waitURL(t, ctx, "errors=1")
	if !strings.Contains(loc, "sort=errors") {
		t.Errorf("filtering lost the sort order: %s", loc)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#groups tbody tr:not(.has-errors)').length`); n != 0 {
		t.Errorf("%d rows without errors in the errors-only view", n)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#groups tr[data-id="`+a1+`"]').length`); n != 1 {
		t.Error("the A1 group is missing from the errors-only view")
	}

	// Search by name, then follow the link to the group's page.
	do(t, ctx, "search", chromedp.SetValue(chromedp.CSS("#q"), truth.DisplayName),
		chromedp.Click(chromedp.CSS(`#report-filter button[type="submit"]`)))
	// The filter form always sends q (empty before), so wait for this search's value.
	waitURL(t, ctx, "q="+url.QueryEscape(truth.DisplayName))
	if n := eval[int](t, ctx, `document.querySelectorAll('#groups tbody tr[data-id]').length`); n < 1 {
		t.Fatal("searching for the A1 group's name found nothing")
	}
	do(t, ctx, "open the group", chromedp.Click(chromedp.CSS(row+" .col-name a")))
	waitURL(t, ctx, "/groups/"+a1)
	screenshot(t, ctx, "group")
	if h := text(t, ctx, "h1"); !strings.Contains(h, truth.DisplayName) {
		t.Errorf("group page heading %q, want the group's name %q", h, truth.DisplayName)
	}
	body := text(t, ctx, "main")
	if !strings.Contains(body, "Office 365 A1 for faculty") || !strings.Contains(body, a1) {
		t.Errorf("group page lacks its template or object id:\n%s", body)
	}
}
