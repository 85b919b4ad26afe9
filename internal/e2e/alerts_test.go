package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// A LicenseAdmin adds a webhook channel pointing to a local receiver on /alerts, sends it a
// test, sees the test sent on the channel's row and in the history, and the receiver has it;
// the activity log has both changes. A Reader sees the same page without a form.
func TestAlertsInTheBrowser(t *testing.T) {
	script := axeScript(t)
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	var mu sync.Mutex
	var got []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	hookURL := hook.URL + "/hooks/helpdesk?token=BROWSERSECRET"

	signIn(t, ctx, d, "licenseadmin")
	do(t, ctx, "open alerts", chromedp.Navigate(d.URL+"/alerts"), chromedp.WaitVisible(chromedp.CSS("#rules")))
	if n := count(t, ctx, "#rules .alert-rule form"); n < 5 {
		t.Fatalf("%d rule forms for a LicenseAdmin", n)
	}
	checkA11y(t, ctx, script, "alerts, LicenseAdmin")

	// A URL that is not allowed is refused on the form; the good one is added.
	do(t, ctx, "type a plain-http URL", chromedp.SetValue(chromedp.CSS("#wh-name"), "Helpdesk hook"),
		chromedp.SetValue(chromedp.CSS("#wh-url"), "http://example.com/hook"),
		chromedp.Click(chromedp.CSS("#add-webhook button[type=submit]")))
	if got := text(t, ctx, "#add-webhook .form-problem"); !strings.Contains(got, "use https") {
		t.Fatalf("plain http refused with %q", got)
	}
	checkA11y(t, ctx, script, "alerts, refused channel")
	screenshotWidths(t, ctx, "alerts-refused")
	do(t, ctx, "add the webhook", chromedp.SetValue(chromedp.CSS("#wh-format"), "json"),
		chromedp.SetValue(chromedp.CSS("#wh-url"), hookURL),
		chromedp.Click(chromedp.CSS("#add-webhook button[type=submit]")))
	waitURL(t, ctx, "added=")
	row := `#alert-channels tr[data-channel="Helpdesk hook"]`
	if where := text(t, ctx, row+" .channel-where"); !strings.Contains(where, "Generic JSON") || !strings.Contains(where, hook.URL+"/…") {
		t.Fatalf("the channel shows %q", where)
	}
	if html := eval[string](t, ctx, `document.documentElement.outerHTML`); strings.Contains(html, "BROWSERSECRET") {
		t.Fatal("the webhook URL is in the page")
	}

	do(t, ctx, "send a test", chromedp.Click(chromedp.CSS(row+" .test-form button")))
	waitURL(t, ctx, "tested=")
	if got := text(t, ctx, row+" .test-outcome"); !strings.Contains(got, "sent") {
		t.Fatalf("test outcome %q", got)
	}
	entry := `#history .alert-entry[id^="test-"]`
	if got := text(t, ctx, entry+" h3"); got != "Test of Helpdesk hook" {
		t.Fatalf("newest test in the history: %q", got)
	}
	if got := text(t, ctx, entry+` li[data-channel="Helpdesk hook"]`); !strings.Contains(got, "sent") {
		t.Fatalf("the test's delivery in the history: %q", got)
	}
	mu.Lock()
	received := append([]string(nil), got...)
	mu.Unlock()
	if len(received) != 1 || !strings.Contains(received[0], `"kind":"test"`) || !strings.Contains(received[0], "tenantdesk can reach this channel") {
		t.Fatalf("the receiver got %q", received)
	}
	checkA11y(t, ctx, script, "alerts, after a test")
	screenshotWidths(t, ctx, "alerts-licenseadmin")
	do(t, ctx, "open the email form", chromedp.Click(chromedp.CSS("#add-channel details:not([open]) summary")),
		chromedp.WaitVisible(chromedp.CSS("#em-password")))
	screenshotWidths(t, ctx, "alerts-email-form")

	do(t, ctx, "open the activity log", chromedp.Navigate(d.URL+"/activity?action=alert-test"), chromedp.WaitVisible(chromedp.CSS("#activity")))
	if got := text(t, ctx, "#activity"); !strings.Contains(got, "Helpdesk hook") {
		t.Fatalf("activity log: %q", got)
	}

	signIn(t, ctx, d, "reader")
	do(t, ctx, "open alerts as a Reader", chromedp.Navigate(d.URL+"/alerts"), chromedp.WaitVisible(chromedp.CSS("#rules")))
	if n := count(t, ctx, "main form"); n != 0 {
		t.Fatalf("a Reader sees %d forms", n)
	}
	if got := text(t, ctx, row+" .test-outcome"); !strings.Contains(got, "sent") {
		t.Fatalf("the Reader's view of the test: %q", got)
	}
	checkA11y(t, ctx, script, "alerts, Reader")
	screenshotWidths(t, ctx, "alerts-reader")
}
