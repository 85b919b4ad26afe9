package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/graphtest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/web"
)

// bigSnapshot is a tenant with nGroups licensed groups and nUsers users, a few percent of them
// in error, for the report benchmarks.
func bigSnapshot(nGroups, nUsers int) model.Snapshot {
	snap := testSnapshot()
	snap.Groups = snap.Groups[:3]
	skus := []string{skuStudents, skuFaculty, skuE5, skuDefender}
	states := []string{model.ProcessingComplete, model.ProcessingComplete, model.ProcessingComplete, model.ProcessingQueued}
	for i := range nGroups {
		id := fmt.Sprintf("%08x-1111-4000-8000-%012d", i*2654435761%(1<<32), i)
		g := model.Group{ID: id, DisplayName: fmt.Sprintf("Group %05d dept %d", i, i%97), SecurityEnabled: true,
			ProcessingState:  states[i%len(states)],
			AssignedLicenses: []model.AssignedLicense{{SKUID: skus[i%4]}, {SKUID: skus[(i+1)%4]}}}
		snap.Groups = append(snap.Groups, g)
		snap.MemberCounts[id] = model.MemberCounts{All: i % 500, Users: i % 450}
	}
	for i := range nUsers {
		g := snap.Groups[3+i%nGroups]
		st := model.LicenseState{SKUID: g.AssignedLicenses[0].SKUID, AssignedByGroup: g.ID, State: model.StateActive}
		if i%30 == 0 {
			st.State, st.Error = model.StateError, model.ErrorCountViolation
		}
		snap.Users = append(snap.Users, model.User{ID: fmt.Sprintf("b%07d-0000-4000-8000-%012d", i, i),
			DisplayName: fmt.Sprintf("User %d", i), AccountEnabled: true, LicenseStates: []model.LicenseState{st}})
	}
	return snap
}

