package server

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// thresholdUnits are the units of the rules' thresholds, by key, as the page shows them after
// the number: for 1 and for other numbers (a test holds every threshold of alerts.Rules() to
// having one).
var thresholdUnits = map[string][2]string{
	"units": {"unit", "units"}, "percent": {"%", "%"}, "errors": {"member", "members"}, "more": {"member more", "members more"}, "more_users": {"user more", "users more"}, "times": {"refresh", "refreshes"},
	"users": {"user", "users"}, "days": {"day", "days"}, "hours": {"hour", "hours"}, "amount": {"a month", "a month"},
}

// thresholdUnit is the unit of threshold key after n.
func thresholdUnit(key string, n int) string {
	u := thresholdUnits[key]
	if n == 1 {
		return u[0]
	}
	return u[1]
}

// alertsView reads everything /alerts shows for the request's person and what its query asks.
func (s *Server) alertsView(r *http.Request) (web.AlertsView, error) {
	ctx := r.Context()
	q := r.URL.Query()
	v := web.AlertsView{CanConfigure: s.canConfigureAlerts(r)}
	limit := alertsOpenFirst
	if q.Get("open") == "all" {
		limit = alertsOpenAll
	}
	open, err := s.alertData.AlertHistory(ctx, model.AlertHistoryQuery{Open: true, Limit: limit, Events: 1})
	if err != nil {
		return v, err
	}
	v.OpenTotal = open.Total
	if open.Total > len(open.Entries) && limit == alertsOpenFirst {
		v.OpenAllHref = alertsPath + "?open=all#open"
	}
	for _, e := range open.Entries {
		m := e.Latest()
		v.Open = append(v.Open, web.OpenAlertView{Title: e.Title, Href: dashboardPath(m.Link), Rule: ruleTitle(e.Rule),
			Summary: m.Summary, Since: e.StartedAt, LastSent: m.At})
	}
	stored, err := s.alertData.AlertRuleSettings(ctx)
	if err != nil {
		return v, err
	}
	saved := q.Get("saved")
	for _, rule := range alerts.Rules() {
		v.Rules = append(v.Rules, ruleView(rule, stored, saved == "rule:"+rule.Name))
	}
	channels, err := s.alertData.AlertChannels(ctx)
	if err != nil {
		return v, err
	}
	tests, err := s.alertData.LastAlertTests(ctx)
	if err != nil {
		return v, err
	}
	for _, c := range channels {
		cv := channelView(c)
		if setting, ok := s.alertConfig.ConfiguredBy(c.Name); ok {
			cv.RemoveAction, cv.Configured = "", setting
			switch {
			case c.Enabled:
			case c.OffByPerson:
				cv.ConfiguredOff = "Switched off here: it stays off when the server starts again, until switched on here."
			default:
				cv.ConfiguredOff = "Off because " + setting + " is not set; on again when it is."
			}
		}
		cv.Saved = saved == "channel:"+cv.ID
		cv.Tested = q.Get("tested") == cv.ID
		if d, ok := tests[c.ID]; ok {
			dv := deliveryView(d)
			cv.LastTest = &dv
		}
		v.Channels = append(v.Channels, cv)
	}
	v.AddWebhook, v.AddEmail = addChannelForms(alerts.ChannelInput{SMTPSecurity: model.SMTPStartTLS, Format: model.FormatTeams})
	if id, err := strconv.ParseInt(q.Get("removed"), 10, 64); err == nil {
		// The name comes from the store, never from the address: a link cannot make the page
		// say a channel was removed.
		if v.Removed, err = s.alertData.RemovedAlertChannel(ctx, id); err != nil && !errors.Is(err, model.ErrNotFound) {
			return v, err
		}
	}
	if id, err := strconv.ParseInt(q.Get("added"), 10, 64); err == nil {
		for _, c := range channels {
			if c.ID == id {
				v.AddWebhook.Added = c.Name
			}
		}
	}
	return v, s.alertHistoryView(r, &v)
}

