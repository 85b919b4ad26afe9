package odata

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// testSchema mirrors the shapes the simulated tenant filters on.
func testSchema() *Schema {
	return NewSchema("microsoft.graph.group", "Group", map[string]*Prop{
		"id":                          {Kind: KString, Ops: "eq in"},
		"displayName":                 {Kind: KString, Ops: "eq ne startswith endswith ge le in"},
		"mailEnabled":                 {Kind: KBool, Ops: "eq ne"},
		"hasMembersWithLicenseErrors": {Kind: KBool, Ops: "eq"},
		"createdDateTime":             {Kind: KDateTime, Ops: "eq ge le gt lt"},
		"groupTypes":                  {Kind: KCollection, Lambda: "any", Elem: &Prop{Kind: KString, Ops: "eq"}},
		"assignedLicenses": {Kind: KCollection, Lambda: "any", CountOps: "eq ne gt ge lt le",
			Elem: &Prop{Kind: KObject, Props: map[string]*Prop{"skuId": {Kind: KGUID, Ops: "eq"}}}},
		"initiatedBy": {Kind: KObject, Props: map[string]*Prop{
			"user": {Kind: KObject, Props: map[string]*Prop{"userPrincipalName": {Kind: KString, Ops: "eq"}}}}},
		"targetResources": {Kind: KCollection, Lambda: "any",
			Elem: &Prop{Kind: KObject, Props: map[string]*Prop{"id": {Kind: KString, Ops: "eq"}}}},
	})
}

const sku1 = "94763226-9b3c-4e75-a931-5c89701abe66"

func testObj() Map {
	return Map{
		"id":                          "0b5a6c3e-0000-4000-8000-000000000001",
		"displayName":                 "O'Brien Faculty",
		"mailEnabled":                 false,
		"hasMembersWithLicenseErrors": true,
		"createdDateTime":             time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC),
		"groupTypes":                  []any{"Unified"},
		"assignedLicenses":            []any{Map{"skuId": sku1}},
		"initiatedBy":                 Map{"user": Map{"userPrincipalName": "Admin@contoso.edu"}},
		"targetResources":             []any{Map{"id": "t1"}, Map{"id": "t2"}},
	}
}

func TestFilterEval(t *testing.T) {
	s := testSchema()
	obj := testObj()
	tests := []struct {
		filter   string
		want     bool
		advanced bool
	}{
		{"displayName eq 'o''brien faculty'", true, false},
		{"displayName eq 'other'", false, false},
		{"startswith(displayName,'O''Bri')", true, false},
		{"startswith(displayName, 'x')", false, false},
		{"endswith(displayName,'ULTY')", true, true},
		{"displayName ne 'x'", true, true},
		{"not (displayName eq 'x')", true, true},
		{"mailEnabled eq false and hasMembersWithLicenseErrors eq true", true, false},
		{"mailEnabled eq true or (displayName eq 'x' or hasMembersWithLicenseErrors eq true)", true, false},
		{"assignedLicenses/$count ne 0", true, true},
		{"assignedLicenses/$count eq 0", false, true},
		{"assignedLicenses/any(x:x/skuId eq " + sku1 + ")", true, false},
		{"assignedLicenses/any(x:x/skuId eq " + strings.ToUpper(sku1) + ")", true, false},
		{"assignedLicenses/any(x:x/skuId eq 06ebc4ee-1bb5-47dd-8120-11324bc54e06)", false, false},
		{"assignedLicenses/any()", true, false},
		{"groupTypes/any(c:c eq 'unified')", true, false},
		{"targetResources/any(t:t/id eq 't2')", true, false},
		{"targetResources/any(t:t/id eq 't3')", false, false},
		{"initiatedBy/user/userPrincipalName eq 'admin@contoso.edu'", true, false},
		{"createdDateTime ge 2026-01-01T00:00:00Z and createdDateTime le 2026-03-01T00:00:00.000Z", true, false},
		{"createdDateTime gt 2026-02-01T10:00:00+01:00", true, false},
		{"createdDateTime lt 2026-02-01T10:00:00Z", false, false},
		{"id in ('a', '0b5a6c3e-0000-4000-8000-000000000001')", true, false},
		{"displayName eq null", false, false},
		{"DisplayName EQ 'O''Brien Faculty'", true, false},
	}
	for _, tt := range tests {
		e, err := ParseFilter(tt.filter)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", tt.filter, err)
		}
		ve, u, err := s.Validate(e)
		if err != nil {
			t.Fatalf("Validate(%q): %v", tt.filter, err)
		}
		if got := Eval(ve, obj); got != tt.want {
			t.Errorf("Eval(%q) = %v, want %v", tt.filter, got, tt.want)
		}
		if u.Advanced != tt.advanced {
			t.Errorf("%q: Advanced = %v, want %v", tt.filter, u.Advanced, tt.advanced)
		}
	}
}

