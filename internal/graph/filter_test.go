package graph

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestAuditFilter(t *testing.T) {
	since := time.Date(2024, 5, 1, 10, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	until := time.Date(2024, 5, 2, 0, 0, 0, 500, time.UTC)
	tests := []struct {
		name string
		f    model.AuditQuery
		want string
	}{
		{"empty", model.AuditQuery{}, ""},
		{"activity", model.AuditQuery{Activity: "Change user license"}, "activityDisplayName eq 'Change user license'"},
		{"prefix", model.AuditQuery{ActivityPrefix: "Reset"}, "startswith(activityDisplayName,'Reset')"},
		{"quote doubled", model.AuditQuery{InitiatedByUPN: "o'brien@contoso.com"}, "initiatedBy/user/userPrincipalName eq 'o''brien@contoso.com'"},
		{"injection stays inside the literal", model.AuditQuery{TargetID: "x') or (1 eq 1"},
			"targetResources/any(t:t/id eq 'x'') or (1 eq 1')"},
		{"times are UTC and unquoted", model.AuditQuery{Since: since, Until: until},
			"activityDateTime ge 2024-05-01T08:00:00Z and activityDateTime le 2024-05-02T00:00:00.0000005Z"},
		{"everything", model.AuditQuery{Activity: "a", CorrelationID: "c", LoggedByService: "Core Directory", Since: until},
			"activityDisplayName eq 'a' and correlationId eq 'c' and loggedByService eq 'Core Directory' and activityDateTime ge 2024-05-02T00:00:00.0000005Z"},
		{"unicode", model.AuditQuery{Activity: "Zurücksetzen ‘quoted’"}, "activityDisplayName eq 'Zurücksetzen ‘quoted’'"},
	}
	for _, tt := range tests {
		got, err := auditFilter(tt.f)
		if err != nil || got != tt.want {
			t.Errorf("%s: auditFilter = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	for _, bad := range []model.AuditQuery{
		{Activity: "a\x00b"},
		{CorrelationID: "line\nbreak"},
		{TargetID: "\x7f"},
		{LoggedByService: string([]byte{0xff, 0xfe})},
		{Since: until, Until: since},
	} {
		if got, err := auditFilter(bad); err == nil {
			t.Errorf("Filter(%+v) = %q, want error", bad, got)
		}
	}
}

// unquote reverses odataString, failing on a quote that is not doubled.
func unquote(t *testing.T, q string) string {
	t.Helper()
	if len(q) < 2 || q[0] != '\'' || q[len(q)-1] != '\'' {
		t.Fatalf("not quoted: %q", q)
	}
	inner := q[1 : len(q)-1]
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\'' {
			if i+1 >= len(inner) || inner[i+1] != '\'' {
				t.Fatalf("lone quote in %q: the literal could be escaped", q)
			}
			i++
		}
		b.WriteByte(inner[i])
	}
	return b.String()
}

func FuzzODataString(f *testing.F) {
	for _, s := range []string{"", "'", "''", "a'b", "x') or (1 eq 1", "ünï", "\x00", "'\n'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := odataString(s)
		if err != nil {
			if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("odataString(%q) refused a clean string: %v", s, err)
			}
			return
		}
		if got := unquote(t, q); got != s {
			t.Fatalf("round trip %q -> %q -> %q", s, q, got)
		}
	})
}
