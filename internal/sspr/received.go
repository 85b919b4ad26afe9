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
	// The same tokens as Authentication-Results: words at depth 0, each with the comment after it.
	words, comments := itemTokens(v)
	for i := 0; i+1 < len(words); i++ {
		switch strings.ToLower(words[i].text) {
		case "from":
			if h.From == "" {
				comment := ""
				if c := words[i+1].comment; c >= 0 {
					comment = comments[c]
				}
				h.From = words[i+1].text
				h.FromIP = firstIP(comment, words[i+1].text)
			}
		case "by":
			if h.By == "" {
				h.By = strings.TrimSuffix(words[i+1].text, ".")
			}
		}
	}
	return h
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
