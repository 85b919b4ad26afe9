package tenantsim

import (
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
