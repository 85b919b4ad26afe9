package iprange

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Internationalised host names (IDNA). A name written with letters beyond ASCII ("tést.example",
// "münchen。de", full-width "ｔｅａｍｓ．ｍｉｃｒｏｓｏｆｔ．ｃｏｍ") is looked up by its ASCII form, as a
// resolver would: UTS #46 lookup processing (golang.org/x/net/idna's Lookup profile) maps it,
// and a name it refuses (a right-to-left override inside, a joiner outside its script, a bad
// "xn--" label) is reported as not a host name rather than cut into a shorter one that exists.

// idnaDots are the full stops IDNA reads as label separators besides '.'.
const idnaDots = "\u3002\uff0e\uff61"

// inName reports whether a non-ASCII rune can be part of a host name as written: letters,
// marks and digits of any script, IDNA's full stops, and the invisible format characters that
// IDNA maps away or refuses (soft hyphen, joiners, bidi controls), so that they are judged with
// the name instead of splitting it. The zero-width space and the byte order mark stay
// separators: pasted text uses them between words.
func inName(r rune) bool {
	switch {
	case r == '\u200b' || r == '\ufeff':
		return false
	case strings.ContainsRune(idnaDots, r):
		return true
	}
	return unicode.In(r, unicode.L, unicode.M, unicode.Nd, unicode.Cf)
}

// isASCII reports whether s has only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// hasPunycode reports whether an ASCII name has an IDNA "xn--" label.
func hasPunycode(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "xn--") || strings.Contains(l, ".xn--")
}

// idnHost is the ASCII form of a host name written with non-ASCII characters, or the checked
// form of one with "xn--" labels, and a note for the person: what the name was looked up as,
// or, for "xn--" names, what it reads as. An address written in full-width digits comes back
// as the address. err says why it is not a valid name.
func idnHost(s string) (host string, addr netip.Addr, note string, err error) {
	trimmed := strings.TrimRight(s, "."+idnaDots)
	ascii, err := idna.Lookup.ToASCII(trimmed)
	if err != nil {
		for _, r := range trimmed {
			if r > 0x7f && unicode.Is(unicode.Cf, r) {
				return "", netip.Addr{}, "", fmt.Errorf("not a valid host name: it contains the invisible character %U", r)
			}
		}
		return "", netip.Addr{}, "", fmt.Errorf("not a valid internationalised host name (%s)", strings.TrimPrefix(err.Error(), "idna: "))
	}
	ascii = strings.ToLower(ascii)
	if !isASCII(trimmed) {
		if a, perr := netip.ParseAddr(ascii); perr == nil {
			return "", a, "written with non-ASCII characters, looked up as " + a.String(), nil
		}
		if !hasPunycode(ascii) {
			return ascii, netip.Addr{}, "written with full-width or invisible characters, looked up as " + ascii, nil
		}
		return ascii, netip.Addr{}, "internationalised name, looked up as " + ascii, nil
	}
	if hasPunycode(ascii) {
		if u, uerr := idna.Lookup.ToUnicode(ascii); uerr == nil && u != ascii {
			return ascii, netip.Addr{}, "internationalised name: reads as " + u, nil
		}
	}
	return ascii, netip.Addr{}, "", nil
}
