package server

import (
	"net/http"
	"net/url"

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
// pass untouched, so it wraps every route. It runs after the write rate limit, and refusals
// are recorded within the refusal limits (ratelimit.go), so no flood of forged requests can
// fill the activity log.
func (s *Server) crossOrigin() func(http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(s.publicURL); err == nil && u.Scheme != "" && u.Host != "" {
		// Behind a proxy that rewrites Host, the browser's Origin is the public one.
		_ = cop.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.refuse(w, r, model.Activity{Action: model.ActionRefused, Target: r.Method + " " + r.URL.Path,
			Result: model.ActivityRefused, Detail: "cross-origin request (origin " + text.Clip(r.Header.Get("Origin"), 200) + ")"}) {
			return
		}
		s.errorPage(w, r, web.ErrorView{
			Status:  http.StatusForbidden,
			Heading: "Request refused",
			Message: "This request came from another site, so it was refused. Use the dashboard's own pages and buttons.",
			BackURL: "/",
		})
	}))
	return cop.Handler
}
