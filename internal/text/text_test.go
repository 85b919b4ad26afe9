package text

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 5, ""},
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"abc", 0, ""},
		{"abc", -1, ""},
		{"aé", 2, "a"},   // é is 2 bytes: not split
		{"aé", 3, "aé"},  // fits exactly
		{"a€b", 3, "a"},  // € is 3 bytes
		{"a😀b", 4, "a"},  // 4-byte emoji
		{"a😀b", 5, "a😀"}, // cut right after it
		{"\x80\x80\x80\x80\x80", 3, "\x80\x80\x80"}, // invalid input is cut where asked
	} {
		if got := Truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestClipText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"https://evil.example", 8, "https://…"},
		{strings.Repeat("ä", 10), 5, "ää…"},
		{"a\xffb", 10, "a\uFFFDb"},
	} {
		if got := Clip(tc.in, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func FuzzTruncate(f *testing.F) {
	for _, s := range []string{"", "abc", "aé", "a€b", "a😀b", "\xff\xfe", strings.Repeat("ß", 150)} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		got := Truncate(s, n)
		if len(got) > max(n, 0) || !strings.HasPrefix(s, got) {
			t.Fatalf("Truncate(%q, %d) = %q", s, n, got)
		}
		if len(s) <= n && got != s {
			t.Fatalf("Truncate(%q, %d) cut a string that fits", s, n)
		}
		if utf8.ValidString(s) && (!utf8.ValidString(got) || len(got) < n-utf8.UTFMax+1 && got != s && n > 0) {
			t.Fatalf("Truncate(%q, %d) = %q: split a character or cut too much", s, n, got)
		}
		c := Clip(s, max(n, 0)%1000)
		if !utf8.ValidString(c) {
			t.Fatalf("Clip(%q) = %q is not valid UTF-8", s, c)
		}
	})
}

func TestFirstNonEmpty(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"", " ", "\t\n"}, ""},
		{[]string{"", " Ada ", "Bob"}, " Ada "},
		{[]string{"\u00a0", "x"}, "x"}, // a no-break space is blank too
		{[]string{"a\xffb"}, "a\xffb"},
	} {
		if got := FirstNonEmpty(tc.in...); got != tc.want {
			t.Errorf("FirstNonEmpty(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
