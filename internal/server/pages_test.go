package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/licensereport"
	"github.com/tenantdesk/tenantdesk/internal/live"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/snapshot"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/web"
)

func texts(s *goquery.Selection) []string {
	var out []string
	s.Each(func(_ int, x *goquery.Selection) { out = append(out, strings.Join(strings.Fields(x.Text()), " ")) })
	return out
}

func TestOverview(t *testing.T) {
	h := reportServer(t)
	res := do(t, h, "GET", "/", nil)
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	d := res.doc(t)
	var pairs []string
	d.Find("#totals > div").Each(func(_ int, s *goquery.Selection) {
		pairs = append(pairs, s.Find("dt").Text()+" "+s.Find("dd").Text())
	})
	totals := strings.Join(pairs, " | ")
	for _, want := range []string{"Users 4", "Licensed users 1", "Users with license errors 3",
		"Licensed groups 123", "Groups with errors 1", "Groups not processed 1", "Subscriptions 4"} {
		if !strings.Contains(totals, want) {
			t.Errorf("totals %q lack %q", totals, want)
		}
	}
	if got := d.Find("#error-groups a[title]").First(); got.Text() != "A1 Students and Faculty" || got.AttrOr("href", "") != "/groups/"+groupA1 {
		t.Errorf("error group %q -> %q", got.Text(), got.AttrOr("href", ""))
	}
	if got := texts(d.Find("#pending-groups tbody tr")); len(got) != 1 || !strings.Contains(got[0], "Queued") {
		t.Errorf("pending groups %q", got)
	}
	if got := texts(d.Find("#full-skus li")); len(got) != 1 || !strings.HasPrefix(got[0], "Office 365 A1 for faculty: 500 of 500 used") {
		t.Errorf("full SKUs %q", got)
	}
	if got := texts(d.Find("#nearly-full-skus li")); len(got) != 1 || !strings.HasPrefix(got[0], "Microsoft 365 E5") {
		t.Errorf("nearly full SKUs %q", got)
	}
	if got := texts(d.Find("#warning-skus li")); len(got) != 1 || !strings.HasPrefix(got[0], "THREAT_INTELLIGENCE") {
		t.Errorf("warning SKUs %q (name falls back to the part number)", got)
	}
	if n := d.Find("#skus tbody tr").Length(); n != 4 {
		t.Errorf("%d SKU rows", n)
	}
	if strings.Contains(d.Find("#attention").Text(), skuFaculty) {
		t.Error("GUID shown as text where a name is known")
	}
	if got := d.Find("a[aria-current=page]").Text(); got != "Overview" {
		t.Errorf("active nav %q", got)
	}
}

func TestClassifySKUs(t *testing.T) {
	sku := func(name, status string, consumed, enabled, warning int, appliesTo string) model.SKUUsage {
		return model.SKUUsage{Name: name, SKU: model.SKU{ID: name, CapabilityStatus: status, ConsumedUnits: consumed,
			AppliesTo: appliesTo, Prepaid: model.PrepaidUnits{Enabled: enabled, Warning: warning}}}
	}
	all, full, nearly, warning := classifySKUs([]model.SKUUsage{
		sku("over", "Enabled", 510, 500, 0, "User"),
		sku("exact", "Enabled", 500, 500, 0, "User"),
		sku("ninety-five", "Enabled", 95, 100, 0, "User"),
		sku("ninety", "Enabled", 90, 100, 0, "User"),
		sku("free", "Enabled", 0, 0, 0, "User"),
		sku("tenant", "Enabled", 1, 1, 0, "Company"),
		sku("grace", "Warning", 5, 0, 10, "User"),
		sku("suspended", "Suspended", 0, 0, 0, "User"),
	})
	if n := len(all); n != 8 {
		t.Errorf("all = %d", n)
	}
	check := func(label string, got []string, want string) {
		t.Helper()
		if strings.Join(got, ",") != want {
			t.Errorf("%s = %q, want %q", label, strings.Join(got, ","), want)
		}
	}
	check("full", skuNames(full), "exact,over")
	check("nearly", skuNames(nearly), "ninety-five")
	check("warning", skuNames(warning), "grace,suspended")
}

func skuNames(vs []web.SKUView) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}

