package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/alerts/alertstest"
	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// webhookReceiver is a local webhook: it keeps every body posted while up, answers 503 while
// down.
type webhookReceiver struct {
	srv  *httptest.Server
	down atomic.Bool
	mu   sync.Mutex
	got  [][]byte
	// refused counts the posts answered 503.
	refused atomic.Int32
}

func newWebhookReceiver(t *testing.T) *webhookReceiver {
	r := &webhookReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if r.down.Load() {
			r.refused.Add(1)
			http.Error(w, "receiver down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, body)
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted) // as Teams Workflows answers
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// messages are the generic JSON messages received about rule and subject.
func (r *webhookReceiver) messages(t *testing.T, rule, subject string) []model.AlertMessage {
	t.Helper()
	var out []model.AlertMessage
	for _, m := range r.byRule(t, rule) {
		if m.Subject == subject {
			out = append(out, m)
		}
	}
	return out
}

// byRule are the generic JSON messages received from rule.
func (r *webhookReceiver) byRule(t *testing.T, rule string) []model.AlertMessage {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []model.AlertMessage
	for _, b := range r.got {
		var m model.AlertMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("receiver got %q: %v", b, err)
		}
		if m.Rule == rule {
			out = append(out, m)
		}
	}
	return out
}

func (r *webhookReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// Faculty units run out in the simulated tenant: exactly one alert naming the SKU and the
// groups that assign it, whatever the refreshes after; units bought: one "resolved"; out again
// while the receiver is down for three refreshes: delivered once, late, after the backoff, with
// each failure recorded with why.
func TestAlertsFacultyUnitsRunOut(t *testing.T) {
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 18, Users: 400, Groups: 30, LicensedGroups: 10}})
	ctx := context.Background()
	sim := d.Sim.Tenant
	clock := testkit.NewClock(time.Now())
	d.App.Alerts.Now = clock.Now
	faculty := sim.Scenarios.FacultySKU
	subject := "sku:" + model.NormalizeID(faculty)
	refresh := func() {
		t.Helper()
		clock.Add(10 * time.Minute)
		if _, err := d.App.Syncer.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	setUnits := func(n int) {
		t.Helper()
		if err := sim.SetPrepaidUnits(faculty, n); err != nil {
			t.Fatal(err)
		}
	}
	// The seeded tenant starts with faculty used up; units bought before any channel exists.
	setUnits(sim.ConsumedUnits(faculty) + 100)
	refresh()

	rx := newWebhookReceiver(t)
	if _, err := d.App.Store.AddAlertChannel(ctx, model.AlertChannel{Name: "helpdesk", Kind: "webhook", Format: model.FormatJSON, Secret: rx.srv.URL, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	var groupNames []string
	for _, g := range sim.LicensedGroupTruth() {
		if slices.ContainsFunc(g.Licenses, func(l string) bool { return strings.EqualFold(l, faculty) }) {
			groupNames = append(groupNames, g.DisplayName)
		}
	}
	if len(groupNames) == 0 {
		t.Fatal("no simulated group assigns faculty")
	}

	// Run out.
	setUnits(sim.ConsumedUnits(faculty))
	refresh()
	refresh()
	refresh()
	got := rx.messages(t, alerts.RuleSKULow, subject)
	if len(got) != 1 || got[0].Kind != model.AlertFired {
		t.Fatalf("after running out and three refreshes: %+v, want one fired alert", got)
	}
	m := got[0]
	skus, err := d.App.Store.SKUs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(skus, func(s model.SKUUsage) bool { return strings.EqualFold(s.ID, faculty) })
	if i < 0 || skus[i].Name == "" || !strings.Contains(m.Title, skus[i].Name) || !strings.Contains(m.Title, "used up") {
		t.Errorf("title %q does not name %+v as used up", m.Title, skus[i])
	}
	facts := map[string]string{}
	for _, f := range m.Facts {
		facts[f.Name] = f.Value
	}
	for _, g := range groupNames {
		if !strings.Contains(facts["Groups affected"], g) {
			t.Errorf("groups affected %q miss %s", facts["Groups affected"], g)
		}
	}
	if facts["Available"] != "0" || !strings.Contains(m.Link, "/licenses/") {
		t.Errorf("facts %v, link %q", facts, m.Link)
	}

	// Units bought.
	setUnits(sim.ConsumedUnits(faculty) + 50)
	refresh()
	refresh()
	got = rx.messages(t, alerts.RuleSKULow, subject)
	if len(got) != 2 || got[1].Kind != model.AlertResolved || !strings.Contains(got[1].Title, skus[i].Name) {
		t.Fatalf("after buying units: %+v, want the alert then one resolved", got)
	}

	// Out again while the receiver is down for three refreshes.
	rx.down.Store(true)
	setUnits(sim.ConsumedUnits(faculty))
	refresh()
	refresh()
	refresh()
	if n := len(rx.messages(t, alerts.RuleSKULow, subject)); n != 2 {
		t.Fatalf("%d messages while down", n)
	}
	if rx.refused.Load() == 0 {
		t.Fatal("nothing was tried while the receiver was down")
	}
	hist, err := d.App.Store.RecentDeliveries(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	hi := slices.IndexFunc(hist, func(x model.AlertDelivery) bool {
		return x.Message.Subject == subject && x.Message.Kind == model.AlertFired && x.Status == "pending"
	})
	if hi < 0 || !strings.Contains(hist[hi].Error, "503") || !strings.Contains(hist[hi].Error, "receiver down") {
		t.Fatalf("the pending delivery does not say why it failed: %+v", hist)
	}
	if strings.Contains(hist[hi].Error, rx.srv.URL) {
		t.Errorf("the recorded failure shows the webhook URL: %q", hist[hi].Error)
	}
	rx.down.Store(false)
	before := rx.count()
	clock.Add(2 * time.Hour) // past any backoff
	if _, err := d.App.Alerts.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	refresh()
	got = rx.messages(t, alerts.RuleSKULow, subject)
	if len(got) != 3 || got[2].Kind != model.AlertFired || rx.count() < before+1 {
		t.Fatalf("after the receiver came back: %+v, want the new alert delivered once", got)
	}
	if !got[2].At.Before(clock.Now().Add(-2 * time.Hour)) {
		t.Errorf("the late delivery carries %s, not the time the alert fired", got[2].At)
	}
}

// A group's template gains a license that is used up: its members fail, and one alert per
// cause says so, with the license, the users and the fix; reprocessed after units are bought,
// the cause resolves.
func TestAlertsErrorCause(t *testing.T) {
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 19, Users: 400, Groups: 30, LicensedGroups: 10}})
	ctx := context.Background()
	sim := d.Sim.Tenant
	rx := newWebhookReceiver(t)
	if _, err := d.App.Store.AddAlertChannel(ctx, model.AlertChannel{Name: "helpdesk", Kind: "webhook", Format: model.FormatJSON, Secret: rx.srv.URL, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	var group tenantsim.GroupTruth
	for _, g := range sim.LicensedGroupTruth() {
		if g.Errors == 0 && g.Users > group.Users && !slices.ContainsFunc(g.Licenses, func(l string) bool { return strings.EqualFold(l, sim.Scenarios.FacultySKU) }) {
			group = g
		}
	}
	if group.Users == 0 {
		t.Fatal("no licensed group without errors")
	}
	by := tenantsim.Actor{AppID: "test", DisplayName: "test"}
	if _, err := sim.AssignGroupLicenses(group.ID, []tenantsim.License{{SKUID: sim.Scenarios.FacultySKU}}, nil, by); err != nil {
		t.Fatal(err)
	}
	sim.AdvanceProcessing()
	if _, err := d.App.Syncer.Run(ctx); err != nil {
		t.Fatal(err)
	}
	causes := rx.byRule(t, alerts.RuleErrorCause)
	// The seeded A1 group's shortage of the same license was open before the channel existed:
	// only the group that newly fails is news.
	if len(causes) != 1 {
		t.Fatalf("%d cause alerts, want one: %+v", len(causes), causes)
	}
	m := causes[0]
	if m.Kind != model.AlertFired || !strings.Contains(m.Title, "Not enough licenses") || !strings.Contains(m.Title, group.DisplayName) ||
		!strings.Contains(m.Title, fmt.Sprintf("%d users", group.Users)) || m.Fix == "" || !strings.Contains(m.Link, "/groups/") {
		t.Errorf("cause alert %+v does not name the cause, the group (%s) and its %d users", m, group.DisplayName, group.Users)
	}
	if _, err := d.App.Syncer.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(rx.byRule(t, alerts.RuleErrorCause)); n != 1 {
		t.Fatalf("%d cause alerts after another refresh, want still one", n)
	}
}

// The same run-out told by email: a real SMTP server (go-smtp, STARTTLS, a login) gets one mail
// naming the SKU; a second server that refuses the login gets none, and its delivery records the
// refusal (535, why) and waits for its next try.
func TestAlertsByEmail(t *testing.T) {
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 18, Users: 400, Groups: 30, LicensedGroups: 10}})
	ctx := context.Background()
	sim := d.Sim.Tenant
	faculty := sim.Scenarios.FacultySKU
	if err := sim.SetPrepaidUnits(faculty, sim.ConsumedUnits(faculty)+100); err != nil {
		t.Fatal(err)
	}
	if _, err := d.App.Syncer.Run(ctx); err != nil {
		t.Fatal(err)
	}
	good := alertstest.NewSMTPServer(t, "alerts@contoso.edu", "right")
	refusing := alertstest.NewSMTPServer(t, "alerts@contoso.edu", "right")
	pool := good.RootCAs
	pool.AppendCertsFromPEM(refusing.CAPEM)
	d.App.Alerts.Sender.RootCAs = pool
	for _, c := range []struct {
		name, password string
		srv            *alertstest.SMTPServer
	}{{"helpdesk mail", "right", good}, {"stale password", "old", refusing}} {
		_, err := d.App.Store.AddAlertChannel(ctx, model.AlertChannel{Name: c.name, Kind: model.ChannelEmail, Secret: c.password, Enabled: true,
			Email: model.EmailSettings{Host: c.srv.Host, Port: c.srv.Port, Security: model.SMTPStartTLS, Username: "alerts@contoso.edu",
				From: "alerts@contoso.edu", To: []string{"helpdesk@contoso.edu"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.SetPrepaidUnits(faculty, sim.ConsumedUnits(faculty)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := d.App.Syncer.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	skus, err := d.App.Store.SKUs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(skus, func(s model.SKUUsage) bool { return strings.EqualFold(s.ID, faculty) })
	var mails []string
	for _, m := range good.Messages() {
		if strings.Contains(string(m.Data), "used up") {
			mails = append(mails, string(m.Data))
		}
	}
	if len(mails) != 1 || !strings.Contains(mails[0], skus[i].Name) {
		t.Fatalf("%d run-out mails, want one naming %s: %q", len(mails), skus[i].Name, mails)
	}
	if n := len(refusing.Messages()); n != 0 || refusing.AuthFailures() == 0 {
		t.Fatalf("the refusing server got %d mails after %d refused logins", n, refusing.AuthFailures())
	}
	hist, err := d.App.Store.RecentDeliveries(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	hi := slices.IndexFunc(hist, func(x model.AlertDelivery) bool {
		return x.Channel.Name == "stale password" && x.Message.Subject == "sku:"+model.NormalizeID(faculty)
	})
	if hi < 0 || hist[hi].Status != "pending" || !strings.Contains(hist[hi].Error, "535") {
		t.Fatalf("the refused delivery: %+v", hist)
	}
}
