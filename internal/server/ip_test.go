package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/testkit"

	"github.com/PuerkitoBio/goquery"

	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/store"
)

// ipDataDir finds shared/data/ipranges by walking up from the package directory.
func ipDataDir(t testing.TB) string {
	t.Helper()
	return testkit.SharedData(t, "ipranges")
}

// ipUpdater is an updater over st whose downloads go to base (never the internet).
func ipUpdater(st *store.Store, base string) *iprange.Updater {
	return &iprange.Updater{Store: st, Now: func() time.Time { return testNow },
		Logger: slogText(io.Discard), EndpointsBaseURL: base, DownloadCenterBaseURL: base + "/download?id="}
}

// ipService is a real IP range service over a real store; with data, every file of
// shared/data/ipranges is imported first.
func ipService(t testing.TB, withData bool) *iprange.Service {
	t.Helper()
	st := openStore(t, nil)
	svc, err := iprange.NewService(context.Background(), ipUpdater(st, "http://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	if withData {
		rep, err := svc.ImportDir(context.Background(), ipDataDir(t))
		if err != nil {
			t.Fatalf("import shared data: %v", err)
		}
		if len(rep.Results) != 7 {
			t.Fatalf("imported %d files, want 7", len(rep.Results))
		}
	}
	return svc
}

var (
	ipRealOnce sync.Once
	ipRealSvc  *iprange.Service
)

// ipRealService shares one loaded service between tests that only read.
func ipRealService(t testing.TB) *iprange.Service {
	t.Helper()
	ipDataDir(t)
	ipRealOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tenantdesk-ip-test-")
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(context.Background(), filepath.Join(dir, "t.db"))
		if err != nil {
			t.Fatal(err)
		}
		svc, err := iprange.NewService(context.Background(), ipUpdater(st, "http://127.0.0.1:1"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ImportDir(context.Background(), ipDataDir(t)); err != nil {
			t.Fatal(err)
		}
		ipRealSvc = svc
	})
	if ipRealSvc == nil {
		t.Fatal("shared IP service failed to load")
	}
	return ipRealSvc
}

// storageWestEurope returns an address inside the first IPv4 prefix of Storage.WestEurope as
// the real public service tags file lists it.
func storageWestEurope(t testing.TB) netip.Addr {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ipDataDir(t), "ServiceTags_Public_20251103.json"))
	if err != nil {
		t.Fatal(err)
	}
	tags, err := iprange.ParseServiceTags(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range tags.Values {
		if v.Name != "Storage.WestEurope" {
			continue
		}
		for _, p := range v.AddressPrefixes {
			if p.Addr().Is4() {
				return p.Addr().Next()
			}
		}
	}
	t.Fatal("no IPv4 prefix of Storage.WestEurope in the file")
	return netip.Addr{}
}

