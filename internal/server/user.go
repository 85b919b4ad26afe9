package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// ssprService is loggedByService of self-service password reset events.
const ssprService = "Self-service Password Management"

// handleUser serves /users/{id}: one user of the current snapshot (by object id or UPN) with
// every license explained, the license-assigning groups, and live from Graph the user's
// licensing and password reset audit events.
func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(chi.URLParam(r, "id"))
	if id == "" || len(id) > maxIDLen || !utf8.ValidString(id) || s.lic.store == nil {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	u, err := s.lic.store.User(ctx, id)
	if isNotFound(err) {
		s.errorPage(w, r, web.ErrorView{
			Status:  http.StatusNotFound,
			Heading: "User not found",
			Message: "No user with object id or user principal name " + id + " is in the current data. The user may have been deleted or be newer than the data: refresh to read the tenant again, or search by name.",
			BackURL: "/users",
		})
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := web.UserView{User: u, SearchURL: "/users", InError: u.HasLicenseErrors()}
	if info, err := s.store.CurrentSnapshot(ctx); err == nil {
		v.SnapshotAt = info.TakenAt
	}
	events, audit, sspr := s.userAudit(ctx, u.ID)
	v.Audit, v.SSPR = audit, sspr
	ex, err := s.newExplainer(ctx, []model.User{u}, auditDetails(events))
	if err != nil {
		s.log.WarnContext(ctx, "user page: names", "user", u.ID, "err", err)
	}
	v.Licenses = ex.licenses(u)
	v.Groups = userGroups(ex, u)
	if v.Audit.Loaded {
		var lic []model.AuditEvent
		for _, e := range events {
			if isLicensingEvent(e) {
				lic = append(lic, e)
			}
		}
		v.Audit.Rows, v.Audit.More = ex.auditRows(lic, auditShown)
		var pw []model.AuditEvent
		for _, e := range events {
			if isSSPREvent(e) {
				pw = append(pw, e)
			}
		}
		v.SSPR.Rows, v.SSPR.More = ex.auditRows(pw, auditShown)
	}
	l := s.layout(ctx, displayName(firstNonEmpty(u.DisplayName, u.UserPrincipalName)), "users")
	s.render(w, r, http.StatusOK, web.UserPage(l, v))
}

// userGroups are the groups that assign the user a license, by name, those in error first.
func userGroups(ex *explainer, u model.User) []web.GroupLink {
	byID := map[string]*web.GroupLink{}
	var out []*web.GroupLink
	for _, st := range u.LicenseStates {
		if st.Direct() {
			continue
		}
		g, ok := byID[st.AssignedByGroup]
		if !ok {
			g = &web.GroupLink{ID: st.AssignedByGroup, Name: ex.groupName(st.AssignedByGroup), Href: groupURL(st.AssignedByGroup)}
			byID[st.AssignedByGroup] = g
			out = append(out, g)
		}
		if model.NormalizeLicenseError(st.Error) != model.ErrorNone {
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

// userAudit reads the user's audit events from Graph (targetResources/any filter) and splits
// the views into licensing and password reset events; rows are filled by the caller.
func (s *Server) userAudit(ctx context.Context, userID string) ([]model.AuditEvent, web.AuditView, web.AuditView) {
	var lic, pw web.AuditView
	if s.lic.dir == nil {
		return nil, lic, pw
	}
	ctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	since := s.now().Add(-auditWindow)
	lic.Since, pw.Since = since, since
	events, err := s.lic.dir.DirectoryAudits(ctx, AuditQuery{TargetID: userID, Since: since, Max: auditMax})
	if err != nil {
		msg := "The audit log could not be read from Microsoft Graph: " + liveErrorText(err)
		lic.Error, pw.Error = msg, msg
		return nil, lic, pw
	}
	lic.Loaded, pw.Loaded = true, true
	return events, lic, pw
}

func isLicensingEvent(e model.AuditEvent) bool {
	return strings.Contains(strings.ToLower(e.Activity), "license")
}

func isSSPREvent(e model.AuditEvent) bool {
	return strings.EqualFold(e.LoggedByService, ssprService) ||
		strings.Contains(strings.ToLower(e.Activity), "password reset")
}
