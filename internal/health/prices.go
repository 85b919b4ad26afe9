package health

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// PricedSKU is a subscribed SKU with its price, if it has one.
type PricedSKU struct {
	model.SKUUsage
	Price  model.Price
	Priced bool
}

// Prices are the current snapshot's SKUs by name with their prices.
func (s *Service) Prices(ctx context.Context) ([]PricedSKU, error) {
	skus, err := s.st.SKUs(ctx)
	if err != nil {
		return nil, err
	}
	prices, err := s.st.Prices(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PricedSKU, 0, len(skus))
	for _, u := range skus {
		p, ok := prices[model.NormalizeID(u.ID)]
		out = append(out, PricedSKU{SKUUsage: u, Price: p, Priced: ok})
	}
	slices.SortFunc(out, func(a, b PricedSKU) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

// PriceChange is a price to set: the form's fields as typed, and who sets it.
type PriceChange struct {
	SKUID    string
	Amount   string // "" clears the price
	Currency string
	Actor    model.Activity // ActorUPN, ActorName, CorrelationID, RemoteIP
}

// SetPrice sets or (with an empty amount) clears a SKU's monthly price and records it in the
// activity log. Bad input is an *model.InputError naming its field; a SKU the snapshot does not
// hold is model.ErrNotFound.
func (s *Service) SetPrice(ctx context.Context, c PriceChange) (err error) {
	a := c.Actor
	a.Action, a.Target = model.ActionPriceSet, model.NormalizeID(c.SKUID)
	defer func() {
		switch {
		case errors.Is(err, model.ErrInvalid), errors.Is(err, model.ErrNotFound):
			a.Result, a.Detail = model.ActivityRefused, err.Error()
		case err != nil:
			a.Result, a.Detail = model.ActivityFailed, err.Error()
		default:
			a.Result = model.ActivityOK
		}
		if logErr := s.log.AddActivity(context.WithoutCancel(ctx), a); logErr != nil && err == nil {
			err = fmt.Errorf("record the price change: %w", logErr)
		}
	}()
	skus, err := s.st.SKUs(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(skus, func(u model.SKUUsage) bool { return model.NormalizeID(u.ID) == a.Target })
	if i < 0 {
		return &model.NotFoundError{What: "SKU", ID: c.SKUID, Detail: "The tenant has no subscription with SKU id " + c.SKUID + " in the current data."}
	}
	name := skus[i].Name
	if name == "" {
		name = skus[i].PartNumber
	}
	a.TargetName = name
	cents, set, err := ParsePrice(c.Amount)
	if err != nil {
		return err
	}
	if !set {
		old, had, err := s.st.DeletePrice(ctx, a.Target)
		if err != nil {
			return err
		}
		a.Detail = "price cleared"
		if had {
			a.Detail += " (was " + FormatCents(old.AmountCents) + " " + old.Currency + " a month)"
		}
		return nil
	}
	cur, err := ParseCurrency(c.Currency)
	if err != nil {
		return err
	}
	old, had, err := s.st.SetPrice(ctx, model.Price{SKUID: a.Target, AmountCents: cents, Currency: cur, UpdatedAt: s.now(), UpdatedBy: c.Actor.ActorUPN})
	if err != nil {
		return err
	}
	a.Detail = fmt.Sprintf("%s %s a month per unit", FormatCents(cents), cur)
	if had {
		a.Detail += fmt.Sprintf(" (was %s %s)", FormatCents(old.AmountCents), old.Currency)
	} else {
		a.Detail += " (was unset)"
	}
	return nil
}

// names loads the license and plan names of the current snapshot.
func (s *Service) names(ctx context.Context) *licensing.Names {
	ex, _ := licensing.LoadExplainer(ctx, s.st, nil, nil) // names fall back to GUIDs where unknown
	return ex.Names()
}
