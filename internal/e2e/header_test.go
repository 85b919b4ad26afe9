package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// The header is one line from 1024 px for every role, and the navigation holds what it should:
// below 1280 px the least-used entries are behind "More", from 1280 px every entry is in the
// bar. Every entry is reachable by keyboard (Tab to "More", Enter opens it, Tab to the entry),
// and the current page stays marked inside "More", which shows that it holds it. axe-core finds
// nothing critical with "More" open.
func TestHeaderIsOneLineForEveryRole(t *testing.T) {
	script := axeScript(t)
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	bar := []string{"Overview", "Groups", "Licenses", "Users", "Reset requests"}
	all := []string{"Overview", "Groups", "Licenses", "Health", "Alerts", "Users", "IP lookup", "Reset requests"}
	more := []string{"Health", "Alerts", "IP lookup"}
	for _, tc := range []struct {
		role      string
		all, more []string
	}{
		{"reader", all, more},
		{"operator", append(append([]string{}, all...), "Jobs"), append(append([]string{}, more...), "Jobs")},
		{"licenseadmin", append(append([]string{}, all...), "Jobs", "Activity"), append(append([]string{}, more...), "Jobs", "Activity")},
	} {
		signIn(t, ctx, d, tc.role)
		for _, w := range []int64{1024, 1280, 1920} {
			do(t, ctx, fmt.Sprintf("%d px", w), chromedp.EmulateViewport(w, 900), chromedp.Navigate(d.URL+"/errors"), chromedp.WaitVisible(chromedp.CSS("header.top")))
			at := fmt.Sprintf("%s at %d px", tc.role, w)
			wantBar, wantMore := tc.all, []string(nil)
			if w < 1280 {
				wantBar, wantMore = append(append([]string{}, bar...), "More"), tc.more
			}
			if got := navShown(t, ctx); strings.Join(got, "|") != strings.Join(wantBar, "|") {
				t.Errorf("%s: the bar shows %q, want %q", at, got, wantBar)
			}
			if got := eval[[]string](t, ctx, `[...document.querySelectorAll("#nav-more a")].map(a => a.textContent.trim())`); w < 1280 && strings.Join(got, "|") != strings.Join(wantMore, "|") {
				t.Errorf("%s: More holds %q, want %q", at, got, wantMore)
			}
			headerOneLine(t, ctx, at)
		}
		do(t, ctx, "1024 px", chromedp.EmulateViewport(1024, 900))
		headerKeyboard(t, ctx, d.URL, tc.role, bar, tc.more)
		do(t, ctx, "open More", chromedp.Navigate(d.URL+"/errors"), chromedp.WaitVisible(chromedp.CSS("#nav-more summary")), chromedp.Click(chromedp.CSS("#nav-more summary")))
		checkA11y(t, ctx, script, tc.role+"'s /errors at 1024 px with More open")
		// The current page inside More: marked there, and More shows that it holds it.
		do(t, ctx, "open a page behind More", chromedp.Navigate(d.URL+"/health"), chromedp.WaitVisible(chromedp.CSS("#nav-more")))
		if got := eval[string](t, ctx, `[...document.querySelectorAll("header.top nav a[aria-current=page]")].map(a => a.textContent.trim() + (a.checkVisibility() ? "" : " (hidden)")).join("|")`); got != "Health (hidden)|Health (hidden)" {
			t.Errorf("%s on /health, closed More: the marked entries are %q", tc.role, got)
		}
		if got := eval[string](t, ctx, `(() => { const s = document.querySelector("#nav-more summary"); return s.className + "/" + s.textContent.trim() })()`); got != "holds-current/More, holds the current page" {
			t.Errorf("%s on /health: More is %q, want it marked as holding the current page", tc.role, got)
		}
		do(t, ctx, "open More", chromedp.Click(chromedp.CSS("#nav-more summary")))
		if got := eval[string](t, ctx, `[...document.querySelectorAll("header.top nav a[aria-current=page]")].filter(a => a.checkVisibility()).map(a => a.textContent.trim()).join("|")`); got != "Health" {
			t.Errorf("%s on /health, open More: the marked entry shown is %q", tc.role, got)
		}
		headerOneLine(t, ctx, tc.role+" at 1024 px with More open")
		screenshotView(t, ctx, "header-more-open-"+tc.role+"-1024")
		do(t, ctx, "1280 px", chromedp.EmulateViewport(1280, 900))
		if got := eval[string](t, ctx, `[...document.querySelectorAll("header.top nav a[aria-current=page]")].filter(a => a.checkVisibility()).map(a => a.textContent.trim()).join("|")`); got != "Health" {
			t.Errorf("%s on /health at 1280 px: the marked entry shown is %q", tc.role, got)
		}
		do(t, ctx, "back to /errors", chromedp.Navigate(d.URL+"/errors"), chromedp.WaitVisible(chromedp.CSS("header.top")))
		headerShots(t, ctx, "header-"+tc.role)
	}
	do(t, ctx, "back", chromedp.EmulateViewport(1400, 1000))
}

