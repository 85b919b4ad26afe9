package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
)

// env is a fake environment and file system.
type env struct {
	vars  map[string]string
	files map[string]string
}

func (e env) lookup(k string) (string, bool) { v, ok := e.vars[k]; return v, ok }

func (e env) read(path string) ([]byte, error) {
	if v, ok := e.files[path]; ok {
		return []byte(v), nil
	}
	return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
}

func load(t *testing.T, vars, files map[string]string) (Config, error) {
	t.Helper()
	e := env{vars, files}
	return Load(e.lookup, e.read)
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Listen: "127.0.0.1:8080", DataDir: "data", Cloud: CloudGlobal,
		LicenseCatalogURL: licensing.DefaultCatalogURL, SyncInterval: time.Hour, FullSyncInterval: 24 * time.Hour, AlertRepeat: 24 * time.Hour, AlertWebhookFormat: "teams", AlertSMTPSecurity: "starttls", LogLevel: slog.LevelInfo,
		IPRangeDownloads: true, SessionIdle: 8 * time.Hour, SessionMaxAge: 24 * time.Hour,
		RoleReader: "Reader", RoleOperator: "Operator", RoleLicenseAdmin: "LicenseAdmin",
		SSPRMaxBytes: 10 << 20, SSPRWindowBefore: 2 * time.Hour, SSPRWindowAfter: 15 * time.Minute,
		SessionRoleCheck: time.Hour, RateSignIn: 30, RateWrites: 120, RateRefused: 30,
		ActivityRetention: 400 * 24 * time.Hour, ActivityCollapseWindow: 10 * time.Minute, ActivityAnonymousRows: 100,
		GraphLiveTimeout: 2 * time.Second, GraphLiveRetry: 30 * time.Second,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults:\n%#v\nwant\n%#v", c, want)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Error("Load without environment differs from Default")
	}
	if err := c.Validate(ModeDemo); err != nil {
		t.Errorf("defaults not valid for demo: %v", err)
	}
	if got := c.DBPath(); got != "data/tenantdesk.db" {
		t.Errorf("DBPath = %q", got)
	}
	// Every documented default is what Default() holds.
	d := Default()
	for _, s := range vars {
		if got := s.get(&d); got != s.Default {
			t.Errorf("%s: Default() holds %q, documented %q", s.Env, got, s.Default)
		}
	}
}

func TestLoad(t *testing.T) {
	full := map[string]string{
		"TENANTDESK_LISTEN":              " 0.0.0.0:9000 ",
		"TENANTDESK_DATA_DIR":            "/var/lib/tenantdesk",
		"TENANTDESK_CLOUD":               "USGov",
		"TENANTDESK_TENANT_ID":           "contoso.onmicrosoft.com",
		"TENANTDESK_CLIENT_ID":           "00000000-0000-0000-0000-0000000000c1",
		"TENANTDESK_TRUSTED_PROXIES":     "10.0.0.0/8, 192.168.1.7 ,::1",
		"TENANTDESK_SYNC_INTERVAL":       "30m",
		"TENANTDESK_LOG_LEVEL":           "DEBUG",
		"TENANTDESK_SESSION_KEYS":        "k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1, k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2",
		"TENANTDESK_LICENSE_CATALOG_URL": "off",
		"TENANTDESK_ROLE_OPERATOR":       "Helpdesk.Operator",
	}
	c, err := load(t, full, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "0.0.0.0:9000" || c.DataDir != "/var/lib/tenantdesk" || c.Cloud != CloudUSGov ||
		c.SyncInterval != 30*time.Minute || c.LogLevel != slog.LevelDebug || c.LicenseCatalogURL != "" ||
		c.RoleOperator != "Helpdesk.Operator" || c.RoleReader != "Reader" {
		t.Errorf("loaded %#v", c)
	}
	wantProxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("::1/128")}
	if !reflect.DeepEqual(c.TrustedProxies, wantProxies) {
		t.Errorf("proxies = %v", c.TrustedProxies)
	}
	if len(c.SessionKeys) != 2 || c.SessionKeys[1] != "k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2" {
		t.Errorf("session keys = %q", c.SessionKeys)
	}
	if got := c.BaseURL(); got != "http://localhost:9000" {
		t.Errorf("BaseURL = %q", got)
	}
	// Set but empty counts as unset.
	c, err = load(t, map[string]string{"TENANTDESK_LISTEN": "", "TENANTDESK_SYNC_INTERVAL": "  "}, nil)
	if err != nil || c.Listen != "127.0.0.1:8080" || c.SyncInterval != time.Hour {
		t.Errorf("empty values: %v %q %v", err, c.Listen, c.SyncInterval)
	}
	c, err = load(t, map[string]string{"TENANTDESK_SYNC_INTERVAL": "0"}, nil)
	if err != nil || c.SyncInterval != 0 {
		t.Errorf("interval 0: %v %v", err, c.SyncInterval)
	}
}

