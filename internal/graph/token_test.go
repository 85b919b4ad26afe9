package graph

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func jwtWith(payload string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload)) + ".sig"
}

func TestTokenRoles(t *testing.T) {
	tests := []struct {
		name  string
		token string
		want  []string
	}{
		{"roles", jwtWith(`{"aud":"https://graph.microsoft.com","roles":["User.Read.All","Group.Read.All","User.Read.All"]}`),
			[]string{"Group.Read.All", "User.Read.All"}},
		{"single string role", jwtWith(`{"roles":"AuditLog.Read.All"}`), []string{"AuditLog.Read.All"}},
		{"no roles claim", jwtWith(`{"aud":"x"}`), nil},
		{"null roles", jwtWith(`{"roles":null}`), nil},
		{"blank entries dropped", jwtWith(`{"roles":[" ", "A"]}`), []string{"A"}},
		{"padded payload", strings.Replace(jwtWith(`{"roles":["A"]}`), ".", "==.", 0), []string{"A"}},
		{"std alphabet payload", "h." + base64.StdEncoding.EncodeToString([]byte(`{"roles":["Ü?>"]}`)) + ".s", []string{"Ü?>"}},
	}
	for _, tt := range tests {
		got, err := tokenRoles(tt.token)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: tokenRoles = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "abc", "a.b", "a.b.c.d", "a.!!!.c", jwtWith(`not json`), jwtWith(`{"roles":[1,2]}`), jwtWith(`{"roles":{}}`), jwtWith(`[]`)} {
		if got, err := tokenRoles(bad); err == nil {
			t.Errorf("tokenRoles(%q) = %q, want error", bad, got)
		}
	}
}

func FuzzTokenRoles(f *testing.F) {
	f.Add(jwtWith(`{"roles":["A","B"]}`))
	f.Add(jwtWith(`{"roles":"A"}`))
	f.Add("a.b.c")
	f.Add("..")
	f.Add(jwtWith(`{"roles":[null,"x"]}`))
	f.Fuzz(func(t *testing.T, tok string) {
		roles, err := tokenRoles(tok)
		if err != nil {
			return
		}
		if !slices.IsSorted(roles) || len(slices.Compact(slices.Clone(roles))) != len(roles) {
			t.Fatalf("roles not sorted and unique: %q", roles)
		}
		for _, r := range roles {
			if strings.TrimSpace(r) == "" {
				t.Fatalf("blank role in %q", roles)
			}
		}
	})
}

// fakeCred hands out a fixed token.
type fakeCred struct{ token string }

func (f fakeCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: f.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestTenantID(t *testing.T) {
	ctx := context.Background()
	const tid = "ab934a33-445e-47bf-a5bd-d65f90e05ca1"
	for _, tc := range []struct {
		tenant, token, want string
		ok                  bool
	}{
		{strings.ToUpper(tid), "", tid, true}, // a configured GUID needs no token
		{"contoso.onmicrosoft.com", jwtWith(`{"tid":"` + strings.ToUpper(tid) + `"}`), tid, true},
		{"contoso.onmicrosoft.com", jwtWith(`{"roles":["A"]}`), "", false},
		{"contoso.onmicrosoft.com", jwtWith(`{"tid":"not-a-guid"}`), "", false},
		{"contoso.onmicrosoft.com", "garbage", "", false},
	} {
		c := &Client{tenant: tc.tenant, cred: fakeCred{tc.token}, scope: "https://graph.microsoft.com/.default"}
		got, err := c.TenantID(ctx)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("TenantID(%q, %q) = %q, %v; want %q ok=%v", tc.tenant, tc.token, got, err, tc.want, tc.ok)
		}
	}
}