func TestGroupPage(t *testing.T) {
	h := reportServer(t)
	res := do(t, h, "GET", "/groups/"+groupHostile, nil)
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	d := res.doc(t)
	if got := d.Find("h1#group-name").Text(); got != hostileName {
		t.Errorf("name %q", got)
	}
	if got := d.Find("#group-id").Text(); got != groupHostile {
		t.Errorf("id %q", got)
	}
	if got := strings.TrimSpace(d.Find("#group-type").Text()); got != "Security" {
		t.Errorf("type %q", got)
	}
	if got := d.Find("#processing").Text(); got != "Queued" {
		t.Errorf("processing %q", got)
	}
	if got := d.Find("#member-count").Text(); got != "2 (2 users)" {
		t.Errorf("members %q", got)
	}
	if got := d.Find("#template tbody tr td span[title]").First(); got.Text() != "Microsoft 365 E5" || got.AttrOr("title", "") != skuE5 {
		t.Errorf("template SKU %q (%q)", got.Text(), got.AttrOr("title", ""))
	}
	if got := d.Find("#template ul.plans li"); got.Text() != "Microsoft Teams" || got.AttrOr("title", "") != planTeams {
		t.Errorf("disabled plan %q (%q)", got.Text(), got.AttrOr("title", ""))
	}
	if got := d.Find("a[aria-current=page]").Text(); got != "Groups" {
		t.Errorf("active nav %q", got)
	}
	if got := d.Find("title").Text(); got != hostileName+" · tenantdesk" {
		t.Errorf("title %q", got)
	}

	d = do(t, h, "GET", "/groups/"+groupStaff, nil).doc(t)
	if got := strings.Join(strings.Fields(d.Find("#group-type").Text()), " "); got != "Security Dynamic membership" {
		t.Errorf("type %q", got)
	}
	if got := d.Find("#membership-rule").Text(); got != `user.department -eq "Staff"` {
		t.Errorf("rule %q", got)
	}
	if got := d.Find("#errors p").Text(); got != "No member of this group is in license error." {
		t.Errorf("errors %q", got)
	}
	d = do(t, h, "GET", "/groups/"+groupA1, nil).doc(t)
	if got := d.Find("#error-count").Text(); got != "3" {
		t.Errorf("error count %q", got)
	}
	if got := d.Find("#template tbody tr").Length(); got != 2 {
		t.Errorf("%d template rows", got)
	}
}

func TestNotFoundPages(t *testing.T) {
	h := reportServer(t)
	for _, target := range []string{
		"/groups/00000000-0000-0000-0000-000000000000", "/groups/" + strings.Repeat("x", 500),
		"/groups/%ff%fe", "/no/such/page", "/static/abc/nothing.css", "/groups/",
	} {
		res := do(t, h, "GET", target, nil)
		if res.StatusCode != 404 {
			t.Errorf("%s: status %d", target, res.StatusCode)
			continue
		}
		d := res.doc(t)
		if d.Find("nav[aria-label=Main]").Length() != 1 || d.Find(".error-page h1").Length() != 1 {
			t.Errorf("%s: 404 page without layout", target)
		}
	}
	d := do(t, h, "GET", "/groups/00000000-0000-0000-0000-000000000000", nil).doc(t)
	if got := d.Find(".error-page h1").Text(); got != "Group not found" {
		t.Errorf("heading %q", got)
	}
	res := do(t, h, "DELETE", "/groups", nil)
	if res.StatusCode != 405 || res.doc(t).Find(".error-page h1").Text() != "Method not allowed" {
		t.Errorf("DELETE /groups: %d", res.StatusCode)
	}
	if res := do(t, h, "GET", "/refresh", nil); res.StatusCode != 405 {
		t.Errorf("GET /refresh: %d, want 405 (refresh is POST only)", res.StatusCode)
	}
	if res := do(t, h, "HEAD", "/healthz", nil); res.StatusCode != 200 {
		t.Errorf("HEAD /healthz: %d", res.StatusCode)
	}
}

