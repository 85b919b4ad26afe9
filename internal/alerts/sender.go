package alerts

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// DefaultTimeout bounds one delivery attempt.
const DefaultTimeout = 15 * time.Second

// Sender posts notifications to webhook channels and mails them to email channels.
type Sender struct {
	// Client makes the requests (nil means one with DefaultTimeout).
	Client *http.Client
	// UserAgent names tenantdesk to the receiver.
	UserAgent string
	// Timeout bounds one SMTP delivery (0 means DefaultTimeout).
	Timeout time.Duration
	// RootCAs are the certificate authorities an SMTP server's certificate is checked against
	// (nil means the system's).
	RootCAs *x509.CertPool
}

func (s *Sender) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

// Send delivers m to channel c: posted in c's format to a webhook, or mailed. It returns the
// receiver's HTTP status or SMTP reply code (0 when there was no answer) and, unless the receiver
// took it, why not — without the webhook URL or the password, which are secrets.
func (s *Sender) Send(ctx context.Context, c model.AlertChannel, m model.AlertMessage) (int, error) {
	switch c.Kind {
	case model.ChannelWebhook:
	case model.ChannelEmail:
		return s.sendEmail(ctx, c, m)
	default:
		return 0, fmt.Errorf("channel %s: unknown kind %q", c.Name, c.Kind)
	}
	body, err := Payload(c.Format, m)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Secret, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("channel %s: the webhook URL cannot be used: %v", c.Name, stripURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	if s.UserAgent != "" {
		req.Header.Set("User-Agent", s.UserAgent)
	}
	client := &http.Client{Timeout: DefaultTimeout}
	if s.Client != nil {
		c := *s.Client
		client = &c
	}
	// A redirect is an answer, never followed: following it would post the alert (or, turned
	// into a GET, probe) wherever the receiver points, past CheckWebhookURL.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("no answer from the webhook: %v", stripURL(err))
	}
	defer res.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 300))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		why := redactURL(strings.ToValidUTF8(strings.TrimSpace(string(snippet)), ""), c.Secret)
		if res.StatusCode >= 300 && res.StatusCode < 400 {
			return res.StatusCode, fmt.Errorf("the webhook answered %s, a redirect, which tenantdesk does not follow: give the address it redirects to", res.Status)
		}
		if why != "" {
			return res.StatusCode, fmt.Errorf("the webhook answered %s: %s", res.Status, why)
		}
		return res.StatusCode, fmt.Errorf("the webhook answered %s", res.Status)
	}
	return res.StatusCode, nil
}

// redactURL removes from a receiver's answer what would show the webhook URL, a secret: the
// URL, its path and query, and each part of them long enough to be a token (receivers such as
// Express echo "Cannot POST /services/T0/B0/<token>").
func redactURL(s, secret string) string {
	u, err := url.Parse(secret)
	if err != nil || s == "" {
		return s
	}
	parts := []string{secret, u.RequestURI(), u.EscapedPath(), u.Path, u.RawQuery}
	for _, sep := range []string{"/", "&", "=", "?"} {
		for _, p := range []string{u.Path, u.RawQuery} {
			parts = append(parts, strings.Split(p, sep)...)
		}
	}
	slices.SortFunc(parts, func(a, b string) int { return len(b) - len(a) }) // longest first
	for _, p := range parts {
		if len(p) >= 8 {
			s = strings.ReplaceAll(s, p, "(hidden)")
		}
	}
	return s
}

// stripURL drops the URL (a secret) from a request error.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Payload is m as the body a channel of format takes.
func Payload(format string, m model.AlertMessage) ([]byte, error) {
	switch format {
	case model.FormatTeams:
		return json.Marshal(teamsPayload(m))
	case model.FormatSlack:
		return json.Marshal(slackPayload(m))
	case model.FormatJSON:
		return json.Marshal(m)
	}
	return nil, fmt.Errorf("unknown webhook format %q", format)
}

// headline is the title with what kind of notification it is.
func headline(m model.AlertMessage) string {
	switch m.Kind {
	case model.AlertRepeat:
		return "Still: " + m.Title
	case model.AlertTest:
		return "Test: " + m.Title
	}
	return m.Title // a resolved message's title says so itself
}

// teamsPayload is the message a Teams Workflows ("When a Teams webhook request is received")
// or Power Automate flow posts: a message with one Adaptive Card attachment, version 1.4 (the
// highest Teams renders everywhere).
func teamsPayload(m model.AlertMessage) map[string]any {
	body := []any{
		map[string]any{"type": "TextBlock", "text": noLinks(headline(m)), "weight": "Bolder", "size": "Medium", "wrap": true,
			"color": map[bool]string{true: "Good", false: "Attention"}[m.Kind == model.AlertResolved || m.Kind == model.AlertTest]},
		map[string]any{"type": "TextBlock", "text": noLinks(m.Summary), "wrap": true},
	}
	if len(m.Facts) > 0 {
		facts := make([]any, len(m.Facts))
		for i, f := range m.Facts {
			facts[i] = map[string]any{"title": noLinks(f.Name), "value": noLinks(f.Value)}
		}
		body = append(body, map[string]any{"type": "FactSet", "facts": facts})
	}
	if m.Fix != "" && m.Kind != model.AlertResolved {
		body = append(body, map[string]any{"type": "TextBlock", "text": noLinks(m.Fix), "wrap": true, "isSubtle": true})
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
	}
	if m.Link != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open in tenantdesk", "url": m.Link}}
	}
	return map[string]any{
		"type": "message",
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content":     card,
		}},
	}
}

// noLinks keeps tenant text (a group named "[Fix licensing](https://phish.example)") from
// becoming a link in a card, whose text Teams renders as Markdown: a word joiner between "]"
// and "(" leaves it as typed, unlinked. The card's one link is its "Open in tenantdesk" action.
func noLinks(s string) string { return strings.ReplaceAll(s, "](", "]\u2060(") }

// Slack's limits (Block Kit): a header's text, a section's text, a section's fields.
const (
	slackHeaderMax = 150
	slackTextMax   = 3000
	slackFieldMax  = 2000
	slackFields    = 10
)

// slackPayload is a Slack incoming-webhook message (Block Kit, with text as the fallback that
// notifications and Slack-compatible receivers without blocks show).
func slackPayload(m model.AlertMessage) map[string]any {
	text := headline(m) + "\n" + m.Summary
	blocks := []any{
		map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": cut(headline(m), slackHeaderMax)}},
		map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": cut(slackEscape(m.Summary), slackTextMax)}},
	}
	if len(m.Facts) > 0 {
		var fields []any
		for _, f := range m.Facts[:min(len(m.Facts), slackFields)] {
			fields = append(fields, map[string]any{"type": "mrkdwn", "text": cut("*"+slackEscape(f.Name)+"*\n"+slackEscape(f.Value), slackFieldMax)})
		}
		blocks = append(blocks, map[string]any{"type": "section", "fields": fields})
	}
	if m.Fix != "" && m.Kind != model.AlertResolved {
		blocks = append(blocks, map[string]any{"type": "context", "elements": []any{map[string]any{"type": "mrkdwn", "text": cut(slackEscape(m.Fix), slackTextMax)}}})
	}
	if m.Link != "" {
		blocks = append(blocks, map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type": "button", "text": map[string]any{"type": "plain_text", "text": "Open in tenantdesk"}, "url": m.Link}}})
		text += "\n" + m.Link
	}
	return map[string]any{"text": slackEscape(text), "blocks": blocks}
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning (&, <, >), so a group
// named "<!channel>" pings nobody.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// cut shortens s to at most n runes, with an ellipsis when it had more.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
