package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	abstractions "github.com/microsoft/kiota-abstractions-go"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// TestPeekNextLink: the nextLink is taken from the members before "value" only, and anything
// unexpected says "not known" (the page is then decoded whole before the next is asked for).
func TestPeekNextLink(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		link      string
		known     bool
	}{
		{"graph's order", `{"@odata.context":"https://g/v1.0/$metadata#users","@odata.nextLink":"https://g/v1.0/users?$skiptoken=X","value":[{"id":"a"}]}`, "https://g/v1.0/users?$skiptoken=X", true},
		{"link first", `{"@odata.nextLink":"n","value":[]}`, "n", true},
		{"last page", `{"@odata.context":"c","value":[{"id":"a"}]}`, "", false},
		{"delta end", `{"@odata.context":"c","@odata.deltaLink":"d","value":[]}`, "", false},
		{"link after value", `{"value":[{"id":"a"}],"@odata.nextLink":"n"}`, "", false},
		{"escaped key", `{"@odata.next\u004cink":"n","value":[]}`, "n", true},
		{"object before", `{"@odata.context":{"a":[1,2,{"b":"value"}]},"@odata.nextLink":"n","value":[]}`, "n", true},
		{"empty link", `{"@odata.nextLink":"","value":[]}`, "", false},
		{"link not a string", `{"@odata.nextLink":12,"value":[]}`, "", false},
		{"null link", `{"@odata.nextLink":null,"value":[]}`, "", false},
		{"array", `[{"@odata.nextLink":"n"}]`, "", false},
		{"truncated", `{"@odata.context":"c","@odata.nextLi`, "", false},
		{"empty", ``, "", false},
		{"garbage", `{"@odata.context" "c"}`, "", false},
		{"no value", `{"@odata.context":"c"}`, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			link, known := peekNextLink([]byte(tc.doc))
			if link != tc.link || known != tc.known {
				t.Errorf("got %q, %v; want %q, %v", link, known, tc.link, tc.known)
			}
		})
	}
}

// nextLinkOf finds the link wherever the page has it, and fails on a page it cannot read.
func TestNextLinkOf(t *testing.T) {
	for _, tc := range []struct {
		name, doc, link string
		fails           bool
	}{
		{"graph's order", `{"@odata.context":"c","@odata.nextLink":"n","value":[{"id":"a"}]}`, "n", false},
		{"link after value", `{"value":[{"id":"a"}],"@odata.nextLink":"n"}`, "n", false},
		{"last page", `{"@odata.context":"c","value":[{"id":"a"}]}`, "", false},
		{"null link after value", `{"value":[],"@odata.nextLink":null}`, "", false},
		{"link not a string", `{"value":[],"@odata.nextLink":12}`, "", true},
		{"truncated", `{"value":[{"id":"a"}],"@odata.next`, "", true},
		{"array", `[{"@odata.nextLink":"n"}]`, "", true},
		{"empty", ``, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			link, err := nextLinkOf([]byte(tc.doc))
			if (err != nil) != tc.fails || (err == nil && link != tc.link) {
				t.Errorf("got %q, %v; want %q, failing %v", link, err, tc.link, tc.fails)
			}
		})
	}
}

// FuzzPeekNextLink: a nextLink peeked from a page that decodes is the one decoding gives (when
// the page names it once), and no input panics.
func FuzzPeekNextLink(f *testing.F) {
	for _, s := range []string{`{"@odata.nextLink":"n","value":[]}`, `{"@odata.context":"c","@odata.nextLink":"https://x/?a=b","value":[{"id":"a"}]}`,
		`{"value":[],"@odata.nextLink":"n"}`, `{"@odata.nextLink":"a","@odata.nextLink":"b","value":[]}`, `{"@odata.nextLink":"a","@ODATA.NEXTLINK":"b","value":[]}`, `{}`, `[]`, `nul`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// nextLinkOf (the benchmark's page chain) agrees with decoding the page whole.
		if got, err := nextLinkOf(b); err == nil {
			var p jsonPage[json.RawMessage]
			if decodePage(b, &p) == nil && topLevelKeys(b, "@odata.nextLink") <= 1 && got != p.NextLink {
				t.Errorf("nextLinkOf %q, decoded %q from %s", got, p.NextLink, b)
			}
		}
		link, known := peekNextLink(b)
		if !known {
			return
		}
		var p jsonPage[json.RawMessage]
		if decodePage(b, &p) != nil || topLevelKeys(b, "@odata.nextLink") != 1 {
			return
		}
		if p.NextLink != link {
			t.Errorf("peeked %q, decoded %q from %s", link, p.NextLink, b)
		}
	})
}

// topLevelKeys counts the members of the top-level object named key in any case (a stricter
// precondition than decodePage, which matches names exactly, needs).
func topLevelKeys(b []byte, key string) int {
	d := json.NewDecoder(bytes.NewReader(b))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return 0
	}
	n := 0
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return 0
		}
		if k, ok := t.(string); ok && strings.EqualFold(k, key) {
			n++
		}
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			return 0
		}
	}
	return n
}

