// Package config is tenantdesk's configuration: one Config struct, filled from defaults, then
// TENANTDESK_* environment variables (secrets also from *_FILE), then command-line flags, and
// validated per subcommand. Every setting is declared once, in the vars table below, which
// also feeds the flags, the redacted printout and the README's reference table.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Clouds tenantdesk can talk to.
const (
	CloudGlobal   = "global"   // Microsoft's public cloud
	CloudUSGov    = "usgov"    // GCC High (L4)
	CloudUSGovDoD = "usgovdod" // DoD (L5)
	CloudChina    = "china"    // operated by 21Vianet
)

// Mode is what the configuration is validated for: each subcommand needs different settings.
type Mode int

// Modes of Validate.
const (
	ModeDemo    Mode = iota + 1 // in-process simulator: nearly nothing needed
	ModeServe                   // a real tenant (or a separately run simulator) plus sign-in
	ModeRefresh                 // one sync from the command line: Graph settings only
)

func (m Mode) String() string {
	switch m {
	case ModeDemo:
		return "demo"
	case ModeServe:
		return "serve"
	case ModeRefresh:
		return "refresh"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// Config is the whole application's configuration.
type Config struct {
	Listen       string // address of the web server
	DataDir      string // where the database and generated keys live
	DatabasePath string // "" means DataDir/tenantdesk.db; see DBPath

	Cloud               string // CloudGlobal, ...
	TenantID            string // Entra tenant id (GUID) or primary domain
	ClientID            string // app registration used for Graph (app-only)
	ClientSecret        string // secret
	CertificateFile     string // PEM or PKCS#12 with the app's certificate and key
	CertificatePassword string // secret

	// Overrides for a separately running simulator (or a proxy): Graph base URL with /v1.0,
	// token authority, and a CA certificate file to trust.
	GraphURL     string
	AuthorityURL string
	CAFile       string

	// Dashboard sign-in (OpenID Connect). Empty client id and secret mean the Graph app's.
	OIDCIssuer       string // "" means derived from the cloud's authority and the tenant
	OIDCClientID     string
	OIDCClientSecret string // secret
	PublicURL        string // the dashboard's external URL, for redirects and secure cookies

	SessionKeys    []string       // secret; first signs, all verify (rotation); empty = generated once
	TrustedProxies []netip.Prefix // reverse proxies whose X-Forwarded-* headers are believed

	// Password-reset request check: the size limit of a message, the audit window around its
	// time, and the gateways whose ARC results count (Exchange's trusted ARC sealers).
	SSPRMaxBytes          int64
	SSPRWindowBefore      time.Duration
	SSPRWindowAfter       time.Duration
	SSPRTrustedARCSealers []string

	LicenseCatalogURL string        // "" turns the download off (import a file instead)
	IPRangeDownloads  bool          // download Microsoft 365 endpoints and Azure service tags daily
	SessionIdle       time.Duration // a session unused this long ends
	SessionMaxAge     time.Duration // any session ends this long after sign-in
	SyncInterval      time.Duration // 0 turns the periodic sync off
	LogLevel          slog.Level
	// FullSyncInterval is how often a refresh reads the whole tenant instead of what changed.
	FullSyncInterval time.Duration
	// AlertRepeat is how often an alert that lasts is told again; 0 never.
	AlertRepeat time.Duration
	// AlertWebhook is a webhook URL that receives the alerts, in AlertWebhookFormat (a secret).
	AlertWebhook       string
	AlertWebhookFormat string
	// AlertSMTP* and AlertEmail* give an email channel: the server, its security, the login
	// (AlertSMTPPassword a secret), who sends and who receives.
	AlertSMTPHost, AlertSMTPPort, AlertSMTPSecurity string
	AlertSMTPUser, AlertSMTPPassword                string
	AlertEmailFrom, AlertEmailTo                    string

	// SessionRoleCheck is how often a session's roles are re-read by a silent sign-in.
	SessionRoleCheck time.Duration

	// Rate limits per client address (IPv6: per /64) per minute: the sign-in flow, writes, and
	// refused requests that are answered 403 and recorded (beyond it: 429, not recorded).
	RateSignIn, RateWrites, RateRefused int
	// The activity log: how long entries (and finished jobs) are kept, the window in which one
	// source's refusals are one entry, and the entries anonymous requests may add per window.
	ActivityRetention      time.Duration
	ActivityCollapseWindow time.Duration
	ActivityAnonymousRows  int

	// GraphLiveTimeout bounds what a page waits for Graph (members, audit events);
	// GraphLiveRetry is how long pages stop asking after Graph failed to answer.
	GraphLiveTimeout time.Duration
	GraphLiveRetry   time.Duration

	// App role names in the ID token.
	RoleReader       string
	RoleOperator     string
	RoleLicenseAdmin string
}

// Var describes one setting, for documentation.
type Var struct {
	Env         string // environment variable, e.g. TENANTDESK_LISTEN
	Flag        string // command-line flag without the dash; "" for secrets (env or file only)
	Default     string
	Description string
	Secret      bool   // also read from Env+"_FILE"; never printed
	RequiredFor string // e.g. "serve, refresh"; "" when optional
}

// setting is one row of the table every part of this package works from.
type setting struct {
	Var
	set func(c *Config, v string) error
	get func(c *Config) string
}

const envPrefix = "TENANTDESK_"

var vars = []setting{
	str("LISTEN", "listen", "127.0.0.1:8080", "Address the web server listens on (host:port).", "",
		func(c *Config) *string { return &c.Listen }),
	str("DATA_DIR", "data-dir", "data", "Directory for the database and generated keys.", "",
		func(c *Config) *string { return &c.DataDir }),
	str("DATABASE", "database", "", "SQLite database file; empty means <data dir>/tenantdesk.db.", "",
		func(c *Config) *string { return &c.DatabasePath }),
	{
		Var: Var{Env: envPrefix + "CLOUD", Flag: "cloud", Default: CloudGlobal,
			Description: "Microsoft cloud: global, usgov (GCC High), usgovdod (DoD) or china (21Vianet)."},
		set: setCloud,
		get: func(c *Config) string { return c.Cloud },
	},
	str("TENANT_ID", "tenant-id", "", "Entra tenant id (GUID) or primary domain.", "serve, refresh",
		func(c *Config) *string { return &c.TenantID }),
	str("CLIENT_ID", "client-id", "", "Application (client) id of the app registration used for Microsoft Graph.", "serve, refresh",
		func(c *Config) *string { return &c.ClientID }),
	secret("CLIENT_SECRET", "Client secret of that app; or use a certificate.", "serve, refresh (or a certificate)",
		func(c *Config) *string { return &c.ClientSecret }),
	str("CERTIFICATE_FILE", "certificate-file", "", "PEM or PKCS#12 file with the app's certificate and private key, instead of a client secret.", "",
		func(c *Config) *string { return &c.CertificateFile }),
	secret("CERTIFICATE_PASSWORD", "Password of the certificate file, if it has one.", "",
		func(c *Config) *string { return &c.CertificatePassword }),
	str("GRAPH_URL", "graph-url", "", "Microsoft Graph base URL with /v1.0, to use instead of the cloud's (e.g. a running `tenantdesk sim`).", "",
		func(c *Config) *string { return &c.GraphURL }),
	str("AUTHORITY_URL", "authority-url", "", "Token authority (https) to use instead of the cloud's.", "",
		func(c *Config) *string { return &c.AuthorityURL }),
	str("CA_FILE", "ca-file", "", "PEM file of a CA certificate to trust in addition to the system's (for a simulator or TLS-inspecting proxy).", "",
		func(c *Config) *string { return &c.CAFile }),
	str("OIDC_ISSUER", "oidc-issuer", "", "OpenID Connect issuer for dashboard sign-in; empty means the tenant's Entra issuer.", "",
		func(c *Config) *string { return &c.OIDCIssuer }),
	str("OIDC_CLIENT_ID", "oidc-client-id", "", "Client id for dashboard sign-in; empty means TENANTDESK_CLIENT_ID.", "",
		func(c *Config) *string { return &c.OIDCClientID }),
	secret("OIDC_CLIENT_SECRET", "Client secret for dashboard sign-in; empty means TENANTDESK_CLIENT_SECRET.", "serve (unless the client secret is shared)",
		func(c *Config) *string { return &c.OIDCClientSecret }),
	str("PUBLIC_URL", "public-url", "", "External URL of the dashboard (for sign-in redirects; https makes cookies Secure); empty means http://<listen address>.", "",
		func(c *Config) *string { return &c.PublicURL }),
	{
		Var: Var{Env: envPrefix + "SESSION_KEYS", Secret: true,
			Description: "Comma-separated session cookie keys, each at least 32 characters; the first signs, all verify (rotation). Empty means generated once and kept in the data directory."},
		set: func(c *Config, v string) error { c.SessionKeys = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.SessionKeys, ",") },
	},
	{
		Var: Var{Env: envPrefix + "TRUSTED_PROXIES", Flag: "trusted-proxies",
			Description: "Comma-separated IP addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For/-Proto are trusted."},
		set: setProxies,
		get: func(c *Config) string {
			s := make([]string, len(c.TrustedProxies))
			for i, p := range c.TrustedProxies {
				s[i] = p.String()
			}
			return strings.Join(s, ",")
		},
	},
	{
		Var: Var{Env: envPrefix + "LICENSE_CATALOG_URL", Flag: "license-catalog-url", Default: licensing.DefaultCatalogURL,
			Description: "Where to download Microsoft's product names CSV (weekly); \"off\" turns downloads off (import a file instead)."},
		set: func(c *Config, v string) error {
			if strings.EqualFold(v, "off") || strings.EqualFold(v, "none") {
				v = ""
			}
			c.LicenseCatalogURL = v
			return nil
		},
		get: func(c *Config) string { return c.LicenseCatalogURL },
	},
	{
		Var: Var{Env: envPrefix + "IP_RANGE_DOWNLOADS", Flag: "ip-range-downloads", Default: "on",
			Description: "Download the Microsoft 365 endpoint sets and Azure service tags daily (on), or only import files (off, for sites without internet)."},
		set: func(c *Config, v string) error {
			switch strings.ToLower(v) {
			case "on", "true", "1", "yes":
				c.IPRangeDownloads = true
			case "off", "false", "0", "no":
				c.IPRangeDownloads = false
			default:
				return fmt.Errorf("%q is neither on nor off", v)
			}
			return nil
		},
		get: func(c *Config) string {
			if c.IPRangeDownloads {
				return "on"
			}
			return "off"
		},
	},
	{
		Var: Var{Env: envPrefix + "SSPR_MAX_MESSAGE_SIZE", Flag: "sspr-max-message-size", Default: "10MB",
			Description: "Largest message the password-reset request check reads (e.g. 10MB, 512KB; 1 MB = 1,048,576 bytes)."},
		set: func(c *Config, v string) error {
			n, err := parseSize(v)
			if err != nil {
				return err
			}
			c.SSPRMaxBytes = n
			return nil
		},
		get: func(c *Config) string { return strings.ReplaceAll(model.FormatBytes(c.SSPRMaxBytes), " ", "") },
	},
	duration("SSPR_WINDOW_BEFORE", "sspr-window-before", "2h", "How far before a password-reset mail's time the check looks for the user's reset attempt in the audit log.",
		func(c *Config) *time.Duration { return &c.SSPRWindowBefore }),
	duration("SSPR_WINDOW_AFTER", "sspr-window-after", "15m", "How far after the mail's time the check still counts an attempt (clock skew, delivery delay).",
		func(c *Config) *time.Duration { return &c.SSPRWindowAfter }),
	{
		Var: Var{Env: envPrefix + "SSPR_TRUSTED_ARC_SEALERS", Flag: "sspr-trusted-arc-sealers",
			Description: "Comma-separated domains of mail gateways in front of Exchange Online whose ARC results the password-reset check trusts, as in Exchange's trusted ARC sealers (e.g. mimecast.com)."},
		set: func(c *Config, v string) error {
			c.SSPRTrustedARCSealers = nil
			for _, d := range splitList(v) {
				d = strings.ToLower(strings.Trim(d, "."))
				if !strings.Contains(d, ".") || strings.ContainsAny(d, "/@:") {
					return fmt.Errorf("%q is not a domain name", d)
				}
				c.SSPRTrustedARCSealers = append(c.SSPRTrustedARCSealers, d)
			}
			return nil
		},
		get: func(c *Config) string { return strings.Join(c.SSPRTrustedARCSealers, ",") },
	},
	duration("SESSION_IDLE_TIMEOUT", "session-idle-timeout", "8h", "A dashboard session not used for this long ends (sign in again).",
		func(c *Config) *time.Duration { return &c.SessionIdle }),
	duration("SESSION_MAX_AGE", "session-max-age", "24h", "Any dashboard session ends this long after sign-in, used or not.",
		func(c *Config) *time.Duration { return &c.SessionMaxAge }),
	duration("SESSION_ROLE_CHECK", "session-role-check", "1h", "How often a dashboard session's roles are re-read from the identity provider by a silent sign-in (prompt=none); a role removed there stops working within this time, and a session the provider no longer confirms ends.",
		func(c *Config) *time.Duration { return &c.SessionRoleCheck }),
	count("RATE_LIMIT_SIGN_IN", "rate-limit-sign-in", "30", "Sign-in requests per minute from one client address (IPv6: per /64); more get 429.",
		func(c *Config) *int { return &c.RateSignIn }),
	count("RATE_LIMIT_WRITES", "rate-limit-writes", "120", "State-changing requests (POST) per minute from one client address, checked before anything is recorded; more get 429.",
		func(c *Config) *int { return &c.RateWrites }),
	count("RATE_LIMIT_REFUSED", "rate-limit-refused", "30", "Refused requests (another site's form, a missing role) per minute from one client address that are answered 403 and recorded in the activity log; more get 429 and are not recorded.",
		func(c *Config) *int { return &c.RateRefused }),
	days("ACTIVITY_RETENTION", "activity-retention", "400d", "How long activity log entries and finished jobs are kept (e.g. 400d, 90d); older ones are deleted every hour.",
		func(c *Config) *time.Duration { return &c.ActivityRetention }),
	duration("ACTIVITY_COLLAPSE_WINDOW", "activity-collapse-window", "10m", "Refused requests from one source (a person, or an address when nobody is signed in) within this window are one activity entry with a count.",
		func(c *Config) *time.Duration { return &c.ActivityCollapseWindow }),
	count("ACTIVITY_ANONYMOUS_ENTRIES", "activity-anonymous-entries", "100", "New activity entries that requests without a session may cause per collapse window, from all addresses together; beyond it one entry counts the rest.",
		func(c *Config) *int { return &c.ActivityAnonymousRows }),
	duration("GRAPH_LIVE_TIMEOUT", "graph-live-timeout", "2s", "How long a page waits for what it reads from Microsoft Graph as it renders (a group's members, audit events) before it says Graph is not answering and shows the rest.",
		func(c *Config) *time.Duration { return &c.GraphLiveTimeout }),
	duration("GRAPH_LIVE_RETRY", "graph-live-retry", "30s", "After Graph did not answer a page, how long pages stop asking it (and say so at once) before they try again.",
		func(c *Config) *time.Duration { return &c.GraphLiveRetry }),
	{
		Var: Var{Env: envPrefix + "SYNC_INTERVAL", Flag: "sync-interval", Default: "1h",
			Description: "How often to refresh the snapshot of the tenant (e.g. 15m, 2h): incrementally, reading only what changed, with a full sync every TENANTDESK_FULL_SYNC_INTERVAL; 0 turns the periodic refresh off."},
		set: setInterval,
		get: func(c *Config) string { return formatDuration(c.SyncInterval) },
	},
	duration("FULL_SYNC_INTERVAL", "full-sync-interval", "24h", "How often a refresh reads the whole tenant instead of what changed, catching what Graph's change tracking leaves out (e.g. 12h); at most 7 days, Graph's delta token lifetime.",
		func(c *Config) *time.Duration { return &c.FullSyncInterval }),
	secret("ALERT_WEBHOOK", "A webhook that receives the alerts (a Teams Workflows URL, a Slack incoming webhook, or any receiver of JSON), kept as the alert channel \"environment\" beside those added in the dashboard; https only (http only to this machine).", "",
		func(c *Config) *string { return &c.AlertWebhook }),
	str("ALERT_WEBHOOK_FORMAT", "alert-webhook-format", "teams", "What TENANTDESK_ALERT_WEBHOOK takes: teams (an Adaptive Card message), slack (Block Kit) or json (the alert as it is).", "",
		func(c *Config) *string { return &c.AlertWebhookFormat }),
	str("ALERT_SMTP_HOST", "alert-smtp-host", "", "An SMTP server that mails the alerts (e.g. a relay of your mail system), kept as the alert channel \"environment email\" beside those added in the dashboard; with TENANTDESK_ALERT_EMAIL_FROM and _TO.", "",
		func(c *Config) *string { return &c.AlertSMTPHost }),
	str("ALERT_SMTP_PORT", "alert-smtp-port", "", "Its port; empty means that of TENANTDESK_ALERT_SMTP_SECURITY (587, 465 or 25).", "",
		func(c *Config) *string { return &c.AlertSMTPPort }),
	str("ALERT_SMTP_SECURITY", "alert-smtp-security", "starttls", "starttls (STARTTLS required, never skipped), tls (TLS from the first byte) or none (a relay on this machine only).", "",
		func(c *Config) *string { return &c.AlertSMTPSecurity }),
	str("ALERT_SMTP_USER", "alert-smtp-user", "", "The user name the SMTP server takes; empty for a relay without a login.", "",
		func(c *Config) *string { return &c.AlertSMTPUser }),
	secret("ALERT_SMTP_PASSWORD", "The password of TENANTDESK_ALERT_SMTP_USER.", "",
		func(c *Config) *string { return &c.AlertSMTPPassword }),
	str("ALERT_EMAIL_FROM", "alert-email-from", "", "The address alert mails come from (one the SMTP user may send as).", "",
		func(c *Config) *string { return &c.AlertEmailFrom }),
	str("ALERT_EMAIL_TO", "alert-email-to", "", "Who gets alert mails: addresses separated by commas.", "",
		func(c *Config) *string { return &c.AlertEmailTo }),
	duration("ALERT_REPEAT", "alert-repeat", "24h", "How often an alert whose condition lasts is told again (a daily reminder by default; e.g. 4h); 0 tells it only when it starts and when it ends.",
		func(c *Config) *time.Duration { return &c.AlertRepeat }),
	{
		Var: Var{Env: envPrefix + "LOG_LEVEL", Flag: "log-level", Default: "info",
			Description: "Log level: debug, info, warn or error."},
		set: func(c *Config, v string) error {
			var l slog.Level
			if err := l.UnmarshalText([]byte(v)); err != nil {
				return fmt.Errorf("unknown log level %q: use debug, info, warn or error", v)
			}
			c.LogLevel = l
			return nil
		},
		get: func(c *Config) string { return strings.ToLower(c.LogLevel.String()) },
	},
	str("ROLE_READER", "role-reader", "Reader", "App role name that may look (reports, IP lookup, SSPR verifier).", "",
		func(c *Config) *string { return &c.RoleReader }),
	str("ROLE_OPERATOR", "role-operator", "Operator", "App role name that may also reprocess and refresh.", "",
		func(c *Config) *string { return &c.RoleOperator }),
	str("ROLE_LICENSE_ADMIN", "role-license-admin", "LicenseAdmin", "App role name that may also change license templates.", "",
		func(c *Config) *string { return &c.RoleLicenseAdmin }),
}

func str(name, flagName, def, desc, required string, field func(*Config) *string) setting {
	return setting{
		Var: Var{Env: envPrefix + name, Flag: flagName, Default: def, Description: desc, RequiredFor: required},
		set: func(c *Config, v string) error { *field(c) = v; return nil },
		get: func(c *Config) string { return *field(c) },
	}
}

// duration settings take a positive Go duration such as 30m or 8h.
func duration(name, flagName, def, desc string, field func(*Config) *time.Duration) setting {
	return setting{
		Var: Var{Env: envPrefix + name, Flag: flagName, Default: def, Description: desc},
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("%q is not a positive duration: use e.g. 30m or 8h", v)
			}
			*field(c) = d
			return nil
		},
		get: func(c *Config) string { return formatDuration(*field(c)) },
	}
}

