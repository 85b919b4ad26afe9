package web

import "time"

// AlertsView is /alerts: the open alerts, the rules, the channels and the history. Forms are
// there only when CanConfigure (a LicenseAdmin).
type AlertsView struct {
	CanConfigure bool
	Open         []OpenAlertView
	OpenTotal    int    // open alerts in all; Open lists the first of them
	OpenAllHref  string // lists them all ("" when Open has them all or as many as are shown)
	Rules        []AlertRuleView
	Channels     []AlertChannelView
	// AddWebhook and AddEmail are the forms that add a channel (as typed, when refused).
	AddWebhook, AddEmail AddChannelForm
	// Removed names a channel just removed.
	Removed      string
	History      []AlertEntryView
	HistoryTotal int
	Pager        Pager
}

// OpenAlertView is an alert whose condition lasts.
type OpenAlertView struct {
	Title    string
	Href     string // the page it is about ("" when none)
	Rule     string // the rule's title
	Summary  string
	Since    time.Time
	LastSent time.Time
}

// AlertRuleView is one rule: what it watches, on or off, its thresholds, and its form.
type AlertRuleView struct {
	Name, Title, Description string
	Enabled                  bool
	Thresholds               []ThresholdView
	Updated                  string // "by whom, when"; "" when never changed (the defaults)
	Action                   string // where its form posts
	Problem                  *FormProblem
	Saved                    bool
}

// ThresholdView is one threshold of a rule: its value (as typed, when refused) and unit.
type ThresholdView struct {
	Key, Label, Unit, Value string
	Default                 int
	Min, Max                int
}

// AlertChannelView is one channel: where it sends, with the secret masked, its on/off and
// quiet hours (a form for LicenseAdmins), its last test and the test button.
type AlertChannelView struct {
	ID      string
	Name    string
	Kind    string   // "Webhook" or "Email (SMTP)"
	Where   []string // format and masked URL, or server, security, user and addresses
	Enabled bool
	Quiet   string // "none" or "22:00–07:00 Europe/Berlin"
	// QuietStart, QuietEnd ("HH:MM") and QuietZone fill the form (as typed, when refused).
	QuietStart, QuietEnd, QuietZone string
	Action, TestAction              string
	// RemoveAction removes the channel ("" for one the configuration gives: Configured names
	// the setting that does).
	RemoveAction, Configured string
	// ConfiguredOff says why a channel the configuration gives is off ("" when on or not given).
	ConfiguredOff string
	Problem       *FormProblem
	Saved         bool
	// LastTest is the outcome of its latest test (nil: never tested); Tested says it was just
	// sent from this page, so the outcome is announced.
	LastTest *DeliveryView
	Tested   bool
}

// AddChannelForm is the form that adds a webhook or an email channel.
type AddChannelForm struct {
	Action, Kind                    string
	Name, Format, URLNote           string
	SMTPHost, SMTPPort, Security    string
	User, From, To                  string
	QuietStart, QuietEnd, QuietZone string
	Formats, Securities             []Option
	Problem                         *FormProblem
	// ProblemField is the field the problem is about (its id gets aria-invalid).
	ProblemField string
	Added        string // the name of the channel just added
}

// AlertEntryView is one alert (or channel test) of the history with its notifications.
type AlertEntryView struct {
	ID       string // anchor
	Title    string
	Href     string
	Rule     string
	IsTest   bool
	Started  time.Time
	Resolved time.Time // zero while it lasts
	Events   []AlertEventView
	Earlier  int // notifications not listed (older reminders)
}

// AlertEventView is one notification: fired, repeat, resolved or test, and its deliveries.
type AlertEventView struct {
	Kind       string // model.AlertFired ...
	Label      string // "Fired", "Reminder", "Resolved", "Test"
	At         time.Time
	Summary    string
	Deliveries []DeliveryView
}

// DeliveryView is how a notification went to one channel.
type DeliveryView struct {
	Channel    string
	State      string // "sent", "failed" or "waiting"
	Attempts   int
	SentAt     time.Time
	LastAt     time.Time // the last attempt
	NextAt     time.Time
	Error      string
	ChannelOff bool
	// Final says a failed delivery is not tried again (a channel test is tried once).
	Final bool
	At    time.Time // when the notification was made (the test's time)
}
