package tenantsim

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// userMembers lists the user members of a group.
func userMembers(tn *Tenant, gid string) []string {
	var out []string
	for _, m := range tn.groupCopy(gid).Members {
		if tn.objectType[m] == TypeUser {
			out = append(out, m)
		}
	}
	return out
}

// auditsFor returns the audit events targeting id with the given activity.
func auditsFor(tn *Tenant, id, activity string) []AuditEvent {
	var out []AuditEvent
	for _, e := range tn.AuditLog() {
		if e.ActivityDisplayName != activity {
			continue
		}
		for _, r := range e.TargetResources {
			if r.ID == id {
				out = append(out, e)
			}
		}
	}
	return out
}

func detail(e AuditEvent, key string) string {
	for _, kv := range e.AdditionalDetails {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

func TestA1ScenarioEndToEnd(t *testing.T) {
	for _, cfg := range []Config{{Seed: 11}, {Seed: 12, Users: 50, Groups: 10, LicensedGroups: 7}} {
		tn, clk := newTestTenant(t, cfg)
		sc := tn.Scenarios
		members := userMembers(tn, sc.A1Group)
		facBefore, stuBefore := tn.ConsumedUnits(sc.FacultySKU), tn.ConsumedUnits(sc.StudentSKU)

		// Before: the history shows why they failed.
		for _, id := range members {
			evs := auditsFor(tn, id, activityChangeLic)
			ok := false
			for _, e := range evs {
				if e.Result == "failure" && e.InitiatedBy.App != nil && e.InitiatedBy.App.DisplayName == gblAppName &&
					e.ResultReason == "Microsoft.Online.Provisioning.SubscriptionManagement.SubscriptionFullException" &&
					strings.Contains(detail(e, detailLicenseMsg), "for SKU ["+sc.FacultySKU+"]. Licenses being added: ["+sc.FacultySKU+"]") &&
					e.Category == "UserManagement" {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("no SubscriptionFullException history for A1 member %s: %+v", id, evs)
			}
			if u := tn.userCopy(id); holds(u, sc.StudentSKU) || holds(u, sc.FacultySKU) {
				t.Fatalf("all-or-none broken: %s holds A1 licenses from the failing group: %+v", id, u.AssignedLicenses)
			}
		}

		// Reprocessing without buying changes nothing but writes the failure again.
		clk.Add(time.Minute)
		u, err := tn.ReprocessUser(members[0], testActor)
		if err != nil {
			t.Fatal(err)
		}
		if st := statesOf(u, sc.A1Group); st[1].Error != errCount || st[0].Error != errOther {
			t.Fatalf("after reprocess without units: %+v", st)
		}

		// Buy licenses, reprocess each member: both Active, units consumed once each.
		if err := tn.SetPrepaidUnits(sc.FacultySKU, facBefore+len(members)); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Minute)
		for _, id := range members {
			u, err := tn.ReprocessUser(id, testActor)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range statesOf(u, sc.A1Group) {
				if s.State != stateActive || s.Error != errNone || !s.LastUpdated.Equal(clk.Now().Truncate(time.Second)) {
					t.Fatalf("after buying: %s state %+v", u.UserPrincipalName, s)
				}
			}
			if !holds(u, sc.FacultySKU) || !holds(u, sc.StudentSKU) {
				t.Fatalf("after buying: %s holds %+v", u.UserPrincipalName, u.AssignedLicenses)
			}
			evs := auditsFor(tn, id, activityChangeLic)
			last := evs[len(evs)-1]
			if last.Result != "success" || last.InitiatedBy.App.DisplayName != gblAppName ||
				!strings.Contains(last.TargetResources[0].ModifiedProperties[0].NewValue, sc.FacultySKU) {
				t.Fatalf("after buying: last audit event %+v", last)
			}
		}
		if got := tn.ConsumedUnits(sc.FacultySKU); got != facBefore+len(members) {
			t.Errorf("faculty consumed %d, want %d", got, facBefore+len(members))
		}
		if got := tn.ConsumedUnits(sc.StudentSKU); got != stuBefore+len(members) {
			t.Errorf("students consumed %d, want %d", got, stuBefore+len(members))
		}
		checkConsumed(t, tn)
	}
}

func TestConflictMessageNamesBothPlans(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 3})
	for _, id := range userMembers(tn, tn.Scenarios.ConflictGroup) {
		u, err := tn.ReprocessUser(id, testActor)
		if err != nil {
			t.Fatal(err)
		}
		if !holds(u, skuO365E3) {
			t.Fatalf("conflict member %s lost its direct E3", u.UserPrincipalName)
		}
		evs := auditsFor(tn, id, activityChangeLic)
		msg := detail(evs[len(evs)-1], detailLicenseMsg)
		want := "Resolve these conflicting service plan pairs to solve this problem: [" + planYammerEnterprise + ", " + planYammerEdu + "]. Licenses being added: [" + skuA1Students + "]"
		if !strings.Contains(msg, want) {
			t.Fatalf("conflict message %q does not contain %q", msg, want)
		}
		if evs[len(evs)-1].ResultReason == "" || evs[len(evs)-1].Result != "failure" {
			t.Fatalf("conflict event %+v", evs[len(evs)-1])
		}
	}
}

