package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tenantdesk/tenantdesk/internal/server"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/web"
)

// Reprocess of 500 users against a throttling simulator, through the web handler: every user
// gets exactly one outcome, none lost or duplicated, and a user Graph does not know is
// reported as refused.
func TestReprocess500UsersUnderThrottling(t *testing.T) {
	d := startDemo(t, tenantsim.Options{
		Config:           tenantsim.Config{Seed: 21, Users: 800, Groups: 40, LicensedGroups: 12},
		ThrottleRequests: 40,
		ThrottleWindow:   time.Second,
	})
	ctx := context.Background()
	var ids []string
	for off := 0; len(ids) < 498; off += 200 {
		res, err := d.App.Store.SearchUsers(ctx, "", off, 200)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range res.Users {
			if len(ids) < 498 {
				ids = append(ids, u.ID)
			}
		}
	}
	const ghost = "00000000-dead-4000-8000-000000000000"
	form := url.Values{"scope": {"selected"}, "user": append(append([]string{}, ids...), ids[7], ghost)}

	srv, err := server.New(server.Deps{Store: d.App.Store, Syncer: d.App.Syncer, Directory: NewDirectory(d.App.Graph),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	group := d.Sim.Tenant.Scenarios.A1Group
	before := d.Sim.Stats().Total.Throttled

	start := time.Now()
	req := httptest.NewRequest("POST", "/groups/"+group+"/reprocess", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("reprocess: %d %s", rec.Code, rec.Body.String())
	}
	took := time.Since(start)
	throttled := d.Sim.Stats().Total.Throttled - before
	if throttled == 0 {
		t.Error("the simulator throttled nothing: the test did not exercise throttling")
	}

	loc := strings.TrimSuffix(rec.Header().Get("Location"), "#reprocess-result")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", loc, nil))
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	status := map[string]string{}
	doc.Find("#outcomes tbody tr").Each(func(_ int, r *goquery.Selection) {
		id := r.AttrOr("data-id", "")
		seen[id]++
		status[id] = r.AttrOr("data-status", "")
	})
	if len(seen) != len(ids)+1 {
		t.Errorf("%d users have an outcome, want %d", len(seen), len(ids)+1)
	}
	for _, id := range append(ids, ghost) {
		if seen[id] != 1 {
			t.Errorf("user %s has %d outcomes", id, seen[id])
		}
	}
	for id, s := range status {
		if id == ghost && s != web.OutcomeRefused {
			t.Errorf("unknown user: outcome %q, want refused", s)
		}
		if id != ghost && s == web.OutcomeRefused {
			t.Errorf("user %s refused", id)
		}
	}
	t.Logf("reprocess of %d users (+1 duplicate, +1 unknown) under 40 req/s throttling: %s, %d requests throttled",
		len(ids), took.Round(time.Millisecond), throttled)
}
