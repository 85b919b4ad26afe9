package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// NUL and other control characters never reach a page's text: in the query they are dropped
// before any handler reads it (tab, line feed and carriage return stay: pasted log lines), and a
// path with one is refused.
func TestControlCharactersStayOutOfPages(t *testing.T) {
	snap := testSnapshot()
	h := newServer(t, openStore(t, &snap), nil, nil).Handler()
	for _, target := range []string{"/groups?q=%00A1%00", "/users?q=carla%01%1b%7f"} {
		res := do(t, h, "GET", target, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%q: %d", target, res.StatusCode)
		}
		if strings.ContainsAny(res.body, "\x00\x01\x1b\x7f") {
			t.Errorf("%q: a control character is in the page", target)
		}
	}
	d := do(t, h, "GET", "/groups?q=%00A1", nil).doc(t)
	if v := d.Find(`#q`).AttrOr("value", "?"); v != "A1" {
		t.Errorf("search box value %q, want A1", v)
	}
	for _, target := range []string{"/groups%00", "/groups/%0d%0aX"} {
		if res := do(t, h, "GET", target, nil); res.StatusCode != http.StatusBadRequest || strings.ContainsAny(res.body, "\x00\r") {
			t.Errorf("%q: %d", target, res.StatusCode)
		}
	}
}

// A client that goes away cancels what its request was doing; that is logged at debug level,
// not as a warning.
func TestClientGoneIsNoWarning(t *testing.T) {
	var logs bytes.Buffer
	s := newServer(t, &fakeStore{}, nil, &logs)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.logFailure(ctx, "layout: current snapshot", context.Canceled)
	s.logFailure(context.Background(), "group page: names", errors.New("database is locked"))
	out := logs.String()
	if !strings.Contains(out, `level=DEBUG msg="layout: current snapshot"`) || !strings.Contains(out, `level=WARN msg="group page: names"`) {
		t.Errorf("log:\n%s", out)
	}
}
