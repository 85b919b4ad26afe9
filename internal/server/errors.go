package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// handlerFunc is a handler that returns its failure instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts h to net/http: whatever error h returns goes through serveError.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.serveError(w, r, err)
		}
	}
}

// pageError is an error whose page the handler chose itself (a refusal with its own wording).
type pageError struct {
	view web.ErrorView
	err  error // for the log; may be nil
}

func (e *pageError) Error() string {
	if e.err != nil {
		return e.view.Heading + ": " + e.err.Error()
	}
	return e.view.Heading + ": " + e.view.Message
}

func (e *pageError) Unwrap() error { return e.err }

// formError is bad input that belongs to a form: its page shows the form again with the problem
// beside it.
type formError struct {
	input  *model.InputError
	status int // 400, or 413 for input past a size limit
	page   func(p *web.FormProblem) templ.Component
}

func (e *formError) Error() string { return e.input.Error() }
func (e *formError) Unwrap() error { return e.input }

// onForm returns err, when it is bad input (or input past a size limit), as one to show inside
// the form that page renders; other errors pass unchanged.
func onForm(err error, page func(p *web.FormProblem) templ.Component) error {
	if te, ok := errors.AsType[*model.TooLargeError](err); ok {
		return &formError{input: &model.InputError{Message: te.Error() + "."}, status: http.StatusRequestEntityTooLarge, page: page}
	}
	var ie *model.InputError
	if !errors.As(err, &ie) {
		return err
	}
	return &formError{input: ie, status: http.StatusBadRequest, page: page}
}

// serveError is THE mapping from an error to a response: every handler's failure goes through
// here, so the same kind of failure always gets the same status and the same kind of page.
//
//   - bad input: 400 with the message (inside the form it came from, when there is one); 413
//     for input past a size limit
//   - not found: 404 saying what was not found
//   - forbidden: 403 naming the role or Graph permission
//   - Graph throttled or unavailable: 503 with when to retry
//   - anything else: 500 with a correlation id and no internals (those go to the log)
func (s *Server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away; nobody to answer
	}
	var fe *formError
	if errors.As(err, &fe) {
		s.render(w, r, fe.status, fe.page(&web.FormProblem{Message: fe.input.Message, Details: fe.input.Problems}))
		return
	}
	v := s.errorView(r, err)
	if v.Status >= http.StatusInternalServerError && v.Status != http.StatusServiceUnavailable {
		v.CorrelationID = middleware.GetReqID(r.Context())
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path,
			"request_id", v.CorrelationID, "err", err)
	} else {
		s.log.InfoContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path,
			"status", v.Status, "err", err)
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, v.Status, apiError{Error: v.Message, Problems: v.Details})
		return
	}
	s.errorPage(w, r, v)
}

// errorView is the page of err.
func (s *Server) errorView(r *http.Request, err error) web.ErrorView {
	var (
		pe  *pageError
		ie  *model.InputError
		tl  *model.TooLargeError
		nf  *model.NotFoundError
		pme *model.PermissionError
		ge  *model.GraphError
	)
	switch {
	case errors.As(err, &pe):
		return pe.view
	case errors.As(err, &tl):
		return web.ErrorView{Status: http.StatusRequestEntityTooLarge, Heading: "Too large", Message: tl.Error() + ".", BackURL: backFrom(r)}
	case errors.As(err, &ie):
		return web.ErrorView{Status: http.StatusBadRequest, Heading: "Bad request", Message: ie.Message,
			Details: ie.Problems, BackURL: backFrom(r)}
	case errors.As(err, &nf):
		back, label := listOf(nf.What)
		return web.ErrorView{Status: http.StatusNotFound, Heading: capitalize(nf.What) + " not found",
			Message: nf.Detail, BackURL: back, BackLabel: label}
	case errors.As(err, &pme):
		return web.ErrorView{Status: http.StatusForbidden, Heading: pme.Action + " not available",
			Message: pme.Error() + ".", BackURL: backFrom(r)}
	case errors.As(err, &ge):
		return graphErrorView(r, ge)
	case isNotFound(err):
		return web.ErrorView{Status: http.StatusNotFound, Heading: "Not found",
			Message: "What this page shows is not in the current data: " + err.Error() + ".", BackURL: "/"}
	case errors.Is(err, context.DeadlineExceeded):
		return web.ErrorView{Status: http.StatusServiceUnavailable, Heading: "Not answered in time",
			Message: "The answer took too long.", BackURL: backFrom(r)}
	}
	return web.ErrorView{Status: http.StatusInternalServerError, Heading: "Something went wrong",
		Message: "The page could not be shown because of an internal error. It has been logged; try again in a moment, and quote the reference below if it happens again.",
		BackURL: "/"}
}

