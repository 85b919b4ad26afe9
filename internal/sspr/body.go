package sspr

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/encoding/charmap"
)

// readBody decodes the body with go-message (multipart, quoted-printable, base64, charsets via
// golang.org/x/text) and keeps its text and links: the text/plain parts, else the text of the
// HTML parts; links from both.
func readBody(m *Message, h textproto.Header, body []byte) {
	ent, err := message.New(message.Header{Header: h}, bytes.NewReader(body))
	if err != nil && ent == nil {
		m.Notes = append(m.Notes, "The body could not be decoded: "+err.Error())
		m.Text = boundText(string(body), m)
		m.Links = textLinks(m.Text)
		return
	}
	if err != nil {
		m.Notes = append(m.Notes, "The body declares what could not be decoded ("+err.Error()+"); it was read as it is.")
	}
	w := &bodyWalker{m: m}
	w.walk(ent, 0)
	text := w.plain.String()
	if strings.TrimSpace(text) == "" {
		text = w.html.String()
	}
	m.Text = boundText(text, m)
	m.Links = append(w.links, textLinks(w.plain.String())...)
	m.Links = dedupeLinks(m.Links)
	if w.skipped > 0 {
		m.Notes = append(m.Notes, "Some parts of the body were not read (too many, too deeply nested, or attachments).")
	}
	if w.attachedMessage {
		m.Notes = append(m.Notes, "The message has another message attached (a forward as attachment?): to verify that one, save it on its own and upload it.")
	}
}

// bodyWalker visits the MIME tree within the bounds of maxParts and maxDepth.
type bodyWalker struct {
	m               *Message
	plain, html     strings.Builder
	links           []Link
	parts           int
	skipped         int
	attachedMessage bool
}

func (w *bodyWalker) walk(e *message.Entity, depth int) {
	w.parts++
	if w.parts > maxParts || depth > maxDepth {
		w.skipped++
		return
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil && p == nil {
				w.skipped++
				return
			}
			w.walk(p, depth+1)
			if w.parts > maxParts {
				return
			}
		}
	}
	mt, params, _ := e.Header.ContentType()
	if disp, _, _ := e.Header.ContentDisposition(); strings.EqualFold(disp, "attachment") {
		if mt == "message/rfc822" {
			w.attachedMessage = true
		}
		w.skipped++
		return
	}
	switch {
	case mt == "" || mt == "text/plain":
		w.plain.WriteString(readPartText(e.Body, params["charset"]))
		w.plain.WriteString("\n")
	case mt == "text/html":
		text, links := htmlText(readPartText(e.Body, params["charset"]))
		w.html.WriteString(text)
		w.links = append(w.links, links...)
	case mt == "message/rfc822":
		w.attachedMessage = true
	}
}

// readPartText reads up to maxTextBytes of a decoded part. go-message has converted a declared
// charset already; undeclared 8-bit text that is not UTF-8 is read as Windows-1252.
func readPartText(r io.Reader, declared string) string {
	b, err := io.ReadAll(io.LimitReader(r, maxTextBytes))
	if err != nil && len(b) == 0 {
		return ""
	}
	if declared == "" && !utf8.Valid(b) {
		if s, err := charmap.Windows1252.NewDecoder().Bytes(b); err == nil {
			return string(s)
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// boundText keeps at most maxTextBytes of text, valid UTF-8, with a note when it cut.
func boundText(s string, m *Message) string {
	if len(s) > maxTextBytes {
		s = s[:maxTextBytes]
		m.Notes = append(m.Notes, "Only the first 2 MB of the body were read.")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// htmlText is the text of an HTML body (script and style left out, blocks on lines of their
// own) and its links, with golang.org/x/net/html's tokenizer.
func htmlText(src string) (string, []Link) {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	var links []Link
	var href string
	var anchor strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String(), links
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			b.WriteString(t)
			if href != "" {
				anchor.WriteString(t)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Title:
				skip++
			case atom.A, atom.Area:
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						href = strings.TrimSpace(string(v))
					}
				}
				anchor.Reset()
				if a == atom.Area {
					links = appendLink(links, href, "")
					href = ""
				}
			case atom.Br, atom.P, atom.Div, atom.Tr, atom.Li, atom.H1, atom.H2, atom.H3, atom.H4, atom.Table:
				b.WriteString("\n")
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Script, atom.Style, atom.Head, atom.Title:
				if skip > 0 {
					skip--
				}
			case atom.A:
				if href != "" {
					links = appendLink(links, href, strings.TrimSpace(anchor.String()))
					href = ""
				}
			case atom.P, atom.Div, atom.Tr, atom.Li, atom.H1, atom.H2, atom.H3, atom.H4:
				b.WriteString("\n")
			}
		}
		if b.Len() > maxTextBytes || len(links) >= maxLinks {
			return b.String(), links
		}
	}
}

// appendLink adds an http(s) link; other schemes (mailto:, #anchors) are not links away.
func appendLink(links []Link, raw, text string) []Link {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return links
	}
	return append(links, Link{URL: raw, Host: strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")), Text: text})
}

// urlRE finds web addresses in plain text.
var urlRE = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"'\x60{}|\\^]+`)

// textLinks are the web addresses in plain text.
func textLinks(text string) []Link {
	var links []Link
	for _, raw := range urlRE.FindAllString(text, maxLinks) {
		raw = strings.TrimRight(raw, ".,;:!?)]>*")
		links = appendLink(links, raw, "")
	}
	return links
}

func dedupeLinks(in []Link) []Link {
	seen := map[string]bool{}
	out := in[:0]
	for _, l := range in {
		key := l.URL + "\x00" + l.Text
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, l)
		if len(out) == maxLinks {
			break
		}
	}
	return out
}

// Address patterns: an <addr> and a bare addr-spec.
var (
	angleAddrRE = regexp.MustCompile(`<([^<>@\s]{1,200}@[^<>\s]{1,255})>`)
	addrSpecRE  = regexp.MustCompile(`[A-Za-z0-9._%+'-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,10}[A-Za-z][A-Za-z0-9-]{1,62}`)
)
