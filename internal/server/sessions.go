package server

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// The sessions page: a person's own sessions and "sign out everywhere"; for a LicenseAdmin,
// every active session, each of which (or all of one person's) can be ended.

const sessionsPath = "/sessions"

// handleSessions serves /sessions.
func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, _ := auth.PrincipalFrom(ctx)
	mine, err := s.authn.ActiveSessions(ctx, p.ObjectID)
	if err != nil {
		return err
	}
	v := web.SessionsView{SignOutEverywhereAction: sessionsPath + "/sign-out-everywhere",
		CanAdmin: s.can(r, auth.RoleLicenseAdmin), RoleCheck: web.EveryWords(s.roleCheck)}
	for _, ses := range mine {
		v.Mine = append(v.Mine, s.sessionRow(ses, p, true))
	}
	if v.CanAdmin {
		all, err := s.authn.ActiveSessions(ctx, "")
		if err != nil {
			return err
		}
		byPerson := map[string]*web.PersonSessions{}
		for _, ses := range all {
			if strings.EqualFold(ses.ObjectID, p.ObjectID) {
				continue
			}
			ps := byPerson[ses.ObjectID]
			if ps == nil {
				ps = &web.PersonSessions{Name: text.FirstNonEmpty(ses.Name, ses.UPN), UPN: ses.UPN,
					EndAllAction: sessionsPath + "/people/" + url.PathEscape(ses.ObjectID) + "/end"}
				byPerson[ses.ObjectID] = ps
			}
			ps.Sessions = append(ps.Sessions, s.sessionRow(ses, p, false))
		}
		for _, ps := range byPerson {
			v.People = append(v.People, *ps)
		}
		slices.SortFunc(v.People, func(a, b web.PersonSessions) int {
			return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.UPN, b.UPN))
		})
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("ended")); err == nil && n >= 0 {
		v.Notice = fmt.Sprintf("%s ended.", plural(n, "session", "sessions"))
	}
	s.render(w, r, http.StatusOK, web.SessionsPage(s.layout(ctx, "Sessions", ""), v))
	return nil
}

// sessionRow is one session as the page shows it; own sessions other than this browser's, and
// everyone's for a LicenseAdmin, can be ended.
func (s *Server) sessionRow(ses model.Session, p auth.Principal, own bool) web.SessionRow {
	role := s.roleName(auth.RoleNames(s.roleNames).RoleOf(ses.Roles))
	if auth.RoleNames(s.roleNames).RoleOf(ses.Roles) == auth.RoleNone {
		role = "no role"
	}
	row := web.SessionRow{Ref: ses.Ref, Current: ses.Ref == p.SessionRef, SignedIn: ses.CreatedAt, LastSeen: ses.SeenAt,
		CheckedAt: ses.CheckedAt, Role: role, Address: ses.RemoteIP, Browser: web.BrowserName(ses.UserAgent), UserAgent: ses.UserAgent}
	if !row.Current && (own || p.Role.Allows(auth.RoleLicenseAdmin)) {
		row.EndAction = sessionsPath + "/" + url.PathEscape(ses.Ref) + "/end"
	}
	return row
}

// handleSignOutEverywhere ends every session of the signed-in person, in every browser.
func (s *Server) handleSignOutEverywhere(w http.ResponseWriter, r *http.Request) error {
	if _, ok := auth.PrincipalFrom(r.Context()); !ok {
		s.signInRequired(w, r)
		return nil
	}
	p, n, err := s.authn.SignOutEverywhere(w, r)
	if err != nil {
		return err
	}
	s.logActivity(r, model.Activity{ActorUPN: p.UPN, ActorName: p.Name, Action: model.ActionSignOutEverywhere,
		Target: p.UPN, TargetName: p.Name, Result: model.ActivityOK, Detail: plural(n, "session", "sessions") + " ended"})
	l := s.layout(auth.WithoutPrincipal(r.Context()), "Signed out everywhere", "") // the sessions just ended
	s.render(w, r, http.StatusOK, web.SignedOutPage(l, web.SignedOutView{SignInURL: loginPath,
		Heading: "You have signed out everywhere",
		Message: web.Plural(n, "Your one session", "All "+plural(n, "session", "sessions")+" of yours") + " ended: every browser signed in as " + p.UPN + " has to sign in again."}))
	return nil
}

// handleEndSession ends one session: one of the person's own, or anyone's for a LicenseAdmin.
func (s *Server) handleEndSession(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, _ := auth.PrincipalFrom(ctx)
	ref := chi.URLParam(r, "ref")
	if !p.Role.Allows(auth.RoleLicenseAdmin) {
		mine, err := s.authn.ActiveSessions(ctx, p.ObjectID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(mine, func(m model.Session) bool { return m.Ref == ref }) {
			s.forbidden(w, r, p, auth.RoleLicenseAdmin)
			return nil
		}
	}
	ses, err := s.authn.EndSession(ctx, ref)
	if isNotFound(err) {
		return &model.NotFoundError{What: "session", Detail: "This session has ended already."}
	} else if err != nil {
		return err
	}
	s.logActivity(r, model.Activity{Action: model.ActionSessionEnd, Target: ses.UPN, TargetName: ses.Name, Result: model.ActivityOK,
		Detail: "session from " + text.FirstNonEmpty(ses.RemoteIP, "an unknown address") + " (" + web.BrowserName(ses.UserAgent) + "), signed in " +
			ses.CreatedAt.UTC().Format("2006-01-02 15:04") + " UTC, ended by " + text.FirstNonEmpty(p.UPN, p.Name)})
	http.Redirect(w, r, sessionsPath+"?ended=1", http.StatusSeeOther)
	return nil
}

// handleEndPersonSessions ends every session of one person (LicenseAdmin).
func (s *Server) handleEndPersonSessions(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	oid := chi.URLParam(r, "oid")
	if !model.ValidObjectRef(oid) {
		return &model.NotFoundError{What: "person", ID: text.Clip(oid, 64), Detail: "No such person has a session."}
	}
	var who model.Session
	if all, err := s.authn.ActiveSessions(ctx, oid); err == nil && len(all) > 0 {
		who = all[0]
	}
	n, err := s.authn.EndSessionsOf(ctx, oid)
	if err != nil {
		return err
	}
	p, _ := auth.PrincipalFrom(ctx)
	s.logActivity(r, model.Activity{Action: model.ActionSessionEnd, Target: text.FirstNonEmpty(who.UPN, oid), TargetName: who.Name,
		Result: model.ActivityOK, Detail: "all " + plural(n, "session", "sessions") + " ended by " + text.FirstNonEmpty(p.UPN, p.Name)})
	http.Redirect(w, r, sessionsPath+"?ended="+strconv.Itoa(n), http.StatusSeeOther)
	return nil
}

// plural is "1 session", "3 sessions".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