// graphErrorView is the page of a failed Graph call.
func graphErrorView(r *http.Request, ge *model.GraphError) web.ErrorView {
	v := web.ErrorView{Message: model.DescribeGraphError(ge), BackURL: backFrom(r)}
	switch ge.Kind {
	case model.GraphForbidden:
		v.Status, v.Heading = http.StatusForbidden, "Microsoft Graph refused"
	case model.GraphNotFound:
		v.Status, v.Heading = http.StatusNotFound, "Not found in Microsoft 365"
	case model.GraphBadRequest:
		v.Status, v.Heading = http.StatusBadRequest, "Microsoft Graph refused the request"
	case model.GraphThrottled, model.GraphTransient, model.GraphUnauthorized:
		v.Status, v.Heading = http.StatusServiceUnavailable, "Microsoft Graph is not available"
		v.RetryAfter = ge.RetryAfter
	default:
		v.Status, v.Heading = http.StatusBadGateway, "Microsoft Graph failed"
	}
	return v
}

// backFrom is where an error page sends the person back to: the page a form was posted from
// (its path without the action), or the page itself without its query.
func backFrom(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.Path
	}
	if i := strings.LastIndex(r.URL.Path, "/"); i > 0 {
		return r.URL.Path[:i]
	}
	return "/"
}

// listOf is the page that lists things of a kind, and its link's words, for "not found" pages.
func listOf(what string) (href, label string) {
	switch what {
	case "group":
		return "/groups", "All licensed groups"
	case "user":
		return "/users", "Find a user"
	case "license":
		return "/licenses", "All licenses"
	case "alert channel", "alert rule":
		return "/alerts", "Alerts"
	}
	return "/", "Overview"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// defaultRetryAfter is the Retry-After of a 503 whose cause named no time.
const defaultRetryAfter = 30 * time.Second

// errorPage renders an error page in the layout; a 503 says when to try again.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, v web.ErrorView) {
	if v.Status == http.StatusServiceUnavailable {
		d := v.RetryAfter
		if d <= 0 {
			d = defaultRetryAfter
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
	l := s.layout(r.Context(), v.Heading, "")
	s.render(w, r, v.Status, web.ErrorPage(l, v))
}

// notFound is the router's page for a path that matches no route.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, web.ErrorView{
		Status:    http.StatusNotFound,
		Heading:   "Page not found",
		Message:   "There is no page at " + clip(r.URL.Path) + ". The link may be old or mistyped.",
		BackURL:   "/",
		BackLabel: "Overview",
	})
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, web.ErrorView{
		Status:  http.StatusMethodNotAllowed,
		Heading: "Method not allowed",
		Message: r.Method + " is not allowed on " + r.URL.Path + ".",
		BackURL: "/",
	})
}

// errNoData answers what needs a snapshot before the first one exists.
var errNoData = refusal(http.StatusServiceUnavailable, "No data yet",
	"tenantdesk has not taken a snapshot of the tenant yet. Refresh, wait for it to finish, and try again.", "/")

// refusal is a pageError with its own status and wording.
func refusal(status int, heading, message, back string) error {
	return &pageError{view: web.ErrorView{Status: status, Heading: heading, Message: message, BackURL: back}}
}
