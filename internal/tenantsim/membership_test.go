package tenantsim

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// A dynamic memberOf group follows its source: a user joining the source joins the dynamic
// group and, after processing, holds its license; a user leaving the source stays in the
// dynamic group (as Entra ID documents) but loses what the source itself gave.
func TestMemberOfGroupFollowsItsSource(t *testing.T) {
	tn, clk := newTestTenant(t, Config{Seed: 21, ProcessingDelay: time.Minute})
	src := tn.Scenarios.A1Group
	dyn, err := tn.CreateGroup(GroupSpec{
		DisplayName: "TAs - students", MailNickname: "tasstudents", SecurityEnabled: true,
		GroupTypes:     []string{"DynamicMembership"},
		MembershipRule: "user.memberof -any (group.objectId -in ['" + src + "'])",
	}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.AssignGroupLicenses(dyn.ID, []License{{SKUID: skuA1Students}}, nil, testActor); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	tn.Tick()
	// Someone who is in neither group and holds no license joins the source.
	var newcomer string
	for _, u := range tn.users {
		if len(tn.memberOf[u.ID]) == 0 && len(u.AssignedLicenses) == 0 && u.UsageLocation != "" {
			newcomer = u.ID
			break
		}
	}
	if newcomer == "" {
		t.Fatal("no unlicensed user outside every group")
	}
	g, err := tn.ChangeMembers(src, []string{newcomer}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.ProcessingState != processingQueued {
		t.Errorf("source after a join: %s, want queued", g.ProcessingState)
	}
	if d := tn.groupCopy(dyn.ID); !slices.Contains(d.Members, newcomer) || d.ProcessingState != processingQueued {
		t.Fatalf("dynamic group after the join: member %v, state %s", slices.Contains(d.Members, newcomer), d.ProcessingState)
	}
	clk.Add(time.Minute)
	tn.Tick()
	u := tn.userCopy(newcomer)
	if !holds(u, skuA1Students) {
		t.Fatalf("newcomer holds %v after processing", u.AssignedLicenses)
	}
	if st := statesOf(u, dyn.ID); len(st) != 1 || st[0].Error != errNone {
		t.Errorf("newcomer's states from the dynamic group: %+v", st)
	}
	// Faculty is full: from the source, all or none fails for the newcomer.
	if st := statesOf(u, src); len(st) != 2 {
		t.Errorf("newcomer's states from the source: %+v", st)
	}

	// Leaving the source: still a member of the dynamic group, the source's states go.
	if _, err := tn.ChangeMembers(src, nil, []string{newcomer}); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	tn.Tick()
	u = tn.userCopy(newcomer)
	if !slices.Contains(tn.groupCopy(dyn.ID).Members, newcomer) {
		t.Error("a user who left the source left the memberOf group too; Entra ID keeps them")
	}
	if st := statesOf(u, src); len(st) != 0 {
		t.Errorf("states from the source after leaving it: %+v", st)
	}
	if !holds(u, skuA1Students) {
		t.Error("the dynamic group's license went with the source's")
	}
	checkConsumed(t, tn)

	// Dynamic groups are managed by their rule; unknown objects are not found.
	var ge *Error
	if _, err := tn.ChangeMembers(dyn.ID, []string{newcomer}, nil); !errors.As(err, &ge) || ge.Status != 400 {
		t.Errorf("adding to a dynamic group: %v", err)
	}
	if _, err := tn.ChangeMembers(src, []string{"00000000-0000-4000-8000-0000000000aa"}, nil); !errors.As(err, &ge) || ge.Status != 404 {
		t.Errorf("adding an unknown object: %v", err)
	}
}

func TestControlMembers(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 22})
	c := NewControl(tn, nil, nil)
	var user string
	for _, u := range tn.users {
		if !slices.Contains(tn.memberOf[u.ID], tn.Scenarios.A1Group) {
			user = u.ID
			break
		}
	}
	post := func(body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/_sim/groups/"+tn.Scenarios.A1Group+"/members", bytes.NewBufferString(body))
		req.RemoteAddr = "127.0.0.1:1234"
		c.ServeHTTP(rec, req)
		return rec
	}
	if rec := post(`{"add":["` + user + `"]}`); rec.Code != http.StatusOK {
		t.Fatalf("add: %d %s", rec.Code, rec.Body)
	}
	if !slices.Contains(tn.groupCopy(tn.Scenarios.A1Group).Members, user) {
		t.Error("not added")
	}
	if rec := post(`{"add":["x"],"extra":1}`); rec.Code != http.StatusBadRequest {
		t.Errorf("unknown field: %d", rec.Code)
	}
}

// A memberOf group follows every join to its source, not only the control API's: Graph's
// POST members/$ref (AddMember) and a change set's joins take the same path.
func TestMemberOfGroupFollowsGraphJoins(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 21, ProcessingDelay: time.Minute})
	src := tn.Scenarios.A1Group
	dyn, err := tn.CreateGroup(GroupSpec{
		DisplayName: "TAs - all", MailNickname: "tasall", SecurityEnabled: true,
		GroupTypes:     []string{"DynamicMembership"},
		MembershipRule: "user.memberof -any (group.objectId -in ['" + src + "'])",
	}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	var newcomer string
	for _, u := range tn.users {
		if !slices.Contains(tn.memberOf[u.ID], src) {
			newcomer = u.ID
			break
		}
	}
	if err := tn.AddMember(src, newcomer, testActor); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tn.groupCopy(dyn.ID).Members, newcomer) {
		t.Error("a user added to the source through Graph did not join its memberOf group")
	}
}