func TestSecretsFromFiles(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		files   map[string]string
		want    string // ClientSecret
		wantErr string
	}{
		{name: "env", vars: map[string]string{"TENANTDESK_CLIENT_SECRET": "s3cret"}, want: "s3cret"},
		{name: "file with newline", vars: map[string]string{"TENANTDESK_CLIENT_SECRET_FILE": "/run/secrets/cs"},
			files: map[string]string{"/run/secrets/cs": "from-file\r\n"}, want: "from-file"},
		{name: "file keeps inner spaces", vars: map[string]string{"TENANTDESK_CLIENT_SECRET_FILE": "/s"},
			files: map[string]string{"/s": "a b\n"}, want: "a b"},
		{name: "both set", vars: map[string]string{"TENANTDESK_CLIENT_SECRET": "x", "TENANTDESK_CLIENT_SECRET_FILE": "/s"},
			files: map[string]string{"/s": "y"}, wantErr: "TENANTDESK_CLIENT_SECRET and TENANTDESK_CLIENT_SECRET_FILE are both set"},
		{name: "missing file", vars: map[string]string{"TENANTDESK_CLIENT_SECRET_FILE": "/nope"},
			wantErr: "TENANTDESK_CLIENT_SECRET_FILE: open /nope"},
		{name: "empty file", vars: map[string]string{"TENANTDESK_CLIENT_SECRET_FILE": "/e"},
			files: map[string]string{"/e": "\n"}, wantErr: "/e is empty"},
		{name: "empty _FILE var is unset", vars: map[string]string{"TENANTDESK_CLIENT_SECRET": "x", "TENANTDESK_CLIENT_SECRET_FILE": ""}, want: "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, tt.vars, tt.files)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), `"x"`) || strings.Contains(err.Error(), `"y"`) {
					t.Fatalf("error leaks the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.ClientSecret != tt.want {
				t.Fatalf("ClientSecret = %q, want %q", c.ClientSecret, tt.want)
			}
		})
	}
	// Session keys from a file, one per line or comma-separated.
	c, err := load(t, map[string]string{"TENANTDESK_SESSION_KEYS_FILE": "/k"}, map[string]string{"/k": "aaaa,bbbb\ncccc\n"})
	if err != nil || !reflect.DeepEqual(c.SessionKeys, []string{"aaaa", "bbbb", "cccc"}) {
		t.Fatalf("session keys %q, %v", c.SessionKeys, err)
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := load(t, map[string]string{
		"TENANTDESK_CLOUD":           "azure",
		"TENANTDESK_SYNC_INTERVAL":   "hourly",
		"TENANTDESK_LOG_LEVEL":       "loud",
		"TENANTDESK_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local,300.1.1.1",
	}, nil)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *Error", err)
	}
	want := []string{
		`TENANTDESK_CLOUD: unknown cloud "azure": use global, usgov, usgovdod or china`,
		`TENANTDESK_TRUSTED_PROXIES: not an IP address or CIDR prefix: "proxy.local", "300.1.1.1"`,
		`TENANTDESK_SYNC_INTERVAL: "hourly" is not a duration: use e.g. 30m or 2h, or 0 to turn it off`,
		`TENANTDESK_LOG_LEVEL: unknown log level "loud": use debug, info, warn or error`,
	}
	if !reflect.DeepEqual(ce.Problems, want) {
		t.Errorf("problems:\n%s\nwant\n%s", strings.Join(ce.Problems, "\n"), strings.Join(want, "\n"))
	}
	if !strings.HasPrefix(err.Error(), "configuration is not valid:\n  - TENANTDESK_CLOUD") {
		t.Errorf("message = %q", err)
	}
	if _, err := load(t, map[string]string{"TENANTDESK_SYNC_INTERVAL": "-5m"}, nil); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative interval: %v", err)
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	c, err := load(t, map[string]string{
		"TENANTDESK_LISTEN":        "127.0.0.1:9999",
		"TENANTDESK_CLOUD":         "china",
		"TENANTDESK_SYNC_INTERVAL": "2h",
		"TENANTDESK_TENANT_ID":     "from-env",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("listen", "kept", "a flag the caller defined first") // left alone
	c.BindFlags(fs)
	if fs.Lookup("client-secret") != nil || fs.Lookup("session-keys") != nil {
		t.Error("secrets must not be flags")
	}
	if got := fs.Lookup("cloud").DefValue; got != "china" {
		t.Errorf("flag default = %q, want the env value", got)
	}
	if got := fs.Lookup("sync-interval").DefValue; got != "2h" {
		t.Errorf("sync-interval default = %q", got)
	}
	if err := fs.Parse([]string{"-cloud", "usgovdod", "-sync-interval", "0", "-role-reader", "Viewer"}); err != nil {
		t.Fatal(err)
	}
	if c.Cloud != CloudUSGovDoD || c.SyncInterval != 0 || c.RoleReader != "Viewer" {
		t.Errorf("after flags: cloud %q interval %v reader %q", c.Cloud, c.SyncInterval, c.RoleReader)
	}
	if c.TenantID != "from-env" || c.Listen != "127.0.0.1:9999" {
		t.Errorf("unset flags changed env values: %q %q", c.TenantID, c.Listen)
	}
	// Bad flag values fail the parse with our message.
	fs2 := flag.NewFlagSet("x", flag.ContinueOnError)
	fs2.SetOutput(io.Discard)
	c.BindFlags(fs2)
	if err := fs2.Parse([]string{"-cloud", "mars"}); err == nil || !strings.Contains(err.Error(), "unknown cloud") {
		t.Errorf("err = %v", err)
	}
	// PrintDefaults calls String on zero values: must not panic.
	fs2.SetOutput(io.Discard)
	fs2.PrintDefaults()
}

func validServe() Config {
	c := Default()
	c.TenantID = "contoso.onmicrosoft.com"
	c.ClientID = "00000000-0000-0000-0000-0000000000c1"
	c.ClientSecret = "graph-secret-value"
	return c
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		mode Mode
		edit func(c *Config)
		want []string // substrings of the error; none = valid
	}{
		{name: "serve ok, OIDC shares the Graph app", mode: ModeServe},
		{name: "demo needs nothing", mode: ModeDemo, edit: func(c *Config) { *c = Default() }},
		{name: "serve needs everything", mode: ModeServe, edit: func(c *Config) { *c = Default() },
			want: []string{"TENANTDESK_TENANT_ID is required for serve", "TENANTDESK_CLIENT_ID is required for serve",
				"TENANTDESK_CLIENT_SECRET (or TENANTDESK_CLIENT_SECRET_FILE) or TENANTDESK_CERTIFICATE_FILE",
				"TENANTDESK_OIDC_CLIENT_ID", "TENANTDESK_OIDC_CLIENT_SECRET"}},
		{name: "refresh needs Graph only", mode: ModeRefresh, edit: func(c *Config) { c.ClientSecret = ""; c.CertificateFile = "/app.pem" }},
		{name: "refresh without credential", mode: ModeRefresh, edit: func(c *Config) { c.ClientSecret = "" },
			want: []string{"a credential is required for refresh"}},
		{name: "serve with certificate needs an OIDC secret", mode: ModeServe,
			edit: func(c *Config) { c.ClientSecret = ""; c.CertificateFile = "/app.pem" },
			want: []string{"TENANTDESK_OIDC_CLIENT_SECRET (or TENANTDESK_OIDC_CLIENT_SECRET_FILE) is required for serve"}},
		{name: "separate OIDC app does not borrow the Graph secret", mode: ModeServe,
			edit: func(c *Config) { c.OIDCClientID = "other-app" },
			want: []string{"TENANTDESK_OIDC_CLIENT_SECRET"}},
		{name: "both credentials", mode: ModeRefresh, edit: func(c *Config) { c.CertificateFile = "/app.pem" },
			want: []string{"choose one credential"}},
		{name: "bad values", mode: ModeDemo, edit: func(c *Config) {
			c.Listen = "8080"
			c.Cloud = "mars"
			c.GraphURL = "graph.local/v1.0"
			c.AuthorityURL = "http://127.0.0.1:8443"
			c.OIDCIssuer = "ftp://x"
			c.PublicURL = "https://user:pw@desk.example.com"
			c.SyncInterval = 10 * time.Second
			c.FullSyncInterval = 8 * 24 * time.Hour
			c.AlertRepeat = 30 * time.Second
			c.AlertWebhook = "http://example.com/hook?sig=SECRET"
			c.AlertWebhookFormat = "xml"
			c.AlertSMTPHost, c.AlertSMTPUser, c.AlertSMTPPassword, c.AlertEmailFrom = "smtp.example.com", "u", "pw", "alerts@example.com"
			c.AlertEmailTo = "helpdesk@example.com\r\nBcc: x@evil.example"
			c.SessionKeys = []string{"short"}
			c.RoleOperator = "Reader"
			c.RoleLicenseAdmin = " "
			c.CertificatePassword = "pw"
			c.DataDir = ""
		}, want: []string{
			`TENANTDESK_LISTEN: "8080" is not host:port`,
			"TENANTDESK_DATA_DIR must not be empty",
			`TENANTDESK_CLOUD: unknown cloud "mars"`,
			`TENANTDESK_GRAPH_URL: "graph.local/v1.0" is not an absolute http(s) URL`,
			`TENANTDESK_AUTHORITY_URL: "http://127.0.0.1:8443" must use https`,
			`TENANTDESK_OIDC_ISSUER: "ftp://x" is not an absolute http(s) URL`,
			"TENANTDESK_PUBLIC_URL: credentials in the URL are not allowed",
			"TENANTDESK_SYNC_INTERVAL: 10s is too short",
			"TENANTDESK_FULL_SYNC_INTERVAL: 192h is outside 1m to 7 days",
			`TENANTDESK_ALERT_WEBHOOK_FORMAT: "xml" is not teams, slack or json`,
			"TENANTDESK_ALERT_WEBHOOK: This webhook URL cannot be used: plain http is only for a relay on this machine; use https.",
			`TENANTDESK_ALERT_EMAIL_TO: "Bcc: x@evil.example" is not an email address.`,
			"TENANTDESK_ALERT_REPEAT: 30s is outside 1m to 30 days (0 never repeats)",
			"TENANTDESK_SESSION_KEYS: key 1 has 5 characters",
			`TENANTDESK_ROLE_READER and TENANTDESK_ROLE_OPERATOR are both "Reader"`,
			"TENANTDESK_ROLE_LICENSE_ADMIN must not be empty",
			"TENANTDESK_CERTIFICATE_PASSWORD is set but TENANTDESK_CERTIFICATE_FILE is not",
		}},
		{name: "simulator overrides", mode: ModeServe, edit: func(c *Config) {
			c.GraphURL = "https://127.0.0.1:8443/v1.0"
			c.AuthorityURL = "https://127.0.0.1:8443"
			c.OIDCIssuer = "https://127.0.0.1:8443/tenant/v2.0"
			c.CAFile = "/tmp/sim-ca.pem"
			c.PublicURL = "http://127.0.0.1:8080"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validServe()
			if tt.edit != nil {
				tt.edit(&c)
			}
			err := c.Validate(tt.mode)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if len(ce.Problems) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%v", len(ce.Problems), len(tt.want), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in\n%v", w, err)
				}
			}
			if !strings.HasPrefix(err.Error(), "configuration is not valid for "+tt.mode.String()+":\n  - ") {
				t.Errorf("message head: %q", err)
			}
		})
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	c := validServe()
	c.ClientSecret = "xyzzy-client"
	c.CertificatePassword = "xyzzy-certpw"
	c.OIDCClientSecret = "xyzzy-oidc"
	c.SessionKeys = []string{"xyzzy-key-one-0123456789abcdefghij", "xyzzy-key-two-0123456789abcdefghij"}

	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "config", c)
	outputs := map[string]string{
		"String":   c.String(),
		"%v":       fmt.Sprintf("%v", c),
		"%+v":      fmt.Sprintf("%+v", c),
		"%#v":      fmt.Sprintf("%#v", c),
		"%s ptr":   fmt.Sprintf("%s", &c),
		"Redacted": fmt.Sprintf("%#v", c.Redacted().ClientSecret+c.Redacted().OIDCClientSecret+c.Redacted().CertificatePassword+strings.Join(c.Redacted().SessionKeys, ",")),
		"slog":     logged.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, "xyzzy") {
			t.Errorf("%s prints a secret:\n%s", name, out)
		}
	}
	s := c.String()
	for _, want := range []string{"TENANTDESK_CLIENT_SECRET=REDACTED\n", "TENANTDESK_TENANT_ID=contoso.onmicrosoft.com\n", "TENANTDESK_OIDC_CLIENT_SECRET=REDACTED\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("String lacks %q:\n%s", want, s)
		}
	}
	if !strings.Contains(logged.String(), "config.tenant_id=contoso.onmicrosoft.com") {
		t.Errorf("slog output: %s", logged.String())
	}
	// Unset secrets print as empty, so a reader can tell set from unset.
	if !strings.Contains(Default().String(), "TENANTDESK_CLIENT_SECRET=\n") {
		t.Error("unset secret not shown as empty")
	}
	if r := c.Redacted(); r.TenantID != c.TenantID || len(r.SessionKeys) != 2 || c.SessionKeys[0] == "REDACTED" {
		t.Error("Redacted changed non-secrets or the original")
	}
}

