package graph

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

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

// auditFilter builds the $filter expression of f; "" when it selects everything.
func auditFilter(f model.AuditQuery) (string, error) {
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
