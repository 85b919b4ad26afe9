package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

// The history reads every alert and channel test newest first, each alert's notifications
// oldest first (the newest few when asked), and for each its deliveries per channel by name:
// sent, or pending with the failed attempts, the last error, the last attempt and the next try.
func TestAlertHistory(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	teams, err := st.AddAlertChannel(ctx, model.AlertChannel{Name: "Teams", Kind: "webhook", Format: model.FormatTeams, Secret: "https://x/1", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	mail, err := st.AddAlertChannel(ctx, model.AlertChannel{Name: "Helpdesk mail", Kind: "email", Secret: "pw", Enabled: true,
		Email: model.EmailSettings{Host: "smtp.example", Port: 587, Security: model.SMTPStartTLS, From: "a@example.com", To: []string{"b@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := st.AlertHistory(ctx, model.AlertHistoryQuery{Limit: 10}); err != nil || p.Total != 0 || len(p.Entries) != 0 {
		t.Fatalf("empty history = %+v, %v", p, err)
	}

	fired := model.AlertMessage{Kind: model.AlertFired, Rule: "sku-low", Subject: "sku:a", Title: "A1 for faculty is used up", Link: "/licenses/a", Since: t0, At: t0}
	other := model.AlertMessage{Kind: model.AlertFired, Rule: "group-errors", Subject: "group:g", Title: "Staff: 3 members in error", Since: t0.Add(time.Hour), At: t0.Add(time.Hour)}
	if err := st.RecordAlerts(ctx, []model.AlertChange{{Message: fired}}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordAlerts(ctx, []model.AlertChange{{Message: other}}); err != nil {
		t.Fatal(err)
	}
	open, _ := st.OpenAlerts(ctx)
	skuAlert := open[0].ID
	// Teams takes the first notification; the mail server refuses twice.
	due, err := st.DueDeliveries(ctx, t0.Add(2*time.Hour), 10)
	if err != nil || len(due) != 4 {
		t.Fatalf("due = %d, %v", len(due), err)
	}
	for _, d := range due {
		switch {
		case d.Channel.ID == teams.ID:
			if err := st.RecordAttempt(ctx, d.ID, t0.Add(2*time.Hour), 200, "", time.Time{}); err != nil {
				t.Fatal(err)
			}
		case d.Message.Subject == "sku:a":
			for i := range 2 {
				at := t0.Add(2*time.Hour + time.Duration(i)*time.Minute)
				if err := st.RecordAttempt(ctx, d.ID, at, 535, fmt.Sprintf("535 authentication failed (%d)", i+1), at.Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for i := 1; i <= 3; i++ { // three reminders, then resolved
		m := fired
		m.Kind, m.At = model.AlertRepeat, t0.Add(time.Duration(i)*24*time.Hour)
		if err := st.RecordAlerts(ctx, []model.AlertChange{{ID: skuAlert, Message: m}}); err != nil {
			t.Fatal(err)
		}
	}
	res := model.AlertMessage{Kind: model.AlertResolved, Rule: "sku-low", Subject: "sku:a", Title: "Resolved: A1", Since: t0, At: t0.Add(100 * time.Hour)}
	if err := st.RecordAlerts(ctx, []model.AlertChange{{ID: skuAlert, Message: res}}); err != nil {
		t.Fatal(err)
	}
	test := model.AlertMessage{Title: "tenantdesk can reach this channel", Rule: "test", Subject: "channel:1", At: t0.Add(101 * time.Hour), Since: t0.Add(101 * time.Hour)}
	if _, err := st.QueueTest(ctx, teams.ID, test); err != nil {
		t.Fatal(err)
	}

	p, err := st.AlertHistory(ctx, model.AlertHistoryQuery{Limit: 10, Events: 3})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 3 || len(p.Entries) != 3 {
		t.Fatalf("history: total %d, %d entries; want the two alerts and the test", p.Total, len(p.Entries))
	}
	tst, grp, sku := p.Entries[0], p.Entries[1], p.Entries[2]
	if tst.AlertID != 0 || tst.Title != test.Title || len(tst.Events) != 1 || tst.Events[0].Kind != model.AlertTest {
		t.Errorf("newest entry = %+v, want the test", tst)
	}
	if d := tst.Events[0].Deliveries; len(d) != 1 || d[0].ChannelName != "Teams" || d[0].Status != "pending" || d[0].Attempts != 0 {
		t.Errorf("the test's delivery = %+v, want one pending to Teams", d)
	}
	if grp.Rule != "group-errors" || !grp.ResolvedAt.IsZero() || grp.EventCount != 1 {
		t.Errorf("second entry = %+v", grp)
	}
	if sku.AlertID != skuAlert || !sku.StartedAt.Equal(t0) || !sku.ResolvedAt.Equal(res.At) || sku.EventCount != 5 {
		t.Fatalf("oldest entry = %+v", sku)
	}
	var kinds []string
	for _, e := range sku.Events {
		kinds = append(kinds, e.Kind)
	}
	if fmt.Sprint(kinds) != "[repeat repeat resolved]" {
		t.Errorf("the newest three notifications, oldest first: %v", kinds)
	}
	if sku.Latest().Kind != model.AlertResolved {
		t.Errorf("latest = %+v", sku.Latest())
	}
	// All of them, with the first notification's deliveries by channel name.
	p, err = st.AlertHistory(ctx, model.AlertHistoryQuery{Offset: 2, Limit: 1})
	if err != nil || len(p.Entries) != 1 || p.Total != 3 {
		t.Fatalf("page 3 of 1 = %+v, %v", p, err)
	}
	first := p.Entries[0].Events[0]
	if len(p.Entries[0].Events) != 5 || first.Kind != model.AlertFired || first.Message.Link != "/licenses/a" {
		t.Fatalf("every notification: %+v", p.Entries[0].Events)
	}
	if len(first.Deliveries) != 2 {
		t.Fatalf("deliveries of the first notification: %+v", first.Deliveries)
	}
	m, tm := first.Deliveries[0], first.Deliveries[1]
	if m.ChannelName != "Helpdesk mail" || m.ChannelID != mail.ID || m.Status != "pending" || m.Attempts != 2 ||
		m.Error != "535 authentication failed (2)" || !m.LastAttemptAt.Equal(t0.Add(2*time.Hour+time.Minute)) ||
		!m.NextAt.Equal(t0.Add(2*time.Hour+2*time.Minute)) || !m.ChannelEnabled {
		t.Errorf("mail delivery = %+v", m)
	}
	if tm.ChannelName != "Teams" || tm.Status != "sent" || !tm.SentAt.Equal(t0.Add(2*time.Hour)) || tm.Attempts != 1 {
		t.Errorf("Teams delivery = %+v", tm)
	}

	// Open alerts only: the group's, without the test.
	p, err = st.AlertHistory(ctx, model.AlertHistoryQuery{Open: true, Limit: 10, Events: 1})
	if err != nil || p.Total != 1 || len(p.Entries) != 1 || p.Entries[0].Rule != "group-errors" || p.Entries[0].Latest().Title != other.Title {
		t.Fatalf("open = %+v, %v", p, err)
	}

	// Each channel's last test: Teams was tested twice, the mail channel never.
	if _, err := st.QueueTest(ctx, teams.ID, test); err != nil {
		t.Fatal(err)
	}
	tests, err := st.LastAlertTests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) != 1 {
		t.Fatalf("last tests = %+v", tests)
	}
	last := tests[teams.ID]
	p, _ = st.AlertHistory(ctx, model.AlertHistoryQuery{Limit: 1})
	if last.EventID != p.Entries[0].Events[0].ID || last.ChannelName != "Teams" || !last.EventAt.Equal(test.At) {
		t.Errorf("last test of Teams = %+v, want the newest (event %d)", last, p.Entries[0].Events[0].ID)
	}
}
