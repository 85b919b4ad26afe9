package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/graphtest"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// BenchmarkUsersPages serves /users (the list, a search by a part of a name, by a whole object
// id, licensed users only) and /errors (every user in license error: 1,667 of them, by cause
// and by group) in a tenant of 50,000 users and 1,000 licensed groups. Target: under 20 ms a
// page.
func BenchmarkUsersPages(b *testing.B) {
	snap := bigSnapshot(1_000, 50_000)
	st := openStore(b, &snap)
	s, err := New(testDeps(b, st, graphtest.New()))
	if err != nil {
		b.Fatal(err)
	}
	benchPages(b, s.Handler(), []benchPage{
		{"users", "/users"},
		{"users-page-100", "/users?page=100"},
		{"users-search-name", "/users?q=user+4242"},
		{"users-search-id", "/users?q=" + snap.Users[777].ID},
		{"users-search-none", "/users?q=nobody+at+all"},
		{"users-licensed", "/users?licensed=1&q=user+42"},
		{"errors", "/errors"},
		{"errors-text", "/errors?q=user+123"},
	})
}

// benchPage is a page a benchmark serves: its name and its URL.
type benchPage struct{ name, target string }

// benchPages serves each page again and again through h and reports the milliseconds a page
// takes, in wall and in CPU time, and the size of its answer.
func benchPages(b *testing.B, h http.Handler, pages []benchPage) {
	for _, bc := range pages {
		b.Run(bc.name, func(b *testing.B) {
			var size int
			cpu := testkit.CPUTime()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), "GET", bc.target, nil))
				if rec.Code != 200 {
					b.Fatalf("%s: %d", bc.target, rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
			b.ReportMetric(float64((testkit.CPUTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/page")
			b.ReportMetric(float64(size), "resp-bytes")
		})
	}
}
