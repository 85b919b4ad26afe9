package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// groupTruth is what the simulator knows of a licensed group.
func groupTruth(t *testing.T, sim *tenantsim.Tenant, id string) tenantsim.GroupTruth {
	t.Helper()
	for _, g := range sim.LicensedGroupTruth() {
		if g.ID == id {
			return g
		}
	}
	t.Fatalf("no licensed group %s in the simulator", id)
	return tenantsim.GroupTruth{}
}

// Causes before cases: the A1 group's page leads with one cause, "0 of 500 available", for all
// its members in error, with a "buy at least" figure; the audio-conferencing group names the
// missing prerequisite and, as what fails next, the Power BI Pro shortfall, in the summary and
// beside each member's error. An Operator then buys licenses and reprocesses "these 25".
func TestCausesBeforeCasesInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	sc := d.Sim.Tenant.Scenarios
	a1 := groupTruth(t, d.Sim.Tenant, sc.A1Group)

	licSignIn(t, ctx, d, "reader", "/groups/"+sc.A1Group)
	do(t, ctx, "the causes", chromedp.WaitVisible(chromedp.CSS("#causes")))
	screenshotWidths(t, ctx, "causes-a1")
	if n := count(t, ctx, "#causes li.cause"); n != 1 {
		t.Fatalf("the A1 group shows %d causes, want 1: %s", n, text(t, ctx, "#causes"))
	}
	cause := "#causes li.cause"
	if got := eval[string](t, ctx, `document.querySelector('`+cause+`').dataset.code`); got != "CountViolation" {
		t.Errorf("the cause is %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('`+cause+`').dataset.users`); got != strconv.Itoa(a1.Errors) {
		t.Errorf("the cause covers %s members, the group has %d in error", got, a1.Errors)
	}
	head, fix := text(t, ctx, cause+" .headline"), text(t, ctx, cause+" .fix")
	if want := fmt.Sprintf("%d members cannot get Office 365 A1 for faculty: 0 of 500 available", a1.Errors); head != want {
		t.Errorf("headline %q, want %q", head, want)
	}
	if want := fmt.Sprintf("Buy at least %d units", a1.Errors); !strings.Contains(fix, want) {
		t.Errorf("fix %q lacks %q", fix, want)
	}
	if n := count(t, ctx, cause+" details a[href^='/users/']"); n != a1.Errors {
		t.Errorf("the cause lists %d members, want %d", n, a1.Errors)
	}
	if n := count(t, ctx, cause+" form"); n != 0 {
		t.Error("a Reader is offered to reprocess a cause")
	}
	// Per member, below, as before.
	if n := count(t, ctx, "#error-users tbody tr"); n != a1.Errors {
		t.Errorf("%d members below the causes, want %d", n, a1.Errors)
	}

	// The audio-conferencing group: the prerequisite, and what fails once it is fixed.
	do(t, ctx, "open the audio conferencing group", chromedp.Navigate(d.URL+"/groups/"+sc.DependencyGroup), chromedp.WaitVisible(chromedp.CSS("#causes")))
	screenshotWidths(t, ctx, "causes-audio-conferencing")
	dep := groupTruth(t, d.Sim.Tenant, sc.DependencyGroup)
	head = text(t, ctx, "#causes li.cause .cause-head")
	if !strings.Contains(head, "Missing prerequisite") || !strings.Contains(head, "Microsoft 365 Audio Conferencing") || !strings.Contains(head, "Microsoft Teams") {
		t.Errorf("the audio conferencing cause says %q", head)
	}
	then := text(t, ctx, "#causes li.cause .then li")
	shortfall := regexp.MustCompile(`^` + strconv.Itoa(dep.Errors) + ` members cannot get Power BI Pro: 0 of \d+ available`)
	if !shortfall.MatchString(then) {
		t.Errorf("what fails next says %q", then)
	}
	aheads := eval[[]string](t, ctx, `[...document.querySelectorAll('#error-users li[data-error="DependencyViolation"] .then')].map(p => p.textContent)`)
	if len(aheads) != dep.Errors {
		t.Fatalf("%d members' prerequisite errors look ahead, want %d", len(aheads), dep.Errors)
	}
	for _, a := range aheads {
		if !regexp.MustCompile(`After this: Power BI Pro would fail too: not enough licenses, 0 of \d+ available`).MatchString(a) {
			t.Errorf("look-ahead %q", a)
		}
	}
	for _, s := range eval[[]string](t, ctx, `[...document.querySelectorAll('#error-users li[data-error="Other"] .detail')].map(p => p.textContent)`) {
		if !strings.Contains(s, "Power BI Pro would fail itself") || strings.Contains(s, "itself is fine") {
			t.Errorf("Power BI Pro's own state says %q", s)
		}
	}

	// Fix the shortage and reprocess the cause's members.
	buyLicenses(t, d, sc.FacultySKU, 100_000)
	licSignIn(t, ctx, d, "operator", "/groups/"+sc.A1Group)
	button := "#causes li.cause .cause-reprocess button"
	if got := text(t, ctx, button); got != fmt.Sprintf("Reprocess these %d", a1.Errors) {
		t.Errorf("the cause's button says %q", got)
	}
	do(t, ctx, "reprocess these", chromedp.Click(chromedp.CSS(button)))
	waitURL(t, ctx, "/jobs/")
	do(t, ctx, "the outcome", chromedp.WaitVisible(chromedp.CSS(`#job[data-state="done"]`)))
	if n := count(t, ctx, `#outcomes tbody tr[data-status="licensed"]`); n != a1.Errors {
		t.Errorf("%d of %d members licensed after reprocessing the cause", n, a1.Errors)
	}
	do(t, ctx, "back to the group", chromedp.Click(chromedp.CSS("#job-back")), chromedp.WaitVisible(chromedp.CSS("#group-name")))
	if n := count(t, ctx, "#causes"); n != 0 {
		t.Error("causes are still shown after they were fixed")
	}
}

