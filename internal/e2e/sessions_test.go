package e2e

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// secondBrowser is another browser (a plain HTTP client with cookies) signed in as account.
func secondBrowser(t *testing.T, d *app.Demo, account string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	if status, _ := authtest.SignIn(t, b, d.URL, demoAccount(t, d, account), "/"); status != http.StatusOK {
		t.Fatalf("sign in the second browser as %s: %d", account, status)
	}
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return b
}

// signedIn reports whether the second browser's session still works.
func signedIn(t *testing.T, b *http.Client, d *app.Demo) bool {
	t.Helper()
	res, err := b.Get(d.URL + "/groups")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// A person sees their sessions (this browser marked) from their name in the header and signs
// out everywhere, which ends their other browser's session too; a LicenseAdmin sees everyone's
// active sessions and ends one. Refusals repeated by one person are one activity entry with a
// count.
func TestSessionsInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 2})
	signIn(t, ctx, d, "operator")
	other := secondBrowser(t, d, "operator")

	do(t, ctx, "open my sessions", chromedp.Click(chromedp.CSS("#user-name")))
	waitURL(t, ctx, "/sessions")
	if n := count(t, ctx, "#my-sessions-table tbody tr"); n != 2 {
		t.Errorf("%d own sessions listed, want 2", n)
	}
	if got := text(t, ctx, "#my-sessions-table tr.current"); !strings.Contains(got, "(this browser)") {
		t.Errorf("this browser's row: %q", got)
	}
	if count(t, ctx, "#all-sessions") != 0 {
		t.Error("an Operator sees everyone's sessions")
	}
	screenshotWidths(t, ctx, "sessions")
	do(t, ctx, "sign out everywhere", chromedp.Click(chromedp.CSS("#sign-out-everywhere")))
	do(t, ctx, "signed out", chromedp.WaitVisible(chromedp.CSS("#signed-out")))
	if got := text(t, ctx, "#signed-out-message"); !strings.Contains(got, "2 sessions") {
		t.Errorf("sign-out everywhere says %q", got)
	}
	screenshot(t, ctx, "signed-out-everywhere")
	if signedIn(t, other, d) {
		t.Error("the other browser is still signed in after sign-out everywhere")
	}

	// A Reader is refused the activity log several times: one entry counts them.
	reader := secondBrowser(t, d, "reader")
	for range 5 {
		res, err := reader.Get(d.URL + "/activity")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	signIn(t, ctx, d, "licenseadmin")
	do(t, ctx, "open the activity log", chromedp.Navigate(d.URL+"/activity?action=refused"), chromedp.WaitVisible(chromedp.CSS("#activity")))
	if got := text(t, ctx, `#activity tr[data-action="refused"] .activity-count`); !strings.HasPrefix(got, "5 times") {
		t.Errorf("the refused entry counts %q", got)
	}
	screenshotWidths(t, ctx, "activity-counts")

	do(t, ctx, "open everyone's sessions", chromedp.Navigate(d.URL+"/sessions"), chromedp.WaitVisible(chromedp.CSS("#all-sessions")))
	readerRow := `.person-sessions[data-upn="` + demoAccount(t, d, "reader") + `"]`
	if count(t, ctx, readerRow+" tbody tr") != 1 {
		t.Fatalf("the reader's session is not listed: %q", text(t, ctx, "#all-sessions"))
	}
	screenshotWidths(t, ctx, "sessions-admin")
	do(t, ctx, "end the reader's session", chromedp.Click(chromedp.CSS(readerRow+" button.end-session")))
	waitURL(t, ctx, "ended=1")
	if got := text(t, ctx, "#sessions-notice"); got != "1 session ended." {
		t.Errorf("notice %q", got)
	}
	if signedIn(t, reader, d) {
		t.Error("the reader is still signed in after the LicenseAdmin ended the session")
	}

	// Microsoft Graph failing every request: the group page says so at once and shows the
	// snapshot.
	d.Sim.SetKnobs(tenantsim.Knobs{FaultRate: 1})
	start := time.Now()
	do(t, ctx, "open a group with Graph failing", chromedp.Navigate(d.URL+"/groups/"+d.Sim.Tenant.Scenarios.A1Group),
		chromedp.WaitVisible(chromedp.CSS("#members-error")))
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the group page took %v with Graph failing", took)
	}
	if got := text(t, ctx, "#members-error"); !strings.Contains(got, "Microsoft Graph is not answering") {
		t.Errorf("members section says %q", got)
	}
	screenshotWidths(t, ctx, "group-graph-not-answering")
	d.Sim.SetKnobs(tenantsim.Knobs{})
}
