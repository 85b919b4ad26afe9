package model

import "time"

// Alert event kinds: an alert's start, a reminder while it lasts, its end, and a channel test.
const (
	AlertFired    = "fired"
	AlertRepeat   = "repeat"
	AlertResolved = "resolved"
	AlertTest     = "test"
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
}

// OpenAlert is an alert whose condition lasts (or lasted at the last evaluation).
type OpenAlert struct {
	ID         int64
	Rule       string
	Subject    string
	Title      string
	StartedAt  time.Time
	LastSentAt time.Time
}

// AlertChange is what one evaluation does to one alert: a message of kind AlertFired starts a
// new alert (ID 0); AlertRepeat and AlertResolved name the open alert by ID.
type AlertChange struct {
	ID      int64
	Message AlertMessage
}

// AlertChannel is where notifications go.
type AlertChannel struct {
	ID        int64
	Name      string
	Kind      string // "webhook"
	Format    string // FormatTeams, FormatSlack, FormatJSON
	Secret    string // the webhook URL; never shown back in full
	Enabled   bool
	CreatedAt time.Time
}

// AlertDelivery is one event due to one channel, from the outbox.
type AlertDelivery struct {
	ID       int64
	EventID  int64
	Channel  AlertChannel
	Message  AlertMessage
	Attempts int
	Status   string // "pending" or "sent"
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
