package sspr

import (
	"strconv"
	"strings"
)

// parseReport splits an EOP report header (X-Forefront-Antispam-Report, X-Microsoft-Antispam)
// on ";" and each part at its first ":" into upper-case keys and values. Keys seen twice keep
// the first value.
func parseReport(v string) map[string]string {
	out := map[string]string{}
	for part := range strings.SplitSeq(v, ";") {
		k, val, ok := strings.Cut(part, ":")
		k = strings.ToUpper(strings.TrimSpace(k))
		if !ok || k == "" || len(out) >= 64 {
			continue
		}
		if _, seen := out[k]; !seen {
			out[k] = strings.TrimSpace(val)
		}
	}
	return out
}

// sfvWords explains the spam filtering verdict (SFV).
var sfvWords = map[string]string{
	"NSPM": "not spam",
	"SPM":  "spam",
	"SKS":  "marked as spam by a mail flow rule before filtering",
	"SKA":  "let through by an allowed-senders list of an anti-spam policy",
	"SKB":  "marked as spam by a blocked-senders list of an anti-spam policy",
	"SKN":  "marked not spam by a mail flow rule before filtering",
	"SKQ":  "released from quarantine",
	"SKI":  "mail within the organization, not filtered",
	"SFE":  "let through by the recipient's Safe Senders list",
	"BLK":  "blocked by the recipient's Blocked Senders list",
}

// catWords explains the protection category (CAT).
var catWords = map[string]string{
	"NONE":  "no threat found",
	"BULK":  "bulk mail",
	"SPM":   "spam",
	"HSPM":  "high confidence spam",
	"PHSH":  "phishing",
	"HPHSH": "high confidence phishing",
	"SPOOF": "spoofing",
	"MALW":  "malware",
	"DIMP":  "domain impersonation",
	"UIMP":  "user impersonation",
	"GIMP":  "mailbox intelligence impersonation",
	"AMP":   "malware (anti-malware)",
	"SAP":   "a malicious attachment (Safe Attachments)",
	"OSPM":  "outbound spam",
	"INTOS": "intra-organization phishing",
}

// threatCategories are the categories that say someone pretends to be someone else.
var threatCategories = map[string]bool{"PHSH": true, "HPHSH": true, "SPOOF": true, "MALW": true,
	"DIMP": true, "UIMP": true, "GIMP": true, "AMP": true, "SAP": true, "INTOS": true}

// sclWords explains the spam confidence level.
func sclWords(scl string) string {
	n, err := strconv.Atoi(scl)
	switch {
	case err != nil:
		return "unreadable (" + scl + ")"
	case n == -1:
		return "-1 (filtering skipped: a trusted sender or a mail flow rule)"
	case n <= 1:
		return strconv.Itoa(n) + " (not spam)"
	case n <= 4:
		return strconv.Itoa(n) + " (not spam, but not clean either)"
	case n <= 6:
		return strconv.Itoa(n) + " (spam)"
	}
	return strconv.Itoa(n) + " (high confidence spam)"
}

// bclWords explains the bulk complaint level.
func bclWords(bcl string) string {
	n, err := strconv.Atoi(bcl)
	switch {
	case err != nil:
		return "unreadable (" + bcl + ")"
	case n == 0:
		return "0 (not from a bulk sender)"
	case n <= 3:
		return strconv.Itoa(n) + " (a bulk sender with few complaints)"
	case n <= 7:
		return strconv.Itoa(n) + " (a bulk sender with mixed complaints)"
	}
	return strconv.Itoa(n) + " (a bulk sender with many complaints)"
}

// wordsOr is table[key] with the key itself, or "key (unknown)".
func wordsOr(table map[string]string, key string) string {
	if w, ok := table[strings.ToUpper(key)]; ok {
		return w
	}
	return "an unknown value"
}