// count settings take a whole number from 1 to 1,000,000.
func count(name, flagName, def, desc string, field func(*Config) *int) setting {
	return setting{
		Var: Var{Env: envPrefix + name, Flag: flagName, Default: def, Description: desc},
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
			if err != nil || n < 1 || n > 1_000_000 {
				return fmt.Errorf("%q is not a whole number from 1 to 1000000", v)
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
	}
}

// days settings take a positive duration in days (400d) or as a Go duration (36h).
func days(name, flagName, def, desc string, field func(*Config) *time.Duration) setting {
	return setting{
		Var: Var{Env: envPrefix + name, Flag: flagName, Default: def, Description: desc},
		set: func(c *Config, v string) error {
			d, err := parseDays(v)
			if err != nil {
				return err
			}
			*field(c) = d
			return nil
		},
		get: func(c *Config) string {
			if d := *field(c); d > 0 && d%(24*time.Hour) == 0 {
				return strconv.Itoa(int(d/(24*time.Hour))) + "d"
			}
			return formatDuration(*field(c))
		},
	}
}

func parseDays(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(strings.ToLower(v), "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 1 || d > 100*365 {
			return 0, fmt.Errorf("%q is not a number of days from 1d to 36500d", v)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration: use e.g. 400d or 36h", v)
	}
	return d, nil
}

// secret settings have no flag: command lines show in process listings.
func secret(name, desc, required string, field func(*Config) *string) setting {
	s := str(name, "", "", desc, required, field)
	s.Secret = true
	return s
}

// Default is the configuration before any environment variable or flag.
func Default() Config {
	var c Config
	for _, s := range vars {
		if s.Default != "" {
			// The defaults are ours and valid; a failure here is caught by the tests.
			_ = s.set(&c, s.Default)
		}
	}
	return c
}

// Error lists every problem found in a configuration, one per line.
type Error struct {
	Context  string // e.g. "serve"
	Problems []string
}

func (e *Error) Error() string {
	head := "configuration is not valid"
	if e.Context != "" {
		head += " for " + e.Context
	}
	return head + ":\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Load builds the configuration from the defaults and the environment. lookupEnv is
// os.LookupEnv and readFile os.ReadFile in production. A variable that is set but empty counts
// as unset. A secret may come from NAME or from the file named by NAME_FILE (not both); the
// file's trailing newline is dropped. Every problem is reported at once.
func Load(lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (Config, error) {
	c := Default()
	var problems []string
	for _, s := range vars {
		v, ok, err := s.lookup(lookupEnv, readFile)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if !ok {
			continue
		}
		if err := s.set(&c, v); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", s.Env, err))
		}
	}
	if len(problems) > 0 {
		return c, &Error{Problems: problems}
	}
	return c, nil
}

func (s setting) lookup(lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (string, bool, error) {
	v, ok := lookupEnv(s.Env)
	v = strings.TrimSpace(v)
	ok = ok && v != ""
	if !s.Secret {
		return v, ok, nil
	}
	path, fileOK := lookupEnv(s.Env + "_FILE")
	path = strings.TrimSpace(path)
	if fileOK && path != "" {
		if ok {
			return "", false, fmt.Errorf("%s and %s_FILE are both set: set only one", s.Env, s.Env)
		}
		b, err := readFile(path)
		if err != nil {
			return "", false, fmt.Errorf("%s_FILE: %w", s.Env, err)
		}
		v = strings.TrimRight(string(b), "\r\n")
		if strings.TrimSpace(v) == "" {
			return "", false, fmt.Errorf("%s_FILE: %s is empty", s.Env, path)
		}
		return v, true, nil
	}
	return v, ok, nil
}

// BindFlags defines a flag for every setting that has one, with the current value as its
// default, so that flags parsed afterwards override the environment. Flags already defined
// in fs are left alone.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	for i := range vars {
		s := &vars[i]
		if s.Flag == "" || fs.Lookup(s.Flag) != nil {
			continue
		}
		fs.Var(flagValue{c, s}, s.Flag, s.Description+" (env "+s.Env+")")
	}
}

type flagValue struct {
	c *Config
	s *setting
}

func (f flagValue) String() string {
	if f.c == nil || f.s == nil { // the flag package calls String on a zero value
		return ""
	}
	return f.s.get(f.c)
}

func (f flagValue) Set(v string) error { return f.s.set(f.c, strings.TrimSpace(v)) }

// Validate checks the configuration for a subcommand and reports every problem at once,
// naming the environment variable to set.
func (c Config) Validate(mode Mode) error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	if host, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" || strings.ContainsAny(host, " /") {
		add("TENANTDESK_LISTEN: %q is not host:port (e.g. 127.0.0.1:8080, or :8080 for every interface)", c.Listen)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		add("TENANTDESK_DATA_DIR must not be empty")
	}
	if err := checkCloud(c.Cloud); err != nil {
		add("TENANTDESK_CLOUD: %v", err)
	}
	checkURL := func(env, v string, httpsOnly bool) {
		if v == "" {
			return
		}
		if err := checkURL(v, httpsOnly); err != nil {
			add("%s: %v", env, err)
		}
	}
	checkURL("TENANTDESK_GRAPH_URL", c.GraphURL, false)
	checkURL("TENANTDESK_AUTHORITY_URL", c.AuthorityURL, true) // azidentity refuses plain http
	checkURL("TENANTDESK_OIDC_ISSUER", c.OIDCIssuer, false)
	checkURL("TENANTDESK_PUBLIC_URL", c.PublicURL, false)
	checkURL("TENANTDESK_LICENSE_CATALOG_URL", c.LicenseCatalogURL, false)
	if c.SessionIdle > c.SessionMaxAge {
		add("TENANTDESK_SESSION_IDLE_TIMEOUT (%s) is longer than TENANTDESK_SESSION_MAX_AGE (%s): the idle limit would never apply", formatDuration(c.SessionIdle), formatDuration(c.SessionMaxAge))
	}
	if c.SSPRWindowBefore > 7*24*time.Hour || c.SSPRWindowAfter > 24*time.Hour {
		add("TENANTDESK_SSPR_WINDOW_BEFORE (%s) or TENANTDESK_SSPR_WINDOW_AFTER (%s) is too long: a reset attempt comes minutes before its mail; use at most 7 days before and 1 day after", formatDuration(c.SSPRWindowBefore), formatDuration(c.SSPRWindowAfter))
	}
	if c.SessionRoleCheck < time.Minute {
		add("TENANTDESK_SESSION_ROLE_CHECK: %s is too short: every page would send the browser to the identity provider; use at least 1m", formatDuration(c.SessionRoleCheck))
	}
	if c.ActivityRetention < 24*time.Hour {
		add("TENANTDESK_ACTIVITY_RETENTION: %s is too short: keep the activity log at least 1d", formatDuration(c.ActivityRetention))
	}
	if c.ActivityCollapseWindow < time.Minute || c.ActivityCollapseWindow > 24*time.Hour {
		add("TENANTDESK_ACTIVITY_COLLAPSE_WINDOW: %s is outside 1m to 24h", formatDuration(c.ActivityCollapseWindow))
	}
	if c.GraphLiveTimeout < 200*time.Millisecond || c.GraphLiveTimeout > time.Minute {
		add("TENANTDESK_GRAPH_LIVE_TIMEOUT: %s is outside 200ms to 1m", formatDuration(c.GraphLiveTimeout))
	}
	if c.GraphLiveRetry > time.Hour {
		add("TENANTDESK_GRAPH_LIVE_RETRY: %s is longer than 1h: pages would not notice Graph answering again", formatDuration(c.GraphLiveRetry))
	}
	if c.SyncInterval < 0 || (c.SyncInterval > 0 && c.SyncInterval < time.Minute) {
		add("TENANTDESK_SYNC_INTERVAL: %s is too short: use at least 1m, or 0 to turn the periodic sync off", c.SyncInterval)
	}
	switch c.AlertWebhookFormat {
	case "teams", "slack", "json":
	default:
		add("TENANTDESK_ALERT_WEBHOOK_FORMAT: %q is not teams, slack or json", c.AlertWebhookFormat)
	}
	if c.AlertWebhook != "" {
		if _, err := alerts.CheckWebhookURL(c.AlertWebhook); err != nil {
			add("TENANTDESK_ALERT_WEBHOOK: %s", err)
		}
	}
	if c.AlertSMTPHost != "" {
		if _, err := alerts.CheckEmail(c.AlertEmailInput()); err != nil {
			add("TENANTDESK_ALERT_%s: %s", envOfEmailField(err), err)
		}
	} else if c.AlertEmailTo != "" || c.AlertEmailFrom != "" || c.AlertSMTPUser != "" || c.AlertSMTPPassword != "" {
		add("TENANTDESK_ALERT_SMTP_HOST is required for the alert email settings that are set")
	}
	if c.AlertRepeat != 0 && (c.AlertRepeat < time.Minute || c.AlertRepeat > 30*24*time.Hour) {
		add("TENANTDESK_ALERT_REPEAT: %s is outside 1m to 30 days (0 never repeats)", formatDuration(c.AlertRepeat))
	}
	if c.FullSyncInterval < time.Minute || c.FullSyncInterval > 7*24*time.Hour {
		add("TENANTDESK_FULL_SYNC_INTERVAL: %s is outside 1m to 7 days (Graph keeps a delta token for 7 days)", formatDuration(c.FullSyncInterval))
	}
	for i, k := range c.SessionKeys {
		if len(k) < 32 {
			add("TENANTDESK_SESSION_KEYS: key %d has %d characters, needs at least 32 (e.g. from `openssl rand -hex 32`)", i+1, len(k))
		}
	}
	roles := map[string]string{}
	for _, r := range []struct{ env, v string }{
		{"TENANTDESK_ROLE_READER", c.RoleReader},
		{"TENANTDESK_ROLE_OPERATOR", c.RoleOperator},
		{"TENANTDESK_ROLE_LICENSE_ADMIN", c.RoleLicenseAdmin},
	} {
		switch other, dup := roles[r.v]; {
		case strings.TrimSpace(r.v) == "":
			add("%s must not be empty", r.env)
		case dup:
			add("%s and %s are both %q: each role needs its own name", other, r.env, r.v)
		default:
			roles[r.v] = r.env
		}
	}
	if c.CertificatePassword != "" && c.CertificateFile == "" {
		add("TENANTDESK_CERTIFICATE_PASSWORD is set but TENANTDESK_CERTIFICATE_FILE is not")
	}

	if mode == ModeServe || mode == ModeRefresh {
		if c.TenantID == "" {
			add("TENANTDESK_TENANT_ID is required for %s: the Entra tenant id (GUID) or primary domain", mode)
		} else if strings.ContainsAny(c.TenantID, " /\\?#") {
			add("TENANTDESK_TENANT_ID: %q is not a tenant id or domain", c.TenantID)
		}
		if c.ClientID == "" {
			add("TENANTDESK_CLIENT_ID is required for %s: the application (client) id of the app registration", mode)
		}
		switch {
		case c.ClientSecret == "" && c.CertificateFile == "":
			add("a credential is required for %s: set TENANTDESK_CLIENT_SECRET (or TENANTDESK_CLIENT_SECRET_FILE) or TENANTDESK_CERTIFICATE_FILE", mode)
		case c.ClientSecret != "" && c.CertificateFile != "":
			add("TENANTDESK_CLIENT_SECRET and TENANTDESK_CERTIFICATE_FILE are both set: choose one credential")
		}
	}
	if mode == ModeServe {
		if id, _ := c.OIDCClient(); id == "" {
			add("TENANTDESK_OIDC_CLIENT_ID (or TENANTDESK_CLIENT_ID) is required for serve: the app used for dashboard sign-in")
		}
		if _, secret := c.OIDCClient(); secret == "" {
			add("TENANTDESK_OIDC_CLIENT_SECRET (or TENANTDESK_OIDC_CLIENT_SECRET_FILE) is required for serve: dashboard sign-in needs a client secret, and TENANTDESK_CLIENT_SECRET is not set to share")
		}
	}
	if len(p) > 0 {
		return &Error{Context: mode.String(), Problems: p}
	}
	return nil
}

