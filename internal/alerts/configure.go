package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Config is what configuring alerts writes. *store.Store implements it.
type Config interface {
	AddAlertChannel(ctx context.Context, c model.AlertChannel) (model.AlertChannel, error)
	AlertChannel(ctx context.Context, id int64) (model.AlertChannel, error)
	SetAlertChannel(ctx context.Context, id int64, enabled bool, quiet model.QuietHours) error
	RemoveAlertChannel(ctx context.Context, id int64) error
	SetAlertRuleSettings(ctx context.Context, r model.AlertRuleSettings) error
	QueueTest(ctx context.Context, channelID int64, m model.AlertMessage) (int64, error)
}

// ActivityLog records the changes people make. *store.Store implements it.
type ActivityLog interface {
	AddActivity(ctx context.Context, a model.Activity) error
}

// Configurator changes the alerts' channels and rules, each change recorded in the activity log.
type Configurator struct {
	cfg    Config
	log    ActivityLog
	engine *Engine
	// Configured are the channels the configuration gives, by name, with the setting that
	// gives each: they are removed there, not here.
	Configured map[string]string
}

// NewConfigurator returns a Configurator over cfg and log; engine delivers channel tests.
func NewConfigurator(cfg Config, log ActivityLog, engine *Engine) (*Configurator, error) {
	if cfg == nil || log == nil || engine == nil {
		return nil, errors.New("alerts: the store, the activity log and the engine are required")
	}
	return &Configurator{cfg: cfg, log: log, engine: engine}, nil
}

// ChannelInput is a new channel as typed on the form: a webhook (Format, URL) or email over
// SMTP (the SMTP fields, From, To), with optional quiet hours.
type ChannelInput struct {
	Name string
	Kind string // model.ChannelWebhook or model.ChannelEmail
	// Webhook.
	Format string // model.FormatTeams, FormatSlack or FormatJSON
	URL    string
	// Email.
	SMTPHost     string
	SMTPPort     string // "" means the port of SMTPSecurity: 587, 465 or 25
	SMTPSecurity string // model.SMTPStartTLS, SMTPTLS or SMTPNone
	SMTPUser     string
	SMTPPassword string
	From         string
	To           string // addresses separated by commas, semicolons or new lines
	// Quiet hours: "HH:MM" each, both or neither; Zone an IANA name ("" for UTC).
	QuietStart, QuietEnd, QuietZone string
	Actor                           model.Activity // ActorUPN, ActorName, CorrelationID, RemoteIP
}

// MaxChannelName is the longest channel name.
const MaxChannelName = 80

// AddChannel validates and stores a channel (on). Bad input is an *model.InputError naming its
// field; the secret (webhook URL, SMTP password) is never written to the activity log.
func (c *Configurator) AddChannel(ctx context.Context, in ChannelInput) (ch model.AlertChannel, err error) {
	a := in.Actor
	a.Action, a.TargetName = model.ActionAlertChannel, strings.TrimSpace(in.Name)
	defer c.record(ctx, &a, &err)
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		return ch, &model.InputError{Message: "Give the channel a name.", Field: "name"}
	case utf8.RuneCountInString(name) > MaxChannelName || !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return ch, &model.InputError{Message: fmt.Sprintf("A channel name is at most %d characters, without control characters.", MaxChannelName), Field: "name"}
	}
	if setting, ok := c.ConfiguredBy(name); ok {
		return ch, &model.InputError{Message: fmt.Sprintf("The name %q is the channel %s gives: choose another.", name, setting), Field: "name"}
	}
	quiet, err := ParseQuietHours(in.QuietStart, in.QuietEnd, in.QuietZone)
	if err != nil {
		return ch, err
	}
	ch = model.AlertChannel{Name: name, Kind: in.Kind, Quiet: quiet, Enabled: true}
	switch in.Kind {
	case model.ChannelWebhook:
		switch in.Format {
		case model.FormatTeams, model.FormatSlack, model.FormatJSON:
		default:
			return ch, &model.InputError{Message: "Choose what the webhook takes: a Teams card, a Slack message or generic JSON.", Field: "format"}
		}
		if ch.Secret, err = CheckWebhookURL(in.URL); err != nil {
			return ch, err
		}
		ch.Format = in.Format
	case model.ChannelEmail:
		if ch.Email, err = CheckEmail(in); err != nil {
			return ch, err
		}
		ch.Secret = in.SMTPPassword
	default:
		return ch, &model.InputError{Message: "Choose a webhook or email.", Field: "kind"}
	}
	a.Detail = Destination(ch)
	if !quiet.None() {
		a.Detail += ", quiet " + quiet.String()
	}
	ch, err = c.cfg.AddAlertChannel(ctx, ch)
	if err != nil {
		return ch, err
	}
	a.Target = strconv.FormatInt(ch.ID, 10)
	return ch, nil
}

