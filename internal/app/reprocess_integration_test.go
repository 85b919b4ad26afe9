package app_test

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

	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/server"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// Reprocess of 500+ users against a throttling simulator, end to end through the web form: a
// large group is put into error (a full SKU added to its template), the snapshot shows it, an
// Operator reprocesses "all in error", and every user gets exactly one outcome — none lost,
// none duplicated — with the group at 0 errors afterwards.
func TestReprocess500UsersUnderThrottling(t *testing.T) {
	d := apptest.StartDemo(t, tenantsim.Options{
		Config:           tenantsim.Config{Seed: 21, Users: 1800, Groups: 60, LicensedGroups: 20},
		ThrottleRequests: 40,
		ThrottleWindow:   time.Second,
	})
	ctx := context.Background()
	sim := d.Sim.Tenant

	// The licensed group with the most users; every member fails once the full faculty SKU
	// joins its template (all-or-none).
	var group tenantsim.GroupTruth
	for _, g := range sim.LicensedGroupTruth() {
		if g.Users > group.Users {
			group = g
		}
	}
	if group.Users < 500 {
		t.Fatalf("largest licensed group has %d users; the test needs 500", group.Users)
	}
	by := tenantsim.Actor{AppID: "test", DisplayName: "test"}
	if _, err := sim.AssignGroupLicenses(group.ID, []tenantsim.License{{SKUID: sim.Scenarios.FacultySKU}}, nil, by); err != nil {
		t.Fatal(err)
	}
	sim.AdvanceProcessing()
	if _, err := d.App.Syncer.Run(ctx); err != nil {
		t.Fatal(err)
	}
	inError, err := d.App.Store.UsersInErrorForGroup(ctx, group.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(inError) < 500 {
		t.Fatalf("%d users in error in %s, want at least 500", len(inError), group.DisplayName)
	}
	if err := sim.SetPrepaidUnits(sim.Scenarios.FacultySKU, 1_000_000); err != nil {
		t.Fatal(err)
	}

	srv, err := server.New(server.Deps{Store: d.App.Store, Activity: d.App.Store, Syncer: d.App.Syncer,
		Auth: authtest.SignedIn(auth.RoleOperator), Operations: d.App.Assign, Templates: d.App.Templates, Live: d.App.Live, IP: d.App.IP, Licenses: d.App.Licenses, SSPR: d.App.SSPR,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	before := d.Sim.Stats().Total.Throttled
	start := time.Now()
	req := httptest.NewRequest("POST", "/groups/"+group.ID+"/reprocess", strings.NewReader(url.Values{"scope": {"all"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("reprocess POST: %d %s", rec.Code, rec.Body.String())
	}
	took := time.Since(start)
	throttled := d.Sim.Stats().Total.Throttled - before
	if throttled == 0 {
		t.Error("the simulator throttled nothing: the test did not exercise throttling")
	}

	// The result page lists one outcome per user.
	loc, _, _ := strings.Cut(rec.Header().Get("Location"), "#") // a browser keeps the fragment to itself
	page := httptest.NewRecorder()
	h.ServeHTTP(page, httptest.NewRequest("GET", loc, nil))
	if page.Code != http.StatusOK {
		t.Fatalf("result page %s: %d", loc, page.Code)
	}
	doc, err := goquery.NewDocumentFromReader(page.Body)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	doc.Find("#outcomes tbody tr[data-id]").Each(func(_ int, tr *goquery.Selection) {
		id, _ := tr.Attr("data-id")
		seen[id]++
		if st, _ := tr.Attr("data-status"); st != string(assign.StatusLicensed) {
			t.Errorf("user %s: outcome %q, want licensed", id, st)
		}
	})
	if len(seen) == 0 {
		t.Fatalf("no outcomes on the result page:\n%s", doc.Find("main").Text())
	}
	for _, u := range inError {
		if seen[u.ID] != 1 {
			t.Errorf("user %s has %d outcomes, want exactly 1", u.ID, seen[u.ID])
		}
	}
	if len(seen) != len(inError) {
		t.Errorf("%d users have outcomes, %d were in error", len(seen), len(inError))
	}
	if got := strings.TrimSpace(doc.Find("#error-count").Text()); got != "0" {
		t.Errorf("error count after reprocess %q, want 0", got)
	}
	t.Logf("reprocess of %d users under 40 req/s throttling: %s, %d requests throttled",
		len(inError), took.Round(time.Millisecond), throttled)
}
