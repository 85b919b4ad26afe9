package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// axeFile is axe-core as `npm ci` in internal/e2e/axe installs it (pinned in its
// package-lock.json).
var axeFile = filepath.Join("axe", "node_modules", "axe-core", "axe.min.js")

// axeScript is axe-core's source, to inject into pages. Without it the check is skipped, or
// fails where browser tests are required (CI runs npm ci first).
func axeScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(axeFile)
	if err != nil {
		if browserMode() == "required" {
			t.Fatalf("axe-core is not installed (%v): run npm ci in internal/e2e/axe", err)
		}
		t.Skipf("axe-core is not installed (%v): run npm ci in internal/e2e/axe to check accessibility", err)
	}
	return string(b)
}

// axeViolation is one failed axe rule on a page.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []string `json:"target"`
		HTML    string   `json:"html"`
		Summary string   `json:"failureSummary"`
	} `json:"nodes"`
}

// axeRun runs axe-core on the current page (injected when it is not there yet) and returns its
// violations, and the tables that lack a header cell or a caption (our own rule: every table
// names itself, visibly or for screen readers).
func axeRun(t *testing.T, ctx context.Context, script string) ([]axeViolation, []string) {
	t.Helper()
	if loaded := eval[bool](t, ctx, `typeof window.axe === "object"`); !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script+";true")); err != nil {
			t.Fatalf("inject axe-core: %v", err)
		}
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe-core's answer %q: %v", out, err)
	}
	tables := eval[[]string](t, ctx, `[...document.querySelectorAll("table")]
		.filter(t => !t.querySelector("th") || !(t.querySelector("caption") || t.getAttribute("aria-label") || t.getAttribute("aria-labelledby")))
		.map(t => t.id || t.className || "table")`)
	return vs, tables
}

// checkA11y fails the test for every critical accessibility violation of the current page and
// every table without a header or caption, and logs the rest of axe's findings.
func checkA11y(t *testing.T, ctx context.Context, script, page string) {
	t.Helper()
	vs, tables := axeRun(t, ctx, script)
	for _, v := range vs {
		var where []string
		for i, n := range v.Nodes {
			if i == 3 {
				where = append(where, "…")
				break
			}
			where = append(where, strings.Join(n.Target, " ")+" "+clipHTML(n.HTML))
		}
		if v.Impact == "critical" {
			t.Errorf("%s: critical accessibility violation %s (%s) at %s", page, v.ID, v.Help, strings.Join(where, "; "))
		} else {
			t.Logf("%s: %s accessibility finding %s (%s) at %s", page, v.Impact, v.ID, v.Help, strings.Join(where, "; "))
		}
	}
	for _, tb := range tables {
		t.Errorf("%s: table %q has no header cell or no caption", page, tb)
	}
}

