package server

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/web"
)

// handleSetAlertRule is POST /alerts/rules/{rule}: a rule on or off and its thresholds; bad
// input is shown on the rule's form with what was typed.
func (s *Server) handleSetAlertRule(w http.ResponseWriter, r *http.Request) error {
	if err := alertsForm(w, r); err != nil {
		return err
	}
	name := chi.URLParam(r, "rule")
	in := alerts.RuleChange{Rule: name, Enabled: formOn(r, "enabled"), Thresholds: map[string]string{}, Actor: s.actor(r)}
	if rule, ok := alerts.RuleByName(name); ok {
		for _, t := range rule.Thresholds {
			if v, ok := r.PostForm["threshold-"+t.Key]; ok && len(v) > 0 {
				in.Thresholds[t.Key] = v[0]
			}
		}
	}
	if err := s.alertConfig.SetRule(r.Context(), in); err != nil {
		return s.alertsRefused(r, err, func(v *web.AlertsView, p *web.FormProblem) {
			for i := range v.Rules {
				rv := &v.Rules[i]
				if rv.Name != name {
					continue
				}
				rv.Problem, rv.Enabled = p, in.Enabled
				for j := range rv.Thresholds {
					if typed, ok := in.Thresholds[rv.Thresholds[j].Key]; ok {
						rv.Thresholds[j].Value = typed
					}
				}
			}
		})
	}
	http.Redirect(w, r, alertsNotice("saved", url.QueryEscape("rule:"+name))+"#rule-"+url.PathEscape(name), http.StatusSeeOther)
	return nil
}
