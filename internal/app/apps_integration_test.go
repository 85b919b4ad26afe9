package app_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/server"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// operatorHandler is the dashboard of d with every request signed in as an Operator.
func operatorHandler(t *testing.T, d *app.Demo) http.Handler {
	t.Helper()
	srv, err := server.New(server.Deps{Store: d.App.Store, Activity: d.App.Store, Syncer: d.App.Syncer,
		Auth: authtest.SignedIn(auth.RoleOperator), Operations: d.App.Assign, Jobs: d.App.Jobs, Templates: d.App.Templates, Live: d.App.Live, IP: d.App.IP, Licenses: d.App.Licenses, Health: d.App.Health, SSPR: d.App.SSPR,
		AlertData: d.App.Store, AlertConfig: d.App.AlertConfig, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Handler()
}

func getPage(t *testing.T, h http.Handler, path string) *goquery.Document {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// The dashboard offers exactly what the app registration it connects with may do: with the full
// app (the README's permissions) an Operator reprocesses; with the license-only app
// (LicenseAssignment.ReadWrite.All, enough for template changes, not for reprocess) and the
// read-only app the reprocess buttons are disabled naming User.ReadWrite.All, and a crafted
// POST is refused before Graph is asked.
func TestDashboardOffersWhatEachAppMay(t *testing.T) {
	const lacks = "Reprocess is not available: the app lacks User.ReadWrite.All (or instead Directory.ReadWrite.All)."
	for _, tc := range []struct {
		app     string
		blocked bool
	}{
		{tenantsim.AppFull, false},
		{tenantsim.AppLicenseOnly, true},
		{tenantsim.AppReadOnly, true},
	} {
		t.Run(tc.app, func(t *testing.T) {
			d := apptest.StartDemoAs(t, tenantsim.Options{Config: tenantsim.Config{Seed: 5, Users: 200, Groups: 30, LicensedGroups: 10}}, tc.app)
			h := operatorHandler(t, d)
			a1 := "/groups/" + d.Sim.Tenant.Scenarios.A1Group
			doc := getPage(t, h, a1)
			banner := strings.Join(strings.Fields(doc.Find("#reprocess-blocked").Text()), " ")
			_, selDisabled := doc.Find("#reprocess-selected").Attr("disabled")
			_, allDisabled := doc.Find("#reprocess-all").Attr("disabled")
			if doc.Find("#reprocess-all").Length() != 1 {
				t.Fatal("no reprocess button for an Operator")
			}
			if tc.blocked {
				if banner != lacks || !selDisabled || !allDisabled {
					t.Fatalf("banner %q, buttons disabled %v %v; want %q and both disabled", banner, selDisabled, allDisabled, lacks)
				}
			} else if banner != "" || selDisabled || allDisabled {
				t.Fatalf("full app: banner %q, buttons disabled %v %v", banner, selDisabled, allDisabled)
			}

			before := d.Sim.Stats().Routes["POST /users/{id}/reprocessLicenseAssignment"].Batched
			req := httptest.NewRequest("POST", a1+"/reprocess", strings.NewReader(url.Values{"scope": {"all"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code == http.StatusSeeOther {
				waitJobPage(t, h, rec.Header().Get("Location"))
			}
			after := d.Sim.Stats().Routes["POST /users/{id}/reprocessLicenseAssignment"].Batched
			if tc.blocked {
				if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "User.ReadWrite.All") || after != before {
					t.Fatalf("blocked reprocess POST: %d, %d reprocess calls reached Graph: %s", rec.Code, after-before, rec.Body)
				}
				return
			}
			if rec.Code != http.StatusSeeOther || after == before {
				t.Fatalf("full app reprocess POST: %d, %d reprocess calls: %s", rec.Code, after-before, rec.Body)
			}
		})
	}
}

// The group and user pages show ActiveWithError and Disabled licenses of the seeded scenarios
// with their states in words and explained, read through the real SDK from the simulator.
func TestPagesShowEveryLicenseState(t *testing.T) {
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 6, Users: 300, Groups: 40, LicensedGroups: 12}})
	h := operatorHandler(t, d)
	sc := d.Sim.Tenant.Scenarios
	const e3, visio, flow = "6fd2c87f-b296-42f0-b197-1e91e994b900", "c5928f49-12ba-48f7-ada3-0d743a3601d5", "f30db892-07e9-47e9-837c-80727f46fd3d"
	card := func(s *goquery.Selection) (label, summary string) {
		return strings.TrimSpace(s.Find(".badge[data-state]").Text()), strings.TrimSpace(s.Find(".summary").Text())
	}

	doc := getPage(t, h, "/groups/"+sc.ActiveWithErrorGroup)
	rows := doc.Find("#error-users tbody tr")
	if rows.Length() < 2 {
		t.Fatalf("architects group lists %d users in error", rows.Length())
	}
	rows.Each(func(_ int, tr *goquery.Selection) {
		label, summary := card(tr.Find(`li[data-sku="` + e3 + `"]`))
		if label != "Active with error" || !strings.HasPrefix(summary, "Still active, but blocked by all-or-none: Visio Plan 2 failed: not enough licenses") {
			t.Errorf("E3: %q %q", label, summary)
		}
		label, summary = card(tr.Find(`li[data-sku="` + visio + `"]`))
		if label != "Error" || !strings.HasPrefix(summary, "Not enough licenses: Visio Plan 2 has 0 available, its ") || !strings.Contains(summary, "in the grace period") {
			t.Errorf("Visio: %q %q", label, summary)
		}
	})
	arch, _ := rows.First().Attr("data-id")

	doc = getPage(t, h, "/groups/"+sc.DisabledGroup)
	if n := strings.TrimSpace(doc.Find("#error-count").Text()); n != "0" {
		t.Errorf("pilot group: %s in error, want 0", n)
	}
	rows = doc.Find("#disabled-users tbody tr")
	if rows.Length() < 2 || strings.TrimSpace(doc.Find("#disabled-count").Text()) != fmt.Sprint(rows.Length()) {
		t.Fatalf("pilot group: %d rows with disabled licenses, count %q", rows.Length(), doc.Find("#disabled-count").Text())
	}
	rows.Each(func(_ int, tr *goquery.Selection) {
		if label, summary := card(tr.Find(`li[data-sku="` + flow + `"]`)); label != "Disabled" ||
			summary != "Microsoft Power Automate Free is assigned but disabled: the subscription is suspended" {
			t.Errorf("Power Automate: %q %q", label, summary)
		}
	})
	pilot, _ := rows.First().Attr("data-id")

	for id, want := range map[string]string{arch: "Active with error", pilot: "Disabled"} {
		doc := getPage(t, h, "/users/"+id)
		var labels []string
		doc.Find("#license-table .badge[data-state]").Each(func(_ int, s *goquery.Selection) { labels = append(labels, strings.TrimSpace(s.Text())) })
		if !slices.Contains(labels, want) {
			t.Errorf("user page of %s: states %v, want %q among them", id, labels, want)
		}
	}
}

// With Entra ID's audit latency (ten minutes here), the group page after a reprocess says the
// events of that change may still be on their way, and does not list them yet although the
// simulator has written them; before the reprocess it says no such thing.
func TestGroupPageSaysAuditEventsMayBeOnTheirWay(t *testing.T) {
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 8, Users: 200, Groups: 30, LicensedGroups: 10, AuditDelay: 10 * time.Minute}})
	h := operatorHandler(t, d)
	a1 := "/groups/" + d.Sim.Tenant.Scenarios.A1Group
	first := getPage(t, h, a1)
	if n := first.Find("#audit .audit-pending").Length(); n != 0 {
		t.Fatal("the group page says events are on their way before anything was changed")
	}
	rowsBefore := first.Find("#audit tbody tr").Length()
	before := len(d.Sim.Tenant.AuditLog())
	req := httptest.NewRequest("POST", a1+"/reprocess", strings.NewReader(url.Values{"scope": {"all"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("reprocess: %d %s", rec.Code, rec.Body)
	}
	waitJobPage(t, h, rec.Header().Get("Location"))
	written := d.Sim.Tenant.AuditLog()[before:]
	if len(written) == 0 {
		t.Fatal("the reprocess wrote no audit event")
	}
	doc := getPage(t, h, a1)
	if got := strings.Join(strings.Fields(doc.Find("#audit .audit-pending").Text()), " "); !strings.Contains(got, "the audit events of that change may still be on their way") {
		t.Fatalf("after the reprocess the audit section says %q", got)
	}
	if rows := doc.Find("#audit tbody tr").Length(); rows != rowsBefore {
		t.Errorf("%d audit rows after the reprocess, %d before: its %d events are listed already", rows, rowsBefore, len(written))
	}
}
