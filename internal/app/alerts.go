package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
)

// NewAlerts is the alerts engine as the configuration says (links to the public URL, the repeat
// interval, the channels the environment gives), over st; hs computes the license health for
// its health rules (nil: they do not run, as for `tenantdesk alerts test`).
func NewAlerts(ctx context.Context, cfg config.Config, st *store.Store, hs alerts.Health, logger *slog.Logger) (*alerts.Engine, error) {
	al, err := alerts.New(st, st, logger.With("component", "alerts"))
	if err != nil {
		return nil, err
	}
	al.BaseURL = cfg.BaseURL()
	if hs != nil {
		al.Health = hs
	}
	al.Errors = st
	al.Repeat = cfg.AlertRepeat
	if al.Repeat == 0 {
		al.Repeat = -1 // told when it starts and ends only
	}
	al.Sender = &alerts.Sender{UserAgent: "tenantdesk/" + Version}
	if cfg.CAFile != "" {
		// TENANTDESK_CA_FILE is trusted by every TLS connection tenantdesk makes: a
		// TLS-inspecting proxy in front of the webhooks, an internal CA of the SMTP relay.
		pool, err := trustedRoots(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		al.Sender.RootCAs = pool
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		al.Sender.Client = &http.Client{Timeout: alerts.DefaultTimeout, Transport: tr}
	}
	if err := ConfigureAlertChannel(ctx, cfg, st, false); err != nil {
		return nil, err
	}
	return al, nil
}

// trustedRoots are the system's certificate authorities and those in the PEM file path.
func trustedRoots(path string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("TENANTDESK_CA_FILE: %w", err)
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("TENANTDESK_CA_FILE %s: no PEM certificate in it", path)
	}
	return pool, nil
}

// EnvChannel and EnvEmailChannel are the names of the alert channels TENANTDESK_ALERT_WEBHOOK
// and TENANTDESK_ALERT_SMTP_HOST give.
const (
	EnvChannel      = "environment"
	EnvEmailChannel = "environment email"
)

// ConfiguredChannels are the channels the configuration gives, with the setting of each.
func ConfiguredChannels() map[string]string {
	return map[string]string{EnvChannel: "TENANTDESK_ALERT_WEBHOOK", EnvEmailChannel: "TENANTDESK_ALERT_SMTP_HOST"}
}

// ConfigureAlertChannel keeps the channels the configuration gives as it says: the webhook and
// its format, and the email channel, on; with switchOff (the server), each whose setting is
// unset is switched off (its history kept). A command run beside the server, whose environment
// may lack the settings, passes false and switches nothing off.
func ConfigureAlertChannel(ctx context.Context, cfg config.Config, st *store.Store, switchOff bool) error {
	webhook := model.AlertChannel{Name: EnvChannel, Kind: model.ChannelWebhook, Format: cfg.AlertWebhookFormat}
	if cfg.AlertWebhook != "" {
		var err error
		if webhook.Secret, err = alerts.CheckWebhookURL(cfg.AlertWebhook); err != nil {
			return fmt.Errorf("alert channel from TENANTDESK_ALERT_WEBHOOK: %w", err)
		}
	}
	if err := putEnvChannel(ctx, st, webhook, cfg.AlertWebhook != "", switchOff); err != nil {
		return fmt.Errorf("alert channel from TENANTDESK_ALERT_WEBHOOK: %w", err)
	}
	email := model.AlertChannel{Name: EnvEmailChannel, Kind: model.ChannelEmail, Secret: cfg.AlertSMTPPassword}
	if cfg.AlertSMTPHost != "" {
		var err error
		if email.Email, err = alerts.CheckEmail(cfg.AlertEmailInput()); err != nil {
			return fmt.Errorf("alert channel from TENANTDESK_ALERT_SMTP_HOST: %w", err)
		}
	}
	if err := putEnvChannel(ctx, st, email, cfg.AlertSMTPHost != "", switchOff); err != nil {
		return fmt.Errorf("alert channel from TENANTDESK_ALERT_SMTP_HOST: %w", err)
	}
	return nil
}

// putEnvChannel stores ch, on, when set; when not, switches off a channel of its name that an
// earlier configuration gave, keeping its settings and history.
func putEnvChannel(ctx context.Context, st *store.Store, ch model.AlertChannel, set, switchOff bool) error {
	ch.Enabled = set
	if !set && !switchOff {
		return nil
	}
	if !set {
		chs, err := st.AlertChannels(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(chs, func(c model.AlertChannel) bool { return c.Name == ch.Name })
		if i < 0 {
			return nil
		}
		ch = chs[i]
		ch.Enabled = false
	}
	_, err := st.PutAlertChannel(ctx, ch)
	return err
}