func TestPanicAndStoreErrorsRender500(t *testing.T) {
	var logs bytes.Buffer
	fs := &fakeStore{
		overview: func() (model.Overview, error) { panic("boom in overview") },
		groupReport: func(model.GroupReportQuery) (model.GroupReportPage, error) {
			return model.GroupReportPage{}, errors.New("database is locked")
		},
		groupDetail: func(string) (model.GroupDetail, error) { return model.GroupDetail{}, errors.New("no such table") },
	}
	h := newServer(t, fs, nil, &logs).Handler()
	for _, target := range []string{"/", "/groups", "/groups/x"} {
		res := do(t, h, "GET", target, nil)
		if res.StatusCode != 500 {
			t.Errorf("%s: status %d", target, res.StatusCode)
			continue
		}
		d := res.doc(t)
		if d.Find(".error-page h1").Text() != "Something went wrong" || d.Find("nav[aria-label=Main]").Length() != 1 {
			t.Errorf("%s: 500 page without layout", target)
		}
		for _, secret := range []string{"boom", "locked", "no such table", "goroutine"} {
			if strings.Contains(res.body, secret) {
				t.Errorf("%s: page shows internals (%q)", target, secret)
			}
		}
	}
	for _, want := range []string{"boom in overview", "stack=", "database is locked", "no such table", "status=500"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestNoDataYet(t *testing.T) {
	st := openStore(t, nil)
	h := newServer(t, st, nil, nil).Handler()
	for _, target := range []string{"/", "/groups"} {
		res := do(t, h, "GET", target, nil)
		if res.StatusCode != 200 {
			t.Errorf("%s: status %d", target, res.StatusCode)
		}
		d := res.doc(t)
		if d.Find("#no-data").Length() != 1 || strings.TrimSpace(d.Find("#data-age").Text()) != "No data yet" {
			t.Errorf("%s: no empty state", target)
		}
	}
	if res := do(t, h, "GET", "/groups.csv", nil); res.StatusCode != 503 {
		t.Errorf("csv before first sync: %d", res.StatusCode)
	}
	if res := do(t, h, "GET", "/groups/"+groupA1, nil); res.StatusCode != 404 {
		t.Errorf("group before first sync: %d", res.StatusCode)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	st := openStore(t, nil)
	h := newServer(t, st, nil, nil).Handler()
	if res := do(t, h, "GET", "/healthz", nil); res.StatusCode != 200 {
		t.Errorf("healthz %d", res.StatusCode)
	}
	res := do(t, h, "GET", "/readyz", nil)
	if res.StatusCode != 503 || !strings.Contains(res.body, "no snapshot") {
		t.Errorf("readyz before a snapshot: %d %q", res.StatusCode, res.body)
	}
	if err := st.SaveSnapshot(context.Background(), 0, testSnapshot()); err != nil {
		t.Fatal(err)
	}
	if res := do(t, h, "GET", "/readyz", nil); res.StatusCode != 200 {
		t.Errorf("readyz with a snapshot: %d %q", res.StatusCode, res.body)
	}
	st.Close()
	res = do(t, h, "GET", "/readyz", nil)
	if res.StatusCode != 503 || !strings.Contains(res.body, "database") {
		t.Errorf("readyz with a closed database: %d %q", res.StatusCode, res.body)
	}
	if res := do(t, h, "GET", "/healthz", nil); res.StatusCode != 200 {
		t.Errorf("healthz with a closed database: %d", res.StatusCode)
	}
}

func TestStaticAssets(t *testing.T) {
	s := newServer(t, &fakeStore{}, nil, nil)
	h := s.Handler()
	d := do(t, h, "GET", "/", nil).doc(t)
	css := d.Find("link[rel=stylesheet]").AttrOr("href", "")
	js := d.Find("script[src]").AttrOr("src", "")
	if css != s.assets.URL("app.css") || !strings.HasPrefix(css, "/static/") || css == "/static/app.css" {
		t.Fatalf("css url %q", css)
	}
	if _, ok := d.Find("script[src]").Attr("defer"); !ok {
		t.Error("app.js not deferred")
	}
	for _, u := range []string{css, js} {
		res := do(t, h, "GET", u, nil)
		if res.StatusCode != 200 || len(res.body) < 100 {
			t.Errorf("%s: %d, %d bytes", u, res.StatusCode, len(res.body))
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: cache-control %q", u, cc)
		}
	}
	if ct := do(t, h, "GET", css, nil).Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("css content type %q", ct)
	}
	// An outdated hash still gets the file, but uncached.
	res := do(t, h, "GET", "/static/000000000000/app.css", nil)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("old hash: %d %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	// The hash follows the content.
	a, b := s.assets.files["app.css"], s.assets.files["app.js"]
	if a.hash == b.hash || len(a.hash) != 12 {
		t.Errorf("hashes %q %q", a.hash, b.hash)
	}
}

func TestNoInlineScript(t *testing.T) {
	h := reportServer(t)
	for _, target := range []string{"/", "/groups", "/groups/" + groupA1, "/nothing", "/groups?sort=bad"} {
		res := do(t, h, "GET", target, nil)
		d := res.doc(t)
		d.Find("script").Each(func(_ int, s *goquery.Selection) {
			if _, ok := s.Attr("src"); !ok || strings.TrimSpace(s.Text()) != "" {
				t.Errorf("%s: inline script", target)
			}
		})
		d.Find("*").Each(func(_ int, s *goquery.Selection) {
			for _, a := range s.Nodes[0].Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") || a.Key == "style" {
					t.Errorf("%s: inline %s attribute on <%s>", target, a.Key, s.Nodes[0].Data)
				}
			}
		})
		if d.Find("style").Length() != 0 {
			t.Errorf("%s: inline <style>", target)
		}
	}
}

func TestRefresh(t *testing.T) {
	sy := &fakeSyncer{}
	snap := testSnapshot()
	s := newServer(t, openStore(t, &snap), sy, nil)
	bg, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.bg = bg
	h := s.Handler()
	tests := []struct {
		referer, want string
	}{
		{"", "/"},
		{"http://example.com/groups?q=a1&sort=errors", "/groups?q=a1&sort=errors"},
		{"https://example.com/groups/" + groupA1, "/groups/" + groupA1},
		{"http://evil.example/groups", "/"},
		{"http://example.com.evil.example/groups", "/"},
		{"//evil.example/x", "/"},
		{"/groups", "/"}, // relative: browsers never send it, so it is not trusted
		{"javascript:alert(1)", "/"},
		{"http://example.com//evil.example/x", "/"},
		{"http://example.com/%5Cevil.example", "/%5Cevil.example"},
		{"http://user:pw@example.com/groups", "/"},
		{"http://example.com/refresh", "/"},
		{"http://[::1", "/"},
	}
	for _, tc := range tests {
		res := do(t, h, "POST", "/refresh", http.Header{"Referer": {tc.referer}})
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("%q: status %d", tc.referer, res.StatusCode)
		}
		if got := res.Header.Get("Location"); got != tc.want {
			t.Errorf("Referer %q: redirect to %q, want %q", tc.referer, got, tc.want)
		}
	}
	if sy.starts != len(tests) {
		t.Errorf("Start called %d times", sy.starts)
	}
	// The sync outlives the request: it runs under the server's background context.
	if sy.ctxs[0] != bg {
		t.Error("sync started with a request-scoped context")
	}
}

