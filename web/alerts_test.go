package web

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

func alertsFixture() AlertsView {
	t0 := now.Add(-2 * time.Hour)
	sent := DeliveryView{Channel: "Teams", State: "sent", Attempts: 1, SentAt: now.Add(-time.Minute), At: now.Add(-time.Minute)}
	failed := DeliveryView{Channel: "Mail <b>", State: "failed", Attempts: 3, LastAt: now.Add(-time.Minute), NextAt: now.Add(4 * time.Minute),
		Error: `535 <script>alert(1)</script> authentication failed`}
	waiting := DeliveryView{Channel: "Off", State: "waiting", ChannelOff: true}
	failedTest := failed
	failedTest.Final = true
	return AlertsView{
		CanConfigure: true,
		Open:         []OpenAlertView{{Title: "A1 for faculty is used up", Href: "/licenses/x", Rule: "License running out", Summary: "0 of 500", Since: t0, LastSent: t0}},
		OpenTotal:    1,
		Rules: []AlertRuleView{{Name: "sku-low", Title: "License running out", Description: "A SKU whose units run out", Enabled: true,
			Action: "/alerts/rules/sku-low", Thresholds: []ThresholdView{{Key: "units", Label: "Alert at or below", Unit: "units", Value: "0", Max: 10}},
			Problem: &FormProblem{Message: "These thresholds cannot be used:"}}},
		Channels: []AlertChannelView{{ID: "1", Name: "Teams", Kind: "Webhook", Where: []string{"Teams (Adaptive Card)", "https://x/… (90 characters hidden)"},
			Enabled: true, Quiet: "none", Action: "/alerts/channels/1", TestAction: "/alerts/channels/1/test", LastTest: &sent, Tested: true},
			{ID: "2", Name: "Mail <b>", Kind: "Email (SMTP)", Quiet: "22:00–07:00 UTC", QuietStart: "22:00", QuietEnd: "07:00",
				Action: "/alerts/channels/2", TestAction: "/alerts/channels/2/test", LastTest: &failedTest}},
		AddWebhook: AddChannelForm{Action: "/alerts/channels", Kind: "webhook", Name: "typed", Problem: &FormProblem{Message: "bad url"}, ProblemField: "url",
			Formats: []Option{{Value: "teams", Label: "Teams"}, {Value: "slack", Label: "Slack", Selected: true}}},
		AddEmail: AddChannelForm{Action: "/alerts/channels", Kind: "email"},
		History: []AlertEntryView{
			{ID: "test-9", Title: "Test of Teams", Rule: "Channel test", IsTest: true, Started: now, Events: []AlertEventView{{Kind: "test", Label: "Test", At: now, Deliveries: []DeliveryView{sent}}}},
			{ID: "alert-1", Title: "A1 for faculty is used up", Href: "/licenses/x", Rule: "License running out", Started: t0, Earlier: 2,
				Events: []AlertEventView{{Kind: "fired", Label: "Fired", At: t0, Deliveries: []DeliveryView{failed, waiting}}, {Kind: "repeat", Label: "Reminder", At: now}}},
		},
		HistoryTotal: 2,
		Pager:        Pager{Page: 1, Pages: 1, First: 1, Last: 2, Total: 2},
	}
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// cells is the text of each of sel's children, squashed, joined by " | ".
func cells(sel *goquery.Selection) string {
	var out []string
	sel.Children().Each(func(_ int, c *goquery.Selection) { out = append(out, squash(c.Text())) })
	return strings.Join(out, " | ")
}

func TestAlertsPageComponents(t *testing.T) {
	d := render(t, AlertsPage(baseLayout(), alertsFixture()))
	if got := cells(d.Find("#open-alerts tbody tr")); got != "A1 for faculty is used up 0 of 500 | License running out | 4 Mar 2026 08:05 UTC | 4 Mar 2026 08:05 UTC" {
		t.Errorf("open alert %q", got)
	}
	if d.Find(`#open-alerts a[href="/licenses/x"]`).Length() != 1 {
		t.Error("the open alert does not link to its page")
	}
	rule := d.Find("#rule-sku-low")
	if rule.Find("form[method=post][action='/alerts/rules/sku-low'] .form-problem").Length() != 1 {
		t.Error("the rule's problem is not on its form")
	}
	if in := rule.Find("#th-sku-low-units"); in.AttrOr("name", "") != "threshold-units" || in.AttrOr("max", "") != "10" ||
		d.Find(`label[for="th-sku-low-units"]`).Length() != 1 {
		t.Error("threshold input")
	}
	if got := squash(d.Find("#channel-1 .test-outcome[role=status]").Text()); got != "Test of 4 Mar 2026 10:04 UTC sent 4 Mar 2026 10:04 UTC" {
		t.Errorf("test outcome %q", got)
	}
	if got := squash(d.Find("#channel-2 .test-outcome").Text()); got != "Test of never failed 3 attempts, the last 4 Mar 2026 10:04 UTC — 535 <script>alert(1)</script> authentication failed A test is tried once: send another when the channel is fixed." {
		t.Errorf("failed test %q", got)
	}
	if d.Find("script:not([src])").Length() != 0 || d.Find("#channel-2 b").Length() != 0 {
		t.Error("channel text rendered as HTML")
	}
	if _, off := d.Find("#channel-2 .test-form button").Attr("disabled"); !off {
		t.Error("a channel that is off can be tested")
	}
	if d.Find("#ch-2-quiet-start").AttrOr("value", "") != "22:00" {
		t.Error("quiet hours not in the form")
	}
	if d.Find("#wh-url").AttrOr("aria-invalid", "") != "true" || d.Find("#wh-name").AttrOr("aria-invalid", "") != "false" || d.Find("#wh-url").AttrOr("value", "x") != "x" {
		t.Error("the URL field: marked invalid, never filled")
	}
	if _, open := d.Find("#add-webhook").Parent().Attr("open"); !open {
		t.Error("the refused webhook form is closed")
	}
	if d.Find(`#wh-format option[selected]`).AttrOr("value", "") != "slack" {
		t.Error("format choice lost")
	}
	if d.Find("#em-password").AttrOr("type", "") != "password" {
		t.Error("password field")
	}
	entries := d.Find("#history .alert-entry")
	if entries.Length() != 2 || entries.Eq(0).AttrOr("id", "") != "test-9" {
		t.Fatalf("history entries %d", entries.Length())
	}
	if got := squash(entries.Eq(1).Find(`li[data-channel="Off"]`).Text()); got != "Off: waiting the channel is off: it is sent nothing until it is on." {
		t.Errorf("waiting delivery %q", got)
	}
	if got := cells(entries.Eq(1).Find(`tr[data-kind="repeat"]`)); got != "4 Mar 2026 10:05 UTC | Reminder | no channel was on" {
		t.Errorf("reminder %q", got)
	}
	if !strings.Contains(entries.Eq(1).Text(), "and 2 earlier notifications") {
		t.Error("earlier notifications not counted")
	}
	if entries.Eq(1).Find("table caption").Length() != 1 {
		t.Error("events table without caption")
	}

	// A Reader: no form at all, thresholds and on/off as text.
	v := alertsFixture()
	v.CanConfigure = false
	d = render(t, AlertsPage(baseLayout(), v))
	if n := d.Find("main form").Length(); n != 0 {
		t.Errorf("%d forms for a Reader", n)
	}
	if got := cells(d.Find("#rule-sku-low .thresholds")); got != "Alert at or below | 0 units" {
		t.Errorf("reader thresholds %q", got)
	}
	if got := squash(d.Find("#channel-2 td").Eq(2).Text()); got != "off quiet hours: 22:00–07:00 UTC" {
		t.Errorf("reader's channel state %q", got)
	}

	// Nothing yet.
	d = render(t, AlertsPage(baseLayout(), AlertsView{}))
	if d.Find("#no-open-alerts").Length() != 1 || d.Find("#no-channels").Length() != 1 || d.Find("#no-history").Length() != 1 {
		t.Error("the empty page does not say so")
	}
}
