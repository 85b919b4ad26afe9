package graph

import (
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	return Config{TenantID: "11111111-2222-3333-4444-555555555555", ClientID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", ClientSecret: "s3cret"}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string // substring; "" means valid
	}{
		{"valid secret", func(*Config) {}, ""},
		{"valid cert", func(c *Config) { c.ClientSecret = ""; c.CertificatePEM = []byte("pem") }, ""},
		{"domain tenant", func(c *Config) { c.TenantID = "contoso.onmicrosoft.com" }, ""},
		{"all clouds", func(c *Config) { c.Cloud = "usgovdod" }, ""},
		{"cloud case", func(c *Config) { c.Cloud = "China" }, ""},
		{"unknown cloud", func(c *Config) { c.Cloud = "mars" }, "unknown cloud"},
		{"no tenant", func(c *Config) { c.TenantID = "" }, "tenant id is required"},
		{"blank tenant", func(c *Config) { c.TenantID = "   " }, "tenant id is required"},
		{"tenant path injection", func(c *Config) { c.TenantID = "../evil" }, "not a GUID or domain"},
		{"tenant with slash", func(c *Config) { c.TenantID = "a/b" }, "not a GUID or domain"},
		{"tenant with query", func(c *Config) { c.TenantID = "a?x=1" }, "not a GUID or domain"},
		{"no client", func(c *Config) { c.ClientID = "" }, "client id is required"},
		{"client with space", func(c *Config) { c.ClientID = "a b" }, "client id"},
		{"no credential", func(c *Config) { c.ClientSecret = "" }, "secret or a client certificate"},
		{"both credentials", func(c *Config) { c.CertificatePEM = []byte("x") }, "not both"},
		{"password without cert", func(c *Config) { c.CertificatePassword = "pw" }, "without a certificate"},
		{"graph url ok", func(c *Config) { c.GraphURL = "https://127.0.0.1:8443" }, ""},
		{"graph url http loopback", func(c *Config) { c.GraphURL = "http://localhost:8080/v1.0" }, ""},
		{"graph url http remote", func(c *Config) { c.GraphURL = "http://graph.example.com" }, "only for localhost"},
		{"graph url ftp", func(c *Config) { c.GraphURL = "ftp://x" }, "scheme"},
		{"graph url no host", func(c *Config) { c.GraphURL = "https://" }, "no host"},
		{"graph url with creds", func(c *Config) { c.GraphURL = "https://u:p@h/v1.0" }, "credentials"},
		{"graph url garbage", func(c *Config) { c.GraphURL = "::::" }, "graph URL"},
		{"authority ok", func(c *Config) { c.AuthorityURL = "https://127.0.0.1:8443/" }, ""},
		{"authority http", func(c *Config) { c.AuthorityURL = "http://127.0.0.1:8443" }, "must be https"},
		{"authority with path", func(c *Config) { c.AuthorityURL = "https://login.example.com/tenant" }, "only scheme and host"},
		{"retries negative", func(c *Config) { c.MaxRetries = -1 }, "max retries"},
		{"retries too many", func(c *Config) { c.MaxRetries = 11 }, "max retries"},
		{"timeout negative", func(c *Config) { c.Timeout = -time.Second }, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mod(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Validate() = nil, want error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Validate() = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestCloudEndpoints(t *testing.T) {
	tests := []struct{ name, graph, authority string }{
		{"", "https://graph.microsoft.com", "https://login.microsoftonline.com"},
		{"global", "https://graph.microsoft.com", "https://login.microsoftonline.com"},
		{"usgov", "https://graph.microsoft.us", "https://login.microsoftonline.us"},
		{"usgovdod", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us"},
		{"china", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"},
		{" USGov ", "https://graph.microsoft.us", "https://login.microsoftonline.us"},
	}
	for _, tt := range tests {
		g, a, err := CloudEndpoints(tt.name)
		if err != nil || g != tt.graph || a != tt.authority {
			t.Errorf("CloudEndpoints(%q) = %q, %q, %v; want %q, %q", tt.name, g, a, err, tt.graph, tt.authority)
		}
	}
	for _, bad := range []string{"gcc", "public", "azurechina", "global2"} {
		if _, _, err := CloudEndpoints(bad); err == nil {
			t.Errorf("CloudEndpoints(%q) accepted", bad)
		}
	}
}

func TestNormalizeGraphURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://graph.microsoft.com", "https://graph.microsoft.com/v1.0"},
		{"https://graph.microsoft.com/", "https://graph.microsoft.com/v1.0"},
		{"https://graph.microsoft.com/v1.0", "https://graph.microsoft.com/v1.0"},
		{"https://graph.microsoft.com/v1.0/", "https://graph.microsoft.com/v1.0"},
		{"https://127.0.0.1:8443/v1.0", "https://127.0.0.1:8443/v1.0"},
		{"https://127.0.0.1:8443", "https://127.0.0.1:8443/v1.0"},
		{"https://proxy.example/graph", "https://proxy.example/graph/v1.0"},
		{"https://graph.microsoft.com/beta", "https://graph.microsoft.com/beta"},
		{" https://[::1]:9/ ", "https://[::1]:9/v1.0"},
	}
	for _, tt := range tests {
		got, err := normalizeGraphURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("normalizeGraphURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "graph.microsoft.com", "https://h/v1.0?x=1", "https://h/#f", "javascript:alert(1)"} {
		if got, err := normalizeGraphURL(bad); err == nil {
			t.Errorf("normalizeGraphURL(%q) = %q, want error", bad, got)
		}
	}
}

func TestNormalizeAuthority(t *testing.T) {
	for in, want := range map[string]string{
		"https://login.microsoftonline.com":  "https://login.microsoftonline.com",
		"https://login.microsoftonline.com/": "https://login.microsoftonline.com",
		"https://127.0.0.1:8443":             "https://127.0.0.1:8443",
	} {
		if got, err := normalizeAuthority(in); err != nil || got != want {
			t.Errorf("normalizeAuthority(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "http://127.0.0.1", "https://h/tenant", "https://h?x", "https://u@h"} {
		if _, err := normalizeAuthority(bad); err == nil {
			t.Errorf("normalizeAuthority(%q) accepted", bad)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	c := validConfig()
	c.ClientSecret = ""
	c.CertificatePEM = []byte("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("New with a broken certificate: %v", err)
	}
	c = validConfig()
	c.CAFile = "/nonexistent/ca.pem"
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), "CA file") {
		t.Fatalf("New with a missing CA file: %v", err)
	}
	if _, err := New(Config{}); err == nil {
		t.Fatal("New(Config{}) accepted")
	}
}