// TestFailedResponseAsTheAdapter: a body read into our own buffer (readBodyInto) bypasses the
// adapter's handling of failures, so failedResponse must make of each the error the adapter
// makes: compared through classify, field by field, for the same answers.
func TestFailedResponseAsTheAdapter(t *testing.T) {
	f, c := newFakeClient(t)
	answer := func(status int, contentType, body string, headers ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i+1 < len(headers); i += 2 {
				w.Header().Set(headers[i], headers[i+1])
			}
			if contentType != "" {
				w.Header().Set("Content-Type", contentType)
			} else {
				w.Header()["Content-Type"] = nil // no sniffing: no type at all
			}
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
	}
	odata := `{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist.","innerError":{"request-id":"rid-1","date":"2026-12-04T20:00:00"}}}`
	cases := map[string]http.HandlerFunc{
		"/not-found":       answer(404, "application/json", odata),
		"/charset":         answer(404, "application/json; charset=utf-8", odata),
		"/upper-type":      answer(404, "Application/JSON", odata),
		"/resync":          answer(410, "application/json", `{"error":{"code":"syncStateNotFound","message":"resync required"}}`),
		"/forbidden-bare":  answer(403, "application/json", `{"error":{"code":"Authorization_RequestDenied"}}`),
		"/no-body":         answer(400, "application/json", ""),
		"/no-type":         answer(400, "", odata),
		"/html":            answer(400, "text/html", "<html><body>Bad gateway</body></html>"),
		"/not-json":        answer(400, "application/json", "{not json"),
		"/empty-object":    answer(400, "application/json", "{}"),
		"/server":          answer(501, "application/json", `{"error":{"code":"NotImplemented","message":"boom"}}`),
		"/headers":         answer(400, "application/json", odata, "Retry-After", "7", "request-id", "rid-header"),
		"/header-only-rid": answer(400, "application/json", `{"error":{"code":"BadRequest","message":"m"}}`, "request-id", "rid-h"),
	}
	// An empty body without a Content-Length: the adapter loses the status (the parser's "content
	// is empty"); failedResponse keeps it, so a 503 so answered is retried.
	chunkedEmpty := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.(http.Flusher).Flush()
	}
	f.mu.Lock()
	f.answers = maps.Clone(cases)
	f.answers["/chunked-empty"] = chunkedEmpty
	f.mu.Unlock()
	ctx := context.Background()
	var buf bytes.Buffer
	err := c.getJSONOnce(ctx, c.collectionURL("/chunked-empty"), nil, &buf)
	var ge *model.GraphError
	if !errors.As(classify(err, "read", ""), &ge) || ge.Status != 400 || ge.Kind != model.GraphBadRequest {
		t.Errorf("empty chunked 400: %v, want a GraphError with status 400", err)
	}
	for path := range cases {
		t.Run(path, func(t *testing.T) {
			target := c.collectionURL(path)
			var buf bytes.Buffer
			ours := c.getJSONOnce(ctx, target, nil, &buf)
			u, _ := url.Parse(target)
			ri := abstractions.NewRequestInformation()
			ri.Method = abstractions.GET
			ri.SetUri(*u)
			_, theirs := c.adapter.SendPrimitive(ctx, ri, "[]byte", errorMapping)
			if ours == nil || theirs == nil {
				t.Fatalf("ours %v, the adapter's %v: both must fail", ours, theirs)
			}
			got, want := classify(ours, "read", ""), classify(theirs, "read", "")
			var g, w *model.GraphError
			if !errors.As(got, &g) || !errors.As(want, &w) {
				if got.Error() != want.Error() {
					t.Fatalf("ours %v, the adapter's %v", got, want)
				}
				return
			}
			if g.Kind != w.Kind || g.Status != w.Status || g.Code != w.Code || g.Message != w.Message ||
				g.RequestID != w.RequestID || g.RetryAfter != w.RetryAfter {
				t.Errorf("ours %+v\nthe adapter's %+v", *g, *w)
			}
			if buf.Len() != 0 {
				t.Errorf("a failure's body was kept as the page: %q", buf.String())
			}
		})
	}
}

// readBodyInto reuses the buffer it is given: a second page read into it replaces the first.
func TestGetJSONIntoReusesTheBuffer(t *testing.T) {
	f, c := newFakeClient(t)
	big := `{"value":["` + strings.Repeat("a", 100_000) + `"]}`
	f.mu.Lock()
	f.answers = map[string]http.HandlerFunc{
		"/big": func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, json.RawMessage(big)) },
		"/small": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"value": []string{"b"}})
		},
	}
	f.mu.Unlock()
	var buf bytes.Buffer
	if err := c.getJSONInto(context.Background(), c.collectionURL("/big"), nil, &buf); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(buf.String()) != big {
		t.Fatalf("big page read as %d bytes", buf.Len())
	}
	capacity := buf.Cap()
	if err := c.getJSONInto(context.Background(), c.collectionURL("/small"), nil, &buf); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(buf.String()); got != `{"value":["b"]}` {
		t.Fatalf("second page read as %q", got)
	}
	if buf.Cap() != capacity {
		t.Errorf("the buffer was replaced: capacity %d, was %d", buf.Cap(), capacity)
	}
}