func TestFilterUsage(t *testing.T) {
	e, _ := ParseFilter("hasMemberswithlicenseerrors eq true and startswith(displayName,'a')")
	_, u, err := testSchema().Validate(e)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Uses("hasMembersWithLicenseErrors") || !u.Uses("displayName") || u.Uses("id") {
		t.Errorf("Usage.Props = %v", u.Props)
	}
}

func TestFilterErrors(t *testing.T) {
	deep := strings.Repeat("(", 200) + "id eq 'a'" + strings.Repeat(")", 200)
	nots := strings.Repeat("not ", 500) + "id eq 'a'"
	long := strings.Repeat("id eq 'a' or ", 250) + "id eq 'a'"
	tests := []struct {
		filter string
		code   string
		msg    string
	}{
		{"", CodeBadRequest, "must not be empty"},
		{"displayName eq", CodeBadRequest, "Syntax error"},
		{"displayName eq 'unterminated", CodeBadRequest, "unterminated string"},
		{"displayName eq 'a' and", CodeBadRequest, "Syntax error"},
		{"(displayName eq 'a'", CodeBadRequest, "Syntax error"},
		{"displayName eq 'a')", CodeBadRequest, "Syntax error"},
		{"displayName zz 'a'", CodeBadRequest, "Syntax error"},
		{"displayName eq 'a' ; drop", CodeBadRequest, "Syntax error"},
		{"foo eq 'a'", CodeBadRequest, "Could not find a property named 'foo'"},
		{"initiatedBy/user/nope eq 'a'", CodeBadRequest, "Could not find a property named 'nope'"},
		{"mailEnabled ge true", CodeUnsupportedQuery, "property 'mailEnabled' of resource 'Group'"},
		{"hasMembersWithLicenseErrors eq 'true'", CodeBadRequest, "incompatible types"},
		{"assignedLicenses/any(x:x/skuId eq '" + sku1 + "')", CodeBadRequest, "'Edm.Guid' and 'Edm.String'"},
		{"createdDateTime ge '2026-01-01'", CodeBadRequest, "incompatible types"},
		{"assignedLicenses eq 'a'", CodeUnsupportedQuery, "assignedLicenses"},
		{"groupTypes/all(c:c eq 'Unified')", CodeUnsupportedQuery, "groupTypes"},
		{"assignedLicenses/any(x:displayName eq 'a')", CodeUnsupportedQuery, "range variable"},
		{"contains(displayName,'a')", CodeUnsupportedQuery, "contains"},
		{"'a' eq displayName", CodeUnsupportedQuery, "left operand"},
		{"displayName eq displayName", CodeUnsupportedQuery, "right operand"},
		{"displayName has 'a'", CodeUnsupportedQuery, "has"},
		{"createdDateTime ge 2026-13-45T99:00:00Z", CodeBadRequest, "DateTimeOffset"},
		{"assignedLicenses/$count ne 99999999999", CodeBadRequest, "out of range"},
		{"id in ('a','b','c','d','e','f','g','h','i','j','k','l','m','n','o','p')", CodeUnsupportedQuery, "Max allowed: 15"},
		{deep, CodeBadRequest, "recursion depth"},
		{nots, CodeBadRequest, "limit"},
		{long, CodeBadRequest, "limit"},
		{strings.Repeat("a", MaxFilterLength+1), CodeBadRequest, "exceeds"},
		{"displayName eq '\x00'", "", ""},
		{"id eq 'a' \u00e9", CodeBadRequest, "Syntax error"},
	}
	for _, tt := range tests {
		e, err := ParseFilter(tt.filter)
		if err == nil {
			_, _, err = testSchema().Validate(e)
		}
		if tt.code == "" {
			if err != nil {
				t.Errorf("%.60q: unexpected error %v", tt.filter, err)
			}
			continue
		}
		var oe *Error
		if !errors.As(err, &oe) {
			t.Errorf("%.60q: error %v, want *Error", tt.filter, err)
			continue
		}
		if oe.Code != tt.code || oe.Status != 400 || !strings.Contains(oe.Message, tt.msg) {
			t.Errorf("%.60q: got %d %s %q, want %s containing %q", tt.filter, oe.Status, oe.Code, oe.Message, tt.code, tt.msg)
		}
	}
}

