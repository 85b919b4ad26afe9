package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// handleUser serves /users/{id}: one user of the current snapshot (by object id or UPN) with
// every license explained and its service plans, the license-assigning groups, live from Graph
// the user's licensing and password reset audit events, and for Operators "Reprocess this
// user".
func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.userOfRoute(r)
	if err != nil {
		return err
	}
	v, err := s.userView(r, u)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, web.UserPage(s.layout(r.Context(), userDisplayName(u), "users"), v))
	return nil
}

// userOfRoute is the snapshot's user of a /users/{id} route.
func (s *Server) userOfRoute(r *http.Request) (model.User, error) {
	id := strings.TrimSpace(chi.URLParam(r, "id"))
	if !model.ValidObjectRef(id) {
		return model.User{}, model.UserNotFound(text.Clip(id, model.MaxIDLen))
	}
	u, err := s.store.User(r.Context(), id)
	if isNotFound(err) {
		return u, model.UserNotFound(id)
	}
	return u, err
}

func (s *Server) userView(r *http.Request, u model.User) (web.UserView, error) {
	ctx := r.Context()
	v := web.UserView{User: u, SearchURL: "/users", InError: u.HasLicenseErrors(),
		CanReprocess: s.can(r, auth.RoleOperator), ReprocessAction: userURL(u.ID) + "/reprocess"}
	if v.CanReprocess {
		v.ReprocessBlocked = s.ops.ReprocessBlocked(ctx)
	}
	if info, err := s.store.CurrentSnapshot(ctx); err == nil {
		v.SnapshotAt = info.TakenAt
	}
	lu := s.live.User(ctx, u.ID)
	ex, err := licensing.LoadExplainer(ctx, s.store, []model.User{u}, lu.All)
	if err != nil {
		s.logFailure(ctx, "user page: names", err, "user", u.ID)
	}
	if err := ex.CountDisabledHolders(ctx, s.store); err != nil {
		s.log.WarnContext(ctx, "user page: disabled holders", "user", u.ID, "err", err)
	}
	for _, l := range ex.Licenses(u) {
		lv := licenseViews([]licensing.ExplainedLicense{l})[0]
		lv.Plans = ex.Plans(l)
		v.Licenses = append(v.Licenses, lv)
	}
	v.Groups = userGroups(ex, u)
	v.Audit = auditView(ex, lu.Licensing, lu.Since, lu.Err)
	v.SSPR = auditView(ex, lu.PasswordReset, lu.Since, lu.Err)
	return v, nil
}

// handleUserReprocess is POST /users/{id}/reprocess: reprocess this one user's license
// assignments (Operator) as a background job, whose page shows the outcome.
func (s *Server) handleUserReprocess(w http.ResponseWriter, r *http.Request) error {
	u, err := s.userOfRoute(r)
	if err != nil {
		return err
	}
	spec, err := s.ops.ReprocessUsersJob(r.Context(), []string{u.ID})
	if err == nil {
		return s.startJob(w, r, spec)
	}
	a := model.Activity{Action: model.ActionReprocess, Target: u.ID, TargetName: userDisplayName(u)}
	return s.refuseWrite(r, a, err, func(p *web.FormProblem) templ.Component {
		v, verr := s.userView(r, u)
		if verr != nil {
			s.logFailure(r.Context(), "user page after a refused reprocess", verr, "user", u.ID)
		}
		v.Problem = p
		return web.UserPage(s.layout(r.Context(), userDisplayName(u), "users"), v)
	})
}

// userGroups are the groups that assign the user a license, by name, those in error first.
func userGroups(ex *licensing.Explainer, u model.User) []web.GroupLink {
	byID := map[string]*web.GroupLink{}
	var out []*web.GroupLink
	for _, st := range u.LicenseStates {
		if st.Direct() {
			continue
		}
		g, ok := byID[st.AssignedByGroup]
		if !ok {
			g = &web.GroupLink{ID: st.AssignedByGroup, Name: ex.GroupName(st.AssignedByGroup), Href: groupURL(st.AssignedByGroup)}
			byID[st.AssignedByGroup] = g
			out = append(out, g)
		}
		if st.InError() {
			g.Errors++
		}
	}
	slices.SortStableFunc(out, func(a, b *web.GroupLink) int {
		if (a.Errors > 0) != (b.Errors > 0) {
			if a.Errors > 0 {
				return -1
			}
			return 1
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	links := make([]web.GroupLink, len(out))
	for i, g := range out {
		links[i] = *g
	}
	return links
}
