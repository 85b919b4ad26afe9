package tenantsim

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Knobs are the fault settings of the simulated Graph; they can change while it serves.
type Knobs struct {
	// Latency is how long every request takes to be answered. A read (GET, HEAD) is prepared
	// while it runs, as Graph's own latency includes its server's work, so the simulator's CPU
	// time does not come on top of it; a write takes effect only after it.
	Latency time.Duration
	// ThrottleRequests per ThrottleWindow per app are served; more get 429 with Retry-After.
	// 0 disables throttling. ThrottleWindow defaults to one second.
	ThrottleRequests int
	ThrottleWindow   time.Duration
	// FaultRate is the share of requests answered with a random 500, 503 or 504.
	FaultRate float64
	// DropRate is the share of requests whose connection is closed without an answer.
	DropRate float64
	// RejectCompressed lists routes (as statistics name them, "POST /$batch"; "*" for all) that
	// answer 415 to a gzip-compressed request body, as a service that does not take them would.
	// The Graph SDKs' compression handler then sends the request again uncompressed.
	RejectCompressed []string
}

// Faults injects latency, throttling, errors and dropped connections in front of the Graph API
// and counts requests and response bytes per route.
type Faults struct {
	latency     atomic.Int64
	throttleN   atomic.Int64
	throttleWin atomic.Int64
	faultRate   atomic.Uint64 // float64 bits
	dropRate    atomic.Uint64
	// noGzip is RejectCompressed as a set.
	noGzip atomic.Pointer[map[string]bool]

	rngMu sync.Mutex
	rng   *rand.Rand

	winMu   sync.Mutex
	windows map[string]*window

	stats *Stats
	now   func() time.Time
}

type window struct {
	start time.Time
	n     int
}

// FaultOptions configures NewFaults.
type FaultOptions struct {
	Knobs Knobs
	// Seed makes the fault and drop decisions reproducible; 0 seeds randomly.
	Seed uint64
	Now  func() time.Time
}

// NewFaults returns fault injection with the given settings.
func NewFaults(o FaultOptions) *Faults {
	seed := o.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	f := &Faults{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), windows: map[string]*window{}, stats: NewStats(), now: o.Now}
	if f.now == nil {
		f.now = time.Now
	}
	f.SetKnobs(o.Knobs)
	return f
}

func clamp01(x float64) float64 {
	if math.IsNaN(x) || x < 0 {
		return 0
	}
	return min(x, 1)
}

// SetKnobs replaces all settings at once.
func (f *Faults) SetKnobs(k Knobs) {
	f.latency.Store(int64(max(k.Latency, 0)))
	f.throttleN.Store(int64(max(k.ThrottleRequests, 0)))
	if k.ThrottleWindow <= 0 {
		k.ThrottleWindow = time.Second
	}
	f.throttleWin.Store(int64(k.ThrottleWindow))
	f.faultRate.Store(math.Float64bits(clamp01(k.FaultRate)))
	f.dropRate.Store(math.Float64bits(clamp01(k.DropRate)))
	set := map[string]bool{}
	for _, r := range k.RejectCompressed {
		set[r] = true
	}
	f.noGzip.Store(&set)
	f.winMu.Lock()
	f.windows = map[string]*window{}
	f.winMu.Unlock()
}

// Knobs returns the current settings.
func (f *Faults) Knobs() Knobs {
	return Knobs{
		Latency:          time.Duration(f.latency.Load()),
		ThrottleRequests: int(f.throttleN.Load()),
		ThrottleWindow:   time.Duration(f.throttleWin.Load()),
		FaultRate:        math.Float64frombits(f.faultRate.Load()),
		DropRate:         math.Float64frombits(f.dropRate.Load()),
		RejectCompressed: f.rejectedCompressed(),
	}
}

