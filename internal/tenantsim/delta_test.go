package tenantsim

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// deltaEnv is an API over a tenant on a clock the test moves.
func deltaEnv(t *testing.T) (*apiEnv, *testkit.Clock) {
	t.Helper()
	clk := newFakeClock()
	return newAPIEnvWith(t, Config{Seed: 7, Users: 200, Groups: 30, LicensedGroups: 10, Now: clk.Now}), clk
}

// round follows a delta round from path to its deltaLink, returning every entry.
func (e *apiEnv) round(tb testing.TB, path string, hdr ...string) ([]map[string]any, string) {
	tb.Helper()
	var all []map[string]any
	for next := path; ; {
		r := e.get(tb, next, hdr...)
		if r.Status != 200 {
			tb.Fatalf("GET %s: %d %s", next, r.Status, r.Body)
		}
		m := r.JSON(tb)
		all = append(all, values(tb, m)...)
		if n, _ := m["@odata.nextLink"].(string); n != "" {
			next = n
			continue
		}
		link, _ := m["@odata.deltaLink"].(string)
		if !strings.Contains(link, "$deltatoken=") {
			tb.Fatalf("round ended without a deltaLink: %v", keys(m))
		}
		return all, link
	}
}

func ids(items []map[string]any) []string {
	var out []string
	for _, it := range items {
		out = append(out, it["id"].(string))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

const userDeltaSelect = "/v1.0/users/delta?$select=id,displayName,jobTitle,assignedLicenses,licenseAssignmentStates"

func TestDeltaUsersRoundsAndPaging(t *testing.T) {
	e, _ := deltaEnv(t)
	r := e.get(t, userDeltaSelect, "Prefer", "odata.maxpagesize=30")
	if got := r.Header.Get("Preference-Applied"); got != "odata.maxpagesize=30" {
		t.Errorf("Preference-Applied %q", got)
	}
	if n := len(values(t, r.JSON(t))); n != 30 {
		t.Fatalf("first page has %d users, want 30", n)
	}
	all, link := e.round(t, userDeltaSelect, "Prefer", "odata.maxpagesize=30")
	if len(all) != len(e.users()) {
		t.Fatalf("initial round: %d users, tenant has %d", len(all), len(e.users()))
	}
	if _, ok := all[0]["licenseAssignmentStates"]; !ok {
		t.Fatalf("selected properties missing: %v", keys(all[0]))
	}
	if _, ok := all[0]["city"]; ok {
		t.Fatalf("unselected property returned: %v", keys(all[0]))
	}
	// Nothing changed: an empty round, and the same again.
	got, link := e.round(t, link)
	if len(got) != 0 {
		t.Fatalf("unchanged tenant: %d entries", len(got))
	}
	// Changes of unselected properties are not tracked; selected ones are.
	u := e.users()[5]
	city, title := "Berlin", "Research Assistant"
	if _, err := e.t.UpdateUser(u.ID, UserChange{City: &city}, testActor); err != nil {
		t.Fatal(err)
	}
	if got, link = e.round(t, link); len(got) != 0 {
		t.Fatalf("a change of city (not selected) was reported: %v", got)
	}
	if _, err := e.t.UpdateUser(u.ID, UserChange{JobTitle: &title}, testActor); err != nil {
		t.Fatal(err)
	}
	got, _ = e.round(t, link)
	if len(got) != 1 || got[0]["id"] != u.ID || got[0]["jobTitle"] != title || got[0]["displayName"] != u.DisplayName {
		t.Fatalf("after a job title change: %v", got)
	}
	// Without $select every property is tracked.
	_, plain := e.round(t, "/v1.0/users/delta", "Prefer", "odata.maxpagesize=999")
	if _, err := e.t.UpdateUser(u.ID, UserChange{City: &city}, testActor); err != nil {
		t.Fatal(err)
	}
	other := "Toronto"
	if _, err := e.t.UpdateUser(u.ID, UserChange{City: &other}, testActor); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.round(t, plain); len(got) != 1 || got[0]["id"] != u.ID {
		t.Fatalf("without $select: %v", got)
	}
}

// TestDeltaLeavesOutLicenseStateChanges is Graph's documented limitation the incremental
// refresh must work around: after a template change is processed, members whose license
// states changed but whose assignedLicenses did not are not in the users delta.
func TestDeltaLeavesOutLicenseStateChanges(t *testing.T) {
	for _, c := range []struct {
		name            string
		add, remove     bool
		wantStatesOnly  bool
		wantNewLicenses bool
	}{
		// A1 for faculty has no units: added to a template it fails for every member, and
		// all-or-none keeps what they held (ActiveWithError): states change, licenses do not.
		{name: "license without units added", add: true, wantStatesOnly: true},
		// Taken out of the A1 group's template, A1 for students applies: licenses change.
		{name: "failing license removed", remove: true, wantNewLicenses: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, _ := deltaEnv(t)
			g := e.t.Scenarios.A1Group
			if c.add {
				g = ""
				for _, gr := range e.groups() {
					if len(gr.Licenses) > 0 && len(gr.Members) > 3 && gr.MembershipRule == "" && !e.t.scenarioObjects()[gr.ID] {
						g = gr.ID
						break
					}
				}
			}
			checkStatesNotTracked(t, e, g, c.add, c.wantStatesOnly, c.wantNewLicenses)
		})
	}
}

func checkStatesNotTracked(t *testing.T, e *apiEnv, g string, add, wantStatesOnly, wantNewLicenses bool) {
	_, link := e.round(t, userDeltaSelect, "Prefer", "odata.maxpagesize=999")
	before := map[string]User{}
	for _, m := range e.group(g).Members {
		if _, ok := e.t.userByID[m]; ok {
			before[m] = e.t.userCopy(m)
		}
	}
	faculty := e.t.Scenarios.FacultySKU
	var err error
	if add {
		_, err = e.t.AssignGroupLicenses(g, []License{{SKUID: faculty}}, nil, testActor)
	} else {
		_, err = e.t.AssignGroupLicenses(g, nil, []string{faculty}, testActor)
	}
	if err != nil {
		t.Fatal(err)
	}
	e.t.AdvanceProcessing()
	got, _ := e.round(t, link, "Prefer", "odata.maxpagesize=999")
	reported := map[string]map[string]any{}
	for _, it := range got {
		reported[it["id"].(string)] = it
	}
	statesOnly, withLicenses := 0, 0
	for id, old := range before {
		now := e.t.userCopy(id)
		licensesChanged := !sameLicenses(old.AssignedLicenses, now.AssignedLicenses)
		statesChanged := !reflect.DeepEqual(old.LicenseStates, now.LicenseStates)
		switch it, in := reported[id]; {
		case licensesChanged && !in:
			t.Errorf("user %s: assignedLicenses changed but not reported", id)
		case licensesChanged:
			withLicenses++
			// A reported user comes with the license states of now.
			var states []map[string]any
			raw, _ := json.Marshal(it["licenseAssignmentStates"])
			_ = json.Unmarshal(raw, &states)
			if len(states) != len(now.LicenseStates) {
				t.Errorf("user %s reported with %d states, has %d", id, len(states), len(now.LicenseStates))
			}
		case statesChanged && in:
			t.Errorf("user %s: only license states changed, yet reported", id)
		case statesChanged:
			statesOnly++
		}
	}
	if wantStatesOnly && statesOnly == 0 || wantNewLicenses && withLicenses == 0 {
		t.Fatalf("%d members with only their states changed, %d with new licenses: the scenario tests nothing", statesOnly, withLicenses)
	}
}

func TestDeltaGroupsMembersAndLatest(t *testing.T) {
	e, _ := deltaEnv(t)
	// Sync from now: no objects, a deltaLink.
	r := e.get(t, "/v1.0/groups/delta?$select=members&$deltatoken=latest")
	m := r.JSON(t)
	link, _ := m["@odata.deltaLink"].(string)
	if r.Status != 200 || len(values(t, m)) != 0 || link == "" {
		t.Fatalf("$deltatoken=latest: %d %v", r.Status, m)
	}
	var static *Group
	for _, g := range e.groups() {
		if g.MembershipRule == "" && len(g.Licenses) > 0 && g.ID != e.t.Scenarios.A1Group {
			static = &g
			break
		}
	}
	var outsider, member string
	for _, u := range e.users() {
		in := slices.Contains(static.Members, u.ID)
		if in && member == "" {
			member = u.ID
		}
		if !in && outsider == "" {
			outsider = u.ID
		}
	}
	if err := e.t.AddMember(static.ID, outsider, testActor); err != nil {
		t.Fatal(err)
	}
	if err := e.t.RemoveMember(static.ID, member, testActor); err != nil {
		t.Fatal(err)
	}
	// A template change is not tracked when only members are selected.
	if _, err := e.t.AssignGroupLicenses(e.t.Scenarios.A1Group, nil, []string{e.t.Scenarios.FacultySKU}, testActor); err != nil {
		t.Fatal(err)
	}
	got, next := e.round(t, link)
	if len(got) != 1 || got[0]["id"] != static.ID {
		t.Fatalf("group delta: %v", got)
	}
	md := got[0]["members@delta"].([]any)
	seen := map[string]bool{}
	for _, x := range md {
		o := x.(map[string]any)
		_, removed := o["@removed"]
		seen[o["id"].(string)] = removed
		if o["@odata.type"] != "#microsoft.graph.user" {
			t.Errorf("member entry %v", o)
		}
	}
	if len(seen) != 2 || seen[outsider] || !seen[member] {
		t.Fatalf("members@delta %v: want %s added and %s removed", md, outsider, member)
	}
	// Joining and leaving again within one round: the last change wins.
	if err := e.t.AddMember(static.ID, member, testActor); err != nil {
		t.Fatal(err)
	}
	if err := e.t.RemoveMember(static.ID, member, testActor); err != nil {
		t.Fatal(err)
	}
	got, _ = e.round(t, next)
	if len(got) != 1 || len(got[0]["members@delta"].([]any)) != 1 {
		t.Fatalf("join then leave: %v", got)
	}
	if _, removed := got[0]["members@delta"].([]any)[0].(map[string]any)["@removed"]; !removed {
		t.Fatalf("join then leave reported as %v", got[0])
	}
	// With assignedLicenses selected, the template change is reported.
	_, withLic := e.round(t, "/v1.0/groups/delta?$select=assignedLicenses,members&$deltatoken=latest")
	if _, err := e.t.AssignGroupLicenses(e.t.Scenarios.A1Group, []License{{SKUID: e.t.Scenarios.FacultySKU}}, nil, testActor); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.round(t, withLic); len(ids(got)) != 1 || ids(got)[0] != e.t.Scenarios.A1Group {
		t.Fatalf("template change with assignedLicenses selected: %v", got)
	}
}

// Large groups come in several occurrences that together hold every member.
func TestDeltaGroupsSplitLargeGroups(t *testing.T) {
	e := newAPIEnvWith(t, Config{Seed: 3, Users: 1500, Groups: 20, LicensedGroups: 8, Now: newFakeClock().Now})
	all, _ := e.round(t, "/v1.0/groups/delta?$select=displayName,members", "Prefer", "odata.maxpagesize=7")
	merged := map[string]map[string]bool{}
	occurrences := map[string]int{}
	for _, it := range all {
		id := it["id"].(string)
		occurrences[id]++
		if merged[id] == nil {
			merged[id] = map[string]bool{}
		}
		list, _ := it["members@delta"].([]any)
		if len(list) > memberChunk {
			t.Fatalf("group %s carries %d members in one occurrence", id, len(list))
		}
		for _, x := range list {
			merged[id][x.(map[string]any)["id"].(string)] = true
		}
	}
	split := 0
	for _, g := range e.groups() {
		if len(merged[g.ID]) != len(g.Members) {
			t.Errorf("group %s: %d members merged, has %d", g.DisplayName, len(merged[g.ID]), len(g.Members))
		}
		if occurrences[g.ID] > 1 {
			split++
		}
	}
	if split == 0 {
		t.Fatal("no group was large enough to be split: the test tests nothing")
	}
}

func TestDeltaDeletedUsers(t *testing.T) {
	e, _ := deltaEnv(t)
	_, users := e.round(t, "/v1.0/users/delta?$select=id,displayName", "Prefer", "odata.maxpagesize=999")
	_, groups := e.round(t, "/v1.0/groups/delta?$select=members&$deltatoken=latest")
	var victim User
	for _, u := range e.users() {
		if len(e.t.memberOf[u.ID]) > 0 && len(u.AssignedLicenses) > 0 {
			victim = u
			break
		}
	}
	skus := map[string]int{}
	for _, l := range victim.AssignedLicenses {
		skus[l.SKUID] = e.t.ConsumedUnits(l.SKUID)
	}
	if err := e.t.DeleteUser(victim.ID, testActor); err != nil {
		t.Fatal(err)
	}
	checkConsumed(t, e.t)
	for sku, n := range skus {
		if e.t.ConsumedUnits(sku) != n-1 {
			t.Errorf("SKU %s: %d consumed after deleting a holder, was %d", sku, e.t.ConsumedUnits(sku), n)
		}
	}
	got, _ := e.round(t, users)
	if len(got) != 1 || got[0]["id"] != victim.ID || !reflect.DeepEqual(got[0]["@removed"], map[string]any{"reason": "changed"}) {
		t.Fatalf("users delta after a deletion: %v", got)
	}
	gd, _ := e.round(t, groups)
	if len(gd) != len(e.t.memberOf[victim.ID]) && len(gd) == 0 {
		t.Fatalf("group delta after a deletion: %v", gd)
	}
	for _, g := range gd {
		o := g["members@delta"].([]any)[0].(map[string]any)
		if o["id"] != victim.ID || o["@removed"] == nil {
			t.Errorf("group %s: %v", g["id"], o)
		}
	}
	// An initial round may carry deleted users as @removed, as Graph documents.
	all, _ := e.round(t, "/v1.0/users/delta?$select=id", "Prefer", "odata.maxpagesize=999")
	if last := all[len(all)-1]; last["id"] != victim.ID || last["@removed"] == nil {
		t.Fatalf("initial round ends with %v", last)
	}
	if r := e.get(t, "/v1.0/users/"+victim.ID); r.Status != 404 {
		t.Fatalf("deleted user still readable: %d", r.Status)
	}
}

func TestDeltaTokensExpire(t *testing.T) {
	e, clk := deltaEnv(t)
	_, link := e.round(t, "/v1.0/users/delta?$select=id&$deltatoken=latest")
	clk.Add(6 * 24 * time.Hour)
	_, link = e.round(t, link) // still valid, and renewed
	clk.Add(7*24*time.Hour + time.Minute)
	r := e.get(t, link)
	wantError(t, r, 410, "syncStateNotFound", "expired")
	if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, "/users/delta?$deltatoken=") {
		t.Errorf("Location %q", loc)
	}
	_, link = e.round(t, "/v1.0/groups/delta?$select=members&$deltatoken=latest")
	e.api.ResetDelta()
	wantError(t, e.get(t, link), 410, "resyncRequired", "")
	for _, bad := range []string{"abc", "latest|x", url.QueryEscape(deltaToken("d", "x", "1", "1", ""))} {
		wantError(t, e.get(t, "/v1.0/users/delta?$deltatoken="+bad), 410, "resyncRequired", "")
	}
	wantError(t, e.get(t, "/v1.0/users/delta?$top=5"), 400, "Request_UnsupportedQuery", "")
	// signInActivity is not carried by the delta, as Graph answers (and not by a latest round).
	for _, q := range []string{"$select=id,signInActivity", "$select=displayName,SIGNINACTIVITY&$deltatoken=latest"} {
		wantError(t, e.get(t, "/v1.0/users/delta?"+q), 400, "BadRequest", "signInActivity")
	}
}

