package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/web"
)

// statusWriter records the status and size of a response for the request log and lets the
// recoverer know whether a 500 page can still be written.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request with slog.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.log.InfoContext(r.Context(), "http request",
			"method", r.Method,
			"path", r.URL.Path,
			"status", status,
			"bytes", sw.bytes,
			"duration", s.now().Sub(start).Round(time.Microsecond),
			"remote", r.RemoteAddr,
		)
	})
}

// recoverPanics turns a panic in a handler into a logged error and a 500 page (when nothing
// was written yet), so one bad request never takes the server down or leaks a stack trace.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(v) // net/http's way to abort a response on purpose
			}
			s.log.ErrorContext(r.Context(), "panic serving request",
				"method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if sw.status == 0 {
				s.serveError(sw, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// logFailure logs a failure around a request (not its answer: serveError does that) as a
// warning, or at debug level when the client went away, which cancels everything the request
// was doing and is nobody's fault.
func (s *Server) logFailure(ctx context.Context, msg string, err error, args ...any) {
	args = append(args, "err", err)
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		s.log.DebugContext(ctx, msg, args...)
		return
	}
	s.log.WarnContext(ctx, msg, args...)
}

// cleanControls keeps control characters out of what pages echo. An address whose path holds
// one (no route has any) is answered 400; in the query, NUL and the other control characters
// but tab, line feed and carriage return (pasted log lines keep those) are dropped before any
// handler reads it, so a search for "%ff%00" is a search for "%ff", never a NUL in a page.
func (s *Server) cleanControls(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.ContainsFunc(r.URL.Path, isControl) {
			s.errorPage(w, r, web.ErrorView{
				Status:  http.StatusBadRequest,
				Heading: "Bad address",
				Message: "The address contains a NUL byte or another control character, which no page of tenantdesk has. Check the link.",
				BackURL: "/",
			})
			return
		}
		if q := r.URL.RawQuery; strings.ContainsFunc(q, isControl) || mayEncodeControl(q) {
			vals := r.URL.Query()
			changed := false
			clean := url.Values{}
			for k, vs := range vals {
				ck := strings.Map(dropControl, k)
				changed = changed || ck != k
				for _, v := range vs {
					cv := strings.Map(dropControl, v)
					changed = changed || cv != v
					clean[ck] = append(clean[ck], cv)
				}
			}
			if changed {
				r = r.Clone(r.Context())
				r.URL.RawQuery = clean.Encode()
			}
		}
		next.ServeHTTP(w, r)
	})
}

// isControl is a C0 control character or DEL.
func isControl(c rune) bool { return c < 0x20 || c == 0x7f }

// dropControl removes the control characters a query may not carry into a page.
func dropControl(c rune) rune {
	if isControl(c) && c != '\t' && c != '\n' && c != '\r' {
		return -1
	}
	return c
}

// mayEncodeControl reports whether a raw query has a percent-encoded control character
// (%00-%1F, %7F), which only decoding shows.
func mayEncodeControl(q string) bool {
	for i := 0; i+2 < len(q); i++ {
		if q[i] != '%' {
			continue
		}
		if hi := q[i+1]; hi == '0' || hi == '1' || hi == '7' && (q[i+2] == 'f' || q[i+2] == 'F') {
			return true
		}
	}
	return false
}
