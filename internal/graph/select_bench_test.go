package graph

import (
	"context"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// BenchmarkUsersReportProperties reads every user of a 20,000-user simulated tenant through the
// real SDK client, with the licensing pages' $select alone and with the license report's
// properties added, and prints what the report's properties cost a sync: bytes over the wire
// per user and time per 1,000 users, side by side in one run.
func BenchmarkUsersReportProperties(b *testing.B) {
	e := startSim(b, tenantsim.Config{Seed: 3, Users: 20_000, Groups: 200, LicensedGroups: 50})
	c := e.client(b, e.config())
	ctx := context.Background()
	full := userSelect
	b.Cleanup(func() { userSelect = full })
	for _, v := range []struct {
		name   string
		fields []string
	}{{"licensing-select", baseUserSelect}, {"with-report-properties", full}} {
		b.Run(v.name, func(b *testing.B) {
			userSelect = v.fields
			b.ReportAllocs()
			before := e.srv.Stats().Total.Bytes
			users := 0
			for b.Loop() {
				users = 0
				if err := c.Users(ctx, func(page []model.User) error {
					users += len(page)
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			bytes := float64(e.srv.Stats().Total.Bytes-before) / float64(b.N)
			b.ReportMetric(bytes/float64(users), "bytes/user")
			b.ReportMetric(bytes/(1<<20), "MB/sync")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(users)*1000, "ms/1000-users")
		})
	}
}