// newIPServer is a server (testDeps) whose IP lookup is ip, with the Activity, Auth, Background
// and WriteRate of over where set.
func newIPServer(t testing.TB, ip IPLookup, over Deps) *Server {
	t.Helper()
	deps := testDeps(t, openStore(t, nil), nil)
	deps.IP = ip
	if over.Activity != nil {
		deps.Activity = over.Activity
	}
	if over.Auth != nil {
		deps.Auth = over.Auth
	}
	deps.Background, deps.WriteRate = over.Background, over.WriteRate
	deps.IPDownloads = true // TestIPDownloadsOff builds its own
	s, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIPPageLogLine(t *testing.T) {
	h := newIPServer(t, ipRealService(t), Deps{}).Handler()
	storage := storageWestEurope(t)
	line := fmt.Sprintf("2026-07-20T10:11:12Z DENY TCP src=10.1.2.3:51515 dst=52.112.0.1:443 fwd=%s:443 via fe80::1%%eth0", storage)
	res := do(t, h, "GET", "/ip?q="+url.QueryEscape(line), nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, res.body)
	}
	d := res.doc(t)
	if got := d.Find("textarea#q").Text(); got != line {
		t.Errorf("the form does not keep the query (permalink): %q", got)
	}
	if got := d.Find(`nav > ul > li > a[aria-current="page"]`).Text(); got != "IP lookup" {
		t.Errorf("active nav %q", got)
	}

	teams := d.Find(`section.ip-item[data-subject="52.112.0.1"]`)
	if teams.AttrOr("data-matched", "") != "true" {
		t.Fatalf("52.112.0.1 is not shown as Microsoft's: %q", teams.Text())
	}
	for set, category := range map[string]string{"11": "Optimize", "12": "Allow"} {
		row := teams.Find(`table.ip-m365 tr[data-set="` + set + `"][data-instance="Worldwide"]`)
		if row.Length() != 1 {
			t.Fatalf("Teams set %s missing for 52.112.0.1", set)
		}
		if got := row.Find(".col-area").Text(); got != "Microsoft Teams" {
			t.Errorf("set %s service area %q", set, got)
		}
		if got := row.Find(".col-category").Text(); got != category {
			t.Errorf("set %s category %q, want %s", set, got, category)
		}
		if got := row.Find(".col-required").Text(); got != "yes" {
			t.Errorf("set %s required %q", set, got)
		}
		if !strings.Contains(row.Text(), "52.112.0.0/14") {
			t.Errorf("set %s does not name the matched prefix: %q", set, row.Text())
		}
	}

	st := d.Find(fmt.Sprintf(`section.ip-item[data-subject="%s"]`, storage))
	var tags []string
	st.Find("table.ip-azure tbody tr").Each(func(_ int, r *goquery.Selection) { tags = append(tags, r.AttrOr("data-tag", "")) })
	for _, want := range []string{"Storage.WestEurope", "AzureCloud.westeurope", "AzureCloud"} {
		if !strings.Contains(" "+strings.Join(tags, " ")+" ", " "+want+" ") {
			t.Errorf("%s: tags %v, want %s", storage, tags, want)
		}
	}
	if len(tags) == 0 || tags[0] == "AzureCloud" {
		t.Errorf("most specific first: %v", tags)
	}

	private := d.Find(`section.ip-item[data-subject="10.1.2.3"]`)
	if !strings.Contains(private.Find(".ip-not-ms").Text(), "Not a Microsoft address") {
		t.Errorf("10.1.2.3 verdict: %q", private.Text())
	}
	zone := d.Find(`section.ip-item[data-subject="fe80::1"] .ip-note`).Text()
	if !strings.Contains(zone, "zone") {
		t.Errorf("zone note missing: %q", zone)
	}
	if n := d.Find("#ip-summary-table tbody tr").Length(); n != 4 {
		t.Errorf("summary rows %d, want 4", n)
	}
	if got := d.Find("#ip-sources-table tbody tr").Length(); got != 7 {
		t.Errorf("sources table has %d rows, want 7", got)
	}
	ww := d.Find(`#ip-sources-table tr[data-source="Microsoft 365/Worldwide"]`).Text()
	if !strings.Contains(ww, "import-") || !strings.Contains(ww, "79 entries") {
		t.Errorf("Worldwide source row %q", ww)
	}
	if !strings.Contains(d.Find(`#ip-sources-table tr[data-source="Azure service tags/Public"]`).Text(), "376") {
		t.Error("the public service tags row does not show change number 376")
	}
	if d.Find("#ip-empty").Length() != 0 {
		t.Error("empty state shown although data is loaded")
	}
	if href := d.Find("#ip-json").AttrOr("href", ""); href != "/api/ip?q="+url.QueryEscape(line) {
		t.Errorf("JSON link %q", href)
	}
}

