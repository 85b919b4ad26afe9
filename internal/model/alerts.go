package model

import (
	"fmt"
	"time"
)

// Alert event kinds: an alert's start, a reminder while it lasts, its end, and a channel test.
const (
	AlertFired    = "fired"
	AlertRepeat   = "repeat"
	AlertResolved = "resolved"
	AlertTest     = "test"
)

// Alert channel kinds.
const (
	ChannelWebhook = "webhook"
	ChannelEmail   = "email" // SMTP
)

// Alert channel formats of a webhook.
const (
	FormatTeams = "teams" // a Teams Workflows / Power Automate URL: an Adaptive Card
	FormatSlack = "slack" // a Slack incoming webhook (or compatible: Mattermost, Rocket.Chat)
	FormatJSON  = "json"  // generic JSON: the AlertMessage itself
)

// AlertMessage is what a notification says: built by a rule when its condition starts or lasts,
// kept with the event, and rendered per channel format.
type AlertMessage struct {
	// ID names the notification, the same on every attempt to send it and on every channel,
	// so a receiver that got it before (the answer was lost, and it went again) can tell:
	// "event-N-…" for one alert event, "digest-…" for a digest of several (named by its events:
	// one that gained or lost an event while it waited is a new digest). Set when it is sent.
	ID      string    `json:"id,omitempty"`
	Kind    string    `json:"kind"` // AlertFired, AlertRepeat, AlertResolved or AlertTest
	Rule    string    `json:"rule"`
	Subject string    `json:"subject"`
	Title   string    `json:"title"`
	Summary string    `json:"summary"`         // one or two sentences: what is wrong and why
	Facts   []Fact    `json:"facts,omitempty"` // named values: SKU, available units, groups
	Fix     string    `json:"fix,omitempty"`   // what to do
	Link    string    `json:"link,omitempty"`  // the dashboard page that shows it
	Since   time.Time `json:"since"`           // when the condition started
	At      time.Time `json:"at"`              // when this notification was made
}

// Fact is one named value of an alert message.
type Fact struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// AlertCondition is a rule's condition holding for one subject at an evaluation.
type AlertCondition struct {
	Rule    string
	Subject string
	Message AlertMessage // Kind, Since and At are set by the state machine
	// Level is how bad it is now (e.g. members in error); when Again > 0, an open alert whose
	// level has grown by Again since it was last told is told again at once, not at the
	// reminder.
	Level, Again int
}

// OpenAlert is an alert whose condition lasts (or lasted at the last evaluation).
type OpenAlert struct {
	ID         int64
	Rule       string
	Subject    string
	Title      string
	Level      int // the condition's level when last told
	StartedAt  time.Time
	LastSentAt time.Time
}

// AlertChange is what one evaluation does to one alert: a message of kind AlertFired starts a
// new alert (ID 0); AlertRepeat and AlertResolved name the open alert by ID.
type AlertChange struct {
	ID      int64
	Message AlertMessage
	Level   int // the condition's level told (fired and repeat)
}

// AlertChannel is where notifications go.
type AlertChannel struct {
	ID     int64
	Name   string
	Kind   string // ChannelWebhook or ChannelEmail
	Format string // a webhook's FormatTeams, FormatSlack or FormatJSON; "" for email
	// Secret is the webhook URL, or the SMTP password ("" for a relay without authentication);
	// never shown back in full.
	Secret  string
	Email   EmailSettings // ChannelEmail only
	Quiet   QuietHours
	Enabled bool
	// OffByPerson says a person switched the channel off (not its setting being unset): the
	// configuration applied at the next start keeps it off.
	OffByPerson bool
	CreatedAt   time.Time
}

// SMTP connection security of an email channel.
const (
	SMTPStartTLS = "starttls" // port 587: STARTTLS required
	SMTPTLS      = "tls"      // port 465: TLS from the first byte
	SMTPNone     = "none"     // a relay on this machine only, no TLS
)

// EmailSettings are an email channel's server and addresses; the password is the channel's
// Secret.
type EmailSettings struct {
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Security string   `json:"security"` // SMTPStartTLS, SMTPTLS or SMTPNone
	Username string   `json:"username,omitempty"`
	From     string   `json:"from"`
	To       []string `json:"to"`
}

// QuietHours are when a channel is not notified: from Start to End (minutes after midnight) in
// Zone (an IANA time zone name, "" for UTC); deliveries due then wait until End. Start == End
// means none. A span past midnight (22:00-07:00) is allowed.
type QuietHours struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Zone  string `json:"zone,omitempty"`
}

// AlertDelivery is one event due to one channel, from the outbox.
type AlertDelivery struct {
	ID       int64
	EventID  int64
	Channel  AlertChannel
	Message  AlertMessage
	Attempts int
	Status   string // "pending", "sent", or "failed" (a channel test, tried once)
	NextAt   time.Time
	SentAt   time.Time
	Error    string
}

// AlertRuleSettings are a rule's on/off and thresholds as stored; Settings is the rule's JSON.
type AlertRuleSettings struct {
	Rule      string
	Enabled   bool
	Settings  string
	UpdatedAt time.Time
	UpdatedBy string
}

// None says whether q has no quiet hours.
func (q QuietHours) None() bool { return q.Start == q.End }

// String is q as a person reads it: "22:00–07:00 Europe/Berlin", or "none".
func (q QuietHours) String() string {
	if q.None() {
		return "none"
	}
	zone := q.Zone
	if zone == "" {
		zone = "UTC"
	}
	return fmt.Sprintf("%02d:%02d–%02d:%02d %s", q.Start/60, q.Start%60, q.End/60, q.End%60, zone)
}