func TestReference(t *testing.T) {
	ref := Reference()
	seenEnv, seenFlag := map[string]bool{}, map[string]bool{}
	for _, v := range ref {
		if !strings.HasPrefix(v.Env, "TENANTDESK_") || v.Description == "" {
			t.Errorf("bad entry %+v", v)
		}
		if seenEnv[v.Env] || (v.Flag != "" && seenFlag[v.Flag]) {
			t.Errorf("duplicate %s / %s", v.Env, v.Flag)
		}
		seenEnv[v.Env], seenFlag[v.Flag] = true, true
		if v.Secret && v.Flag != "" {
			t.Errorf("%s is secret but has a flag", v.Env)
		}
	}
	// Every Config field is covered by exactly one setting.
	if n := reflect.TypeOf(Config{}).NumField(); n != len(ref) {
		t.Errorf("Config has %d fields, reference %d settings", n, len(ref))
	}
	md := ReferenceMarkdown()
	for _, want := range []string{
		"| Environment variable | Flag | Default | Required for | Description |",
		"| `TENANTDESK_LISTEN` | `-listen` | `127.0.0.1:8080` |",
		"| `TENANTDESK_CLIENT_SECRET` or `TENANTDESK_CLIENT_SECRET_FILE` |  |  | serve, refresh",
		"`" + licensing.DefaultCatalogURL + "`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Count(md, "\n") != len(ref)+2 {
		t.Errorf("markdown has %d lines", strings.Count(md, "\n"))
	}
}

