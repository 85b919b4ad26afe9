package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/testkit"

	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// ipDataDir finds shared/data/ipranges by walking up from the package directory.
func ipDataDir(t *testing.T) string {
	t.Helper()
	return testkit.SharedData(t, "ipranges")
}

// An Operator at a site without internet access opens the IP lookup (empty: the demo downloads
// nothing) and imports Microsoft's files through the upload form; then a Reader, who has no
// upload form, pastes a firewall log line and sees which Microsoft services its addresses
// belong to.
func TestIPLookupInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	dir := ipDataDir(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	signIn(t, ctx, d, "operator")

	do(t, ctx, "open /ip", chromedp.Navigate(d.URL+"/ip"), chromedp.WaitVisible(chromedp.CSS("#ip-form")))
	if got := text(t, ctx, "#ip-empty"); !strings.Contains(got, "No IP range data yet") {
		t.Fatalf("empty state: %q", got)
	}
	// The demo downloads nothing (TENANTDESK_IP_RANGE_DOWNLOADS is off): no "Download now",
	// a note to import instead.
	if count(t, ctx, "#ip-refresh-form") != 0 || count(t, ctx, "#ip-downloads-off") != 1 || strings.Contains(text(t, ctx, "#ip-empty"), "Download now") {
		t.Error("the demo offers a download it cannot make")
	}
	screenshotWidths(t, ctx, "ip-empty")

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) != 7 {
		t.Fatalf("%d data files, want 7", len(files))
	}
	do(t, ctx, "upload the files",
		chromedp.SetUploadFiles(chromedp.CSS("#ip-files"), files),
		chromedp.Click(chromedp.CSS(`#ip-import-form button[type="submit"]`)))
	waitURL(t, ctx, "#ip-update")
	do(t, ctx, "wait for the import result", chromedp.WaitVisible(chromedp.CSS("#ip-import-result")))
	if n := eval[int](t, ctx, `document.querySelectorAll('#ip-import-result tr[data-outcome="updated"]').length`); n != 7 {
		t.Fatalf("%d files imported, want 7: %s", n, text(t, ctx, "#ip-import-result"))
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#ip-empty').length`); n != 0 {
		t.Error("the empty state is still shown after the import")
	}

	signOut(t, ctx, d)
	signIn(t, ctx, d, "reader")
	do(t, ctx, "open /ip as a Reader", chromedp.Navigate(d.URL+"/ip"), chromedp.WaitVisible(chromedp.CSS("#ip-form")))
	if n := eval[int](t, ctx, `document.querySelectorAll('#ip-import-form, #ip-refresh-form').length`); n != 0 {
		t.Error("a Reader is shown the download and import forms")
	}

	storage := storageWestEurope(t, dir)
	line := fmt.Sprintf("2026-07-20T10:11:12Z DENY TCP src=10.1.2.3:51515 dst=52.112.0.1:443 fwd=%s:443", storage)
	do(t, ctx, "paste a log line and look it up",
		chromedp.SetValue(chromedp.CSS("#q"), line),
		chromedp.Click(chromedp.CSS(`#ip-form button[type="submit"]`)))
	waitURL(t, ctx, "q=")
	do(t, ctx, "wait for results", chromedp.WaitVisible(chromedp.CSS("#ip-results")))
	screenshot(t, ctx, "ip-results")

	teams := `section.ip-item[data-subject="52.112.0.1"]`
	for _, set := range []string{"11", "12"} {
		row := teams + ` tr[data-set="` + set + `"][data-instance="Worldwide"]`
		if got := text(t, ctx, row+" .col-area"); got != "Microsoft Teams" {
			t.Errorf("set %s: %q", set, got)
		}
		if got := text(t, ctx, row+" .col-required"); got != "yes" {
			t.Errorf("set %s required: %q", set, got)
		}
	}
	st := fmt.Sprintf(`section.ip-item[data-subject="%s"]`, storage)
	if got := text(t, ctx, st+` tr[data-tag="Storage.WestEurope"] .col-tag`); got != "Storage.WestEurope" {
		t.Errorf("storage tag: %q", got)
	}
	if got := text(t, ctx, `section.ip-item[data-subject="10.1.2.3"] .ip-verdict`); !strings.Contains(got, "Not a Microsoft address") {
		t.Errorf("private address verdict: %q", got)
	}
	// The textarea keeps the lookup, so the URL is a permalink to it.
	if v := eval[string](t, ctx, `document.querySelector('#q').value`); v != line {
		t.Errorf("textarea holds %q after the lookup", v)
	}
}

// storageWestEurope returns an address in the first IPv4 prefix of Storage.WestEurope.
func storageWestEurope(t *testing.T, dir string) netip.Addr {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "ServiceTags_Public_20251103.json"))
	if err != nil {
		t.Fatal(err)
	}
	tags, err := iprange.ParseServiceTags(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range tags.Values {
		if v.Name == "Storage.WestEurope" {
			for _, p := range v.AddressPrefixes {
				if p.Addr().Is4() {
					return p.Addr().Next()
				}
			}
		}
	}
	t.Fatal("Storage.WestEurope has no IPv4 prefix")
	return netip.Addr{}
}
