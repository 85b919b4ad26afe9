package server

import (
	"context"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// require lets a request through only when the signed-in person's role allows need.
func (s *Server) require(need auth.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := auth.PrincipalFrom(r.Context())
			if !ok {
				s.signInRequired(w, r)
				return
			}
			if p.Role == auth.RoleNone {
				s.noRole(w, r, p)
				return
			}
			if !p.Role.Allows(need) {
				s.forbidden(w, r, p, need)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// can reports whether the request's person may do what needs role need (for showing or hiding
// controls; the route itself enforces it again).
func (s *Server) can(r *http.Request, need auth.Role) bool { return s.canCtx(r.Context(), need) }

// logActivity records an action of the request's person. A failure to record is logged, never
// shown: the action itself has happened.
func (s *Server) logActivity(r *http.Request, a model.Activity) {
	if err := s.activity.AddActivity(r.Context(), s.requestActivity(r, a)); err != nil {
		s.logFailure(r.Context(), "activity log", err, "action", a.Action)
	}
}

// Authenticator is dashboard sign-in. *auth.Authenticator implements it; tests use
// authtest.Authenticator, which signs in a given person.
type Authenticator interface {
	// Middleware puts the signed-in person (if any) into the request's context.
	Middleware(next http.Handler) http.Handler
	// BeginSignIn redirects the browser to the identity provider; next is where to return,
	// loginHint the account to suggest. Errors are *auth.SignInError.
	BeginSignIn(w http.ResponseWriter, r *http.Request, next, loginHint string) error
	// FinishSignIn completes the sign-in at the callback, starts the session and returns the
	// person and where to send them. Errors are *auth.SignInError.
	FinishSignIn(w http.ResponseWriter, r *http.Request) (auth.Principal, string, error)
	// SignOut ends the session and returns who was signed in.
	SignOut(w http.ResponseWriter, r *http.Request) (auth.Principal, bool)
	// SignOutEverywhere ends every session of the signed-in person and says how many.
	SignOutEverywhere(w http.ResponseWriter, r *http.Request) (auth.Principal, int, error)
	// ActiveSessions lists the sessions within their timeouts, of the person with object id oid
	// or, for "", everyone's.
	ActiveSessions(ctx context.Context, oid string) ([]model.Session, error)
	// EndSession ends the session named ref; EndSessionsOf every session of a person.
	EndSession(ctx context.Context, ref string) (model.Session, error)
	EndSessionsOf(ctx context.Context, oid string) (int, error)
}

// signInRequired sends a browser to sign in and back; other requests get a plain 401.
func (s *Server) signInRequired(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	s.errorPage(w, r, web.ErrorView{
		Status:  http.StatusUnauthorized,
		Heading: "Sign-in required",
		Message: "Your session has ended. Sign in again, then repeat what you were doing.",
		BackURL: "/login",
	})
}

// forbidden refuses a request the person's role does not allow, names the role to ask for, and
// records the refusal.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, p auth.Principal, need auth.Role) {
	if !s.refuse(w, r, model.Activity{
		Action: model.ActionRefused, Target: r.Method + " " + r.URL.Path, Result: model.ActivityRefused,
		Detail: "needs role " + s.roleName(need) + ", has " + s.roleName(p.Role),
	}) {
		return
	}
	s.errorPage(w, r, web.ErrorView{
		Status:  http.StatusForbidden,
		Heading: "Not allowed",
		Message: "This needs the " + s.roleName(need) + " role in tenantdesk. Ask an administrator of the tenantdesk app registration to assign it to you.",
		BackURL: "/",
	})
}

// roleName is the configured app-role name of a role (defaults Reader, Operator, LicenseAdmin).
func (s *Server) roleName(r auth.Role) string {
	if n, ok := s.roleNames[r]; ok {
		return n
	}
	return r.String()
}

// principalName is who is acting, by name, for job lines.
func principalName(r *http.Request) string {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		return ""
	}
	return text.FirstNonEmpty(p.Name, p.UPN)
}

// requestActivity is a with what the request tells filled in where a leaves it empty: the
// person, the time, the request id and the client's address.
func (s *Server) requestActivity(r *http.Request, a model.Activity) model.Activity {
	if p, ok := auth.PrincipalFrom(r.Context()); ok && a.ActorUPN == "" {
		a.ActorUPN, a.ActorName = p.UPN, p.Name
	}
	if a.At.IsZero() {
		a.At = s.now()
	}
	if a.CorrelationID == "" {
		a.CorrelationID = middleware.GetReqID(r.Context())
	}
	if a.RemoteIP == "" {
		a.RemoteIP = s.proxies.ClientIP(r)
	}
	return a
}
