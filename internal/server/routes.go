package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/tenantdesk/tenantdesk/internal/auth"
)

// Handler is the dashboard's HTTP handler. Every route of tenantdesk is listed here.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	// GetHead answers HEAD with the GET route (probes and link checkers use HEAD).
	r.Use(middleware.RequestID, s.logRequests, s.compress, s.recoverPanics, s.securityHeaders, s.cleanControls, middleware.GetHead)
	// Sign-in (auth.go): the session's person into the context, then the cross-origin check
	// and the rate limit of every state-changing request. Each route declares its role.
	// The second recoverer answers a panic of a handler with the person still known, so its
	// 500 page keeps the navigation; the first catches what happens before sign-in is read.
	// The write limit comes before the cross-origin check, so a flood of forged requests gets
	// 429 before anything is recorded.
	r.Use(s.authenticate, s.recoverPanics, s.writeLimit(), s.crossOrigin())
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)

	// Probes and assets: no page chrome.
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Get(assetPrefix+"{hash}/*", s.handleStatic)
	r.Get("/favicon.ico", s.handleFavicon) // asked for by browsers and tools that read no page

	// Sign-in flow: open to everyone.
	signInLimit := s.signInLimit() // one budget for both steps
	r.With(signInLimit).Get(loginPath, s.handleLogin)
	r.With(signInLimit).Get(auth.CallbackPath, s.handleCallback)
	r.Post(logoutPath, s.handleLogout)
	r.Get(signedOutPath, s.handleSignedOut)

	// Sessions (sessions.go): everyone sees and ends their own; LicenseAdmins anyone's.
	r.With(s.require(auth.RoleReader)).Get(sessionsPath, s.handle(s.handleSessions))
	r.Post(sessionsPath+"/sign-out-everywhere", s.handle(s.handleSignOutEverywhere))
	r.With(s.require(auth.RoleReader)).Post(sessionsPath+"/{ref}/end", s.handle(s.handleEndSession))
	r.With(s.require(auth.RoleLicenseAdmin)).Post(sessionsPath+"/people/{oid}/end", s.handle(s.handleEndPersonSessions))

	// Pages.
	r.With(s.require(auth.RoleReader)).Get("/", s.handle(s.handleOverview))
	r.With(s.require(auth.RoleReader)).Get("/groups", s.handle(s.handleGroupReport))
	r.With(s.require(auth.RoleReader)).Get("/groups.csv", s.handle(s.handleGroupReportCSV))
	r.With(s.require(auth.RoleReader)).Get("/groups/{id}", s.handle(s.handleGroup))

	// Licensing (group.go, user.go, search.go, license_errors.go, reprocess.go, jobs.go): Readers
	// look, Operators reprocess; reprocess and re-reading errors run as background jobs with pages
	// of their own.
	// Handlers that return errors go through s.handle, whose one mapping (errors.go) answers them.
	r.With(s.require(auth.RoleOperator)).Post("/groups/{id}/reprocess", s.handle(s.handleReprocess))
	r.With(s.require(auth.RoleOperator)).Post("/groups/{id}/refresh-errors", s.handle(s.handleRefreshErrors))
	r.With(s.require(auth.RoleOperator)).Post("/users/{id}/reprocess", s.handle(s.handleUserReprocess))
	r.With(s.require(auth.RoleReader)).Get("/errors", s.handle(s.handleLicenseErrors))
	r.With(s.require(auth.RoleReader)).Get("/errors.csv", s.handle(s.handleLicenseErrorsCSV))
	r.With(s.require(auth.RoleOperator)).Get(jobsPath, s.handle(s.handleJobs))
	r.With(s.require(auth.RoleOperator)).Get(jobsPath+"/{id}", s.handle(s.handleJob))
	r.With(s.require(auth.RoleOperator)).Get(jobsPath+"/{id}/progress", s.handle(s.handleJobProgress))
	r.With(s.require(auth.RoleOperator)).Get(jobsPath+"/{id}/outcomes.csv", s.handle(s.handleJobCSV))
	// License templates (templates*.go): Readers and Operators see the editor, previews and
	// processing read-only; LicenseAdmins change templates, in bulk too, and split groups.
	r.With(s.require(auth.RoleReader)).Get("/groups/{id}/licenses", s.handle(s.handleTemplateEditor))
	r.With(s.require(auth.RoleLicenseAdmin)).Post("/groups/{id}/licenses", s.handle(s.handleTemplateForm))
	r.With(s.require(auth.RoleReader)).Get("/groups/{id}/licenses/preview", s.handle(s.handleTemplatePreview))
	r.With(s.require(auth.RoleLicenseAdmin)).Post("/groups/{id}/licenses/apply", s.handle(s.handleTemplateApply))
	r.With(s.require(auth.RoleOperator)).Get("/groups/{id}/licenses/applied", s.handle(s.handleTemplateApplied))
	r.With(s.require(auth.RoleReader)).Get("/groups/{id}/licenses/status", s.handle(s.handleTemplateStatus))
	r.With(s.require(auth.RoleReader)).Get("/groups/{id}/split", s.handle(s.handleSplit))
	r.With(s.require(auth.RoleLicenseAdmin)).Post("/groups/{id}/split", s.handle(s.handleSplitRun))
	r.With(s.require(auth.RoleReader)).Get(bulkURL, s.handle(s.handleBulkForm))
	r.With(s.require(auth.RoleReader)).Get(bulkURL+"/preview", s.handle(s.handleBulkPreview))
	r.With(s.require(auth.RoleLicenseAdmin)).Post(bulkURL+"/apply", s.handle(s.handleBulkApply))
	r.With(s.require(auth.RoleReader)).Get(bulkURL+"/outcome", s.handle(s.handleBulkOutcome))
	r.With(s.require(auth.RoleReader)).Get("/users", s.handle(s.handleUserSearch))
	r.With(s.require(auth.RoleReader)).Get("/users/{id}", s.handle(s.handleUser))

	// License report (licenses.go, license_sku.go): Readers look and download.
	r.With(s.require(auth.RoleReader)).Get("/licenses", s.handle(s.handleLicenses))
	r.With(s.require(auth.RoleReader)).Get("/licenses/export", s.handle(s.handleLicensesExport))
	r.With(s.require(auth.RoleReader)).Get("/licenses/users.csv", s.handle(s.handleLicenseUsersCSV))
	r.With(s.require(auth.RoleReader)).Get("/licenses/{sku}", s.handle(s.handleLicense))
	r.With(s.require(auth.RoleReader)).Get("/licenses/{sku}/holders.csv", s.handle(s.handleLicenseCSV))

	// License health (license_health.go): Readers look and download, LicenseAdmins set prices.
	r.With(s.require(auth.RoleReader)).Get(healthPath, s.handle(s.handleHealth))
	r.With(s.require(auth.RoleLicenseAdmin)).Get(pricesPath, s.handle(s.handlePrices))
	r.With(s.require(auth.RoleLicenseAdmin)).Post(pricesPath, s.handle(s.handleSetPrice))
	r.With(s.require(auth.RoleLicenseAdmin)).Get(cleanupPath, s.handle(s.handleCleanup))
	r.With(s.require(auth.RoleLicenseAdmin)).Post(cleanupPath, s.handle(s.handleStartCleanup))
	r.With(s.require(auth.RoleReader)).Get(healthPath+"/{file}", s.handle(s.handleHealthCSV))

	// Alerts (alerts*.go): Readers look, LicenseAdmins change rules and channels and send tests.
	r.With(s.require(auth.RoleReader)).Get(alertsPath, s.handle(s.handleAlerts))
	r.With(s.require(auth.RoleLicenseAdmin)).Post(alertsPath+"/rules/{rule}", s.handle(s.handleSetAlertRule))
	r.With(s.require(auth.RoleLicenseAdmin)).Post(alertsPath+"/channels", s.handle(s.handleAddAlertChannel))
	r.With(s.require(auth.RoleLicenseAdmin)).Post(alertsPath+"/channels/{id}", s.handle(s.handleSetAlertChannel))
	r.With(s.require(auth.RoleLicenseAdmin)).Post(alertsPath+"/channels/{id}/test", s.handle(s.handleSendAlertTest))
	r.With(s.require(auth.RoleLicenseAdmin)).Post(alertsPath+"/channels/{id}/remove", s.handle(s.handleRemoveAlertChannel))
	for _, p := range []string{"/rules/{rule}", "/channels", "/channels/{id}", "/channels/{id}/test", "/channels/{id}/remove"} {
		r.With(s.require(auth.RoleReader)).Get(alertsPath+p, s.handleAlertsForm)
	}

	// IP lookup (ip.go): Readers look up, Operators download and import.
	r.With(s.require(auth.RoleReader)).Get("/ip", s.handle(s.handleIP))
	r.With(s.require(auth.RoleReader)).Get("/api/ip", s.handle(s.handleIPAPI))
	r.With(s.require(auth.RoleOperator)).Post("/ip/refresh", s.handle(s.handleIPRefresh))
	r.With(s.require(auth.RoleOperator)).Post("/ip/import", s.handle(s.handleIPImport))

	// Password-reset request check (sspr.go): Readers check mails; nothing of a mail is kept.
	r.With(s.require(auth.RoleReader)).Get("/sspr", s.handle(s.handleSSPR))
	r.With(s.require(auth.RoleReader)).Post("/sspr", s.handle(s.handleSSPRVerify))
	r.With(s.require(auth.RoleReader)).Post("/api/sspr/verify", s.handle(s.handleSSPRAPI))
	r.With(s.require(auth.RoleReader)).Get("/sspr/samples/{id}/{variant}", s.handle(s.handleSSPRSample))

	// Refresh.
	r.With(s.require(auth.RoleOperator)).Post("/refresh", s.handleRefresh)
	r.With(s.require(auth.RoleReader)).Get("/sync/progress", s.handleSyncProgress)

	// Activity log (activity.go).
	r.With(s.require(auth.RoleLicenseAdmin)).Get("/activity", s.handle(s.handleActivity))
	r.With(s.require(auth.RoleLicenseAdmin)).Get("/activity.csv", s.handle(s.handleActivityCSV))
	return r
}
