package app_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

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
		Auth: authtest.SignedIn(auth.RoleOperator), Operations: d.App.Assign, Live: d.App.Live, IP: d.App.IP,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
