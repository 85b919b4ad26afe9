package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Pages, CSV and assets go gzipped to clients that ask for it, decompress to exactly what an
// uncompressed request gets, and say Vary: Accept-Encoding; clients that do not ask get plain
// bytes; tiny answers stay plain.
func TestResponsesAreCompressed(t *testing.T) {
	snap := bigSnapshot(300, 2000)
	h := newServer(t, openStore(t, &snap), nil, nil).Handler()
	gz := http.Header{"Accept-Encoding": {"gzip, deflate, br"}}
	for _, target := range []string{"/groups?size=500", "/groups.csv", "/licenses"} {
		plain := do(t, h, "GET", target, nil)
		packed := do(t, h, "GET", target, gz)
		if plain.StatusCode != 200 || packed.StatusCode != 200 {
			t.Fatalf("%s: %d, %d", target, plain.StatusCode, packed.StatusCode)
		}
		if plain.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: compressed for a client that did not ask", target)
		}
		if packed.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(packed.Header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("%s: Content-Encoding %q, Vary %q", target, packed.Header.Get("Content-Encoding"), packed.Header.Get("Vary"))
		}
		zr, err := gzip.NewReader(strings.NewReader(packed.body))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		// The page says when it was rendered; everything else is the same.
		if len(b) < len(plain.body)-64 || !bytes.Equal(b[:200], []byte(plain.body[:200])) {
			t.Errorf("%s: %d bytes unpacked, %d plain", target, len(b), len(plain.body))
		}
		t.Logf("%s: %d bytes, %d gzipped", target, len(plain.body), len(packed.body))
		if len(packed.body)*3 > len(plain.body) {
			t.Errorf("%s: gzip saved little: %d of %d bytes", target, len(packed.body), len(plain.body))
		}
	}
	if res := do(t, h, "GET", "/healthz", gz); res.Header.Get("Content-Encoding") != "" {
		t.Errorf("a tiny answer was compressed")
	}
}
