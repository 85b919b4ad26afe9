package graph

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

func mergePages(t testing.TB, pages ...string) model.GroupDelta {
	t.Helper()
	var m groupDeltaMerge
	for _, p := range pages {
		var page jsonPage[jsonGroupDelta]
		if err := decodePage([]byte(p), &page); err != nil {
			t.Fatalf("page %s: %v", p, err)
		}
		m.add(page.Value)
	}
	return m.out
}

func TestGroupDeltaMerge(t *testing.T) {
	const g1, g2 = "AAAAAAAA-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002"
	got := mergePages(t,
		// A large group split over two occurrences; a member that joined, then left on a later page.
		`{"value":[{"id":"`+g1+`","displayName":"big","members@delta":[
			{"@odata.type":"#microsoft.graph.user","id":"U1"},
			{"@odata.type":"#microsoft.graph.device","id":"d1"}]},
			{"id":"`+g1+`","members@delta":[{"@odata.type":"#microsoft.graph.user","id":"u2","@removed":{"reason":"deleted"}}]}]}`,
		`{"value":[{"id":"`+g1+`","members@delta":[{"id":"u1","@removed":{"reason":"deleted"}}]},
			{"id":"`+g2+`"},
			{"id":"","members@delta":[{"id":"u9"}]},
			{"id":"`+g2+`","members@delta":[{"id":""},{"@odata.type":"#microsoft.graph.group","id":"`+g1+`"}]},
			{"id":"deadbeef","@removed":{"reason":"deleted"}},
			{"id":"DEADBEEF","@removed":{"reason":"changed"}}]}`)
	want := []model.MemberChange{
		{GroupID: strings.ToLower(g1), MemberID: "u1", MemberType: "user", Removed: true}, // last entry wins, type kept
		{GroupID: strings.ToLower(g1), MemberID: "d1", MemberType: "device"},
		{GroupID: strings.ToLower(g1), MemberID: "u2", MemberType: "user", Removed: true},
		{GroupID: g2, MemberID: strings.ToLower(g1), MemberType: "group"},
	}
	if !slices.Equal(got.Members, want) {
		t.Fatalf("members\n got %+v\nwant %+v", got.Members, want)
	}
	if !slices.Equal(got.RemovedGroups, []string{"deadbeef"}) {
		t.Fatalf("removed groups %v", got.RemovedGroups)
	}
}