func TestDependencyResolvedByTeams(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 4})
	members := userMembers(tn, tn.Scenarios.DependencyGroup)
	msg := detail(auditsFor(tn, members[0], activityChangeLic)[0], detailLicenseMsg)
	if !strings.Contains(msg, planAudioConf+" depends on "+planTeams) {
		t.Fatalf("dependency message %q", msg)
	}
	// Power BI Pro is full; make room, swap the contractors' Exchange Online (Plan 1) for
	// Office 365 E3 (which brings Teams) and the group's licenses apply.
	pbi := tn.skuCopy(skuPowerBIPro)
	if err := tn.SetPrepaidUnits(skuPowerBIPro, pbi.Prepaid.Enabled+len(members)); err != nil {
		t.Fatal(err)
	}
	for _, id := range members {
		if _, err := tn.AssignUserLicenses(id, []License{{SKUID: skuO365E3}}, []string{skuEXOP1}, testActor); err != nil {
			t.Fatalf("swap licenses: %v", err)
		}
		u := tn.userCopy(id)
		for _, s := range statesOf(u, tn.Scenarios.DependencyGroup) {
			if s.Error != errNone {
				t.Fatalf("after Teams arrived: %+v", s)
			}
		}
		if !holds(u, skuAudioConf) || !holds(u, skuPowerBIPro) || holds(u, skuEXOP1) {
			t.Fatalf("after Teams arrived: %+v", u.AssignedLicenses)
		}
	}
	checkConsumed(t, tn)
}

func TestUsageLocationScenario(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 6})
	for _, id := range userMembers(tn, tn.Scenarios.UsageLocationGroup) {
		u := tn.userCopy(id)
		if u.UsageLocation != "BY" {
			t.Fatalf("usage location scenario user in %q", u.UsageLocation)
		}
		if len(u.AssignedLicenses) != 0 {
			t.Fatalf("all-or-none: %s holds %+v", u.UserPrincipalName, u.AssignedLicenses)
		}
		evs := auditsFor(tn, id, activityChangeLic)
		if msg := detail(evs[0], detailLicenseMsg); !strings.Contains(msg, "[BY]") || !strings.Contains(msg, planAudioConf) {
			t.Fatalf("usage location message %q", msg)
		}
	}
}

// Users without a usage location get group licenses (the tenant's country applies) but a
// direct assignment is refused.
func TestMissingUsageLocation(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 8})
	var u *User
	for _, x := range tn.users {
		if x.UsageLocation == "" && x.UserType == "Member" && len(x.AssignedLicenses) > 0 {
			u = x
			break
		}
	}
	if u == nil {
		t.Fatal("no licensed user without usage location")
	}
	for _, s := range u.LicenseStates {
		if s.Error != errNone {
			t.Errorf("group license of user without location in error: %+v", s)
		}
	}
	_, err := tn.AssignUserLicenses(u.ID, []License{{SKUID: skuVisioP2}}, nil, testActor)
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 400 || ge.Message != "License assignment cannot be done for user with invalid usage location." {
		t.Fatalf("direct assign without usage location: %v", err)
	}
}

