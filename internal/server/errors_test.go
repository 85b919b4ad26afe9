package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// One function maps every error to its answer: each kind of failure gets its status and a page
// that says what happened in words, and a 500 says nothing of its internals but a reference.
func TestServeErrorMapsEachKind(t *testing.T) {
	var logs strings.Builder
	s := newServer(t, &fakeStore{}, nil, &logs)
	for _, tc := range []struct {
		name    string
		method  string
		path    string
		err     error
		status  int
		heading string
		says    []string
		back    string
	}{
		{"bad input", "GET", "/groups", &model.InputError{Message: "Fix these:", Problems: []string{"size: 7"}}, 400, "Bad request",
			[]string{"Fix these:", "size: 7"}, "/groups"},
		{"group not found", "GET", "/groups/g9", fmt.Errorf("page: %w", model.GroupNotFound("g9")), 404, "Group not found",
			[]string{"No licensed group with object id g9"}, "/groups"},
		{"user not found", "GET", "/users/u9", model.UserNotFound("u9"), 404, "User not found", []string{"u9"}, "/users"},
		{"missing Graph permission", "POST", "/groups/g1/reprocess", &model.PermissionError{Action: "Reprocess", Why: "the app lacks User.ReadWrite.All"},
			403, "Reprocess not available", []string{"Reprocess not available: the app lacks User.ReadWrite.All."}, "/groups/g1"},
		{"Graph refused", "GET", "/users/u1", &model.GraphError{Kind: model.GraphForbidden, Status: 403, Permission: "AuditLog.Read.All"},
			403, "Microsoft Graph refused", []string{"AuditLog.Read.All", "administrator must grant it"}, "/users/u1"},
		{"Graph throttled", "POST", "/groups/g1/refresh-errors", &model.GraphError{Kind: model.GraphThrottled, Status: 429, RetryAfter: 12 * time.Second},
			503, "Microsoft Graph is not available", []string{"Try again in 12s"}, "/groups/g1"},
		{"Graph down", "GET", "/", &model.GraphError{Kind: model.GraphTransient, Status: 503}, 503, "Microsoft Graph is not available",
			[]string{"Try again in a moment"}, "/"},
		{"too slow", "GET", "/", fmt.Errorf("x: %w", context.DeadlineExceeded), 503, "Not answered in time", nil, "/"},
		{"anything else", "GET", "/", errors.New("sqlite: disk I/O error at page 7"), 500, "Something went wrong",
			[]string{"reference"}, "/"},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req = req.WithContext(auth.WithPrincipal(context.WithValue(req.Context(), middleware.RequestIDKey, "req-42"),
			auth.Principal{UPN: "a@x", Role: auth.RoleLicenseAdmin}))
		rec := httptest.NewRecorder()
		s.serveError(rec, req, tc.err)
		res := response{Response: rec.Result(), body: rec.Body.String()}
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, res.StatusCode, tc.status)
			continue
		}
		d := res.doc(t)
		if got := d.Find(".error-page h1").Text(); got != tc.heading {
			t.Errorf("%s: heading %q, want %q", tc.name, got, tc.heading)
		}
		page := d.Find(".error-page").Text()
		for _, w := range tc.says {
			if !strings.Contains(page, w) {
				t.Errorf("%s: page %q lacks %q", tc.name, page, w)
			}
		}
		if back := d.Find(".error-page a").AttrOr("href", ""); back != tc.back {
			t.Errorf("%s: back to %q, want %q", tc.name, back, tc.back)
		}
		if tc.status == 503 && res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", tc.name)
		}
		if tc.status == 500 {
			if got := d.Find("#correlation-id").Text(); got != "req-42" {
				t.Errorf("500 names reference %q, want the request id", got)
			}
			if strings.Contains(res.body, "disk I/O") {
				t.Error("the 500 page shows internals")
			}
			if !strings.Contains(logs.String(), "disk I/O") || !strings.Contains(logs.String(), "req-42") {
				t.Error("the 500's cause and reference are not in the log")
			}
		}
	}
	req := httptest.NewRequest("GET", "/groups", nil)
	rec := httptest.NewRecorder()
	s.serveError(rec, req, &model.GraphError{Kind: model.GraphThrottled, RetryAfter: 12 * time.Second})
	if got := rec.Header().Get("Retry-After"); got != "12" {
		t.Errorf("Retry-After %q, want Graph's 12 seconds", got)
	}
}

