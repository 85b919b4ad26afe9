package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// handleRefresh starts a sync (unless one is running) and sends the browser back to the page
// it came from, where the progress shows. It is a POST so no link, prefetch or crawler can
// start a sync.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	started := s.syncer.Start(s.bg)
	s.log.InfoContext(r.Context(), "refresh requested", "started", started, "remote", r.RemoteAddr)
	detail := "started"
	if !started {
		detail = "a refresh was already running"
	}
	s.logActivity(r, model.Activity{Action: model.ActionRefresh, Result: model.ActivityOK, Detail: detail})
	http.Redirect(w, r, backTo(r), http.StatusSeeOther)
}

// backTo is the path (with query, so the view is kept) of the Referer when it is a page of
// this same site, else "/". Anything else would make the refresh form an open redirect.
func backTo(r *http.Request) string {
	ref := r.Header.Get("Referer")
	if ref == "" {
		return "/"
	}
	u, err := url.Parse(ref)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) || u.User != nil ||
		(u.Scheme != "http" && u.Scheme != "https") {
		return "/"
	}
	p := u.EscapedPath()
	// "//x" or "/\x" would leave the site when used as a Location.
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || p == "/refresh" {
		return "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}
