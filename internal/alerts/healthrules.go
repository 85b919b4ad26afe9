package alerts

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/health"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Health is the license health report the health rules read. *health.Service implements it.
type Health interface {
	Report(ctx context.Context, opts health.Options) (health.Report, error)
}

// Rules over the license health report.
const (
	RuleSubscriptions = "subscription-ending"
	RuleStuck         = "stuck-processing"
	RuleWaste         = "waste"
)

func healthRules() []Rule {
	return []Rule{
		{
			Name: RuleSubscriptions, Title: "Subscription ending",
			Description: "A subscription that expires, is in its grace period, suspended or a trial ending within a number of days: its users lose the license then.",
			Thresholds:  []Threshold{{Key: "days", Label: "Alert this many days ahead", Default: 30, Min: 1, Max: health.MaxHorizonDays}},
			Snapshot:    true, Health: true, eval: subscriptionsEnding,
			usable: func(in *Input) bool {
				f, ok := in.Health.Finding(health.KindSubscriptions)
				return ok && f.Unavailable == ""
			},
		},
		{
			Name: RuleStuck, Title: "Group stuck processing",
			Description: "A licensing group whose processing has not completed for a number of hours: its members' licenses are not being updated.",
			Thresholds:  []Threshold{{Key: "hours", Label: "Alert after this many hours", Default: 24, Min: 1, Max: 24 * 30}},
			Snapshot:    true, Health: true, eval: stuckProcessing,
		},
		{
			Name: RuleWaste, Title: "Money wasted on licenses",
			Description: "The monthly cost of licenses nobody uses (disabled, inactive, never signed in) reaches an amount, in any currency prices are set in.",
			Thresholds:  []Threshold{{Key: "amount", Label: "Alert at this much a month (whole currency units)", Default: 1000, Min: 1, Max: 100_000_000}},
			Snapshot:    true, Health: true, Off: true, eval: wasteAbove,
			// Without sign-in activity most waste is not known: a smaller figure is not "resolved".
			usable: func(in *Input) bool {
				f, ok := in.Health.Finding(health.KindInactive)
				return ok && f.Unavailable == ""
			},
		},
	}
}

// subscriptionsEnding: every item of the subscriptions finding (computed with the rule's days
// as the horizon). The subject carries the date, so a renewed subscription's next term is a new
// alert, and a date moved ends the old one.
func subscriptionsEnding(in *Input, _ map[string]int) []model.AlertCondition {
	f, _ := in.Health.Finding(health.KindSubscriptions)
	var out []model.AlertCondition
	for _, it := range f.Items {
		when := "at a date Microsoft does not give"
		if !it.When.IsZero() {
			when = "on " + it.When.UTC().Format("2006-01-02")
		}
		out = append(out, model.AlertCondition{Rule: RuleSubscriptions,
			Subject: "subscription:" + model.NormalizeID(it.SKUID) + ":" + it.When.UTC().Format("2006-01-02"),
			Message: model.AlertMessage{
				Title:   fmt.Sprintf("%s: a subscription of %d units ends or changes %s", it.SKUName, it.Units, when),
				Summary: it.Detail, Fix: it.Fix,
				Facts: []model.Fact{{Name: "License", Value: it.SKUName}, {Name: "Units", Value: fmt.Sprint(it.Units)}, {Name: "Date", Value: when}},
				Link:  in.link("/health"),
			}})
	}
	return out
}

// stuckProcessing: groups of the stuck finding processing for at least "hours".
func stuckProcessing(in *Input, th map[string]int) []model.AlertCondition {
	f, _ := in.Health.Finding(health.KindStuck)
	var out []model.AlertCondition
	for _, it := range f.Items {
		if in.Now.Sub(it.When) < time.Duration(th["hours"])*time.Hour {
			continue
		}
		out = append(out, model.AlertCondition{Rule: RuleStuck, Subject: "stuck:" + model.NormalizeID(it.GroupID), Message: model.AlertMessage{
			Title:   it.GroupName + " has been processing for " + fmt.Sprintf("%.0f hours", in.Now.Sub(it.When).Hours()),
			Summary: it.GroupName + ": " + it.Detail, Fix: it.Fix,
			Facts: []model.Fact{{Name: "Group", Value: it.GroupName}, {Name: "Processing since", Value: it.When.UTC().Format("2006-01-02 15:04 UTC")}},
			Link:  in.link("/groups/" + url.PathEscape(it.GroupID)),
		}})
	}
	return out
}

// wasteAbove: the report's monthly waste reaches "amount" in one of its currencies.
func wasteAbove(in *Input, th map[string]int) []model.AlertCondition {
	limit := int64(th["amount"]) * 100
	over := false
	for _, cents := range in.Health.Waste {
		over = over || cents >= limit
	}
	if !over {
		return nil
	}
	return []model.AlertCondition{{Rule: RuleWaste, Subject: "waste", Message: model.AlertMessage{
		Title:   "Licenses nobody uses cost " + in.Health.Waste.String() + " a month",
		Summary: fmt.Sprintf("That is at least %d a month in one currency, counting priced SKUs only.", th["amount"]),
		Facts:   []model.Fact{{Name: "Wasted a month", Value: in.Health.Waste.String()}},
		Fix:     "Open license health to see who holds them and remove them the way each was given.",
		Link:    in.link("/health"),
	}}}
}
