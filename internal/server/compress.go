package server

import (
	"fmt"
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// compressedTypes are the responses worth compressing: pages, styles, scripts, JSON and CSV
// (the group report's 45 KB page is 5 KB gzipped). Images and ZIP files are compressed already.
var compressedTypes = []string{"text/html", "text/css", "text/csv", "text/plain", "text/javascript",
	"application/javascript", "application/json", "image/svg+xml"}

// newCompressor gzips responses for clients that accept it, with klauspost/compress's gzhttp
// (Vary, ETag, Flush and Content-Length handled as HTTP wants). Pages carry the CSRF token and
// can echo what a request asked for, which is what the BREACH attack needs; so the compressed
// size of each response gets up to 32 bytes of padding that depends on its content (gzhttp's
// RandomJitter), hiding the few bytes a guess would change.
func newCompressor() (func(http.Handler) http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(1024), gzhttp.ContentTypes(compressedTypes),
		gzhttp.RandomJitter(32, 0, false))
	if err != nil {
		return nil, fmt.Errorf("response compression: %w", err)
	}
	return func(h http.Handler) http.Handler { return wrap(h) }, nil
}
