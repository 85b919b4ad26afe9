package alerts

import (
	"fmt"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// DefaultRepeat is how often an alert that lasts is told again by default: a daily reminder.
const DefaultRepeat = 24 * time.Hour

// Step is the alert state machine: given the open alerts, the conditions that hold now, the
// rules that were evaluated, the time and the repeat interval, it returns what changes. A
// condition without an open alert fires; an open alert whose condition still holds repeats once
// repeat has passed since it was last told (never when repeat is negative), and with it every
// open alert not told in the last half of repeat (a digest), otherwise it is left
// as it is — unless the condition's level has grown by its Again since it was last told, when it
// is told again at once, saying so; an open alert whose rule was evaluated and whose condition no longer holds is
// resolved. Alerts of rules not evaluated (their data could not be read) are left open, so a
// missing read never reads as "resolved". The changes are in a stable order: by rule and subject
// of the conditions, then the resolved in the order of open.
func Step(open []model.OpenAlert, holding []model.AlertCondition, evaluated map[string]bool, at time.Time, repeat time.Duration) []model.AlertChange {
	type key struct{ rule, subject string }
	byKey := make(map[key]model.OpenAlert, len(open))
	for _, a := range open {
		byKey[key{a.Rule, a.Subject}] = a
	}
	// A reminder is a digest: when one alert is due for it, every open alert that still holds
	// and was not told in the last half interval is reminded with it, so the reminders of a day
	// go out together (Deliver sends a channel's reminders of one round as one message).
	digest := false
	for _, c := range holding {
		if a, ok := byKey[key{c.Rule, c.Subject}]; ok && repeat >= 0 && at.Sub(a.LastSentAt) >= repeat {
			digest = true
		}
	}
	var out []model.AlertChange
	seen := map[key]bool{}
	for _, c := range holding {
		k := key{c.Rule, c.Subject}
		if seen[k] {
			continue // one alert per rule and subject, whatever a rule returned twice
		}
		seen[k] = true
		m := c.Message
		m.Rule, m.Subject, m.At = c.Rule, c.Subject, at
		a, ok := byKey[k]
		switch {
		case !ok:
			m.Kind, m.Since = model.AlertFired, at
			out = append(out, model.AlertChange{Message: m, Level: c.Level})
		case c.Again > 0 && c.Level >= a.Level+c.Again:
			m.Kind, m.Since = model.AlertRepeat, a.StartedAt
			m.Summary = strings.TrimSpace(m.Summary + fmt.Sprintf(" Up from %d when last told.", a.Level))
			out = append(out, model.AlertChange{ID: a.ID, Message: m, Level: c.Level})
		case digest && at.Sub(a.LastSentAt) >= repeat/2:
			m.Kind, m.Since = model.AlertRepeat, a.StartedAt
			out = append(out, model.AlertChange{ID: a.ID, Message: m, Level: c.Level})
		}
	}
	for _, a := range open {
		k := key{a.Rule, a.Subject}
		if seen[k] || !evaluated[a.Rule] {
			continue
		}
		out = append(out, model.AlertChange{ID: a.ID, Message: model.AlertMessage{
			Kind: model.AlertResolved, Rule: a.Rule, Subject: a.Subject, Title: "Resolved: " + a.Title,
			Summary: "This condition no longer holds.", Since: a.StartedAt, At: at,
		}})
	}
	return out
}
