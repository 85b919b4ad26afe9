package alerts

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html/template"
	"net/textproto"
	"strings"

	"github.com/wneessen/go-mail"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// sendEmail sends m to an email channel through its SMTP server: STARTTLS required (never
// downgraded to plain text) or TLS from the first byte, authenticated with the best mechanism
// the server offers when the channel has a user name. It returns the server's SMTP reply code
// when it refused (0 when there was no answer) and why, without the password.
func (s *Sender) sendEmail(ctx context.Context, c model.AlertChannel, m model.AlertMessage) (int, error) {
	e := c.Email
	msg := mail.NewMsg()
	if err := msg.From(e.From); err != nil {
		return 0, fmt.Errorf("channel %s: the sender %q cannot be used: %v", c.Name, e.From, err)
	}
	if err := msg.To(e.To...); err != nil {
		return 0, fmt.Errorf("channel %s: the recipients cannot be used: %v", c.Name, err)
	}
	msg.Subject("[tenantdesk] " + headline(m))
	msg.SetDateWithValue(m.At)
	msg.SetMessageID()
	if s.UserAgent != "" {
		msg.SetGenHeader(mail.HeaderXMailer, s.UserAgent)
	}
	msg.SetBodyString(mail.TypeTextPlain, emailText(m))
	html, err := emailHTML(m)
	if err != nil {
		return 0, err
	}
	msg.AddAlternativeString(mail.TypeTextHTML, html)

	opts := []mail.Option{
		mail.WithPort(e.Port),
		mail.WithTimeout(s.timeout()),
		mail.WithTLSConfig(&tls.Config{ServerName: e.Host, MinVersion: tls.VersionTLS12, RootCAs: s.RootCAs}),
	}
	switch e.Security {
	case model.SMTPTLS:
		opts = append(opts, mail.WithSSL())
	case model.SMTPStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case model.SMTPNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		return 0, fmt.Errorf("channel %s: unknown connection security %q", c.Name, e.Security)
	}
	if e.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(e.Username), mail.WithPassword(c.Secret))
	}
	client, err := mail.NewClient(e.Host, opts...)
	if err != nil {
		return 0, fmt.Errorf("channel %s: %v", c.Name, err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		why := err.Error()
		if c.Secret != "" { // a server may echo what it was sent
			why = strings.ReplaceAll(why, c.Secret, "(password)")
		}
		return smtpCode(err), fmt.Errorf("the SMTP server %s:%d did not take it: %s", e.Host, e.Port, why)
	}
	return 250, nil
}

// smtpCode is the SMTP server's reply code in err (535 for refused credentials), 0 when none.
func smtpCode(err error) int {
	var se *mail.SendError
	if errors.As(err, &se) && se.ErrorCode() != 0 {
		return se.ErrorCode()
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// emailText is m as a plain-text mail.
func emailText(m model.AlertMessage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n", headline(m), m.Summary)
	if len(m.Facts) > 0 {
		b.WriteString("\n")
		for _, f := range m.Facts {
			fmt.Fprintf(&b, "%s: %s\n", f.Name, f.Value)
		}
	}
	if m.Fix != "" && m.Kind != model.AlertResolved {
		fmt.Fprintf(&b, "\nWhat to do: %s\n", m.Fix)
	}
	if m.Link != "" {
		fmt.Fprintf(&b, "\nOpen in tenantdesk: %s\n", m.Link)
	}
	fmt.Fprintf(&b, "\nSince %s. Sent by tenantdesk at %s.\n", m.Since.UTC().Format("2 Jan 2006 15:04 MST"), m.At.UTC().Format("2 Jan 2006 15:04 MST"))
	return b.String()
}

// emailTemplate is the HTML part; html/template escapes every value (group names are tenant
// data) and refuses a link that is not http(s).
var emailTemplate = template.Must(template.New("alert").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Headline}}</title></head>
<body style="font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;color:#1b1b1b;max-width:40em">
<h1 style="font-size:20px">{{.Headline}}</h1>
<p>{{.M.Summary}}</p>
{{if .M.Facts}}<table style="border-collapse:collapse">{{range .M.Facts}}<tr><th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">{{.Name}}</th><td style="padding:2px 0">{{.Value}}</td></tr>{{end}}</table>{{end}}
{{if .Fix}}<p><strong>What to do:</strong> {{.Fix}}</p>{{end}}
{{if .M.Link}}<p><a href="{{.M.Link}}">Open in tenantdesk</a></p>{{end}}
<p style="color:#555;font-size:13px">Since {{.Since}}. Sent by tenantdesk at {{.At}}.</p>
</body></html>`))

// emailHTML is m as the HTML part of the mail.
func emailHTML(m model.AlertMessage) (string, error) {
	var b bytes.Buffer
	fix := m.Fix
	if m.Kind == model.AlertResolved {
		fix = ""
	}
	err := emailTemplate.Execute(&b, struct {
		Headline, Fix, Since, At string
		M                        model.AlertMessage
	}{headline(m), fix, m.Since.UTC().Format("2 Jan 2006 15:04 MST"), m.At.UTC().Format("2 Jan 2006 15:04 MST"), m})
	if err != nil {
		return "", fmt.Errorf("alert email: %w", err)
	}
	return b.String(), nil
}
