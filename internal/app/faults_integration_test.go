package app_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// With every request to the simulated Graph failing (fault rate 1), every page of the dashboard
// answers within 3 seconds: those that read Graph live say "Microsoft Graph is not answering"
// and show the snapshot, the others do not notice, and writes start their jobs.
func TestEveryPageAnswersWithGraphFailing(t *testing.T) {
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 3, Users: 300, Groups: 40, LicensedGroups: 12}})
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	admin := ""
	for _, a := range d.Sim.Info().DemoAccounts {
		if strings.HasPrefix(a, "licenseadmin@") {
			admin = a
		}
	}
	if status, _ := authtest.SignIn(t, b, d.URL, admin, "/"); status != http.StatusOK {
		t.Fatalf("sign in: %d", status)
	}
	sc := d.Sim.Tenant.Scenarios
	var userID string
	if res, err := d.App.Store.SearchUsers(t.Context(), "@", 0, 1); err == nil && len(res.Users) == 1 {
		userID = res.Users[0].ID
	}
	samples := d.App.SSPRSamples.SSPRSamples()
	if len(samples) == 0 || userID == "" {
		t.Fatal("the demo has no sample mail or no user")
	}
	mail, err := d.App.SSPRSamples.SSPRSample(samples[0].ID, "genuine")
	if err != nil {
		t.Fatal(err)
	}

	d.Sim.SetKnobs(tenantsim.Knobs{FaultRate: 1})
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, tc := range []struct {
		method, path string
		body         []byte
		status       int
		says         string // a clear message the page must carry, "" when it reads no Graph
	}{
		{"GET", "/groups/" + sc.A1Group, nil, 200, "Microsoft Graph is not answering"},
		{"GET", "/groups/" + sc.ConflictGroup, nil, 200, "Microsoft Graph is not answering"},
		{"GET", "/users/" + userID, nil, 200, "Microsoft Graph is not answering"},
		{"POST", "/api/sspr/verify", mail, 200, "Microsoft Graph is not answering"},
		{"GET", "/", nil, 200, ""},
		{"GET", "/groups", nil, 200, ""},
		{"GET", "/groups.csv", nil, 200, ""},
		{"GET", "/users?q=a", nil, 200, ""},
		{"GET", "/licenses", nil, 200, ""},
		{"GET", "/licenses/" + sc.FacultySKU, nil, 200, ""},
		{"GET", "/ip", nil, 200, ""},
		{"GET", "/sspr", nil, 200, ""},
		{"GET", "/activity", nil, 200, ""},
		{"GET", "/jobs", nil, 200, ""},
		{"GET", "/sessions", nil, 200, ""},
		{"GET", "/readyz", nil, 200, ""},
		{"POST", "/groups/" + sc.A1Group + "/reprocess", []byte("scope=all"), 303, ""},
		{"POST", "/groups/" + sc.ConflictGroup + "/refresh-errors", nil, 303, ""},
		{"POST", "/refresh", nil, 303, ""},
	} {
		req, _ := http.NewRequest(tc.method, d.URL+tc.path, bytes.NewReader(tc.body))
		if tc.method == "POST" {
			req.Header.Set("Origin", d.URL)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if strings.HasPrefix(tc.path, "/api/") {
				req.Header.Set("Content-Type", "message/rfc822")
			}
		}
		start := time.Now()
		res, err := b.Do(req)
		if err != nil {
			t.Errorf("%s %s: %v", tc.method, tc.path, err)
			continue
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		took := time.Since(start)
		t.Logf("%s %s: %d in %v", tc.method, tc.path, res.StatusCode, took.Round(time.Millisecond))
		if res.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d: %.300s", tc.method, tc.path, res.StatusCode, tc.status, body)
		}
		if took > 3*time.Second {
			t.Errorf("%s %s took %v with Graph failing, more than 3 s", tc.method, tc.path, took)
		}
		if tc.says != "" && !strings.Contains(string(body), tc.says) {
			t.Errorf("%s %s does not say %q", tc.method, tc.path, tc.says)
		}
		if loc := res.Header.Get("Location"); tc.status == 303 && strings.HasPrefix(loc, "/jobs/") {
			if res, err := b.Get(d.URL + loc); err != nil || res.StatusCode != 200 {
				t.Errorf("job page %s: %v %v", loc, res, err)
			} else {
				res.Body.Close()
			}
		}
	}
}