// alertHistoryView fills in the page of the history ?page= asks for.
func (s *Server) alertHistoryView(r *http.Request, v *web.AlertsView) error {
	asked := parsePageLenient(r.URL.Query().Get("page"))
	read := func(page int) (model.AlertHistoryPage, error) {
		return s.alertData.AlertHistory(r.Context(), model.AlertHistoryQuery{Offset: (page - 1) * alertsHistoryPage,
			Limit: alertsHistoryPage, Events: alertsEventsShown})
	}
	h, err := read(asked)
	if err != nil {
		return err
	}
	win := pageWindow(h.Total, asked, alertsHistoryPage)
	if win.page != asked { // past the last page: show the last
		if h, err = read(win.page); err != nil {
			return err
		}
	}
	v.HistoryTotal = h.Total
	v.Pager = win.pager(func(n int) string {
		if n == 1 {
			return alertsPath + "#history"
		}
		return alertsPath + "?page=" + strconv.Itoa(n) + "#history"
	})
	for _, e := range h.Entries {
		v.History = append(v.History, entryView(e))
	}
	return nil
}

func ruleTitle(name string) string {
	if name == "test" {
		return "Channel test"
	}
	if r, ok := alerts.RuleByName(name); ok {
		return r.Title
	}
	return name
}

// ruleView is a rule with its settings in force (its defaults where none are stored).
func ruleView(r alerts.Rule, stored map[string]model.AlertRuleSettings, saved bool) web.AlertRuleView {
	set := r.Defaults()
	v := web.AlertRuleView{Name: r.Name, Title: r.Title, Description: r.Description, Action: alertRuleURL(r.Name) + "#rule-" + r.Name, Saved: saved}
	if st, ok := stored[r.Name]; ok {
		set = r.StoredSettings(st) // as the engine uses them, also when partly unreadable
		v.Updated = st.UpdatedBy + ", " + web.DateTime(st.UpdatedAt)
	}
	v.Enabled = set.Enabled
	for _, t := range r.Thresholds {
		v.Thresholds = append(v.Thresholds, web.ThresholdView{Key: t.Key, Label: t.Label, Unit: thresholdUnit(t.Key, set.Thresholds[t.Key]),
			Value: strconv.Itoa(set.Thresholds[t.Key]), Default: t.Default, Min: t.Min, Max: t.Max})
	}
	return v
}

var formatLabels = map[string]string{
	model.FormatTeams: "Teams (Adaptive Card, Workflows)", model.FormatSlack: "Slack message", model.FormatJSON: "Generic JSON",
}

var securityLabels = map[string]string{
	model.SMTPStartTLS: "STARTTLS (port 587)", model.SMTPTLS: "TLS (port 465)", model.SMTPNone: "None: a relay on this machine only (port 25)",
}

// channelView is a channel as the page shows it: never its webhook URL or password.
func channelView(c model.AlertChannel) web.AlertChannelView {
	id := strconv.FormatInt(c.ID, 10)
	v := web.AlertChannelView{ID: id, Name: c.Name, Enabled: c.Enabled, Quiet: c.Quiet.String(),
		Action: alertChannelURL(c.ID) + alertChannelAnchor(c.ID), TestAction: alertChannelURL(c.ID) + "/test" + alertChannelAnchor(c.ID), QuietZone: c.Quiet.Zone,
		RemoveAction: alertChannelURL(c.ID) + "/remove"}
	if !c.Quiet.None() {
		v.QuietStart, v.QuietEnd = clockTime(c.Quiet.Start), clockTime(c.Quiet.End)
	}
	switch c.Kind {
	case model.ChannelWebhook:
		v.Kind = "Webhook"
		v.Where = []string{cmp.Or(formatLabels[c.Format], c.Format), alerts.MaskSecret(c.Secret)}
	case model.ChannelEmail:
		e := c.Email
		v.Kind = "Email (SMTP)"
		auth := "no authentication"
		if e.Username != "" {
			auth = "as " + e.Username + " (password stored)"
		}
		v.Where = []string{fmt.Sprintf("%s:%d, %s", e.Host, e.Port, strings.ToUpper(e.Security)), auth,
			"from " + e.From, "to " + strings.Join(e.To, ", ")}
	default:
		v.Kind = c.Kind
	}
	return v
}

