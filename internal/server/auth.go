package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// Routes of the sign-in flow.
const (
	loginPath     = "/login"
	logoutPath    = "/logout"
	signedOutPath = "/signed-out"
)

// handleLogin starts a sign-in. /login?login_hint=<account>&next=<path> picks the account and
// where to return; a signed-in person with a role and no hint goes straight to next.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	next := auth.SafeNext(q.Get("next"))
	hint := q.Get("login_hint")
	if p, ok := auth.PrincipalFrom(r.Context()); ok && p.Role != auth.RoleNone && hint == "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if err := s.authn.BeginSignIn(w, r, next, hint); err != nil {
		s.signInFailed(w, r, err)
	}
}

// handleCallback is where the identity provider sends the browser back: from a sign-in, or
// from the silent sign-in that re-reads a session's roles.
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	p, next, err := s.authn.FinishSignIn(w, r)
	if se, ok := errors.AsType[*auth.SignInError](err); ok && se.SessionEnded {
		s.sessionEnded(w, r, p, se)
		return
	}
	if err != nil {
		s.signInFailed(w, r, err)
		return
	}
	if p.Rechecked {
		detail := "roles read again from the identity provider: " + s.roleName(p.Role) + ", unchanged"
		if p.RolesChanged {
			detail = "roles changed in the identity provider: " + s.roleName(p.PreviousRole) + " → " + s.roleName(p.Role)
		}
		s.logActivity(r, model.Activity{ActorUPN: p.UPN, ActorName: p.Name, Action: model.ActionRoleCheck,
			Result: model.ActivityOK, Detail: detail})
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.logActivity(r, model.Activity{ActorUPN: p.UPN, ActorName: p.Name, Action: model.ActionSignIn,
		Result: model.ActivityOK, Detail: "role " + s.roleName(p.Role)})
	s.log.InfoContext(r.Context(), "signed in", "upn", p.UPN, "role", s.roleName(p.Role))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// sessionEnded answers a silent re-check of a session's roles that the identity provider did
// not confirm: the session has ended, and the person is told to sign in again.
func (s *Server) sessionEnded(w http.ResponseWriter, r *http.Request, p auth.Principal, se *auth.SignInError) {
	s.logFailure(r.Context(), "session ended at its role re-check", se)
	s.logActivity(r, model.Activity{ActorUPN: p.UPN, ActorName: p.Name, Action: model.ActionSessionEnd, Target: p.UPN,
		TargetName: p.Name, Result: model.ActivityFailed, Detail: "the role re-check failed: " + text.Clip(se.Error(), 1000)})
	l := s.layout(auth.WithoutPrincipal(r.Context()), "Session ended", "")
	s.render(w, r, se.Status, web.SignedOutPage(l, web.SignedOutView{SignInURL: loginPath, Heading: "Your session has ended",
		Message: se.Reason}))
}

// signInFailed records a failed sign-in and tells the person what happened, never why in
// technical detail (that goes to the log).
func (s *Server) signInFailed(w http.ResponseWriter, r *http.Request, err error) {
	var se *auth.SignInError
	if !errors.As(err, &se) {
		se = &auth.SignInError{Status: http.StatusInternalServerError, Reason: "Sign-in failed.", Err: err}
	}
	s.logFailure(r.Context(), "sign-in failed", err)
	// Bounded like refusals: anyone can send the callback garbage, and the sign-in rate limit
	// has counted it already.
	s.recordRefusal(r, model.Activity{Action: model.ActionSignIn, Result: model.ActivityFailed, Detail: text.Clip(err.Error(), 1000)})
	s.errorPage(w, r, web.ErrorView{
		Status:  se.Status,
		Heading: "Sign-in failed",
		Message: se.Reason,
		BackURL: loginPath,
	})
}

// handleLogout ends the session. It is a POST (behind the cross-origin check) so that no
// other site can sign people out.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if p, ok := s.authn.SignOut(w, r); ok {
		s.logActivity(r, model.Activity{ActorUPN: p.UPN, ActorName: p.Name, Action: model.ActionSignOut, Result: model.ActivityOK})
	}
	http.Redirect(w, r, signedOutPath, http.StatusSeeOther)
}

func (s *Server) handleSignedOut(w http.ResponseWriter, r *http.Request) {
	l := s.layout(r.Context(), "Signed out", "")
	s.render(w, r, http.StatusOK, web.SignedOutPage(l, web.SignedOutView{SignInURL: loginPath}))
}

// noRole shows a signed-in person without a dashboard role which role to ask for, and
// records the attempt.
func (s *Server) noRole(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if !s.refuse(w, r, model.Activity{Action: model.ActionRefused, Target: r.Method + " " + r.URL.Path,
		Result: model.ActivityRefused, Detail: "no tenantdesk role"}) {
		return
	}
	l := s.layout(r.Context(), "No role", "")
	v := web.NoRoleView{Name: p.Name, UPN: p.UPN, ReaderRole: s.roleName(auth.RoleReader),
		OtherRoles: []string{s.roleName(auth.RoleOperator), s.roleName(auth.RoleLicenseAdmin)}}
	s.render(w, r, http.StatusForbidden, web.NoRolePage(l, v))
}

// navRoles are the roles the navigation entries need beyond Reader; the routes enforce them
// again.
var navRoles = map[string]auth.Role{
	"activity": auth.RoleLicenseAdmin,
	"jobs":     auth.RoleOperator,
}

// canCtx is can for code that has only the request's context.
func (s *Server) canCtx(ctx context.Context, need auth.Role) bool {
	p, ok := auth.PrincipalFrom(ctx)
	return ok && p.Role.Allows(need)
}

// navAllowed reports whether the navigation entry key is shown to the request's person.
func (s *Server) navAllowed(ctx context.Context, key string) bool {
	need, ok := navRoles[key]
	if !ok {
		need = auth.RoleReader
	}
	return s.canCtx(ctx, need)
}

// applyUser puts the signed-in person into the layout, hides what their role may not use,
// and reports whether the page is bare: anonymous or without a role, where nothing of the
// tenant (not even the data age) is shown.
func (s *Server) applyUser(ctx context.Context, l *web.Layout) bool {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		l.Bare, l.RefreshAction, l.ProgressURL, l.SearchAction = true, "", "", ""
		return true
	}
	role := s.roleName(p.Role)
	if p.Role == auth.RoleNone {
		role = "no role"
	}
	l.User = web.SignedInUser{Name: p.Name, UPN: p.UPN, Role: role, SignOutAction: logoutPath}
	if p.Role != auth.RoleNone {
		l.User.SessionsURL = sessionsPath
	}
	if p.Role == auth.RoleNone {
		l.Bare, l.RefreshAction, l.ProgressURL, l.SearchAction = true, "", "", ""
		return true
	}
	if !p.Role.Allows(auth.RoleOperator) {
		l.RefreshAction = ""
	}
	return false
}

// authenticate puts the session's person into the request's context (Deps.Auth's middleware).
func (s *Server) authenticate(next http.Handler) http.Handler { return s.authn.Middleware(next) }
