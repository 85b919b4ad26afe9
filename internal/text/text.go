// Package text holds the few string helpers every layer needs for text from outside: cutting it
// to a size without breaking a character, clipping it for a message or a log line, and picking
// the first name that is not blank. One of each, so no layer cuts bytes where it meant runes.
package text

import (
	"strings"
	"unicode/utf8"
)

// Truncate cuts s to at most n bytes without splitting a UTF-8 sequence: a byte cut can leave
// half a character, which browsers show as U+FFFD and which makes the text invalid UTF-8. An
// invalid sequence in s is cut where it is.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	// Back up over at most UTFMax-1 continuation bytes.
	for i := n; i >= 0 && i > n-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i]
		}
	}
	return s[:n]
}

// Clip shortens s for display or a log line: valid UTF-8 (invalid bytes become U+FFFD), at most
// n bytes, and an ellipsis when something was cut.
func Clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	return Truncate(s, n) + "…"
}

// FirstNonEmpty returns the first of ss that is not blank, as it is; "" when all are.
func FirstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