// Changes whose license processing is not due yet stay queued: only what is due runs with them.
func TestApplyChangesLeavesProcessingNotDue(t *testing.T) {
	a, _ := newTestTenant(t, Config{Seed: 9, Users: 2000, Groups: 60, LicensedGroups: 20, ProcessingDelay: time.Minute})
	if _, err := a.ApplyChanges(0.05, 42); err != nil {
		t.Fatal(err)
	}
	if len(a.pending) == 0 {
		t.Fatal("no group queued for processing after a template change, with a minute's processing delay")
	}
}

func TestApplyChanges(t *testing.T) {
	a, _ := newTestTenant(t, Config{Seed: 9, Users: 2000, Groups: 60, LicensedGroups: 20})
	b, _ := newTestTenant(t, Config{Seed: 9, Users: 2000, Groups: 60, LicensedGroups: 20})
	before := dumpHash(t, a)
	if cs, err := a.ApplyChanges(0, 1); err != nil || cs != (ChangeSet{}) || dumpHash(t, a) != before {
		t.Fatalf("share 0: %+v %v", cs, err)
	}
	for _, bad := range []float64{-0.1, 1.5} {
		if _, err := a.ApplyChanges(bad, 1); err == nil {
			t.Errorf("share %v accepted", bad)
		}
	}
	ca, err := a.ApplyChanges(0.05, 42)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.ApplyChanges(0.05, 42)
	if err != nil {
		t.Fatal(err)
	}
	if ca != cb || dumpHash(t, a) != dumpHash(t, b) {
		t.Fatalf("the same seed changed two equal tenants differently: %+v vs %+v", ca, cb)
	}
	if ca.Users != 100 || ca.AttributeEdits == 0 || ca.Joins+ca.Leaves == 0 || ca.Deletions == 0 ||
		ca.LicensesAdded+ca.LicensesRemoved+ca.LicensesRefused == 0 || ca.TemplateGroup == "" || ca.UnitsBought == 0 {
		t.Fatalf("change set lacks a kind of change: %+v", ca)
	}
	if len(a.pending) != 0 { // Config's ProcessingDelay is 0: due as the changes land
		t.Fatalf("%d groups still queued after the changes: their processing was left for the next request", len(a.pending))
	}
	a.AdvanceProcessing()
	checkConsumed(t, a)
	for id := range a.scenarioObjects() {
		if a.userByID[id] == nil && a.groupByID[id] == nil {
			t.Errorf("scenario object %s is gone", id)
		}
	}
}

// A template change Graph would refuse (a license whose plans need a service the template
// lacks) is not made, and another is tried: a change set never fails for it (one of seeds
// 1-60 on this tenant failed before, as a 100,000-user bench did).
func TestApplyChangesSkipsRefusedTemplateChanges(t *testing.T) {
	a, _ := newTestTenant(t, Config{Seed: 3, Users: 1000, Groups: 40, LicensedGroups: 20})
	for seed := int64(1); seed <= 60; seed++ {
		before := map[string]int{}
		for _, g := range a.groups {
			before[g.ID] = len(g.Licenses)
		}
		cs, err := a.ApplyChanges(0.01, seed)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		changed := 0
		for _, g := range a.groups {
			if len(g.Licenses) != before[g.ID] {
				changed++
				if g.ID != cs.TemplateGroup {
					t.Fatalf("seed %d: group %s's template changed, the change set names %q", seed, g.ID, cs.TemplateGroup)
				}
			}
		}
		if cs.TemplateGroup != "" && changed != 1 {
			t.Fatalf("seed %d: %q reported (%s) but %d templates changed", seed, cs.TemplateGroup, cs.TemplateChange, changed)
		}
	}
}