// Every total on the overview leads to the list behind it, and the list agrees with the figure.
func TestOverviewTilesLeadToTheirLists(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	signIn(t, ctx, d, "reader")
	for _, tc := range []struct {
		tile, path, figure string // figure: an element of the list whose number must equal the tile's
	}{
		{"tile-users", "/users", "#result-count"},
		{"tile-licensed-users", "/users?licensed=1", "#result-count"},
		{"tile-users-in-error", "/errors", "#errors-summary"},
		{"tile-groups", "/groups", "#summary"},
		{"tile-groups-in-error", "/groups?", "#summary"},
		{"tile-not-processed", "/groups?", "#groups"},
		{"tile-subscriptions", "/licenses", ""},
	} {
		do(t, ctx, "open the overview", chromedp.Navigate(d.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#"+tc.tile)))
		n := text(t, ctx, "#"+tc.tile+" dd a")
		do(t, ctx, "follow "+tc.tile, chromedp.Click(chromedp.CSS("#"+tc.tile+" dd a")))
		loc := waitURL(t, ctx, d.URL+tc.path)
		switch {
		case tc.tile == "tile-subscriptions":
			if got := count(t, ctx, "#licenses tbody tr"); strconv.Itoa(got) != n {
				t.Errorf("%s says %s, %s lists %d", tc.tile, n, loc, got)
			}
		case tc.tile == "tile-not-processed":
			if !strings.Contains(loc, "sort=processing") || (n != "0" && count(t, ctx, "#groups tbody tr") == 0) {
				t.Errorf("%s leads to an empty list", tc.tile)
			}
		default:
			if got := text(t, ctx, tc.figure); !strings.HasPrefix(got, n+" ") {
				t.Errorf("%s says %s, %s says %q", tc.tile, n, loc, got)
			}
		}
	}
	// The whole tile takes the click, not only its figure.
	do(t, ctx, "open the overview", chromedp.Navigate(d.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#tile-users-in-error")))
	do(t, ctx, "click the tile's label", chromedp.Click(chromedp.CSS("#tile-users-in-error dt")))
	waitURL(t, ctx, d.URL+"/errors")
}

// /ip fits the window from 1024 px: no horizontal scroll of the page nor of any table.
func TestIPFitsTheWindow(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	if _, err := d.App.IP.ImportDir(context.Background(), ipDataDir(t)); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, d, "operator")
	q := "/ip?q=52.112.0.1%0A13.107.6.152%0Aoutlook.office365.com%0A40.126.1.1%0A2603:1063:2000::1"
	do(t, ctx, "look up", chromedp.Navigate(d.URL+q), chromedp.WaitVisible(chromedp.CSS("#ip-results")))
	for _, w := range []int64{1024, 1280, 1400} {
		do(t, ctx, "resize", chromedp.EmulateViewport(w, 900), chromedp.Sleep(100*time.Millisecond))
		if got := eval[string](t, ctx, `(() => { const e = document.documentElement; return e.scrollWidth + "/" + e.clientWidth })()`); got != fmt.Sprintf("%d/%d", w, w) {
			t.Errorf("at %d px the page is %s wide", w, got)
		}
		wide := eval[[]string](t, ctx, `[...document.querySelectorAll(".table-wrap, #ip-sources")].filter(e => e.scrollWidth > e.clientWidth + 1)
			.map(e => (e.querySelector("table") || e).className + " " + e.scrollWidth + ">" + e.clientWidth)`)
		if len(wide) > 0 {
			t.Errorf("at %d px these scroll sideways: %v", w, wide)
		}
	}
	do(t, ctx, "back", chromedp.EmulateViewport(1400, 1000))
	screenshotWidths(t, ctx, "ip-results")
}

// press sends keys to the focused element.
func press(t *testing.T, ctx context.Context, keys string) {
	t.Helper()
	do(t, ctx, fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys))
}

// tabTo presses Tab until the focused element matches the CSS selector sel, as a keyboard user
// moves through a page; at most 150 times.
func tabTo(t *testing.T, ctx context.Context, sel string) { t.Helper(); tabUntil(t, ctx, sel, false) }

// tabBackTo is tabTo with Shift+Tab, backwards.
func tabBackTo(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	tabUntil(t, ctx, sel, true)
}

func tabUntil(t *testing.T, ctx context.Context, sel string, back bool) {
	t.Helper()
	key := chromedp.KeyEvent(kb.Tab)
	if back {
		key = chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	for range 150 {
		if eval[bool](t, ctx, `!!document.activeElement && document.activeElement.matches(`+jsString(sel)+`)`) {
			return
		}
		do(t, ctx, "press Tab", key)
	}
	t.Fatalf("Tab never reached %s (the focus is on %s)", sel,
		eval[string](t, ctx, `document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : "nothing"`))
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Keyboard only: sort, filter, rows per page and reprocess without a mouse. Moving through
// "Rows per page" with the arrow keys does not reload the page; Enter applies it; a control
// that applies at once keeps the focus over the reload.
func TestKeyboardOnly(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	sc := d.Sim.Tenant.Scenarios
	licSignIn(t, ctx, d, "operator", "/groups")

	tabTo(t, ctx, `#groups th[data-col="errors"] a`)
	press(t, ctx, kb.Enter)
	waitURL(t, ctx, "sort=errors")

	tabTo(t, ctx, `#report-filter input[name="errors"]`)
	press(t, ctx, " ")
	waitURL(t, ctx, "errors=1")
	if !eval[bool](t, ctx, `document.activeElement.matches('#report-filter input[name="errors"]') && document.activeElement.checked`) {
		t.Error("the filter lost the focus over the reload")
	}

	tabTo(t, ctx, "#size")
	before := location(t, ctx)
	press(t, ctx, kb.ArrowDown)
	time.Sleep(700 * time.Millisecond)
	if loc := location(t, ctx); loc != before {
		t.Fatalf("ArrowDown on Rows per page reloaded the page: %s", loc)
	}
	if got := eval[string](t, ctx, `document.getElementById("size").value`); got != "100" {
		t.Errorf("ArrowDown moved Rows per page to %s, want 100", got)
	}
	press(t, ctx, kb.Enter)
	loc := waitURL(t, ctx, "size=100")
	if !strings.Contains(loc, "errors=1") || !strings.Contains(loc, "sort=errors") {
		t.Errorf("rows per page lost the sort or filter: %s", loc)
	}
	if !eval[bool](t, ctx, `document.activeElement && document.activeElement.id === "size"`) {
		t.Error("Rows per page lost the focus over the reload")
	}

	// Reprocess one member of the A1 group: tick the box, then the button.
	do(t, ctx, "open the A1 group", chromedp.Navigate(d.URL+"/groups/"+sc.A1Group), chromedp.WaitVisible(chromedp.CSS("#reprocess-form")))
	tabTo(t, ctx, "#reprocess-selected")
	press(t, ctx, kb.Enter) // nobody ticked yet: said beside the button, nothing sent
	do(t, ctx, "the inline message", chromedp.WaitVisible(chromedp.CSS("#reprocess-none")))
	if !strings.Contains(location(t, ctx), "/groups/"+sc.A1Group) || strings.Contains(location(t, ctx), "reprocess") {
		t.Errorf("an empty selection was sent: %s", location(t, ctx))
	}
	tabTo(t, ctx, `#error-users tbody input[name="user"]`)
	press(t, ctx, " ")
	if n := count(t, ctx, "#reprocess-none"); n != 0 {
		t.Error("the message stays after a user is ticked")
	}
	tabBackTo(t, ctx, "#reprocess-selected")
	press(t, ctx, kb.Enter)
	waitURL(t, ctx, "/jobs/")
	do(t, ctx, "the outcome", chromedp.WaitVisible(chromedp.CSS(`#job[data-state="done"]`)))
	if n := count(t, ctx, "#outcomes tbody tr"); n != 1 {
		t.Errorf("%d outcomes for one user reprocessed by keyboard", n)
	}
}

// Times are shown in UTC with the reader's local time beside them; the user page reprocesses
// its user; /errors lists every user in error and downloads them.
func TestUserPageErrorsAndLocalTime(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	do(t, ctx, "a browser in Berlin", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Berlin"})
		return err
	}))
	licSignIn(t, ctx, d, "operator", "/errors")
	do(t, ctx, "the list", chromedp.WaitVisible(chromedp.CSS("#error-users")))
	screenshotWidths(t, ctx, "errors")
	var inError int
	for _, g := range d.Sim.Tenant.LicensedGroupTruth() {
		inError += g.Errors
	}
	if got := text(t, ctx, "#errors-summary"); !strings.Contains(got, "users are in license error") {
		t.Errorf("summary %q", got)
	}
	if n := count(t, ctx, "#error-sources tbody tr"); n < 6 {
		t.Errorf("%d groups with users in error listed", n)
	}
	// The footer's time in UTC and in Berlin (with Berlin's date when it is another day there:
	// late in the UTC evening it is "Dec 2, 00:05 GMT+1").
	foot := text(t, ctx, "footer")
	if !regexp.MustCompile(`Page rendered \d+ \w+ \d{4} \d\d:\d\d UTC \((\w+ \d+, )?\d\d:\d\d (CET|CEST|GMT\+1|GMT\+2)\)`).MatchString(foot) {
		t.Errorf("footer %q has no local time beside UTC", foot)
	}

	// A user in error: reprocess from the user page.
	do(t, ctx, "open a user in error", chromedp.Click(chromedp.CSS("#error-users tbody a")), chromedp.WaitVisible(chromedp.CSS("#user-reprocess")))
	screenshotWidths(t, ctx, "user-operator")
	if n := count(t, ctx, "#license-table details.plan-details li"); n == 0 {
		t.Error("the user page lists no service plans")
	}
	if n := count(t, ctx, "#license-audit time + .local-time"); n == 0 {
		t.Error("the audit events show no local time")
	}
	do(t, ctx, "reprocess this user", chromedp.Click(chromedp.CSS("#user-reprocess")))
	waitURL(t, ctx, "/jobs/")
	do(t, ctx, "the outcome", chromedp.WaitVisible(chromedp.CSS(`#job[data-state="done"]`)))
	if n := count(t, ctx, "#outcomes tbody tr"); n != 1 {
		t.Errorf("%d outcomes for one user", n)
	}
}
