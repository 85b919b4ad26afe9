package graph

import (
	"context"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// The benchmark's two yardsticks read what they say: the reference strategy every licensed
// group's members and members in error as the simulated tenant holds them, the page chain every
// page of users, one request each.
func TestBenchYardsticks(t *testing.T) {
	e := startSim(t, tenantsim.Config{Seed: 42, Users: 1200, Groups: 150, LicensedGroups: 12})
	c := e.client(t, e.config())
	ctx := context.Background()

	truth := e.srv.Tenant.LicensedGroupTruth()
	var members, inError int
	for _, g := range truth {
		members += g.Members
		inError += g.Errors
	}
	if inError == 0 {
		t.Fatal("the tenant has no member in error: the test would not see the users read one by one")
	}
	res, err := c.ReferenceScan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.LicensedGroups != len(truth) || res.Members != members || res.MembersInError != inError || res.UsersRead != inError {
		t.Errorf("reference scan %+v; the tenant has %d licensed groups, %d members, %d in error", res, len(truth), members, inError)
	}
	if res.Groups < 150 {
		t.Errorf("reference scan listed %d groups, want every one of at least 150", res.Groups)
	}

	users := len(e.srv.Tenant.UsersTruth())
	before := c.Stats().Requests
	pages, err := c.UserPageChain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (users + signInPageSize - 1) / signInPageSize; pages != want {
		t.Errorf("page chain fetched %d pages of %d users, want %d", pages, users, want)
	}
	if n := c.Stats().Requests - before; n != int64(pages) {
		t.Errorf("page chain made %d requests for %d pages", n, pages)
	}
}
