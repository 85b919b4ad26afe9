package sspr

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// DefaultMaxBytes is the default size limit of a message (TENANTDESK_SSPR_MAX_MESSAGE_SIZE).
const DefaultMaxBytes = 10 << 20

// Bounds of what is read from one message, so that no input makes the reader slow or large.
const (
	maxFields    = 2000    // header fields
	maxFieldLen  = 1 << 20 // bytes of one unfolded field value
	maxTextBytes = 2 << 20 // bytes of body text kept (the UPN is in the first few hundred)
	maxParts     = 100     // MIME parts visited
	maxDepth     = 8       // nesting of multiparts
	maxLinks     = 200
	sniffBytes   = 64 << 10 // bytes looked at to tell text from binary junk
)

// errNotEmail is the answer to input that is no email at all.
func errNotEmail(why string) error {
	return &model.InputError{Message: "This is not an email: " + why + " Paste the whole message (headers and body) as text, or upload the .eml or .msg file.", Field: "message"}
}

// Read reads a message as pasted or uploaded: the raw text of a message (headers and body,
// headers only, or body only; CRLF or LF; folding lost in a paste), an .eml file, or an Outlook
// .msg file. name is the uploaded file's name ("" for a paste). It never fails on a message it
// can partly read; it fails with *model.TooLargeError past max bytes (max < 1 means
// DefaultMaxBytes) and with *model.InputError for input that is no email.
func Read(data []byte, name string, max int64) (*Message, error) {
	if max < 1 {
		max = DefaultMaxBytes
	}
	if int64(len(data)) > max {
		return nil, &model.TooLargeError{What: "the message", Limit: max,
			Hint: "A password-reset notification is a few kilobytes: paste only that message, or upload its .eml or .msg file without attachments."}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &model.InputError{Message: "Paste a message or choose a file: nothing was sent.", Field: "message"}
	}
	if bytes.HasPrefix(data, cfbSignature) {
		return readMSG(data)
	}
	format := FormatPaste
	if name != "" {
		format = FormatEML
	}
	text, note, err := textOf(data)
	if err != nil {
		return nil, err
	}
	m := &Message{Format: format}
	if note != "" {
		m.Notes = append(m.Notes, note)
	}
	readText(m, text)
	if !m.HasHeaders() && (strings.IndexByte(m.Text, '@') < 0 || !addrSpecRE.MatchString(m.Text)) {
		return nil, errNotEmail("it has neither mail headers nor an email address in it.")
	}
	return m, nil
}

// textOf turns the input into text: UTF-16 (with a byte order mark, or without one as some
// tools save it) becomes UTF-8, a UTF-8 byte order mark is dropped, and binary data is refused.
func textOf(data []byte) ([]byte, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:], "", nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}), looksUTF16LE(data):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil {
			return nil, "", errNotEmail("it is neither text nor an Outlook .msg file.")
		}
		data = bytes.TrimRight(out, "\x00")
		if err := checkText(data); err != nil {
			return nil, "", err
		}
		return data, "The file was UTF-16 text; it was read as such.", nil
	}
	return data, "", checkText(data)
}

// looksUTF16LE reports whether data is ASCII-range text in UTF-16LE without a byte order mark:
// a zero byte after nearly every other byte.
func looksUTF16LE(data []byte) bool {
	n := min(len(data), sniffBytes) &^ 1
	if n < 16 {
		return false
	}
	zeros := 0
	for i := 1; i < n; i += 2 {
		if data[i] == 0 && data[i-1] != 0 {
			zeros++
		}
	}
	return zeros*10 > (n/2)*9
}

// checkText refuses binary data: zero bytes, or more than 1% control characters other than
// tab, line ends, form feed and escape (ISO-2022-JP uses it) in the first 64 KiB.
func checkText(data []byte) error {
	sample := data[:min(len(data), sniffBytes)]
	if bytes.IndexByte(sample, 0) >= 0 {
		return errNotEmail("it contains binary data (zero bytes), and it is not an Outlook .msg file.")
	}
	ctl := 0
	for _, c := range sample {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b) || c == 0x7f {
			ctl++
		}
	}
	if ctl*100 > len(sample) {
		return errNotEmail("it is mostly binary data, not text.")
	}
	return nil
}

// readText splits raw message text into header and body and reads both.
func readText(m *Message, text []byte) {
	lines := splitLines(text)
	// Leading blank lines and an mbox "From " separator are not part of the message.
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	if len(lines) > 0 && strings.HasPrefix(lines[0], "From ") && !isFieldLine(lines[0]) {
		lines = lines[1:]
	}
	if len(lines) == 0 || !isFieldLine(lines[0]) {
		m.Text = boundText(strings.Join(lines, "\n"), m)
		m.Links = textLinks(m.Text)
		return
	}
	fields, bodyStart := splitHeader(m, lines)
	h := parseFields(m, fields)
	if bodyStart < len(lines) {
		body := strings.Join(lines[bodyStart:], "\r\n")
		readBody(m, h, []byte(body))
	}
}

// splitLines splits text at CRLF, LF or a lone CR.
func splitLines(text []byte) []string {
	s := string(text)
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return strings.Split(s, "\n")
}

