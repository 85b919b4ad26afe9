package tenantsim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestDropHTTP2 checks that a drop also works where connections cannot be hijacked.
func TestDropHTTP2(t *testing.T) {
	f := NewFaults(FaultOptions{Seed: 5, Knobs: Knobs{DropRate: 1}})
	h := f.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }), nil)
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/v1.0/users")
	if err == nil {
		res.Body.Close()
		t.Fatalf("dropped request answered %d (proto %s)", res.StatusCode, res.Proto)
	}
	f.SetKnobs(Knobs{})
	res, err = srv.Client().Get(srv.URL + "/v1.0/users")
	if err != nil || res.ProtoMajor != 2 {
		t.Fatalf("after drops off: %v", err)
	}
	res.Body.Close()
}

func TestThrottleWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFaults(FaultOptions{Now: func() time.Time { return now }, Knobs: Knobs{ThrottleRequests: 2, ThrottleWindow: 2500 * time.Millisecond}})
	for i := 0; i < 2; i++ {
		if _, thr := f.admit("a"); thr {
			t.Fatalf("request %d throttled", i)
		}
	}
	now = now.Add(400 * time.Millisecond)
	if wait, thr := f.admit("a"); !thr || wait != 3 {
		t.Fatalf("third request: throttled %v, Retry-After %d, want 3 (2.1 s rounded up)", thr, wait)
	}
	if _, thr := f.admit("b"); thr {
		t.Fatal("other app throttled")
	}
	now = now.Add(2100 * time.Millisecond)
	if _, thr := f.admit("a"); thr {
		t.Fatal("new window still throttled")
	}
	f.SetKnobs(Knobs{FaultRate: -3, DropRate: 7})
	if k := f.Knobs(); k.FaultRate != 0 || k.DropRate != 1 || k.ThrottleWindow != time.Second {
		t.Fatalf("knobs not clamped: %+v", k)
	}
}

// TestFaultsDeterministic: the same seed makes the same decisions.
func TestFaultsDeterministic(t *testing.T) {
	run := func() []bool {
		f := NewFaults(FaultOptions{Seed: 42})
		out := make([]bool, 64)
		for i := range out {
			out[i] = f.roll(0.3)
		}
		return out
	}
	a, b := run(), run()
	hits := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("decision %d differs", i)
		}
		if a[i] {
			hits++
		}
	}
	if hits == 0 || hits == len(a) {
		t.Fatalf("%d of %d hits at rate 0.3", hits, len(a))
	}
}

// TestLatencyHoldsReadsAndDelaysWrites: a read is prepared at once and its answer held until the
// latency has run (Graph's latency includes its server's work); a write takes effect only after
// the latency, so a client that gives up during it has changed nothing.
func TestLatencyHoldsReadsAndDelaysWrites(t *testing.T) {
	const latency = 300 * time.Millisecond
	f := NewFaults(FaultOptions{Knobs: Knobs{Latency: latency}})
	var start time.Time
	var ranAfter time.Duration
	h := f.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ranAfter = time.Since(start)
		w.Header().Set("X-Kept", "yes")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("part one, "))
		_, _ = w.Write([]byte("part two"))
	}), nil)
	for _, tc := range []struct {
		method    string
		ranBefore bool // the handler ran before the latency was over
	}{{"GET", true}, {"HEAD", true}, {"POST", false}, {"PATCH", false}} {
		start = time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, "/v1.0/users", nil))
		took := time.Since(start)
		if took < latency {
			t.Errorf("%s answered after %v, before the latency of %v", tc.method, took, latency)
		}
		if got := ranAfter < latency; got != tc.ranBefore {
			t.Errorf("%s: handler ran %v after arrival; want before the latency: %v", tc.method, ranAfter, tc.ranBefore)
		}
		if rec.Code != http.StatusCreated || rec.Header().Get("X-Kept") != "yes" || rec.Body.String() != "part one, part two" {
			t.Errorf("%s answered %d %v %q", tc.method, rec.Code, rec.Header(), rec.Body)
		}
	}
	// A client that leaves while its read is held gets nothing written, and the read is not
	// counted as answered.
	counted := func() int64 {
		var n int64
		for _, rs := range f.Stats().Snapshot().Routes {
			n += rs.Requests
		}
		return n
	}
	before := counted()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1.0/users", nil).WithContext(ctx))
	if rec.Body.Len() != 0 {
		t.Errorf("answer written to a client that left: %q", rec.Body)
	}
	if after := counted(); after != before {
		t.Errorf("a read whose client left was counted: %d requests, were %d", after, before)
	}
}
