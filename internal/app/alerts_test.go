package app_test

import (
	"context"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

// TENANTDESK_ALERT_WEBHOOK is the channel "environment": added, changed with the setting, off
// (its history kept) when the setting is gone.
func TestConfigureAlertChannel(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	cfg := config.Default()
	if err := app.ConfigureAlertChannel(ctx, cfg, st, true); err != nil {
		t.Fatal(err)
	}
	if chs, _ := st.AlertChannels(ctx); len(chs) != 0 {
		t.Fatalf("a channel without the setting: %+v", chs)
	}
	cfg.AlertWebhook = "https://hooks.slack.com/services/T/B/X"
	cfg.AlertWebhookFormat = model.FormatSlack
	for range 2 {
		if err := app.ConfigureAlertChannel(ctx, cfg, st, true); err != nil {
			t.Fatal(err)
		}
	}
	chs, _ := st.AlertChannels(ctx)
	if len(chs) != 1 || chs[0].Name != app.EnvChannel || chs[0].Format != model.FormatSlack || chs[0].Secret != cfg.AlertWebhook || !chs[0].Enabled {
		t.Fatalf("channels %+v", chs)
	}
	id := chs[0].ID
	cfg.AlertWebhook, cfg.AlertWebhookFormat = "https://prod.logic.azure.com/workflows/x?sig=y", model.FormatTeams
	if err := app.ConfigureAlertChannel(ctx, cfg, st, true); err != nil {
		t.Fatal(err)
	}
	chs, _ = st.AlertChannels(ctx)
	if len(chs) != 1 || chs[0].ID != id || chs[0].Format != model.FormatTeams || chs[0].Secret != cfg.AlertWebhook {
		t.Fatalf("after a change: %+v", chs)
	}
	// Switched off by a person, it stays off when the server starts again with the setting.
	if err := st.SetAlertChannel(ctx, id, false, model.QuietHours{}); err != nil {
		t.Fatal(err)
	}
	if err := app.ConfigureAlertChannel(ctx, cfg, st, true); err != nil {
		t.Fatal(err)
	}
	if chs, _ = st.AlertChannels(ctx); len(chs) != 1 || chs[0].Enabled {
		t.Fatalf("a restart switched on a channel a person had switched off: %+v", chs)
	}
	if err := st.SetAlertChannel(ctx, id, true, model.QuietHours{}); err != nil {
		t.Fatal(err)
	}
	cfg.AlertWebhook = ""
	// A command run beside the server without the setting in its environment switches nothing off.
	if err := app.ConfigureAlertChannel(ctx, cfg, st, false); err != nil {
		t.Fatal(err)
	}
	if chs, _ = st.AlertChannels(ctx); len(chs) != 1 || !chs[0].Enabled {
		t.Fatalf("a command switched the channel off: %+v", chs)
	}
	if err := app.ConfigureAlertChannel(ctx, cfg, st, true); err != nil {
		t.Fatal(err)
	}
	chs, _ = st.AlertChannels(ctx)
	if len(chs) != 1 || chs[0].ID != id || chs[0].Enabled {
		t.Fatalf("after the setting is gone: %+v", chs)
	}
	// Switched off because the setting was gone, it is on again when the setting is back.
	cfg.AlertWebhook = "https://prod.logic.azure.com/workflows/x?sig=y"
	if err := app.ConfigureAlertChannel(ctx, cfg, st, true); err != nil {
		t.Fatal(err)
	}
	if chs, _ = st.AlertChannels(ctx); len(chs) != 1 || chs[0].ID != id || !chs[0].Enabled {
		t.Fatalf("after the setting is back: %+v", chs)
	}
}

// TENANTDESK_ALERT_SMTP_HOST with its companions is the channel "environment email", the
// password kept as its secret; off when the host is unset.
func TestConfigureAlertEmailChannel(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	cfg := config.Default()
	cfg.AlertSMTPHost, cfg.AlertSMTPUser, cfg.AlertSMTPPassword = "smtp.office365.com", "alerts@contoso.edu", "pw"
	cfg.AlertEmailFrom, cfg.AlertEmailTo = "alerts@contoso.edu", "helpdesk@contoso.edu, ada@contoso.edu"
	if err := app.ConfigureAlertChannel(ctx, cfg, st, true); err != nil {
		t.Fatal(err)
	}
	chs, _ := st.AlertChannels(ctx)
	if len(chs) != 1 || chs[0].Name != app.EnvEmailChannel || chs[0].Kind != model.ChannelEmail || chs[0].Secret != "pw" ||
		chs[0].Email.Port != 587 || chs[0].Email.Security != model.SMTPStartTLS || len(chs[0].Email.To) != 2 || !chs[0].Enabled {
		t.Fatalf("channels %+v", chs)
	}
	cfg.AlertSMTPHost = ""
	if err := app.ConfigureAlertChannel(ctx, cfg, st, true); err != nil {
		t.Fatal(err)
	}
	chs, _ = st.AlertChannels(ctx)
	if len(chs) != 1 || chs[0].Enabled || chs[0].Email.Host != "smtp.office365.com" {
		t.Fatalf("after the host is gone: %+v", chs)
	}
}