// DBPath is the database file: DatabasePath, or tenantdesk.db in DataDir.
func (c Config) DBPath() string {
	if c.DatabasePath != "" {
		return c.DatabasePath
	}
	return filepath.Join(c.DataDir, "tenantdesk.db")
}

// OIDCClient is the client id and secret for dashboard sign-in: the OIDC ones, else the
// Graph app's (one app registration can serve both).
func (c Config) OIDCClient() (id, secret string) {
	id, secret = c.OIDCClientID, c.OIDCClientSecret
	if id == "" {
		id = c.ClientID
	}
	if secret == "" && (c.OIDCClientID == "" || c.OIDCClientID == c.ClientID) {
		secret = c.ClientSecret
	}
	return id, secret
}

// BaseURL is the dashboard's external URL without a trailing slash: PublicURL, else
// http://<Listen>, with a wildcard host shown as localhost.
func (c Config) BaseURL() string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return "http://" + c.Listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

const redacted = "REDACTED"

// Redacted is a copy with every secret that is set replaced by "REDACTED".
func (c Config) Redacted() Config {
	for _, p := range []*string{&c.ClientSecret, &c.CertificatePassword, &c.OIDCClientSecret} {
		if *p != "" {
			*p = redacted
		}
	}
	if len(c.SessionKeys) > 0 {
		keys := make([]string, len(c.SessionKeys))
		for i := range keys {
			keys[i] = redacted
		}
		c.SessionKeys = keys
	}
	return c
}

