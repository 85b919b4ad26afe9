package snapshot

import (
	"context"
	"errors"
	"fmt"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// nonPremiumCode is Graph's error code for signInActivity in a tenant without Entra ID P1 or P2.
const nonPremiumCode = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"

// readHealth reads what the license health checks need besides users and groups: the
// subscriptions, then every user's sign-in activity page by page into w; the caller gives the
// extras it returns to w before committing. What the app or the
// tenant may not read is recorded as missing, with why, and the sync goes on; any other failure
// fails the sync, as a failed user read does.
func (s *Syncer) readHealth(ctx context.Context, w model.SnapshotWriter) (model.SnapshotExtras, error) {
	var ex model.SnapshotExtras
	subs, err := s.src.Subscriptions(ctx)
	switch why, refused := missingBecause(err, subscriptionsWhat); {
	case refused:
		ex.SubscriptionsMissing = why
		s.log.Warn("subscriptions not read", "why", why)
	case err != nil:
		return ex, fmt.Errorf("read subscriptions: %w", err)
	default:
		ex.Subscriptions = subs
	}
	err = s.src.SignIns(ctx, func(page []model.SignIn) error { return w.AddSignIns(ctx, page) })
	if why, ok := missingBecause(err, "sign-in activity"); ok {
		ex.SignInsMissing = why
		s.log.Warn("sign-in activity not read", "why", why)
	} else if err != nil {
		return ex, fmt.Errorf("read users' sign-in activity: %w", err)
	}
	return ex, nil
}

// subscriptionsWhat names the subscriptions in the words of why they are missing.
const subscriptionsWhat = "subscriptions (renewal dates, trials)"

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
		return "The app registration lacks " + ge.Permission + ", which Microsoft Graph needs to give " + what +
			": an administrator must grant it (then refresh).", true
	}
	return "Microsoft Graph refused to give " + what + ": " + model.DescribeGraphError(err), true
}
