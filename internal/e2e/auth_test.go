package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// demoAccount is the demo account named account, or whose UPN starts with account + "@"
// ("reader", "operator", "licenseadmin", "norole").
func demoAccount(t *testing.T, d *app.Demo, account string) string {
	t.Helper()
	for _, a := range d.Sim.Info().DemoAccounts {
		if strings.EqualFold(a, account) || strings.HasPrefix(strings.ToLower(a), strings.ToLower(account)+"@") {
			return a
		}
	}
	t.Fatalf("no demo account %q in %v", account, d.Sim.Info().DemoAccounts)
	return ""
}

// signIn signs the browser in to the demo as account (a demo UPN, or its local part such as
// "reader") through /login?login_hint=, and waits until the dashboard's start page is shown.
func signIn(t *testing.T, ctx context.Context, d *app.Demo, account string) {
	t.Helper()
	upn := demoAccount(t, d, account)
	do(t, ctx, "sign in as "+upn, chromedp.Navigate(d.URL+"/login?login_hint="+url.QueryEscape(upn)+"&next=%2F"))
	waitURL(t, ctx, d.URL+"/")
	do(t, ctx, "wait for the signed-in header", chromedp.WaitVisible(chromedp.CSS("#user")))
}

// signOut presses the sign-out button and waits for the signed-out page.
func signOut(t *testing.T, ctx context.Context, d *app.Demo) {
	t.Helper()
	do(t, ctx, "sign out", chromedp.Click(chromedp.CSS("#sign-out")))
	waitURL(t, ctx, d.URL+"/signed-out")
	do(t, ctx, "signed-out page", chromedp.WaitVisible(chromedp.CSS("#signed-out")))
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return eval[int](t, ctx, `document.querySelectorAll(`+jsString(sel)+`).length`)
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// Each demo role signs in and sees exactly what it may do: Readers look, Operators also
// refresh, LicenseAdmins also read the activity log, and an account without a role sees only
// which role to ask for.
func TestSignInAsEachRoleInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})

	// Anonymous: the dashboard sends the browser to the simulator's sign-in page, which lists
	// every demo account.
	do(t, ctx, "open the dashboard", chromedp.Navigate(d.URL+"/groups"))
	waitURL(t, ctx, "/oauth2/v2.0/authorize")
	screenshot(t, ctx, "sign-in-picker")
	page := eval[string](t, ctx, `document.body.innerText`)
	for _, a := range d.Sim.Info().DemoAccounts {
		if !strings.Contains(page, a) {
			t.Errorf("the sign-in page does not offer %s", a)
		}
	}

	for _, tc := range []struct {
		account, role       string
		refresh, activity   bool
		activityPageAllowed bool
	}{
		{"reader", "Reader", false, false, false},
		{"operator", "Operator", true, false, false},
		{"licenseadmin", "LicenseAdmin", true, true, true},
	} {
		signIn(t, ctx, d, tc.account)
		screenshot(t, ctx, "signed-in-"+tc.account)
		if got := text(t, ctx, "#user-role"); got != tc.role {
			t.Errorf("%s: role shown %q", tc.account, got)
		}
		if got := count(t, ctx, "#refresh-button") > 0; got != tc.refresh {
			t.Errorf("%s: refresh button shown %v, want %v", tc.account, got, tc.refresh)
		}
		if got := count(t, ctx, `nav a[href="/activity"]`) > 0; got != tc.activity {
			t.Errorf("%s: activity link shown %v, want %v", tc.account, got, tc.activity)
		}
		if count(t, ctx, `nav a[href="/groups"]`) != 1 {
			t.Errorf("%s: no link to the group report", tc.account)
		}
		do(t, ctx, "open /activity", chromedp.Navigate(d.URL+"/activity"), chromedp.WaitVisible(chromedp.CSS("h1")))
		h1 := text(t, ctx, "h1")
		if tc.activityPageAllowed {
			if h1 != "Activity" || count(t, ctx, `#activity tr[data-action="sign-in"]`) < 3 {
				t.Errorf("%s: activity page %q without the sign-ins", tc.account, h1)
			}
			if count(t, ctx, `#activity tr[data-action="refused"]`) < 2 {
				t.Errorf("%s: the refused /activity visits of Reader and Operator are not in the log", tc.account)
			}
			screenshot(t, ctx, "activity")
		} else if h1 != "Not allowed" || !strings.Contains(text(t, ctx, "#error-message"), "LicenseAdmin") {
			t.Errorf("%s: /activity shows %q", tc.account, h1)
		}
		signOut(t, ctx, d)
	}

	// No role: the page names the role to ask for and nothing of the tenant.
	signIn(t, ctx, d, "norole")
	screenshot(t, ctx, "no-role")
	if count(t, ctx, "#no-role") != 1 || text(t, ctx, "#role-to-request") != "Reader" {
		t.Errorf("no-role page missing or names %q", text(t, ctx, "#role-to-request"))
	}
	if n := count(t, ctx, "nav a, #refresh-button, #data-age"); n != 0 {
		t.Errorf("the no-role page shows %d navigation or data elements", n)
	}
	do(t, ctx, "open /groups", chromedp.Navigate(d.URL+"/groups"), chromedp.WaitVisible(chromedp.CSS("#no-role")))
	if count(t, ctx, "#groups") != 0 {
		t.Error("the group report is shown without a role")
	}
	signOut(t, ctx, d)

	// Signed out, the dashboard asks for sign-in again.
	do(t, ctx, "open the dashboard", chromedp.Navigate(d.URL+"/"))
	waitURL(t, ctx, "/oauth2/v2.0/authorize")
}
