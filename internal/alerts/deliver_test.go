package alerts_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
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

// A channel's reminders due together go as one digest naming each alert; an alert that starts
// goes on its own.
func TestDeliverDigest(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	var bodies []string
	rx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
	}))
	defer rx.Close()
	e := jsonChannelEngine(t, st, rx.URL, clock)
	var fired []model.AlertChange
	for _, s := range []string{"a", "b", "c"} {
		fired = append(fired, model.AlertChange{Message: model.AlertMessage{Kind: model.AlertFired, Rule: alerts.RuleGroupErrors, Subject: s, Title: "Group " + s, Since: clock.Now(), At: clock.Now()}})
	}
	if err := st.RecordAlerts(ctx, fired); err != nil {
		t.Fatal(err)
	}
	if done, err := e.Deliver(ctx); err != nil || done.Sent != 3 || len(bodies) != 3 {
		t.Fatalf("fired: %+v, %v, %d bodies", done, err, len(bodies))
	}
	clock.Add(24 * time.Hour)
	open, _ := st.OpenAlerts(ctx)
	var changes []model.AlertChange
	for _, a := range open {
		changes = append(changes, model.AlertChange{ID: a.ID, Message: model.AlertMessage{Kind: model.AlertRepeat, Rule: a.Rule, Subject: a.Subject, Title: a.Title, Since: a.StartedAt, At: clock.Now()}})
	}
	changes = append(changes, model.AlertChange{Message: model.AlertMessage{Kind: model.AlertFired, Rule: alerts.RuleGroupErrors, Subject: "d", Title: "Group d", Since: clock.Now(), At: clock.Now()}})
	if err := st.RecordAlerts(ctx, changes); err != nil {
		t.Fatal(err)
	}
	done, err := e.Deliver(ctx)
	if err != nil || done.Sent != 4 || len(bodies) != 5 {
		t.Fatalf("reminders: %+v, %v, %d bodies", done, err, len(bodies))
	}
	var digest string
	for _, b := range bodies[3:] {
		if strings.Contains(b, `"rule":"digest"`) {
			digest = b
		}
	}
	for _, want := range []string{"3 alerts still open", "Group a", "Group b", "Group c", `"kind":"repeat"`} {
		if !strings.Contains(digest, want) {
			t.Errorf("digest %q lacks %q", digest, want)
		}
	}
	if strings.Contains(digest, "Group d") {
		t.Error("the new alert is in the digest")
	}
	ids := map[string]bool{}
	for _, b := range bodies {
		var m model.AlertMessage
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			t.Fatal(err)
		}
		want := "event-"
		if m.Rule == "digest" {
			want = "digest-"
		}
		if !strings.HasPrefix(m.ID, want) {
			t.Errorf("%s %s: id %q, want %s…", m.Kind, m.Subject, m.ID, want)
		}
		ids[m.ID] = true
	}
	if len(ids) != len(bodies) {
		t.Errorf("%d notifications, %d ids: %v", len(bodies), len(ids), ids)
	}
}

// A notification sent again after a failed attempt has the id it had: the receiver can tell it
// got it before (the answer may be what was lost).
func TestDeliverSameIDOnRetry(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	var ids []string
	rx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m model.AlertMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Error(err)
		}
		ids = append(ids, m.ID)
		if len(ids) == 1 {
			http.Error(w, "took it, then failed", http.StatusBadGateway)
		}
	}))
	defer rx.Close()
	e := jsonChannelEngine(t, st, rx.URL, clock)
	fired := model.AlertChange{Message: model.AlertMessage{Kind: model.AlertFired, Rule: alerts.RuleGroupErrors, Subject: "a", Title: "Group a", Since: clock.Now(), At: clock.Now()}}
	if err := st.RecordAlerts(ctx, []model.AlertChange{fired}); err != nil {
		t.Fatal(err)
	}
	if done, err := e.Deliver(ctx); err != nil || done.Failed != 1 {
		t.Fatalf("first attempt: %+v, %v", done, err)
	}
	clock.Add(2 * time.Minute)
	if done, err := e.Deliver(ctx); err != nil || done.Sent != 1 {
		t.Fatalf("after the backoff: %+v, %v", done, err)
	}
	hist, err := st.RecentDeliveries(ctx, 1)
	if err != nil || len(hist) != 1 {
		t.Fatalf("history %+v, %v", hist, err)
	}
	want := "event-" + strconv.FormatInt(hist[0].EventID, 10) + "-"
	if len(ids) != 2 || ids[0] != ids[1] || !strings.HasPrefix(ids[0], want) {
		t.Fatalf("ids sent %q, want one id %s… twice", ids, want)
	}
}

// jsonChannelEngine is an alert engine on clock whose one channel (in st) posts JSON to url.
func jsonChannelEngine(t *testing.T, st *store.Store, url string, clock *testkit.Clock) *alerts.Engine {
	t.Helper()
	if _, err := st.AddAlertChannel(context.Background(), model.AlertChannel{Name: "rx", Kind: model.ChannelWebhook,
		Format: model.FormatJSON, Secret: url, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	e, err := alerts.New(st, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Now = clock.Now
	return e
}
