package server

import (
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// timelineShown bounds the entries of a timeline on a page.
const timelineShown = 100

// timelineView is a decoded license history as the user and group pages show it.
func timelineView(entries []licensing.TimelineEntry, since time.Time, err error) web.TimelineView {
	v := web.TimelineView{Since: since}
	if err != nil {
		v.Error = "The audit log could not be read: " + model.DescribeGraphError(err)
		return v
	}
	for i, e := range entries {
		if i == timelineShown {
			break
		}
		row := web.TimelineRow{At: e.At, Activity: e.Activity, By: displayName(e.By), Failed: strings.EqualFold(e.Result, "failure"),
			Failure: e.Failure, Undecoded: e.Undecoded}
		for _, a := range e.Added {
			row.Added = append(row.Added, licenseWithPlans(a))
		}
		for _, r := range e.Removed {
			row.Removed = append(row.Removed, displayName(r.Name))
		}
		for _, c := range e.Changed {
			var parts []string
			if len(c.PlansOff) > 0 {
				parts = append(parts, planNames(c.PlansOff)+" switched off")
			}
			if len(c.PlansOn) > 0 {
				parts = append(parts, planNames(c.PlansOn)+" switched on")
			}
			row.Changed = append(row.Changed, displayName(c.SKU.Name)+": "+strings.Join(parts, "; "))
		}
		for _, g := range e.FromGroups {
			row.FromGroups = append(row.FromGroups, web.GroupLink{ID: g.ID, Name: displayName(g.Name), Href: groupURL(g.ID)})
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

func licenseWithPlans(l licensing.TimelineLicense) string {
	s := displayName(l.SKU.Name)
	if len(l.DisabledPlans) > 0 {
		s += " (without " + planNames(l.DisabledPlans) + ")"
	}
	return s
}

func planNames(ps []model.NamedPlan) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = displayName(p.Name)
	}
	return strings.Join(names, ", ")
}