func TestAssignUserLicensesErrors(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 9})
	// A staff member with Teams and a usage location, no Power BI, no audio conferencing.
	var staff *User
	for _, u := range tn.users {
		if u.role == roleStaff && u.UsageLocation == "US" && holds(cloneUser(u), skuO365E3) &&
			!holds(cloneUser(u), skuPowerBIPro) && !holds(cloneUser(u), skuAudioConf) && len(u.DirectLicenses) == 0 {
			staff = u
			break
		}
	}
	if staff == nil {
		t.Fatal("no suitable staff member")
	}
	unknown := "00000000-0000-4000-8000-000000000000"
	cases := []struct {
		name   string
		user   string
		add    []License
		remove []string
		status int
		code   string
		msg    string
	}{
		{"unknown user", unknown, []License{{SKUID: skuAudioConf}}, nil, 404, "Request_ResourceNotFound",
			"Resource '" + unknown + "' does not exist or one of its queried reference-property objects are not present."},
		{"unknown SKU", staff.ID, []License{{SKUID: unknown}}, nil, 400, "Request_BadRequest",
			"License " + unknown + " does not correspond to a valid company License."},
		{"no units, all or none", staff.ID, []License{{SKUID: skuAudioConf}, {SKUID: skuPowerBIPro}}, nil, 400, "Request_BadRequest",
			"Subscription with SKU " + skuPowerBIPro + " does not have any available licenses."},
		{"conflict", staff.ID, []License{{SKUID: skuO365E1}}, nil, 400, "Request_BadRequest", ""},
		{"remove inherited", staff.ID, nil, []string{skuO365E3}, 400, "Request_BadRequest",
			"User license is inherited from a group membership and it cannot be removed directly from the user."},
		{"bad disabled plan", staff.ID, []License{{SKUID: skuAudioConf, DisabledPlans: []string{planTeams}}}, nil, 400, "Request_BadRequest", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := tn.userCopy(staff.ID)
			consumed := tn.ConsumedUnits(skuAudioConf)
			_, err := tn.AssignUserLicenses(c.user, c.add, c.remove, testActor)
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if ge.Status != c.status || ge.Code != c.code || c.msg != "" && ge.Message != c.msg || ge.Message == "" {
				t.Fatalf("got %d %s %q, want %d %s %q", ge.Status, ge.Code, ge.Message, c.status, c.code, c.msg)
			}
			after := tn.userCopy(staff.ID)
			if !sameLicenses(before.AssignedLicenses, after.AssignedLicenses) || tn.ConsumedUnits(skuAudioConf) != consumed {
				t.Fatalf("failed call changed the user: %+v -> %+v", before.AssignedLicenses, after.AssignedLicenses)
			}
		})
	}
	// The all-or-none failure was audited with the caller as initiator.
	evs := auditsFor(tn, staff.ID, activityChangeLic)
	if len(evs) == 0 || evs[len(evs)-1].Result != "failure" || evs[len(evs)-1].InitiatedBy.App.DisplayName != testActor.DisplayName {
		t.Fatalf("direct failure not audited: %+v", evs)
	}
	// Success: one unit taken, the caller audited.
	consumed := tn.ConsumedUnits(skuAudioConf)
	u, err := tn.AssignUserLicenses(staff.UserPrincipalName, []License{{SKUID: strings.ToUpper(skuAudioConf)}}, nil, testActor)
	if err != nil {
		t.Fatal(err)
	}
	if !holds(u, skuAudioConf) || tn.ConsumedUnits(skuAudioConf) != consumed+1 {
		t.Fatalf("assign audio conferencing: %+v, consumed %d -> %d", u.AssignedLicenses, consumed, tn.ConsumedUnits(skuAudioConf))
	}
	if s, ok := findState(u.LicenseStates, skuAudioConf, ""); !ok || s.State != stateActive || s.Error != errNone {
		t.Fatalf("direct state %+v", s)
	}
	evs = auditsFor(tn, staff.ID, activityChangeLic)
	if last := evs[len(evs)-1]; last.Result != "success" || last.InitiatedBy.App.AppID != testActor.AppID {
		t.Fatalf("success event %+v", last)
	}
	// Removing it gives the unit back.
	if _, err := tn.AssignUserLicenses(staff.ID, nil, []string{skuAudioConf}, testActor); err != nil {
		t.Fatal(err)
	}
	if tn.ConsumedUnits(skuAudioConf) != consumed {
		t.Fatalf("remove: consumed %d, want %d", tn.ConsumedUnits(skuAudioConf), consumed)
	}
	checkConsumed(t, tn)
}

