package alerts_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

func TestCheckWebhookURL(t *testing.T) {
	for _, ok := range []string{
		"https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=x",
		"https://hooks.slack.com/services/T000/B000/XXXX", "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]:9/x",
	} {
		if _, err := alerts.CheckWebhookURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "   ", "hooks.slack.com/services/x", "ftp://x/y", "http://example.com/hook", "https://user:pw@x/y",
		"javascript:alert(1)", "https://", "https://x/\x00", "http://10.0.0.1/hook", "https://" + strings.Repeat("a", 5000) + ".com/"} {
		_, err := alerts.CheckWebhookURL(bad)
		var ie *model.InputError
		if !errors.As(err, &ie) || ie.Field != "url" {
			t.Errorf("%q: %v, want an input error on url", bad, err)
		}
	}
	if got := alerts.MaskSecret("https://hooks.slack.com/services/T000/B000/XXXX"); got != "https://hooks.slack.com/… (24 characters hidden)" || strings.Contains(got, "XXXX") {
		t.Errorf("masked: %q", got)
	}
}

// Adding a channel, setting a rule and sending a test are each recorded in the activity log,
// refusals with why, and the webhook URL never appears there.
func TestConfigurator(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
	}))
	defer srv.Close()
	e, err := alerts.New(st, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := alerts.NewConfigurator(st, st, e)
	if err != nil {
		t.Fatal(err)
	}
	c.Configured = map[string]string{"environment": "TENANTDESK_ALERT_WEBHOOK"}
	actor := model.Activity{ActorUPN: "admin@contoso.edu", ActorName: "Ada Admin"}
	secretURL := srv.URL + "/hook?sig=SECRET"
	ch, err := c.AddChannel(ctx, alerts.ChannelInput{Name: " Helpdesk ", Kind: model.ChannelWebhook, Format: model.FormatJSON, URL: secretURL, Actor: actor})
	if err != nil || ch.Name != "Helpdesk" || !ch.Enabled {
		t.Fatalf("add: %+v, %v", ch, err)
	}
	for _, bad := range []alerts.ChannelInput{
		{Name: "", Format: model.FormatJSON, URL: secretURL},
		{Name: "x\u202e", Format: "xml", URL: secretURL},
		{Name: "Helpdesk", Format: model.FormatJSON, URL: secretURL}, // taken
		{Name: "Other", Format: model.FormatSlack, URL: "http://example.com/"},
		{Name: "environment", Format: model.FormatSlack, URL: secretURL}, // the configuration's
	} {
		bad.Actor, bad.Kind = actor, model.ChannelWebhook
		if _, err := c.AddChannel(ctx, bad); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("%+v: %v, want refused", bad, err)
		}
	}
	if err := c.SetRule(ctx, alerts.RuleChange{Rule: alerts.RuleSKULow, Enabled: true, Thresholds: map[string]string{"units": " 5 ", "percent": "10"}, Actor: actor}); err != nil {
		t.Fatal(err)
	}
	stored, err := st.AlertRuleSettings(ctx)
	if err != nil || stored[alerts.RuleSKULow].Settings != `{"percent":10,"units":5}` || stored[alerts.RuleSKULow].UpdatedBy != actor.ActorUPN {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	for _, bad := range []alerts.RuleChange{
		{Rule: alerts.RuleSKULow, Thresholds: map[string]string{"units": "five"}},
		{Rule: alerts.RuleSKULow, Thresholds: map[string]string{"percent": "200"}},
		{Rule: alerts.RuleSKULow, Thresholds: map[string]string{"bogus": "1"}},
	} {
		if err := c.SetRule(ctx, bad); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("%+v: %v, want refused", bad, err)
		}
	}
	if err := c.SetRule(ctx, alerts.RuleChange{Rule: "nope"}); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("unknown rule: %v", err)
	}
	if d, err := c.SendTest(ctx, ch.ID, actor); err != nil || d.Status != "sent" || d.Attempts != 1 {
		t.Fatalf("test: %+v, %v", d, err)
	}
	if !strings.Contains(got, `"kind":"test"`) || !strings.Contains(got, "Ada Admin") {
		t.Errorf("the receiver got %q", got)
	}
	if _, err := c.SendTest(ctx, 999, actor); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("test to no channel: %v", err)
	}
	page, err := st.ListActivity(ctx, model.ActivityFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, a := range page.Entries {
		count[a.Action+" "+a.Result]++
		if strings.Contains(a.Detail, "SECRET") {
			t.Errorf("the activity log shows the webhook URL: %+v", a)
		}
	}
	want := map[string]int{
		model.ActionAlertChannel + " ok": 1, model.ActionAlertChannel + " refused": 5,
		model.ActionAlertRule + " ok": 1, model.ActionAlertRule + " refused": 4,
		model.ActionAlertTest + " ok": 1, model.ActionAlertTest + " refused": 1,
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d entries, want %d (all: %v)", k, count[k], n, count)
		}
	}
}