func TestOIDCClientAndBaseURL(t *testing.T) {
	c := validServe()
	if id, s := c.OIDCClient(); id != c.ClientID || s != c.ClientSecret {
		t.Errorf("shared app: %q %q", id, s)
	}
	c.OIDCClientID, c.OIDCClientSecret = "web-app", "web-secret"
	if id, s := c.OIDCClient(); id != "web-app" || s != "web-secret" {
		t.Errorf("own app: %q %q", id, s)
	}
	c.PublicURL = "https://desk.example.com/"
	if got := c.BaseURL(); got != "https://desk.example.com" {
		t.Errorf("BaseURL = %q", got)
	}
	c.PublicURL, c.Listen = "", "[::]:8080"
	if got := c.BaseURL(); got != "http://localhost:8080" {
		t.Errorf("BaseURL = %q", got)
	}
	c.DatabasePath = "/db/x.db"
	if c.DBPath() != "/db/x.db" {
		t.Error("DBPath ignores DatabasePath")
	}
}

func TestSessionAndIPDownloadSettings(t *testing.T) {
	c, err := load(t, map[string]string{
		"TENANTDESK_IP_RANGE_DOWNLOADS":   "off",
		"TENANTDESK_SESSION_IDLE_TIMEOUT": "30m",
		"TENANTDESK_SESSION_MAX_AGE":      "12h",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.IPRangeDownloads || c.SessionIdle != 30*time.Minute || c.SessionMaxAge != 12*time.Hour {
		t.Errorf("got downloads=%v idle=%s max=%s", c.IPRangeDownloads, c.SessionIdle, c.SessionMaxAge)
	}
	for name, v := range map[string]string{
		"TENANTDESK_IP_RANGE_DOWNLOADS":   "sometimes",
		"TENANTDESK_SESSION_IDLE_TIMEOUT": "-1h",
		"TENANTDESK_SESSION_MAX_AGE":      "forever",
	} {
		if _, err := load(t, map[string]string{name: v}, nil); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want an error naming the variable", name, v, err)
		}
	}
	c, err = load(t, map[string]string{"TENANTDESK_SESSION_IDLE_TIMEOUT": "48h"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(ModeDemo); err == nil || !strings.Contains(err.Error(), "TENANTDESK_SESSION_MAX_AGE") {
		t.Errorf("idle timeout longer than the max age: %v", err)
	}
}

func TestSSPRSettings(t *testing.T) {
	c, err := load(t, map[string]string{"TENANTDESK_SSPR_MAX_MESSAGE_SIZE": "512KB", "TENANTDESK_SSPR_WINDOW_BEFORE": "3h",
		"TENANTDESK_SSPR_WINDOW_AFTER": "30m", "TENANTDESK_SSPR_TRUSTED_ARC_SEALERS": "Mimecast.com, pphosted.com."}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SSPRMaxBytes != 512<<10 || c.SSPRWindowBefore != 3*time.Hour || c.SSPRWindowAfter != 30*time.Minute ||
		strings.Join(c.SSPRTrustedARCSealers, ",") != "mimecast.com,pphosted.com" {
		t.Fatalf("%+v", c)
	}
	for _, size := range []string{"10MB", "10M", "10MiB", "10485760", "10 mb"} {
		if n, err := parseSize(size); err != nil || n != 10<<20 {
			t.Errorf("parseSize(%q) = %d, %v", size, n, err)
		}
	}
	for _, bad := range []string{"", "x", "-1MB", "1KB", "101MB", "1e9", "10 GB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) succeeded", bad)
		}
	}
	if _, err := load(t, map[string]string{"TENANTDESK_SSPR_TRUSTED_ARC_SEALERS": "https://x"}, nil); err == nil {
		t.Error("a URL taken for a sealer domain")
	}
	c = Default()
	c.SSPRWindowBefore = 30 * 24 * time.Hour
	if err := c.Validate(ModeDemo); err == nil || !strings.Contains(err.Error(), "SSPR_WINDOW") {
		t.Errorf("a month-long window: %v", err)
	}
}

// The README's configuration table is exactly what `tenantdesk config` prints: every setting
// is documented, with its default.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), ReferenceMarkdown()) {
		t.Error("README.md's configuration table is not ReferenceMarkdown(): run `go run ./cmd/tenantdesk config` and paste it")
	}
}