func TestIPPageHostsAndMappedAddresses(t *testing.T) {
	h := newIPServer(t, ipRealService(t), Deps{}).Handler()
	q := "::ffff:52.112.0.1 https://outlook.office365.com/owa/ nothing.example.org 300.1.1.1"
	d := do(t, h, "GET", "/ip?q="+url.QueryEscape(q), nil).doc(t)
	mapped := d.Find(`section.ip-item[data-subject="52.112.0.1"]`)
	if mapped.AttrOr("data-matched", "") != "true" || !strings.Contains(mapped.Find(".ip-note").Text(), "IPv4-mapped") {
		t.Errorf("mapped address: %q", mapped.Text())
	}
	outlook := d.Find(`section.ip-item[data-subject="outlook.office365.com"]`)
	if outlook.AttrOr("data-matched", "") != "true" || !strings.Contains(outlook.Find(".col-area").Text(), "Exchange Online") {
		t.Errorf("outlook.office365.com: %q", outlook.Text())
	}
	other := d.Find(`section.ip-item[data-subject="nothing.example.org"] .ip-not-ms`).Text()
	if !strings.Contains(other, "Not a Microsoft 365 host name") {
		t.Errorf("unknown host verdict %q", other)
	}
	if p := d.Find("#ip-problems").Text(); !strings.Contains(p, "300.1.1.1") {
		t.Errorf("problem with 300.1.1.1 not shown: %q", p)
	}
}

