package server

import (
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/httprate"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// contentSecurityPolicy allows only this site's own scripts, styles and images: no inline
// script or style, no plugins, no framing, forms post only here.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders are set on every response, error pages and assets included.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.proxies.IsTLS(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses state-changing requests from other sites (Go's CrossOriginProtection:
// Sec-Fetch-Site, else Origin against Host), on top of SameSite=Lax cookies. Safe methods
// pass untouched, so it wraps every route.
func (s *Server) crossOrigin() func(http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(s.publicURL); err == nil && u.Scheme != "" && u.Host != "" {
		// Behind a proxy that rewrites Host, the browser's Origin is the public one.
		_ = cop.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.logActivity(r, model.Activity{Action: model.ActionRefused, Target: r.Method + " " + r.URL.Path,
			Result: model.ActivityRefused, Detail: "cross-origin request (origin " + text.Clip(r.Header.Get("Origin"), 200) + ")"})
		s.errorPage(w, r, web.ErrorView{
			Status:  http.StatusForbidden,
			Heading: "Request refused",
			Message: "This request came from another site, so it was refused. Use the dashboard's own pages and buttons.",
			BackURL: "/",
		})
	}))
	return cop.Handler
}

// Default rate limits, per client IP per minute: generous for people, tight for scripts that
// hammer sign-in or writes.
const (
	defaultSignInRate = 30
	defaultWriteRate  = 120
)

func (s *Server) limiter(perMinute, def int) func(http.Handler) http.Handler {
	if perMinute <= 0 {
		perMinute = def
	}
	return httprate.LimitBy(perMinute, time.Minute,
		func(r *http.Request) (string, error) { return s.proxies.ClientIP(r), nil },
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			s.errorPage(w, r, web.ErrorView{
				Status:  http.StatusTooManyRequests,
				Heading: "Too many requests",
				Message: "Too many requests came from your address in the last minute. Wait a minute, then try again.",
				BackURL: "/",
			})
		}),
		httprate.WithResponseHeaders(httprate.ResponseHeaders{RetryAfter: "Retry-After"}),
	)
}

// signInLimit limits the sign-in flow per client IP.
func (s *Server) signInLimit() func(http.Handler) http.Handler {
	return s.limiter(s.signInRate, defaultSignInRate)
}

// writeLimit limits state-changing requests per client IP; reads pass untouched, so it wraps
// every route.
func (s *Server) writeLimit() func(http.Handler) http.Handler {
	limit := s.limiter(s.writeRate, defaultWriteRate)
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
