package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/alerts/alertstest"
)

// `tenantdesk alerts`: the channel the environment gives listed without its password, a test
// sent through a real SMTP server (its certificate trusted through TENANTDESK_CA_FILE), a
// refused login said with why and exit 1, an unknown channel named with those there are.
func TestAlertsCommand(t *testing.T) {
	ctx := context.Background()
	srv := alertstest.NewSMTPServer(t, "alerts@contoso.edu", "right-pw")
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"TENANTDESK_DATA_DIR": dir, "TENANTDESK_LOG_LEVEL": "error", "TENANTDESK_CA_FILE": ca,
		"TENANTDESK_ALERT_SMTP_HOST": srv.Host, "TENANTDESK_ALERT_SMTP_PORT": strconv.Itoa(srv.Port),
		"TENANTDESK_ALERT_SMTP_USER": "alerts@contoso.edu", "TENANTDESK_ALERT_SMTP_PASSWORD": "right-pw",
		"TENANTDESK_ALERT_EMAIL_FROM": "alerts@contoso.edu", "TENANTDESK_ALERT_EMAIL_TO": "helpdesk@contoso.edu",
	}
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, testEnv(vars, &out, io.Discard), args)
		return out.String(), err
	}
	out, err := cli("alerts", "channels")
	if err != nil || !strings.Contains(out, "environment email") || !strings.Contains(out, "email to helpdesk@contoso.edu through 127.0.0.1:") || strings.Contains(out, "right-pw") {
		t.Fatalf("channels: %v\n%s", err, out)
	}
	if out, err := cli("alerts", "open"); err != nil || !strings.Contains(out, "No open alerts") {
		t.Errorf("open: %v\n%s", err, out)
	}
	out, err = cli("alerts", "test", "Environment Email")
	if err != nil || !strings.Contains(out, "Sent a test to environment email") || len(srv.Messages()) != 1 {
		t.Fatalf("test: %v\n%s (%d mails)", err, out, len(srv.Messages()))
	}
	vars["TENANTDESK_ALERT_SMTP_PASSWORD"] = "wrong-pw"
	if _, err := cli("alerts", "test", "environment email"); err == nil || !strings.Contains(err.Error(), "535") || strings.Contains(err.Error(), "wrong-pw") {
		t.Errorf("refused login: %v", err)
	}
	if _, err := cli("alerts", "test", "nope"); err == nil || !strings.Contains(err.Error(), `"environment email"`) {
		t.Errorf("unknown channel: %v", err)
	}
	for _, args := range [][]string{{"alerts"}, {"alerts", "test"}, {"alerts", "channels", "x"}, {"alerts", "bogus"}} {
		if _, err := cli(args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}
