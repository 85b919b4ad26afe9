package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// Handler is the dashboard's HTTP handler. Every route of tenantdesk is listed here.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	// GetHead answers HEAD with the GET route (probes and link checkers use HEAD).
	r.Use(s.logRequests, s.recoverPanics, commonHeaders, middleware.GetHead)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)

	// Probes and assets: no page chrome.
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Get(assetPrefix+"{hash}/*", s.handleStatic)

	// Pages.
	r.Get("/", s.handleOverview)
	r.Get("/groups", s.handleGroupReport)
	r.Get("/groups.csv", s.handleGroupReportCSV)
	r.Get("/groups/{id}", s.handleGroup)

	// Refresh.
	r.Post("/refresh", s.handleRefresh)
	r.Get("/sync/progress", s.handleSyncProgress)
	return r
}
