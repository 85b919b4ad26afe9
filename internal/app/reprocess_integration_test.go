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
	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/server"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
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
		Auth: authtest.SignedIn(auth.RoleOperator), Operations: d.App.Assign, Jobs: d.App.Jobs, Templates: d.App.Templates, Live: d.App.Live, IP: d.App.IP,
		Licenses: d.App.Licenses, Health: d.App.Health, SSPR: d.App.SSPR, AlertData: d.App.Store, AlertConfig: d.App.AlertConfig,
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
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/jobs/") {
		t.Fatalf("reprocess POST: %d to %q %s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	answered := time.Since(start)
	job := rec.Header().Get("Location")
	waitJobPage(t, h, job)
	took := time.Since(start)
	throttled := d.Sim.Stats().Total.Throttled - before
	if throttled == 0 {
		t.Error("the simulator throttled nothing: the test did not exercise throttling")
	}

	// The job's outcomes list one outcome per user.
	seen := map[string]int{}
	for _, row := range jobOutcomes(t, h, job) {
		seen[row[0]]++
		if row[2] != "now licensed" {
			t.Errorf("user %s: outcome %q, want now licensed", row[0], row[2])
		}
	}
	for _, u := range inError {
		if seen[u.ID] != 1 {
			t.Errorf("user %s has %d outcomes, want exactly 1", u.ID, seen[u.ID])
		}
	}
	if len(seen) != len(inError) {
		t.Errorf("%d users have outcomes, %d were in error", len(seen), len(inError))
	}
	page := httptest.NewRecorder()
	h.ServeHTTP(page, httptest.NewRequest("GET", "/groups/"+group.ID, nil))
	doc, err := goquery.NewDocumentFromReader(page.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(doc.Find("#error-count").Text()); got != "0" {
		t.Errorf("error count after reprocess %q, want 0", got)
	}
	t.Logf("reprocess of %d users under 40 req/s throttling: POST answered in %s, job done in %s, %d requests throttled",
		len(inError), answered.Round(time.Millisecond), took.Round(time.Millisecond), throttled)
}

// waitJobPage waits until the job at path has finished, reading its progress as app.js does.
func waitJobPage(t *testing.T, h http.Handler, path string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path+"/progress", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("progress of %s: %d", path, rec.Code)
		}
		if strings.Contains(rec.Body.String(), `"finished":true`) {
			return
		}
	}
	t.Fatalf("job %s did not finish", path)
}

// jobOutcomes are the rows (user id, name, outcome, reason, fix, when) of a job's outcomes file.
func jobOutcomes(t *testing.T, h http.Handler, path string) [][]string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path+"/outcomes.csv", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("outcomes of %s: %d", path, rec.Code)
	}
	rows := testkit.ReadCSV(t, rec.Body.Bytes())
	return rows[1:]
}