// String lists every setting as ENV=value, one per line, with secrets redacted.
func (c Config) String() string {
	var b strings.Builder
	for _, s := range vars {
		b.WriteString(s.Env)
		b.WriteByte('=')
		b.WriteString(c.display(s))
		b.WriteByte('\n')
	}
	return b.String()
}

// GoString keeps %#v from printing secrets.
func (c Config) GoString() string { return "config.Config{\n" + c.String() + "}" }

// LogValue keeps secrets out of structured logs.
func (c Config) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(vars))
	for _, s := range vars {
		attrs = append(attrs, slog.String(strings.ToLower(strings.TrimPrefix(s.Env, envPrefix)), c.display(s)))
	}
	return slog.GroupValue(attrs...)
}

func (c Config) display(s setting) string {
	v := s.get(&c)
	if s.Secret && v != "" {
		return redacted
	}
	return v
}

// Reference lists every setting for documentation, in a stable order.
func Reference() []Var {
	out := make([]Var, len(vars))
	for i, s := range vars {
		out[i] = s.Var
	}
	return out
}

// ReferenceMarkdown renders Reference as the README's Markdown table.
func ReferenceMarkdown() string {
	var b strings.Builder
	b.WriteString("| Environment variable | Flag | Default | Required for | Description |\n")
	b.WriteString("|---|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, v := range Reference() {
		env := "`" + v.Env + "`"
		if v.Secret {
			env += " or `" + v.Env + "_FILE`"
		}
		fl := ""
		if v.Flag != "" {
			fl = "`-" + v.Flag + "`"
		}
		def := ""
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", env, fl, cell(def), cell(v.RequiredFor), cell(v.Description))
	}
	return b.String()
}

