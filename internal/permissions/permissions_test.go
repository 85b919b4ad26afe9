package permissions

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// Reprocess works with the permissions Graph documents for reprocessLicenseAssignment only:
// LicenseAssignment.ReadWrite.All, enough to change templates, is not among them.
func TestReprocessNeedsUserReadWrite(t *testing.T) {
	const lacks = "the app lacks User.ReadWrite.All (or instead Directory.ReadWrite.All)"
	for _, tc := range []struct {
		granted []string
		fail    error
		want    string
	}{
		{granted: []string{"User.ReadWrite.All"}},
		{granted: []string{"directory.readwrite.all"}},
		{granted: []string{"LicenseAssignment.Read.All", "LicenseAssignment.ReadWrite.All", "User.Read.All"}, want: lacks},
		{granted: []string{"Group.ReadWrite.All"}, want: lacks},
		{granted: []string{"User.Read.All", "Group.Read.All"}, want: lacks},
		{fail: errors.New("HTTP 503"), want: "could not read the app's permissions: HTTP 503"},
	} {
		c, err := NewChecker(func(context.Context) ([]string, error) { return tc.granted, tc.fail }, func() time.Time { return testNow }, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Missing(context.Background(), Reprocess()...); got != tc.want {
			t.Errorf("granted %v (%v): %q, want %q", tc.granted, tc.fail, got, tc.want)
		}
	}
}

func TestNewCheckerNeedsAFetch(t *testing.T) {
	if _, err := NewChecker(nil, nil, nil); err == nil {
		t.Fatal("a checker without a way to read permissions was built: it would have to guess")
	}
}

func TestMissingPermission(t *testing.T) {
	calls := 0
	granted := []string{"Group.Read.All", "LicenseAssignment.ReadWrite.All"}
	var fail error
	now := testNow
	s, err := NewChecker(func(context.Context) ([]string, error) { calls++; return granted, fail }, func() time.Time { return now }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if m := s.Missing(ctx, "LicenseAssignment.ReadWrite.All"); m != "" {
		t.Errorf("granted permission reported missing: %q", m)
	}
	// Any one of the alternatives is enough; none names the preferred one and the others.
	if m := s.Missing(ctx, "User.ReadWrite.All", "group.read.all"); m != "" {
		t.Errorf("granted alternative reported missing: %q", m)
	}
	if m := s.Missing(ctx, "User.ReadWrite.All", "Directory.ReadWrite.All"); m != "the app lacks User.ReadWrite.All (or instead Directory.ReadWrite.All)" {
		t.Errorf("missing = %q", m)
	}
	if calls != 1 {
		t.Errorf("%d lookups within the cache time", calls)
	}
	// After ten minutes the list is read again; a failure is shown as such, retried sooner.
	granted = []string{"Group.Read.All"}
	now = now.Add(11 * time.Minute)
	if m := s.Missing(ctx, "LicenseAssignment.ReadWrite.All"); m != "the app lacks LicenseAssignment.ReadWrite.All" || calls != 2 {
		t.Errorf("after expiry: %q, %d calls", m, calls)
	}
	fail = errors.New("graph down")
	now = now.Add(11 * time.Minute)
	if m := s.Missing(ctx, "Group.Read.All"); m != "could not read the app's permissions: graph down" {
		t.Errorf("unknown grants: %q", m)
	}
	fail = nil
	now = now.Add(20 * time.Second)
	if m := s.Missing(ctx, "Group.Read.All"); m == "" || calls != 3 {
		t.Errorf("a failure is kept a little while: %q, %d calls", m, calls)
	}
	now = now.Add(11 * time.Second)
	if m := s.Missing(ctx, "Group.Read.All"); m != "" || calls != 4 {
		t.Errorf("after a failure the lookup is retried within 30s: %q, %d calls", m, calls)
	}
}

// Each call's permissions are GRAPH.md's row for it, least privileged first.
func TestCallPermissionsAreGRAPHmd(t *testing.T) {
	rows := testkit.GraphPermissionTable(t)
	for call, got := range map[string][]string{
		"GET /subscribedSkus":      ReadSKUs(),
		"GET /users, /users/delta": ReadUsers(),
		"GET /groups, members, membersWithLicenseErrors, /groups/delta": ReadGroups(),
		"GET /auditLogs/directoryAudits":                                ReadAudit(),
		"POST /users/{id}/reprocessLicenseAssignment":                   Reprocess(),
	} {
		if want, ok := rows[call]; !ok || !slices.Equal(got, want) {
			t.Errorf("%s: %v, GRAPH.md says %v", call, got, want)
		}
	}
}
