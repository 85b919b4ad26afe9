package auth

import (
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "/",
		"/":                             "/",
		"/groups?q=a&errors=1":          "/groups?q=a&errors=1",
		"/groups/abc#x":                 "/groups/abc#x",
		"//evil.example/":               "/",
		"/\\evil.example":               "/",
		"\\\\evil.example":              "/",
		"https://evil.example/":         "/",
		"javascript:alert(1)":           "/",
		"groups":                        "/",
		"/%2F%2Fevil.example":           "/%2F%2Fevil.example", // a path on this site, not a host
		"/groups\r\nSet-Cookie: x":      "/",
		"/\tevil":                       "/",
		"/login?next=/x":                "/",
		"/auth/callback?code=1":         "/",
		"/logout":                       "/",
		"/" + strings.Repeat("a", 3000): "/",
		"/%zz":                          "/",
	} {
		if got := SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "//x", "/\\x", "https://x", "/a?b#c", "/%2f", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := SafeNext(in)
		if got == "/" {
			return
		}
		if got != in || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n\t") {
			t.Fatalf("SafeNext(%q) = %q: not a same-origin path", in, got)
		}
		// Resolved against the site, it must stay on the site.
		base, _ := netipURL("http://site.example/")
		u, err := base.Parse(got)
		if err != nil || u.Host != "site.example" {
			t.Fatalf("SafeNext(%q) = %q resolves to host %v", in, got, u)
		}
	})
}

