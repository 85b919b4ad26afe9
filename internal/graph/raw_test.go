package graph

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
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
