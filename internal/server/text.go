package server

import (
	"strings"
	"unicode/utf8"
)

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence: a byte cut can leave
// half a character, which browsers show as U+FFFD and which makes the text invalid UTF-8.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	// Back up over at most UTFMax-1 continuation bytes; an invalid sequence is cut where it is.
	for i := n; i >= 0 && i > n-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i]
		}
	}
	return s[:n]
}

// clipText shortens outside text for display or the log: valid UTF-8, at most n bytes plus
// an ellipsis.
func clipText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	return truncate(s, n) + "…"
}
