package licensing

import (
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// LicensingErrorDetail is what the "Licensing Error Message" of a "Change user license" audit
// event says, taken apart: the kind of error and every GUID by its role. All GUIDs are lower
// case and each list is free of duplicates.
type LicensingErrorDetail struct {
	// Kind is the license error the text describes (model.ErrorCountViolation, ...), or
	// model.ErrorNone when the text matches none.
	Kind model.LicenseError
	// SKUs are the SKUs the error is about ("for SKU [..]", "Subscription with SKU ..").
	SKUs []string
	// LicensesAdded and LicensesRemoved are "Licenses being added: [..]" and "... removed: [..]".
	LicensesAdded   []string
	LicensesRemoved []string
	// ConflictingPlans are the service plan pairs of a conflict ("[a, b]"), in text order.
	ConflictingPlans [][2]string
	// Other are GUIDs in the text with no recognisable role.
	Other []string
}

// maxAuditMessage bounds the work on one message; real ones are a few hundred bytes.
const (
	maxAuditMessage = 64 << 10
	maxAuditGUIDs   = 200
)

// The roles a GUID can play, by the phrase that precedes it.
const (
	roleOther = iota
	roleSKU
	roleAdded
	roleRemoved
	roleConflict
)

// labels are matched in ASCII lower case; longer phrases first where they share a start.
var labels = []struct {
	phrase string
	role   int
}{
	{"licenses being added", roleAdded},
	{"license being added", roleAdded},
	{"licenses being removed", roleRemoved},
	{"license being removed", roleRemoved},
	{"sku", roleSKU}, // "for SKU [..]", "Subscription with SKU ..", "skus"
	{"conflicting service plan", roleConflict},
	{"service plan pairs", roleConflict},
	{"conflict", roleConflict},
}

// ParseLicensingErrorMessage takes apart a licensing error text from the audit log (or from a
// failed assignLicense), such as "... for SKU [94763226-...]. Licenses being added:
// [94763226-...]" or "... conflicting service plan pairs to solve this problem: [7547a3fe-...,
// 2078e8df-...]. Licenses being added: [314c4481-...]". Anything unrecognised is ignored.
func ParseLicensingErrorMessage(s string) LicensingErrorDetail {
	if len(s) > maxAuditMessage {
		s = s[:maxAuditMessage]
	}
	lower := asciiLower(s) // byte positions stay those of s
	d := LicensingErrorDetail{Kind: messageKind(lower)}

	var conflict []string
	found, role := 0, roleOther
	for i := 0; i < len(s) && found < maxAuditGUIDs; i++ {
		// The label phrase closest before a GUID gives its role.
		for _, l := range labels {
			if strings.HasPrefix(lower[i:], l.phrase) {
				role = l.role
				break
			}
		}
		if i+36 > len(s) || !isHex(s[i]) || (i > 0 && isGUIDByte(s[i-1])) || !isGUID(s[i:i+36]) ||
			(i+36 < len(s) && isGUIDByte(s[i+36])) {
			continue
		}
		id := lower[i : i+36]
		found++
		switch role {
		case roleSKU:
			d.SKUs = appendUnique(d.SKUs, id)
		case roleAdded:
			d.LicensesAdded = appendUnique(d.LicensesAdded, id)
		case roleRemoved:
			d.LicensesRemoved = appendUnique(d.LicensesRemoved, id)
		case roleConflict:
			conflict = append(conflict, id)
		default:
			d.Other = appendUnique(d.Other, id)
		}
		i += 35
	}
	// Plans in conflict come in pairs: "[a, b]" or "[a, b], [c, d]".
	for j := 0; j+1 < len(conflict); j += 2 {
		pair := [2]string{conflict[j], conflict[j+1]}
		if pair[0] == pair[1] || containsPair(d.ConflictingPlans, pair) {
			continue
		}
		d.ConflictingPlans = append(d.ConflictingPlans, pair)
	}
	if len(conflict)%2 == 1 {
		d.Other = appendUnique(d.Other, conflict[len(conflict)-1])
	}
	return d
}

// messageKind recognises the error from Microsoft's wording.
func messageKind(lower string) model.LicenseError {
	switch {
	case strings.Contains(lower, "not enough licenses"),
		strings.Contains(lower, "does not have any available licenses"),
		strings.Contains(lower, "subscriptionfull"):
		return model.ErrorCountViolation
	case strings.Contains(lower, "conflict"), strings.Contains(lower, "mutually exclusive"):
		return model.ErrorMutuallyExclusive
	case strings.Contains(lower, "usage location"), strings.Contains(lower, "usagelocation"):
		return model.ErrorUsageLocation
	case strings.Contains(lower, "proxy address"), strings.Contains(lower, "proxyaddress"):
		return model.ErrorUniqueness
	case strings.Contains(lower, "depend"), strings.Contains(lower, "requires"),
		strings.Contains(lower, "prerequisite"):
		return model.ErrorDependency
	}
	return model.ErrorNone
}

func containsPair(pairs [][2]string, p [2]string) bool {
	for _, q := range pairs {
		if q == p || (q[0] == p[1] && q[1] == p[0]) {
			return true
		}
	}
	return false
}

func appendUnique(list []string, s string) []string {
	for _, have := range list {
		if have == s {
			return list
		}
	}
	return append(list, s)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isGUIDByte(c byte) bool { return isHex(c) || c == '-' }

// asciiLower lower-cases ASCII letters only, so byte offsets match the input's.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
