package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// BenchmarkSaveSnapshot saves a 100,000-user tenant (1-3 license states each, 10,000 groups):
// into an empty store (the first sync), and over the previous snapshot with 1% of the users
// changed (a daily full sync: the rest are carried). Run with -benchtime=3x.
func BenchmarkSaveSnapshot(b *testing.B) {
	ctx := context.Background()
	snap := genTenant(1, 100_000, 10_000)
	var states int
	for _, u := range snap.Users {
		states += len(u.LicenseStates)
	}
	run := func(b *testing.B, prepare func() *Store) {
		b.ReportAllocs()
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			st := prepare()
			b.StartTimer()
			start := cpuTime()
			if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
				b.Fatal(err)
			}
			cpu += cpuTime() - start
		}
		// CPU time as well as wall time: on a busy machine it is the steadier figure.
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(len(snap.Users)), "users")
		b.ReportMetric(float64(states), "states")
	}
	b.Run("empty", func(b *testing.B) {
		run(b, func() *Store { return openTest(b) })
	})
	b.Run("over-previous-1pct-changed", func(b *testing.B) {
		st := openTest(b)
		if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
			b.Fatal(err)
		}
		round := 0
		run(b, func() *Store {
			if err := st.WaitPruned(); err != nil { // a day apart, as daily syncs are
				b.Fatal(err)
			}
			round++
			for i := round; i < len(snap.Users); i += 100 {
				snap.Users[i].DisplayName = fmt.Sprintf("User %d, round %d", i, round)
			}
			return st
		})
	})
}

// BenchmarkGroupReport pages through a 10,000-group report in the ways the page does.
func BenchmarkGroupReport(b *testing.B) {
	st := openTest(b)
	ctx := context.Background()
	if err := st.SaveSnapshot(ctx, 0, genTenant(2, 20_000, 10_000)); err != nil {
		b.Fatal(err)
	}
	cases := []model.GroupReportQuery{
		{},
		{Page: 100},
		{Sort: model.GroupSortErrors, Desc: true},
		{Sort: model.GroupSortMembers, Page: 150},
		{Sort: model.GroupSortLicenses, Desc: true, Page: 20},
		{Sort: model.GroupSortProcessing},
		{Search: "stud"},
		{Search: "ärz", Sort: model.GroupSortErrors, Desc: true},
		{OnlyErrors: true, Sort: model.GroupSortName, Desc: true},
		{PageSize: MaxPageSize, Page: 10},
	}
	for _, q := range cases {
		b.Run(fmt.Sprintf("sort=%s,desc=%v,search=%q,errors=%v,page=%d,size=%d", q.Sort, q.Desc, q.Search, q.OnlyErrors, q.Page, q.PageSize), func(b *testing.B) {
			cpu := cpuTime()
			defer func() { b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op") }()
			for b.Loop() {
				p, err := st.GroupReport(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Rows) == 0 {
					b.Fatal("no rows")
				}
			}
		})
	}
	b.Run("csv all rows", func(b *testing.B) {
		cpu := cpuTime()
		defer func() { b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op") }()
		for b.Loop() {
			n := 0
			if err := st.EachGroupReportRow(ctx, model.GroupReportQuery{Sort: model.GroupSortLicenses}, func(model.GroupReportRow) error {
				n++
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			if n != 10_000 {
				b.Fatalf("%d rows", n)
			}
		}
	})
}

// cpuTime is the CPU time the process has used so far.
func cpuTime() time.Duration { return testkit.CPUTime() }

// BenchmarkSearchUsers searches 50,000 users the ways people type: a part of a name, a whole
// proxy address (found through snapshot_user_keys), a whole object id; and lists every user in
// error, tenant-wide (/errors).
func BenchmarkSearchUsers(b *testing.B) {
	st := openTest(b)
	ctx := context.Background()
	snap := genTenant(3, 50_000, 1_000)
	if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name, q  string
		offset   int
		licensed bool
	}{
		{"name part", "user 4242", 0, false},
		{"proxy address", "smtp:USER31337@contoso.example", 0, false},
		{"object id", snap.Users[777].ID, 0, false},
		{"no match", "nobody at all", 0, false},
		{"everyone matches", "user", 0, false},
		{"all users page 1", "", 0, false},
		{"all users page 500", "", 500 * 50, false},
		{"licensed users", "", 0, true},
		{"licensed name part", "user 42", 0, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			search := st.SearchUsers
			if c.licensed {
				search = st.SearchLicensedUsers
			}
			cpu := cpuTime()
			defer func() { b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op") }()
			for b.Loop() {
				r, err := search(ctx, c.q, c.offset, 50)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(r.Total), "matches")
			}
		})
	}
	b.Run("users in error", func(b *testing.B) {
		for b.Loop() {
			users, err := st.UsersInError(ctx)
			if err != nil || len(users) == 0 {
				b.Fatal(len(users), err)
			}
			b.ReportMetric(float64(len(users)), "users")
		}
	})
}