func TestServeErrorAnswersAPIsInJSON(t *testing.T) {
	s := newServer(t, &fakeStore{}, nil, nil)
	rec := httptest.NewRecorder()
	s.serveError(rec, httptest.NewRequest("GET", "/api/ip", nil), model.Invalid("q is required"))
	if rec.Code != 400 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") ||
		!strings.Contains(rec.Body.String(), `"error": "q is required"`) {
		t.Errorf("%d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
}

func TestBadInputIsShownOnItsForm(t *testing.T) {
	s := newServer(t, &fakeStore{}, nil, nil)
	rec := httptest.NewRecorder()
	err := onForm(model.Invalid("That is not a user."), func(p *web.FormProblem) templ.Component {
		return web.UserSearchPage(web.Layout{}, web.UserSearchView{Query: "x", Problem: p, FormAction: "/users"})
	})
	s.serveError(rec, httptest.NewRequest("GET", "/users?q=x", nil), err)
	res := response{Response: rec.Result(), body: rec.Body.String()}
	if res.StatusCode != 400 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if got := res.doc(t).Find("#user-search #form-problem").Text(); !strings.Contains(got, "That is not a user.") {
		t.Errorf("problem not in the form: %q", got)
	}
	// Anything but bad input is not a form's problem.
	other := errors.New("x")
	if got := onForm(other, nil); got != other {
		t.Errorf("onForm wrapped %v", got)
	}
}

func TestNotFoundPagesSayWhat(t *testing.T) {
	h := newServer(t, &fakeStore{}, nil, nil).Handler()
	res := do(t, h, "GET", "/no/such/page", nil)
	if res.StatusCode != 404 || strings.Contains(res.body, "assign licenses") || !strings.Contains(res.body, "/no/such/page") {
		t.Errorf("unknown path: %d %q", res.StatusCode, res.doc(t).Find("#error-message").Text())
	}
	res = do(t, h, "GET", "/users/"+strings.Repeat("x", 200), nil)
	if res.StatusCode != 404 || !strings.Contains(res.doc(t).Find("h1").Text(), "User not found") {
		t.Errorf("long user id: %d", res.StatusCode)
	}
	if res := do(t, h, "DELETE", "/groups", nil); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %d", res.StatusCode)
	}
}

// Bad input on each page with a form comes back as that page, 400, with the problem inside the
// form it came from.
func TestEveryFormShowsItsProblemInline(t *testing.T) {
	e := newLicEnv(t, false)
	for _, tc := range []struct {
		method, target, form, says string
		body                       url.Values
	}{
		{"GET", "/groups?size=7&sort=bogus", "#report-filter", `size: "7"`, nil},
		{"GET", "/users?q=" + strings.Repeat("a", maxSearchRunes+1), "#user-search", "longer than 200", nil},
		{"GET", "/activity?since=tomorrow", "#activity-filter", "since must be a date", nil},
		{"POST", "/groups/" + groupLT + "/reprocess", "#reprocess-form", "Select at least one user", url.Values{"scope": {"selected"}}},
		{"POST", "/groups/" + groupLT + "/reprocess", "#reprocess-form", "is not a user object id", url.Values{"user": {"a/b"}}},
	} {
		var res response
		if tc.method == "POST" {
			res = postForm(t, e.h, tc.target, tc.body, "")
		} else {
			res = do(t, e.h, tc.method, tc.target, nil)
		}
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %s: status %d", tc.method, tc.target, res.StatusCode)
			continue
		}
		if got := res.doc(t).Find(tc.form + " #form-problem").Text(); !strings.Contains(got, tc.says) {
			t.Errorf("%s %s: problem in %s is %q, want %q", tc.method, tc.target, tc.form, got, tc.says)
		}
	}
	if len(e.dir.Reprocessed) != 0 {
		t.Errorf("a refused form reached Graph: %v", e.dir.Reprocessed)
	}
}
