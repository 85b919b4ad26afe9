package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/sspr"
	"github.com/tenantdesk/tenantdesk/internal/sspr/ssprtest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// The verifier's page and API over a real verifier whose directory, audit log and roles come
// from a generated simulated tenant (ssprtest), with messages the simulator renders.

type ssprEnv struct {
	sim  *tenantsim.Tenant
	flow tenantsim.SSPRFlow
	act  *activityRecorder
	h    http.Handler
}

// oneSample offers one of the simulator's flows as the page's sample.
type oneSample struct {
	sim  *tenantsim.Tenant
	flow tenantsim.SSPRFlow
}

func (o oneSample) SSPRSamples() []sspr.Sample {
	return []sspr.Sample{{ID: o.flow.CorrelationID, User: "Sample User", At: o.flow.Ended,
		Variants: []sspr.SampleVariant{{Key: "genuine", Label: "Genuine"}, {Key: "spoofed-lookalike", Label: "Lookalike"}}}}
}

func (o oneSample) SSPRSample(id, variant string) ([]byte, error) {
	return o.sim.RenderSSPREmail(id, variant)
}

func newSSPREnv(t *testing.T) *ssprEnv {
	t.Helper()
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	sim, err := tenantsim.New(tenantsim.Config{Seed: 40, Users: 300, Groups: 30, LicensedGroups: 10, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	flows := ssprtest.ContactedFlows(sim)
	ip, err := ssprtest.EOPLooker(now)
	if err != nil {
		t.Fatal(err)
	}
	v, err := sspr.New(sspr.Deps{Users: []sspr.UserSource{ssprtest.Users{Tenant: sim}}, Audits: &ssprtest.Audits{Tenant: sim},
		Roles: &ssprtest.Roles{Tenant: sim}, IP: ip, TenantID: func(context.Context) (string, error) { return sim.ID, nil },
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	deps := testDeps(t, openStore(t, nil), nil)
	act := &activityRecorder{}
	deps.SSPR, deps.Activity, deps.SSPRSamples = v, act, oneSample{sim, flows[0]}
	s, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	return &ssprEnv{sim: sim, flow: flows[0], act: act, h: s.Handler()}
}

func (e *ssprEnv) mail(t *testing.T, variant string) []byte {
	t.Helper()
	b, err := e.sim.RenderSSPREmail(e.flow.CorrelationID, variant)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ssprForm is the page's form: the paste box and, if file is not nil, an upload.
func ssprForm(t *testing.T, message string, fileName string, file []byte) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("message", message); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", fileName)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	return &body, mw.FormDataContentType()
}

func TestSSPRPageEmpty(t *testing.T) {
	e := newSSPREnv(t)
	res := do(t, e.h, "GET", "/sspr", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, res.body)
	}
	d := res.doc(t)
	if d.Find(`#sspr-form textarea[name="message"]`).Length() != 1 || d.Find(`#sspr-form input[type="file"][name="file"]`).Length() != 1 {
		t.Fatal("no paste box or file upload")
	}
	if d.Find("#sspr-result").Length() != 0 {
		t.Error("a result on the empty page")
	}
	if got := d.Find(`nav a[aria-current="page"]`).Text(); got != "Reset requests" {
		t.Errorf("active nav %q", got)
	}
	if d.Find(`#sspr-samples a.sspr-sample-paste`).Length() != 2 || d.Find(`#sspr-samples a.sspr-sample-eml[download]`).Length() != 2 {
		t.Errorf("samples: %s", d.Find("#sspr-samples").Text())
	}
	// A sample link fills the paste box.
	href, _ := d.Find(`#sspr-samples li[data-variant="genuine"] a.sspr-sample-paste`).Attr("href")
	href, _, _ = strings.Cut(href, "#") // browsers do not send the fragment
	res = do(t, e.h, "GET", href, nil)
	// HTML reads a textarea's line ends as LF; browsers send them back as CRLF.
	if got := res.doc(t).Find("#sspr-message").Text(); got != strings.ReplaceAll(string(e.mail(t, "genuine")), "\r\n", "\n") {
		t.Errorf("sample link filled the box with %d bytes, want the genuine mail", len(got))
	}
	eml, _ := d.Find(`#sspr-samples li[data-variant="genuine"] a.sspr-sample-eml`).Attr("href")
	res = do(t, e.h, "GET", eml, nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "message/rfc822" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") || res.body != string(e.mail(t, "genuine")) {
		t.Errorf("sample download: %d %v", res.StatusCode, res.Header)
	}
	if res := do(t, e.h, "GET", "/sspr/samples/nope/genuine.eml", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown sample: %d", res.StatusCode)
	}
}

func TestSSPRPageVerdicts(t *testing.T) {
	e := newSSPREnv(t)
	headers, _, _ := strings.Cut(string(e.mail(t, "genuine")), "\r\n\r\n")
	cases := []struct {
		name, paste, file string
		data              []byte
		verdict           string
	}{
		{"pasted genuine", string(e.mail(t, "genuine")), "", nil, "genuine"},
		{"uploaded .eml", "", "request.eml", e.mail(t, "genuine"), "genuine"},
		{"no matching flow", string(e.mail(t, "no-audit")), "", nil, "suspicious"},
		{"lookalike", string(e.mail(t, "spoofed-lookalike")), "", nil, "spoofed"},
		{"forged Authentication-Results", "", "x.eml", e.mail(t, "spoofed-injected-authres"), "spoofed"},
		{"headers only", headers, "", nil, "cannot-tell"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, ct := ssprForm(t, c.paste, c.file, c.data)
			res := post(t, e.h, "/sspr", body, ct)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", res.StatusCode, res.body)
			}
			d := res.doc(t)
			r := d.Find("#sspr-result")
			if v, _ := r.Attr("data-verdict"); v != c.verdict {
				t.Fatalf("verdict %q, want %q: %s", v, c.verdict, d.Find("#sspr-summary").Text())
			}
			if d.Find("#sspr-checks tbody tr").Length() < 5 {
				t.Error("checks table missing")
			}
			if !strings.Contains(d.Find("#sspr-steps").Text(), "confirm with the user by a channel you already know") {
				t.Error("no advice to confirm with the user")
			}
			switch c.verdict {
			case "genuine":
				li := d.Find(`#sspr-flows li.sspr-flow[data-matches="true"]`)
				if corr, _ := li.Attr("data-correlation"); corr != e.flow.CorrelationID {
					t.Errorf("matching flow %q, want %s", corr, e.flow.CorrelationID)
				}
				if !strings.Contains(li.Text(), e.flow.IPAddress) || li.Find("tbody tr").Length() < 2 {
					t.Errorf("flow timeline: %s", li.Text())
				}
				if href, _ := d.Find("#sspr-user-link").Attr("href"); href != "/users/"+e.flow.UserID {
					t.Errorf("user link %q", href)
				}
			case "cannot-tell":
				if d.Find("#sspr-missing li").Length() == 0 {
					t.Error("cannot tell without saying what is missing")
				}
			case "spoofed":
				if d.Find(`#sspr-checks tr[data-status="fail"]`).Length() == 0 {
					t.Error("spoofed without a failing check")
				}
			}
		})
	}
	// Every check was recorded, with the user and the verdict, never the message.
	acts := e.act.list()
	if len(acts) != len(cases) {
		t.Fatalf("%d activity entries, want %d", len(acts), len(cases))
	}
	for _, a := range acts {
		if a.Action != model.ActionSSPRVerify || a.Target == "" || !strings.HasPrefix(a.Detail, "verdict: ") || a.ActorUPN == "" {
			t.Errorf("activity %+v", a)
		}
		if strings.Contains(a.Detail+a.Target+a.TargetName, "Authentication-Results") || strings.Contains(a.Detail, "Received") {
			t.Errorf("activity holds message text: %+v", a)
		}
	}
}

func TestSSPRPageBadInput(t *testing.T) {
	e := newSSPREnv(t)
	cases := []struct {
		name, paste, file string
		data              []byte
		status            int
		says              string
	}{
		{"nothing", "", "", nil, 400, "nothing was sent"},
		{"paste and file", "From: x@y.example\r\n", "a.eml", []byte("From: x@y.example\r\n"), 400, "not both"},
		{"binary junk", "", "junk.bin", bytes.Repeat([]byte{0, 1, 2, 3, 0xff}, 4000), 400, "not an email"},
		{"a word", "hello", "", nil, 400, "not an email"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, ct := ssprForm(t, c.paste, c.file, c.data)
			res := post(t, e.h, "/sspr", body, ct)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d", res.StatusCode, c.status)
			}
			if got := res.doc(t).Find("#sspr-form #form-problem").Text(); !strings.Contains(got, c.says) {
				t.Errorf("form problem %q, want %q", got, c.says)
			}
		})
	}
	if n := len(e.act.list()); n != 0 {
		t.Errorf("%d activity entries for bad input", n)
	}
}

