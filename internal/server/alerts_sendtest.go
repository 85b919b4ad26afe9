package server

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/web"
)

// handleSendAlertTest is POST /alerts/channels/{id}/test: a test message sent to the channel
// now; the page it redirects to shows how it went (sent, or failed and why, with the next try).
func (s *Server) handleSendAlertTest(w http.ResponseWriter, r *http.Request) error {
	id, err := alertChannelID(chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	// The outcome (sent, or failed with why) is the channel's last test, shown where this leads.
	if _, err := s.alertConfig.SendTest(r.Context(), id, s.actor(r)); err != nil {
		return s.alertsRefused(r, err, func(v *web.AlertsView, p *web.FormProblem) {
			for i := range v.Channels {
				if c := &v.Channels[i]; c.ID == strconv.FormatInt(id, 10) {
					c.Problem = p
				}
			}
		})
	}
	http.Redirect(w, r, alertsNotice("tested", strconv.FormatInt(id, 10))+alertChannelAnchor(id), http.StatusSeeOther)
	return nil
}