func TestIPPageHugePaste(t *testing.T) {
	h := newIPServer(t, ipRealService(t), Deps{}).Handler()
	var b strings.Builder
	for i := range 3000 { // more items than the parser takes
		fmt.Fprintf(&b, "52.112.%d.%d, ", i/250, i%250+1)
	}
	res := do(t, h, "GET", "/ip?q="+url.QueryEscape(b.String()), nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	d := res.doc(t)
	if !strings.Contains(d.Find("#ip-notes").Text(), fmt.Sprint(iprange.MaxQueryItems)) {
		t.Errorf("no note about the cut: %q", d.Find("#ip-notes").Text())
	}
	if n := d.Find("#ip-summary-table tbody tr").Length(); n != iprange.MaxQueryItems {
		t.Errorf("summary rows %d, want %d", n, iprange.MaxQueryItems)
	}
	if n := d.Find("section.ip-item").Length(); n != ipDetailed {
		t.Errorf("detailed sections %d, want %d", n, ipDetailed)
	}
	if d.Find("#ip-detail-cap").Length() != 1 {
		t.Error("the page does not say that details stop")
	}
	if n := d.Find("#ip-summary-table tr.ip-ms").Length(); n != iprange.MaxQueryItems {
		t.Errorf("%d rows marked Microsoft, want all", n)
	}
	if len(res.body) > 4<<20 {
		t.Errorf("page is %d bytes for a capped paste", len(res.body))
	}
}

func TestIPEmptyState(t *testing.T) {
	h := newIPServer(t, ipService(t, false), Deps{}).Handler()
	d := do(t, h, "GET", "/ip?q=52.112.0.1", nil).doc(t)
	empty := d.Find("#ip-empty").Text()
	for _, want := range []string{"No IP range data yet", "tenantdesk ip refresh", "tenantdesk ip import FILE|DIR", "Download now"} {
		if !strings.Contains(empty, want) {
			t.Errorf("empty state lacks %q: %q", want, empty)
		}
	}
	if d.Find(`form#ip-refresh-form[method="post"][action="/ip/refresh"]`).Length() != 1 {
		t.Error("no download form")
	}
	if d.Find(`form#ip-import-form[enctype="multipart/form-data"] input[type="file"][name="files"][multiple]`).Length() != 1 {
		t.Error("no upload form")
	}
	v := d.Find(`section.ip-item[data-subject="52.112.0.1"] .ip-verdict`).Text()
	if !strings.Contains(v, "Cannot tell") || strings.Contains(v, "Not a Microsoft") {
		t.Errorf("without data the verdict must not claim anything: %q", v)
	}
	if n := d.Find("#ip-sources-table tr.ip-missing").Length(); n != 7 {
		t.Errorf("%d sources shown as never fetched, want 7", n)
	}
	// No lookup asked: the form and the empty state, no results.
	d = do(t, h, "GET", "/ip", nil).doc(t)
	if d.Find("#ip-results").Length() != 0 || d.Find("#ip-empty").Length() != 1 {
		t.Error("plain /ip shows results or lacks the empty state")
	}
}

func TestIPAPI(t *testing.T) {
	h := newIPServer(t, ipRealService(t), Deps{}).Handler()
	res := do(t, h, "GET", "/api/ip?q="+url.QueryEscape("dst=52.112.0.1:443 10.0.0.1 teams.microsoft.com 2603:1063::1 999.1.1.1"), nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), res.body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(res.body), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"query", "items", "problems", "truncated", "sources", "hasData"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	var got struct {
		Query string `json:"query"`
		Items []struct {
			Input     string           `json:"input"`
			Address   string           `json:"address"`
			Host      string           `json:"host"`
			Microsoft bool             `json:"microsoft"`
			Matches   []map[string]any `json:"matches"`
		} `json:"items"`
		Problems  []iprange.QueryProblem `json:"problems"`
		Truncated bool                   `json:"truncated"`
		Sources   []iprange.SourceStatus `json:"sources"`
	}
	if err := json.Unmarshal([]byte(res.body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 4 || got.Truncated || len(got.Problems) != 1 || got.Problems[0].Input != "999.1.1.1" || len(got.Sources) != 7 {
		t.Fatalf("items %d truncated %v problems %v sources %d", len(got.Items), got.Truncated, got.Problems, len(got.Sources))
	}
	first := got.Items[0]
	if first.Input != "52.112.0.1:443" || first.Address != "52.112.0.1" || !first.Microsoft || first.Matches[0]["prefix"] != "52.112.0.0/14" {
		t.Errorf("first item %+v", first)
	}
	sets := map[float64]bool{}
	for _, m := range first.Matches {
		if e, ok := m["m365"].(map[string]any); ok && e["instance"] == "Worldwide" {
			sets[e["id"].(float64)] = e["required"].(bool)
		}
	}
	if !sets[11] || !sets[12] {
		t.Errorf("Teams sets 11 and 12 (required) not in %v", sets)
	}
	if got.Items[1].Address != "10.0.0.1" || got.Items[1].Microsoft || got.Items[1].Matches == nil || len(got.Items[1].Matches) != 0 {
		t.Errorf("private address %+v", got.Items[1])
	}
	if got.Items[2].Host != "teams.microsoft.com" || !got.Items[2].Microsoft || got.Items[2].Matches[0]["pattern"] == nil {
		t.Errorf("host item %+v", got.Items[2])
	}
	if got.Items[3].Address != "2603:1063::1" || !got.Items[3].Microsoft {
		t.Errorf("IPv6 item %+v", got.Items[3])
	}
}

func TestIPAPIBadInput(t *testing.T) {
	h := newIPServer(t, ipRealService(t), Deps{}).Handler()
	tests := []struct {
		name, target string
		status       int
		want         string
	}{
		{"no q", "/api/ip", 400, "q is required"},
		{"blank q", "/api/ip?q=%20%0A%09", 400, "q is required"},
		{"no address", "/api/ip?q=hello+world", 400, "no IP address or host name found"},
		{"only bad addresses", "/api/ip?q=300.1.1.1+1.2.3.4%2F40", 400, `"input": "300.1.1.1"`},
		{"nul and control bytes", "/api/ip?q=%00%01%FF%FE", 400, "no IP address"},
		{"huge", "/api/ip?q=" + strings.Repeat("52.112.0.1+1.1.1.1+", 6000), 200, `"truncated": true`},
		{"zone and mapped", "/api/ip?q=" + url.QueryEscape("fe80::1%eth0 ::ffff:52.112.0.1"), 200, "IPv4-mapped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, h, "GET", tt.target, nil)
			if res.StatusCode != tt.status || !strings.Contains(res.body, tt.want) {
				t.Fatalf("status %d, want %d with %q: %.400s", res.StatusCode, tt.status, tt.want, res.body)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("content type %q", ct)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(res.body), &v); err != nil {
				t.Errorf("not JSON: %v", err)
			}
			if tt.status == 400 && v["error"] == "" {
				t.Error("400 without an error message")
			}
		})
	}
}

// multipartUpload builds an upload of files (name -> content) in the "files" field.
func multipartUpload(t testing.TB, files map[string][]byte, order ...string) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, name := range order {
		fw, err := mw.CreateFormFile("files", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(files[name])
	}
	mw.Close()
	return &body, mw.FormDataContentType()
}

func post(t testing.TB, h http.Handler, target string, body io.Reader, contentType string) response {
	t.Helper()
	req := httptest.NewRequest("POST", target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Referer", "http://example.com/ip?q=52.112.0.1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return response{Response: res, body: string(b)}
}

func TestIPImportUpload(t *testing.T) {
	act := &activityRecorder{}
	svc := ipService(t, false)
	h := newIPServer(t, svc, Deps{Activity: act}).Handler()
	ww, err := os.ReadFile(filepath.Join(ipDataDir(t), "m365_endpoints_worldwide.json"))
	if err != nil {
		t.Fatal(err)
	}
	body, ct := multipartUpload(t, map[string][]byte{"endpoints.json": ww, "notes.json": []byte(`{"hello":"world"}`)}, "endpoints.json", "notes.json")
	res := post(t, h, "/ip/import", body, ct)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ip?q=52.112.0.1#ip-update" {
		t.Fatalf("status %d location %q: %.300s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	if got := act.actions(); len(got) != 1 || got[0] != "ip-import:failed" {
		t.Errorf("activity %v, want one ip-import (failed: one file was bad)", got)
	}
	d := do(t, h, "GET", "/ip?q=52.112.0.1", nil).doc(t)
	rows := d.Find("#ip-import-result tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("import result rows %d: %q", rows.Length(), d.Find("#ip-import-result").Text())
	}
	if o := rows.Eq(0).AttrOr("data-outcome", ""); o != "updated" || !strings.Contains(rows.Eq(0).Text(), "Worldwide") {
		t.Errorf("first file: %s %q", o, rows.Eq(0).Text())
	}
	if o := rows.Eq(1).AttrOr("data-outcome", ""); o != "failed" || !strings.Contains(rows.Eq(1).Text(), "notes.json") {
		t.Errorf("second file: %s %q", o, rows.Eq(1).Text())
	}
	if d.Find(`section.ip-item[data-subject="52.112.0.1"] tr[data-set="11"]`).Length() != 1 {
		t.Error("the imported data is not used for lookups")
	}
	if d.Find("#ip-empty").Length() != 0 {
		t.Error("empty state still shown after an import")
	}
}

func TestIPImportRefusesBadUploads(t *testing.T) {
	svc := ipService(t, false)
	h := newIPServer(t, svc, Deps{}).Handler()
	big := bytes.Repeat([]byte(" "), ipUploadMax/2+1)
	tests := []struct {
		name   string
		body   func() (io.Reader, string)
		status int
		want   string
	}{
		{"not multipart", func() (io.Reader, string) { return strings.NewReader("files=x"), "application/x-www-form-urlencoded" }, 400, "multipart"},
		{"no files", func() (io.Reader, string) { return multipartUpload(t, nil) }, 400, "Choose one or more files"},
		{"too big", func() (io.Reader, string) {
			return multipartUpload(t, map[string][]byte{"a.json": big, "b.json": big}, "a.json", "b.json")
		}, 413, "larger than 32 MiB"},
		{"broken multipart", func() (io.Reader, string) {
			return strings.NewReader("--x\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.json\"\r\n\r\n[]"), "multipart/form-data; boundary=x"
		}, 400, "could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := tt.body()
			res := post(t, h, "/ip/import", body, ct)
			if res.StatusCode != tt.status || !strings.Contains(res.body, tt.want) {
				t.Fatalf("status %d, want %d with %q: %.300s", res.StatusCode, tt.status, tt.want, res.body)
			}
		})
	}
	if st := svc.Status(); !st[0].FetchedAt.IsZero() {
		t.Error("a refused upload stored data")
	}
}

// ipRecorder passes through to a real service and records the context of refreshes.
type ipRecorder struct {
	*iprange.Service
	refreshCtx chan context.Context
}

func (r *ipRecorder) StartRefresh(ctx context.Context, by string, done func(iprange.Job)) bool {
	started := r.Service.StartRefresh(ctx, by, done)
	if started {
		r.refreshCtx <- ctx
	}
	return started
}

type ipCtxKey struct{}

func TestIPRefreshRunsInBackgroundAndKeepsData(t *testing.T) {
	// Microsoft's sites answer 500 here: every source fails, and the imported data stays.
	ms := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "unavailable", http.StatusInternalServerError)
	}))
	defer ms.Close()
	st := openStore(t, nil)
	svc, err := iprange.NewService(context.Background(), ipUpdater(st, ms.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportDir(context.Background(), ipDataDir(t)); err != nil {
		t.Fatal(err)
	}
	rec := &ipRecorder{Service: svc, refreshCtx: make(chan context.Context, 1)}
	act := &activityRecorder{}
	bg := context.WithValue(context.Background(), ipCtxKey{}, "base")
	s := newIPServer(t, rec, Deps{Activity: act, Background: bg})
	h := s.Handler()

	res := post(t, h, "/ip/refresh", nil, "")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ip?q=52.112.0.1#ip-update" {
		t.Fatalf("status %d location %q", res.StatusCode, res.Header.Get("Location"))
	}
	var ctx context.Context
	select {
	case ctx = <-rec.refreshCtx:
	case <-time.After(30 * time.Second):
		t.Fatal("refresh did not run")
	}
	if ctx.Value(ipCtxKey{}) != "base" {
		t.Error("refresh did not run on the server's base context")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r, _ := s.ip.Jobs(); r != nil && !r.Running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("refresh job never finished")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Every source failed: the activity log says so (once the download ended, not when it began).
	if got := act.actions(); len(got) != 1 || got[0] != "ip-refresh:failed" {
		t.Errorf("activity %v", got)
	}
	if e := act.list()[0]; !strings.Contains(e.Detail, "0 updated, 0 unchanged, 7 failed") || e.ActorUPN == "" {
		t.Errorf("activity entry %+v", e)
	}
	d := do(t, h, "GET", "/ip?q=52.112.0.1", nil).doc(t)
	failed := d.Find(`#ip-refresh-result tr[data-outcome="failed"]`)
	if failed.Length() != 7 {
		t.Errorf("%d sources shown failed, want 7: %q", failed.Length(), d.Find("#ip-refresh-result").Text())
	}
	if !strings.Contains(failed.First().Text(), "Microsoft 365 Worldwide") {
		t.Errorf("first failed source %q", failed.First().Text())
	}
	if d.Find(`section.ip-item[data-subject="52.112.0.1"] tr[data-set="11"]`).Length() != 1 {
		t.Error("a failed download dropped the data")
	}
	if d.Find("#ip-sources-table .ip-source-error").Length() == 0 {
		t.Error("the sources table does not show the download failures")
	}
}

func TestIPRoutesNeedRoles(t *testing.T) {
	svc := ipService(t, false)
	rec := &ipRecorder{Service: svc, refreshCtx: make(chan context.Context, 1)}
	h := newIPServer(t, rec, Deps{Auth: authtest.Authenticator{Anonymous: true}}).Handler()
	as := func(role string) http.Header { return http.Header{"X-Test-Role": {role}} }

	for _, target := range []string{"/ip", "/api/ip?q=1.1.1.1"} {
		if res := do(t, h, "GET", target, nil); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("GET %s without sign-in: %d %q", target, res.StatusCode, res.Header.Get("Location"))
		}
	}
	for _, target := range []string{"/ip/refresh", "/ip/import"} {
		if res := do(t, h, "POST", target, nil); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s without sign-in: %d", target, res.StatusCode)
		}
		if res := do(t, h, "POST", target, as("reader")); res.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s as Reader: %d", target, res.StatusCode)
		}
	}
	select {
	case <-rec.refreshCtx:
		t.Fatal("a refresh ran without the Operator role")
	case <-time.After(50 * time.Millisecond):
	}

	// A Reader looks up but sees no update controls; an Operator sees them and may download.
	reader := do(t, h, "GET", "/ip?q=52.112.0.1", as("reader"))
	if reader.StatusCode != http.StatusOK {
		t.Fatalf("Reader GET /ip: %d", reader.StatusCode)
	}
	d := reader.doc(t)
	if d.Find("#ip-update, #ip-refresh-form, #ip-import-form").Length() != 0 {
		t.Error("a Reader is shown the download and import controls")
	}
	if !strings.Contains(d.Find("#ip-empty").Text(), "An Operator can download them") {
		t.Errorf("Reader's empty state: %q", d.Find("#ip-empty").Text())
	}
	if res := do(t, h, "GET", "/api/ip?q=1.1.1.1", as("reader")); res.StatusCode != http.StatusOK {
		t.Errorf("Reader GET /api/ip: %d", res.StatusCode)
	}
	if do(t, h, "GET", "/ip", as("operator")).doc(t).Find("#ip-refresh-form, #ip-import-form").Length() != 2 {
		t.Error("an Operator is not shown the download and import controls")
	}
	if res := do(t, h, "POST", "/ip/refresh", as("operator")); res.StatusCode != http.StatusSeeOther {
		t.Errorf("Operator POST /ip/refresh: %d", res.StatusCode)
	}
	select {
	case <-rec.refreshCtx:
	case <-time.After(30 * time.Second):
		t.Fatal("the Operator's refresh did not run")
	}
}