func clipHTML(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// Every page of the dashboard, for each role that sees it, passes axe-core with no critical
// violation, and every table has header cells and a caption: the pages with data and without,
// forms with their results, errors, and the pages of people without a role or signed out.
func TestAccessibilityOfEveryPage(t *testing.T) {
	script := axeScript(t)
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	sc := d.Sim.Tenant.Scenarios
	check := func(name, path, ready string) {
		t.Helper()
		do(t, ctx, "open "+path, chromedp.Navigate(d.URL+path), chromedp.WaitReady(chromedp.CSS(ready)))
		checkA11y(t, ctx, script, name)
	}

	signIn(t, ctx, d, "reader")
	check("overview", "/", "#totals")
	check("IP lookup without data", "/ip", "#ip-empty")
	if _, err := d.App.IP.ImportDir(context.Background(), ipDataDir(t)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ name, path, ready string }{
		{"group report", "/groups", "#groups"},
		{"group report, errors only, sorted", "/groups?errors=1&sort=errors", "#groups"},
		{"group report, bad sort", "/groups?sort=nope", "#form-problem"},
		{"A1 group", "/groups/" + sc.A1Group, "#causes"},
		{"conflict group", "/groups/" + sc.ConflictGroup, "#causes"},
		{"dependency group", "/groups/" + sc.DependencyGroup, "#causes"},
		{"usage location group", "/groups/" + sc.UsageLocationGroup, "#causes"},
		{"active-with-error group", "/groups/" + sc.ActiveWithErrorGroup, "#error-users"},
		{"disabled group", "/groups/" + sc.DisabledGroup, "#disabled-users"},
		{"users in error", "/errors", "#causes"},
		{"users in error, filtered", "/errors?code=CountViolation", "#error-users"},
		{"users", "/users", "#users"},
		{"user search", "/users?q=a&licensed=1", "#users"},
		{"user search, no match", "/users?q=nobody-at-all", "#no-results"},
		{"licenses", "/licenses", "#licenses"},
		{"license", "/licenses/STANDARDWOFFPACK_FACULTY", "#holders"},
		{"IP lookup", "/ip", "#ip-sources"},
		{"IP lookup with results", "/ip?q=52.112.0.1%0Aoutlook.office365.com%0A192.0.2.1", "#ip-results"},
		{"password reset check", "/sspr", "#sspr-form"},
		{"alerts", "/alerts", "#history"},
		{"license health", "/health", "#health-findings"},
		{"alerts, every open one", "/alerts?open=all", "#history"},
		{"not found", "/nothing-here", "#error-message"},
		{"group not found", "/groups/00000000-0000-0000-0000-000000000000", "#error-message"},
		{"not allowed", "/activity", "#error-message"},
	} {
		check(p.name, p.path, p.ready)
	}
	do(t, ctx, "find a user in error", chromedp.Navigate(d.URL+"/errors"), chromedp.WaitVisible(chromedp.CSS("#error-users")))
	user := eval[string](t, ctx, `document.querySelector("#error-users tbody a").getAttribute("href")`)
	check("user in error", user, "#license-table")

	// A verdict of the password-reset check.
	do(t, ctx, "check a sample mail", chromedp.Navigate(d.URL+"/sspr"), chromedp.WaitVisible(chromedp.CSS("#sspr-samples a.sspr-sample-paste")),
		chromedp.Click(chromedp.CSS("#sspr-samples a.sspr-sample-paste")))
	do(t, ctx, "sample pasted", chromedp.WaitVisible(chromedp.CSS("#sspr-message")))
	do(t, ctx, "verify it", chromedp.Click(chromedp.CSS("#sspr-submit")))
	waitURL(t, ctx, "#sspr-result")
	checkA11y(t, ctx, script, "password reset verdict")

	// An Operator's group page with its forms, and the outcome of a reprocess.
	signIn(t, ctx, d, "operator")
	check("user, Operator", user, "#user-reprocess-form")
	check("A1 group, Operator", "/groups/"+sc.A1Group, "#reprocess-form")
	do(t, ctx, "reprocess these", chromedp.Click(chromedp.CSS("#causes .cause-reprocess button")))
	waitURL(t, ctx, "/jobs/")
	do(t, ctx, "the outcome", chromedp.WaitVisible(chromedp.CSS(`#job[data-state="done"]`)))
	checkA11y(t, ctx, script, "reprocess result")

	signIn(t, ctx, d, "licenseadmin")
	check("activity log", "/activity", "#activity")
	check("activity log, filtered", "/activity?action=reprocess", "#activity")
	check("alerts, LicenseAdmin", "/alerts", "#add-webhook")
	check("license prices", "/health/prices", "#prices")
	do(t, ctx, "license health", chromedp.Navigate(d.URL+"/health"), chromedp.WaitVisible(chromedp.CSS(".finding-cleanup")))
	check("cleanup preview", eval[string](t, ctx, `document.querySelector(".finding-cleanup").getAttribute("href")`), "#cleanup-users")

	signIn(t, ctx, d, "norole")
	checkA11y(t, ctx, script, "signed in without a role")
	signOut(t, ctx, d)
	checkA11y(t, ctx, script, "signed out")
}

// The check finds what it is there to find: a page with a nameless button and an image without
// a text alternative (critical for axe-core) and a table without caption fails it.
func TestAxeCatchesCriticalViolations(t *testing.T) {
	script := axeScript(t)
	ctx := newBrowser(t)
	page := `<!DOCTYPE html><html lang="en"><head><title>broken</title></head><body><main><h1>Broken</h1>` +
		`<button type="button"></button><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><table><tr><td>1</td></tr></table></main></body></html>`
	do(t, ctx, "open a broken page", chromedp.Navigate("data:text/html;charset=utf-8,"+url.PathEscape(page)), chromedp.WaitReady(chromedp.CSS("main")))
	vs, tables := axeRun(t, ctx, script)
	critical := map[string]bool{}
	for _, v := range vs {
		if v.Impact == "critical" {
			critical[v.ID] = true
		}
	}
	if !critical["button-name"] || !critical["image-alt"] {
		t.Errorf("critical violations %v, want button-name and image-alt", critical)
	}
	if len(tables) != 1 {
		t.Errorf("tables without header or caption: %v, want the one", tables)
	}
}
