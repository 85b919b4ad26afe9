package graph

import (
	"context"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// jsonSignInUser is a user with signInActivity only (null for one who never signed in).
type jsonSignInUser struct {
	ID             string `json:"id"`
	SignInActivity *struct {
		LastSignIn         jsonTime `json:"lastSignInDateTime"`
		LastNonInteractive jsonTime `json:"lastNonInteractiveSignInDateTime"`
		LastSuccessful     jsonTime `json:"lastSuccessfulSignInDateTime"`
	} `json:"signInActivity"`
}

func (u *jsonSignInUser) model() model.SignIn {
	out := model.SignIn{UserID: u.ID}
	if a := u.SignInActivity; a != nil {
		out.LastInteractive, out.LastNonInteractive, out.LastSuccessful = a.LastSignIn.time(), a.LastNonInteractive.time(), a.LastSuccessful.time()
	}
	return out
}

// signInPageSize is the largest page of users Graph gives with signInActivity ("When
// signInActivity is selected or filtered on, the maximum page size is 500", List users v1.0).
const signInPageSize = 500

// SignIns calls fn with every user's signInActivity, a page at a time. It is a read of its own
// beside Users: Graph refuses a user read that selects signInActivity with 403 when the app
// lacks AuditLog.Read.All or the tenant lacks Entra ID P1, and that must not cost the rest of
// the users' data. A 403 comes back as a *model.GraphError of kind GraphForbidden naming
// AuditLog.Read.All; fn's error is returned as it is.
func (c *Client) SignIns(ctx context.Context, fn func(page []model.SignIn) error) error {
	const op = "list users' sign-in activity"
	first := c.collectionURL("/users", selectOption([]string{"id", "signInActivity"}), topOption(min(c.pageSize, signInPageSize)))
	_, err := eachPage(ctx, c, first, nil, func(p []jsonSignInUser) error {
		out := make([]model.SignIn, 0, len(p))
		for i := range p {
			if p[i].ID != "" {
				out = append(out, p[i].model())
			}
		}
		if err := fn(out); err != nil {
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
