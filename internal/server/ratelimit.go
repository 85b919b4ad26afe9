package server

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/go-chi/httprate"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// Rate limits and the bounded recording of refusals. Every limit is per client address (an
// IPv6 client per /64, which one host can spread over) per minute, and checked before anything
// is written: the write limit before the cross-origin check, the refusal limit before a
// refusal is recorded, and what is recorded is bounded again by the RefusalPolicy (one entry
// per source and window, a budget for anonymous sources).

// Defaults of the limits (config's defaults; tests that build a Server without them get these).
const (
	defaultSignInRate  = 30
	defaultWriteRate   = 120
	defaultRefusedRate = 30
)

// defaultRefusalPolicy is config's default collapse window and anonymous budget.
var defaultRefusalPolicy = model.RefusalPolicy{Window: 10 * time.Minute, AnonymousRows: 100}

// clientKey is who a rate limit counts: the client address, IPv6 clients by their /64.
func (s *Server) clientKey(r *http.Request) string {
	ip := s.proxies.ClientIP(r)
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() || a.Is4In6() {
		return ip
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// tooManyRequests is the 429 page of every limit.
func (s *Server) tooManyRequests(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, web.ErrorView{
		Status:  http.StatusTooManyRequests,
		Heading: "Too many requests",
		Message: "Too many requests came from your address in the last minute. Wait a minute, then try again.",
		BackURL: "/",
	})
}

func (s *Server) newLimiter(perMinute int) *httprate.RateLimiter {
	return httprate.NewRateLimiter(perMinute, time.Minute,
		httprate.WithKeyFuncs(func(r *http.Request) (string, error) { return s.clientKey(r), nil }),
		httprate.WithLimitHandler(s.tooManyRequests),
		httprate.WithResponseHeaders(httprate.ResponseHeaders{RetryAfter: "Retry-After"}),
	)
}

// signInLimit limits the sign-in flow per client address.
func (s *Server) signInLimit() func(http.Handler) http.Handler {
	return s.newLimiter(s.signInRate).Handler
}

// writeLimit limits state-changing requests per client address; reads pass untouched, so it
// wraps every route, ahead of the cross-origin check.
func (s *Server) writeLimit() func(http.Handler) http.Handler {
	limit := s.newLimiter(s.writeRate).Handler
	return func(next http.Handler) http.Handler {
		limited := limit(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				next.ServeHTTP(w, r)
			default:
				limited.ServeHTTP(w, r)
			}
		})
	}
}

// refuse records a refused request within the refusal limit and reports whether the caller
// should answer it (403 and its page). Past the limit it answers 429 itself, records nothing
// and reports false.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, a model.Activity) bool {
	if s.refusedLimit.OnLimit(w, r, s.clientKey(r)) {
		s.tooManyRequests(w, r)
		return false
	}
	s.recordRefusal(r, a)
	return true
}

// recordRefusal writes a refusal (or a failed sign-in) to the activity log under the refusal
// policy: repeats from one source within its window are counted on one entry.
func (s *Server) recordRefusal(r *http.Request, a model.Activity) {
	if err := s.activity.AddRefusal(r.Context(), s.requestActivity(r, a), s.refusalPolicy); err != nil {
		s.logFailure(r.Context(), "activity log", err, "action", a.Action)
	}
}