// A 50 MB paste is refused with a 413 at once, whether its length is announced or not; the
// times are printed, not asserted (the benchmarks in internal/sspr measure the reader).
func TestSSPRTooLarge(t *testing.T) {
	e := newSSPREnv(t)
	big := bytes.Repeat([]byte("Received: from x by y; Mon, 2 Mar 2026 09:00:00 +0000\r\n"), 50<<20/56)
	for _, tc := range []struct {
		name, target string
		chunked      bool
	}{{"page, length announced", "/sspr", false}, {"page, chunked", "/sspr", true}, {"API, length announced", "/api/sspr/verify", false}, {"API, chunked", "/api/sspr/verify", true}} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(big)
			if tc.chunked {
				body = io.MultiReader(bytes.NewReader(big)) // no length
			}
			req := httptest.NewRequest("POST", tc.target, body)
			req.Header.Set("Content-Type", "text/plain")
			if tc.target == "/sspr" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if tc.chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			start := time.Now()
			e.h.ServeHTTP(rec, req)
			took := time.Since(start)
			t.Logf("%s: 50 MB answered %d in %v", tc.name, rec.Code, took)
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d: %s", rec.Code, rec.Body.String()[:min(rec.Body.Len(), 300)])
			}
			if !strings.Contains(rec.Body.String(), "larger than the limit of 10 MB") {
				t.Errorf("body does not say the limit: %s", rec.Body.String()[:min(rec.Body.Len(), 300)])
			}
		})
	}
}