// BenchmarkGroupReport serves /groups from a real SQLite store holding 10,000 licensed groups;
// only the requested page is read and rendered.
func BenchmarkGroupReport(b *testing.B) {
	snap := bigSnapshot(10_000, 20_000)
	start := time.Now()
	st := openStore(b, &snap)
	b.Logf("snapshot of %d groups, %d users saved in %v", len(snap.Groups), len(snap.Users), time.Since(start).Round(time.Millisecond))
	h := newServer(b, st, nil, nil).Handler()
	for _, bc := range []struct{ name, target string }{
		{"first-page", "/groups"},
		{"size-500", "/groups?size=500"},
		{"by-errors-page-40", "/groups?sort=errors&page=40"},
		{"by-licenses-desc-page-200", "/groups?sort=licenses&dir=desc&page=200"},
		{"search-errors-only", "/groups?q=dept+42&errors=1"},
		{"overview", "/"},
		{"csv-all", "/groups.csv"},
	} {
		target := bc.target
		b.Run(bc.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), "GET", target, nil))
				if rec.Code != 200 {
					b.Fatalf("%s: %d", target, rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "resp-bytes")
		})
	}
	// The store's share of the same views, to tell SQL time from rendering time.
	for _, bc := range []struct {
		name string
		q    model.GroupReportQuery
	}{
		{"store-first-page", model.GroupReportQuery{Sort: "name", Page: 1, PageSize: 50}},
		{"store-size-500", model.GroupReportQuery{Sort: "name", Page: 1, PageSize: 500}},
		{"store-by-errors-page-40", model.GroupReportQuery{Sort: "errors", Desc: true, Page: 40, PageSize: 50}},
		{"store-by-licenses-desc-page-200", model.GroupReportQuery{Sort: "licenses", Desc: true, Page: 200, PageSize: 50}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := st.GroupReport(context.Background(), bc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderReport renders a 500-row page of the report without any store: the
// templates' share of /groups.
func BenchmarkRenderReport(b *testing.B) {
	s := newServer(b, &fakeStore{}, nil, nil)
	page := model.GroupReportPage{Total: 10_000, Page: 3, PageSize: 500}
	for i := range 500 {
		page.Rows = append(page.Rows, model.GroupReportRow{ID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i),
			DisplayName: fmt.Sprintf("Group %d <&>", i), MemberCount: i, UserCount: i, ErrorCount: i % 3,
			ProcessingState: model.ProcessingComplete,
			Licenses:        []model.NamedSKU{{ID: skuE5, Name: "Microsoft 365 E5"}, {ID: skuFaculty, Name: "Office 365 A1 for faculty"}}})
	}
	q := model.GroupReportQuery{Sort: "name", Page: 3, PageSize: 500}
	l := s.layout(context.Background(), "Group licenses", "groups")
	for b.Loop() {
		v := reportView(q, page)
		v.HasData = true
		rec := httptest.NewRecorder()
		s.render(rec, httptest.NewRequest("GET", "/groups", nil), 200, web.GroupReportPage(l, v))
	}
}

// BenchmarkSKUPage serves /licenses/{sku} for a SKU held by 50,000 users (every property
// filled) from a real SQLite store: a page of 100 rows in the ways people look at it, as it is
// looked at again (the first view after a change of the data is BenchmarkSKUPageAfterChange's).
// The target is under 20 ms a page (median of several runs).
func BenchmarkSKUPage(b *testing.B) {
	snap := storetest.HolderSnapshot(50_000)
	start := time.Now()
	st := openStore(b, &snap)
	b.Logf("snapshot of %d holders saved in %v", len(snap.Users), time.Since(start).Round(time.Millisecond))
	s, views := newServer(b, st, nil, nil), skuViews(snap.SKUs[0].PartNumber)
	warmSKUViews(b, s, views)
	benchPages(b, s.Handler(), views)
}

// BenchmarkGroupPage serves /groups/{id} for a group of 33,000 members, 1,000 of them in error,
// in a tenant of 50,000 users, with 500 licensing audit events: the page as people open it
// again and again (its live parts read once and kept). Target: under 20 ms a view.
func BenchmarkGroupPage(b *testing.B) {
	snap := testSnapshot()
	big := model.Group{ID: "b1b1b1b1-0000-4000-8000-000000000001", DisplayName: "All students", SecurityEnabled: true,
		ProcessingState: model.ProcessingComplete, AssignedLicenses: []model.AssignedLicense{{SKUID: skuStudents}, {SKUID: skuFaculty}}}
	snap.Groups = append(snap.Groups[:3], big)
	dir := graphtest.New()
	for i := range 50_000 {
		u := model.User{ID: fmt.Sprintf("c%07d-0000-4000-8000-%012d", i, i), DisplayName: fmt.Sprintf("Student %05d", i),
			UserPrincipalName: fmt.Sprintf("student%05d@contoso.example", i), AccountEnabled: true, UsageLocation: "US"}
		if i < 33_000 {
			st := []model.LicenseState{{SKUID: skuStudents, AssignedByGroup: big.ID, State: model.StateActive},
				{SKUID: skuFaculty, AssignedByGroup: big.ID, State: model.StateActive}}
			if i%33 == 0 {
				st[1].State, st[1].Error = model.StateError, model.ErrorCountViolation
				st[0].State, st[0].Error = model.StateError, model.ErrorOther
			} else {
				u.AssignedLicenses = []model.AssignedLicense{{SKUID: skuStudents}, {SKUID: skuFaculty}}
			}
			u.LicenseStates = st
			dir.Members = append(dir.Members, model.DirectoryObject{ID: u.ID, Type: model.ObjectUser, DisplayName: u.DisplayName, UserPrincipalName: u.UserPrincipalName})
		}
		snap.Users = append(snap.Users, u)
		if i%66 == 0 && len(dir.Audits) < 500 {
			dir.Audits = append(dir.Audits, model.AuditEvent{ID: fmt.Sprintf("audit-%d", i), Activity: "Change user license",
				Result: "failure", At: testNow.Add(-time.Duration(i) * time.Minute), Targets: []model.AuditTarget{{ID: u.ID, DisplayName: u.DisplayName}}})
		}
	}
	snap.MemberCounts[big.ID] = model.MemberCounts{All: 33_000, Users: 33_000}
	st := openStore(b, &snap)
	deps := testDeps(b, st, dir)
	s, err := New(deps)
	if err != nil {
		b.Fatal(err)
	}
	benchPages(b, s.Handler(), []benchPage{
		{"first-page", "/groups/" + big.ID},
		{"errors-page-10", "/groups/" + big.ID + "?epage=10"},
		{"members-search", "/groups/" + big.ID + "?mq=student0123"},
	})
}