func mustPrefix(t testing.TB, s string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestClientIPAndTLS(t *testing.T) {
	ps := Proxies{mustPrefix(t, "10.0.0.0/8"), mustPrefix(t, "::1/128")}
	for _, tc := range []struct {
		remote, xff, proto string
		ip                 string
		tls                bool
	}{
		{"192.0.2.7:1234", "", "", "192.0.2.7", false},
		{"192.0.2.7:1234", "198.51.100.1", "https", "192.0.2.7", false}, // untrusted peer: headers ignored
		{"10.0.0.1:1234", "198.51.100.1", "https", "198.51.100.1", true},
		{"10.0.0.1:1234", "6.6.6.6, 198.51.100.1, 10.0.0.2", "https,http", "198.51.100.1", true}, // spoofed left entry skipped
		{"10.0.0.1:1234", "garbage, 198.51.100.1", "http", "198.51.100.1", false},
		{"10.0.0.1:1234", "198.51.100.1, garbage", "", "10.0.0.1", false},
		{"10.0.0.1:1234", "", "HTTPS", "10.0.0.1", true},
		{"[::1]:99", "2001:db8::5", "https", "2001:db8::5", true},
		{"[::ffff:10.0.0.1]:99", "203.0.113.5", "", "203.0.113.5", false},
		{"not-an-address", "1.2.3.4", "https", "not-an-address", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if tc.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		if got := ps.ClientIP(r); got != tc.ip {
			t.Errorf("%s %q: ClientIP %q, want %q", tc.remote, tc.xff, got, tc.ip)
		}
		if got := ps.IsTLS(r); got != tc.tls {
			t.Errorf("%s %q: IsTLS %v, want %v", tc.remote, tc.proto, got, tc.tls)
		}
	}
}

func TestIssuer(t *testing.T) {
	for _, tc := range []struct{ cloud, tenant, want string }{
		{"global", "contoso.onmicrosoft.com", "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"},
		{"", "8f3c1f2e-4b5a-4c6d-9e7f-0a1b2c3d4e5f", "https://login.microsoftonline.com/8f3c1f2e-4b5a-4c6d-9e7f-0a1b2c3d4e5f/v2.0"},
		{"usgov", "t", "https://login.microsoftonline.us/t/v2.0"},
		{"usgovdod", "t", "https://login.microsoftonline.us/t/v2.0"},
		{"china", "t", "https://login.chinacloudapi.cn/t/v2.0"},
	} {
		got, err := Issuer(tc.cloud, tc.tenant)
		if err != nil || got != tc.want {
			t.Errorf("Issuer(%q, %q) = %q, %v; want %q", tc.cloud, tc.tenant, got, err, tc.want)
		}
	}
	for _, tc := range [][2]string{{"mars", "t"}, {"global", ""}, {"global", "a/b"}, {"global", "x?y"}} {
		if got, err := Issuer(tc[0], tc[1]); err == nil {
			t.Errorf("Issuer(%q, %q) = %q, want an error", tc[0], tc[1], got)
		}
	}
	if !sameTenantIssuer("https://login.microsoftonline.com/contoso.com/v2.0", "https://login.microsoftonline.com/8f3c1f2e-4b5a-4c6d-9e7f-0a1b2c3d4e5f/v2.0") {
		t.Error("Entra's GUID issuer for a domain tenant refused")
	}
	for _, d := range []string{"https://evil.example/8f3c/v2.0", "https://login.microsoftonline.com/a/b/v2.0", "http://login.microsoftonline.com/x/v2.0"} {
		if sameTenantIssuer("https://login.microsoftonline.com/contoso.com/v2.0", d) {
			t.Errorf("issuer %q accepted for the tenant", d)
		}
	}
}

func TestRoleNames(t *testing.T) {
	n := RoleNames{RoleReader: "TD.Read", RoleOperator: "TD.Operate", RoleLicenseAdmin: "TD.Admin"}
	for _, tc := range []struct {
		claims []string
		want   Role
	}{
		{nil, RoleNone},
		{[]string{"Reader"}, RoleNone}, // the default name is not configured here
		{[]string{"td.read"}, RoleReader},
		{[]string{"TD.Admin", "TD.Read"}, RoleLicenseAdmin},
		{[]string{" TD.Operate "}, RoleOperator},
	} {
		if got := n.RoleOf(tc.claims); got != tc.want {
			t.Errorf("RoleOf(%v) = %v, want %v", tc.claims, got, tc.want)
		}
	}
	if DefaultRoleNames().Name(RoleLicenseAdmin) != "LicenseAdmin" || (RoleNames{}).Name(RoleOperator) != "Operator" {
		t.Error("default role names")
	}
}

func TestLoadOrCreateKeys(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadOrCreateKeys(dir, nil)
	if err != nil || len(k1) != 1 || len(k1[0]) < minKeyLen {
		t.Fatalf("generated %v, %v", k1, err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeysFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	k2, err := LoadOrCreateKeys(dir, nil)
	if err != nil || k2[0] != k1[0] {
		t.Fatalf("restart got another key: %v, %v", k2, err)
	}
	// An administrator rotates by adding a line on top.
	newKey := strings.Repeat("n", 40)
	if err := os.WriteFile(filepath.Join(dir, KeysFile), []byte("# rotated\n"+newKey+"\n"+k1[0]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k3, err := LoadOrCreateKeys(dir, nil); err != nil || len(k3) != 2 || k3[0] != newKey {
		t.Fatalf("rotated file: %v, %v", k3, err)
	}
	// Configured keys win; short ones are refused.
	if k, err := LoadOrCreateKeys(dir, []string{strings.Repeat("c", 32)}); err != nil || k[0] != strings.Repeat("c", 32) {
		t.Fatalf("configured: %v, %v", k, err)
	}
	if _, err := LoadOrCreateKeys(dir, []string{"short"}); err == nil {
		t.Error("short configured key accepted")
	}
	// A world-readable key file is refused, as are empty and short ones.
	for name, tc := range map[string]struct {
		content string
		mode    os.FileMode
	}{
		"world-readable": {strings.Repeat("w", 40), 0o644},
		"empty":          {"# nothing\n\n", 0o600},
		"short":          {"tooshort\n", 0o600},
	} {
		d := t.TempDir()
		p := filepath.Join(d, KeysFile)
		if err := os.WriteFile(p, []byte(tc.content), tc.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, tc.mode); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreateKeys(d, nil); err == nil {
			t.Errorf("%s key file accepted", name)
		}
	}
}

func netipURL(s string) (*url.URL, error) { return url.Parse(s) }