func TestSSPRAPI(t *testing.T) {
	e := newSSPREnv(t)
	res := post(t, e.h, "/api/sspr/verify?filename=request.eml", bytes.NewReader(e.mail(t, "genuine")), "message/rfc822")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d: %s", res.StatusCode, res.body)
	}
	var rep sspr.Report
	if err := json.Unmarshal([]byte(res.body), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != sspr.VerdictGenuine || rep.Message.Format != sspr.FormatEML || len(rep.Flows) == 0 || rep.User == nil || rep.User.ID != e.flow.UserID {
		t.Fatalf("report %+v", rep)
	}
	res = post(t, e.h, "/api/sspr/verify", bytes.NewReader(e.mail(t, "spoofed-lookalike")), "")
	if !strings.Contains(res.body, `"verdict": "spoofed"`) {
		t.Errorf("lookalike: %s", res.body[:min(len(res.body), 200)])
	}
	res = post(t, e.h, "/api/sspr/verify", bytes.NewReader([]byte{0, 0, 0, 1}), "application/octet-stream")
	var apiErr struct{ Error string }
	if res.StatusCode != 400 || json.Unmarshal([]byte(res.body), &apiErr) != nil || !strings.Contains(apiErr.Error, "not an email") {
		t.Errorf("junk: %d %s", res.StatusCode, res.body)
	}
}
