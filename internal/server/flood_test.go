package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// floodResult is what a burst of requests got back.
type floodResult struct {
	status    map[int]int
	latencies []time.Duration
}

func (f floodResult) percentile(p float64) time.Duration {
	if len(f.latencies) == 0 {
		return 0
	}
	l := slices.Clone(f.latencies)
	slices.Sort(l)
	return l[min(len(l)-1, int(float64(len(l))*p))]
}

// flood sends n requests from 8 workers; mk builds request i.
func flood(t *testing.T, client *http.Client, n int, mk func(i int) *http.Request) floodResult {
	t.Helper()
	res := floodResult{status: map[int]int{}}
	var mu sync.Mutex
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				start := time.Now()
				resp, err := client.Do(mk(i))
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				res.status[resp.StatusCode]++
				res.latencies = append(res.latencies, time.Since(start))
				mu.Unlock()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return res
}

func fileSizes(paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// The flood: 10,000 anonymous cross-origin POSTs and 10,000 GETs refused to a signed-in
// person without the role, each from one address, then 10,000 cross-origin POSTs from 10,000
// addresses. Answers become 429 once the limits are used up, the activity log grows by a
// bounded number of entries, and the server keeps answering everyone else.
func TestFloodOfRefusalsIsBounded(t *testing.T) {
	testkit.Slow(t, "sends 30,000 requests")
	ctx := context.Background()
	snap := testSnapshot()
	st := openStore(t, &snap)
	st.Now = time.Now
	deps := testDeps(t, st, nil)
	deps.Activity = st
	deps.Now = time.Now
	deps.Auth = authtest.Authenticator{Anonymous: true}
	deps.TrustedProxies = auth.Proxies{netip.MustParsePrefix("127.0.0.1/32")} // to send from many addresses
	policy := model.RefusalPolicy{Window: 10 * time.Minute, AnonymousRows: 100}
	deps.RefusalPolicy = policy
	s, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	rows := func() int {
		n, err := st.ActivityCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var dbPath string
	st.DB().QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&dbPath)
	dbFiles := []string{dbPath, dbPath + "-wal"}
	// The database file's own size, with what the journal holds written into it first (else
	// the test snapshot still in the journal would count as growth).
	dbSize := func() int64 {
		if _, err := st.DB().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		return fileSizes(dbPath)
	}
	before, sizeBefore := rows(), dbSize()

	post := func(ip string) *http.Request {
		req, _ := http.NewRequest("POST", srv.URL+"/refresh", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("X-Forwarded-For", ip)
		return req
	}
	start := time.Now()
	anon := flood(t, client, 10000, func(int) *http.Request { return post("203.0.113.66") })
	anonTook := time.Since(start)

	start = time.Now()
	refusedGET := flood(t, client, 10000, func(int) *http.Request {
		req, _ := http.NewRequest("GET", srv.URL+"/activity", nil)
		req.Header.Set(authtest.RoleHeader, "reader")
		req.Header.Set("X-Forwarded-For", "198.51.100.9")
		return req
	})
	getTook := time.Since(start)

	start = time.Now()
	spread := flood(t, client, 10000, func(i int) *http.Request {
		return post(fmt.Sprintf("2001:db8:%x:%x::1", i>>8, i&0xff)) // 10,000 different /64s
	})
	spreadTook := time.Since(start)
	walPeak := fileSizes(dbFiles[1])
	grown, sizeGrown := rows()-before, dbSize()-sizeBefore

	t.Logf("one address, 10,000 cross-origin POSTs: %v in %v (p50 %v, p99 %v)", anon.status, anonTook.Round(time.Millisecond), anon.percentile(.5), anon.percentile(.99))
	t.Logf("one reader, 10,000 refused GETs: %v in %v (p50 %v, p99 %v)", refusedGET.status, getTook.Round(time.Millisecond), refusedGET.percentile(.5), refusedGET.percentile(.99))
	t.Logf("10,000 addresses, one cross-origin POST each: %v in %v (p50 %v, p99 %v)", spread.status, spreadTook.Round(time.Millisecond), spread.percentile(.5), spread.percentile(.99))
	t.Logf("activity log: +%d entries, database file +%d KiB (the journal reached %d KiB and is reused)", grown, sizeGrown>>10, walPeak>>10)

	// One address: 30 refusals a minute are answered 403 and recorded, the rest are 429 (the
	// write limit of 120 a minute comes first, then the refusal limit of 30).
	if anon.status[http.StatusForbidden] != defaultRefusedRate || anon.status[http.StatusTooManyRequests] != 10000-defaultRefusedRate {
		t.Errorf("one address's cross-origin POSTs: %v, want %d × 403 and the rest 429", anon.status, defaultRefusedRate)
	}
	if refusedGET.status[http.StatusForbidden] != defaultRefusedRate || refusedGET.status[http.StatusTooManyRequests] != 10000-defaultRefusedRate {
		t.Errorf("one reader's refused GETs: %v, want %d × 403 and the rest 429", refusedGET.status, defaultRefusedRate)
	}
	if spread.status[http.StatusForbidden] != 10000 {
		t.Errorf("one POST from each of 10,000 addresses: %v, want every one refused", spread.status)
	}
	// The bound: one entry per source and window (2), plus at most AnonymousRows+1 for all the
	// anonymous addresses together.
	if bound := 2 + policy.AnonymousRows + 1; grown > bound {
		t.Errorf("the activity log grew by %d entries, more than the bound of %d", grown, bound)
	}
	// 103 entries of a few hundred bytes each; the rest is the pages of an index or two.
	if sizeGrown > 256<<10 {
		t.Errorf("the database file grew by %d KiB for %d entries", sizeGrown>>10, grown)
	}
	counted := 0
	if err := st.EachActivity(ctx, model.ActivityFilter{Action: model.ActionRefused}, func(a model.Activity) error {
		counted += a.Count
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := 2*defaultRefusedRate + 10000; counted != want {
		t.Errorf("the entries count %d refusals, want the %d answered 403", counted, want)
	}

	// Everyone else is still served at once.
	for _, path := range []string{"/healthz", "/groups"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set(authtest.RoleHeader, "reader")
		req.Header.Set("X-Forwarded-For", "192.0.2.200")
		started := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Logf("GET %s after the flood: %d in %v", path, resp.StatusCode, time.Since(started).Round(time.Microsecond))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s after the flood: %d", path, resp.StatusCode)
		}
	}
}