// A SKU that a user gets from two sources consumes one unit.
func TestTwoSourcesOneUnit(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 10})
	found := false
	for _, u := range tn.users {
		n := 0
		for _, s := range u.LicenseStates {
			if s.SKUID == skuA1Students && s.State == stateActive {
				n++
			}
		}
		if n >= 2 {
			found = true
			c := 0
			for _, l := range u.AssignedLicenses {
				if l.SKUID == skuA1Students {
					c++
				}
			}
			if c != 1 {
				t.Fatalf("%s holds A1 students %d times", u.UserPrincipalName, c)
			}
		}
	}
	if !found {
		t.Fatal("no user with A1 for students from two groups")
	}
	checkConsumed(t, tn)
}

// ActiveWithError and Disabled follow the engine, not only the generator: the architects keep
// E3 (ActiveWithError) while Visio fails, reprocessing without units keeps it so, buying Visio
// licenses makes both Active, and dropping Visio from the template of a group in the same
// situation makes E3 Active again. Holders of the suspended subscription stay Disabled through
// a reprocess, and nobody new can be given it.
func TestActiveWithErrorAndDisabled(t *testing.T) {
	tn, clk := newTestTenant(t, Config{Seed: 15, Users: 400, Groups: 40, LicensedGroups: 12})
	sc := tn.Scenarios
	members := userMembers(tn, sc.ActiveWithErrorGroup)
	want := func(u User, e3State, e3Err, visioState, visioErr string) {
		t.Helper()
		st := map[string]LicenseState{}
		for _, s := range statesOf(u, sc.ActiveWithErrorGroup) {
			st[s.SKUID] = s
		}
		if e3, v := st[skuO365E3], st[skuVisioP2]; e3.State != e3State || e3.Error != e3Err || v.State != visioState || v.Error != visioErr {
			t.Fatalf("%s: E3 %s/%q, Visio %s/%q; want %s/%q, %s/%q", u.UserPrincipalName, e3.State, e3.Error, v.State, v.Error, e3State, e3Err, visioState, visioErr)
		}
		if !holds(u, skuO365E3) || holds(u, skuVisioP2) != (visioState == stateActive) {
			t.Fatalf("%s holds %+v", u.UserPrincipalName, u.AssignedLicenses)
		}
	}
	clk.Add(time.Minute)
	u, err := tn.ReprocessUser(members[0], testActor)
	if err != nil {
		t.Fatal(err)
	}
	want(u, stateActiveWithError, errOther, stateError, errCount)
	visio := tn.skuCopy(skuVisioP2)
	if err := tn.SetPrepaidUnits(skuVisioP2, visio.ConsumedUnits+1); err != nil {
		t.Fatal(err)
	}
	if u, err = tn.ReprocessUser(members[0], testActor); err != nil {
		t.Fatal(err)
	}
	want(u, stateActive, errNone, stateActive, errNone)
	if u, err = tn.ReprocessUser(members[1], testActor); err != nil {
		t.Fatal(err)
	}
	want(u, stateActiveWithError, errOther, stateError, errCount) // the one unit is taken
	if _, err := tn.AssignGroupLicenses(sc.ActiveWithErrorGroup, nil, []string{skuVisioP2}, testActor); err != nil {
		t.Fatal(err)
	}
	tn.AdvanceProcessing()
	for _, s := range statesOf(tn.userCopy(members[1]), sc.ActiveWithErrorGroup) {
		if s.SKUID != skuO365E3 || s.State != stateActive || s.Error != errNone {
			t.Fatalf("after dropping Visio: %+v", s)
		}
	}
	checkConsumed(t, tn)

	pilots := userMembers(tn, sc.DisabledGroup)
	for _, id := range pilots {
		u, err := tn.ReprocessUser(id, testActor)
		if err != nil {
			t.Fatal(err)
		}
		if st := statesOf(u, sc.DisabledGroup); len(st) != 1 || st[0].State != stateDisabled || st[0].Error != errNone || !holds(u, skuPowerAutoFree) {
			t.Fatalf("pilot %s after reprocess: %+v, holds %+v", u.UserPrincipalName, st, u.AssignedLicenses)
		}
	}
	var other string
	for _, u := range tn.users {
		if u.UsageLocation != "" && !slices.Contains(pilots, u.ID) {
			other = u.ID
			break
		}
	}
	if _, err := tn.AssignUserLicenses(other, []License{{SKUID: skuPowerAutoFree}}, nil, testActor); err == nil ||
		!strings.Contains(err.Error(), "does not have any available licenses") {
		t.Fatalf("a suspended subscription was assigned to a new user: %v", err)
	}
	checkConsumed(t, tn)
}