// fieldLineRE is the start of a header field: a name, optional blanks, a colon.
var fieldLineRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_-]{0,75})[ \t]*:`)

// isFieldLine reports whether line starts a header field. A name must be followed by a blank
// or the end of the line (so that "fe80::1" or "h=From:Date" in a line that lost its folding is
// not taken for a field), except for the names every message has.
func isFieldLine(line string) bool {
	loc := fieldLineRE.FindStringSubmatchIndex(line)
	if loc == nil {
		return false
	}
	rest := line[loc[1]:]
	if rest == "" || rest[0] == ' ' || rest[0] == '\t' {
		return true
	}
	return knownField(line[loc[2]:loc[3]])
}

// knownField reports whether name is a field every mail system writes.
func knownField(name string) bool {
	switch strings.ToLower(name) {
	case "from", "to", "cc", "subject", "date", "message-id", "received", "return-path", "mime-version",
		"content-type", "content-transfer-encoding", "authentication-results", "received-spf", "dkim-signature",
		"arc-seal", "arc-message-signature", "arc-authentication-results", "reply-to", "sender":
		return true
	}
	return transportField(name)
}

// transportField reports whether name is written by mail servers on the way (not by the sender's
// text): a blank line followed by one of these is still inside the header.
func transportField(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "received", "authentication-results", "received-spf", "dkim-signature", "arc-seal",
		"arc-message-signature", "arc-authentication-results", "return-path":
		return true
	}
	return strings.HasPrefix(n, "x-ms-exchange-") || strings.HasPrefix(n, "x-forefront-") ||
		strings.HasPrefix(n, "x-microsoft-antispam") || strings.HasPrefix(n, "x-ms-")
}

// rawField is one header field as lines before it is parsed.
type rawField struct {
	lines []string
}

// splitHeader collects the header's fields and says where the body starts. Lines that do not
// start a field continue the one above (a paste that lost the folding indentation); a blank line
// followed by more transport fields is a paste's stray break inside the header, not its end.
func splitHeader(m *Message, lines []string) ([]rawField, int) {
	var fields []rawField
	joined, strays := 0, 0
	i := 0
	for ; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t")
		if line == "" {
			j := i + 1
			for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
				j++
			}
			if j < len(lines) && strayBreak(lines[j:]) {
				strays++
				i = j - 1
				continue
			}
			i++
			break
		}
		switch {
		case line[0] == ' ' || line[0] == '\t':
			if len(fields) > 0 {
				fields[len(fields)-1].lines = append(fields[len(fields)-1].lines, line)
			}
		case isFieldLine(line):
			if len(fields) == maxFields {
				m.Notes = append(m.Notes, fmt.Sprintf("Only the first %d header fields were read.", maxFields))
				return fields, len(lines)
			}
			fields = append(fields, rawField{lines: []string{line}})
		default:
			joined++
			fields[len(fields)-1].lines = append(fields[len(fields)-1].lines, " "+line)
		}
	}
	if joined > 0 {
		m.Notes = append(m.Notes, fmt.Sprintf("%d header %s had lost the indentation that continues a header (as pastes often do) and %s joined to the header above.",
			joined, plural(joined, "line", "lines"), plural(joined, "was", "were")))
	}
	if strays > 0 {
		m.Notes = append(m.Notes, fmt.Sprintf("%d blank %s inside the headers %s skipped (the headers went on below).", strays, plural(strays, "line", "lines"), plural(strays, "was", "were")))
	}
	return fields, i
}

// strayBreak reports whether the lines after a blank line go on with the header: a transport
// field (Received, Authentication-Results, X-MS-Exchange-...) starts them.
func strayBreak(rest []string) bool {
	loc := fieldLineRE.FindStringSubmatch(rest[0])
	return loc != nil && transportField(loc[1]) && isFieldLine(rest[0])
}

// parseFields hands the repaired header to go-message's reader, which keeps the order of the
// fields, and copies them out. Values that are not UTF-8 are read as Windows-1252.
func parseFields(m *Message, raw []rawField) textproto.Header {
	var b strings.Builder
	for _, f := range raw {
		n := 0
		for k, l := range f.lines {
			if n+len(l) > maxFieldLen {
				l = l[:max(0, maxFieldLen-n)]
			}
			if n >= maxFieldLen {
				break
			}
			n += len(l)
			if k > 0 {
				b.WriteString("\r\n ")
				l = strings.TrimLeft(l, " \t")
			}
			b.WriteString(l)
		}
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil {
		m.Notes = append(m.Notes, "Part of the header could not be read: "+err.Error())
	}
	recoded := false
	fs := h.Fields()
	for fs.Next() {
		v := fs.Value()
		// The name as written (go-message canonicalises Key: X-Ms-Exchange-Crosstenant-Id).
		name := fs.Key()
		if raw, err := fs.Raw(); err == nil {
			if n, _, ok := strings.Cut(string(raw), ":"); ok && strings.EqualFold(strings.TrimSpace(n), name) {
				name = strings.TrimSpace(n)
			}
		}
		if !utf8.ValidString(v) {
			if s, err := charmap.Windows1252.NewDecoder().String(v); err == nil {
				v, recoded = s, true
			}
		}
		m.Fields = append(m.Fields, Field{Name: name, Value: v, Index: len(m.Fields)})
	}
	if recoded {
		m.Notes = append(m.Notes, "Some header values had 8-bit characters without a declared charset; they were read as Windows-1252.")
	}
	return h
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
