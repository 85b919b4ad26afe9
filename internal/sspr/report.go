package sspr

import "time"

// Verdict is the answer to "did this user really ask for a password reset".
type Verdict string

// Verdicts, from the best to the worst news, and the one that cannot decide.
const (
	VerdictGenuine    Verdict = "genuine"     // Microsoft sent it and the user's flow ended in "contact your administrator"
	VerdictSuspicious Verdict = "suspicious"  // Microsoft sent it, but no flow of the user explains it
	VerdictSpoofed    Verdict = "spoofed"     // the trusted headers fail, or the sender is not Microsoft's
	VerdictCannotTell Verdict = "cannot-tell" // something needed to decide is missing; Missing says what
)

// ExitCode is the command line's exit status for the verdict: 0 genuine, 1 suspicious, 2
// spoofed, 3 cannot tell (4 is bad input, which has no verdict).
func (v Verdict) ExitCode() int {
	switch v {
	case VerdictGenuine:
		return 0
	case VerdictSuspicious:
		return 1
	case VerdictSpoofed:
		return 2
	}
	return 3
}

// Headline is the verdict in a few words for people.
func (v Verdict) Headline() string {
	switch v {
	case VerdictGenuine:
		return "Genuine request"
	case VerdictSuspicious:
		return "Microsoft's mail, but no matching request"
	case VerdictSpoofed:
		return "Spoofed: not from Microsoft"
	}
	return "Cannot tell"
}

// Status is the outcome of one check.
type Status string

// Statuses of checks.
const (
	StatusPass Status = "pass"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
)

// Check is one header or body check: pass, warn or fail, one plain sentence, and the header it
// came from.
type Check struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	Source  string `json:"source,omitempty"` // e.g. "Authentication-Results (field 3, added by this tenant's Exchange Online)"
	Value   string `json:"value,omitempty"`  // the part of the header the check read
}

// IgnoredHeader is an Authentication-Results (or other trust-bearing field) that was not used,
// and why.
type IgnoredHeader struct {
	Name   string `json:"name"`
	Index  int    `json:"index"` // field number from the top, 1-based
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// MessageInfo is what the report says about the message itself: never the body.
type MessageInfo struct {
	Format     string    `json:"format"`
	From       string    `json:"from,omitempty"`
	To         []string  `json:"to,omitempty"`
	Subject    string    `json:"subject,omitempty"`
	Date       time.Time `json:"date,omitzero"`
	ReceivedAt time.Time `json:"receivedAt,omitzero"` // when this tenant's Exchange Online received it
	HasHeaders bool      `json:"hasHeaders"`
	HasBody    bool      `json:"hasBody"`
	Fields     int       `json:"fields"`
	Notes      []string  `json:"notes,omitempty"`
}

// UserMatch is the user the body names, as the tenant knows them.
type UserMatch struct {
	UPN         string `json:"upn"`                   // as named in the mail
	Found       bool   `json:"found"`                 // a user of the tenant
	ID          string `json:"id,omitempty"`          // object id
	DisplayName string `json:"displayName,omitempty"` // as the directory has it
	Enabled     bool   `json:"enabled"`
	// NamedAs is the first and last name the mail gives, and NameMatches whether they are the
	// directory's.
	NamedAs     string `json:"namedAs,omitempty"`
	NameMatches bool   `json:"nameMatches"`
}

// Outcome is how a password reset flow ended.
type Outcome string

// Outcomes of flows.
const (
	OutcomeContactedAdmin Outcome = "contacted-admin" // the user picked "contact an administrator"
	OutcomeFailed         Outcome = "failed"          // reset refused with a reason that offers contacting an admin
	OutcomeSucceeded      Outcome = "succeeded"
	OutcomeAbandoned      Outcome = "abandoned"
	OutcomeBlocked        Outcome = "blocked"
	OutcomeRegistration   Outcome = "registration" // security info registered, not a reset
	OutcomeUnfinished     Outcome = "unfinished"   // no end logged (yet)
)

// Flow is one self-service password reset attempt: its events grouped by correlation id.
type Flow struct {
	CorrelationID string    `json:"correlationId"`
	Started       time.Time `json:"started"`
	Ended         time.Time `json:"ended"`
	IPAddress     string    `json:"ipAddress,omitempty"`
	// Where says where the IP address is: Microsoft's (which service) or not, in words.
	Where     string  `json:"where,omitempty"`
	Microsoft bool    `json:"microsoft"`
	Outcome   Outcome `json:"outcome"`
	// OutcomeText is how it ended in words.
	OutcomeText string `json:"outcomeText"`
	Steps       []Step `json:"steps"`
	// Matches marks the flow that explains the mail: it ended in contacting an administrator
	// (or a failure that offers it) shortly before the mail.
	Matches bool `json:"matches"`
}

// Step is one audit event of a flow.
type Step struct {
	At       time.Time `json:"at"`
	Activity string    `json:"activity"`
	Result   string    `json:"result"`
	Reason   string    `json:"reason"`
	Words    string    `json:"words"` // the reason in plain words
}

// Report is the whole answer: verdict, what to do, and every finding behind it. It holds
// nothing of the message body.
type Report struct {
	Verdict   Verdict  `json:"verdict"`
	Headline  string   `json:"headline"`
	Summary   string   `json:"summary"`
	NextSteps []string `json:"nextSteps"`
	// Missing says, for "cannot tell", exactly what is missing to decide.
	Missing  []string        `json:"missing,omitempty"`
	Checks   []Check         `json:"checks"`
	Ignored  []IgnoredHeader `json:"ignored,omitempty"`
	Message  MessageInfo     `json:"message"`
	User     *UserMatch      `json:"user,omitempty"`
	Flows    []Flow          `json:"flows"`
	Window   Window          `json:"window"`
	Warnings []string        `json:"warnings,omitempty"` // what could not be read (roles, IP data, ...)
	At       time.Time       `json:"checkedAt"`
}

// Window is the time span whose audit events were read.
type Window struct {
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Basis names the time the window is around: the time this tenant's Exchange Online received
	// the message, its Date, or now.
	Basis string `json:"basis,omitempty"`
}

// Check returns the check with id, and whether there is one.
func (r Report) Check(id string) (Check, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

// MatchingFlow returns the flow that explains the mail, if any.
func (r Report) MatchingFlow() (Flow, bool) {
	for _, f := range r.Flows {
		if f.Matches {
			return f, true
		}
	}
	return Flow{}, false
}
