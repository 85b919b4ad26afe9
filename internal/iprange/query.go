package iprange

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tenantdesk/tenantdesk/internal/text"
)

// Limits of ParseQuery: a pasted log excerpt fits; a pasted file is cut with a clear note.
const (
	MaxQueryBytes    = 64 << 10
	MaxQueryItems    = 1000
	maxQueryProblems = 100
)

// Query is what ParseQuery found in pasted text.
type Query struct {
	Items    []QueryItem    `json:"items"`
	Problems []QueryProblem `json:"problems,omitempty"`
	// Truncated is set when the text or the number of items exceeded a limit; Notes says which.
	Truncated bool     `json:"truncated,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

// QueryItem is one address or host name to look up, in order of first appearance, without
// repeats.
type QueryItem struct {
	Input string     `json:"input"`          // the text as found
	Addr  netip.Addr `json:"addr,omitzero"`  // set for addresses
	Host  string     `json:"host,omitempty"` // set for host names (lower case)
	Note  string     `json:"note,omitempty"` // what was changed to look it up, e.g. a zone removed
}

// QueryProblem is a token that looked like an address but is not one.
type QueryProblem struct {
	Input   string `json:"input"`
	Message string `json:"message"`
}

// isSeparator splits tokens. '[' and ']' are not separators, because "[2001:db8::1]:443" and
// Postfix's "host[40.107.243.40]" need them; they are handled inside tokens. Control characters,
// invalid UTF-8 and non-ASCII white space and punctuation (no-break space, "…", the zero-width
// space) separate too; non-ASCII letters, marks and digits do not: "tést.example" is one
// internationalised name, never "st.example".
func isSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', ',', ';', '(', ')', '<', '>', '{', '}', '"', '\'', '`', '|', '=', '\\', '!', '^':
		return true
	}
	if r < 0x20 || r == 0x7f || r == utf8.RuneError {
		return true
	}
	return r > 0x7f && !inName(r)
}

// ParseQuery extracts every IPv4/IPv6 address, host name and URL host from arbitrary text such
// as a firewall log line, a Received header or a list separated by commas, semicolons or tabs.
// It never fails: tokens that look like addresses but are not get a Problem, other words are
// ignored, and input beyond MaxQueryBytes or MaxQueryItems is cut with a note.
func ParseQuery(input string) Query {
	var q Query
	if len(input) > MaxQueryBytes {
		cut := MaxQueryBytes
		// Cut at a separator so no token is split in two and mistaken for something else.
		if i := strings.LastIndexFunc(input[:cut], isSeparator); i > 0 {
			cut = i
		}
		q.Truncated = true
		q.Notes = append(q.Notes, fmt.Sprintf("The input is %s long; only the first %s was read.", byteSize(len(input)), byteSize(MaxQueryBytes)))
		input = input[:cut]
	}
	seen := map[string]bool{}
	problems := 0
	for tok := range strings.FieldsFuncSeq(input, isSeparator) {
		items, problem := parseToken(tok)
		if problem != "" {
			problems++
			if len(q.Problems) < maxQueryProblems {
				q.Problems = append(q.Problems, QueryProblem{Input: text.Clip(tok, 80), Message: problem})
			}
			continue
		}
		full := false
		for _, item := range items {
			key := item.Host
			if item.Addr.IsValid() {
				key = item.Addr.String()
			}
			if seen[key] {
				continue
			}
			if len(q.Items) == MaxQueryItems {
				q.Truncated = true
				q.Notes = append(q.Notes, fmt.Sprintf("Only the first %d addresses and host names are looked up.", MaxQueryItems))
				full = true
				break
			}
			seen[key] = true
			q.Items = append(q.Items, item)
		}
		if full {
			break
		}
	}
	if problems > len(q.Problems) {
		q.Notes = append(q.Notes, fmt.Sprintf("%d more tokens that are not addresses are not listed.", problems-len(q.Problems)))
	}
	return q
}

