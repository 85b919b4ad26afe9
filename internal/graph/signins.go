package graph

import (
	"context"
	"slices"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// jsonSignInActivity is a user's signInActivity (null for one who never signed in).
type jsonSignInActivity struct {
	LastSignIn         jsonTime `json:"lastSignInDateTime"`
	LastNonInteractive jsonTime `json:"lastNonInteractiveSignInDateTime"`
	LastSuccessful     jsonTime `json:"lastSuccessfulSignInDateTime"`
}

// signIn is the user's sign-in activity as tenantdesk keeps it; zero times for a user who never
// signed in (signInActivity null or absent).
func (u *jsonUser) signIn() model.SignIn {
	out := model.SignIn{UserID: u.ID}
	if a := u.SignInActivity; a != nil {
		out.LastInteractive, out.LastNonInteractive, out.LastSuccessful = a.LastSignIn.time(), a.LastNonInteractive.time(), a.LastSuccessful.time()
	}
	return out
}

// signInPageSize is the largest page of users Graph gives with signInActivity ("When
// signInActivity is selected or filtered on, the maximum page size is 500", List users v1.0).
const signInPageSize = 500

// usersWithSignInsURL is the URL of the first page of users with everything a full sync reads
// of them.
func (c *Client) usersWithSignInsURL() string {
	return c.collectionURL("/users", selectOption(userSignInSelect()), topOption(min(c.pageSize, signInPageSize)))
}

// userSignInSelect is userSelect with signInActivity.
func userSignInSelect() []string { return append(slices.Clip(userSelect), "signInActivity") }

// UsersWithSignIns reads every user as Users does, with their signInActivity in the same
// pages: one chain of requests gives both, in pages of at most 500 (Graph's maximum when
// signInActivity is selected), where Users and a read of the sign-ins beside it would take a
// chain of 999-user pages and one of 500-user pages. fn gets each page's users and the sign-in
// activity of each of them (zero times for one who never signed in).
//
// Graph refuses the whole read with 403 when the app lacks AuditLog.Read.All or the tenant has
// no Entra ID P1 or P2: that comes back as a *model.GraphError of kind GraphForbidden naming
// AuditLog.Read.All, and the caller reads the users without sign-ins instead. The users delta
// cannot carry signInActivity (Graph answers 400 "$expand/$select is not supported for the
// following properties: signInActivity"), which is why this is a plain list. fn's error is
// returned as it is.
func (c *Client) UsersWithSignIns(ctx context.Context, fn func(users []model.User, signIns []model.SignIn) error) error {
	const op = "list users with their sign-in activity"
	_, err := eachPage(ctx, c, c.usersWithSignInsURL(), nil, func(p []jsonUser) error {
		if err := fn(jsonUsers(p), jsonSignIns(p)); err != nil {
			return callerError{err}
		}
		return nil
	})
	return classifyUnlessCaller(err, op, permissions.ReadSignIns()[0])
}

// jsonSubscription is a companySubscription.
type jsonSubscription struct {
	ID                     string   `json:"id"`
	CommerceSubscriptionID string   `json:"commerceSubscriptionId"`
	SKUID                  string   `json:"skuId"`
	SKUPartNumber          string   `json:"skuPartNumber"`
	Status                 string   `json:"status"`
	IsTrial                bool     `json:"isTrial"`
	TotalLicenses          int      `json:"totalLicenses"`
	CreatedDateTime        jsonTime `json:"createdDateTime"`
	NextLifecycleDateTime  jsonTime `json:"nextLifecycleDateTime"`
}

// Subscriptions lists the tenant's commercial subscriptions (GET /directory/subscriptions),
// which say when each SKU's units expire or renew and which are trials.
func (c *Client) Subscriptions(ctx context.Context) ([]model.Subscription, error) {
	const op = "list subscriptions"
	var out []model.Subscription
	_, err := eachPage(ctx, c, c.collectionURL("/directory/subscriptions"), nil, func(p []jsonSubscription) error {
		out = appendSubscriptions(out, p)
		return nil
	})
	if err != nil {
		return nil, classify(err, op, permissions.ReadSubscriptions()[0])
	}
	return out, nil
}

// appendSubscriptions appends a page of Graph's subscriptions to out as tenantdesk keeps them.
func appendSubscriptions(out []model.Subscription, p []jsonSubscription) []model.Subscription {
	for _, s := range p {
		if s.ID == "" {
			continue
		}
		out = append(out, model.Subscription{
			ID: s.ID, CommerceSubscriptionID: s.CommerceSubscriptionID, SKUID: model.NormalizeID(s.SKUID),
			SKUPartNumber: s.SKUPartNumber, Status: s.Status, IsTrial: s.IsTrial, TotalLicenses: s.TotalLicenses,
			CreatedAt: s.CreatedDateTime.time(), NextLifecycleAt: s.NextLifecycleDateTime.time(),
		})
	}
	return out
}
