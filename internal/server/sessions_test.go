package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// sameOrigin is what a browser sends with a form of the dashboard's own pages.
func (e *authEnv) sameOrigin() http.Header { return http.Header{"Origin": {e.base}} }

// replay is a new client that presents only the given session cookie, as someone who copied it
// would.
func (e *authEnv) replay(t *testing.T, c *http.Cookie) *http.Client {
	t.Helper()
	b := e.idp.Browser(t)
	u, _ := url.Parse(e.base)
	b.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/"}})
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return b
}

func signedOut(res response) bool {
	switch res.StatusCode {
	case http.StatusSeeOther:
		return strings.HasPrefix(res.Header.Get("Location"), "/login")
	case http.StatusUnauthorized:
		return true
	}
	return false
}

// Signing out ends the session on the server: a copy of the cookie taken before works for
// nothing afterwards, neither a page nor a refresh.
func TestSignOutEndsEveryCopyOfTheCookie(t *testing.T) {
	e := newAuthEnv(t, nil)
	b := e.browser(t, authtest.Operator)
	copied := authtest.CookieOf(t, b, e.base, auth.SessionCookie)
	if strings.Contains(copied.Value, "Operator") || len(copied.Value) > 300 {
		t.Errorf("the cookie carries more than a session token: %d bytes", len(copied.Value))
	}
	thief := e.replay(t, copied)
	if res := e.send(t, thief, "GET", "/groups", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("the copied cookie before sign-out: %d", res.StatusCode)
	}
	if res := e.send(t, b, "POST", logoutPath, e.sameOrigin()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	for _, m := range []string{"GET", "POST"} {
		path := map[string]string{"GET": "/groups", "POST": "/refresh"}[m]
		if res := e.send(t, thief, m, path, e.sameOrigin()); !signedOut(res) {
			t.Errorf("%s %s with the cookie of an ended session: %d %s", m, path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if e.syncer.starts != 0 {
		t.Errorf("the replayed cookie started %d refreshes", e.syncer.starts)
	}
}

// "Sign out everywhere" ends the person's session in a second browser too, and nobody else's.
func TestSignOutEverywhere(t *testing.T) {
	e := newAuthEnv(t, nil)
	first, second := e.browser(t, authtest.Operator), e.browser(t, authtest.Operator)
	other := e.browser(t, authtest.Reader)
	res := e.send(t, first, "GET", sessionsPath, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /sessions: %d", res.StatusCode)
	}
	d := res.doc(t)
	if n := d.Find("#my-sessions-table tbody tr").Length(); n != 2 {
		t.Errorf("the operator sees %d own sessions, want 2", n)
	}
	if d.Find("#my-sessions-table tr.current").Length() != 1 || d.Find("#all-sessions").Length() != 0 {
		t.Error("this browser not marked, or an operator sees everyone's sessions")
	}
	res = e.send(t, first, "POST", sessionsPath+"/sign-out-everywhere", e.sameOrigin())
	if res.StatusCode != http.StatusOK || !strings.Contains(res.doc(t).Find("#signed-out-message").Text(), "2 sessions") {
		t.Fatalf("sign out everywhere: %d %q", res.StatusCode, res.doc(t).Find("#signed-out-message").Text())
	}
	for name, b := range map[string]*http.Client{"first": first, "second": second} {
		if res := e.send(t, b, "GET", "/groups", nil); !signedOut(res) {
			t.Errorf("%s browser after sign-out everywhere: %d", name, res.StatusCode)
		}
		if res := e.send(t, b, "POST", "/refresh", e.sameOrigin()); !signedOut(res) {
			t.Errorf("%s browser POST /refresh after sign-out everywhere: %d", name, res.StatusCode)
		}
	}
	if res := e.send(t, other, "GET", "/groups", nil); res.StatusCode != http.StatusOK {
		t.Errorf("someone else's session ended too: %d", res.StatusCode)
	}
	acts := e.activity(t, model.ActivityFilter{Action: model.ActionSignOutEverywhere})
	if len(acts) != 1 || acts[0].ActorUPN != authtest.Operator || !strings.Contains(acts[0].Detail, "2 sessions") {
		t.Errorf("activity %+v", acts)
	}
}

// A role removed in the identity provider stops working within the re-check interval: the
// next page view after it re-reads the roles by a silent sign-in, and a form posted once the
// interval has passed is not taken on the old role.
func TestRemovedRoleStopsWorkingWithinTheRecheck(t *testing.T) {
	e := newAuthEnv(t, nil)
	clock := e.idp.Clock
	b := e.browser(t, authtest.Operator)
	if res := e.send(t, b, "POST", "/refresh", e.sameOrigin()); res.StatusCode != http.StatusSeeOther || e.syncer.starts != 1 {
		t.Fatalf("the operator's refresh: %d, %d syncs", res.StatusCode, e.syncer.starts)
	}
	if err := e.idp.Provider.SetRoles(authtest.Operator, nil); err != nil {
		t.Fatal(err)
	}
	// Past the interval, a POST without a page view first is not taken on the old role.
	clock.Add(auth.DefaultRoleCheck + time.Second)
	if res := e.send(t, b, "POST", "/refresh", e.sameOrigin()); !signedOut(res) || e.syncer.starts != 1 {
		t.Errorf("POST /refresh past the re-check: %d, %d syncs", res.StatusCode, e.syncer.starts)
	}
	// A page view goes through the silent sign-in and comes back without the role.
	follow := e.idp.Browser(t)
	follow.Jar = b.Jar
	res := e.send(t, follow, "GET", "/groups", nil)
	if res.StatusCode != http.StatusForbidden || res.doc(t).Find("#no-role").Length() != 1 {
		t.Fatalf("GET /groups after the role was removed: %d at %s", res.StatusCode, res.Request.URL)
	}
	if res := e.send(t, b, "POST", "/refresh", e.sameOrigin()); res.StatusCode != http.StatusForbidden || e.syncer.starts != 1 {
		t.Errorf("POST /refresh without the role: %d, %d syncs", res.StatusCode, e.syncer.starts)
	}
	acts := e.activity(t, model.ActivityFilter{Action: model.ActionRoleCheck})
	if len(acts) != 1 || !strings.Contains(acts[0].Detail, "Operator → none") {
		t.Errorf("role check activity %+v", acts)
	}
	// The role given back works again after the next re-check.
	e.idp.Provider.SetRoles(authtest.Operator, []string{"Operator"})
	clock.Add(auth.DefaultRoleCheck + time.Second)
	if res := e.send(t, follow, "GET", "/groups", nil); res.StatusCode != http.StatusOK {
		t.Errorf("GET /groups with the role back: %d", res.StatusCode)
	}
	if res := e.send(t, b, "POST", "/refresh", e.sameOrigin()); res.StatusCode != http.StatusSeeOther || e.syncer.starts != 2 {
		t.Errorf("POST /refresh with the role back: %d, %d syncs", res.StatusCode, e.syncer.starts)
	}
}

// When the identity provider does not confirm the sign-in at the re-check (the account was
// blocked), the session ends.
func TestBlockedAccountSessionEndsAtTheRecheck(t *testing.T) {
	e := newAuthEnv(t, nil)
	b := e.browser(t, authtest.Reader)
	b.CheckRedirect = nil
	e.idp.Provider.SetDisabled(authtest.Reader, true)
	e.idp.Clock.Add(auth.DefaultRoleCheck)
	res := e.send(t, b, "GET", "/groups", nil)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.doc(t).Find("#signed-out-message").Text(), "no longer confirms") {
		t.Fatalf("re-check of a blocked account: %d %q", res.StatusCode, res.doc(t).Find("#signed-out-message").Text())
	}
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if res := e.send(t, b, "GET", "/groups", nil); !signedOut(res) {
		t.Errorf("after the failed re-check: %d", res.StatusCode)
	}
	acts := e.activity(t, model.ActivityFilter{Action: model.ActionSessionEnd})
	if len(acts) != 1 || acts[0].Result != model.ActivityFailed || acts[0].ActorUPN != authtest.Reader {
		t.Errorf("activity %+v", acts)
	}
}

// A LicenseAdmin sees everyone's active sessions and ends one, or all of a person's; others
// may end only their own.
func TestLicenseAdminEndsSessions(t *testing.T) {
	e := newAuthEnv(t, nil)
	admin := e.browser(t, authtest.LicenseAdmin)
	op1, op2 := e.browser(t, authtest.Operator), e.browser(t, authtest.Operator)
	reader := e.browser(t, authtest.Reader)
	d := e.send(t, admin, "GET", sessionsPath, nil).doc(t)
	person := d.Find(`.person-sessions[data-upn="` + authtest.Operator + `"]`)
	if person.Length() != 1 || person.Find("tbody tr").Length() != 2 || d.Find(`.person-sessions[data-upn="`+authtest.Reader+`"]`).Length() != 1 {
		t.Fatalf("the admin's sessions page: %q", d.Find("#all-sessions").Text())
	}
	action, _ := person.Find("tbody tr").First().Find("form").Attr("action")
	if !strings.HasPrefix(action, sessionsPath+"/") {
		t.Fatalf("no end action: %q", action)
	}
	// A reader may not end an operator's session.
	if res := e.send(t, reader, "POST", action, e.sameOrigin()); res.StatusCode != http.StatusForbidden {
		t.Errorf("a reader ending another's session: %d", res.StatusCode)
	}
	if res := e.send(t, admin, "POST", action, e.sameOrigin()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the admin ends a session: %d", res.StatusCode)
	}
	ended := 0
	for _, b := range []*http.Client{op1, op2} {
		if signedOut(e.send(t, b, "GET", "/groups", nil)) {
			ended++
		}
	}
	if ended != 1 {
		t.Errorf("%d operator sessions ended, want 1", ended)
	}
	// All of a person's sessions.
	endAll, _ := e.send(t, admin, "GET", sessionsPath, nil).doc(t).Find(`.person-sessions[data-upn="` + authtest.Reader + `"] form.end-all`).Attr("action")
	if res := e.send(t, admin, "POST", endAll, e.sameOrigin()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("end all of the reader's: %d", res.StatusCode)
	}
	if !signedOut(e.send(t, reader, "GET", "/groups", nil)) {
		t.Error("the reader's session survived end-all")
	}
	acts := e.activity(t, model.ActivityFilter{Action: model.ActionSessionEnd})
	if len(acts) != 2 || acts[1].Target != authtest.Operator || !strings.Contains(acts[0].Detail, "1 session ended by "+authtest.LicenseAdmin) {
		t.Errorf("activity %+v", acts)
	}
}
