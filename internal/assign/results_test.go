package assign

import (
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 4, 10, 5, 0, 0, time.UTC)

func TestResultsBounds(t *testing.T) {
	var rs Results
	g := Result{GroupID: "g"}
	first := rs.Put("a@x", g, testNow)
	var last string
	for i := range MaxResults {
		last = rs.Put("a@x", g, testNow.Add(time.Duration(i)*time.Second))
	}
	if _, ok := rs.Get("g", "a@x", first, testNow); ok {
		t.Error("the oldest result survived the cap")
	}
	if _, ok := rs.Get("g", "A@X", last, testNow.Add(MaxResults*time.Second)); !ok {
		t.Error("the newest result is gone (or the owner is compared case-sensitively)")
	}
	if _, ok := rs.Get("other", "a@x", last, testNow.Add(MaxResults*time.Second)); ok {
		t.Error("a result is shown on another group's page")
	}
	// Expired results are dropped on the next put, not kept until the cap.
	rs.Put("b@x", g, testNow.Add(ResultTTL+time.Hour))
	if n := len(rs.m); n != 1 || len(rs.order) != 1 {
		t.Errorf("%d results (%d in order) after all others expired", n, len(rs.order))
	}
}

func TestResultsExpireAndBelongToTheirOwner(t *testing.T) {
	var rs Results
	tok := rs.Put("op@x", Result{GroupID: "g"}, testNow)
	for _, tc := range []struct {
		owner string
		at    time.Time
		want  bool
	}{
		{"op@x", testNow, true},
		{"reader@x", testNow, false},
		{"", testNow, false},
		{"op@x", testNow.Add(ResultTTL - time.Minute), true},
		{"op@x", testNow.Add(ResultTTL + time.Minute), false},
		{"op@x", testNow.Add(-2 * time.Minute), false}, // the clock went back
	} {
		if _, ok := rs.Get("g", tc.owner, tok, tc.at); ok != tc.want {
			t.Errorf("Get by %q at %s: %v, want %v", tc.owner, tc.at, ok, tc.want)
		}
	}
	if _, ok := rs.Get("g", "op@x", "not-a-token", testNow); ok {
		t.Error("an unknown token found a result")
	}
}
