package assign

import (
	"fmt"
	"strings"
	"time"
)

// Kind is what an operation did.
type Kind string

// Kinds of operations.
const (
	KindReprocess Kind = "reprocess"
	KindRefresh   Kind = "refresh" // re-read license errors only
)

// Status is how one user came out.
type Status string

// Statuses of a user after an operation.
const (
	StatusLicensed Status = "licensed"
	StatusInError  Status = "error"
	StatusRefused  Status = "refused" // Graph refused the reprocess
)

// Label is the status in words.
func (s Status) Label() string {
	switch s {
	case StatusLicensed:
		return "Now licensed"
	case StatusInError:
		return "Still in error"
	case StatusRefused:
		return "Graph refused"
	}
	return string(s)
}

// Outcome is how one user came out of an operation.
type Outcome struct {
	UserID  string
	Name    string // display name, else UPN, else the id
	Known   bool   // the snapshot holds the user (it has a page)
	Status  Status
	Summary string // the current reason, or Graph's refusal decoded
	Fix     string
}

// Result is what an operation found, user by user, in the order of the users asked for.
type Result struct {
	Kind     Kind
	GroupID  string // "" for users of any group
	At       time.Time
	Total    int
	Licensed int
	InError  int
	Refused  int
	Outcomes []Outcome
	// Problems are failures around the users (re-reading the group, the subscriptions, names)
	// and users that were not reprocessed, shown as warnings.
	Problems []string
}

func (r *Result) count(s Status) {
	switch s {
	case StatusLicensed:
		r.Licensed++
	case StatusInError:
		r.InError++
	case StatusRefused:
		r.Refused++
	}
}

// AllLicensed reports whether every user is now licensed without error.
func (r Result) AllLicensed() bool { return r.Licensed == r.Total }

// Summary is the result in one line, for the activity log and the command line.
func (r Result) Summary() string {
	d := fmt.Sprintf("%d users: %d now licensed, %d still in error", r.Total, r.Licensed, r.InError)
	if r.Kind != KindRefresh {
		d += fmt.Sprintf(", %d refused by Graph", r.Refused)
	}
	if len(r.Problems) > 0 {
		d += "; " + strings.Join(r.Problems, "; ")
	}
	return d
}

// maxIgnoredShown bounds the ids named in the "not reprocessed" problem.
const maxIgnoredShown = 10

// NoteIgnored adds a problem naming the users that were asked for but not reprocessed, because
// they are not members in license error of the group.
func (r *Result) NoteIgnored(ids []string) {
	if len(ids) == 0 {
		return
	}
	shown := ids[:min(len(ids), maxIgnoredShown)]
	msg := "Not reprocessed, not a member in license error of this group in the current data: " + strings.Join(shown, ", ")
	if more := len(ids) - len(shown); more > 0 {
		msg += fmt.Sprintf(" and %d more", more)
	}
	r.Problems = append(r.Problems, msg)
}
