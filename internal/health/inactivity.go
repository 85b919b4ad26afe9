package health

import (
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Activity is what a user's sign-ins say about whether they use their licenses.
type Activity int

// Kinds of Activity.
const (
	ActivityUnknown  Activity = iota // sign-in activity could not be read
	ActivityActive                   // signed in successfully within the threshold
	ActivityInactive                 // last success at or beyond the threshold
	ActivityNever                    // no sign-in recorded, account old enough to have had one
	ActivityNew                      // no sign-in (or too few days to tell), created within the threshold
)

// SignInState is the inactivity rule's verdict on one user.
type SignInState struct {
	Activity Activity
	// Last is the sign-in the verdict rests on (zero for never).
	Last time.Time
	// AttemptsOnly: no successful sign-in is recorded (Microsoft records successes only since
	// December 2023), so Last is the latest attempt, which may have failed.
	AttemptsOnly bool
	// NonInteractive: the latest activity was non-interactive (a client acting for the user),
	// which counts as use.
	NonInteractive bool
}

// Classify applies the inactivity rule to one user at now with threshold days, from their
// signInActivity (ok false: the user has none recorded) and the reason sign-ins are missing
// ("" when they were read):
//
//   - missing sign-ins: unknown, whatever else is true;
//   - the last successful sign-in, interactive or not, decides; failed attempts after it do not
//     count as use;
//   - without a recorded success (not backfilled before December 2023) the latest attempt,
//     interactive or non-interactive, stands in;
//   - non-interactive sign-ins count: a mail or Teams client refreshing its tokens is the user
//     using the license;
//   - no sign-in at all: never, unless the account is younger than the threshold (new).
//
// Guests and disabled accounts follow the same rule; the report counts them apart.
func Classify(u model.User, si model.SignIn, ok bool, missing string, now time.Time, days int) SignInState {
	if missing != "" {
		return SignInState{Activity: ActivityUnknown}
	}
	threshold := time.Duration(days) * 24 * time.Hour
	young := !u.CreatedAt.IsZero() && now.Sub(u.CreatedAt) < threshold
	if !ok || si.Never() {
		if young {
			return SignInState{Activity: ActivityNew}
		}
		return SignInState{Activity: ActivityNever}
	}
	var st SignInState
	switch {
	case !si.LastSuccessful.IsZero():
		st.Last = si.LastSuccessful
		st.NonInteractive = si.LastSuccessful.Equal(si.LastNonInteractive) && si.LastNonInteractive.After(si.LastInteractive)
	default:
		st.AttemptsOnly = true
		st.Last = si.LastInteractive
		if si.LastNonInteractive.After(st.Last) {
			st.Last, st.NonInteractive = si.LastNonInteractive, true
		}
	}
	switch {
	case now.Sub(st.Last) < threshold:
		st.Activity = ActivityActive
	case young:
		st.Activity = ActivityNew
	default:
		st.Activity = ActivityInactive
	}
	return st
}
