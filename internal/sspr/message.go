package sspr

import (
	"mime"
	"net/mail"
	"strings"

	"github.com/emersion/go-message/charset"
)

// Field is one header field as the message carries it: its name, its value unfolded (encoded
// words left as they are), and its place from the top (0 is the topmost, the last hop's).
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Index int    `json:"index"`
}

// Link is a link found in the body: the address it goes to and, for HTML, the text shown.
type Link struct {
	URL  string `json:"url"`
	Host string `json:"host"`
	Text string `json:"text,omitempty"`
}

// Message is what the reader made of the input: the header fields top to bottom, the body as
// text, the links in the body, and notes on what it repaired or could not read. It is never
// stored or logged.
type Message struct {
	Format string  // FormatPaste, FormatEML or FormatMSG
	Fields []Field // top to bottom
	Text   string  // the body as plain text (the text/plain part, else the HTML's text)
	Links  []Link
	Notes  []string // what was repaired or left out, for people
}

// Input formats.
const (
	FormatPaste = "pasted text"
	FormatEML   = ".eml file"
	FormatMSG   = "Outlook .msg file"
)

// HasHeaders reports whether any header field was read.
func (m *Message) HasHeaders() bool { return len(m.Fields) > 0 }

// HasBody reports whether the message has body text.
func (m *Message) HasBody() bool { return strings.TrimSpace(m.Text) != "" }

// All returns the fields named name (case-insensitive), top to bottom.
func (m *Message) All(name string) []Field {
	var out []Field
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f)
		}
	}
	return out
}

// Get returns the topmost field named name, and whether there is one.
func (m *Message) Get(name string) (Field, bool) {
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return Field{}, false
}

// wordDecoder decodes RFC 2047 encoded words in any charset golang.org/x/text knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// decodeText decodes the encoded words of an unstructured header value (Subject); a value
// that does not decode is returned as it is.
func decodeText(v string) string {
	s, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return s
}

// addressParser parses address lists with encoded display names in any charset.
var addressParser = &mail.AddressParser{WordDecoder: wordDecoder}

// Address is a mailbox of a From or To header.
type Address struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

// Domain is the part after the last @, lower case.
func (a Address) Domain() string {
	i := strings.LastIndexByte(a.Address, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(a.Address[i+1:], "."))
}

// Local is the part before the last @.
func (a Address) Local() string {
	i := strings.LastIndexByte(a.Address, '@')
	if i < 0 {
		return a.Address
	}
	return a.Address[:i]
}

// parseAddresses reads an address list leniently: net/mail first, then, for what it refuses
// (a display name with unquoted specials, as pasted headers often have), every <addr> or bare
// addr-spec in the text.
func parseAddresses(v string) []Address {
	if list, err := addressParser.ParseList(v); err == nil {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			out = append(out, Address{Name: a.Name, Address: a.Address})
		}
		return out
	}
	var out []Address
	for _, m := range angleAddrRE.FindAllStringSubmatchIndex(v, 64) {
		name := strings.Trim(strings.TrimSpace(v[lastComma(v[:m[0]]):m[0]]), `",`)
		out = append(out, Address{Name: decodeText(strings.TrimSpace(name)), Address: v[m[2]:m[3]]})
	}
	if len(out) > 0 {
		return out
	}
	for _, a := range addrSpecRE.FindAllString(v, 64) {
		out = append(out, Address{Address: a})
	}
	return out
}

// lastComma is where the display name of the address after s starts.
func lastComma(s string) int {
	if i := strings.LastIndexAny(s, ",>"); i >= 0 {
		return i + 1
	}
	return 0
}
