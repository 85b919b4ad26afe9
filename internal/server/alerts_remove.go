package server

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/web"
)

// handleRemoveAlertChannel is POST /alerts/channels/{id}/remove: the channel is sent nothing
// more; the page it leads to says so (what it was sent stays in the history).
func (s *Server) handleRemoveAlertChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := alertChannelID(chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	if err := alertsForm(w, r); err != nil {
		return err
	}
	if err := s.alertConfig.RemoveChannel(r.Context(), id, s.actor(r)); err != nil {
		return s.alertsRefused(r, err, func(v *web.AlertsView, p *web.FormProblem) {
			for i := range v.Channels {
				if c := &v.Channels[i]; c.ID == strconv.FormatInt(id, 10) {
					c.Problem = p
				}
			}
		})
	}
	http.Redirect(w, r, alertsNotice("removed", strconv.FormatInt(id, 10))+"#add-channel", http.StatusSeeOther)
	return nil
}