// ChannelChange is a channel's on/off and quiet hours as typed on the form.
type ChannelChange struct {
	ID                              int64
	Enabled                         bool
	QuietStart, QuietEnd, QuietZone string
	Actor                           model.Activity
}

// ConfiguredBy says whether the configuration gives the channel called name, and by which
// setting.
func (c *Configurator) ConfiguredBy(name string) (string, bool) {
	setting, ok := c.Configured[name]
	return setting, ok
}

// RemoveChannel removes channel id: it is sent nothing more and what was queued for it is
// dropped; what it was sent stays in the history. A channel the configuration gives is refused
// (an *model.InputError naming the setting).
func (c *Configurator) RemoveChannel(ctx context.Context, id int64, actor model.Activity) (err error) {
	a := actor
	a.Action, a.Target = model.ActionAlertChannel, strconv.FormatInt(id, 10)
	defer c.record(ctx, &a, &err)
	ch, err := c.cfg.AlertChannel(ctx, id)
	if err != nil {
		return err
	}
	a.TargetName = ch.Name
	if setting, ok := c.ConfiguredBy(ch.Name); ok {
		return &model.InputError{Message: "The channel " + ch.Name + " is given by " + setting + ": unset it there (then restart) to remove the channel."}
	}
	if err := c.cfg.RemoveAlertChannel(ctx, id); err != nil {
		return err
	}
	a.Detail = "removed (" + Destination(ch) + ")"
	return nil
}

// SetChannel switches a channel on or off and sets its quiet hours. A channel that is off is
// sent nothing, and what was queued for it is dropped (see store.SetAlertChannel).
func (c *Configurator) SetChannel(ctx context.Context, in ChannelChange) (err error) {
	a := in.Actor
	a.Action, a.Target = model.ActionAlertChannel, strconv.FormatInt(in.ID, 10)
	defer c.record(ctx, &a, &err)
	ch, err := c.cfg.AlertChannel(ctx, in.ID)
	if err != nil {
		return err
	}
	a.TargetName = ch.Name
	quiet, err := ParseQuietHours(in.QuietStart, in.QuietEnd, in.QuietZone)
	if err != nil {
		return err
	}
	if err := c.cfg.SetAlertChannel(ctx, in.ID, in.Enabled, quiet); err != nil {
		return err
	}
	a.Detail = map[bool]string{true: "on", false: "off"}[in.Enabled] + ", quiet hours " + quiet.String()
	return nil
}

// CheckWebhookURL says whether s can be a webhook: an absolute https URL, or http to this
// machine only (a local relay); anything else is an *model.InputError on field "url".
func CheckWebhookURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (string, error) {
		return "", &model.InputError{Message: "This webhook URL cannot be used: " + why, Field: "url"}
	}
	if s == "" {
		return bad("it is empty.")
	}
	if len(s) > 4096 {
		return bad("it is longer than 4096 characters.")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return bad("it is not an absolute URL (https://host/path), or it holds a user name.")
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return bad("plain http is only for a relay on this machine; use https.")
		}
	default:
		return bad("it must start with https://.")
	}
	return u.String(), nil
}

// MaskSecret shows a webhook URL without what makes it a secret: its scheme and host, and how
// much is hidden.
func MaskSecret(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Sprintf("(%d characters hidden)", utf8.RuneCountInString(s))
	}
	prefix := u.Scheme + "://" + u.Host
	return fmt.Sprintf("%s/… (%d characters hidden)", prefix, utf8.RuneCountInString(s)-len(prefix))
}

