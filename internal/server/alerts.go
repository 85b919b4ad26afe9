package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// The alerts page (/alerts): Readers look at the open alerts, the rules, the channels and the
// history; LicenseAdmins change rules and channels, add channels and send tests (one file per
// action: alerts_rule.go, alerts_channel.go, alerts_sendtest.go; the view in alerts_view.go).

// AlertData is what /alerts reads. *store.Store implements it.
type AlertData interface {
	AlertChannels(ctx context.Context) ([]model.AlertChannel, error)
	AlertRuleSettings(ctx context.Context) (map[string]model.AlertRuleSettings, error)
	AlertHistory(ctx context.Context, q model.AlertHistoryQuery) (model.AlertHistoryPage, error)
	LastAlertTests(ctx context.Context) (map[int64]model.AlertDeliveryRecord, error)
	RemovedAlertChannel(ctx context.Context, id int64) (string, error)
}

// AlertConfig changes the alerts' rules and channels and sends tests, recording each change in
// the activity log. *alerts.Configurator implements it.
type AlertConfig interface {
	AddChannel(ctx context.Context, in alerts.ChannelInput) (model.AlertChannel, error)
	SetChannel(ctx context.Context, in alerts.ChannelChange) error
	SetRule(ctx context.Context, in alerts.RuleChange) error
	SendTest(ctx context.Context, id int64, actor model.Activity) (model.AlertDelivery, error)
	RemoveChannel(ctx context.Context, id int64, actor model.Activity) error
	ConfiguredBy(name string) (setting string, ok bool)
}

const (
	alertsPath = "/alerts"
	// alertsHistoryPage is how many alerts (and tests) a page of the history lists, each with
	// at most alertsEventsShown of its notifications; the open alerts list alertsOpenFirst, or
	// up to alertsOpenAll with ?open=all.
	alertsHistoryPage = 20
	alertsEventsShown = 10
	alertsOpenFirst   = 10
	alertsOpenAll     = 500
)

func alertRuleURL(name string) string       { return alertsPath + "/rules/" + name }
func alertChannelURL(id int64) string       { return alertsPath + "/channels/" + strconv.FormatInt(id, 10) }
func alertChannelAnchor(id int64) string    { return "#channel-" + strconv.FormatInt(id, 10) }
func alertsNotice(key, value string) string { return alertsPath + "?" + key + "=" + value }

// handleAlerts is GET /alerts; ?open=all lists every open alert, ?page= pages the history, ?saved=, ?added= and ?tested= say
// what the last form did.
func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) error {
	v, err := s.alertsView(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, web.AlertsPage(s.layout(r.Context(), "Alerts", "alerts"), v))
	return nil
}

// handleAlertsForm is GET on an alerts form's address (a refused form's page reloaded, or
// bookmarked): the part of /alerts it belongs to.
func (s *Server) handleAlertsForm(w http.ResponseWriter, r *http.Request) {
	to := alertsPath + "#channels"
	if rule := chi.URLParam(r, "rule"); rule != "" {
		to = alertsPath + "#rule-" + url.PathEscape(rule)
	} else if id, err := alertChannelID(chi.URLParam(r, "id")); err == nil {
		to = alertsPath + alertChannelAnchor(id)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// alertsRefused is the page of a refused alerts form: the whole page again, with fix changing
// the form the problem belongs to (typed values kept, secrets never).
func (s *Server) alertsRefused(r *http.Request, err error, fix func(v *web.AlertsView, p *web.FormProblem)) error {
	return onForm(err, func(p *web.FormProblem) templ.Component {
		v, verr := s.alertsView(r)
		if verr != nil {
			s.log.WarnContext(r.Context(), "alerts page after a refused form", "err", verr)
		}
		fix(&v, p)
		return web.AlertsPage(s.layout(r.Context(), "Alerts", "alerts"), v)
	})
}

// alertsForm reads a posted alerts form.
func alertsForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return model.Invalid("The form could not be read: it is too large or malformed.")
	}
	return nil
}

// alertChannelID is the channel of a /alerts/channels/{id} route.
func alertChannelID(raw string) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return 0, &model.NotFoundError{What: "alert channel", ID: clip(raw), Detail: "There is no alert channel " + strconv.Quote(clip(raw)) + "."}
	}
	return id, nil
}

// problemField is the field bad input names ("" when none).
func problemField(err error) string {
	if ie, ok := errors.AsType[*model.InputError](err); ok {
		return ie.Field
	}
	return ""
}

// canConfigureAlerts says whether the request's person may change alerts.
func (s *Server) canConfigureAlerts(r *http.Request) bool { return s.can(r, auth.RoleLicenseAdmin) }

// formOn says whether a checkbox was ticked.
func formOn(r *http.Request, name string) bool { return strings.TrimSpace(r.PostForm.Get(name)) != "" }
