package server

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// maxIDLen bounds the object id in /groups/{id}; directory ids are 36-character GUIDs.
const maxIDLen = 128

// handleGroup serves /groups/{id}: one licensed group from the current snapshot.
func (s *Server) handleGroup(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(chi.URLParam(r, "id"))
	if id == "" || len(id) > maxIDLen || !utf8.ValidString(id) {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	g, err := s.store.GroupDetail(ctx, id)
	if isNotFound(err) {
		s.errorPage(w, r, web.ErrorView{
			Status:  http.StatusNotFound,
			Heading: "Group not found",
			Message: "No licensed group with object id " + id + " is in the current data. It may have been deleted, stopped assigning licenses, or be newer than the data: refresh to read the tenant again.",
			BackURL: "/groups",
		})
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	g.DisplayName = displayName(g.DisplayName)
	kind := model.Group{GroupTypes: g.GroupTypes, SecurityEnabled: g.SecurityEnabled, MailEnabled: g.MailEnabled}
	l := s.layout(ctx, g.DisplayName, "groups")
	s.render(w, r, http.StatusOK, web.GroupPage(l, web.GroupView{
		Group:     g,
		Kind:      kind.Kind(),
		Dynamic:   kind.Dynamic(),
		ReportURL: "/groups",
	}))
}

// noDataView is the page for what needs a snapshot before the first one exists.
func noDataView() web.ErrorView {
	return web.ErrorView{
		Status:  http.StatusServiceUnavailable,
		Heading: "No data yet",
		Message: "tenantdesk has not taken a snapshot of the tenant yet. Refresh, wait for it to finish, and try again.",
		BackURL: "/",
	}
}
