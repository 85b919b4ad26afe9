package server

import (
	"net/http"
)

// handleHealthz says the process is up. It checks nothing else, so an orchestrator does not
// restart a server whose database is merely slow.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// handleReadyz says whether pages can be served: the database answers and a snapshot exists.
// Otherwise it answers 503 with the reason.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context()
	if err := s.store.Ping(ctx); err != nil {
		s.logFailure(ctx, "readyz: database", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: database does not answer\n"))
		return
	}
	if _, err := s.store.CurrentSnapshot(ctx); err != nil {
		msg := "not ready: no snapshot of the tenant yet (first sync not finished)\n"
		if !isNotFound(err) {
			s.logFailure(ctx, "readyz: current snapshot", err)
			msg = "not ready: cannot read the current snapshot\n"
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(msg))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
