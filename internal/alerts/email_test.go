package alerts_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/alerts/alertstest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

const smtpPassword = "s3cret-Pa55"

func emailChannel(srv *alertstest.SMTPServer, password string) model.AlertChannel {
	return model.AlertChannel{
		Name: "helpdesk mail", Kind: model.ChannelEmail, Secret: password, Enabled: true,
		Email: model.EmailSettings{Host: srv.Host, Port: srv.Port, Security: model.SMTPStartTLS, Username: "alerts@contoso.edu",
			From: "tenantdesk@contoso.edu", To: []string{"helpdesk@contoso.edu", "ada@contoso.edu"}},
	}
}

func emailMessage() model.AlertMessage {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return model.AlertMessage{
		Kind: model.AlertFired, Rule: alerts.RuleSKULow, Subject: "sku:aaa",
		Title:   "Office 365 A1 for faculty is used up",
		Summary: "Staff <script>alert(1)</script> & others get none.",
		Facts:   []model.Fact{{Name: "Groups affected", Value: "Staff <all>"}},
		Fix:     "Buy more units.", Link: "https://td.example/licenses/aaa", Since: at, At: at,
	}
}

// The mail goes through STARTTLS, authenticated, to every recipient, as plain text and HTML
// with tenant data escaped.
func TestSendEmail(t *testing.T) {
	srv := alertstest.NewSMTPServer(t, "alerts@contoso.edu", smtpPassword)
	s := &alerts.Sender{RootCAs: srv.RootCAs, UserAgent: "tenantdesk/test", Timeout: 10 * time.Second}
	code, err := s.Send(context.Background(), emailChannel(srv, smtpPassword), emailMessage())
	if err != nil || code != 250 {
		t.Fatalf("send: %d, %v", code, err)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].User != "alerts@contoso.edu" || got[0].From != "tenantdesk@contoso.edu" || strings.Join(got[0].To, ",") != "helpdesk@contoso.edu,ada@contoso.edu" {
		t.Fatalf("the server got %+v", got)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if subj := msg.Header.Get("Subject"); subj != "[tenantdesk] Office 365 A1 for faculty is used up" {
		t.Errorf("subject %q", subj)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q, %v", mt, err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // NextPart decodes quoted-printable
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = string(b)
	}
	if text := parts["text/plain"]; !strings.Contains(text, "Staff <script>") || !strings.Contains(text, "Open in tenantdesk: https://td.example/licenses/aaa") {
		t.Errorf("text part %q", text)
	}
	html := parts["text/html"]
	if strings.Contains(html, "<script>") || !strings.Contains(html, "Staff &lt;script&gt;") || !strings.Contains(html, `href="https://td.example/licenses/aaa"`) {
		t.Errorf("html part %q", html)
	}
}

// emailEngine is an engine over st on clock whose sender trusts srv's certificate.
func emailEngine(t *testing.T, st *store.Store, clock *testkit.Clock, srv *alertstest.SMTPServer) *alerts.Engine {
	t.Helper()
	e, err := alerts.New(st, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Now, e.Sender = clock.Now, &alerts.Sender{RootCAs: srv.RootCAs, Timeout: 10 * time.Second}
	return e
}

// recordAlert fires emailMessage now, queued to every channel.
func recordAlert(t *testing.T, st *store.Store, clock *testkit.Clock) {
	t.Helper()
	m := emailMessage()
	m.Since, m.At = clock.Now(), clock.Now()
	if err := st.RecordAlerts(context.Background(), []model.AlertChange{{Message: m}}); err != nil {
		t.Fatal(err)
	}
}

// A server that refuses the password: the reply code and why, never the password.
func TestSendEmailRefusedAuth(t *testing.T) {
	srv := alertstest.NewSMTPServer(t, "alerts@contoso.edu", smtpPassword)
	s := &alerts.Sender{RootCAs: srv.RootCAs, Timeout: 10 * time.Second}
	code, err := s.Send(context.Background(), emailChannel(srv, "wrong-"+smtpPassword), emailMessage())
	if err == nil || code != 535 || !strings.Contains(err.Error(), "credentials were incorrect") || strings.Contains(err.Error(), smtpPassword) {
		t.Fatalf("send: %d, %v", code, err)
	}
	if srv.AuthFailures() != 1 || len(srv.Messages()) != 0 {
		t.Errorf("auth failures %d, messages %d", srv.AuthFailures(), len(srv.Messages()))
	}
}

// STARTTLS is never skipped: a certificate tenantdesk does not trust stops the mail before the
// password is sent.
func TestSendEmailUntrustedCertificate(t *testing.T) {
	srv := alertstest.NewSMTPServer(t, "alerts@contoso.edu", smtpPassword)
	s := &alerts.Sender{Timeout: 10 * time.Second} // system roots: the test's certificate is not among them
	if _, err := s.Send(context.Background(), emailChannel(srv, smtpPassword), emailMessage()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("send: %v", err)
	}
	if srv.AuthFailures() != 0 || len(srv.Messages()) != 0 {
		t.Errorf("auth failures %d, messages %d", srv.AuthFailures(), len(srv.Messages()))
	}
}

// Through the outbox: a refused login is recorded as a failed attempt with the reply code and
// why, retried after the backoff; once the password is right the alert goes once.
func TestDeliverEmailRefusedAuthRecorded(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	srv := alertstest.NewSMTPServer(t, "alerts@contoso.edu", smtpPassword)
	ch, err := st.AddAlertChannel(ctx, emailChannel(srv, "wrong"))
	if err != nil {
		t.Fatal(err)
	}
	e := emailEngine(t, st, clock, srv)
	recordAlert(t, st, clock)
	if done, err := e.Deliver(ctx); err != nil || done.Failed != 1 {
		t.Fatalf("deliver: %+v, %v", done, err)
	}
	hist, err := st.RecentDeliveries(ctx, 10)
	if err != nil || len(hist) != 1 || hist[0].Status != "pending" || hist[0].Attempts != 1 || !strings.Contains(hist[0].Error, "535") && !strings.Contains(hist[0].Error, "credentials") {
		t.Fatalf("history %+v, %v", hist, err)
	}
	if strings.Contains(hist[0].Error, "wrong") {
		t.Errorf("the recorded error shows the password: %q", hist[0].Error)
	}
	ch.Secret = smtpPassword
	if _, err := st.PutAlertChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	clock.Add(2 * time.Minute)
	if done, err := e.Deliver(ctx); err != nil || done.Sent != 1 {
		t.Fatalf("after the fix: %+v, %v", done, err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d mails, want 1", n)
	}
}

// A channel in its quiet hours is sent nothing, no attempt counted; what was due goes at their
// end.
func TestDeliverQuietHours(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	// 23:30 in Berlin (UTC+1 in March).
	clock := testkit.NewClock(time.Date(2026, 3, 2, 22, 30, 0, 0, time.UTC))
	srv := alertstest.NewSMTPServer(t, "", "")
	ch := emailChannel(srv, "")
	ch.Email.Username = ""
	ch.Quiet = model.QuietHours{Start: 22 * 60, End: 7 * 60, Zone: "Europe/Berlin"}
	if _, err := st.AddAlertChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	e := emailEngine(t, st, clock, srv)
	recordAlert(t, st, clock)
	if done, err := e.Deliver(ctx); err != nil || done.Quiet != 1 || done.Sent != 0 {
		t.Fatalf("in quiet hours: %+v, %v", done, err)
	}
	clock.Add(7 * time.Hour) // 06:30 Berlin: still quiet, and nothing is due before 07:00
	if done, _ := e.Deliver(ctx); done != (alerts.Delivered{}) {
		t.Fatalf("before the end: %+v", done)
	}
	clock.Add(31 * time.Minute)
	if done, err := e.Deliver(ctx); err != nil || done.Sent != 1 {
		t.Fatalf("after the end: %+v, %v", done, err)
	}
	hist, _ := st.RecentDeliveries(ctx, 1)
	if len(hist) != 1 || hist[0].Attempts != 1 || len(srv.Messages()) != 1 {
		t.Errorf("history %+v, %d mails", hist, len(srv.Messages()))
	}
}

// "Send a test" goes at once, quiet hours or not, is tried once, and its failure is the
// delivery's and the activity log's: never retried behind the person's back.
func TestSendTestEmailOnceWithItsOutcome(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	clock := testkit.NewClock(time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC))
	srv := alertstest.NewSMTPServer(t, "alerts@contoso.edu", smtpPassword)
	ch := emailChannel(srv, "wrong")
	ch.Quiet = model.QuietHours{Start: 22 * 60, End: 7 * 60}
	ch, err := st.AddAlertChannel(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	e := emailEngine(t, st, clock, srv)
	c, err := alerts.NewConfigurator(st, st, e)
	if err != nil {
		t.Fatal(err)
	}
	actor := model.Activity{ActorUPN: "ada@contoso.edu", ActorName: "Ada Admin"}
	d, err := c.SendTest(ctx, ch.ID, actor)
	if err != nil || d.Status != "failed" || d.Attempts != 1 || !strings.Contains(d.Error, "535") {
		t.Fatalf("test: %+v, %v", d, err)
	}
	clock.Add(24 * time.Hour)
	if done, _ := e.Deliver(ctx); done != (alerts.Delivered{}) || srv.AuthFailures() != 1 {
		t.Fatalf("a failed test was tried again: %+v, %d logins", done, srv.AuthFailures())
	}
	ch.Secret = smtpPassword
	if _, err := st.PutAlertChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if d, err := c.SendTest(ctx, ch.ID, actor); err != nil || d.Status != "sent" || len(srv.Messages()) != 1 {
		t.Fatalf("second test: %+v, %v, %d mails", d, err, len(srv.Messages()))
	}
	if !strings.Contains(string(srv.Messages()[0].Data), "A test sent by Ada Admin") {
		t.Errorf("mail %q", srv.Messages()[0].Data)
	}
	page, err := st.ListActivity(ctx, model.ActivityFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, a := range page.Entries {
		if a.Action == model.ActionAlertTest {
			results = append(results, a.Result)
			if strings.Contains(a.Detail, "wrong") {
				t.Errorf("the activity log shows the password: %q", a.Detail)
			}
		}
	}
	if strings.Join(results, ",") != model.ActivityOK+","+model.ActivityFailed {
		t.Errorf("activity results (newest first) %v", results)
	}
}
