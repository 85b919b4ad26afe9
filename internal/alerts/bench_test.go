package alerts_test

import (
	"context"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/health"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

// BenchmarkEvaluate is what the alerts add to every refresh at 50,000 users (4 SKUs, 40
// licensed groups, 3,200 users in error): every rule on, the health report and the causes
// computed, nothing changed since the last evaluation (the state written once, before the
// timer).
func BenchmarkEvaluate(b *testing.B) {
	ctx := context.Background()
	st := storetest.Open(b)
	snap := storetest.HolderSnapshot(50_000, 30_000, 10_000, 2_000)
	start := time.Now()
	if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
		b.Fatal(err)
	}
	b.Logf("snapshot of %d users, %d groups saved in %v", len(snap.Users), len(snap.Groups), time.Since(start).Round(time.Millisecond))
	e, err := alerts.New(st, st, nil)
	if err != nil {
		b.Fatal(err)
	}
	hs, err := health.New(st, st, nil)
	if err != nil {
		b.Fatal(err)
	}
	e.Health, e.Errors = hs, st
	for _, bc := range []struct {
		name   string
		health bool
	}{{"every-rule", true}, {"defaults", false}, {"without-health-rules", false}} {
		b.Run(bc.name, func(b *testing.B) {
			for _, r := range alerts.Rules() {
				on := bc.health || !r.Health
				if bc.name == "defaults" {
					on = !r.Off
				}
				if err := st.SetAlertRuleSettings(ctx, model.AlertRuleSettings{Rule: r.Name, Enabled: on, Settings: "{}", UpdatedBy: "bench"}); err != nil {
					b.Fatal(err)
				}
			}
			first, err := e.Evaluate(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%d alerts changed", len(first))
			for b.Loop() {
				if changes, err := e.Evaluate(ctx); err != nil || len(changes) != 0 {
					b.Fatalf("%d changes, %v", len(changes), err)
				}
			}
		})
	}
}
