package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestActivityAddListFilter(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	entries := []model.Activity{
		{At: base, ActorUPN: "Reader@contoso.example", ActorName: "Riley", Action: "sign-in", Result: model.ActivityOK},
		{At: base.Add(time.Hour), ActorUPN: "reader@contoso.example", Action: "refused", Target: "POST /refresh", Result: model.ActivityRefused, Detail: "needs role Operator"},
		{At: base.Add(2 * time.Hour), ActorUPN: "op@contoso.example", Action: "refresh", Result: model.ActivityOK, CorrelationID: "req-42"},
		{At: base.Add(3 * time.Hour), ActorUPN: "op@contoso.example", Action: "reprocess", Target: "g1", TargetName: "100% _remote_ \\team", Result: model.ActivityFailed},
		{At: base.Add(4 * time.Hour), Action: "sign-in", Result: model.ActivityFailed, Detail: "nonce does not match", RemoteIP: "203.0.113.9"},
	}
	for _, a := range entries {
		if err := st.AddActivity(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		f    model.ActivityFilter
		want []string // actions, newest first
	}{
		{"all", model.ActivityFilter{}, []string{"sign-in", "reprocess", "refresh", "refused", "sign-in"}},
		{"actor case-insensitive", model.ActivityFilter{Actor: "READER@contoso.example"}, []string{"refused", "sign-in"}},
		{"action", model.ActivityFilter{Action: "sign-in"}, []string{"sign-in", "sign-in"}},
		{"result", model.ActivityFilter{Result: model.ActivityRefused}, []string{"refused"}},
		{"since/until", model.ActivityFilter{Since: base.Add(time.Hour), Until: base.Add(3 * time.Hour)}, []string{"refresh", "refused"}},
		{"text in detail", model.ActivityFilter{Text: "NONCE"}, []string{"sign-in"}},
		{"text is literal, not LIKE", model.ActivityFilter{Text: "% _remote_ \\"}, []string{"reprocess"}},
		{"text wildcard finds nothing", model.ActivityFilter{Text: "%"}, []string{"reprocess"}},
		{"text correlation", model.ActivityFilter{Text: "req-42"}, []string{"refresh"}},
		{"hostile", model.ActivityFilter{Text: "'; DROP TABLE activity; --"}, nil},
		{"combined", model.ActivityFilter{Actor: "op@contoso.example", Result: model.ActivityOK}, []string{"refresh"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := st.ListActivity(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range page.Entries {
				got = append(got, e.Action)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || page.Total != len(tc.want) {
				t.Fatalf("got %v (total %d), want %v", got, page.Total, tc.want)
			}
			var each []string
			if err := st.EachActivity(ctx, tc.f, func(a model.Activity) error { each = append(each, a.Action); return nil }); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(each) != fmt.Sprint(tc.want) {
				t.Fatalf("EachActivity %v, want %v", each, tc.want)
			}
		})
	}
	// Fields round-trip, times in UTC.
	page, err := st.ListActivity(ctx, model.ActivityFilter{Action: "reprocess"})
	if err != nil {
		t.Fatal(err)
	}
	got := page.Entries[0]
	want := entries[3]
	want.ID, want.Count = got.ID, 1 // every entry happened once unless AddRefusal counted more
	if got != want {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
}

func TestActivityPaging(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 7 {
		if err := st.AddActivity(ctx, model.Activity{At: base.Add(time.Duration(i) * time.Minute), Action: fmt.Sprintf("a%d", i), Result: model.ActivityOK}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := st.ListActivity(ctx, model.ActivityFilter{Limit: 3, Offset: 3})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 7 || len(page.Entries) != 3 || page.Entries[0].Action != "a3" || page.Entries[2].Action != "a1" {
		t.Fatalf("page 2 of 3: %+v", page)
	}
	stop := errors.New("stop")
	n := 0
	err = st.EachActivity(ctx, model.ActivityFilter{}, func(model.Activity) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("EachActivity did not stop at the callback's error: %v after %d", err, n)
	}
}

func TestActivityRefusesBadEntries(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if err := st.AddActivity(ctx, model.Activity{Result: model.ActivityOK}); err == nil {
		t.Error("entry without action accepted")
	}
	if err := st.AddActivity(ctx, model.Activity{Action: "x", Result: "maybe"}); err == nil {
		t.Error("entry with unknown result accepted")
	}
	// Oversized fields are clipped, not refused: the action happened and must be logged.
	long := strings.Repeat("ä", 5000)
	if err := st.AddActivity(ctx, model.Activity{Action: "x", Result: model.ActivityOK, Detail: long, Target: long}); err != nil {
		t.Fatal(err)
	}
	page, err := st.ListActivity(ctx, model.ActivityFilter{})
	if err != nil {
		t.Fatal(err)
	}
	e := page.Entries[0]
	if len(e.Detail) > maxActivityDetail || len(e.Target) > maxActivityField || !strings.HasPrefix(long, e.Detail) || e.At.IsZero() {
		t.Fatalf("clipping: detail %d bytes, target %d bytes, at %v", len(e.Detail), len(e.Target), e.At)
	}
}
