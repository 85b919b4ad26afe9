package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// handleUser serves /users/{id}: one user of the current snapshot (by object id or UPN) with
// every license explained, the license-assigning groups, and live from Graph the user's
// licensing and password reset audit events.
func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) error {
	id := strings.TrimSpace(chi.URLParam(r, "id"))
	if !model.ValidObjectRef(id) {
		return model.UserNotFound(text.Clip(id, model.MaxIDLen))
	}
	ctx := r.Context()
	u, err := s.store.User(ctx, id)
	if isNotFound(err) {
		return model.UserNotFound(id)
	}
	if err != nil {
		return err
	}
	v := web.UserView{User: u, SearchURL: "/users", InError: u.HasLicenseErrors()}
	if info, err := s.store.CurrentSnapshot(ctx); err == nil {
		v.SnapshotAt = info.TakenAt
	}
	lu := s.live.User(ctx, u.ID)
	ex, err := licensing.LoadExplainer(ctx, s.store, []model.User{u}, lu.All)
	if err != nil {
		s.logFailure(ctx, "user page: names", err, "user", u.ID)
	}
	v.Licenses = licenseViews(ex.Licenses(u))
	v.Groups = userGroups(ex, u)
	v.Audit = auditView(ex, lu.Licensing, lu.Since, lu.Err)
	v.SSPR = auditView(ex, lu.PasswordReset, lu.Since, lu.Err)
	v.Timeline = timelineView(ex.Timeline(lu.All, u.LicenseStates), lu.Since, lu.Err)
	s.render(w, r, http.StatusOK, web.UserPage(s.layout(ctx, userDisplayName(u), "users"), v))
	return nil
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