// clock is minutes after midnight as "HH:MM".
func clockTime(minutes int) string { return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60) }

// addChannelForms are the two forms that add a channel, filled with in (its secrets never).
func addChannelForms(in alerts.ChannelInput) (webhook, email web.AddChannelForm) {
	base := web.AddChannelForm{Action: alertsPath + "/channels#add-channel", Name: in.Name, QuietStart: in.QuietStart, QuietEnd: in.QuietEnd, QuietZone: in.QuietZone}
	webhook, email = base, base
	webhook.Kind, email.Kind = model.ChannelWebhook, model.ChannelEmail
	for _, f := range []string{model.FormatTeams, model.FormatSlack, model.FormatJSON} {
		webhook.Formats = append(webhook.Formats, web.Option{Value: f, Label: formatLabels[f], Selected: f == in.Format})
	}
	email.SMTPHost, email.SMTPPort, email.User, email.From, email.To = in.SMTPHost, in.SMTPPort, in.SMTPUser, in.From, in.To
	for _, sec := range []string{model.SMTPStartTLS, model.SMTPTLS, model.SMTPNone} {
		email.Securities = append(email.Securities, web.Option{Value: sec, Label: securityLabels[sec], Selected: sec == in.SMTPSecurity})
	}
	return webhook, email
}

var eventLabels = map[string]string{
	model.AlertFired: "Fired", model.AlertRepeat: "Reminder", model.AlertResolved: "Resolved", model.AlertTest: "Test",
}

// entryView is an alert or a channel test of the history.
func entryView(e model.AlertHistoryEntry) web.AlertEntryView {
	v := web.AlertEntryView{ID: "alert-" + strconv.FormatInt(e.AlertID, 10), Title: e.Title, Rule: ruleTitle(e.Rule),
		Started: e.StartedAt, Resolved: e.ResolvedAt, Earlier: e.EventCount - len(e.Events)}
	if e.AlertID == 0 {
		v.IsTest, v.Rule = true, ruleTitle("test")
		if len(e.Events) > 0 {
			v.ID = "test-" + strconv.FormatInt(e.Events[0].ID, 10)
			if ds := e.Events[0].Deliveries; len(ds) > 0 {
				v.Title = "Test of " + ds[0].ChannelName
			}
		}
	}
	// The link of the first notification: a resolved one has none.
	for _, ev := range e.Events {
		if p := dashboardPath(ev.Message.Link); p != "" && v.Href == "" {
			v.Href = p
		}
		ew := web.AlertEventView{Kind: ev.Kind, Label: cmp.Or(eventLabels[ev.Kind], ev.Kind), At: ev.At}
		for _, d := range ev.Deliveries {
			ew.Deliveries = append(ew.Deliveries, deliveryView(d))
		}
		v.Events = append(v.Events, ew)
	}
	if v.IsTest {
		v.Href = "" // the test's link is this page
	}
	return v
}

// deliveryView is how one notification went to one channel.
func deliveryView(d model.AlertDeliveryRecord) web.DeliveryView {
	v := web.DeliveryView{Channel: d.ChannelName, State: "waiting", Attempts: d.Attempts, SentAt: d.SentAt, LastAt: d.LastAttemptAt,
		NextAt: d.NextAt, Error: d.Error, ChannelOff: !d.ChannelEnabled, At: d.EventAt}
	switch {
	case d.Status == "sent":
		v.State = "sent"
	case d.Status == "failed":
		v.State, v.Final = "failed", true
	case d.Attempts > 0:
		v.State = "failed"
	}
	return v
}

// dashboardPath is a notification's link as a path on this dashboard (its host is the
// configured public URL, or none): "" when it is not one.
func dashboardPath(link string) string {
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	if u.RawQuery != "" {
		return u.EscapedPath() + "?" + u.RawQuery
	}
	return u.EscapedPath()
}
