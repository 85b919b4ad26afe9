package sspr

import (
	"strconv"
	"strings"
)

// AuthResults is one Authentication-Results or ARC-Authentication-Results field, read
// tolerantly: Exchange Online Protection writes no authserv-id (unlike RFC 8601), keeps
// comments such as "(sender IP is 40.93.12.1)" that carry facts, and adds dmarc action= and
// compauth reason= properties that generic parsers drop.
type AuthResults struct {
	Field      Field    `json:"-"`
	AuthServID string   `json:"authservId,omitempty"` // "" in EOP's form
	Instance   int      `json:"instance,omitempty"`   // ARC-Authentication-Results i=
	Results    []Result `json:"results"`
}

// Result is one method's result: "spf=pass (sender IP is X) smtp.mailfrom=D".
type Result struct {
	Method  string `json:"method"` // spf, dkim, dmarc, compauth, arc, ... (lower case)
	Value   string `json:"value"`  // pass, fail, softfail, none, bestguesspass, ... (lower case)
	Comment string `json:"comment,omitempty"`
	Props   []Prop `json:"props,omitempty"`
}

// Prop is a property of a result: smtp.mailfrom, header.d, header.from, action, reason, ...
type Prop struct {
	Key   string `json:"key"` // lower case
	Value string `json:"value"`
}

// Prop returns the value of the property key (case-insensitive), "" when absent.
func (r Result) Prop(key string) string {
	for _, p := range r.Props {
		if strings.EqualFold(p.Key, key) {
			return p.Value
		}
	}
	return ""
}

// First returns the first result of method, and whether there is one.
func (a AuthResults) First(method string) (Result, bool) {
	for _, r := range a.Results {
		if r.Method == method {
			return r, true
		}
	}
	return Result{}, false
}

// All returns every result of method (a message can carry several DKIM signatures).
func (a AuthResults) All(method string) []Result {
	var out []Result
	for _, r := range a.Results {
		if r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// Bounds of one parsed field.
const (
	maxResults = 64
	maxProps   = 32
)

// knownMethods start a new result even where a semicolon is missing.
var knownMethods = map[string]bool{"spf": true, "dkim": true, "dmarc": true, "compauth": true, "arc": true,
	"iprev": true, "auth": true, "bimi": true, "dkim-atps": true, "smime": true, "rrvs": true, "x-tls": true}

// ParseAuthResults reads an Authentication-Results (or ARC-Authentication-Results) value. It
// never fails: what it cannot read is left out, so a mangled field yields fewer results.
func ParseAuthResults(v string) AuthResults {
	var a AuthResults
	for _, item := range splitItems(v) {
		if len(a.Results) >= maxResults {
			break
		}
		toks, comments := itemTokens(item)
		if len(toks) == 0 {
			continue
		}
		cur := -1 // index of the result properties go to
		for n, t := range toks {
			k, val, isKV := strings.Cut(t.text, "=")
			lk := strings.ToLower(k)
			switch {
			case isKV && lk == "":
				// "=x": a value without a name says nothing.
			case isKV && lk == "i" && n == 0 && a.Instance == 0 && len(a.Results) == 0:
				a.Instance, _ = strconv.Atoi(strings.TrimSpace(val)) // ARC's instance tag
			case !isKV:
				// An authserv-id with an optional version ("mx.microsoft.com 1"), or "none".
				if cur < 0 && a.AuthServID == "" && len(a.Results) == 0 && !strings.EqualFold(t.text, "none") {
					a.AuthServID = t.text
				}
			case cur < 0 || (knownMethods[lk] && !strings.Contains(lk, ".")):
				if len(a.Results) >= maxResults {
					return a
				}
				r := Result{Method: lk, Value: strings.ToLower(strings.Trim(val, `"`))}
				if t.comment >= 0 {
					r.Comment = comments[t.comment]
				}
				a.Results = append(a.Results, r)
				cur = len(a.Results) - 1
			case len(a.Results[cur].Props) < maxProps:
				r := &a.Results[cur]
				r.Props = append(r.Props, Prop{Key: lk, Value: strings.Trim(val, `"`)})
				if t.comment >= 0 && r.Comment == "" {
					r.Comment = comments[t.comment]
				}
			}
		}
	}
	return a
}

// splitItems splits at semicolons outside comments and quoted strings.
func splitItems(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && (quoted || depth > 0):
			i++
		case c == '"' && depth == 0:
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == ';' && depth == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// token is a word of an item and the comment right after it (-1: none).
type token struct {
	text    string
	comment int
}

// itemTokens splits one item into words (key=value, with blanks around "=" closed up) and
// comments, each comment linked to the word before it.
func itemTokens(item string) ([]token, []string) {
	var toks []token
	var comments []string
	var cur, com strings.Builder
	depth, quoted := 0, false
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, token{text: cur.String(), comment: -1})
			cur.Reset()
		}
	}
	for i := 0; i < len(item); i++ {
		c := item[i]
		switch {
		case depth > 0:
			switch c {
			case '(':
				depth++
				com.WriteByte(c)
			case ')':
				depth--
				if depth == 0 {
					comments = append(comments, strings.TrimSpace(com.String()))
					if len(toks) > 0 && toks[len(toks)-1].comment < 0 {
						toks[len(toks)-1].comment = len(comments) - 1
					}
				} else {
					com.WriteByte(c)
				}
			case '\\':
				if i+1 < len(item) {
					i++
					com.WriteByte(item[i])
				}
			default:
				com.WriteByte(c)
			}
		case quoted:
			if c == '"' {
				quoted = false
			} else {
				cur.WriteByte(c)
			}
		case c == '"':
			quoted = true
		case c == '(':
			flush()
			com.Reset()
			depth = 1
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			flush()
		case c == '=':
			// "spf = pass": join the key before and the value after.
			if cur.Len() == 0 && len(toks) > 0 && !strings.Contains(toks[len(toks)-1].text, "=") {
				cur.WriteString(toks[len(toks)-1].text)
				toks = toks[:len(toks)-1]
			}
			cur.WriteByte(c)
			for i+1 < len(item) && (item[i+1] == ' ' || item[i+1] == '\t') {
				i++
			}
		default:
			cur.WriteByte(c)
		}
		if len(toks) > 4*maxProps {
			break
		}
	}
	flush()
	return toks, comments
}

// senderIP is the address in EOP's SPF comment "(sender IP is 40.93.12.1)", "" when there is none.
func (r Result) senderIP() string {
	c := asciiLower(r.Comment) // same length as the comment, so its indexes hold there
	i := strings.Index(c, "sender ip is ")
	if i < 0 {
		return ""
	}
	rest := strings.TrimSpace(r.Comment[i+len("sender ip is "):])
	if j := strings.IndexAny(rest, " ;)"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// asciiLower lower-cases A-Z only, keeping every byte where it was.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
