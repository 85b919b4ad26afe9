package sspr

import (
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Activity is the activity log entry of a verification: who is filled in by the caller (the
// signed-in person, or the command line's user); which user the mail named, the verdict and
// the flow that matched. Nothing of the message itself.
func Activity(rep Report) model.Activity {
	a := model.Activity{Action: model.ActionSSPRVerify, Target: "(no user named)", Result: model.ActivityOK,
		Detail: "verdict: " + string(rep.Verdict)}
	if u := rep.User; u != nil {
		a.Target, a.TargetName = u.UPN, u.DisplayName
		if !u.Found {
			a.TargetName = "not a user of this tenant"
		}
	}
	if f, ok := rep.MatchingFlow(); ok {
		a.Detail += "; matching password reset flow " + f.CorrelationID + " from " + orNone(f.IPAddress)
	}
	if len(a.Detail) > 500 {
		a.Detail = a.Detail[:500]
	}
	return a
}

// Sample is a sample notification mail the demo offers: one contact-administrator flow of its
// simulated tenant, in each variant the simulator renders.
type Sample struct {
	ID       string    // the flow's correlation id
	User     string    // who ran the flow
	At       time.Time // when it ended
	Variants []SampleVariant
}

// SampleVariant is one rendering of a sample: what it is and what the verifier should say.
type SampleVariant struct {
	Key         string // genuine, spoofed-lookalike, spoofed-injected-authres, no-audit
	Label       string // a few words
	Description string // what the variant is, in a sentence
}
