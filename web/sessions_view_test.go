package web

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// BrowserName reads the User-Agent header, which any client sets to anything.
func TestBrowserName(t *testing.T) {
	for _, c := range []struct{ ua, want string }{
		{"", "unknown browser"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "Chrome on Linux"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on macOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari on iOS"},
		{"curl/8.5.0", "curl"},
		{"Go-http-client/1.1", "Go HTTP client"},
		{"MyTool/1.0", "MyTool/1.0"},
		// Hostile: long, multi-byte at the cut, invalid UTF-8, markup.
		{strings.Repeat("x", 39) + "é" + strings.Repeat("y", 100), strings.Repeat("x", 39) + "…"},
		{strings.Repeat("€", 20), strings.Repeat("€", 13) + "…"},
		{"\xff\xfe<script>alert(1)</script>", "\uFFFD<script>alert(1)</script>"}, // one U+FFFD for the run,
	} {
		if got := BrowserName(c.ua); got != c.want {
			t.Errorf("BrowserName(%q) = %q, want %q", c.ua, got, c.want)
		}
	}
}

func FuzzBrowserName(f *testing.F) {
	for _, s := range []string{"", "Mozilla/5.0 (Windows NT 10.0) Chrome/131 Safari/537", "curl/8", strings.Repeat("€", 30), "\xff", "Edg/ on Linux"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		got := BrowserName(ua)
		if got == "" || !utf8.ValidString(got) {
			t.Fatalf("BrowserName(%q) = %q: empty or not valid UTF-8", ua, got)
		}
		if len(got) > 40+len("…") {
			t.Fatalf("BrowserName(%q) = %q: %d bytes", ua, got, len(got))
		}
	})
}

func TestEveryWords(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{time.Hour, "every hour"},
		{2 * time.Hour, "every 2 hours"},
		{24 * time.Hour, "every day"},
		{90 * time.Minute, "every 90 minutes"},
		{time.Minute, "every minute"},
		{30 * time.Second, "every 30 seconds"},
		{1500 * time.Millisecond, "every 2 seconds"},
	} {
		if got := EveryWords(c.d); got != c.want {
			t.Errorf("EveryWords(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
