package graph

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// AuditFilter selects directory audit events. Empty fields do not filter.
type AuditFilter struct {
	Activity        string // activityDisplayName eq
	ActivityPrefix  string // startswith(activityDisplayName, ...)
	Since, Until    time.Time
	TargetID        string // targetResources/any(t:t/id eq ...)
	CorrelationID   string
	LoggedByService string
	InitiatedByUPN  string
	Top             int // page size ($top), at most 999; 0 leaves it to Graph
	Max             int // stop after this many events; 0 means all
}

// odataString quotes s as an OData string literal: single quotes, embedded quotes doubled. Control
// characters cannot be expressed safely and are refused.
func odataString(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("filter value %q is not valid UTF-8", s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("filter value %q contains a control character", s)
		}
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
}

// odataTime renders a timestamp as an OData DateTimeOffset literal (unquoted RFC 3339, UTC).
func odataTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Filter builds the $filter expression; "" when the filter selects everything.
func (f AuditFilter) Filter() (string, error) {
	var parts []string
	add := func(format, v string) error {
		if v == "" {
			return nil
		}
		q, err := odataString(v)
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf(format, q))
		return nil
	}
	for _, p := range []struct{ format, v string }{
		{"activityDisplayName eq %s", f.Activity},
		{"startswith(activityDisplayName,%s)", f.ActivityPrefix},
		{"correlationId eq %s", f.CorrelationID},
		{"loggedByService eq %s", f.LoggedByService},
		{"initiatedBy/user/userPrincipalName eq %s", f.InitiatedByUPN},
		{"targetResources/any(t:t/id eq %s)", f.TargetID},
	} {
		if err := add(p.format, p.v); err != nil {
			return "", err
		}
	}
	if !f.Since.IsZero() {
		parts = append(parts, "activityDateTime ge "+odataTime(f.Since))
	}
	if !f.Until.IsZero() {
		parts = append(parts, "activityDateTime le "+odataTime(f.Until))
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return "", fmt.Errorf("audit filter: until %s is before since %s", odataTime(f.Until), odataTime(f.Since))
	}
	return strings.Join(parts, " and "), nil
}