func setCloud(c *Config, v string) error {
	v = strings.ToLower(v)
	if err := checkCloud(v); err != nil {
		return err
	}
	c.Cloud = v
	return nil
}

func checkCloud(v string) error {
	switch v {
	case CloudGlobal, CloudUSGov, CloudUSGovDoD, CloudChina:
		return nil
	}
	return fmt.Errorf("unknown cloud %q: use global, usgov, usgovdod or china", v)
}

func setInterval(c *Config, v string) error {
	if v == "0" || strings.EqualFold(v, "off") {
		c.SyncInterval = 0
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration: use e.g. 30m or 2h, or 0 to turn it off", v)
	}
	if d < 0 {
		return fmt.Errorf("%q is negative: use e.g. 30m or 2h, or 0 to turn it off", v)
	}
	c.SyncInterval = d
	return nil
}

func setProxies(c *Config, v string) error {
	var out []netip.Prefix
	var bad []string
	for _, s := range splitList(v) {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		} else {
			bad = append(bad, fmt.Sprintf("%q", s))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("not an IP address or CIDR prefix: %s", strings.Join(bad, ", "))
	}
	c.TrustedProxies = out
	return nil
}

// splitList splits a comma- or whitespace-separated list, dropping empty items.
// parseSize reads a size such as 10MB, 10M, 512KB or 1048576 (1 MB = 1,048,576 bytes) between
// 64 KB and 100 MB.
func parseSize(v string) (int64, error) {
	s := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(v), " ", ""))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"MIB", 1 << 20}, {"MB", 1 << 20}, {"M", 1 << 20}, {"KIB", 1 << 10}, {"KB", 1 << 10}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (100<<20)/mult {
		return 0, fmt.Errorf("%q is not a size up to 100MB: use e.g. 10MB or 512KB", v)
	}
	if n*mult < 64<<10 {
		return 0, fmt.Errorf("%q is too small: a message needs at least 64KB", v)
	}
	return n * mult, nil
}

