package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

func odataErr(status int, code, msg *string, requestID string, hdr map[string]string) *odataerrors.ODataError {
	oe := odataerrors.NewODataError()
	oe.ResponseStatusCode = status
	oe.ResponseHeaders = abstractions.NewResponseHeaders()
	for k, v := range hdr {
		oe.ResponseHeaders.Add(k, v)
	}
	me := odataerrors.NewMainError()
	me.SetCode(code)
	me.SetMessage(msg)
	if requestID != "" {
		in := odataerrors.NewInnerError()
		in.SetRequestId(&requestID)
		me.SetInnerError(in)
	}
	oe.SetErrorEscaped(me)
	return oe
}

func sp(s string) *string { return &s }

func authFailed(status int, body string) error {
	return &azidentity.AuthenticationFailedError{RawResponse: &http.Response{
		StatusCode: status,
		Status:     http.StatusText(status),
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(body)),
	}}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		perm     string
		kind     model.GraphErrorKind
		sentinel error
		status   int
		code     string
		msg      string // substring of Message
		reqID    string
		retry    time.Duration
		wantPerm string
		chained  bool // tt.err stays reachable through Unwrap (context and network errors only)
	}{
		{
			name: "forbidden keeps Graph's words and names the permission",
			err:  odataErr(403, sp("Authorization_RequestDenied"), sp("Insufficient privileges to complete the operation."), "rid-1", nil),
			perm: permissions.LicenseAssignment, kind: model.GraphForbidden, sentinel: model.ErrForbidden, status: 403,
			code: "Authorization_RequestDenied", msg: "Insufficient privileges", reqID: "rid-1", wantPerm: permissions.LicenseAssignment,
		},
		{
			name: "unauthorized", err: odataErr(401, sp("InvalidAuthenticationToken"), sp("Access token has expired."), "", nil),
			kind: model.GraphUnauthorized, sentinel: model.ErrUnauthorized, status: 401, code: "InvalidAuthenticationToken", msg: "expired",
		},
		{
			name: "not found", err: odataErr(404, sp("Request_ResourceNotFound"), sp("Resource 'x' does not exist"), "", nil),
			kind: model.GraphNotFound, sentinel: model.ErrNotFound, status: 404, code: "Request_ResourceNotFound", msg: "does not exist",
		},
		{
			name: "throttled with retry-after", err: odataErr(429, sp("TooManyRequests"), sp("Please retry again later."), "", map[string]string{"Retry-After": "7"}),
			kind: model.GraphThrottled, sentinel: model.ErrThrottled, status: 429, code: "TooManyRequests", retry: 7 * time.Second,
		},
		{
			name: "server error", err: odataErr(503, sp("serviceNotAvailable"), sp("down"), "", nil),
			kind: model.GraphTransient, sentinel: model.ErrUnavailable, status: 503, code: "serviceNotAvailable", msg: "down",
		},
		{
			name: "bad request", err: odataErr(400, sp("Request_UnsupportedQuery"), sp("Unsupported query."), "", nil),
			kind: model.GraphBadRequest, sentinel: model.ErrInvalid, status: 400, code: "Request_UnsupportedQuery",
		},
		{
			// ODataError.Error() would panic here: the body had no message.
			name: "error body without message or code", err: odataErr(403, nil, nil, "", map[string]string{"request-id": "hdr-rid"}),
			perm: permissions.GroupRead, kind: model.GraphForbidden, sentinel: model.ErrForbidden, status: 403, reqID: "hdr-rid", wantPerm: permissions.GroupRead,
		},
		{
			name: "api error without body", err: &abstractions.ApiError{Message: "no body", ResponseStatusCode: 502},
			kind: model.GraphTransient, sentinel: model.ErrUnavailable, status: 502, msg: "no body",
		},
		{
			name: "entra refuses the secret", kind: model.GraphUnauthorized, sentinel: model.ErrUnauthorized, status: 401, code: "invalid_client",
			err: authFailed(401, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}`),
			msg: "AADSTS7000215: Invalid client secret provided.",
		},
		{
			name: "entra unreachable wrapped", kind: model.GraphUnauthorized, sentinel: model.ErrUnauthorized,
			err: fmt.Errorf("get token: %w", &azidentity.AuthenticationFailedError{}),
		},
		{
			name: "dropped connection", kind: model.GraphTransient, sentinel: model.ErrUnavailable,
			err: &url.Error{Op: "Get", URL: "https://graph.microsoft.com/v1.0/users", Err: io.ErrUnexpectedEOF}, chained: true,
		},
		{
			name: "connection reset", kind: model.GraphTransient, sentinel: model.ErrUnavailable,
			err: &url.Error{Op: "Post", URL: "https://x", Err: &net.OpError{Op: "read", Err: syscall.ECONNRESET}}, chained: true,
		},
		{name: "timeout", err: context.DeadlineExceeded, kind: model.GraphTransient, sentinel: model.ErrUnavailable, chained: true},
		{name: "dns", err: &net.DNSError{Err: "no such host", Name: "graph.invalid"}, kind: model.GraphTransient, sentinel: model.ErrUnavailable, chained: true},
		{
			name: "token request timed out inside azidentity", kind: model.GraphUnauthorized, sentinel: model.ErrUnauthorized,
			err: fmt.Errorf("get token: %w", errors.Join(&azidentity.AuthenticationFailedError{}, context.DeadlineExceeded)),
		},
		{name: "anything else", err: errors.New("boom"), kind: model.GraphOther, msg: "boom"},
	}
	sentinels := []error{model.ErrUnauthorized, model.ErrForbidden, model.ErrNotFound, model.ErrThrottled, model.ErrUnavailable, model.ErrInvalid}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.err, "do thing", tt.perm)
			var ge *model.GraphError
			if !errors.As(err, &ge) {
				t.Fatalf("classify returned %T %v, want *model.GraphError", err, err)
			}
			if ge.Kind != tt.kind || ge.Status != tt.status || ge.Code != tt.code || ge.RequestID != tt.reqID ||
				ge.RetryAfter != tt.retry || ge.Permission != tt.wantPerm || !strings.Contains(ge.Message, tt.msg) {
				t.Fatalf("classify = %+v", *ge)
			}
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), s == tt.sentinel; got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", s, got, want)
				}
			}
			if got := errors.Is(err, tt.err); got != tt.chained {
				t.Errorf("errors.Is(err, cause) = %v, want %v", got, tt.chained)
			}
			checkNoSDKError(t, err)
			s := err.Error()
			if !strings.HasPrefix(s, "do thing: ") {
				t.Errorf("Error() = %q, want the operation first", s)
			}
			if tt.wantPerm != "" && !strings.Contains(s, tt.wantPerm) {
				t.Errorf("Error() = %q, want it to name %s", s, tt.wantPerm)
			}
		})
	}
}

// checkNoSDKError fails when an SDK error type is reachable from err: callers of this package
// must not depend on the SDK.
func checkNoSDKError(t *testing.T, err error) {
	t.Helper()
	if errors.As(err, new(*odataerrors.ODataError)) || errors.As(err, new(*abstractions.ApiError)) ||
		errors.As(err, new(*azidentity.AuthenticationFailedError)) {
		t.Errorf("an SDK error type is reachable from %T %v", err, err)
	}
}

func TestClassifyPassThrough(t *testing.T) {
	if classify(nil, "x", "") != nil {
		t.Fatal("classify(nil) != nil")
	}
	err := classify(fmt.Errorf("wrapped: %w", context.Canceled), "list users", "")
	if !errors.Is(err, context.Canceled) || errors.As(err, new(*model.GraphError)) || err.Error() != "list users: context canceled" {
		t.Fatalf("cancellation classified: %v", err)
	}
	// The SDK may wrap the cancellation in its own error; only context.Canceled comes out.
	err = classify(errors.Join(odataErr(500, nil, nil, "", nil), context.Canceled), "list users", "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancellation inside an SDK error: %v", err)
	}
	checkNoSDKError(t, err)
	// A timeout inside a failed token request: classified by azidentity's error, but only the
	// deadline stays in the chain.
	err = classify(fmt.Errorf("get token: %w", errors.Join(&azidentity.AuthenticationFailedError{}, context.DeadlineExceeded)), "list users", "")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, model.ErrUnauthorized) {
		t.Errorf("token timeout: %v", err)
	}
	checkNoSDKError(t, err)
	orig := &model.GraphError{Kind: model.GraphNotFound, Op: "a"}
	if got := classify(orig, "b", ""); got != error(orig) {
		t.Fatalf("an *model.GraphError was re-wrapped: %v", got)
	}
}

func TestInnerError(t *testing.T) {
	r := batchResponse{
		ID: "3", Status: 403,
		Headers: map[string]string{"retry-after": "2", "Request-Id": "hdr"},
		Body:    []byte(`{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"request-id":"rid"}}}`),
	}
	e := innerError(r, "reprocess", permissions.LicenseAssignment)
	if e.Kind != model.GraphForbidden || e.Code != "Authorization_RequestDenied" || e.RequestID != "rid" ||
		e.Permission != permissions.LicenseAssignment || e.RetryAfter != 2*time.Second || !errors.Is(e, model.ErrForbidden) {
		t.Fatalf("innerError = %+v", *e)
	}
	// Hostile or empty bodies still give a usable error.
	for _, body := range []string{"", "null", "42", `"text"`, `{"error":null}`, `{"error":{"message":7}}`, "{"} {
		e := innerError(batchResponse{Status: 500, Body: []byte(body)}, "x", "")
		if e.Kind != model.GraphTransient || e.Message == "" {
			t.Errorf("innerError(body %q) = %+v", body, *e)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	future := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	for in, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, " 10 ": 10 * time.Second, "1.5": 1500 * time.Millisecond,
		"-4": 0, "99999": 0, "soon": 0, "NaN": 0,
	} {
		if got := parseRetryAfter(in); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
	if d := parseRetryAfter(future); d < 25*time.Second || d > 31*time.Second {
		t.Errorf("parseRetryAfter(date) = %v", d)
	}
}
