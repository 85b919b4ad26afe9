package model

import "strings"

// NormalizeID is the one form of a directory object, SKU or service plan id that tenantdesk
// compares and stores: trimmed and lower case. Microsoft's GUIDs are case-insensitive and come
// in either case from Graph, the catalog CSV and audit messages.
func NormalizeID(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// SameID reports whether a and b name the same object.
func SameID(a, b string) bool { return NormalizeID(a) == NormalizeID(b) }
