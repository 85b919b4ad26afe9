package sspr

import (
	"bytes"
	"encoding/binary"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/emersion/go-message/charset"
	"github.com/richardlehane/mscfb"
)

// cfbSignature starts every compound file (Outlook .msg, old Office documents).
var cfbSignature = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// MAPI properties of a .msg file ([MS-OXMSG]): each is a stream "__substg1.0_" + tag, the tag
// being the property id and its type, 001F for UTF-16LE strings, 001E for 8-bit strings in the
// message's code page, 0102 for binary.
const (
	propTransportHeaders = "007D" // PR_TRANSPORT_MESSAGE_HEADERS: the Internet headers as received
	propBody             = "1000" // PR_BODY: plain text
	propHTML             = "1013" // PR_HTML: the HTML body, binary
	propInternetCPID     = 0x3FDE // PR_INTERNET_CPID: code page of the 8-bit strings
	propMessageCodepage  = 0x3FFD // PR_MESSAGE_CODEPAGE
	maxMSGStream         = 8 << 20
)

// readMSG reads an Outlook .msg file: its container with github.com/richardlehane/mscfb, and of
// its MAPI properties only the transport headers, the plain and the HTML body (and the code
// page of 8-bit strings). The headers and the body go through the same reader as pasted text.
func readMSG(data []byte) (m *Message, err error) {
	// A damaged container must not take the request down, whatever the library does with it.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, errNotEmail("it looks like an Outlook .msg file but its container is damaged.")
		}
	}()
	doc, err := mscfb.New(bytes.NewReader(data))
	if err != nil {
		return nil, errNotEmail("it looks like an Outlook .msg file but its container cannot be read (" + err.Error() + ").")
	}
	streams := map[string][]byte{}
	for e, err := doc.Next(); err == nil; e, err = doc.Next() {
		// Top-level properties only: recipients, attachments and embedded messages sit in
		// storages below.
		if len(e.Path) != 0 || !strings.HasPrefix(e.Name, "__") {
			continue
		}
		switch {
		case strings.HasPrefix(e.Name, "__substg1.0_"+propTransportHeaders),
			strings.HasPrefix(e.Name, "__substg1.0_"+propBody),
			strings.HasPrefix(e.Name, "__substg1.0_"+propHTML),
			e.Name == "__properties_version1.0":
		default:
			continue
		}
		b, err := io.ReadAll(io.LimitReader(e, maxMSGStream))
		if err != nil {
			return nil, errNotEmail("its Outlook .msg container is damaged (" + err.Error() + ").")
		}
		streams[e.Name] = b
	}
	cp := msgCodepage(streams["__properties_version1.0"])
	str := func(prop string) (string, bool) {
		if b, ok := streams["__substg1.0_"+prop+"001F"]; ok {
			return utf16LE(b), true
		}
		if b, ok := streams["__substg1.0_"+prop+"001E"]; ok {
			return decodeCodepage(bytes.TrimRight(b, "\x00"), cp), true
		}
		return "", false
	}
	if _, ok := streams["__properties_version1.0"]; !ok && len(streams) == 0 {
		return nil, errNotEmail("it is a compound file (an Office document?) but not an Outlook message.")
	}
	m = &Message{Format: FormatMSG}
	headers, hasHeaders := str(propTransportHeaders)
	if hasHeaders && strings.TrimSpace(headers) != "" {
		lines := splitLines([]byte(strings.TrimRight(headers, "\r\n")))
		for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
			lines = lines[1:]
		}
		if len(lines) > 0 && isFieldLine(lines[0]) {
			fields, _ := splitHeader(m, lines)
			parseFields(m, fields)
		}
	} else {
		m.Notes = append(m.Notes, "The .msg file holds no Internet headers (Outlook keeps them only for mail it received, not for drafts or sent mail).")
	}
	body, _ := str(propBody)
	if strings.TrimSpace(body) == "" {
		if b, ok := streams["__substg1.0_"+propHTML+"0102"]; ok {
			text, links := htmlText(decodeCodepage(b, cp))
			body, m.Links = text, links
		}
	}
	m.Text = boundText(body, m)
	m.Links = dedupeLinks(append(m.Links, textLinks(m.Text)...))
	if !m.HasHeaders() && !m.HasBody() {
		return nil, errNotEmail("the Outlook .msg file holds neither Internet headers nor a body.")
	}
	return m, nil
}

// utf16LE decodes a UTF-16LE string property without its terminating zero.
func utf16LE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}

// msgCodepage reads PR_INTERNET_CPID, else PR_MESSAGE_CODEPAGE, from the top-level property
// stream: a 32-byte header, then 16-byte entries of tag, flags and an 8-byte value. 0 when
// neither is there.
func msgCodepage(props []byte) int {
	if len(props) < 32 {
		return 0
	}
	found := map[uint16]int{}
	for off := 32; off+16 <= len(props); off += 16 {
		tag := binary.LittleEndian.Uint32(props[off:])
		if tag&0xFFFF != 0x0003 { // PT_LONG
			continue
		}
		found[uint16(tag>>16)] = int(binary.LittleEndian.Uint32(props[off+8:]))
	}
	if cp, ok := found[propInternetCPID]; ok {
		return cp
	}
	return found[propMessageCodepage]
}

// codepageCharsets names the Windows code pages Outlook writes by their IANA charset names.
var codepageCharsets = map[int]string{
	874: "windows-874", 932: "shift_jis", 936: "gbk", 949: "euc-kr", 950: "big5",
	20127: "us-ascii", 20866: "koi8-r", 21866: "koi8-u", 50220: "iso-2022-jp", 50221: "iso-2022-jp",
	50222: "iso-2022-jp", 51932: "euc-jp", 54936: "gb18030", 65001: "utf-8",
}

// decodeCodepage converts 8-bit text in a Windows code page to UTF-8 (Windows-1252 when the
// code page is unknown).
func decodeCodepage(b []byte, cp int) string {
	name, ok := codepageCharsets[cp]
	switch {
	case ok:
	case cp >= 1250 && cp <= 1258:
		name = "windows-" + strconv.Itoa(cp)
	case cp >= 28591 && cp <= 28606:
		name = "iso-8859-" + strconv.Itoa(cp-28590)
	default:
		name = "windows-1252"
	}
	if name == "utf-8" {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	r, err := charset.Reader(name, bytes.NewReader(b))
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	out, err := io.ReadAll(io.LimitReader(r, maxTextBytes*2))
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}