// navShown is the labels of the navigation's entries on screen: links and "More".
func navShown(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return eval[[]string](t, ctx, `[...document.querySelectorAll("header.top nav > ul > li > a, #nav-more summary")]
		.filter(e => e.checkVisibility()).map(e => e.matches("summary") ? "More" : e.textContent.trim())`)
}

// headerOneLine fails the test when a part of the header is below the first one, or the header is
// higher than one line.
func headerOneLine(t *testing.T, ctx context.Context, at string) {
	t.Helper()
	// One line: every part of the header overlaps the first one vertically.
	rows := eval[int](t, ctx, `(() => { const parts = [...document.querySelector("header.top").children].filter(e => e.offsetParent !== null);
		const first = parts[0].getBoundingClientRect(); return parts.filter(e => e.getBoundingClientRect().top >= first.bottom).length })()`)
	if rows != 0 {
		t.Errorf("%s: the header wraps, %d parts on a second line", at, rows)
	}
	if h := eval[float64](t, ctx, `document.querySelector("header.top").getBoundingClientRect().height`); h > 56 {
		t.Errorf("%s: the header is %.0f px high", at, h)
	}
	if eval[bool](t, ctx, `document.documentElement.scrollWidth > document.documentElement.clientWidth`) {
		t.Errorf("%s: the page scrolls sideways", at)
	}
}

// headerKeyboard reaches every entry by keyboard from the top of a page: those in the bar by
// Tab; those behind "More" by Tab to "More", Enter to open it and Tab to the entry. Escape
// closes "More" again with the focus on it; Enter on the last entry follows it.
func headerKeyboard(t *testing.T, ctx context.Context, base, role string, bar, more []string) {
	t.Helper()
	for _, label := range bar {
		do(t, ctx, "open /errors", chromedp.Navigate(base+"/errors"), chromedp.WaitVisible(chromedp.CSS("header.top")))
		tabTo(t, ctx, `header.top nav > ul > li > a`+navHref(label))
	}
	for i, label := range more {
		do(t, ctx, "open /errors", chromedp.Navigate(base+"/errors"), chromedp.WaitVisible(chromedp.CSS("#nav-more")))
		tabTo(t, ctx, "#nav-more summary")
		press(t, ctx, kb.Enter)
		if !eval[bool](t, ctx, `document.getElementById("nav-more").open`) {
			t.Fatalf("%s: Enter on More did not open it", role)
		}
		tabTo(t, ctx, "#nav-more a"+navHref(label))
		if i < len(more)-1 {
			press(t, ctx, kb.Escape)
			if got := eval[string](t, ctx, `(document.getElementById("nav-more").open ? "open" : "closed") + "/" + document.activeElement.tagName`); got != "closed/SUMMARY" {
				t.Errorf("%s: after Escape More is %s (want closed/SUMMARY)", role, got)
			}
			continue
		}
		href := eval[string](t, ctx, `document.activeElement.getAttribute("href")`)
		press(t, ctx, kb.Enter)
		waitURL(t, ctx, base+href)
		do(t, ctx, "wait for the page", chromedp.WaitVisible(chromedp.CSS("#nav-more summary.holds-current")))
		if got := eval[string](t, ctx, `[...document.querySelectorAll("#nav-more a[aria-current=page]")].map(a => a.textContent.trim()).join("|")`); got != label {
			t.Errorf("%s: after Enter on %s, More marks %q as the current page", role, label, got)
		}
	}
}

// navHref is the CSS condition that a navigation link is the entry with the label (by its href).
func navHref(label string) string {
	href := map[string]string{
		"Overview": "/", "Groups": "/groups", "Licenses": "/licenses", "Health": "/health", "Alerts": "/alerts",
		"Users": "/users", "IP lookup": "/ip", "Reset requests": "/sspr", "Jobs": "/jobs", "Activity": "/activity",
	}[label]
	return `[href="` + href + `"]`
}

// headerShots saves screenshots of the page at 800, 1024, 1280 and 1920 px wide (at 800 px the
// header may wrap) when TENANTDESK_SCREENSHOTS names a folder.
func headerShots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, w := range []int64{800, 1024, 1280, 1920} {
		do(t, ctx, "resize", chromedp.EmulateViewport(w, 300))
		screenshotView(t, ctx, fmt.Sprintf("%s-%d", name, w))
	}
}