func byteSize(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	if n >= 1<<10 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// parseToken classifies one token: the addresses and host names in it (a name glued to a
// bracketed address gives both), or a problem for a token that looks like an address or a host
// name but is not one; neither for ordinary words.
func parseToken(tok string) ([]QueryItem, string) {
	input := text.Clip(tok, 80)
	// Bidi marks and other invisible format characters at the ends come with copied text.
	t := strings.TrimFunc(tok, func(r rune) bool { return r > 0x7f && unicode.Is(unicode.Cf, r) })
	t = strings.TrimRight(t, "."+idnaDots)
	if strings.HasSuffix(t, ":") && !strings.HasSuffix(t, "::") {
		t = t[:len(t)-1] // "from 1.2.3.4:" but not "2001:db8::"
	}
	if t == "" || len(t) > 2048 {
		return nil, ""
	}
	one := func(it QueryItem, problem string, ok bool) ([]QueryItem, string) {
		if !ok {
			return nil, problem
		}
		return []QueryItem{it}, ""
	}
	item := QueryItem{Input: input}

	// URLs: take the host; an IP literal host is an address.
	if i := strings.Index(t, "://"); i > 0 && isScheme(t[:i]) {
		hp, valid := normalizeHost(t)
		if !valid {
			return nil, hp.problem
		}
		return one(hostItem(item, hp))
	}

	// "src:1.2.3.4", "client_ip:[2001:db8::1]:443": a word label before the address.
	if i := strings.IndexByte(t, ':'); i > 0 && hasNonHex(t[:i]) && !strings.Contains(t[:i], ".") && isASCII(t[:i]) {
		t = t[i+1:]
	}

	// "host[40.107.243.40]" (Postfix, sendmail), "unknown[2001:db8::1]:25": a name glued to the
	// address it resolved to. Both are looked up; "unknown" is no name.
	if i := strings.IndexByte(t, '['); i > 0 {
		addr, problem, ok := parseBracketed(QueryItem{Input: text.Clip(t[i:], 80)}, t[i:])
		if !ok {
			// Not an address in brackets ("postfix/smtpd[4711]:"): a word, unless it is a bad one.
			return nil, problem
		}
		var out []QueryItem
		if hp, valid := normalizeHost(t[:i]); valid && hp.host != "" && plausibleTLD(hp.host) {
			h, _, _ := hostItem(QueryItem{Input: text.Clip(t[:i], 80)}, hp)
			out = append(out, h)
		}
		return append(out, addr), ""
	}

	// [v6]:port, [v6%zone], [v4], [IPv6:v6] (Received headers, SMTP address literals)
	if strings.HasPrefix(t, "[") {
		if it, problem, ok := parseBracketed(item, t); ok || problem != "" {
			return one(it, problem, ok)
		}
	}
	core := strings.Trim(t, "[]")

	// CIDR: look up the address written before the slash.
	if a, bits, found := strings.Cut(core, "/"); found && (looksLikeAddress(a) || looksLikeIPv4(stripZone(a))) {
		p, err := netip.ParsePrefix(stripZone(a) + "/" + bits)
		if err != nil {
			return nil, "not an address: " + prefixProblem(a, bits)
		}
		it, prob, ok := parseAddrText(item, a, "")
		if ok {
			it.Note = joinNote(fmt.Sprintf("prefix length /%d ignored", p.Bits()), it.Note)
		}
		return one(it, prob, ok)
	}

	if isSMTPStatus(core) {
		return nil, "" // "554 5.7.1": an enhanced status code of a mail log, not an address
	}
	if looksLikeAddress(core) || looksLikeIPv4(stripZone(core)) {
		return one(parseAddrText(item, core, ""))
	}

	// v4:port
	if h, port, found := strings.Cut(core, ":"); found && !strings.Contains(port, ":") && looksLikeIPv4(h) {
		if _, err := parsePort(port); err != nil {
			return nil, "not an address: " + err.Error()
		}
		return one(parseAddrText(item, h, "port "+port+" ignored"))
	}

	// Host names (internationalised ones by their IDNA form), possibly with :port.
	hp, valid := normalizeHost(core)
	if !valid {
		return nil, hp.problem
	}
	if hp.addr.IsValid() || hp.host != "" && plausibleTLD(hp.host) {
		return one(hostItem(item, hp))
	}
	return nil, ""
}

// hostItem is the item of what normalizeHost found.
func hostItem(item QueryItem, hp hostParse) (QueryItem, string, bool) {
	if hp.addr.IsValid() {
		return addrItem(item, hp.addr, hp.note)
	}
	item.Host, item.Note = hp.host, hp.note
	return item, "", true
}

// parseBracketed reads "[address]" with an optional ":port" after it. ok is false, with no
// problem, when the brackets hold no address at all.
func parseBracketed(item QueryItem, t string) (QueryItem, string, bool) {
	end := strings.IndexByte(t, ']')
	if !strings.HasPrefix(t, "[") || end < 0 {
		return item, "", false
	}
	inner, rest := t[1:end], t[end+1:]
	if len(inner) > 5 && strings.EqualFold(inner[:5], "IPv6:") {
		inner = inner[5:] // RFC 5321 address literal, as sendmail writes it
	}
	if !looksLikeAddress(inner) && !looksLikeIPv4(stripZone(inner)) {
		return item, "", false
	}
	note := ""
	if rest != "" {
		port, found := strings.CutPrefix(rest, ":")
		if !found {
			return item, "not an address: unexpected text after ']'", false
		}
		if _, err := parsePort(port); err != nil {
			return item, "not an address: " + err.Error() + " after ']'", false
		}
		note = "port " + port + " ignored"
	}
	return parseAddrText(item, inner, note)
}

// isSMTPStatus reports whether s is an enhanced mail status code (RFC 3463): class 2, 4 or 5,
// then subject and detail of one to three digits, such as 5.7.1 or 4.4.2.
func isSMTPStatus(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || !strings.Contains("245", parts[0]) {
		return false
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// plausibleTLD keeps abbreviations such as "e.g" out of the host names: the last label must be
// two or more letters, or an IDN "xn--" label.
func plausibleTLD(h string) bool {
	tld := h[strings.LastIndexByte(h, '.')+1:]
	if strings.HasPrefix(tld, "xn--") {
		return true
	}
	return len(tld) >= 2 && strings.Trim(tld, "abcdefghijklmnopqrstuvwxyz") == ""
}

func parseAddrText(item QueryItem, s, note string) (QueryItem, string, bool) {
	plain := stripZone(s)
	if plain != s {
		note = joinNote(note, fmt.Sprintf("zone %q removed", s[len(plain):]))
	}
	a, err := netip.ParseAddr(plain)
	if err != nil {
		return item, "not an address: " + addrProblem(plain), false
	}
	return addrItem(item, a, note)
}

func addrItem(item QueryItem, a netip.Addr, note string) (QueryItem, string, bool) {
	if a.Zone() != "" {
		note = joinNote(note, fmt.Sprintf("zone %%%s removed", a.Zone()))
		a = a.WithZone("")
	}
	if a.Is4In6() {
		note = joinNote(note, "IPv4-mapped IPv6 address, looked up as "+a.Unmap().String())
		a = a.Unmap()
	}
	item.Addr, item.Note = a, note
	return item, "", true
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func stripZone(s string) string {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		return s[:i]
	}
	return s
}

// looksLikeAddress is true for IPv6-looking text: hex digits and colons with "::" or at least
// seven colons (so times like 12:34:56 and MAC addresses are words, not bad addresses), an
// optional embedded IPv4 tail and zone. Runs of colons alone (":::") are punctuation.
func looksLikeAddress(s string) bool {
	s = stripZone(s)
	if !strings.Contains(s, "::") && strings.Count(s, ":") < 7 || strings.Trim(s, ":.") == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.') {
			return false
		}
	}
	return true
}

// looksLikeIPv4 is true for digits and dots with at least two dots ("1.2.3", "300.1.1.1").
func looksLikeIPv4(s string) bool {
	if strings.Count(s, ".") < 2 {
		return false
	}
	return strings.Trim(s, "0123456789.") == "" && s[0] != '.'
}

func addrProblem(s string) string {
	if looksLikeIPv4(s) {
		parts := strings.Split(s, ".")
		if len(parts) != 4 {
			return fmt.Sprintf("an IPv4 address has 4 numbers, this has %d", len(parts))
		}
		for _, p := range parts {
			if p == "" {
				return "empty number"
			}
			if len(p) > 1 && p[0] == '0' {
				return fmt.Sprintf("%q has a leading zero (octal or decimal?)", p)
			}
			if len(p) > 3 || p > "255" && len(p) == 3 {
				return fmt.Sprintf("%s is more than 255", p)
			}
		}
	}
	return "not a valid IPv4 or IPv6 address"
}

func prefixProblem(a, bits string) string {
	if _, err := netip.ParseAddr(stripZone(a)); err != nil {
		return addrProblem(stripZone(a))
	}
	return fmt.Sprintf("/%s is not a valid prefix length", text.Clip(bits, 80))
}

func isScheme(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= 'a' && c <= 'z' || i > 0 && (s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
			return false
		}
	}
	return true
}

func hasNonHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '[') {
			return true
		}
	}
	return false
}
