package snapshot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// nonPremiumCode is Graph's error code for signInActivity in a tenant without Entra ID P1 or P2.
const nonPremiumCode = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"

// readSubscriptions reads the subscriptions the license health checks need into ex. What the app
// may not read is recorded as missing, with why, and the sync goes on; any other failure fails
// the sync, as a failed user read does. (The users' sign-in activity comes with the users:
// readUsers.)
func (s *Syncer) readSubscriptions(ctx context.Context, ex *model.SnapshotExtras) error {
	subs, err := s.src.Subscriptions(ctx)
	return s.keepSubscriptions(ex, subs, err)
}

// keepSubscriptions puts subs, read with err, into ex as readSubscriptions does.
func (s *Syncer) keepSubscriptions(ex *model.SnapshotExtras, subs []model.Subscription, err error) error {
	switch why, refused := missingBecause(err, subscriptionsWhat); {
	case refused:
		ex.SubscriptionsMissing = why
		s.log.Warn("subscriptions not read", "why", why)
	case err != nil:
		return fmt.Errorf("read subscriptions: %w", err)
	default:
		ex.Subscriptions = subs
	}
	return nil
}

// subscriptionsWhat names the subscriptions in the words of why they are missing.
const subscriptionsWhat = "subscriptions (renewal dates, trials)"

// signInsWhat names the sign-in activity in the words of why it is missing.
const signInsWhat = "sign-in activity"

// missingBecause says, for a read refused with 403, why in words a person can act on.
func missingBecause(err error, what string) (string, bool) {
	var ge *model.GraphError
	if !errors.As(err, &ge) || ge.Kind != model.GraphForbidden {
		return "", false
	}
	if ge.Code == nonPremiumCode {
		return "Microsoft Graph gives " + what + " only to tenants with Microsoft Entra ID P1 or P2, and this tenant has neither.", true
	}
	if ge.Permission != "" {
		then := "then refresh"
		if what == signInsWhat {
			// Sign-ins are read by full syncs only (an incremental refresh keeps them).
			then = "the next full sync reads it: the daily one, or at once with tenantdesk refresh -mode full"
		}
		return "The app registration lacks " + ge.Permission + ", which Microsoft Graph needs to give " + what +
			": an administrator must grant it (" + then + ").", true
	}
	return "Microsoft Graph refused to give " + what + ": " + model.DescribeGraphError(err), true
}

// signInsRefusal is what the Syncer remembers of Graph refusing the users' sign-in activity, so
// that the full syncs soon after do not ask again for nothing (each would cost a request and a
// round trip before the users are read).
type signInsRefusal struct {
	why string
	at  time.Time // the refused sync's start (Syncer.Now)
}

// askSignIns says whether a full sync in mode reads the users with their sign-in activity, and
// if not, why they are missing: after a refusal, only a full sync asked for (an administrator
// who granted the permission runs one) or one at least FullEvery (default daily) after the
// refused one asks again, so a later grant or a tenant that bought Entra ID P1 is picked up by
// the daily full sync at the latest.
func (s *Syncer) askSignIns(mode Mode) (bool, string) {
	s.mu.Lock()
	r := s.signInsRefused
	s.mu.Unlock()
	if r.why == "" || mode == Full {
		return true, ""
	}
	if every := s.fullEvery(); every > 0 && s.Now().Sub(r.at) >= every {
		return true, ""
	}
	return false, r.why
}

// rememberSignIns records how the last full sync that asked for sign-ins fared: refused with
// why ("" when they were read).
func (s *Syncer) rememberSignIns(why string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signInsRefused = signInsRefusal{why: why, at: at}
}