func TestSyncProgressAndBanner(t *testing.T) {
	snap := testSnapshot()
	st := openStore(t, &snap)
	ctx := context.Background()
	run, err := st.StartSyncRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	run.Status, run.Error, run.FinishedAt = model.SyncFailed, "graph: throttled past the retry budget (429)", testNow.Add(-time.Minute)
	if err := st.FinishSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	sy := &fakeSyncer{progress: model.SyncProgress{Running: true, Phase: "users", Done: 1200, Total: 5000, Requests: 7,
		Started: testNow.Add(-10 * time.Second)}}
	h := newServer(t, st, sy, nil).Handler()

	res := do(t, h, "GET", "/sync/progress", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("progress: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var p progressJSON
	if err := json.Unmarshal([]byte(res.body), &p); err != nil {
		t.Fatal(err)
	}
	if !p.Running || p.Phase != "users" || p.Done != 1200 || p.Total != 5000 || p.Text != "Refreshing (users): 1,200 of 5,000" {
		t.Errorf("progress %+v", p)
	}
	if p.DataAsOf == nil || !p.DataAsOf.Equal(snap.TakenAt) {
		t.Errorf("data as of %v", p.DataAsOf)
	}
	if p.DataKind != model.SyncFull {
		t.Errorf("data kind %q, want the full sync that wrote the snapshot", p.DataKind)
	}
	if got := do(t, h, "GET", "/", nil).doc(t).Find("#data-kind").Text(); got != "Full sync" {
		t.Errorf("header data kind %q", got)
	}
	if p.LastRun == nil || p.LastRun.Status != model.SyncFailed || !strings.Contains(p.LastRun.Error, "429") {
		t.Errorf("last run %+v", p.LastRun)
	}

	for _, target := range []string{"/", "/groups", "/groups/" + groupA1, "/nothing"} {
		d := do(t, h, "GET", target, nil).doc(t)
		banner := strings.Join(strings.Fields(d.Find("#sync-failure").Text()), " ")
		want := "Last refresh failed at 4 Mar 2026 10:04 UTC: graph: throttled past the retry budget (429); showing data from 4 Mar 2026 10:00 UTC."
		if banner != want {
			t.Errorf("%s: banner %q, want %q", target, banner, want)
		}
		sync := d.Find("#sync")
		if sync.AttrOr("data-running", "") != "true" || sync.AttrOr("data-progress-url", "") != "/sync/progress" {
			t.Errorf("%s: sync box %v", target, sync.Nodes[0].Attr)
		}
		if _, hidden := d.Find("#sync-progress").Attr("hidden"); hidden {
			t.Errorf("%s: progress hidden while running", target)
		}
		if got := d.Find("#sync-bar").AttrOr("value", ""); got != "1200" {
			t.Errorf("%s: bar value %q", target, got)
		}
		if _, ok := d.Find("#refresh-button").Attr("disabled"); !ok {
			t.Errorf("%s: refresh button enabled while running", target)
		}
		if got := d.Find("#data-age time").Text(); got != "5 minutes ago" {
			t.Errorf("%s: data age %q", target, got)
		}
	}

	// A later successful run clears the banner.
	run, _ = st.StartSyncRun(ctx)
	run.Status, run.FinishedAt = model.SyncSucceeded, testNow
	if err := st.FinishSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	sy.progress = model.SyncProgress{}
	d := do(t, h, "GET", "/", nil).doc(t)
	if d.Find("#sync-failure").Length() != 0 {
		t.Error("banner after a successful run")
	}
	if _, hidden := d.Find("#sync-progress").Attr("hidden"); !hidden {
		t.Error("progress shown while idle")
	}
	if d.Find("form.refresh[method=post][action='/refresh'] button[type=submit]").Length() != 1 {
		t.Error("no refresh form")
	}
}

// Fail closed: a server missing any dependency is not built, rather than serving pages open
// (no authenticator), unrecorded (no activity log) or half-working.
func TestNewRefusesMissingDependencies(t *testing.T) {
	full := testDeps(t, &fakeStore{}, nil)
	if _, err := New(full); err != nil {
		t.Fatalf("full deps refused: %v", err)
	}
	for name, drop := range map[string]func(*Deps){
		"Store":      func(d *Deps) { d.Store = nil },
		"Activity":   func(d *Deps) { d.Activity = nil },
		"Syncer":     func(d *Deps) { d.Syncer = nil },
		"Auth":       func(d *Deps) { d.Auth = nil },
		"Operations": func(d *Deps) { d.Operations = nil },
		"Live":       func(d *Deps) { d.Live = nil },
		"IP":         func(d *Deps) { d.IP = nil },
		"Licenses":   func(d *Deps) { d.Licenses = nil },
	} {
		d := full
		drop(&d)
		s, err := New(d)
		if err == nil || s != nil {
			t.Errorf("built without %s", name)
			continue
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: %q does not name it", name, err)
		}
	}
	d := full
	d.Now, d.Logger, d.Background, d.Version = nil, nil, nil, ""
	s, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	if s.now == nil || s.log == nil || s.bg == nil || s.version == "" {
		t.Error("defaults not set")
	}
}

// The real implementations satisfy the interfaces declared here.
var (
	_ Store         = (*store.Store)(nil)
	_ ActivityLog   = (*store.Store)(nil)
	_ Syncer        = (*snapshot.Syncer)(nil)
	_ Authenticator = (*auth.Authenticator)(nil)
	_ Operations    = (*assign.Service)(nil)
	_ Live          = (*live.Reader)(nil)
	_ IPLookup      = (*iprange.Service)(nil)
	_ LicenseReport = (*licensereport.Report)(nil)
)

// A database whose file was damaged while the server runs is not ready: the probe reads the
// file (the header and every table's first page), not only the open connections.
func TestReadinessNoticesACorruptDatabase(t *testing.T) {
	st := openStore(t, nil)
	if err := st.SaveSnapshot(context.Background(), 0, testSnapshot()); err != nil {
		t.Fatal(err)
	}
	h := newServer(t, st, nil, nil).Handler()
	if res := do(t, h, "GET", "/readyz", nil); res.StatusCode != 200 {
		t.Fatalf("readyz, healthy: %d %q", res.StatusCode, res.body)
	}
	var path string
	st.DB().QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path)
	if _, err := st.DB().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(bytes.Repeat([]byte("garbage!"), 1024), 0)
	f.Close()
	res := do(t, h, "GET", "/readyz", nil)
	if res.StatusCode != 503 || !strings.Contains(res.body, "database") {
		t.Errorf("readyz with a damaged file: %d %q", res.StatusCode, res.body)
	}
}
