package model

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeID is the one form of a directory object, SKU or service plan id that tenantdesk
// compares and stores: trimmed and lower case. Microsoft's GUIDs are case-insensitive and come
// in either case from Graph, the catalog CSV and audit messages. Ids already in that form are
// returned without allocating: this runs for every license of every user.
func NormalizeID(id string) string {
	id = strings.TrimSpace(id)
	for i := 0; i < len(id); i++ {
		if c := id[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(id)
		}
	}
	return id
}

// SameID reports whether a and b name the same object.
func SameID(a, b string) bool { return NormalizeID(a) == NormalizeID(b) }

// MaxIDLen bounds an object id or user principal name taken from outside (an address, a form, a
// command line); directory ids are 36-character GUIDs and UPNs at most 113 characters.
const MaxIDLen = 128

// ValidObjectRef reports whether s can name a directory object in an address: an object id or a
// user principal name (guests' have "#EXT#"). It must not be blank, must be at most MaxIDLen
// bytes of valid UTF-8, and must hold no white space, control character or path separator.
func ValidObjectRef(s string) bool {
	return strings.TrimSpace(s) != "" && len(s) <= MaxIDLen && utf8.ValidString(s) &&
		!strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' || r == '\\' })
}

// ValidObjectID reports whether s can be an object id sent in a form: a ValidObjectRef without
// the characters that would change the meaning of a Graph URL it goes into ("?", "#").
func ValidObjectID(s string) bool { return ValidObjectRef(s) && !strings.ContainsAny(s, "?#") }
