package alerts_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// The Teams payload of every kind of message, hostile text included, is a valid Adaptive Card
// to Microsoft's own adaptivecards library (cardcheck/check.js: strict parse, validateProperties,
// every property against the library's schema of its type, the card schema's required ones). It runs where Node.js and `npm ci` in cardcheck are present, and is
// required in CI (TENANTDESK_NODE_TESTS=required).
func TestTeamsPayloadIsAnAdaptiveCard(t *testing.T) {
	node := testkit.Node(t, "cardcheck", "adaptivecards")
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	base := model.AlertMessage{Rule: alerts.RuleSKULow, Subject: "sku:aaa", Title: "Office 365 A1 for faculty is used up",
		Summary: "2 groups assign it.", Facts: []model.Fact{{Name: "License", Value: "Office 365 A1 for faculty"}},
		Fix: "Buy more units.", Link: "https://td.example/licenses/aaa", Since: at, At: at}
	hostile := base
	hostile.Title = `=cmd|' /C calc'!A0 **bold** <b>x</b> {{DATE(2026-03-02T09:00:00Z)}} ` + "\u202e\u0000\t" + strings.Repeat("é", 3000)
	hostile.Facts = nil
	for i := range 40 {
		hostile.Facts = append(hostile.Facts, model.Fact{Name: "Fact " + string(rune('A'+i%26)), Value: "[link](javascript:alert(1)) \"quoted\""})
	}
	noLink := base
	noLink.Link, noLink.Facts, noLink.Fix = "", nil, ""
	for name, m := range map[string]model.AlertMessage{"fired": base, "hostile": hostile, "bare": noLink} {
		for _, kind := range []string{model.AlertFired, model.AlertRepeat, model.AlertResolved, model.AlertTest} {
			m.Kind = kind
			b, err := alerts.Payload(model.FormatTeams, m)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(node, "check.js")
			cmd.Dir = "cardcheck"
			cmd.Stdin = bytes.NewReader(b)
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "ok" {
				t.Errorf("%s %s: %v\n%s", name, kind, err, out)
			}
		}
	}
	// The check can fail: a card with an unknown element and a bad value is refused.
	cmd := exec.Command(node, "check.js")
	cmd.Dir = "cardcheck"
	cmd.Stdin = strings.NewReader(`{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.4","body":[{"type":"TextBlok","text":"x"},{"type":"TextBlock","text":"x","weight":"Heavy"}]}}]}`)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "TextBlok") {
		t.Errorf("a broken card passed: %s", out)
	}
	// ...and so is one with a misspelled property and a fact without its title (the library's
	// parse ignores both; its schema of each type and the card schema's required ones do not).
	cmd = exec.Command(node, "check.js")
	cmd.Dir = "cardcheck"
	cmd.Stdin = strings.NewReader(`{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.4","body":[{"type":"TextBlock","text":"x","wieght":"Bolder"},{"type":"FactSet","facts":[{"value":"v"}]}],"actions":[{"type":"Action.OpenUrl","title":"o","url":"https://x","colour":"red"}]}}]}`)
	out, err := cmd.CombinedOutput()
	for _, want := range []string{`unknown property "wieght"`, "facts[0]: no title", `unknown property "colour"`} {
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("a card with %s passed: %s", want, out)
		}
	}
}
