package tenantsim

import (
	"errors"
	"strings"
	"testing"
)

func TestRuleMatch(t *testing.T) {
	u := &User{ID: "u1", Department: "Sales", JobTitle: "Senior Sales Manager", City: "Seattle", UserType: "Member",
		AccountEnabled: true, Mail: "ann.lee@contoso.edu", UsageLocation: ""}
	of := []string{"aaaa-1111", "bbbb-2222"}
	cases := []struct {
		rule string
		want bool
	}{
		{`user.department -eq "Sales"`, true},
		{`user.department -eq "sales"`, true}, // case-insensitive, like Entra ID
		{`user.Department -EQ "Finance"`, false},
		{`user.department -ne "Finance"`, true},
		{`(user.department -eq "Sales") -and (user.accountEnabled -eq true)`, true},
		{`user.department -eq "Sales" and user.accountEnabled -eq false`, false},
		{`user.department -eq "HR" -or user.city -eq "Seattle"`, true},
		{`-not (user.city -eq "Seattle")`, false},
		{`not user.city -eq "Boston"`, true},
		{`user.jobTitle -startsWith "senior"`, true},
		{`user.jobTitle -notStartsWith "Senior"`, false},
		{`user.jobTitle -contains "Sales"`, true},
		{`user.jobTitle -notContains "Sales"`, false},
		{`user.mail -match "^ann\..*@contoso\.edu$"`, true},
		{`user.mail -notMatch "fabrikam"`, true},
		{`user.department -in ["Finance", "Sales"]`, true},
		{`user.department -notIn ['Finance', 'Legal']`, true},
		{`user.usageLocation -eq null`, true},
		{`user.objectId -ne null`, true},
		{`user.memberof -any (group.objectId -in ['BBBB-2222'])`, true},
		{`user.memberof -any (group.objectId -in ['cccc-3333', 'dddd'])`, false},
		{`user.memberof -any (group.objectId -in ['aaaa-1111']) -and user.userType -eq "Member"`, true},
		{"user.displayName -eq \"O`\"Brien\"", false},
	}
	for _, c := range cases {
		r, err := parseRule(c.rule)
		if err != nil {
			t.Errorf("parseRule(%q): %v", c.rule, err)
			continue
		}
		if got := r.match(u, of); got != c.want {
			t.Errorf("%q matched %v, want %v", c.rule, got, c.want)
		}
	}
}

func TestRuleHostile(t *testing.T) {
	for _, rule := range []string{
		``,
		`   `,
		`user.department`,
		`user.department -eq`,
		`user.department -eq Sales`,
		`user.department -eq "Sales`,
		`user.department -like "Sales"`,
		`user.assignedPlans -any (assignedPlan.servicePlanId -eq "x")`,
		`device.deviceOSType -eq "Windows"`,
		`user.accountEnabled -eq maybe`,
		`user.city -eq true`,
		`(user.city -eq "a"`,
		`user.city -eq "a")`,
		`user.city -eq "a" -and`,
		`user.city -eq "a" -xor user.city -eq "b"`,
		`user.memberof -any (group.objectId -in [])`,
		`user.memberof -any (group.objectId -in ['a' 'b'])`,
		`user.memberof -all (group.objectId -in ['a'])`,
		`user.memberof -any group.objectId -in ['a']`,
		`user.department -in "Sales"`,
		`user.department -in [Sales]`,
		`user.mail -match "("`,
		`user.city -eq "a" ; drop table users`,
		strings.Repeat("(", 200) + `user.city -eq "a"` + strings.Repeat(")", 200),
		strings.Repeat("-not ", 200) + `user.city -eq "a"`,
		`user.city -eq "` + strings.Repeat("x", 4000) + `"`,
		"user.city -eq \"\x00\xff\"",
		"\u00a0user.city -eq \"a\"",
	} {
		_, err := parseRule(rule)
		if err == nil {
			t.Errorf("parseRule(%q) succeeded, want an error", rule)
			continue
		}
		if !errors.Is(err, ErrUnsupportedRule) {
			t.Errorf("parseRule(%q) = %v, want ErrUnsupportedRule", rule, err)
		}
	}
}

func FuzzParseRule(f *testing.F) {
	for _, s := range []string{
		`user.department -eq "Sales"`,
		`(user.department -eq "Sales") -and (user.accountEnabled -eq true)`,
		`user.memberof -any (group.objectId -in ['0f8fad5b-d9cb-469f-a165-70867728950e'])`,
		`user.mail -match "^a.*"`,
		`-not (user.city -in ["a","b"])`,
		"user.displayName -eq \"O`\"Brien\"",
		`((((`, `"`, `user.`, `-`,
	} {
		f.Add(s)
	}
	u := &User{ID: "x", Department: "Sales", AccountEnabled: true}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRule(s)
		if err != nil {
			if !errors.Is(err, ErrUnsupportedRule) {
				t.Fatalf("error %v does not wrap ErrUnsupportedRule", err)
			}
			return
		}
		_ = r.match(u, []string{"a"}) // must not panic
	})
}