func TestGroupProcessingStates(t *testing.T) {
	tn, clk := newTestTenant(t, Config{Seed: 13, ProcessingDelay: 10 * time.Minute})
	gid := tn.Scenarios.A1Group
	members := userMembers(tn, gid)
	if err := tn.SetPrepaidUnits(skuA1Faculty, 10000); err != nil {
		t.Fatal(err)
	}
	// Drop faculty from the template: members should end up with students only, Active.
	g, err := tn.AssignGroupLicenses(gid, nil, []string{skuA1Faculty}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	start := clk.Now().Truncate(time.Second)
	if g.ProcessingState != processingQueued || !g.ProcessingDue.Equal(start.Add(10*time.Minute)) || len(g.Licenses) != 1 {
		t.Fatalf("after assignLicense: %s due %v licenses %v", g.ProcessingState, g.ProcessingDue, g.Licenses)
	}
	if len(auditsFor(tn, gid, activitySetGroup)) == 0 {
		t.Fatal("no Set group license event")
	}
	steps := []struct {
		after       time.Duration
		state       string
		applied     bool
		startEvents int
	}{
		{4 * time.Minute, processingQueued, false, 1},
		{time.Minute, processingInProgress, false, 2},
		{4 * time.Minute, processingInProgress, false, 2},
		{time.Minute, processingComplete, true, 2},
	}
	for i, s := range steps {
		clk.Add(s.after)
		tn.Tick()
		g := tn.groupCopy(gid)
		u := tn.userCopy(members[0])
		applied := len(statesOf(u, gid)) == 1 && statesOf(u, gid)[0].Error == errNone
		starts := len(auditsFor(tn, gid, activityStartGBL)) // one from the generated history
		if g.ProcessingState != s.state || applied != s.applied || starts != s.startEvents {
			t.Fatalf("step %d: state %s applied %v start events %d, want %s %v %d", i, g.ProcessingState, applied, starts, s.state, s.applied, s.startEvents)
		}
	}
	if n := len(auditsFor(tn, gid, activityFinishGBL)); n != 2 {
		t.Fatalf("%d finish events, want 2", n)
	}
	checkConsumed(t, tn)

	// AdvanceProcessing completes at once; a zero delay completes at the next Tick.
	if _, err := tn.AssignGroupLicenses(gid, []License{{SKUID: skuA1Faculty}}, nil, testActor); err != nil {
		t.Fatal(err)
	}
	tn.AdvanceProcessing()
	if g := tn.groupCopy(gid); g.ProcessingState != processingComplete || !holds(tn.userCopy(members[0]), skuA1Faculty) {
		t.Fatalf("AdvanceProcessing: %s", g.ProcessingState)
	}
	tz, _ := newTestTenant(t, Config{Seed: 13})
	if _, err := tz.AssignGroupLicenses(tz.Scenarios.ConflictGroup, nil, []string{skuA1Students}, testActor); err != nil {
		t.Fatal(err)
	}
	tz.Tick()
	if g := tz.groupCopy(tz.Scenarios.ConflictGroup); g.ProcessingState != processingComplete {
		t.Fatalf("zero delay: %s after Tick", g.ProcessingState)
	}
	for _, id := range userMembers(tz, tz.Scenarios.ConflictGroup) {
		if u := tz.userCopy(id); len(statesOf(u, tz.Scenarios.ConflictGroup)) != 0 {
			t.Fatalf("template emptied but states remain: %+v", u.LicenseStates)
		}
	}
}

// consumedUnits equals the truth after any sequence of operations.
func TestConsumedUnitsInvariant(t *testing.T) {
	tn, clk := newTestTenant(t, Config{Seed: 21, Users: 400, Groups: 60, LicensedGroups: 20, ProcessingDelay: time.Minute})
	r := rand.New(rand.NewPCG(1, 2))
	var licensed []*Group
	for _, g := range tn.groups {
		if len(g.Licenses) > 0 {
			licensed = append(licensed, g)
		}
	}
	skus := make([]string, 0, len(tn.skus))
	for _, s := range tn.skus {
		skus = append(skus, s.ID)
	}
	for i := range 400 {
		u := tn.users[r.IntN(len(tn.users))]
		sku := skus[r.IntN(len(skus))]
		switch r.IntN(6) {
		case 0:
			_, _ = tn.AssignUserLicenses(u.ID, []License{{SKUID: sku}}, nil, testActor)
		case 1:
			if d := tn.userCopy(u.ID).DirectLicenses; len(d) > 0 {
				_, _ = tn.AssignUserLicenses(u.ID, nil, []string{d[r.IntN(len(d))].SKUID}, testActor)
			}
		case 2:
			g := licensed[r.IntN(len(licensed))]
			if r.IntN(2) == 0 {
				_, _ = tn.AssignGroupLicenses(g.ID, []License{{SKUID: sku}}, nil, testActor)
			} else {
				_, _ = tn.AssignGroupLicenses(g.ID, nil, []string{sku}, testActor)
			}
		case 3:
			_ = tn.SetPrepaidUnits(sku, r.IntN(300))
		case 4:
			_, _ = tn.ReprocessUser(u.ID, testActor)
		case 5:
			clk.Add(time.Duration(r.IntN(90)) * time.Second)
			tn.Tick()
		}
		checkConsumed(t, tn)
		if t.Failed() {
			t.Fatalf("after operation %d", i)
		}
	}
	tn.AdvanceProcessing()
	checkConsumed(t, tn)
	// Every state is consistent with the assignment: Active, ActiveWithError and Disabled are
	// held, Error is not; all-or-none per source: a source with an Error has no plain Active,
	// only ActiveWithError (what it had before); a source without one has no ActiveWithError.
	for _, u := range tn.users {
		bySource := map[string][]LicenseState{}
		for _, s := range u.LicenseStates {
			bySource[s.AssignedByGroup] = append(bySource[s.AssignedByGroup], s)
			if held := holds(cloneUser(u), s.SKUID); held == (s.State == stateError) && !(s.State == stateError && heldElsewhere(u, s)) {
				t.Fatalf("%s: state %s for %s, held %v", u.UserPrincipalName, s.State, s.SKUID, held)
			}
		}
		for src, states := range bySource {
			is := func(st string) bool {
				return slices.ContainsFunc(states, func(s LicenseState) bool { return s.State == st })
			}
			if is(stateError) && is(stateActive) || !is(stateError) && is(stateActiveWithError) {
				t.Fatalf("%s: source %q partly applied: %+v", u.UserPrincipalName, src, states)
			}
		}
	}
}

// heldElsewhere reports whether another source of u has s's SKU assigned.
func heldElsewhere(u *User, s LicenseState) bool {
	return slices.ContainsFunc(u.LicenseStates, func(o LicenseState) bool {
		return o.SKUID == s.SKUID && o.AssignedByGroup != s.AssignedByGroup && o.State != stateError
	})
}

func TestCreateGroup(t *testing.T) {
	tn, clk := newTestTenant(t, Config{Seed: 14, ProcessingDelay: time.Minute})
	ref := tn.Scenarios.A1Group
	g, err := tn.CreateGroup(GroupSpec{
		DisplayName: "TAs mirror", MailNickname: "tasmirror", SecurityEnabled: true,
		GroupTypes:     []string{"DynamicMembership"},
		MembershipRule: "user.memberof -any (group.objectId -in ['" + ref + "'])",
		Licenses:       []License{{SKUID: skuAudioConf}},
	}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	want := userMembers(tn, ref)
	if !slices.Equal(g.Members, want) {
		t.Fatalf("dynamic members %v, want %v", g.Members, want)
	}
	if g.ProcessingState != processingQueued || g.MembershipRuleProcessingState != "On" {
		t.Fatalf("new group state %s / %s", g.ProcessingState, g.MembershipRuleProcessingState)
	}
	clk.Add(time.Minute)
	tn.Tick()
	// The TAs have no Teams: audio conferencing from the new group fails on its dependency.
	u := tn.userCopy(want[0])
	if st := statesOf(u, g.ID); len(st) != 1 || st[0].Error != errDependency {
		t.Fatalf("new group's states %+v", st)
	}
	if len(auditsFor(tn, g.ID, "Add group")) != 1 {
		t.Fatal("no Add group event")
	}
	bad := []GroupSpec{
		{DisplayName: "", MailNickname: "x", SecurityEnabled: true},
		{DisplayName: "x", MailNickname: "", SecurityEnabled: true},
		{DisplayName: "x", MailNickname: "x", SecurityEnabled: true, GroupTypes: []string{"DynamicMembership"}, MembershipRule: `user.assignedPlans -any (x -eq 1)`},
		{DisplayName: "x", MailNickname: "x", SecurityEnabled: true, GroupTypes: []string{"DynamicMembership"}},
		{DisplayName: "x", MailNickname: "x", SecurityEnabled: true, MembershipRule: `user.city -eq "Seattle"`},
		{DisplayName: "x", MailNickname: "x", SecurityEnabled: true, GroupTypes: []string{"Weird"}},
		{DisplayName: "x", MailNickname: "tasmirror2", MailEnabled: true, GroupTypes: []string{"Unified"}, Licenses: []License{{SKUID: "nope"}}},
	}
	for _, spec := range bad {
		var ge *Error
		if _, err := tn.CreateGroup(spec, testActor); !errors.As(err, &ge) || ge.Status != 400 || ge.Message == "" {
			t.Errorf("CreateGroup(%+v) = %v, want a 400", spec, err)
		}
	}
	// A Microsoft 365 group whose address another object holds is refused.
	taken := tn.groups[0].MailNickname
	for _, gr := range tn.groups {
		if gr.Mail != "" {
			taken = gr.MailNickname
			break
		}
	}
	if _, err := tn.CreateGroup(GroupSpec{DisplayName: "dup", MailNickname: taken, MailEnabled: true, GroupTypes: []string{"Unified"}}, testActor); err == nil {
		t.Error("duplicate mail accepted")
	}
}

func TestReset(t *testing.T) {
	tn, clk := newTestTenant(t, Config{Seed: 15, Users: 200, Groups: 20, LicensedGroups: 8})
	before := dumpHash(t, tn)
	if err := tn.SetPrepaidUnits(skuA1Faculty, 9999); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.ReprocessUser(userMembers(tn, tn.Scenarios.A1Group)[0], testActor); err != nil {
		t.Fatal(err)
	}
	if dumpHash(t, tn) == before {
		t.Fatal("changes did not change the tenant")
	}
	_ = clk
	if err := tn.Reset(); err != nil {
		t.Fatal(err)
	}
	if dumpHash(t, tn) != before {
		t.Fatal("Reset did not restore the generated tenant")
	}
	if err := tn.SetPrepaidUnits("nope", 1); err == nil {
		t.Error("SetPrepaidUnits on unknown SKU succeeded")
	}
	if err := tn.SetPrepaidUnits(skuA1Faculty, -1); err == nil {
		t.Error("negative prepaid units accepted")
	}
	if _, err := tn.ReprocessUser("missing", testActor); err == nil {
		t.Error("reprocess of unknown user succeeded")
	}
	if _, err := tn.AssignGroupLicenses("missing", nil, nil, testActor); err == nil {
		t.Error("assignLicense on unknown group succeeded")
	}
}
