package iprange

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// fakeMicrosoft serves endpoints.office.com and the Download Center from the real files.
type fakeMicrosoft struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	versions  map[string]string // instance -> latest
	endpoints map[string][]byte // instance -> body served
	pages     map[string]string // download id -> HTML
	files     map[string][]byte // file name -> body
	hits      map[string]int    // path -> count
	clientIDs map[string]bool
	fail      map[string]int // path -> status to answer instead
	partial   map[string]bool
}

func newFakeMicrosoft(t *testing.T) *fakeMicrosoft {
	f := &fakeMicrosoft{t: t, versions: map[string]string{}, endpoints: map[string][]byte{}, pages: map[string]string{},
		files: map[string][]byte{}, hits: map[string]int{}, clientIDs: map[string]bool{}, fail: map[string]int{}, partial: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	for _, rf := range realFiles {
		data := readData(t, rf.file)
		if rf.kind == KindM365 {
			f.versions[rf.instance] = rf.version
			f.endpoints[rf.instance] = data
			continue
		}
		f.files[rf.file] = data
	}
	// Three ways the page may carry the link: a plain href to an older and a newer file, a JSON
	// "url" field with escaped slashes, and a relative href.
	f.pages["56519"] = `<html><a href="https://download.example/old/ServiceTags_Public_20240101.json">old</a>
		<a href="` + f.srv.URL + `/files/ServiceTags_Public_20251103.json">Download</a>
		<a href="` + f.srv.URL + `/files/ServiceTags_China_20991231.json">wrong cloud</a></html>`
	f.pages["57063"] = `<script>window.__DLCDetails__={"dlcDetailsView":{"downloadFile":[{"name":"ServiceTags_AzureGovernment_20260720.json","url":"` +
		strings.ReplaceAll(f.srv.URL, "/", `\/`) + `\/files\/ServiceTags_AzureGovernment_20260720.json"}]}}</script>`
	f.pages["57062"] = `<a href='/files/ServiceTags_China_20260720.json'>x</a>`
	return f
}

func (f *fakeMicrosoft) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := r.URL.Path
	if p == "/download/details.aspx" {
		p += "?id=" + r.URL.Query().Get("id")
	}
	f.hits[p]++
	if code := f.fail[p]; code != 0 {
		http.Error(w, "boom", code)
		return
	}
	var body []byte
	switch {
	case strings.HasPrefix(p, "/version/"), strings.HasPrefix(p, "/endpoints/"):
		id := r.URL.Query().Get("ClientRequestId")
		if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
			http.Error(w, "ClientRequestId must be a GUID", http.StatusBadRequest)
			return
		}
		f.clientIDs[id] = true
		inst := p[strings.LastIndexByte(p, '/')+1:]
		if strings.HasPrefix(p, "/version/") {
			v, ok := f.versions[inst]
			if !ok {
				http.NotFound(w, r)
				return
			}
			body = fmt.Appendf(nil, `{"instance":%q,"latest":%q}`, inst, v)
		} else {
			body = f.endpoints[inst]
		}
	case strings.HasPrefix(p, "/download/details.aspx"):
		body = []byte(f.pages[r.URL.Query().Get("id")])
	case strings.HasPrefix(p, "/files/"):
		b, ok := f.files[strings.TrimPrefix(p, "/files/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		body = b
	default:
		http.NotFound(w, r)
		return
	}
	if f.partial[p] {
		// Promise the whole body, send half and hang up: a cut download.
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body[:len(body)/2])
		return
	}
	w.Write(body)
}

func (f *fakeMicrosoft) hitCount(p string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[p]
}