func TestHardeningSettings(t *testing.T) {
	c, err := load(t, map[string]string{
		"TENANTDESK_RATE_LIMIT_WRITES": "60", "TENANTDESK_RATE_LIMIT_REFUSED": "1_000", "TENANTDESK_ACTIVITY_RETENTION": "90d",
		"TENANTDESK_ACTIVITY_COLLAPSE_WINDOW": "5m", "TENANTDESK_ACTIVITY_ANONYMOUS_ENTRIES": "20",
		"TENANTDESK_SESSION_ROLE_CHECK": "15m", "TENANTDESK_GRAPH_LIVE_TIMEOUT": "1500ms",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.RateWrites != 60 || c.RateRefused != 1000 || c.ActivityRetention != 90*24*time.Hour || c.ActivityCollapseWindow != 5*time.Minute ||
		c.ActivityAnonymousRows != 20 || c.SessionRoleCheck != 15*time.Minute || c.GraphLiveTimeout != 1500*time.Millisecond {
		t.Errorf("loaded %+v", c.Redacted())
	}
	if !strings.Contains(c.String(), "TENANTDESK_ACTIVITY_RETENTION=90d\n") {
		t.Error("retention not printed in days")
	}
	for k, v := range map[string]string{
		"TENANTDESK_RATE_LIMIT_WRITES": "0", "TENANTDESK_RATE_LIMIT_SIGN_IN": "many", "TENANTDESK_RATE_LIMIT_REFUSED": "-5",
		"TENANTDESK_ACTIVITY_RETENTION": "0d", "TENANTDESK_ACTIVITY_ANONYMOUS_ENTRIES": "2000000",
		"TENANTDESK_SESSION_ROLE_CHECK": "often", "TENANTDESK_GRAPH_LIVE_TIMEOUT": "-1s",
	} {
		if _, err := load(t, map[string]string{k: v}, nil); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
	for k, v := range map[string]string{
		"TENANTDESK_SESSION_ROLE_CHECK": "10s", "TENANTDESK_ACTIVITY_RETENTION": "2h",
		"TENANTDESK_ACTIVITY_COLLAPSE_WINDOW": "30s", "TENANTDESK_GRAPH_LIVE_TIMEOUT": "5m", "TENANTDESK_GRAPH_LIVE_RETRY": "3h",
	} {
		c, err := load(t, map[string]string{k: v}, nil)
		if err != nil {
			t.Fatalf("%s=%s: %v", k, v, err)
		}
		if err := c.Validate(ModeDemo); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s validates: %v", k, v, err)
		}
	}
}
