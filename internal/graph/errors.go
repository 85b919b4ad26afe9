package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// chainable is the part of err that an *model.GraphError may expose through Unwrap: context.Canceled or
// context.DeadlineExceeded themselves, or the outermost net.Error (a *url.Error, *net.OpError,
// *net.DNSError...), which belongs to net/http, not to the SDK. Anything else gives nil.
func chainable(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	if ne, ok := errors.AsType[net.Error](err); ok {
		return ne
	}
	return nil
}

// kindForStatus maps an HTTP status to a Kind.
func kindForStatus(status int) model.GraphErrorKind {
	switch {
	case status == http.StatusUnauthorized:
		return model.GraphUnauthorized
	case status == http.StatusForbidden:
		return model.GraphForbidden
	case status == http.StatusNotFound:
		return model.GraphNotFound
	case status == http.StatusTooManyRequests:
		return model.GraphThrottled
	case status >= 500:
		return model.GraphTransient
	case status >= 400:
		return model.GraphBadRequest
	}
	return model.GraphOther
}

// classify turns whatever the SDK, azidentity or net/http returned into an *model.GraphError. op names the
// operation and perm the permission it needs, for 403 messages. Context cancellation is returned
// as context.Canceled with op, unclassified, so callers see it as such; the SDK's error itself
// is never part of the result's chain.
func classify(err error, op, perm string) error {
	if err == nil {
		return nil
	}
	var ge *model.GraphError
	if errors.As(err, &ge) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, context.Canceled)
	}
	e := &model.GraphError{Op: op, Cause: chainable(err)}

	var oe *odataerrors.ODataError
	var ae *abstractions.ApiError
	var afe *azidentity.AuthenticationFailedError
	var ue *url.Error
	var ne net.Error
	switch {
	case errors.As(err, &oe):
		e.Status = oe.ResponseStatusCode
		// Never call oe.Error(): it dereferences a message that may be missing.
		if me := oe.GetErrorEscaped(); me != nil {
			e.Code = deref(me.GetCode())
			e.Message = deref(me.GetMessage())
			if in := me.GetInnerError(); in != nil {
				e.RequestID = deref(in.GetRequestId())
			}
		}
		if e.RequestID == "" {
			e.RequestID = firstHeader(oe.ResponseHeaders, "request-id")
		}
		e.RetryAfter = parseRetryAfter(firstHeader(oe.ResponseHeaders, "Retry-After"))
		e.Kind = kindForStatus(e.Status)
	case errors.As(err, &ae):
		e.Status = ae.ResponseStatusCode
		e.Message = ae.Message
		e.RequestID = firstHeader(ae.ResponseHeaders, "request-id")
		e.RetryAfter = parseRetryAfter(firstHeader(ae.ResponseHeaders, "Retry-After"))
		e.Kind = kindForStatus(e.Status)
		if e.Status == 0 {
			e.Kind = model.GraphOther
		}
	case errors.As(err, &afe):
		e.Kind = model.GraphUnauthorized
		e.Code, e.Message = entraError(afe)
		if afe.RawResponse != nil {
			e.Status = afe.RawResponse.StatusCode
			if e.Status >= 500 || e.Status == http.StatusTooManyRequests {
				e.Kind = kindForStatus(e.Status)
			}
		}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.EPIPE):
		e.Kind = model.GraphTransient
		e.Message = err.Error()
	case errors.As(err, &ne), errors.As(err, &ue):
		e.Kind = model.GraphTransient
		e.Message = err.Error()
	default:
		e.Kind = model.GraphOther
		e.Message = err.Error()
	}
	if e.Kind == model.GraphForbidden {
		e.Permission = perm
	}
	return e
}

// entraError reads error and error_description from a failed token response; without a
// response, the credential's own message is all there is.
func entraError(afe *azidentity.AuthenticationFailedError) (code, msg string) {
	if afe.RawResponse != nil {
		if body, err := runtime.Payload(afe.RawResponse); err == nil {
			var v struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if json.Unmarshal(body, &v) == nil && (v.Error != "" || v.Description != "") {
				return v.Error, firstLine(v.Description)
			}
		}
	}
	return "", firstLine(afe.Error())
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

func firstHeader(h *abstractions.ResponseHeaders, key string) string {
	if h == nil {
		return ""
	}
	for _, k := range h.ListKeys() {
		if strings.EqualFold(k, key) {
			if v := h.Get(k); len(v) > 0 {
				return v[0]
			}
		}
	}
	return ""
}

// parseRetryAfter reads Retry-After as whole seconds or an HTTP date; 0 when absent or bad.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if !(n >= 0 && n <= 3600) { // also refuses NaN
			return 0
		}
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 && d <= time.Hour {
			return d
		}
	}
	return 0
}

// graphErrorBody is Graph's error body; batch responses carry it inside the JSON we parse ourselves.
type graphErrorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			RequestID string `json:"request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// innerError classifies a failed response inside a $batch.
func innerError(r batchResponse, op, perm string) *model.GraphError {
	e := &model.GraphError{Op: op, Status: r.Status, Kind: kindForStatus(r.Status)}
	var b graphErrorBody
	if len(r.Body) > 0 && json.Unmarshal(r.Body, &b) == nil {
		e.Code = b.Error.Code
		e.Message = b.Error.Message
		e.RequestID = b.Error.InnerError.RequestID
	}
	if e.RequestID == "" {
		e.RequestID = r.header("request-id")
	}
	e.RetryAfter = parseRetryAfter(r.header("Retry-After"))
	if e.Message == "" {
		e.Message = http.StatusText(r.Status)
	}
	if e.Kind == model.GraphForbidden {
		e.Permission = perm
	}
	return e
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