func (f *fakeMicrosoft) set(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func newTestUpdater(t *testing.T, f *fakeMicrosoft) (*Updater, *store.Store, *testkit.Clock) {
	t.Helper()
	st := storetest.Open(t)
	c := testkit.NewClock(time.Date(2026, 7, 20, 8, 0, 0, 0, time.UTC))
	u := &Updater{Store: st, Now: c.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if f != nil {
		u.HTTPClient = f.srv.Client()
		u.EndpointsBaseURL = f.srv.URL
		u.DownloadCenterBaseURL = f.srv.URL + "/download/details.aspx?id="
	}
	return u, st, c
}

func storedMap(t *testing.T, st *store.Store) map[string]model.IPSource {
	t.Helper()
	srcs, err := st.IPSources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]model.IPSource{}
	for _, s := range srcs {
		m[s.Kind+"/"+s.Instance] = s
	}
	return m
}

func outcomes(rep Report) map[string]Outcome {
	m := map[string]Outcome{}
	for _, r := range rep.Results {
		m[string(r.Kind)+"/"+r.Instance] = r.Outcome
	}
	return m
}

func TestRefreshDownloadsThenOnlyChecks(t *testing.T) {
	ctx := context.Background()
	f := newFakeMicrosoft(t)
	u, st, c := newTestUpdater(t, f)

	rep, err := u.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 7 || !rep.Changed() {
		t.Fatalf("report %+v", rep)
	}
	for k, o := range outcomes(rep) {
		if o != OutcomeUpdated {
			t.Errorf("%s: %s", k, o)
		}
	}
	stored := storedMap(t, st)
	if len(stored) != 7 {
		t.Fatalf("%d sources stored", len(stored))
	}
	for _, rf := range realFiles {
		s := stored[string(rf.kind)+"/"+rf.instance]
		if s.Version != rf.version || !bytes.Equal(s.Raw, readData(t, rf.file)) || !s.FetchedAt.Equal(c.Now()) {
			t.Errorf("%s/%s: version %q, %d bytes, fetched %v", rf.kind, rf.instance, s.Version, len(s.Raw), s.FetchedAt)
		}
		if strings.Contains(s.URL, "ClientRequestId") {
			t.Errorf("stored URL keeps the client id: %s", s.URL)
		}
	}
	if got := stored["servicetags/Public"].URL; got != f.srv.URL+"/files/ServiceTags_Public_20251103.json" {
		t.Errorf("public link %s: the newest Public link should win", got)
	}

	// Second refresh a day later: versions and links unchanged, so nothing is downloaded again.
	c.Add(24 * time.Hour)
	rep, err = u.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed() {
		t.Errorf("second refresh changed something: %+v", rep)
	}
	for _, inst := range M365Instances {
		if n := f.hitCount("/endpoints/" + inst); n != 1 {
			t.Errorf("%s endpoints fetched %d times, want 1", inst, n)
		}
		if n := f.hitCount("/version/" + inst); n != 2 {
			t.Errorf("%s version fetched %d times, want 2", inst, n)
		}
	}
	for _, name := range []string{"ServiceTags_Public_20251103.json", "ServiceTags_AzureGovernment_20260720.json", "ServiceTags_China_20260720.json"} {
		if n := f.hitCount("/files/" + name); n != 1 {
			t.Errorf("%s fetched %d times, want 1", name, n)
		}
	}
	for _, s := range storedMap(t, st) {
		if !s.CheckedAt.Equal(c.Now()) || s.FetchedAt.Equal(c.Now()) {
			t.Errorf("%s/%s: fetched %v checked %v", s.Kind, s.Instance, s.FetchedAt, s.CheckedAt)
		}
	}
	if len(f.clientIDs) != 1 {
		t.Errorf("%d different ClientRequestIds, want one kept", len(f.clientIDs))
	}

	// A new updater over the same database keeps the same ClientRequestId.
	u2 := *u
	if _, err := u2.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if len(f.clientIDs) != 1 {
		t.Errorf("ClientRequestId changed across updaters: %v", f.clientIDs)
	}
}

func TestRefreshNeverReplacesGoodData(t *testing.T) {
	ctx := context.Background()
	f := newFakeMicrosoft(t)
	u, st, c := newTestUpdater(t, f)
	if _, err := u.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	before := storedMap(t, st)
	ww := readData(t, "m365_endpoints_worldwide.json")
	pub := readData(t, "ServiceTags_Public_20251103.json")

	cases := []struct {
		name   string
		setup  func()
		failed string
		errHas string
	}{
		{"broken endpoints JSON", func() {
			f.versions[InstanceWorldwide] = "2026010100"
			f.endpoints[InstanceWorldwide] = ww[:len(ww)-200]
		}, "m365/Worldwide", "unexpected end of JSON"},
		{"endpoints cut mid-download", func() {
			f.versions[InstanceWorldwide] = "2026010101"
			f.endpoints[InstanceWorldwide] = ww
			f.partial["/endpoints/Worldwide"] = true
		}, "m365/Worldwide", "reading body"},
		{"endpoints valid JSON but wrong shape", func() {
			f.partial["/endpoints/Worldwide"] = false
			f.versions[InstanceWorldwide] = "2026010102"
			f.endpoints[InstanceWorldwide] = []byte(`{"error":"throttled"}`)
		}, "m365/Worldwide", "want a JSON array"},
		{"endpoints 503", func() {
			f.versions[InstanceWorldwide] = "2026010103"
			f.fail["/endpoints/Worldwide"] = http.StatusServiceUnavailable
		}, "m365/Worldwide", "503"},
		{"version 500", func() {
			f.fail["/endpoints/Worldwide"] = 0
			f.endpoints[InstanceWorldwide] = ww
			f.versions[InstanceWorldwide] = before["m365/Worldwide"].Version
			f.fail["/version/USGovDoD"] = http.StatusInternalServerError
		}, "m365/USGovDoD", "version check"},
		{"bad version number", func() {
			f.fail["/version/USGovDoD"] = 0
			f.versions[InstanceChina] = "x"
		}, "m365/China", "not a version number"},
		{"page without link", func() {
			f.versions[InstanceChina] = "2025120100"
			f.pages["56519"] = "<html>Service tags moved</html>"
		}, "servicetags/Public", "no ServiceTags_Public_YYYYMMDD.json link"},
		{"new file broken", func() {
			f.pages["56519"] = `<a href="/files/ServiceTags_Public_20251110.json">`
			f.files["ServiceTags_Public_20251110.json"] = bytes.Replace(pub, []byte(`"4.145.74.52/30"`), []byte(`"4.145.74.52/300"`), 1)
		}, "servicetags/Public", "not a CIDR prefix"},
		{"new file for another cloud", func() {
			f.files["ServiceTags_Public_20251110.json"] = readData(t, "ServiceTags_China_20260720.json")
		}, "servicetags/Public", `holds the "China" cloud`},
		{"new file cut", func() {
			f.files["ServiceTags_Public_20251110.json"] = pub
			f.partial["/files/ServiceTags_Public_20251110.json"] = true
		}, "servicetags/Public", "reading body"},
	}
	for _, tc := range cases {
		f.set(tc.setup)
		c.Add(time.Hour)
		rep, err := u.Refresh(ctx)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: error %q lacks %q", tc.name, err, tc.errHas)
		}
		for k, o := range outcomes(rep) {
			if k == tc.failed && o != OutcomeFailed || k != tc.failed && o == OutcomeFailed {
				t.Errorf("%s: %s %s", tc.name, k, o)
			}
		}
		after := storedMap(t, st)
		for k, b := range before {
			a := after[k]
			if a.Version != b.Version || !bytes.Equal(a.Raw, b.Raw) || !a.FetchedAt.Equal(b.FetchedAt) {
				t.Errorf("%s: %s replaced (version %s -> %s)", tc.name, k, b.Version, a.Version)
			}
		}
	}

	// Once the source is healthy again the new data is taken.
	f.set(func() {
		f.partial["/files/ServiceTags_Public_20251110.json"] = false
		f.versions[InstanceWorldwide] = "2026020100"
		f.files["ServiceTags_Public_20251110.json"] = bytes.Replace(pub, []byte(`"changeNumber": 376`), []byte(`"changeNumber": 377`), 1)
	})
	rep, err := u.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o := outcomes(rep)
	if o["servicetags/Public"] != OutcomeUpdated || o["m365/Worldwide"] != OutcomeUpdated {
		t.Errorf("recovery: %v", o)
	}
	if v := storedMap(t, st)["servicetags/Public"].Version; v != "377" {
		t.Errorf("public version %s", v)
	}
}