func (f *Faults) rejectedCompressed() []string {
	out := []string{}
	set := f.noGzip.Load()
	if set == nil {
		return out
	}
	for r := range *set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// rejectsCompressed reports whether route answers 415 to a compressed body.
func (f *Faults) rejectsCompressed(route string) bool {
	set := f.noGzip.Load()
	return set != nil && ((*set)["*"] || (*set)[route])
}

// ValidRouteKey reports whether key names a route of the simulated Graph ("GET /users") or is
// "*", for knobs that take routes.
func ValidRouteKey(key string) bool {
	if key == "*" {
		return true
	}
	for _, rt := range apiRoutes {
		if rt.Key() == key {
			return true
		}
	}
	return false
}

// Stats returns the request statistics.
func (f *Faults) Stats() *Stats { return f.stats }

func (f *Faults) roll(p float64) bool {
	if p <= 0 {
		return false
	}
	f.rngMu.Lock()
	defer f.rngMu.Unlock()
	return f.rng.Float64() < p
}

func (f *Faults) pick(n int) int {
	f.rngMu.Lock()
	defer f.rngMu.Unlock()
	return f.rng.IntN(n)
}

// admit counts a request of app against its throttle window; when over the limit it returns
// the whole seconds until the window ends (at least 1).
func (f *Faults) admit(app string) (int, bool) {
	limit := int(f.throttleN.Load())
	if limit <= 0 {
		return 0, false
	}
	win := time.Duration(f.throttleWin.Load())
	now := f.now()
	f.winMu.Lock()
	defer f.winMu.Unlock()
	w := f.windows[app]
	if w == nil || now.Sub(w.start) >= win || now.Before(w.start) {
		w = &window{start: now}
		f.windows[app] = w
	}
	w.n++
	if w.n <= limit {
		return 0, false
	}
	wait := int(math.Ceil(w.start.Add(win).Sub(now).Seconds()))
	return max(wait, 1), true
}

// countingWriter counts the bytes and remembers the status of a response.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int
}

func (c *countingWriter) WriteHeader(s int) {
	if c.status == 0 {
		c.status = s
	}
	c.ResponseWriter.WriteHeader(s)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = 200
	}
	n, err := c.ResponseWriter.Write(b)
	c.n += n
	return n, err
}

func (c *countingWriter) Flush() {
	if fl, ok := c.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

// Middleware wraps the Graph API: latency first, then a dropped connection, an injected 5xx or a
// 429 (throttled per app, the app named by appOf; "" is not throttled), then the API itself. A
// request is counted once it is answered; a read whose client left during its latency is not.
func (f *Faults) Middleware(next http.Handler, appOf func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tmpl := Route(r)
		var held *heldResponse
		if d := time.Duration(f.latency.Load()); d > 0 {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				held = &heldResponse{to: w, until: time.Now().Add(d)}
				w = held
			} else if !sleepUntil(r.Context(), time.Now().Add(d)) {
				return
			}
		}
		// answered sends a held answer when its latency has run and says whether the client
		// got it; an answer not held has been sent already.
		answered := func() bool { return held == nil || held.release(r.Context()) }
		if f.roll(math.Float64frombits(f.dropRate.Load())) {
			if held != nil {
				w = held.to
				if !sleepUntil(r.Context(), held.until) {
					return
				}
			}
			f.stats.record(tmpl, false, 0, 0)
			drop(w)
			return
		}
		if f.roll(math.Float64frombits(f.faultRate.Load())) {
			status := []int{500, 503, 504}[f.pick(3)]
			code := map[int]string{500: "InternalServerError", 503: "ServiceUnavailable", 504: "GatewayTimeout"}[status]
			var hdr http.Header
			if status == 503 {
				hdr = http.Header{"Retry-After": {"1"}}
			}
			n := writeFaultError(w, r, status, code, "The service is temporarily unavailable (injected fault).", hdr, f.now())
			if answered() {
				f.stats.record(tmpl, false, status, n)
			}
			return
		}
		if appOf != nil {
			if app := appOf(r); app != "" {
				if wait, throttled := f.admit(app); throttled {
					n := writeFaultError(w, r, 429, "TooManyRequests", "Please retry again later.",
						http.Header{"Retry-After": {strconv.Itoa(wait)}}, f.now())
					if answered() {
						f.stats.record(tmpl, false, 429, n)
					}
					return
				}
			}
		}
		cw := &countingWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		if answered() {
			f.stats.record(tmpl, false, cw.status, cw.n)
		}
	})
}

