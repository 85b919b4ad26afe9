package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/health"
)

func TestHealthRules(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	rep := &health.Report{
		Findings: []health.Finding{
			{Kind: health.KindSubscriptions, Items: []health.Item{
				{SKUID: "AAA", SKUName: "Faculty", Units: 120, When: now.Add(10 * 24 * time.Hour), Detail: "Faculty (120 units, Enabled) expires", Fix: "Renew"},
			}},
			{Kind: health.KindStuck, Items: []health.Item{
				{GroupID: "g1", GroupName: "Staff", When: now.Add(-30 * time.Hour)},
				{GroupID: "g2", GroupName: "Lab", When: now.Add(-50 * time.Hour)},
			}},
		},
		Waste: health.Money{"EUR": 123_400, "USD": 50_000},
	}
	in := &Input{Health: rep, Now: now}
	subs := subscriptionsEnding(in, map[string]int{"days": 30})
	if len(subs) != 1 || subs[0].Subject != "subscription:aaa:2026-03-12" || !strings.Contains(subs[0].Message.Title, "Faculty: a subscription of 120 units ends or changes on 2026-03-12") {
		t.Errorf("subscriptions: %+v", subs)
	}
	for hours, want := range map[int]int{24: 2, 40: 1, 60: 0} {
		if got := stuckProcessing(in, map[string]int{"hours": hours}); len(got) != want {
			t.Errorf("stuck at %d hours: %d alerts, want %d", hours, len(got), want)
		}
	}
	for amount, want := range map[int]bool{1000: true, 1234: true, 1235: false} {
		got := wasteAbove(in, map[string]int{"amount": amount})
		if (len(got) == 1) != want {
			t.Errorf("waste at %d: %+v", amount, got)
		}
		if len(got) == 1 && got[0].Message.Title != "Licenses nobody uses cost 1,234.00 EUR + 500.00 USD a month" {
			t.Errorf("waste title %q", got[0].Message.Title)
		}
	}
	// The subscriptions rule is not usable when Microsoft refused the read.
	r, _ := RuleByName(RuleSubscriptions)
	if !r.usable(in) || r.usable(&Input{Health: &health.Report{Findings: []health.Finding{{Kind: health.KindSubscriptions, Unavailable: "403"}}}}) {
		t.Error("usable does not follow the finding's availability")
	}
	if w, _ := RuleByName(RuleWaste); w.Defaults().Enabled {
		t.Error("the waste rule is on before anyone sets an amount")
	}
}