// RuleChange is a rule's on/off and thresholds as typed on the form, by threshold key.
type RuleChange struct {
	Rule       string
	Enabled    bool
	Thresholds map[string]string
	Actor      model.Activity
}

// SetRule validates and stores a rule's settings; a threshold that is not a whole number in
// its range is an *model.InputError naming it.
func (c *Configurator) SetRule(ctx context.Context, in RuleChange) (err error) {
	a := in.Actor
	a.Action, a.Target = model.ActionAlertRule, in.Rule
	defer c.record(ctx, &a, &err)
	r, ok := RuleByName(in.Rule)
	if !ok {
		return &model.NotFoundError{What: "alert rule", ID: in.Rule}
	}
	a.TargetName = r.Title
	raw := map[string]int{}
	var problems []string
	for k, v := range in.Thresholds {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %q is not a whole number", k, v))
			continue
		}
		raw[k] = n
	}
	if len(problems) > 0 {
		return &model.InputError{Message: "These thresholds cannot be used:", Problems: problems}
	}
	s := r.Defaults()
	if err := r.setThresholds(&s, raw); err != nil {
		return err
	}
	settings, err := json.Marshal(s.Thresholds)
	if err != nil {
		return err
	}
	if err := c.cfg.SetAlertRuleSettings(ctx, model.AlertRuleSettings{Rule: r.Name, Enabled: in.Enabled, Settings: string(settings), UpdatedBy: in.Actor.ActorUPN}); err != nil {
		return err
	}
	a.Detail = fmt.Sprintf("on %v, thresholds %s", in.Enabled, settings)
	return nil
}

// SendTest sends a test message to channel id now, whatever its quiet hours, and returns its
// delivery: sent, or failed with why (a test is tried once; the activity log records the
// outcome). The error is for what kept the test from being tried: no such channel, a channel
// that is off, the store.
func (c *Configurator) SendTest(ctx context.Context, id int64, actor model.Activity) (d model.AlertDelivery, err error) {
	a := actor
	a.Action, a.Target = model.ActionAlertTest, strconv.FormatInt(id, 10)
	defer c.record(ctx, &a, &err)
	ch, err := c.cfg.AlertChannel(ctx, id)
	if err != nil {
		return d, err
	}
	a.TargetName = ch.Name
	if !ch.Enabled {
		return d, &model.InputError{Message: "The channel " + ch.Name + " is off: switch it on to send it a test."}
	}
	now := c.engine.Now()
	who := actor.ActorName
	if who == "" {
		who = actor.ActorUPN
	}
	deliveryID, err := c.cfg.QueueTest(ctx, id, model.AlertMessage{
		Kind: model.AlertTest, Rule: "test", Subject: "channel:" + a.Target,
		Title:   "tenantdesk can reach this channel",
		Summary: "A test sent by " + who + ". Alerts about licensing will arrive here.",
		Link:    c.engine.link("/alerts"), Since: now, At: now,
	})
	if err != nil {
		return d, err
	}
	if d, err = c.engine.sendNow(ctx, deliveryID); err != nil {
		return d, err
	}
	if d.Status != "sent" {
		a.Result, a.Detail = model.ActivityFailed, d.Error
	}
	return d, nil
}

// record writes a's outcome (err) to the activity log; a failure to log fails a change that
// worked.
func (c *Configurator) record(ctx context.Context, a *model.Activity, err *error) {
	switch {
	case errors.Is(*err, model.ErrInvalid), errors.Is(*err, model.ErrNotFound):
		a.Result, a.Detail = model.ActivityRefused, (*err).Error()
	case *err != nil:
		a.Result, a.Detail = model.ActivityFailed, (*err).Error()
	case a.Result == "":
		a.Result = model.ActivityOK
	}
	if logErr := c.log.AddActivity(context.WithoutCancel(ctx), *a); logErr != nil && *err == nil {
		*err = fmt.Errorf("record the alert change: %w", logErr)
	}
}
