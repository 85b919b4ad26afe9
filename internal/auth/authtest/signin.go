package authtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"

	"github.com/tenantdesk/tenantdesk/internal/auth"
)

// RoleHeader names the role a request of a test is signed in with when it is sent to an
// Authenticator: reader, operator, licenseadmin or norole; anonymous for nobody.
const RoleHeader = "X-Test-Role"

// Authenticator is a test double of dashboard sign-in for handler tests: a request whose
// RoleHeader names a role is signed in as <role>@example.com with it, one that says "anonymous"
// is nobody's, and any other is signed in as Default, or nobody's when Anonymous is set. It
// implements the whole sign-in flow, so a server built with it is built exactly as in
// production, only without an identity provider.
type Authenticator struct {
	Default   auth.Principal
	Anonymous bool // requests without RoleHeader are signed in as nobody
}

// SignedIn is an Authenticator whose requests are signed in as a person with role, by default.
func SignedIn(role auth.Role) Authenticator {
	return Authenticator{Default: Principal(role)}
}

// Principal is the test person with role: <role>@example.com.
func Principal(role auth.Role) auth.Principal {
	name := strings.ToLower(role.String())
	return auth.Principal{ObjectID: fmt.Sprintf("00000000-0000-4000-8000-%012d", int(role)),
		Name: "Test " + role.String(), UPN: name + "@example.com", Roles: []string{role.String()}, Role: role}
}

var roles = map[string]auth.Role{"norole": auth.RoleNone, "reader": auth.RoleReader, "operator": auth.RoleOperator,
	"licenseadmin": auth.RoleLicenseAdmin}

// principal is who r is signed in as.
func (a Authenticator) principal(r *http.Request) (auth.Principal, bool) {
	h := strings.ToLower(r.Header.Get(RoleHeader))
	if h == "anonymous" {
		return auth.Principal{}, false
	}
	if role, ok := roles[h]; ok {
		return Principal(role), true
	}
	return a.Default, !a.Anonymous
}

// Middleware puts the request's person into its context.
func (a Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := a.principal(r); ok {
			r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		}
		next.ServeHTTP(w, r)
	})
}

// BeginSignIn sends the browser straight to the callback: there is no identity provider.
func (a Authenticator) BeginSignIn(w http.ResponseWriter, r *http.Request, next, _ string) error {
	http.Redirect(w, r, auth.CallbackPath+"?next="+next, http.StatusSeeOther)
	return nil
}

// FinishSignIn signs the request's person in and sends them to next.
func (a Authenticator) FinishSignIn(_ http.ResponseWriter, r *http.Request) (auth.Principal, string, error) {
	p, _ := a.principal(r)
	return p, auth.SafeNext(r.URL.Query().Get("next")), nil
}

// SignOut reports the request's person as signed out.
func (a Authenticator) SignOut(_ http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	return a.principal(r)
}

// errNoSessions is what the double says of stored sessions: it keeps none (handler tests of
// the sessions page use the real authenticator with an IDP).
var errNoSessions = errors.New("authtest: the test authenticator keeps no sessions")

// SignOutEverywhere reports the request's person as signed out of one session.
func (a Authenticator) SignOutEverywhere(_ http.ResponseWriter, r *http.Request) (auth.Principal, int, error) {
	p, ok := a.principal(r)
	if !ok {
		return auth.Principal{}, 0, errors.New("not signed in")
	}
	return p, 1, nil
}

// ActiveSessions lists none.
func (a Authenticator) ActiveSessions(context.Context, string) ([]model.Session, error) {
	return nil, nil
}

// EndSession finds none.
func (a Authenticator) EndSession(_ context.Context, ref string) (model.Session, error) {
	return model.Session{}, fmt.Errorf("session %s: %w (%w)", ref, model.ErrNotFound, errNoSessions)
}

// EndSessionsOf ends none.
func (a Authenticator) EndSessionsOf(context.Context, string) (int, error) { return 0, nil }