func TestRefreshSameChangeNumberNewLink(t *testing.T) {
	ctx := context.Background()
	f := newFakeMicrosoft(t)
	u, st, c := newTestUpdater(t, f)
	if _, err := u.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	first := storedMap(t, st)["servicetags/Public"]
	f.set(func() {
		f.pages["56519"] = `<a href="/files/ServiceTags_Public_20251110.json">`
		f.files["ServiceTags_Public_20251110.json"] = readData(t, "ServiceTags_Public_20251103.json")
	})
	c.Add(time.Hour)
	rep, err := u.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed() {
		t.Errorf("same change number reported as a change: %+v", outcomes(rep))
	}
	got := storedMap(t, st)["servicetags/Public"]
	if !strings.HasSuffix(got.URL, "_20251110.json") || !got.FetchedAt.Equal(first.FetchedAt) || !got.CheckedAt.Equal(c.Now()) {
		t.Errorf("stored %s fetched %v checked %v", got.URL, got.FetchedAt, got.CheckedAt)
	}
	// And the next refresh does not download it again.
	if _, err := u.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.hitCount("/files/ServiceTags_Public_20251110.json"); n != 1 {
		t.Errorf("downloaded %d times", n)
	}
}

func TestRefreshCancelled(t *testing.T) {
	f := newFakeMicrosoft(t)
	u, _, _ := newTestUpdater(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := u.Refresh(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestFindServiceTagsLink(t *testing.T) {
	page := "https://www.microsoft.com/en-us/download/details.aspx?id=56519"
	tests := []struct{ name, html, cloud, want string }{
		{"href", `<a href="https://download.microsoft.com/download/7/1/d/ServiceTags_Public_20251103.json">`, "Public",
			"https://download.microsoft.com/download/7/1/d/ServiceTags_Public_20251103.json"},
		{"newest wins", `"url":"https://d.example/a/ServiceTags_Public_20250101.json" "url":"https://d.example/b/ServiceTags_Public_20251201.json" "url":"https://d.example/c/ServiceTags_Public_20250601.json"`, "Public",
			"https://d.example/b/ServiceTags_Public_20251201.json"},
		{"escaped json", `{"url":"https:\/\/download.microsoft.com\/x\/ServiceTags_China_20260720.json"}`, "China",
			"https://download.microsoft.com/x/ServiceTags_China_20260720.json"},
		{"unicode escaped", `{"url":"https:\u002F\u002Fdl.example\u002FServiceTags_China_20260720.json"}`, "China",
			"https://dl.example/ServiceTags_China_20260720.json"},
		{"relative", `<a href="/dl/ServiceTags_AzureGovernment_20260720.json">`, "AzureGovernment",
			"https://www.microsoft.com/dl/ServiceTags_AzureGovernment_20260720.json"},
		{"other cloud only", `<a href="https://d.example/ServiceTags_China_20260720.json">`, "Public", ""},
		{"prefix of cloud name", `<a href="https://d.example/ServiceTags_PublicX_20260720.json">`, "Public", ""},
		{"impossible date", `<a href="https://d.example/ServiceTags_Public_20261399.json">`, "Public", ""},
		{"javascript scheme", `<a href="javascript:alert(1)//ServiceTags_Public_20260720.json">`, "Public", ""},
		{"no link", `<html></html>`, "Public", ""},
	}
	for _, tt := range tests {
		got, err := FindServiceTagsLink([]byte(tt.html), page, tt.cloud)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	u, st, c := newTestUpdater(t, nil)
	files, err := ReadImportDir(dataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	// Names say nothing: the kind and instance come from the content.
	for i := range files {
		files[i].Name = fmt.Sprintf("download(%d).json", i)
	}
	rep, err := u.Import(ctx, files...)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 7 {
		t.Fatalf("%d results", len(rep.Results))
	}
	stored := storedMap(t, st)
	for _, rf := range realFiles {
		s, ok := stored[string(rf.kind)+"/"+rf.instance]
		if !ok || !bytes.Equal(s.Raw, readData(t, rf.file)) {
			t.Errorf("%s not imported as %s/%s", rf.file, rf.kind, rf.instance)
			continue
		}
		if rf.kind == KindServiceTags && s.Version != rf.version || rf.kind == KindM365 && !strings.HasPrefix(s.Version, "import-") {
			t.Errorf("%s: version %q", rf.file, s.Version)
		}
		if !strings.HasPrefix(s.URL, "import:download(") {
			t.Errorf("%s: url %q", rf.file, s.URL)
		}
	}

	// The same files again: nothing changes.
	c.Add(time.Hour)
	rep, err = u.Import(ctx, files...)
	if err != nil || rep.Changed() {
		t.Errorf("re-import: %v %+v", err, outcomes(rep))
	}

	// Bad files fail one by one and change nothing.
	ww := readData(t, "m365_endpoints_worldwide.json")
	rep, err = u.Import(ctx,
		ImportFile{Name: "cut.json", Data: ww[:1000]},
		ImportFile{Name: "version.json", Data: []byte(`{"instance":"Worldwide","latest":"2025120100"}`)},
		ImportFile{Name: "page.html", Data: []byte(`<html>`)},
		ImportFile{Name: "mars.json", Data: ww, Instance: "Mars"},
		ImportFile{Name: "germany.json", Data: []byte(`{"changeNumber":1,"cloud":"AzureGermany","values":[{"name":"A","id":"A","properties":{"changeNumber":1,"region":"","platform":"Azure","systemService":"","addressPrefixes":["1.2.3.0/24"]}}]}`)},
	)
	if err == nil || rep.Changed() {
		t.Fatalf("bad imports: %v %+v", err, rep)
	}
	for _, want := range []string{"cut.json", "/version answer", "page.html", `unknown Microsoft 365 instance "Mars"`, `unknown cloud "AzureGermany"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	for k, s := range storedMap(t, st) {
		if !bytes.Equal(s.Raw, stored[k].Raw) {
			t.Errorf("%s changed by a bad import", k)
		}
	}

	// An explicit instance overrides the guess.
	rep, err = u.Import(ctx, ImportFile{Name: "x.json", Data: ww, Instance: InstanceChina})
	if err != nil || outcomes(rep)["m365/China"] != OutcomeUpdated {
		t.Errorf("instance override: %v %+v", err, rep)
	}
	if _, err := ReadImportDir(t.TempDir()); err == nil {
		t.Error("empty folder: no error")
	}
}

func TestServiceLoadRefreshSwap(t *testing.T) {
	ctx := context.Background()
	f := newFakeMicrosoft(t)
	u, _, c := newTestUpdater(t, f)
	svc, err := NewService(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	teams := netip.MustParseAddr("52.112.0.1")
	if ms := svc.Lookup(teams); len(ms) != 0 {
		t.Fatalf("empty store answers %v", describe(ms))
	}
	status := svc.Status()
	if len(status) != 7 {
		t.Fatalf("status lists %d sources, want all 7", len(status))
	}
	for _, s := range status {
		if !s.FetchedAt.IsZero() || s.Prefixes != 0 {
			t.Errorf("empty status %+v", s)
		}
	}

	empty := svc.Index()
	if _, err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	full := svc.Index()
	if full == empty {
		t.Fatal("index not swapped after a refresh that changed data")
	}
	if hasM365(svc.Lookup(teams), InstanceWorldwide, 12) == nil {
		t.Error("lookup after refresh")
	}
	if hasM365(svc.LookupHost("foo.teams.microsoft.com"), InstanceWorldwide, 12) == nil {
		t.Error("host lookup after refresh")
	}
	for _, s := range svc.Status() {
		if s.FetchedAt.IsZero() || s.Prefixes == 0 || s.Entries == 0 || s.Version == "" || s.Err != "" {
			t.Errorf("status %+v", s)
		}
	}

	// Unchanged data: no rebuild. A failure shows in the status; the data stays.
	f.set(func() { f.fail["/version/China"] = http.StatusBadGateway })
	c.Add(time.Hour)
	if _, err := svc.Refresh(ctx); err == nil {
		t.Fatal("want the China failure")
	}
	if svc.Index() != full {
		t.Error("index rebuilt although nothing changed")
	}
	for _, s := range svc.Status() {
		if (s.Instance == InstanceChina && s.Kind == KindM365) != (s.Err != "") || s.Prefixes == 0 {
			t.Errorf("status after failure %+v", s)
		}
	}

	// A new service over the same store loads the data at start.
	svc2, err := NewService(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if hasM365(svc2.Lookup(teams), InstanceWorldwide, 11) == nil {
		t.Error("restart lost the data")
	}

	// Lookups during a refresh see either index, never a missing one.
	f.set(func() { f.fail["/version/China"] = 0; f.versions[InstanceWorldwide] = "2099010100" })
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.Refresh(ctx)
	}()
	for {
		select {
		case <-done:
			if svc.Index() == full {
				t.Error("index not swapped")
			}
			return
		default:
			if hasM365(svc.Lookup(teams), InstanceWorldwide, 11) == nil {
				t.Fatal("lookup failed during refresh")
			}
		}
	}
}

// The store is what the service runs on in production.
var _ SourceStore = (*store.Store)(nil)

// Data another process stores (tenantdesk ip import into a running server's database) is
// noticed by the running service without a restart, with one small query when nothing changed.
func TestServiceNoticesDataStoredElsewhere(t *testing.T) {
	ctx := context.Background()
	f := newFakeMicrosoft(t)
	u, st, _ := newTestUpdater(t, f)
	running, err := NewService(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := running.ReloadIfChanged(ctx); err != nil || changed {
		t.Fatalf("nothing stored yet: changed %v, %v", changed, err)
	}
	before := running.Index()
	// The command line opens the same database and imports a file.
	cli, err := NewService(ctx, &Updater{Store: st, Logger: u.Logger})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Import(ctx, ImportFile{Name: "m365_endpoints_worldwide.json", Data: readData(t, "m365_endpoints_worldwide.json")}); err != nil {
		t.Fatal(err)
	}
	teams := netip.MustParseAddr("52.112.0.1")
	if len(running.Lookup(teams)) != 0 || running.Index() != before {
		t.Fatal("the running service changed before it looked")
	}
	changed, err := running.ReloadIfChanged(ctx)
	if err != nil || !changed || hasM365(running.Lookup(teams), InstanceWorldwide, 12) == nil {
		t.Fatalf("after the import: changed %v, %v; lookup %v", changed, err, describe(running.Lookup(teams)))
	}
	if changed, _ := running.ReloadIfChanged(ctx); changed {
		t.Error("rebuilt again with nothing new")
	}
	// Watch does the same on its own.
	if _, err := cli.Import(ctx, ImportFile{Name: "m365_endpoints_china.json", Data: readData(t, "m365_endpoints_china.json")}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go running.Watch(wctx, 10*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for running.Index().Sources()[0].Instance != InstanceChina && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(running.Index().Sources()) != 2 {
		t.Errorf("Watch did not load the second import: %+v", running.Index().Sources())
	}
}
