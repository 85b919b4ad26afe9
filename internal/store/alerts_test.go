package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

// An alert's life in the store: fired with a delivery per enabled channel, repeated, resolved;
// a failed attempt keeps the delivery pending until its next try, a sent one leaves the outbox.
func TestAlertsOutbox(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	teams, err := st.AddAlertChannel(ctx, model.AlertChannel{Name: "Teams", Kind: "webhook", Format: model.FormatTeams, Secret: "https://x/1", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddAlertChannel(ctx, model.AlertChannel{Name: "Off", Kind: "webhook", Format: model.FormatJSON, Secret: "https://x/2"}); err != nil {
		t.Fatal(err)
	}
	var ie *model.InputError
	if _, err := st.AddAlertChannel(ctx, model.AlertChannel{Name: "Teams", Kind: "webhook", Format: model.FormatJSON, Secret: "https://x/3"}); !errors.As(err, &ie) {
		t.Fatalf("a second channel named Teams: %v, want an input error", err)
	}

	fired := model.AlertMessage{Kind: model.AlertFired, Rule: "sku-low", Subject: "sku:a", Title: "A1 for faculty is used up", Since: t0, At: t0}
	if err := st.RecordAlerts(ctx, []model.AlertChange{{Message: fired, Level: 3}}); err != nil {
		t.Fatal(err)
	}
	open, err := st.OpenAlerts(ctx)
	if err != nil || len(open) != 1 || open[0].Subject != "sku:a" || !open[0].StartedAt.Equal(t0) || open[0].Level != 3 {
		t.Fatalf("open alerts = %+v, %v", open, err)
	}
	due, err := st.DueDeliveries(ctx, t0, 10)
	if err != nil || len(due) != 1 || due[0].Channel.ID != teams.ID || due[0].Message.Title != fired.Title {
		t.Fatalf("due = %+v, %v; want one delivery to Teams (the disabled channel gets none)", due, err)
	}
	// The receiver is down: the delivery stays, due again later, with why.
	if err := st.RecordAttempt(ctx, due[0].ID, t0, 503, "HTTP 503 Service Unavailable", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if due, _ := st.DueDeliveries(ctx, t0.Add(30*time.Second), 10); len(due) != 0 {
		t.Fatalf("due before its retry time: %+v", due)
	}
	due, _ = st.DueDeliveries(ctx, t0.Add(time.Minute), 10)
	if len(due) != 1 || due[0].Attempts != 1 || due[0].Error != "HTTP 503 Service Unavailable" {
		t.Fatalf("due at its retry = %+v", due)
	}
	if err := st.RecordAttempt(ctx, due[0].ID, t0.Add(time.Minute), 200, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if due, _ := st.DueDeliveries(ctx, t0.Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("a sent delivery is still due: %+v", due)
	}
	if err := st.RecordAttempt(ctx, due[0].ID, t0.Add(time.Hour), 200, "", time.Time{}); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("a second attempt of a sent delivery: %v, want not found", err)
	}

	repeat := fired
	repeat.Kind, repeat.At = model.AlertRepeat, t0.Add(24*time.Hour)
	resolved := model.AlertMessage{Kind: model.AlertResolved, Rule: "sku-low", Subject: "sku:a", Title: "Resolved", Since: t0, At: t0.Add(25 * time.Hour)}
	if err := st.RecordAlerts(ctx, []model.AlertChange{{ID: open[0].ID, Message: repeat, Level: 13}}); err != nil {
		t.Fatal(err)
	}
	if open, _ := st.OpenAlerts(ctx); len(open) != 1 || !open[0].LastSentAt.Equal(repeat.At) || open[0].Level != 13 {
		t.Fatalf("after the repeat: %+v", open)
	}
	if err := st.RecordAlerts(ctx, []model.AlertChange{{ID: open[0].ID, Message: resolved}}); err != nil {
		t.Fatal(err)
	}
	if open, _ := st.OpenAlerts(ctx); len(open) != 0 {
		t.Fatalf("after resolved: %+v", open)
	}
	// Resolving it twice is refused, and the whole batch with it.
	if err := st.RecordAlerts(ctx, []model.AlertChange{{Message: fired}, {ID: open[0].ID, Message: resolved}}); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("resolving a resolved alert: %v", err)
	}
	if open, _ := st.OpenAlerts(ctx); len(open) != 0 {
		t.Fatalf("a refused batch left %+v", open)
	}
	all, err := st.RecentDeliveries(ctx, 10)
	if err != nil || len(all) != 3 || all[0].Message.Kind != model.AlertResolved || all[2].Status != "sent" {
		t.Fatalf("history = %+v, %v", all, err)
	}
}

// A removed channel is sent nothing more: what was queued for it is dropped, it leaves the list
// (its name free again), and what it was sent keeps its name in the history.
func TestRemoveAlertChannel(t *testing.T) {
	ctx := context.Background()
	st, ch, t0 := teamsChannel(t)
	m := model.AlertMessage{Kind: model.AlertFired, Rule: "sku-low", Subject: "sku:a", Title: "A1 used up", Since: t0, At: t0}
	if err := st.RecordAlerts(ctx, []model.AlertChange{{Message: m}}); err != nil {
		t.Fatal(err)
	}
	due, _ := st.DueDeliveries(ctx, t0, 10)
	if err := st.RecordAttempt(ctx, due[0].ID, t0, 200, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	m2 := m
	m2.Subject, m2.Title = "sku:b", "E5 used up"
	if err := st.RecordAlerts(ctx, []model.AlertChange{{Message: m2}}); err != nil {
		t.Fatal(err)
	}
	due, _ = st.DueDeliveries(ctx, t0, 10)
	if err := st.RecordAttempt(ctx, due[0].ID, t0, 503, "down", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveAlertChannel(ctx, ch.ID); err != nil {
		t.Fatal(err)
	}
	if due, _ := st.DueDeliveries(ctx, t0.Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("due to a removed channel: %+v", due)
	}
	if chs, _ := st.AlertChannels(ctx); len(chs) != 0 {
		t.Errorf("listed: %+v", chs)
	}
	if _, err := st.AlertChannel(ctx, ch.ID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("read after removal: %v", err)
	}
	if name, err := st.RemovedAlertChannel(ctx, ch.ID); err != nil || name != "Teams" {
		t.Errorf("removed channel: %q, %v", name, err)
	}
	if err := st.RemoveAlertChannel(ctx, ch.ID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("removed twice: %v", err)
	}
	hist, err := st.RecentDeliveries(ctx, 10)
	if err != nil || len(hist) != 1 || hist[0].Status != "sent" || hist[0].Channel.Name != "Teams" {
		t.Fatalf("history %+v, %v", hist, err)
	}
	again, err := st.AddAlertChannel(ctx, model.AlertChannel{Name: "Teams", Kind: model.ChannelWebhook, Format: model.FormatJSON, Secret: "https://x/2", Enabled: true})
	if err != nil || again.ID == ch.ID {
		t.Fatalf("the name again: %+v, %v", again, err)
	}
	if _, err := st.RemovedAlertChannel(ctx, again.ID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("a channel not removed reads as removed: %v", err)
	}
	if _, err := st.PutAlertChannel(ctx, model.AlertChannel{Name: "Teams", Kind: model.ChannelWebhook, Format: model.FormatSlack, Secret: "https://x/3", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if chs, _ := st.AlertChannels(ctx); len(chs) != 1 || chs[0].ID != again.ID || chs[0].Format != model.FormatSlack {
		t.Errorf("put over the name: %+v", chs)
	}
}

// A delivery claimed by one process is not due to another until the claim runs out; a channel
// test is never due (SendTest sends it).
func TestClaimDelivery(t *testing.T) {
	ctx := context.Background()
	st, ch, t0 := teamsChannel(t)
	if err := st.RecordAlerts(ctx, []model.AlertChange{{Message: model.AlertMessage{Kind: model.AlertFired, Rule: "r", Subject: "s", Title: "T", Since: t0, At: t0}}}); err != nil {
		t.Fatal(err)
	}
	testID, err := st.QueueTest(ctx, ch.ID, model.AlertMessage{Title: "test", At: t0, Since: t0})
	if err != nil {
		t.Fatal(err)
	}
	due, _ := st.DueDeliveries(ctx, t0, 10)
	if len(due) != 1 || due[0].ID == testID {
		t.Fatalf("due %+v: want the alert only, not the test", due)
	}
	id := due[0].ID
	if ok, err := st.ClaimDelivery(ctx, id, t0, t0.Add(time.Minute)); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if ok, _ := st.ClaimDelivery(ctx, id, t0.Add(time.Second), t0.Add(time.Minute)); ok {
		t.Fatal("claimed twice")
	}
	if due, _ := st.DueDeliveries(ctx, t0.Add(time.Second), 10); len(due) != 0 {
		t.Fatalf("a claimed delivery is due: %+v", due)
	}
	if due, _ := st.DueDeliveries(ctx, t0.Add(time.Minute), 10); len(due) != 1 {
		t.Fatal("a claim that ran out (its process died) holds the delivery")
	}
	if err := st.RecordAttempt(ctx, id, t0.Add(2*time.Second), 200, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.ClaimDelivery(ctx, id, t0.Add(time.Hour), t0.Add(2*time.Hour)); ok {
		t.Fatal("a sent delivery claimed")
	}
}

// Switched off, a channel's queue is dropped (it never hears a start without its end); saving
// its settings makes what waited (a backoff, quiet hours) due now.
func TestSetAlertChannelQueue(t *testing.T) {
	ctx := context.Background()
	st, ch, t0 := teamsChannel(t)
	st.Now = func() time.Time { return t0 }
	fireAlert(t, st, "a", t0)
	if err := st.PostponeDeliveries(ctx, ch.ID, t0.Add(8*time.Hour)); err != nil { // quiet until 07:00
		t.Fatal(err)
	}
	if due, _ := st.DueDeliveries(ctx, t0, 10); len(due) != 0 {
		t.Fatal("postponed delivery due")
	}
	if err := st.SetAlertChannel(ctx, ch.ID, true, model.QuietHours{}); err != nil {
		t.Fatal(err)
	}
	if due, _ := st.DueDeliveries(ctx, t0, 10); len(due) != 1 {
		t.Fatal("quiet hours removed: what waited is not due now")
	}
	if err := st.SetAlertChannel(ctx, ch.ID, false, model.QuietHours{}); err != nil {
		t.Fatal(err)
	}
	fireAlert(t, st, "b", t0)
	if err := st.SetAlertChannel(ctx, ch.ID, true, model.QuietHours{}); err != nil {
		t.Fatal(err)
	}
	if due, _ := st.DueDeliveries(ctx, t0.Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("switched off and on: %+v still queued", due)
	}
}

// A new notification to a channel in a backoff waits with what failed, not a fresh minute.
func TestNewDeliveryKeepsTheBackoff(t *testing.T) {
	ctx := context.Background()
	st, _, t0 := teamsChannel(t)
	fireAlert(t, st, "a", t0)
	due, _ := st.DueDeliveries(ctx, t0, 10)
	if err := st.RecordAttempt(ctx, due[0].ID, t0, 503, "down", t0.Add(8*time.Minute)); err != nil {
		t.Fatal(err)
	}
	fireAlert(t, st, "b", t0.Add(time.Minute))
	if due, _ := st.DueDeliveries(ctx, t0.Add(7*time.Minute), 10); len(due) != 0 {
		t.Fatalf("due within the backoff: %+v", due)
	}
	if due, _ := st.DueDeliveries(ctx, t0.Add(8*time.Minute), 10); len(due) != 2 {
		t.Fatalf("after the backoff: %d due, want both", len(due))
	}
}

// teamsChannel is a store with one webhook channel, Teams, and the time the tests start at.
func teamsChannel(t *testing.T) (*store.Store, model.AlertChannel, time.Time) {
	t.Helper()
	st := storetest.Open(t)
	ch, err := st.AddAlertChannel(context.Background(), model.AlertChannel{Name: "Teams", Kind: model.ChannelWebhook, Format: model.FormatJSON, Secret: "https://x/1", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return st, ch, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
}

// fireAlert records an alert about subject starting at at, queued to every channel on.
func fireAlert(t *testing.T, st *store.Store, subject string, at time.Time) {
	t.Helper()
	if err := st.RecordAlerts(context.Background(), []model.AlertChange{{Message: model.AlertMessage{Kind: model.AlertFired, Rule: "r", Subject: subject, Title: subject, Since: at, At: at}}}); err != nil {
		t.Fatal(err)
	}
}