// BenchmarkIPPage measures the page for a pasted list of 1,000 addresses (the parser's cap).
func BenchmarkIPPage(b *testing.B) {
	h := newIPServer(b, ipRealService(b), Deps{}).Handler()
	var q strings.Builder
	for i := range iprange.MaxQueryItems {
		fmt.Fprintf(&q, "52.%d.%d.%d ", 96+i%32, i/250, i%250+1)
	}
	target := "/ip?q=" + url.QueryEscape(q.String())
	var size int
	for b.Loop() {
		req := httptest.NewRequest("GET", target, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size)/1024, "KiB/page")
}

// FuzzIPAPI: whatever q holds, /api/ip answers 200 or 400 with JSON, never 500.
func FuzzIPAPI(f *testing.F) {
	for _, s := range []string{"52.112.0.1", "", " ", "fe80::1%eth0", "::ffff:52.112.0.1", "[2603:1063::1]:443",
		"300.1.1.1", "1.2.3.4/40", "https://user@teams.microsoft.com:443/", "\x00\xff", strings.Repeat("1.1.1.1,", 2000),
		"*.teams.microsoft.com", "a..b", "[::1", "%zz"} {
		f.Add(s)
	}
	h := newIPServer(f, ipRealService(f), Deps{}).Handler()
	f.Fuzz(func(t *testing.T, q string) {
		res := do(t, h, "GET", "/api/ip?q="+url.QueryEscape(q), nil)
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusBadRequest {
			t.Fatalf("q %q: status %d", q, res.StatusCode)
		}
		if !json.Valid([]byte(res.body)) {
			t.Fatalf("q %q: not JSON: %.200s", q, res.body)
		}
	})
}

