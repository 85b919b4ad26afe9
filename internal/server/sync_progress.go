package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// progressJSON is model.SyncProgress as app.js reads it, plus the texts it shows, so the
// wording lives in Go only.
type progressJSON struct {
	Running  bool         `json:"running"`
	Kind     string       `json:"kind,omitempty"` // of the running refresh: full or incremental
	Phase    string       `json:"phase"`
	Done     int          `json:"done"`
	Total    int          `json:"total"`
	Requests int64        `json:"requests"`
	Started  *time.Time   `json:"started,omitempty"`
	Text     string       `json:"text"`               // "Refreshing (users): 1,200 of 5,000"
	DataAsOf *time.Time   `json:"dataAsOf,omitempty"` // the current snapshot
	DataKind string       `json:"dataKind,omitempty"` // how it was last refreshed
	LastRun  *syncRunJSON `json:"lastRun,omitempty"`
}

type syncRunJSON struct {
	ID         int64      `json:"id"`
	Status     string     `json:"status"`
	Kind       string     `json:"kind,omitempty"`
	Note       string     `json:"note,omitempty"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	Error      string     `json:"error,omitempty"`
	Users      int        `json:"users"`
	Groups     int        `json:"groups"`
	SKUs       int        `json:"skus"`
	Requests   int64      `json:"requests"`
}

// handleSyncProgress serves /sync/progress, polled by app.js while a refresh runs.
func (s *Server) handleSyncProgress(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := s.syncer.Progress()
	out := progressJSON{
		Running: p.Running, Kind: p.Kind, Phase: p.Phase, Done: p.Done, Total: p.Total, Requests: p.Requests,
		Started: timePtr(p.Started),
	}
	if p.Running {
		out.Text = web.PhaseLabel(web.SyncView{Kind: p.Kind, Phase: p.Phase, Done: p.Done, Total: p.Total})
	}
	if info, err := s.store.CurrentSnapshot(ctx); err == nil {
		out.DataAsOf, out.DataKind = timePtr(info.TakenAt), info.Kind
	} else if !isNotFound(err) {
		s.logFailure(ctx, "sync progress: current snapshot", err)
	}
	if run, ok := s.lastFinishedRun(ctx, p); ok {
		out.LastRun = runJSON(run)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}

func runJSON(r model.SyncRun) *syncRunJSON {
	return &syncRunJSON{
		ID: r.ID, Status: r.Status, Kind: r.Kind, Note: r.Note, StartedAt: r.StartedAt, FinishedAt: timePtr(r.FinishedAt),
		Error: r.Error, Users: r.Users, Groups: r.Groups, SKUs: r.SKUs, Requests: r.Requests,
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
