package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// receiver is a local webhook that records what it is sent and answers status.
type receiver struct {
	mu     sync.Mutex
	bodies []string
	status int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.bodies = append(rc.bodies, string(b))
	if rc.status != 0 {
		http.Error(w, "the flow is switched off", rc.status)
	}
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bodies...)
}

// A LicenseAdmin adds a webhook channel, sends it a test and sees it sent in the history;
// bad input is refused on its form, and neither the webhook URL nor a password ever reaches
// the page; a failing receiver's test says why and when it is tried again; a Reader sees the
// page without any form and may post none.
func TestAlertsPage(t *testing.T) {
	st := openStore(t, nil)
	deps := testDeps(t, st, nil)
	s, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	log := deps.Activity.(*activityRecorder)
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	secretURL := hook.URL + "/workflows/abc/triggers/manual/paths/invoke?sig=TOPSECRETSIG"

	d := do(t, h, "GET", "/alerts", nil).doc(t)
	if n := d.Find("#rules .alert-rule").Length(); n != len(alerts.Rules()) {
		t.Fatalf("%d rules shown, want %d", n, len(alerts.Rules()))
	}
	if got := strings.Join(strings.Fields(d.Find("#rule-sku-low").Text()), " "); !strings.Contains(got, "License running out") || !strings.Contains(got, "units") {
		t.Errorf("rule sku-low: %q", got)
	}
	if d.Find("#no-open-alerts").Length() != 1 || d.Find("#no-channels").Length() != 1 || d.Find("#no-history").Length() != 1 {
		t.Error("an empty alerts page does not say so")
	}
	if got := d.Find("nav[aria-label=Main] > ul > li > a[aria-current=page]").Text(); got != "Alerts" {
		t.Errorf("active navigation entry %q", got)
	}

	// A bad URL is refused on the webhook form, the name kept.
	res := postForm(t, h, "/alerts/channels", url.Values{"kind": {"webhook"}, "name": {"Helpdesk Teams"}, "format": {"teams"},
		"url": {"http://example.com/hook?sig=TYPEDSECRET"}}, "")
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad URL: %d", res.StatusCode)
	}
	d = res.doc(t)
	if got := d.Find("#add-webhook .form-problem").Text(); !strings.Contains(got, "plain http is only for a relay on this machine") {
		t.Errorf("problem on the webhook form: %q", got)
	}
	if d.Find("#wh-name").AttrOr("value", "") != "Helpdesk Teams" || d.Find("#wh-url").AttrOr("aria-invalid", "") != "true" {
		t.Error("the refused form lost the name or does not mark the URL")
	}
	if strings.Contains(res.body, "TYPEDSECRET") {
		t.Error("the typed webhook URL is written back into the page")
	}

	res = postForm(t, h, "/alerts/channels", url.Values{"kind": {"webhook"}, "name": {"Helpdesk Teams"}, "format": {"teams"},
		"url": {secretURL}, "quiet_start": {"22:00"}, "quiet_end": {"06:30"}, "quiet_zone": {"Europe/Berlin"}}, "")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add channel: %d %s", res.StatusCode, res.body)
	}
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/alerts?added=") || !strings.Contains(loc, "#channel-") {
		t.Fatalf("after adding: %q", loc)
	}
	id := loc[strings.LastIndex(loc, "-")+1:]
	res = do(t, h, "GET", page(loc), nil)
	d = res.doc(t)
	row := d.Find("#channel-" + id)
	where := items(row.Find(".channel-where li"))
	if !strings.Contains(where, "Teams (Adaptive Card") || !strings.Contains(where, hook.URL+"/… (") {
		t.Errorf("channel shows %q", where)
	}
	if strings.Contains(res.body, "TOPSECRETSIG") || strings.Contains(res.body, "/workflows/abc") {
		t.Error("the webhook URL is shown")
	}
	if row.Find(`input[name=quiet_start]`).AttrOr("value", "") != "22:00" || row.Find(`input[name=quiet_zone]`).AttrOr("value", "") != "Europe/Berlin" {
		t.Error("quiet hours not in the channel's form")
	}
	if got := d.Find("#channel-added").Text(); !strings.Contains(got, "Helpdesk Teams added") {
		t.Errorf("added note %q", got)
	}

	// No quiet hours, so the test goes now; it arrives and shows as sent, on the row and in the history.
	if res := postForm(t, h, "/alerts/channels/"+id, url.Values{"enabled": {"on"}, "quiet_zone": {"Mars/Olympus"}, "quiet_start": {"1:00"}, "quiet_end": {"2:00"}}, ""); res.StatusCode != http.StatusBadRequest ||
		!strings.Contains(res.doc(t).Find("#channel-"+id+" .form-problem").Text(), "not a time") {
		t.Errorf("bad quiet hours: %d", res.StatusCode)
	}
	if res := postForm(t, h, "/alerts/channels/"+id, url.Values{"enabled": {"on"}}, ""); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set channel: %d %s", res.StatusCode, res.body)
	}
	res = postForm(t, h, "/alerts/channels/"+id+"/test", nil, "")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/alerts?tested="+id+"#channel-"+id {
		t.Fatalf("test: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if got := rc.got(); len(got) != 1 || !strings.Contains(got[0], "tenantdesk can reach this channel") {
		t.Fatalf("the receiver got %q", got)
	}
	d = do(t, h, "GET", page(res.Header.Get("Location")), nil).doc(t)
	if got := strings.Join(strings.Fields(d.Find("#channel-"+id+" .test-outcome[role=status]").Text()), " "); !strings.Contains(got, "sent") {
		t.Errorf("test outcome %q", got)
	}
	entry := d.Find("#history .alert-entry").First()
	if got := entry.Find("h3").Text(); strings.TrimSpace(got) != "Test of Helpdesk Teams" {
		t.Errorf("history entry %q", got)
	}
	if got := strings.Join(strings.Fields(entry.Find(`li[data-channel="Helpdesk Teams"]`).Text()), " "); !strings.Contains(got, "sent 4 Mar 2026 10:05 UTC") {
		t.Errorf("history delivery %q", got)
	}

	// A receiver that refuses: the test failed, why, and that a test is not tried again.
	rc.mu.Lock()
	rc.status = http.StatusForbidden
	rc.mu.Unlock()
	res = postForm(t, h, "/alerts/channels/"+id+"/test", nil, "")
	d = do(t, h, "GET", page(res.Header.Get("Location")), nil).doc(t)
	got := strings.Join(strings.Fields(d.Find("#channel-"+id+" .test-outcome").Text()), " ")
	if !strings.Contains(got, "failed") || !strings.Contains(got, "403 Forbidden: the flow is switched off") || !strings.Contains(got, "A test is tried once") {
		t.Errorf("failed test %q", got)
	}

	// Rules: a threshold out of range is refused on its form with what was typed.
	res = postForm(t, h, "/alerts/rules/sku-low", url.Values{"enabled": {"on"}, "threshold-units": {"5"}, "threshold-percent": {"400"}}, "")
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad threshold: %d", res.StatusCode)
	}
	d = res.doc(t)
	if got := d.Find("#rule-sku-low .form-problem").Text(); !strings.Contains(got, "between 0 and 100") {
		t.Errorf("rule problem %q", got)
	}
	if d.Find("#th-sku-low-percent").AttrOr("value", "") != "400" {
		t.Error("the typed threshold is lost")
	}
	res = postForm(t, h, "/alerts/rules/sku-low", url.Values{"threshold-units": {"5"}, "threshold-percent": {"10"}}, "")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set rule: %d %s", res.StatusCode, res.body)
	}
	d = do(t, h, "GET", page(res.Header.Get("Location")), nil).doc(t)
	r := d.Find("#rule-sku-low")
	if r.Find("#th-sku-low-units").AttrOr("value", "") != "5" || r.Find(`input[name=enabled]`).Is(":checked") || r.Find(".badge").Text() != "off" {
		t.Errorf("rule after saving: %q", r.Text())
	}
	if !strings.Contains(r.Find(".saved-note").Text(), "Saved") || !strings.Contains(r.Find(".rule-updated").Text(), "licenseadmin@example.com") {
		t.Error("the saved rule does not say so, or by whom")
	}
	if res := postForm(t, h, "/alerts/rules/no-such-rule", url.Values{}, ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown rule: %d", res.StatusCode)
	}

	// An email channel: the password is stored, never shown; a bad address is refused.
	res = postForm(t, h, "/alerts/channels", url.Values{"kind": {"email"}, "name": {"Mail"}, "smtp_host": {"smtp.example.com"},
		"smtp_security": {"starttls"}, "smtp_user": {"alerts@example.com"}, "smtp_password": {"PASSWORD123"}, "from": {"alerts@example.com"}, "to": {"not an address"}}, "")
	if res.StatusCode != http.StatusBadRequest || strings.Contains(res.body, "PASSWORD123") {
		t.Fatalf("bad recipient: %d, password in page %v", res.StatusCode, strings.Contains(res.body, "PASSWORD123"))
	}
	d = res.doc(t)
	if d.Find("#add-email .form-problem").Length() != 1 || d.Find("#em-to").AttrOr("aria-invalid", "") != "true" || d.Find("#em-host").AttrOr("value", "") != "smtp.example.com" {
		t.Error("the email form's problem is not on it")
	}
	res = postForm(t, h, "/alerts/channels", url.Values{"kind": {"email"}, "name": {"Mail"}, "smtp_host": {"smtp.example.com"},
		"smtp_security": {"starttls"}, "smtp_user": {"alerts@example.com"}, "smtp_password": {"PASSWORD123"}, "from": {"alerts@example.com"}, "to": {"a@example.com; b@example.com"}}, "")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add email: %d %s", res.StatusCode, res.body)
	}
	res = do(t, h, "GET", "/alerts", nil)
	if strings.Contains(res.body, "PASSWORD123") {
		t.Error("the SMTP password is shown")
	}
	if got := items(res.doc(t).Find(`tr[data-channel="Mail"] .channel-where li`)); got != "smtp.example.com:587, STARTTLS | as alerts@example.com (password stored) | from alerts@example.com | to a@example.com, b@example.com" {
		t.Errorf("email channel shows %q", got)
	}

	// Every change is in the activity log, without a secret.
	actions := map[string]int{}
	for _, a := range log.list() {
		actions[a.Action+"/"+a.Result]++
		if strings.Contains(a.Detail, "TOPSECRETSIG") || strings.Contains(a.Detail, "PASSWORD123") {
			t.Errorf("a secret in the activity log: %+v", a)
		}
	}
	for _, want := range []string{model.ActionAlertChannel + "/" + model.ActivityOK, model.ActionAlertChannel + "/" + model.ActivityRefused,
		model.ActionAlertTest + "/" + model.ActivityOK, model.ActionAlertRule + "/" + model.ActivityOK, model.ActionAlertRule + "/" + model.ActivityRefused} {
		if actions[want] == 0 {
			t.Errorf("no %s in the activity log: %v", want, actions)
		}
	}

	// A Reader reads, without forms, and may not post.
	reader := http.Header{"X-Test-Role": {"reader"}}
	res = do(t, h, "GET", "/alerts", reader)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("reader: %d", res.StatusCode)
	}
	d = res.doc(t)
	if n := d.Find("main form").Length(); n != 0 {
		t.Errorf("a Reader sees %d forms", n)
	}
	if got := strings.Join(strings.Fields(d.Find("#rule-sku-low .thresholds").Text()), " "); !strings.Contains(got, "5 units") || !strings.Contains(got, "10 %") {
		t.Errorf("reader's thresholds %q", got)
	}
	if d.Find("#history .alert-entry").Length() != 2 {
		t.Errorf("reader's history has %d entries", d.Find("#history .alert-entry").Length())
	}
	for _, p := range []string{"/alerts/rules/sku-low", "/alerts/channels", "/alerts/channels/" + id, "/alerts/channels/" + id + "/test"} {
		if res := postForm(t, h, p, url.Values{}, "reader"); res.StatusCode != http.StatusForbidden {
			t.Errorf("a Reader's POST %s: %d", p, res.StatusCode)
		}
	}
	// A form posted from another site is refused before it is read, like every form's.
	for _, p := range []string{"/alerts/channels", "/alerts/channels/" + id + "/test", "/alerts/rules/sku-low"} {
		req := httptest.NewRequest("POST", p, strings.NewReader("name=x&kind=webhook&format=json&url=https%3A%2F%2Fevil.example%2F"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d", p, rec.Code)
		}
	}
	if got := len(rc.got()); got != 2 {
		t.Errorf("the receiver got %d requests, want the two tests", got)
	}

	// A form's address reloaded or bookmarked leads to its part of the page.
	for path, want := range map[string]string{"/alerts/channels": "/alerts#channels", "/alerts/rules/sku-low": "/alerts#rule-sku-low",
		"/alerts/channels/" + id + "/test": "/alerts#channel-" + id} {
		if res := do(t, h, "GET", path, reader); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("GET %s: %d to %q, want %q", path, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	if res := postForm(t, h, "/alerts/channels/x/test", nil, ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("test of channel x: %d", res.StatusCode)
	}
}
