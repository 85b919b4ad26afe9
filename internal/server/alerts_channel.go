package server

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// handleAddAlertChannel is POST /alerts/channels: a new webhook or email channel. Bad input is
// shown on its form with what was typed, except the webhook URL and the password (secrets are
// never written into a page).
func (s *Server) handleAddAlertChannel(w http.ResponseWriter, r *http.Request) error {
	if err := alertsForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	in := alerts.ChannelInput{Name: f.Get("name"), Kind: f.Get("kind"), Format: f.Get("format"), URL: f.Get("url"),
		SMTPHost: f.Get("smtp_host"), SMTPPort: f.Get("smtp_port"), SMTPSecurity: f.Get("smtp_security"),
		SMTPUser: f.Get("smtp_user"), SMTPPassword: f.Get("smtp_password"), From: f.Get("from"), To: f.Get("to"),
		QuietStart: f.Get("quiet_start"), QuietEnd: f.Get("quiet_end"), QuietZone: f.Get("quiet_zone"), Actor: s.actor(r)}
	ch, err := s.alertConfig.AddChannel(r.Context(), in)
	if err != nil {
		field := problemField(err)
		return s.alertsRefused(r, err, func(v *web.AlertsView, p *web.FormProblem) {
			typed := in
			typed.URL, typed.SMTPPassword = "", ""
			wh, em := addChannelForms(typed)
			if in.Kind == model.ChannelEmail {
				em.Problem, em.ProblemField = p, field
				v.AddEmail = em
			} else {
				wh.Problem, wh.ProblemField = p, field
				if field != "url" && in.URL != "" {
					wh.URLNote = "Type the URL again."
				}
				v.AddWebhook = wh
			}
		})
	}
	http.Redirect(w, r, alertsNotice("added", strconv.FormatInt(ch.ID, 10))+alertChannelAnchor(ch.ID), http.StatusSeeOther)
	return nil
}

// handleSetAlertChannel is POST /alerts/channels/{id}: a channel on or off and its quiet hours.
func (s *Server) handleSetAlertChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := alertChannelID(chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	if err := alertsForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	in := alerts.ChannelChange{ID: id, Enabled: formOn(r, "enabled"), QuietStart: f.Get("quiet_start"), QuietEnd: f.Get("quiet_end"),
		QuietZone: f.Get("quiet_zone"), Actor: s.actor(r)}
	if err := s.alertConfig.SetChannel(r.Context(), in); err != nil {
		return s.alertsRefused(r, err, func(v *web.AlertsView, p *web.FormProblem) {
			for i := range v.Channels {
				if c := &v.Channels[i]; c.ID == strconv.FormatInt(id, 10) {
					c.Problem, c.Enabled = p, in.Enabled
					c.QuietStart, c.QuietEnd, c.QuietZone = in.QuietStart, in.QuietEnd, in.QuietZone
				}
			}
		})
	}
	http.Redirect(w, r, alertsNotice("saved", "channel:"+strconv.FormatInt(id, 10))+alertChannelAnchor(id), http.StatusSeeOther)
	return nil
}
