package sspr

import (
	"net/mail"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// Hop is one Received field: who handed the message over ("from", with the address it
// connected from) to whom ("by"), and when.
type Hop struct {
	Field  Field
	From   string     // the sending host as it named itself
	FromIP netip.Addr // the address it connected from, when the field records one
	By     string     // the receiving host
	At     time.Time  // zero when the date does not parse
}

// ipLiteralRE finds address literals inside a Received comment: 40.93.12.1, [203.0.113.5],
// 2603:10b6:806:3e::8, [IPv6:2001:db8::1].
var ipLiteralRE = regexp.MustCompile(`(?i)(?:ipv6:)?([0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:\.\d{1,3}){0,4}|\d{1,3}(?:\.\d{1,3}){3})`)

// parseReceived reads the clauses of a Received value at parenthesis depth 0: from, by, and the
// date after the last semicolon. Everything is optional; what is missing stays zero.
func parseReceived(f Field) Hop {
	h := Hop{Field: f}
	v := f.Value
	if i := strings.LastIndexByte(v, ';'); i >= 0 {
		if t, err := mail.ParseDate(strings.TrimSpace(v[i+1:])); err == nil {
			h.At = t
		}
		v = v[:i]
	}
	words, comments := topLevelWords(v)
	for i := 0; i+1 < len(words); i++ {
		switch strings.ToLower(words[i].text) {
		case "from":
			if h.From == "" {
				h.From = words[i+1].text
				h.FromIP = firstIP(comments[words[i+1].comment], words[i+1].text)
			}
		case "by":
			if h.By == "" {
				h.By = strings.TrimSuffix(words[i+1].text, ".")
			}
		}
	}
	return h
}

// word is a token at depth 0 and the comment that follows it (index into comments, -1 none).
type word struct {
	text    string
	comment int
}

// topLevelWords splits v into the words outside parentheses and the comments, each word linked
// to the comment right after it.
func topLevelWords(v string) ([]word, []string) {
	var words []word
	var comments []string
	depth := 0
	var cur, com strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, word{text: cur.String(), comment: -1})
			cur.Reset()
		}
	}
	for _, r := range v {
		switch {
		case r == '(':
			if depth == 0 {
				flush()
				com.Reset()
			} else {
				com.WriteRune(r)
			}
			depth++
		case r == ')' && depth > 0:
			depth--
			if depth == 0 {
				comments = append(comments, com.String())
				if len(words) > 0 && words[len(words)-1].comment == -1 {
					words[len(words)-1].comment = len(comments) - 1
				}
			} else {
				com.WriteRune(r)
			}
		case depth > 0:
			com.WriteRune(r)
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	comments = append(comments, "") // index -1 reads as len-1: no comment
	for i := range words {
		if words[i].comment < 0 {
			words[i].comment = len(comments) - 1
		}
	}
	return words, comments
}

// firstIP is the first address literal in a Received comment, else the host itself when it is
// an address literal ("from [203.0.113.5]").
func firstIP(comment, host string) netip.Addr {
	for _, s := range []string{comment, strings.Trim(host, "[]")} {
		for _, m := range ipLiteralRE.FindAllStringSubmatch(s, 8) {
			if a, err := netip.ParseAddr(m[1]); err == nil {
				return a.Unmap()
			}
		}
	}
	return netip.Addr{}
}

// eopSuffixes are the host names Exchange Online Protection receives Internet mail on, in the
// worldwide cloud, GCC High/DoD and the cloud operated by 21Vianet.
var eopSuffixes = []string{".mail.protection.outlook.com", ".mail.protection.office365.us", ".mail.protection.partner.outlook.cn"}

// isEOPHost reports whether host is one of Exchange Online Protection's receiving servers.
func isEOPHost(host string) bool {
	host = strings.ToLower(host)
	for _, s := range eopSuffixes {
		if strings.HasSuffix(host, s) && len(host) > len(s) {
			return true
		}
	}
	return false
}
