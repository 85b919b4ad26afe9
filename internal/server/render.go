package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/a-h/templ"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// navEntry is a navigation item; only routes that exist are listed, so later pages (users,
// licenses, IP lookup, SSPR verifier) add themselves here when their routes do.
type navEntry struct {
	key, label, href string
}

var navEntries = []navEntry{
	{"overview", "Overview", "/"},
	{"groups", "Groups", "/groups"},
	{"licenses", "Licenses", "/licenses"},
	{"health", "Health", "/health"},
	{"alerts", "Alerts", "/alerts"},
	{"users", "Users", "/users"},
	{"ip", "IP lookup", "/ip"},
	{"sspr", "Reset requests", "/sspr"},
	{"jobs", "Jobs", "/jobs"},
	{"activity", "Activity", "/activity"},
}

// navMore are the least-used entries, behind "More" below 1280 px so that the header stays one
// line at 1024 px for every role: the monitoring pages (the overview links to what needs a
// look), the IP lookup, and the follow-ups of writes. The daily helpdesk work (overview, groups,
// licenses, users, reset requests) stays in the bar at every width.
var navMore = map[string]bool{"health": true, "alerts": true, "ip": true, "jobs": true, "activity": true}

// layout builds the frame of a page: navigation with active marked, data age, sync state.
// It never fails: a store error here only costs the data age, the page itself reports it.
func (s *Server) layout(ctx context.Context, title, active string) web.Layout {
	l := web.Layout{
		Title:         title,
		Now:           s.now(),
		Version:       s.version,
		Assets:        s.assets.urls,
		RefreshAction: "/refresh",
		ProgressURL:   "/sync/progress",
		SearchAction:  "/users",
	}
	if s.applyUser(ctx, &l) { // anonymous or no role: nothing of the tenant is shown
		return l
	}
	for _, e := range navEntries {
		if !s.navAllowed(ctx, e.key) {
			continue
		}
		l.Nav = append(l.Nav, web.NavItem{Label: e.label, Href: e.href, Active: e.key == active, More: navMore[e.key]})
	}
	if info, err := s.store.CurrentSnapshot(ctx); err == nil {
		l.DataAsOf, l.DataKind, l.DataFullAt = info.TakenAt, info.Kind, info.FullAt
	} else if !isNotFound(err) {
		s.logFailure(ctx, "layout: current snapshot", err)
	}
	p := s.syncer.Progress()
	l.Sync = web.SyncView{Running: p.Running, Kind: p.Kind, Phase: p.Phase, Done: p.Done, Total: p.Total, Started: p.Started}
	if run, ok := s.lastFinishedRun(ctx, p); ok && run.Status == model.SyncFailed {
		l.Sync.LastFail = &web.SyncFailure{At: run.FinishedAt, Error: run.Error}
		if l.Sync.LastFail.At.IsZero() {
			l.Sync.LastFail.At = run.StartedAt
		}
		if l.Sync.LastFail.Error == "" {
			l.Sync.LastFail.Error = "no reason recorded"
		}
	}
	return l
}

// lastFinishedRun is the most recent sync run that ended: the syncer knows it best while it
// runs, the store after a restart.
func (s *Server) lastFinishedRun(ctx context.Context, p model.SyncProgress) (model.SyncRun, bool) {
	run, err := s.store.LatestSyncRun(ctx)
	if err != nil {
		if !isNotFound(err) {
			s.logFailure(ctx, "layout: latest sync run", err)
		}
		if p.LastRun != nil {
			return *p.LastRun, true
		}
		return model.SyncRun{}, false
	}
	if run.Status == model.SyncRunning {
		if p.LastRun != nil {
			return *p.LastRun, true
		}
		return model.SyncRun{}, false
	}
	return run, true
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes c with status. It renders into a buffer first, so a failing component
// becomes a clean 500 page instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 { // don't keep huge buffers around
			bufPool.Put(buf)
		}
	}()
	if err := c.Render(r.Context(), buf); err != nil {
		if status >= 500 { // the error page itself failed: plain text, no loop
			s.log.ErrorContext(r.Context(), "render error page", "err", err)
			http.Error(w, http.StatusText(status), status)
			return
		}
		s.serveError(w, r, fmt.Errorf("render: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
