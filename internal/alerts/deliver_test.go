package alerts_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// One channel down does not hold up another; its deliveries wait out the backoff (one attempt
// per round, not one per delivery), then all go, each once.
func TestDeliverAroundADownChannel(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	var upHits, downHits atomic.Int32
	var down atomic.Bool
	down.Store(true)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { upHits.Add(1) }))
	defer up.Close()
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		downHits.Add(1)
		if down.Load() {
			http.Error(w, "busy", http.StatusTooManyRequests)
		}
	}))
	defer flaky.Close()
	for _, c := range []model.AlertChannel{
		{Name: "up", Kind: "webhook", Format: model.FormatSlack, Secret: up.URL, Enabled: true},
		{Name: "flaky", Kind: "webhook", Format: model.FormatTeams, Secret: flaky.URL, Enabled: true},
	} {
		if _, err := st.AddAlertChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	e, err := alerts.New(st, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Now = clock.Now
	var changes []model.AlertChange
	for _, s := range []string{"group:a", "group:b", "group:c"} {
		changes = append(changes, model.AlertChange{Message: model.AlertMessage{Kind: model.AlertFired, Rule: alerts.RuleGroupErrors, Subject: s, Title: s, Since: clock.Now(), At: clock.Now()}})
	}
	if err := st.RecordAlerts(ctx, changes); err != nil {
		t.Fatal(err)
	}
	done, err := e.Deliver(ctx)
	if err != nil || done.Sent != 3 || done.Failed != 1 || upHits.Load() != 3 || downHits.Load() != 1 {
		t.Fatalf("first round: %+v, %v; up %d, flaky %d", done, err, upHits.Load(), downHits.Load())
	}
	clock.Add(30 * time.Second)
	if done, _ := e.Deliver(ctx); done != (alerts.Delivered{}) {
		t.Fatalf("within the backoff: %+v", done)
	}
	down.Store(false)
	clock.Add(31 * time.Second)
	done, err = e.Deliver(ctx)
	if err != nil || done.Sent != 3 || done.Failed != 0 || downHits.Load() != 4 {
		t.Fatalf("after the backoff: %+v, %v; flaky hit %d times", done, err, downHits.Load())
	}
	clock.Add(24 * time.Hour)
	if done, _ := e.Deliver(ctx); done != (alerts.Delivered{}) || upHits.Load() != 3 || downHits.Load() != 4 {
		t.Fatalf("sent ones went again: %+v", done)
	}
	hist, err := st.RecentDeliveries(ctx, 10)
	if err != nil || len(hist) != 6 {
		t.Fatalf("history %+v, %v", hist, err)
	}
	for _, d := range hist {
		if d.Status != "sent" {
			t.Errorf("delivery %d to %s: %s (%s)", d.ID, d.Channel.Name, d.Status, d.Error)
		}
	}
}
