package web

import "time"

// SSPRView is the password-reset request check: the form, the demo's sample mails, and the
// result of a check.
type SSPRView struct {
	FormAction string // where the form posts
	APIPath    string // the same check as JSON, for the page's help text
	Message    string // the paste box's text
	MaxSize    string // the size limit in words, e.g. "10 MB"
	Problem    *FormProblem
	Samples    []SSPRSampleView // the demo's, empty elsewhere
	Result     *SSPRResultView
}

// SSPRSampleView is one of the demo's contact-administrator flows with its sample mails.
type SSPRSampleView struct {
	User     string
	At       time.Time
	Variants []SSPRSampleLink
}

// SSPRSampleLink puts a sample into the paste box (PasteHref) or downloads it (EMLHref).
type SSPRSampleLink struct {
	Key, Label, Description, PasteHref, EMLHref string
}

// SSPRResultView is the verdict, what to do, and the findings behind it.
type SSPRResultView struct {
	Verdict   string // genuine, suspicious, spoofed, cannot-tell: also the CSS class
	Headline  string
	Summary   string
	NextSteps []string
	Missing   []string
	Warnings  []string

	User     *SSPRUserView
	Flows    []SSPRFlowView
	Window   string // the time span the audit log was read for, in words
	Checks   []SSPRCheckView
	Ignored  []SSPRIgnoredView
	Message  SSPRMessageView
	JSONNote string
}

// SSPRUserView is the user the mail names.
type SSPRUserView struct {
	UPN, Name, Href string // Href is the user's page; "" when not a user of the tenant
	Found, Enabled  bool
	NamedAs         string // the names the mail gives
	NameMatches     bool
}

// SSPRFlowView is one password-reset flow of the user.
type SSPRFlowView struct {
	CorrelationID string
	Started       time.Time
	Ended         time.Time
	IPAddress     string
	Where         string
	Microsoft     bool
	Outcome       string
	OutcomeText   string
	Matches       bool
	Steps         []SSPRStepView
}

// SSPRStepView is one audit event of a flow.
type SSPRStepView struct {
	At       time.Time
	Activity string
	Result   string
	Reason   string
	Words    string
}

// SSPRCheckView is one header or body check.
type SSPRCheckView struct {
	ID, Title, Status, Message, Source, Value string
}

// SSPRIgnoredView is a header that was not trusted, and why.
type SSPRIgnoredView struct {
	Name   string
	Index  int // 0 when it was in the body
	Value  string
	Reason string
}

// SSPRMessageView is what the page shows of the message: never the body.
type SSPRMessageView struct {
	Format, From, Subject string
	To                    []string
	Date, ReceivedAt      time.Time
	Notes                 []string
}

// ssprStatusWord is a check's status in words, with a sign that does not rely on colour.
func ssprStatusWord(status string) string {
	switch status {
	case "pass":
		return "✓ pass"
	case "warn":
		return "! warn"
	case "fail":
		return "✗ fail"
	}
	return status
}

// dateOrDash is an instant for people, or a dash when there is none.
func dateOrDash(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return DateTime(t)
}
