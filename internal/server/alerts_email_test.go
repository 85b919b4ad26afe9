package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/alerts/alertstest"
)

// An email channel added on the page whose SMTP server refuses the login: "Send a test" shows
// the refusal (535 and the server's words) on the channel and in the history, never the
// password; with the right password the next test is sent.
func TestAlertsEmailRefusedLoginShown(t *testing.T) {
	smtp := alertstest.NewSMTPServer(t, "alerts@example.com", "right-password")
	st := openStore(t, nil)
	deps := testDeps(t, st, nil)
	eng, err := alerts.New(st, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	eng.Now = func() time.Time { return testNow }
	eng.Sender = &alerts.Sender{RootCAs: smtp.RootCAs, Timeout: 10 * time.Second}
	if deps.AlertConfig, err = alerts.NewConfigurator(st, deps.Activity, eng); err != nil {
		t.Fatal(err)
	}
	s, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	add := func(name, password string) string {
		t.Helper()
		res := postForm(t, h, "/alerts/channels", url.Values{"kind": {"email"}, "name": {name}, "smtp_host": {smtp.Host},
			"smtp_port": {strconv.Itoa(smtp.Port)}, "smtp_security": {"starttls"}, "smtp_user": {"alerts@example.com"},
			"smtp_password": {password}, "from": {"alerts@example.com"}, "to": {"helpdesk@example.com"}}, "")
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("add %s: %d %s", name, res.StatusCode, res.body)
		}
		chs, _ := st.AlertChannels(t.Context())
		for _, c := range chs {
			if c.Name == name {
				return strconv.FormatInt(c.ID, 10)
			}
		}
		t.Fatalf("no channel %s", name)
		return ""
	}
	id := add("Helpdesk mail", "stale-password")
	res := postForm(t, h, "/alerts/channels/"+id+"/test", nil, "")
	page := do(t, h, "GET", strings.SplitN(res.Header.Get("Location"), "#", 2)[0], nil)
	if strings.Contains(page.body, "stale-password") {
		t.Fatal("the password is on the page")
	}
	d := page.doc(t)
	got := strings.Join(strings.Fields(d.Find("#channel-"+id+" .test-outcome").Text()), " ")
	if !strings.Contains(got, "failed") || !strings.Contains(got, "535") || !strings.Contains(got, "credentials were incorrect") {
		t.Errorf("the refused login on the channel: %q", got)
	}
	hist := strings.Join(strings.Fields(d.Find(`#history li[data-channel="Helpdesk mail"]`).First().Text()), " ")
	if !strings.Contains(hist, "535") {
		t.Errorf("the refused login in the history: %q", hist)
	}
	if len(smtp.Messages()) != 0 || smtp.AuthFailures() != 1 {
		t.Errorf("%d mails, %d refused logins", len(smtp.Messages()), smtp.AuthFailures())
	}
	id = add("Helpdesk mail 2", "right-password")
	postForm(t, h, "/alerts/channels/"+id+"/test", nil, "")
	if len(smtp.Messages()) != 1 {
		t.Errorf("%d mails after the right password", len(smtp.Messages()))
	}
}
