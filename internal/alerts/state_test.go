package alerts

import (
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestStep(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cond := func(rule, subject string) model.AlertCondition {
		return model.AlertCondition{Rule: rule, Subject: subject, Message: model.AlertMessage{Title: rule + " " + subject}}
	}
	openAt := func(id int64, rule, subject string, started, sent time.Time) model.OpenAlert {
		return model.OpenAlert{ID: id, Rule: rule, Subject: subject, Title: rule + " " + subject, StartedAt: started, LastSentAt: sent}
	}
	all := map[string]bool{"sku": true, "group": true}
	type change struct {
		id      int64
		kind    string
		subject string
		since   time.Time
	}
	tests := []struct {
		name      string
		open      []model.OpenAlert
		holding   []model.AlertCondition
		evaluated map[string]bool
		at        time.Time
		repeat    time.Duration
		want      []change
	}{
		{name: "nothing open, nothing holds", evaluated: all, at: t0, repeat: DefaultRepeat},
		{name: "a condition starts: fires once", holding: []model.AlertCondition{cond("sku", "a")}, evaluated: all, at: t0, repeat: DefaultRepeat,
			want: []change{{0, model.AlertFired, "a", t0}}},
		{name: "the same condition twice in one evaluation fires once",
			holding: []model.AlertCondition{cond("sku", "a"), cond("sku", "a")}, evaluated: all, at: t0, repeat: DefaultRepeat,
			want: []change{{0, model.AlertFired, "a", t0}}},
		{name: "it lasts, within the interval: silent",
			open: []model.OpenAlert{openAt(7, "sku", "a", t0, t0)}, holding: []model.AlertCondition{cond("sku", "a")},
			evaluated: all, at: t0.Add(23 * time.Hour), repeat: DefaultRepeat},
		{name: "it lasts, the interval passed: repeats, since its start",
			open: []model.OpenAlert{openAt(7, "sku", "a", t0, t0)}, holding: []model.AlertCondition{cond("sku", "a")},
			evaluated: all, at: t0.Add(24 * time.Hour), repeat: DefaultRepeat,
			want: []change{{7, model.AlertRepeat, "a", t0}}},
		{name: "the interval counts from the last reminder",
			open: []model.OpenAlert{openAt(7, "sku", "a", t0, t0.Add(24*time.Hour))}, holding: []model.AlertCondition{cond("sku", "a")},
			evaluated: all, at: t0.Add(47 * time.Hour), repeat: DefaultRepeat},
		{name: "repeat negative: never reminds",
			open: []model.OpenAlert{openAt(7, "sku", "a", t0, t0)}, holding: []model.AlertCondition{cond("sku", "a")},
			evaluated: all, at: t0.Add(1000 * time.Hour), repeat: -1},
		{name: "the condition ends: resolved",
			open: []model.OpenAlert{openAt(7, "sku", "a", t0, t0)}, evaluated: all, at: t0.Add(time.Hour), repeat: DefaultRepeat,
			want: []change{{7, model.AlertResolved, "a", t0}}},
		{name: "rule not evaluated (its data missing): left open",
			open: []model.OpenAlert{openAt(7, "sku", "a", t0, t0)}, evaluated: map[string]bool{"group": true}, at: t0.Add(time.Hour), repeat: DefaultRepeat},
		{name: "one ends, another starts, a third lasts",
			open:    []model.OpenAlert{openAt(7, "sku", "a", t0, t0), openAt(8, "group", "g", t0, t0)},
			holding: []model.AlertCondition{cond("sku", "b"), cond("group", "g")}, evaluated: all, at: t0.Add(time.Hour), repeat: DefaultRepeat,
			want: []change{{0, model.AlertFired, "b", t0.Add(time.Hour)}, {7, model.AlertResolved, "a", t0}}},
		{name: "same subject under another rule is another alert",
			open: []model.OpenAlert{openAt(7, "sku", "a", t0, t0)}, holding: []model.AlertCondition{cond("group", "a")},
			evaluated: all, at: t0.Add(time.Hour), repeat: DefaultRepeat,
			want: []change{{0, model.AlertFired, "a", t0.Add(time.Hour)}, {7, model.AlertResolved, "a", t0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Step(tt.open, tt.holding, tt.evaluated, tt.at, tt.repeat)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d changes %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.ID != w.id || g.Message.Kind != w.kind || g.Message.Subject != w.subject || !g.Message.Since.Equal(w.since) || !g.Message.At.Equal(tt.at) {
					t.Errorf("change %d = id %d %s %s since %s at %s, want id %d %s %s since %s at %s", i,
						g.ID, g.Message.Kind, g.Message.Subject, g.Message.Since, g.Message.At, w.id, w.kind, w.subject, w.since, tt.at)
				}
			}
		})
	}
}

// A group gaining errors: told again at once when its level grew by Again since last told
// (saying from what), else only at the reminder; the level told is kept.
func TestStepLevelGrows(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	open := []model.OpenAlert{{ID: 7, Rule: "group", Subject: "g", Level: 5, StartedAt: t0, LastSentAt: t0}}
	at := t0.Add(time.Hour)
	cond := func(level, again int) []model.AlertCondition {
		return []model.AlertCondition{{Rule: "group", Subject: "g", Level: level, Again: again, Message: model.AlertMessage{Title: "g", Summary: "Errors."}}}
	}
	all := map[string]bool{"group": true}
	if got := Step(open, cond(14, 10), all, at, DefaultRepeat); len(got) != 0 {
		t.Errorf("grew by 9 of 10: %+v", got)
	}
	if got := Step(open, cond(500, 0), all, at, DefaultRepeat); len(got) != 0 {
		t.Errorf("Again 0 tells only at the reminder: %+v", got)
	}
	got := Step(open, cond(15, 10), all, at, DefaultRepeat)
	if len(got) != 1 || got[0].ID != 7 || got[0].Message.Kind != model.AlertRepeat || got[0].Level != 15 ||
		got[0].Message.Summary != "Errors. Up from 5 when last told." || !got[0].Message.Since.Equal(t0) {
		t.Errorf("grew by 10: %+v", got)
	}
	if got := Step(nil, cond(3, 10), all, at, DefaultRepeat); len(got) != 1 || got[0].Level != 3 || got[0].Message.Kind != model.AlertFired {
		t.Errorf("fired: %+v", got)
	}
}

// Reminders are a digest: when one alert is due, those not told in the last half interval are
// reminded with it; one told recently waits for the next.
func TestStepDigest(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := t0.Add(24 * time.Hour)
	open := []model.OpenAlert{
		{ID: 1, Rule: "r", Subject: "a", StartedAt: t0, LastSentAt: t0},                     // due
		{ID: 2, Rule: "r", Subject: "b", StartedAt: t0, LastSentAt: t0.Add(10 * time.Hour)}, // 14 h ago: with it
		{ID: 3, Rule: "r", Subject: "c", StartedAt: t0, LastSentAt: t0.Add(20 * time.Hour)}, // 4 h ago: next time
	}
	var holding []model.AlertCondition
	for _, s := range []string{"a", "b", "c"} {
		holding = append(holding, model.AlertCondition{Rule: "r", Subject: s, Message: model.AlertMessage{Title: s}})
	}
	got := Step(open, holding, map[string]bool{"r": true}, at, DefaultRepeat)
	var ids []int64
	for _, c := range got {
		if c.Message.Kind != model.AlertRepeat {
			t.Errorf("change %+v", c)
		}
		ids = append(ids, c.ID)
	}
	if len(ids) != 2 || ids[0] != 1 || ids[1] != 2 {
		t.Errorf("reminded %v, want 1 and 2", ids)
	}
	if got := Step(open[1:], holding[1:], map[string]bool{"r": true}, at, DefaultRepeat); len(got) != 0 {
		t.Errorf("none due, yet reminded: %+v", got)
	}
}
