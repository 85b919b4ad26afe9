package alerts

import (
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestErrorCauses(t *testing.T) {
	shortage := licensing.Cause{Key: "code|CountViolation|aaa", Code: model.ErrorCountViolation, SKU: model.NamedSKU{ID: "aaa", Name: "Faculty"},
		Headline: "13 users cannot get Faculty: 0 of 100 available", Fix: "Buy at least 13 units."}
	names := map[string]string{}
	var many []string
	for i := range 12 {
		id := string(rune('a' + i))
		names[id] = "User " + id
		many = append(many, id)
	}
	in := &Input{UserNames: names, BaseURL: "https://td.example", Causes: []SourcedCause{
		{Cause: shortage, GroupID: "g1", GroupName: "Staff", Users: many},
		{Cause: shortage, Users: []string{"a"}},
	}}
	got := errorCauses(in, map[string]int{"users": 1})
	if len(got) != 2 {
		t.Fatalf("%d alerts, want one per source: %+v", len(got), got)
	}
	g, d := got[0], got[1]
	if g.Subject != "cause:code|CountViolation|aaa:g1" || d.Subject != "cause:code|CountViolation|aaa:direct" {
		t.Errorf("subjects %q, %q", g.Subject, d.Subject)
	}
	if g.Message.Title != "Not enough licenses: 12 users cannot get Faculty (from Staff)" || d.Message.Title != "Not enough licenses: 1 user cannot get Faculty (assigned directly)" {
		t.Errorf("titles %q, %q", g.Message.Title, d.Message.Title)
	}
	if g.Message.Link != "https://td.example/groups/g1" || d.Message.Link != "https://td.example/errors" {
		t.Errorf("links %q, %q", g.Message.Link, d.Message.Link)
	}
	users := g.Message.Facts[3].Value
	if !strings.HasPrefix(users, "User a; User b") || !strings.HasSuffix(users, "; and 2 more") || strings.Count(users, "User ") != maxNamedUsers {
		t.Errorf("users fact %q", users)
	}
	if got := errorCauses(in, map[string]int{"users": 2}); len(got) != 1 || got[0].Subject != g.Subject {
		t.Errorf("at 2 users: %+v", got)
	}
}
