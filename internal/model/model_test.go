package model

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestGraphErrorMatchesItsKindsSentinel(t *testing.T) {
	for kind, want := range map[GraphErrorKind]error{
		GraphUnauthorized: ErrUnauthorized, GraphForbidden: ErrForbidden, GraphNotFound: ErrNotFound,
		GraphThrottled: ErrThrottled, GraphTransient: ErrUnavailable, GraphBadRequest: ErrInvalid,
	} {
		err := fmt.Errorf("reading: %w", &GraphError{Kind: kind})
		if !errors.Is(err, want) {
			t.Errorf("%s does not match %v", kind, want)
		}
		for _, other := range []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrThrottled, ErrUnavailable, ErrInvalid} {
			if other != want && errors.Is(err, other) {
				t.Errorf("%s also matches %v", kind, other)
			}
		}
	}
	if errors.Is(&GraphError{Kind: GraphOther}, ErrNotFound) {
		t.Error("an unclassified error is not found")
	}
	// The cause stays reachable; a deadline is described as such.
	timeout := &GraphError{Kind: GraphTransient, Op: "list users", Cause: context.DeadlineExceeded}
	if !errors.Is(timeout, context.DeadlineExceeded) || !strings.Contains(DescribeGraphError(timeout), "did not answer in time") {
		t.Errorf("deadline: %v / %q", timeout, DescribeGraphError(timeout))
	}
}

func TestDescribeGraphError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("connection reset"), "connection reset"},
		{&GraphError{Kind: GraphForbidden, Status: 403, Code: "Authorization_RequestDenied", Message: "Insufficient privileges.",
			Permission: "GroupMember.Read.All", RequestID: "r1", Op: "list members"},
			"Microsoft Graph: forbidden (HTTP 403 Authorization_RequestDenied): Insufficient privileges.; the app needs the GroupMember.Read.All application permission. The app registration lacks the permission: an administrator must grant it."},
		{&GraphError{Kind: GraphThrottled, Status: 429, RetryAfter: 7 * time.Second}, "Microsoft Graph: throttled (HTTP 429)"},
	} {
		if got := DescribeGraphError(tc.err); got != tc.want {
			t.Errorf("DescribeGraphError(%v)\n got %q\nwant %q", tc.err, got, tc.want)
		}
	}
	// The log form keeps what people need not see.
	e := &GraphError{Kind: GraphForbidden, Status: 403, Code: "X", Message: "m", Permission: "P", RequestID: "r1", Op: "op"}
	if got := e.Error(); got != "op: forbidden (403 X): m; the app needs the P application permission [request-id r1]" {
		t.Errorf("Error() = %q", got)
	}
}

func TestDomainErrors(t *testing.T) {
	nf := GroupNotFound("g1")
	if !errors.Is(nf, ErrNotFound) || !strings.Contains(nf.Detail, "g1") || nf.Error() != "group g1 not found" {
		t.Errorf("not found: %v %q", nf, nf.Detail)
	}
	in := &InputError{Message: "Bad filter:", Problems: []string{"a", "b"}}
	if !errors.Is(in, ErrInvalid) || in.Error() != "Bad filter: a; b" || Invalid("x %d", 1).Error() != "x 1" {
		t.Errorf("input: %v", in)
	}
	pe := &PermissionError{Action: "Reprocess", Why: "the app lacks X"}
	if !errors.Is(pe, ErrForbidden) || pe.Error() != "Reprocess not available: the app lacks X" {
		t.Errorf("permission: %v", pe)
	}
}

func TestNormalizeLicenseError(t *testing.T) {
	for in, want := range map[string]LicenseError{
		"": ErrorNone, "None": ErrorNone, "none": ErrorNone, " null ": ErrorNone,
		"Other": ErrorOther, "Others": ErrorOther, "OTHER": ErrorOther,
		"CountViolation": ErrorCountViolation, " MutuallyExclusiveViolation ": ErrorMutuallyExclusive,
		"SomethingNew": "SomethingNew",
	} {
		if got := NormalizeLicenseError(in); got != want {
			t.Errorf("NormalizeLicenseError(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzNormalizeLicenseError(f *testing.F) {
	for _, s := range []string{"", "None", "Others", "CountViolation", "\x00", " \t", "ÖTHER"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := NormalizeLicenseError(s)
		if got != LicenseError(strings.TrimSpace(string(got))) {
			t.Fatalf("%q normalised to untrimmed %q", s, got)
		}
		if NormalizeLicenseError(string(got)) != got {
			t.Fatalf("%q: normalising %q again changes it", s, got)
		}
	})
}

func TestObjectRefs(t *testing.T) {
	for _, tc := range []struct {
		s       string
		ref, id bool
	}{
		{"c0000000-0000-4000-8000-000000000001", true, true},
		{"ada@contoso.com", true, true},
		{"ada_fabrikam.com#EXT#@contoso.onmicrosoft.com", true, false}, // a guest's UPN
		{"", false, false}, {"  ", false, false},
		{"a/b", false, false}, {`a\b`, false, false}, {"a b", false, false}, {"a\tb", false, false},
		{"a\x00b", false, false}, {"x?y=1", true, false}, {"\xc3\x28", false, false},
		{strings.Repeat("9", MaxIDLen), true, true}, {strings.Repeat("9", MaxIDLen+1), false, false},
	} {
		if ValidObjectRef(tc.s) != tc.ref || ValidObjectID(tc.s) != tc.id {
			t.Errorf("%q: ref %v id %v, want %v %v", tc.s, ValidObjectRef(tc.s), ValidObjectID(tc.s), tc.ref, tc.id)
		}
	}
}

func FuzzObjectRefs(f *testing.F) {
	for _, s := range []string{"c0000000-0000-4000-8000-000000000001", "a#EXT#@b", "a/b", "\xff", " x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidObjectID(s) && !ValidObjectRef(s) {
			t.Fatalf("%q is an id but not a ref", s)
		}
		if ValidObjectRef(s) && (!utf8.ValidString(s) || len(s) > MaxIDLen || strings.ContainsAny(s, "/\\ \t\r\n")) {
			t.Fatalf("%q accepted", s)
		}
		n := NormalizeID(s)
		if n != NormalizeID(n) || !SameID(s, n) || n != strings.TrimSpace(n) {
			t.Fatalf("NormalizeID(%q) = %q is not stable", s, n)
		}
	})
}

func TestPages(t *testing.T) {
	for _, tc := range []struct{ total, size, want int }{{0, 50, 1}, {1, 50, 1}, {50, 50, 1}, {51, 50, 2}, {10, 0, 1}, {-3, 10, 1}} {
		if got := Pages(tc.total, tc.size); got != tc.want {
			t.Errorf("Pages(%d, %d) = %d, want %d", tc.total, tc.size, got, tc.want)
		}
	}
}
