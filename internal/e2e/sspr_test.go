package e2e

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// A Reader opens the password-reset request check on the demo, pastes one of its sample mails
// and sees the verdict and the user's flow timeline; uploads the same mail as an .eml and sees
// the same; and the spoofed, no-flow and headers-only samples get their verdicts.
func TestSSPRCheckInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	// Microsoft's endpoint list, as an Operator would import it on a site without internet, so
	// the connecting address is checked too.
	ww, err := os.ReadFile(filepath.Join(ipDataDir(t), "m365_endpoints_worldwide.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.App.IP.Import(context.Background(), iprange.ImportFile{Name: "m365_endpoints_worldwide.json", Data: ww}); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, d, "reader")

	do(t, ctx, "open /sspr", chromedp.Navigate(d.URL+"/sspr"), chromedp.WaitVisible(chromedp.CSS("#sspr-form")))
	if n := count(t, ctx, "#sspr-samples li.sspr-sample"); n == 0 {
		t.Fatal("the demo offers no sample mails")
	}
	if n := count(t, ctx, "#sspr-result"); n != 0 {
		t.Fatal("a result before any check")
	}
	shots(t, ctx, "sspr-empty")

	// The first sample: its flow, as the page links it.
	href := eval[string](t, ctx, `document.querySelector('#sspr-samples li[data-variant="genuine"] a.sspr-sample-paste').getAttribute('href')`)
	u, err := url.Parse(href)
	if err != nil {
		t.Fatal(err)
	}
	corr := u.Query().Get("sample")
	genuine, err := d.Sim.Tenant.RenderSSPREmail(corr, "genuine")
	if err != nil {
		t.Fatal(err)
	}
	var flow tenantsim.SSPRFlow
	for _, f := range d.Sim.Tenant.SSPRFlows() {
		if f.CorrelationID == corr {
			flow = f
		}
	}

	// Paste it (a textarea holds line ends as LF, as a paste does; the form sends CRLF).
	pasted := strings.ReplaceAll(string(genuine), "\r\n", "\n")
	do(t, ctx, "paste the genuine sample and check it",
		chromedp.SetValue(chromedp.CSS("#sspr-message"), pasted),
		chromedp.Click(chromedp.CSS("#sspr-submit")))
	waitURL(t, ctx, "#sspr-result")
	checkGenuine(t, ctx, corr, flow)
	shots(t, ctx, "sspr-genuine")

	// Upload the same mail as an .eml file.
	file := filepath.Join(t.TempDir(), "request.eml")
	if err := os.WriteFile(file, genuine, 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "open /sspr again", chromedp.Navigate(d.URL+"/sspr"), chromedp.WaitVisible(chromedp.CSS("#sspr-form")))
	do(t, ctx, "upload the .eml and check it",
		chromedp.SetUploadFiles(chromedp.CSS("#sspr-file"), []string{file}),
		chromedp.Click(chromedp.CSS("#sspr-submit")))
	waitURL(t, ctx, "#sspr-result")
	checkGenuine(t, ctx, corr, flow)
	if got := eval[string](t, ctx, `document.querySelector('#sspr-message-info').textContent`); !strings.Contains(got, ".eml file") {
		t.Errorf("upload read as %q", got)
	}

	// The other samples, through the page's own links into the paste box.
	for _, c := range []struct{ variant, verdict, shot string }{
		{"spoofed-lookalike", "spoofed", "sspr-spoofed"},
		{"spoofed-injected-authres", "spoofed", ""},
		{"no-audit", "suspicious", "sspr-suspicious"},
	} {
		do(t, ctx, "open /sspr", chromedp.Navigate(d.URL+"/sspr"), chromedp.WaitVisible(chromedp.CSS("#sspr-form")))
		do(t, ctx, "put the "+c.variant+" sample into the box",
			chromedp.Click(chromedp.CSS(`#sspr-samples li.sspr-sample:first-child li[data-variant="`+c.variant+`"] a.sspr-sample-paste`)))
		waitURL(t, ctx, "variant="+c.variant)
		if v := eval[string](t, ctx, `document.querySelector('#sspr-message').value`); !strings.Contains(v, "X-MS-Exchange-CrossTenant-Id") {
			t.Fatalf("%s: the box holds %d characters, not the mail", c.variant, len(v))
		}
		do(t, ctx, "check it", chromedp.Click(chromedp.CSS("#sspr-submit")))
		waitURL(t, ctx, "#sspr-result")
		if v := eval[string](t, ctx, `document.querySelector('#sspr-result').dataset.verdict`); v != c.verdict {
			t.Errorf("%s: verdict %q, want %q: %s", c.variant, v, c.verdict, text(t, ctx, "#sspr-summary"))
		}
		if c.verdict == "spoofed" && count(t, ctx, `#sspr-checks tr[data-status="fail"]`) == 0 {
			t.Errorf("%s: no failing check shown", c.variant)
		}
		if c.shot != "" {
			shots(t, ctx, c.shot)
		}
	}

	// Headers only: cannot tell, and what is missing.
	headers, _, _ := strings.Cut(string(genuine), "\r\n\r\n")
	do(t, ctx, "open /sspr", chromedp.Navigate(d.URL+"/sspr"), chromedp.WaitVisible(chromedp.CSS("#sspr-form")))
	do(t, ctx, "paste the headers only",
		chromedp.SetValue(chromedp.CSS("#sspr-message"), strings.ReplaceAll(headers, "\r\n", "\n")),
		chromedp.Click(chromedp.CSS("#sspr-submit")))
	waitURL(t, ctx, "#sspr-result")
	if v := eval[string](t, ctx, `document.querySelector('#sspr-result').dataset.verdict`); v != "cannot-tell" {
		t.Errorf("headers only: verdict %q", v)
	}
	if got := text(t, ctx, "#sspr-missing"); !strings.Contains(got, "The body") {
		t.Errorf("missing: %q", got)
	}
	shots(t, ctx, "sspr-cannot-tell")

	// Keyboard: Ctrl+Enter in the box checks it.
	do(t, ctx, "open /sspr", chromedp.Navigate(d.URL+"/sspr"), chromedp.WaitVisible(chromedp.CSS("#sspr-form")))
	do(t, ctx, "type and press Ctrl+Enter",
		chromedp.SetValue(chromedp.CSS("#sspr-message"), pasted),
		chromedp.Focus(chromedp.CSS("#sspr-message")),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	waitURL(t, ctx, "#sspr-result")
	if v := eval[string](t, ctx, `document.querySelector('#sspr-result').dataset.verdict`); v != "genuine" {
		t.Errorf("Ctrl+Enter: verdict %q", v)
	}
}

// checkGenuine asserts the genuine verdict and the flow that explains the mail.
func checkGenuine(t *testing.T, ctx context.Context, corr string, flow tenantsim.SSPRFlow) {
	t.Helper()
	if v := eval[string](t, ctx, `document.querySelector('#sspr-result').dataset.verdict`); v != "genuine" {
		t.Fatalf("verdict %q: %s", v, text(t, ctx, "#sspr-summary"))
	}
	if got := text(t, ctx, "#sspr-verdict"); got != "Genuine request" {
		t.Errorf("headline %q", got)
	}
	if n := count(t, ctx, `#sspr-checks tr[data-status="pass"]`); n != count(t, ctx, `#sspr-checks tbody tr`) {
		t.Errorf("%d of %d checks pass on a genuine mail: %s", n, count(t, ctx, `#sspr-checks tbody tr`), text(t, ctx, "#sspr-checks"))
	}
	li := `#sspr-flows li.sspr-flow[data-matches="true"]`
	if got := eval[string](t, ctx, `document.querySelector('`+li+`').dataset.correlation`); got != corr {
		t.Errorf("matching flow %q, want %s", got, corr)
	}
	if got := text(t, ctx, li+" .sspr-ip"); got != flow.IPAddress {
		t.Errorf("flow IP %q, want %s", got, flow.IPAddress)
	}
	if n := count(t, ctx, li+" tbody tr"); n < 3 {
		t.Errorf("timeline has %d steps", n)
	}
	if got := text(t, ctx, li+" tbody tr:last-child"); !strings.Contains(got, "asked an administrator") {
		t.Errorf("last step %q", got)
	}
	if got := text(t, ctx, "#sspr-steps"); !strings.Contains(got, "confirm with the user") {
		t.Errorf("no advice to confirm with the user: %q", got)
	}
}

// shots saves screenshots at 1024, 1280 and 1920 px wide when TENANTDESK_SCREENSHOTS names a
// folder, then restores the test's window size.
func shots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("TENANTDESK_SCREENSHOTS") == "" {
		return
	}
	for _, w := range []int64{1024, 1280, 1920} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900)); err != nil {
			t.Logf("viewport %d: %v", w, err)
			continue
		}
		screenshot(t, ctx, name+"-"+strconv.FormatInt(w, 10))
	}
	_ = chromedp.Do(ctx, chromedp.EmulateViewport(1400, 1000))
}