// heldResponse keeps a read's answer until its latency has run, so the answer is prepared
// while the latency runs rather than after it.
type heldResponse struct {
	to     http.ResponseWriter
	until  time.Time
	status int
	body   []byte
}

// Header is the real response's: nothing is sent before release.
func (h *heldResponse) Header() http.Header { return h.to.Header() }

func (h *heldResponse) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	h.body = append(h.body, b...)
	return len(b), nil
}

// release sends the answer once the latency has run, unless the client has gone (false).
func (h *heldResponse) release(ctx context.Context) bool {
	if !sleepUntil(ctx, h.until) {
		return false
	}
	if h.status == 0 {
		h.status = http.StatusOK
	}
	h.to.WriteHeader(h.status)
	_, _ = h.to.Write(h.body)
	return true
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// drop closes the connection without an answer. HTTP/2 connections cannot be hijacked; there
// the handler aborts, which resets the stream (net/http's documented way, no log line).
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// writeFaultError writes Graph's error body with fresh request ids; it returns the body size.
func writeFaultError(w http.ResponseWriter, r *http.Request, status int, code, msg string, hdr http.Header, now time.Time) int {
	reqID := newGUID()
	client := r.Header.Get("client-request-id")
	if client == "" {
		client = reqID
	}
	for k, v := range hdr {
		w.Header()[k] = v
	}
	w.Header().Set("request-id", reqID)
	w.Header().Set("client-request-id", client)
	in := innerError{Date: now.UTC().Format("2006-01-02T15:04:05"), RequestID: reqID, ClientRequestID: client}
	if status == http.StatusTooManyRequests {
		in = throttled(in)
	}
	b, _ := json.Marshal(graphError{Error: graphErrorDetail{Code: code, Message: msg, InnerError: in}})
	writeRaw(w, status, "application/json", b)
	return len(b)
}

// RouteStats counts the requests of one route. Requests are HTTP requests; Batched are parts of
// $batch requests (counted apart, the $batch itself is a request of "POST /$batch").
type RouteStats struct {
	Requests  int64 `json:"requests"`
	Batched   int64 `json:"batched"`
	Bytes     int64 `json:"bytes"`
	Errors    int64 `json:"errors"`
	Throttled int64 `json:"throttled"`
	Dropped   int64 `json:"dropped"`
}

func (s *RouteStats) add(o RouteStats) {
	s.Requests += o.Requests
	s.Batched += o.Batched
	s.Bytes += o.Bytes
	s.Errors += o.Errors
	s.Throttled += o.Throttled
	s.Dropped += o.Dropped
}

// Stats are request counts and response bytes per route template ("GET /groups").
type Stats struct {
	mu     sync.Mutex
	routes map[string]*RouteStats
	since  time.Time
}

// NewStats returns empty statistics.
func NewStats() *Stats { return &Stats{routes: map[string]*RouteStats{}, since: time.Now()} }

func (s *Stats) record(route string, batched bool, status, bytes int) {
	var d RouteStats
	if batched {
		d.Batched = 1
	} else {
		d.Requests = 1
	}
	d.Bytes = int64(bytes)
	switch {
	case status == 0:
		d.Dropped = 1
	case status == 429:
		d.Throttled = 1
	case status >= 400:
		d.Errors = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.routes[route]
	if rs == nil {
		rs = &RouteStats{}
		s.routes[route] = rs
	}
	rs.add(d)
}

// StatsSnapshot is a copy of the statistics at one moment.
type StatsSnapshot struct {
	Since  time.Time             `json:"since"`
	Total  RouteStats            `json:"total"`
	Routes map[string]RouteStats `json:"routes"`
}

// RouteNames lists the routes of the snapshot, sorted.
func (s StatsSnapshot) RouteNames() []string {
	out := make([]string, 0, len(s.Routes))
	for k := range s.Routes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Snapshot copies the statistics.
func (s *Stats) Snapshot() StatsSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := StatsSnapshot{Since: s.since.UTC(), Routes: make(map[string]RouteStats, len(s.routes))}
	for k, v := range s.routes {
		out.Routes[k] = *v
		out.Total.add(*v)
	}
	return out
}

// Reset clears the statistics.
func (s *Stats) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes = map[string]*RouteStats{}
	s.since = time.Now()
}