func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

// checkURL accepts absolute http and https URLs without credentials; httpsOnly refuses http.
func checkURL(v string, httpsOnly bool) error {
	u, err := url.Parse(v)
	if err != nil {
		return fmt.Errorf("%q is not a URL", v)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%q is not an absolute http(s) URL", v)
	}
	if u.User != nil {
		return errors.New("credentials in the URL are not allowed: use the secret settings")
	}
	if u.Scheme == "http" && httpsOnly {
		return fmt.Errorf("%q must use https", v)
	}
	return nil
}

func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	// 1h0m0s reads better as 1h.
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// AlertEmailInput is the email channel the configuration gives, as the dashboard's form would
// type it.
func (c Config) AlertEmailInput() alerts.ChannelInput {
	return alerts.ChannelInput{SMTPHost: c.AlertSMTPHost, SMTPPort: c.AlertSMTPPort, SMTPSecurity: c.AlertSMTPSecurity,
		SMTPUser: c.AlertSMTPUser, SMTPPassword: c.AlertSMTPPassword, From: c.AlertEmailFrom, To: c.AlertEmailTo}
}

// envOfEmailField is the variable (after TENANTDESK_ALERT_) of the email form field err names.
func envOfEmailField(err error) string {
	var ie *model.InputError
	if !errors.As(err, &ie) {
		return "SMTP_HOST"
	}
	switch ie.Field {
	case "from":
		return "EMAIL_FROM"
	case "to":
		return "EMAIL_TO"
	}
	return strings.ToUpper(ie.Field)
}