// FuzzIPImportUpload: whatever a client uploads, the import answers 303, 400 or 413, never 500.
func FuzzIPImportUpload(f *testing.F) {
	body, ct := multipartUpload(f, map[string][]byte{"a.json": []byte(`[]`)}, "a.json")
	f.Add(body.Bytes(), strings.TrimPrefix(ct, "multipart/form-data; boundary="))
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"files\"; filename=\"../../a.json\"\r\n\r\n{\"changeNumber\":1}\r\n--x--\r\n"), "x")
	f.Add([]byte("--x\r\n\r\n--x--"), "x")
	f.Add([]byte{}, "")
	// The write rate limit is not under test here.
	h := newIPServer(f, ipService(f, false), Deps{WriteRate: 1 << 30}).Handler()
	f.Fuzz(func(t *testing.T, b []byte, boundary string) {
		res := post(t, h, "/ip/import", bytes.NewReader(b), "multipart/form-data; boundary="+boundary)
		switch res.StatusCode {
		case http.StatusSeeOther, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d: %.200s", res.StatusCode, res.body)
		}
	})
}

// With downloads off (TENANTDESK_IP_RANGE_DOWNLOADS=off, as in the demo) "Download now" is not
// offered and a crafted POST is refused and recorded as refused; nothing is downloaded.
func TestIPDownloadsOff(t *testing.T) {
	svc := ipService(t, false)
	rec := &ipRecorder{Service: svc, refreshCtx: make(chan context.Context, 1)}
	act := &activityRecorder{}
	deps := testDeps(t, openStore(t, nil), nil)
	deps.IP, deps.Activity, deps.IPDownloads = rec, act, false
	srv, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	d := do(t, h, "GET", "/ip", http.Header{"X-Test-Role": {"operator"}}).doc(t)
	if d.Find("#ip-refresh-form").Length() != 0 || d.Find("#ip-downloads-off").Length() != 1 || d.Find("#ip-import-form").Length() != 1 {
		t.Errorf("downloads off: refresh form %d, note %d, import form %d", d.Find("#ip-refresh-form").Length(),
			d.Find("#ip-downloads-off").Length(), d.Find("#ip-import-form").Length())
	}
	if strings.Contains(d.Find("#ip-empty").Text(), "Download now") {
		t.Error("the empty page still points to Download now")
	}
	res := post(t, h, "/ip/refresh", nil, "")
	if res.StatusCode != http.StatusConflict || !strings.Contains(res.body, "TENANTDESK_IP_RANGE_DOWNLOADS") {
		t.Errorf("POST /ip/refresh with downloads off: %d", res.StatusCode)
	}
	select {
	case <-rec.refreshCtx:
		t.Fatal("a download ran with downloads off")
	case <-time.After(50 * time.Millisecond):
	}
	if got := act.actions(); len(got) != 1 || got[0] != "ip-refresh:refused" {
		t.Errorf("activity %v", got)
	}
}