func TestParseQuery(t *testing.T) {
	v := url.Values{
		"$select":    {"id, displayName,assignedLicenses"},
		"$top":       {"999"},
		"$count":     {"true"},
		"$orderby":   {"displayName desc"},
		"$search":    {`"displayName:wa" OR "mail:wa"`},
		"$skiptoken": {"abc"},
		"other":      {"ignored"},
	}
	q, err := ParseQuery(v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(q.Select, ",") != "id,displayName,assignedLicenses" || q.Top != 999 || !q.TopSet || !q.Count ||
		q.OrderBy == nil || q.OrderBy.Property != "displayName" || !q.OrderBy.Desc || q.SkipToken != "abc" ||
		len(q.Search) != 2 || q.Search[1] != (SearchClause{"mail", "wa"}) || q.SearchAnd {
		t.Errorf("ParseQuery = %+v", q)
	}
	q, err = ParseQuery(url.Values{})
	if err != nil || q.Top != DefaultTop || q.Filter != nil || q.Select != nil {
		t.Errorf("defaults = %+v, %v", q, err)
	}
}

func TestParseQueryErrors(t *testing.T) {
	tests := []struct {
		key, val, code, msg string
	}{
		{"$top", "1000", CodeRequestBad, "Invalid page size specified: '1000'"},
		{"$top", "0", CodeRequestBad, "between 1 and 999"},
		{"$top", "-5", CodeRequestBad, "Invalid page size"},
		{"$top", "ten", CodeBadRequest, "non-negative integer"},
		{"$top", "99999999999999999999", CodeBadRequest, "$top"},
		{"$count", "yes", CodeBadRequest, "Boolean"},
		{"$skip", "10", CodeRequestBad, "'$skip' is not supported"},
		{"$expand", "members", CodeUnsupportedQuery, "$expand"},
		{"$orderby", "displayName,id", CodeUnsupportedQuery, "more than one"},
		{"$orderby", "displayName sideways", CodeBadRequest, "sideways"},
		{"$orderby", "", CodeBadRequest, "Syntax"},
		{"$select", "id,,displayName", CodeBadRequest, "Syntax error"},
		{"$select", "id;drop", CodeBadRequest, "not valid"},
		{"$search", "displayName:wa", CodeRequestBad, "double quotes"},
		{"$search", `"displayName:wa`, CodeBadRequest, "Unterminated"},
		{"$search", `"wa"`, CodeRequestBad, "property:term"},
		{"$search", `"displayName:a" OR "mail:b" AND "x:c"`, CodeUnsupportedQuery, "Mixing"},
		{"$search", `"displayName:a" NEAR "mail:b"`, CodeBadRequest, "NEAR"},
		{"$filter", "bad eq", CodeBadRequest, "Syntax"},
		{"$bogus", "1", CodeBadRequest, "$bogus"},
		{"$select", strings.Repeat("a", MaxOptionLength+1), CodeBadRequest, "too long"},
	}
	for _, tt := range tests {
		_, err := ParseQuery(url.Values{tt.key: {tt.val}})
		var oe *Error
		if !errors.As(err, &oe) || oe.Code != tt.code || !strings.Contains(oe.Message, tt.msg) {
			t.Errorf("%s=%.40q: got %v, want %s containing %q", tt.key, tt.val, err, tt.code, tt.msg)
		}
	}
	if _, err := ParseQuery(url.Values{"$top": {"1", "2"}}); err == nil || !strings.Contains(err.Error(), "more than once") {
		t.Errorf("duplicate $top: %v", err)
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"displayName eq 'a'",
		"assignedLicenses/$count ne 0",
		"assignedLicenses/any(x:x/skuId eq " + sku1 + ")",
		"targetResources/any(t:t/id eq 'x') and initiatedBy/user/userPrincipalName eq 'a@b'",
		"createdDateTime ge 2026-01-01T00:00:00Z",
		"not (startswith(displayName,'a''b') or id in ('a','b'))",
		"groupTypes/any(c:c eq 'Unified')",
		strings.Repeat("(", 60),
		strings.Repeat("not ", 60) + "x",
		"a/b/c/d/e/f/g/h/i/j eq 1",
		"x/any(a:a/any(b:b eq 1))",
	} {
		f.Add(s)
	}
	s := testSchema()
	obj := testObj()
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseFilter(src)
		if err != nil {
			var oe *Error
			if !errors.As(err, &oe) || oe.Message == "" || oe.Status != 400 {
				t.Fatalf("ParseFilter(%q) error %v is not a 400 *Error with a message", src, err)
			}
			return
		}
		if d := depth(e); d > MaxNodes {
			t.Fatalf("depth %d > %d for %q", d, MaxNodes, src)
		}
		ve, _, err := s.Validate(e)
		if err != nil {
			var oe *Error
			if !errors.As(err, &oe) || oe.Message == "" {
				t.Fatalf("Validate(%q) error %v", src, err)
			}
			return
		}
		Eval(ve, obj)
	})
}

func depth(e Expr) int {
	switch x := e.(type) {
	case Logical:
		return 1 + max(depth(x.L), depth(x.R))
	case Not:
		return 1 + depth(x.X)
	case Lambda:
		if x.Body != nil {
			return 1 + depth(x.Body)
		}
	}
	return 1
}
