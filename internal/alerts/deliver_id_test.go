package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// A notification's id names its events: the same events the same id, in any order; another
// event, another number, another database's event of the same number or another digest a
// different one.
func TestNotificationID(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ev := func(event, delivery int64, subject string, at time.Time) model.AlertDelivery {
		return model.AlertDelivery{ID: delivery, EventID: event,
			Message: model.AlertMessage{Kind: model.AlertFired, Rule: RuleGroupErrors, Subject: subject, At: at}}
	}
	a, b, c := ev(7, 1, "group:a", at), ev(8, 2, "group:b", at), ev(9, 3, "group:c", at)
	one := notificationID([]model.AlertDelivery{a})
	if !strings.HasPrefix(one, "event-7-") {
		t.Errorf("one event: %q, want event-7-…", one)
	}
	if again := notificationID([]model.AlertDelivery{ev(7, 4, "group:a", at)}); again != one {
		t.Errorf("the same event by another delivery (another channel): %q, want %q", again, one)
	}
	for name, other := range map[string]model.AlertDelivery{
		"another event":                       b,
		"the same number in another database": ev(7, 1, "group:a", at.Add(time.Hour)),
		"the same number, another subject":    ev(7, 1, "group:x", at),
	} {
		if id := notificationID([]model.AlertDelivery{other}); id == one {
			t.Errorf("%s has the id of event 7: %q", name, id)
		}
	}
	abc := notificationID([]model.AlertDelivery{a, b, c})
	if !strings.HasPrefix(abc, "digest-") {
		t.Errorf("digest: %q", abc)
	}
	if cba := notificationID([]model.AlertDelivery{c, b, a}); cba != abc {
		t.Errorf("the same digest in another order: %q, want %q", cba, abc)
	}
	if ab := notificationID([]model.AlertDelivery{a, b}); ab == abc {
		t.Errorf("a digest of fewer events has the same id %q", ab)
	}
}
