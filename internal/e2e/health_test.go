package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// A LicenseAdmin opens license health, sees the waste counted in units, sets a monthly price
// for a license that disabled accounts hold, and sees the waste priced; a bad price is refused
// on its row; the activity log has the change.
func TestLicenseHealthInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	signIn(t, ctx, d, "licenseadmin")

	do(t, ctx, "open license health", chromedp.Navigate(d.URL+"/health"))
	waitURL(t, ctx, "/health")
	if got := text(t, ctx, "#waste"); !strings.Contains(got, "No license has a price yet") {
		t.Fatalf("waste before prices: %q", got)
	}
	if n := count(t, ctx, "#disabled .finding-items tbody tr"); n == 0 {
		t.Fatal("no license of a disabled account listed")
	}
	// A paid license (not A1 for students, of which a million units are free).
	sku := eval[string](t, ctx, `[...document.querySelectorAll('#disabled .finding-items tbody tr td:nth-child(2) a')]
		.map(a => a.getAttribute('href').split('/').pop()).find(s => s !== '314c4481-f395-4525-be8b-2ec4bb1e9d91') || ''`)
	if sku == "" {
		t.Fatal("no paid license among the disabled accounts' licenses")
	}
	screenshotWidths(t, ctx, "health-unpriced")

	do(t, ctx, "open prices", chromedp.Click(chromedp.CSS("#prices-link")))
	waitURL(t, ctx, "/health/prices")
	row := `#prices tr[data-sku="` + sku + `"]`
	do(t, ctx, "type a bad price", chromedp.SetValue(chromedp.CSS(row+` input[name="amount"]`), "12.345"),
		chromedp.SetValue(chromedp.CSS(row+` input[name="currency"]`), "eur"), chromedp.Click(chromedp.CSS(row+` button`)))
	if got := text(t, ctx, row+" .form-problem"); !strings.Contains(got, "not a price") {
		t.Fatalf("bad price: %q", got)
	}
	do(t, ctx, "type a good price", chromedp.SetValue(chromedp.CSS(row+` input[name="amount"]`), "8.25"),
		chromedp.Click(chromedp.CSS(row+` button`)))
	waitURL(t, ctx, "saved=")
	if got := text(t, ctx, row+" .saved-note"); got != "Saved." {
		t.Fatalf("after saving: %q", got)
	}
	screenshot(t, ctx, "health-prices")

	do(t, ctx, "back to health", chromedp.Navigate(d.URL+"/health"))
	waitURL(t, ctx, "/health")
	total := text(t, ctx, "#waste-total")
	if !strings.HasSuffix(total, " EUR") {
		t.Fatalf("waste total %q", total)
	}
	if got := text(t, ctx, "#disabled .finding-cost"); !strings.HasSuffix(got, " EUR") {
		t.Fatalf("disabled accounts' cost %q", got)
	}
	screenshotWidths(t, ctx, "health")

	do(t, ctx, "open the activity log", chromedp.Navigate(d.URL+"/activity?action=price-set"))
	waitURL(t, ctx, "/activity")
	if got := text(t, ctx, "main"); !strings.Contains(got, "8.25 EUR a month per unit (was unset)") {
		t.Fatalf("activity log: %q", got)
	}

	// Preview a cleanup of the disabled accounts: each user with what will be done on the
	// license's path; keep two of them, start it, and see each one's outcome.
	do(t, ctx, "back to health", chromedp.Navigate(d.URL+"/health"))
	do(t, ctx, "preview the cleanup", chromedp.Click(chromedp.CSS("#disabled .finding-cleanup")))
	waitURL(t, ctx, "/health/cleanup")
	rows := count(t, ctx, "#cleanup-users tbody tr")
	if rows < 3 {
		t.Fatalf("the preview lists %d users", rows)
	}
	steps := text(t, ctx, "#cleanup-users")
	if !strings.Contains(steps, "take out of group") {
		t.Errorf("the preview takes nobody out of a group: %q", steps)
	}
	screenshotWidths(t, ctx, "health-cleanup-preview")
	do(t, ctx, "keep two users", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#cleanup-users input[name="user"]')].slice(2).forEach(c => c.checked = false)`))
	do(t, ctx, "start the cleanup", chromedp.Click(chromedp.CSS("#cleanup-start")))
	waitURL(t, ctx, "/jobs/")
	do(t, ctx, "wait for the job to end", chromedp.WaitVisible(chromedp.CSS(`#job[data-state="done"]`)))
	do(t, ctx, "reload the job page", chromedp.Reload())
	if n := count(t, ctx, "#outcomes tbody tr"); n != 2 {
		t.Fatalf("the job shows %d users' outcomes, want 2", n)
	}
	if got := strings.ToLower(text(t, ctx, "#outcomes")); !strings.Contains(got, "cleaned up") || !strings.Contains(got, "taken out of") {
		t.Errorf("outcomes: %q", got)
	}
	screenshotWidths(t, ctx, "health-cleanup-job")
}