// A failed download's reason (a resolver's message naming an internal DNS server) is for
// Operators; Readers read when it failed and which data is in use, on the page and in the API.
func TestIPDownloadFailureWords(t *testing.T) {
	st := openStore(t, nil)
	svc, err := iprange.NewService(context.Background(), ipUpdater(st, "http://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportDir(context.Background(), ipDataDir(t)); err != nil {
		t.Fatal(err)
	}
	svc.Refresh(context.Background()) // fails: nothing listens there
	h := newIPServer(t, svc, Deps{}).Handler()
	reader := do(t, h, "GET", "/ip", http.Header{"X-Test-Role": {"reader"}}).doc(t)
	operator := do(t, h, "GET", "/ip", http.Header{"X-Test-Role": {"operator"}}).doc(t)
	rt, ot := reader.Find("#ip-sources").Text(), operator.Find(".ip-source-error").First().Text()
	if !strings.HasPrefix(reader.Find(".ip-source-error").First().Text(), "The last download failed at ") ||
		!strings.Contains(rt, "is in use") || strings.Contains(rt, "127.0.0.1") || reader.Find(".ip-source-reason").Length() != 0 {
		t.Errorf("a Reader reads %q", rt)
	}
	if reader.Find("#ip-sources-why").Length() != 1 {
		t.Error("a Reader is not told that an Operator sees why")
	}
	if why := operator.Find(".ip-source-reason").First().Text(); !strings.HasPrefix(ot, "The last download failed at ") || !strings.Contains(why, "127.0.0.1") {
		t.Errorf("an Operator reads %q, why %q; want when and the reason", ot, why)
	}
	api := do(t, h, "GET", "/api/ip?q=52.112.0.1", http.Header{"X-Test-Role": {"reader"}})
	if strings.Contains(api.body, "127.0.0.1:1") || !strings.Contains(api.body, "The last download failed") {
		t.Errorf("the API tells a Reader: %.400s", api.body)
	}
}
