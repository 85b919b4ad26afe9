package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// An Operator sees that the data came from a full sync; a share of the tenant changes; the
// Refresh button reads only what changed, and the header then says so (the page reloads by
// itself when the refresh ends).
func TestRefreshButtonIsIncremental(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 4})
	licSignIn(t, ctx, d, "operator", "/groups")
	do(t, ctx, "open the groups", chromedp.WaitVisible(chromedp.CSS("#data-kind")))
	if got := text(t, ctx, "#data-kind"); got != "Full sync" {
		t.Fatalf("after the first sync the header says %q", got)
	}
	if _, err := d.Sim.Tenant.ApplyChanges(0.05, 1); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "click Refresh", chromedp.Click(chromedp.CSS("#refresh-button")))
	deadline := time.Now().Add(30 * time.Second)
	for {
		kind := eval[string](t, ctx, `(document.querySelector('#data-kind') || {}).textContent || ''`)
		if strings.TrimSpace(kind) == "Incremental" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the header still says %q after the refresh", kind)
		}
		time.Sleep(100 * time.Millisecond)
	}
	title := eval[string](t, ctx, `document.querySelector('#data-kind').title`)
	if !strings.Contains(title, "only what changed was read") || !strings.Contains(title, "of the full sync of") {
		t.Errorf("the data kind's title %q", title)
	}
	screenshotWidths(t, ctx, "header-incremental")
}