func FuzzGroupDeltaPage(f *testing.F) {
	f.Add([]byte(`{"value":[{"id":"g","members@delta":[{"@odata.type":"#microsoft.graph.user","id":"u","@removed":{"reason":"deleted"}}]}]}`))
	f.Add([]byte(`{"value":[{"id":"g","@removed":{}},{"id":"g","members@delta":null}]}`))
	f.Add([]byte(`{"value":[{"id":1}]}`))
	f.Add([]byte(`{"@odata.deltaLink":"x","value":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var page jsonPage[jsonGroupDelta]
		if decodePage(data, &page) != nil {
			return
		}
		var m groupDeltaMerge
		m.add(page.Value)
		m.add(page.Value) // a replay changes nothing
		seen := map[[2]string]bool{}
		for _, c := range m.out.Members {
			k := [2]string{c.GroupID, c.MemberID}
			if c.GroupID == "" || c.MemberID == "" || seen[k] || model.NormalizeID(c.GroupID) != c.GroupID {
				t.Fatalf("bad merge entry %+v (seen %v)", c, seen[k])
			}
			seen[k] = true
		}
		if len(slices.Compact(slices.Sorted(slices.Values(m.out.RemovedGroups)))) != len(m.out.RemovedGroups) {
			t.Fatalf("removed groups repeat: %v", m.out.RemovedGroups)
		}
	})
}

func TestValidGUID(t *testing.T) {
	for s, want := range map[string]bool{
		"0d3a5f0e-7c1b-4a2e-9f3d-1a2b3c4d5e6f": true,
		"0D3A5F0E-7C1B-4A2E-9F3D-1A2B3C4D5E6F": true,
		"0d3a5f0e-7c1b-4a2e-9f3d-1a2b3c4d5e6":  false,
		"0d3a5f0e-7c1b-4a2e-9f3d-1a2b3c4d5e6g": false,
		"0d3a5f0e-7c1b-4a2e-9f3d'1a2b3c4d5e6f": false,
		"') or (id ne '":                       false,
		"":                                     false,
		"0d3a5f0e07c1b-4a2e-9f3d-1a2b3c4d5e6f": false,
	} {
		if validGUID(s) != want {
			t.Errorf("validGUID(%q) = %v", s, !want)
		}
	}
}

func TestSimDeltaReads(t *testing.T) {
	e := startSim(t, smallTenant())
	ctx := context.Background()
	c := e.client(t, e.config())
	ten := e.srv.Tenant

	// A full read through the users delta is the same as GET /users, page for page.
	var listed, delta []model.User
	if err := c.Users(ctx, func(p []model.User) error { listed = append(listed, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	before := c.Stats().Requests
	usersLink, err := c.UsersDelta(ctx, "", func(p []model.User, removed []string) error {
		delta = append(delta, p...)
		if len(removed) > 0 {
			t.Errorf("initial round removed %v", removed)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages := c.Stats().Requests - before; pages != 1 {
		t.Errorf("600 users took %d delta pages", pages)
	}
	byID := func(us []model.User) map[string]model.User {
		m := map[string]model.User{}
		for _, u := range us {
			m[u.ID] = u
		}
		return m
	}
	lm, dm := byID(listed), byID(delta)
	if len(lm) != len(dm) {
		t.Fatalf("%d users listed, %d from delta", len(lm), len(dm))
	}
	for id, u := range lm {
		if !equalUsers(u, dm[id]) {
			t.Fatalf("user %s differs between /users and /users/delta", id)
		}
	}
	_, groupsLink, err := c.GroupsDelta(ctx, "")
	if err != nil {
		t.Fatal(err)
	}

	// Changes: a deletion, a join, a leave.
	var member, outsider, victim, group string
	for _, g := range ten.LicensedGroupTruth() {
		if g.Users > 2 {
			group = g.ID
			break
		}
	}
	members := map[string]bool{}
	if err := c.GroupUserMembers(ctx, group, func(p []model.User) error {
		for _, u := range p {
			members[u.ID] = true
			if len(u.LicenseStates) == 0 {
				t.Errorf("member %s read without license states", u.ID)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, u := range listed {
		switch {
		case members[u.ID] && member == "":
			member = u.ID
		case !members[u.ID] && outsider == "":
			outsider = u.ID
		case !members[u.ID] && victim == "" && u.ID != outsider:
			victim = u.ID
		}
	}
	actor := tenantsim.Actor{AppID: "test", DisplayName: "test"}
	for _, err := range []error{ten.AddMember(group, outsider, actor), ten.RemoveMember(group, member, actor), ten.DeleteUser(victim, actor)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var changed []model.User
	var removed []string
	usersLink2, err := c.UsersDelta(ctx, usersLink, func(p []model.User, r []string) error {
		changed, removed = append(changed, p...), append(removed, r...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{victim}) {
		t.Errorf("removed %v, want %s", removed, victim)
	}
	for _, u := range changed {
		// Group membership is no user property: the user who joined is in the users delta only
		// because the group's processing gave them its licenses (assignedLicenses changed).
		if u.ID == outsider && equalLicenses(u.AssignedLicenses, lm[outsider].AssignedLicenses) {
			t.Errorf("the user who joined a group is in the users delta with the licenses they had")
		}
	}
	gd, _, err := c.GroupsDelta(ctx, groupsLink)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, m := range gd.Members {
		if m.GroupID == group {
			got[m.MemberID] = m.Removed
		}
	}
	if len(got) != 2 || got[outsider] || !got[member] {
		t.Errorf("membership changes of %s: %v (want %s joined, %s left) in %+v", group, got, outsider, member, gd)
	}

	// The same round in one $batch, with the subscriptions and licensed groups as read alone.
	before = c.Stats().Requests
	var batched []model.User
	var batchedRemoved []string
	ch, err := c.Changes(ctx, usersLink, groupsLink, func(p []model.User, r []string) error {
		batched, batchedRemoved = append(batched, p...), append(batchedRemoved, r...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().Requests - before; n != 1 {
		t.Errorf("Changes took %d requests, want 1", n)
	}
	skus, err := c.SubscribedSKUs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := c.LicensedGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ch.SKUs, skus) || !reflect.DeepEqual(ch.Groups, groups) {
		t.Errorf("Changes read %d SKUs and %d groups unlike SubscribedSKUs (%d) and LicensedGroups (%d)", len(ch.SKUs), len(ch.Groups), len(skus), len(groups))
	}
	if !reflect.DeepEqual(batched, changed) || !slices.Equal(batchedRemoved, removed) || !reflect.DeepEqual(ch.GroupDelta, gd) {
		t.Errorf("Changes read %d users, %v removed, %d membership changes; the deltas alone %d, %v, %d",
			len(batched), batchedRemoved, len(ch.GroupDelta.Members), len(changed), removed, len(gd.Members))
	}
	if ch.UsersLink == "" || ch.GroupsLink == "" {
		t.Errorf("Changes links %+v", ch)
	}
	if _, err := c.Changes(ctx, "https://elsewhere.example/v1.0/users/delta?$deltatoken=x", groupsLink, func([]model.User, []string) error { return nil }); !errors.Is(err, model.ErrDeltaExpired) {
		t.Errorf("Changes with a foreign link: %v", err)
	}

	// By id, batched: every asked user that exists, the deleted one not.
	var ids []string
	for _, u := range listed {
		if u.ID != victim && len(ids) < 320 {
			ids = append(ids, u.ID)
		}
	}
	ids = append(ids, victim)
	read := map[string]bool{}
	before = c.Stats().Requests
	if err := c.UsersByID(ctx, ids, func(p []model.User) error {
		for _, u := range p {
			read[u.ID] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().Requests - before; n != 2 {
		t.Errorf("321 users by id took %d requests, want 2 $batch", n)
	}
	if len(read) != 320 || read[victim] {
		t.Errorf("read %d users by id (want 320), deleted user read: %v", len(read), read[victim])
	}
	if err := c.UsersByID(ctx, []string{"') or true or ('"}, func([]model.User) error { return nil }); err == nil {
		t.Error("a filter injection was sent")
	}

	// A reset tenant answers 410: the client says a full sync is needed.
	e.srv.API.ResetDelta()
	if _, err := c.UsersDelta(ctx, usersLink2, func([]model.User, []string) error { return nil }); !errors.Is(err, model.ErrDeltaExpired) {
		t.Errorf("users delta after reset: %v", err)
	}
	if _, _, err := c.GroupsDelta(ctx, groupsLink); !errors.Is(err, model.ErrDeltaExpired) {
		t.Errorf("groups delta after reset: %v", err)
	}
	if _, err := c.Changes(ctx, usersLink2, groupsLink, func([]model.User, []string) error { return nil }); !errors.Is(err, model.ErrDeltaExpired) {
		t.Errorf("Changes after reset: %v", err)
	}
	if _, err := c.UsersDelta(ctx, "https://elsewhere.example/v1.0/users/delta?$deltatoken=x", func([]model.User, []string) error { return nil }); !errors.Is(err, model.ErrDeltaExpired) {
		t.Errorf("a foreign link: %v", err)
	}
}

func equalLicenses(a, b []model.AssignedLicense) bool {
	return slices.EqualFunc(a, b, func(x, y model.AssignedLicense) bool {
		return x.SKUID == y.SKUID && slices.Equal(x.DisabledPlans, y.DisabledPlans)
	})
}
