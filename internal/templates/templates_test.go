package templates

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/graphtest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

const (
	skuStudents = "314c4481-f395-4525-be8b-2ec4bb1e9d91"
	skuFaculty  = "94763226-9b3c-4e75-a931-5c89701abe66"
	skuE5       = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
	planTeams   = "57ff2da0-773e-42df-b2af-ffb7a2317929"
	planYammer  = "2078e8df-cff6-4290-98cb-5408261a760a"
	planPhone   = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7"
	planP1      = "41781fb2-bc02-4b7c-bd55-b576c07bb09d"
	groupTAs    = "11111111-0000-4000-8000-000000000001"
	groupStaff  = "11111111-0000-4000-8000-000000000002"
)

type perms struct{ missing map[string]string }

func (p perms) Missing(_ context.Context, anyOf ...string) string { return p.missing[anyOf[0]] }

type members struct {
	asked    []string
	outcomes []assign.Outcome // each member's, as the re-read found them
	err      error            // what a re-read fails with, if set
}

func (m *members) RefreshGroupMembers(_ context.Context, id string) (assign.Result, error) {
	m.asked = append(m.asked, id)
	if m.err != nil {
		return assign.Result{}, m.err
	}
	return assign.Result{GroupID: id, Total: 2, Licensed: 2, Outcomes: m.outcomes}, nil
}

type fixture struct {
	svc   *Service
	graph *graphtest.Templates
	store *store.Store
	perms perms
	mem   *members
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	plan := func(id, name string) model.ServicePlan {
		return model.ServicePlan{ID: id, Name: name, AppliesTo: "User"}
	}
	snap := model.Snapshot{
		TakenAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		SKUs: []model.SKU{
			{ID: skuStudents, PartNumber: "STANDARDWOFFPACK_STUDENT", AppliesTo: "User", CapabilityStatus: "Enabled", Prepaid: model.PrepaidUnits{Enabled: 100}, ConsumedUnits: 2,
				ServicePlans: []model.ServicePlan{plan(planTeams, "TEAMS1"), plan(planYammer, "YAMMER_EDU")}},
			{ID: skuFaculty, PartNumber: "STANDARDWOFFPACK_FACULTY", AppliesTo: "User", CapabilityStatus: "Enabled", Prepaid: model.PrepaidUnits{Enabled: 2}, ConsumedUnits: 2,
				ServicePlans: []model.ServicePlan{plan(planTeams, "TEAMS1")}},
			{ID: skuE5, PartNumber: "SPE_E5", AppliesTo: "User", CapabilityStatus: "Enabled", Prepaid: model.PrepaidUnits{Enabled: 1}, ConsumedUnits: 0,
				ServicePlans: []model.ServicePlan{plan(planTeams, "TEAMS1"), plan(planPhone, "MCOEV"), plan(planP1, "AAD_PREMIUM")}},
		},
		Groups: []model.Group{
			{ID: groupTAs, DisplayName: "Teaching assistants", SecurityEnabled: true, ProcessingState: model.ProcessingComplete,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuStudents}, {SKUID: skuFaculty}}, CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
			{ID: groupStaff, DisplayName: "Staff", SecurityEnabled: true, ProcessingState: model.ProcessingComplete,
				AssignedLicenses: []model.AssignedLicense{{SKUID: skuE5}}, CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		},
		MemberCounts: map[string]model.MemberCounts{groupTAs: {All: 3, Users: 2}},
	}
	for _, id := range []string{"u1", "u2"} {
		snap.Users = append(snap.Users, model.User{ID: id, DisplayName: "User " + id, UserPrincipalName: id + "@contoso.edu", UsageLocation: "US",
			AssignedLicenses: []model.AssignedLicense{},
			LicenseStates: []model.LicenseState{
				{SKUID: skuStudents, AssignedByGroup: groupTAs, State: model.StateError, Error: model.ErrorOther},
				{SKUID: skuFaculty, AssignedByGroup: groupTAs, State: model.StateError, Error: model.ErrorCountViolation}}})
	}
	if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
		t.Fatal(err)
	}
	g := graphtest.NewTemplates()
	for _, gr := range snap.Groups {
		g.Groups[gr.ID] = gr
	}
	g.Members = []model.DirectoryObject{{ID: "u2", Type: model.ObjectUser}, {ID: "u1", Type: model.ObjectUser}, {ID: "d1", Type: model.ObjectDevice}}
	f := &fixture{graph: g, store: st, perms: perms{missing: map[string]string{}}, mem: &members{}}
	svc, err := New(g, st, f.mem, st, &f.perms, func() time.Time { return snap.TakenAt.Add(time.Hour) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.Poll = time.Millisecond
	f.svc = svc
	return f
}

var actor = Actor{UPN: "admin@contoso.edu", Name: "Admin", CorrelationID: "req-1"}

func (f *fixture) activity(t *testing.T, action string) []model.Activity {
	t.Helper()
	page, err := f.store.ListActivity(context.Background(), model.ActivityFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return page.Entries
}

func TestPreviewOfASplitOfAllOrNone(t *testing.T) {
	f := newFixture(t)
	// Faculty out: students apply to both members at last.
	p, err := f.svc.Preview(context.Background(), groupTAs, []model.AssignedLicense{{SKUID: skuStudents}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Body != `{"addLicenses":[],"removeLicenses":["`+skuFaculty+`"]}` || !strings.Contains(p.PowerShell, `-GroupId "`+groupTAs+`"`) {
		t.Errorf("body %s\n%s", p.Body, p.PowerShell)
	}
	c := p.Consequence
	if len(c.Members) != 2 || c.Members[0].User.ID != "u2" || c.Fixed != 2 || c.FullyLicensed != 2 || p.NotUsers != 1 {
		t.Fatalf("consequence %+v (members in Graph's order, the device left out)", c)
	}
	if len(p.Diff.Removed) != 1 || p.Diff.Removed[0].Name != "Office 365 A1 for faculty" {
		t.Errorf("diff %+v", p.Diff)
	}
	// A plan the SKU does not have, a SKU the tenant does not have: refused as bad input.
	_, err = f.svc.Preview(context.Background(), groupTAs, []model.AssignedLicense{{SKUID: skuStudents, DisabledPlans: []string{planPhone}}, {SKUID: "00000000-0000-4000-8000-00000000beef"}})
	var ie *model.InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 2 {
		t.Errorf("bad template: %v", err)
	}
	if _, err := f.svc.Preview(context.Background(), "00000000-0000-4000-8000-000000000404", nil); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("unknown group: %v", err)
	}
}

func TestPreviewReadsMembersNewerThanTheSnapshot(t *testing.T) {
	f := newFixture(t)
	f.graph.Members = append(f.graph.Members, model.DirectoryObject{ID: "u3", Type: model.ObjectUser}, model.DirectoryObject{ID: "u4", Type: model.ObjectUser})
	f.graph.UserByID["u3"] = model.User{ID: "u3", DisplayName: "New user", UsageLocation: "US"}
	p, err := f.svc.Preview(context.Background(), groupTAs, []model.AssignedLicense{{SKUID: skuStudents}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Fresh != 1 || len(p.Consequence.Members) != 4 || len(p.Problems) == 0 || !strings.Contains(p.Problems[0], "1 member could not be read") {
		t.Errorf("fresh %d, members %d, problems %v", p.Fresh, len(p.Consequence.Members), p.Problems)
	}
}

func TestApply(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	base := []model.AssignedLicense{{SKUID: skuFaculty}, {SKUID: skuStudents}}
	proposed := []model.AssignedLicense{{SKUID: skuStudents, DisabledPlans: []string{planYammer}}}

	// Without the Graph permission: refused before anything is read or written.
	f.perms.missing["LicenseAssignment.ReadWrite.All"] = "the app lacks LicenseAssignment.ReadWrite.All"
	if _, err := f.svc.Apply(ctx, actor, groupTAs, base, proposed); !errors.Is(err, model.ErrForbidden) || len(f.graph.Assigned) != 0 {
		t.Fatalf("without permission: %v, %d writes", err, len(f.graph.Assigned))
	}
	delete(f.perms.missing, "LicenseAssignment.ReadWrite.All")

	// Someone changed the template since the preview: nothing written, the template now returned.
	gr := f.graph.Groups[groupTAs]
	gr.AssignedLicenses = []model.AssignedLicense{{SKUID: skuStudents}}
	f.graph.Groups[groupTAs] = gr
	_, err := f.svc.Apply(ctx, actor, groupTAs, base, proposed)
	var tc *model.TemplateChangedError
	if !errors.As(err, &tc) || !errors.Is(err, model.ErrConflict) || len(tc.Current) != 1 || len(f.graph.Assigned) != 0 {
		t.Fatalf("lost update: %v, %d writes", err, len(f.graph.Assigned))
	}
	gr.AssignedLicenses = base
	f.graph.Groups[groupTAs] = gr

	a, err := f.svc.Apply(ctx, actor, groupTAs, base, proposed)
	if err != nil || a.NoChange || len(f.graph.Assigned) != 1 {
		t.Fatalf("apply: %+v, %v", a, err)
	}
	call := f.graph.Assigned[0]
	if len(call.Add) != 1 || call.Add[0].SKUID != skuStudents || !slices.Equal(call.Remove, []string{skuFaculty}) {
		t.Errorf("one call with both lists: %+v", call)
	}
	acts := f.activity(t, model.ActionTemplateChange)
	if len(acts) != 1 || acts[0].Result != model.ActivityOK || !strings.Contains(acts[0].Detail, a.Body) || acts[0].ActorUPN != actor.UPN || acts[0].Target != groupTAs {
		t.Errorf("activity %+v", acts)
	}
	d, err := f.store.GroupDetail(ctx, groupTAs)
	if err != nil || len(d.Template) != 1 || d.ProcessingState != model.ProcessingQueued {
		t.Errorf("snapshot after apply: %+v, %v", d, err)
	}

	// Running it again writes nothing.
	if a, err := f.svc.Apply(ctx, actor, groupTAs, base, proposed); err != nil || !a.NoChange || len(f.graph.Assigned) != 1 {
		t.Errorf("again: %+v, %v", a, err)
	}

	// Graph refuses: its message is kept, the refusal recorded.
	f.graph.AssignErr = &model.GraphError{Kind: model.GraphBadRequest, Status: 400, Code: "Request_BadRequest", Message: "License operation failed."}
	_, err = f.svc.Apply(ctx, actor, groupTAs, proposed, []model.AssignedLicense{{SKUID: skuE5}})
	if !errors.Is(err, model.ErrInvalid) {
		t.Fatalf("refusal: %v", err)
	}
	acts = f.activity(t, model.ActionTemplateChange)
	if len(acts) != 2 || acts[0].Result != model.ActivityRefused || !strings.Contains(acts[0].Detail, "License operation failed.") {
		t.Errorf("refusal recorded as %+v", acts[0])
	}
}

func TestWaitProcessed(t *testing.T) {
	f := newFixture(t)
	gr := f.graph.Groups[groupTAs]
	gr.ProcessingState = model.ProcessingComplete
	f.graph.Groups[groupTAs] = gr
	var seen []string
	res, err := f.svc.WaitProcessed(context.Background(), groupTAs, func(p Processing) { seen = append(seen, p.State) })
	if err != nil || res.Licensed != 2 || !slices.Equal(f.mem.asked, []string{groupTAs}) || !slices.Equal(seen, []string{model.ProcessingComplete}) {
		t.Errorf("wait: %+v %v %v %v", res, err, f.mem.asked, seen)
	}
	gr.ProcessingState = model.ProcessingInProgress
	f.graph.Groups[groupTAs] = gr
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := f.svc.WaitProcessed(ctx, groupTAs, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("never processed: %v", err)
	}
	if p := (Processing{State: model.ProcessingInProgress}); p.Step() != 2 || p.Done() {
		t.Error("steps")
	}
}

func TestCopy(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.graph.UserByID["template@contoso.edu"] = model.User{ID: "tpl", DisplayName: "Template user",
		AssignedLicenses: []model.AssignedLicense{{SKUID: skuE5, DisabledPlans: []string{planPhone}}}}
	src, err := f.svc.CopyFromUser(ctx, "template@contoso.edu")
	if err != nil || src.Name != "Template user" || len(src.Template) != 1 || src.Template[0].DisabledPlans[0] != planPhone {
		t.Errorf("from user: %+v, %v", src, err)
	}
	for _, bad := range []string{"", "nobody@contoso.edu", "u1"} {
		var ie *model.InputError
		if _, err := f.svc.CopyFromUser(ctx, bad); !errors.As(err, &ie) || ie.Field != "from-user" {
			t.Errorf("from user %q: %v", bad, err)
		}
	}
	if src, err := f.svc.CopyFromGroup(ctx, "staff"); err != nil || src.ID != groupStaff || src.Template[0].SKUID != skuE5 {
		t.Errorf("from group by name: %+v, %v", src, err)
	}
	f.graph.Groups["22222222-0000-4000-8000-000000000009"] = model.Group{ID: "22222222-0000-4000-8000-000000000009", DisplayName: "Staff"}
	if g, err := f.svc.FindGroup(ctx, "22222222-0000-4000-8000-000000000009"); err != nil || g.DisplayName != "Staff" {
		t.Errorf("an unlicensed group by id: %+v, %v", g, err)
	}
	if _, err := f.svc.FindGroup(ctx, "Nobody's group"); err == nil {
		t.Error("found a group that does not exist")
	}
}

func TestBulk(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	// "Disable Teams in every group that assigns A1 for students": one group affected.
	bp, err := f.svc.BulkPreview(ctx, BulkSelection{Groups: []string{groupStaff}, WithSKU: skuStudents},
		BulkOp{Kind: BulkDisable, SKU: skuStudents, Plans: []string{planTeams}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(bp.Items) != 2 || bp.Affected != 1 || bp.Description != "disable Microsoft Teams in Office 365 A1 for students" {
		t.Fatalf("preview %+v", bp)
	}
	var changes []BulkChange
	for _, it := range bp.Items {
		switch {
		case it.Group.ID == groupStaff && !it.Unaffected, it.Group.ID == groupTAs && it.Preview == nil:
			t.Errorf("item %+v", it)
		case it.Preview != nil:
			changes = append(changes, BulkChange{GroupID: it.Group.ID, Base: it.Preview.Current, Proposed: it.Preview.Proposed})
		}
	}
	out, err := f.svc.BulkApply(ctx, actor, changes, nil)
	if err != nil || len(out) != 1 || out[0].Err != nil || len(f.graph.Assigned) != 1 {
		t.Fatalf("apply %+v, %v", out, err)
	}
	// Followed afterwards: processing, then the members in error once processed; a group
	// that cannot be read says why and does not stop the others.
	const gone = "00000000-0000-4000-8000-00000000dead"
	f.graph.Lock()
	f.graph.Counts[groupTAs] = model.MemberCounts{All: 3, Users: 2}
	f.graph.Unlock()
	st, err := f.svc.GroupsStatus(ctx, []string{groupTAs, gone})
	if err != nil || len(st) != 2 || st[0].Group == nil || st[0].Processing.Done() || st[0].Members != 2 || st[0].InError != 0 ||
		st[1].Group != nil || !errors.Is(st[1].Err, model.ErrNotFound) || st[1].Processing.GroupID != gone {
		t.Fatalf("status %+v, %v", st, err)
	}
	f.graph.Lock()
	gr := f.graph.Groups[groupTAs]
	gr.ProcessingState = model.ProcessingComplete
	f.graph.Groups[groupTAs] = gr
	f.graph.InError = []model.DirectoryObject{{ID: "u1", Type: model.ObjectUser}}
	f.graph.Unlock()
	// Seen processed for the first time since the change: its members are re-read into the
	// snapshot (the fake says 2 users, both licensed); afterwards Graph's members in error.
	asked := len(f.mem.asked)
	if st, err = f.svc.GroupsStatus(ctx, []string{groupTAs}); err != nil || !st[0].Processing.Done() || st[0].Members != 2 || st[0].InError != 0 ||
		len(f.mem.asked) != asked+1 || f.mem.asked[asked] != groupTAs {
		t.Fatalf("processed: %+v, %v, members re-read for %v", st, err, f.mem.asked)
	}
	if st, err = f.svc.GroupsStatus(ctx, []string{groupTAs}); err != nil || st[0].InError != 1 || len(f.mem.asked) != asked+1 {
		t.Fatalf("processed, seen again: %+v, %v, members re-read for %v", st, err, f.mem.asked)
	}
	if _, err := f.svc.GroupsStatus(ctx, make([]string, MaxBulkGroups+1)); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("too many groups: %v", err)
	}
	// Replace: the replaced license's disabled plans stay off where the new one has them.
	op := BulkOp{Kind: BulkReplace, SKU: skuStudents, With: skuE5}
	next, changed := op.Next(f.svc.keepPlans(mustTenant(t, f), op, []model.AssignedLicense{{SKUID: skuStudents, DisabledPlans: []string{planTeams, planYammer}}}))
	if !changed || len(next) != 1 || next[0].SKUID != skuE5 || !slices.Equal(next[0].DisabledPlans, []string{planTeams}) {
		t.Errorf("replace gives %+v", next)
	}
	for _, bad := range []BulkOp{{Kind: "rename"}, {Kind: BulkReplace, SKU: skuE5, With: skuE5}, {Kind: BulkDisable, SKU: skuE5}} {
		if _, err := f.svc.BulkPreview(ctx, BulkSelection{WithSKU: skuE5}, bad, nil); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func mustTenant(t *testing.T, f *fixture) tenant {
	t.Helper()
	tn, err := f.svc.tenant(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func TestSplitIsSafeToRunAgain(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	// Another group already has the faculty part's name, with a rule of its own.
	f.graph.Groups["33333333-0000-4000-8000-000000000001"] = model.Group{ID: "33333333-0000-4000-8000-000000000001",
		DisplayName: "Teaching assistants - Office 365 A1 for faculty", MembershipRule: `user.department -eq "Faculty"`}
	p, err := f.svc.PlanSplit(ctx, groupTAs)
	if err != nil || len(p.Parts) != 2 || p.Blocked != "" {
		t.Fatalf("plan %+v, %v", p, err)
	}
	if p.Parts[0].Name != "Teaching assistants - Office 365 A1 for students" || p.Parts[0].State != PartCreate ||
		p.Parts[1].State != PartNameTaken || p.Parts[0].Rule != "user.memberof -any (group.objectId -in ['"+groupTAs+"'])" {
		t.Fatalf("parts %+v", p.Parts)
	}
	_, steps, err := f.svc.RunSplit(ctx, actor, groupTAs, nil)
	if err != nil || len(steps) != 2 || steps[0].Did != "created" || steps[1].Did != "skipped" || steps[1].Err == nil {
		t.Fatalf("run: %+v, %v", steps, err)
	}
	if len(f.graph.Created) != 1 || len(f.graph.Assigned) != 1 || !strings.HasPrefix(f.graph.Created[0].MailNickname, "teaching-assistants-office-365-a1-for-students-") {
		t.Fatalf("created %+v, assigned %+v", f.graph.Created, f.graph.Assigned)
	}
	if len(f.activity(t, model.ActionGroupCreate)) != 1 || len(f.activity(t, model.ActionTemplateChange)) != 1 {
		t.Error("activity not recorded")
	}
	// Again: the group is found by name and rule, nothing is created or written twice.
	_, steps, err = f.svc.RunSplit(ctx, actor, groupTAs, nil)
	if err != nil || steps[0].Did != "already done" || len(f.graph.Created) != 1 || len(f.graph.Assigned) != 1 {
		t.Fatalf("second run: %+v, %v; %d created", steps, err, len(f.graph.Created))
	}
	p, st, err := f.svc.SplitStatus(ctx, groupTAs)
	if err != nil || SplitDone(p, st) {
		t.Errorf("status %+v %v: not done, one part is blocked", st, err)
	}
	if rem := Remaining(p); len(rem) != 1 || rem[0].SKUID != skuFaculty {
		t.Errorf("remaining %+v: students are given by the new group, faculty is not", rem)
	}

	// Without the permission to create groups the wizard says so and does nothing.
	f.perms.missing["Group.Create"] = "the app lacks Group.Create"
	if p, err := f.svc.PlanSplit(ctx, groupTAs); err != nil || !strings.Contains(p.Blocked, "Group.Create") {
		t.Errorf("blocked: %q %v", p.Blocked, err)
	}
	if _, _, err := f.svc.RunSplit(ctx, actor, groupTAs, nil); !errors.Is(err, model.ErrForbidden) {
		t.Errorf("run without permission: %v", err)
	}
}

func TestMailNickname(t *testing.T) {
	for _, name := range []string{"LIC-A1 (Teaching) - Office 365 A1 for students", "Ärzte: Nord.", strings.Repeat("x", 200), "..."} {
		n := mailNickname(name)
		if n == "" || len(n) > 64 || strings.ContainsAny(n, `@()\[]";:.<>, `) || n != mailNickname(name) {
			t.Errorf("%q -> %q", name, n)
		}
	}
	if mailNickname("a b") == mailNickname("a-b") {
		t.Error("different names share a nickname")
	}
}

// processedAtOnce is Graph where a group is processed before Apply re-reads it.
type processedAtOnce struct{ *graphtest.Templates }

func (g processedAtOnce) AssignGroupLicenses(ctx context.Context, id string, add []model.AssignedLicense, remove []string) (model.Group, error) {
	gr, err := g.Templates.AssignGroupLicenses(ctx, id, add, remove)
	if err != nil {
		return gr, err
	}
	g.Lock()
	defer g.Unlock()
	gr.ProcessingState = model.ProcessingComplete
	g.Groups[model.NormalizeID(id)] = gr
	return gr, nil
}

// A group Graph has processed by the time Apply re-reads it goes into the snapshot with its new
// template but not processed: the snapshot's members are not re-read yet, and a refresh
// re-reads them only for a group whose stored template or state differs from Graph's or is not
// complete. Settle then stores it processed, with them.
func TestApplyProcessedAtOnceLeavesTheSnapshotUnprocessed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	svc, err := New(processedAtOnce{f.graph}, f.store, f.mem, f.store, &f.perms, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := []model.AssignedLicense{{SKUID: skuFaculty}, {SKUID: skuStudents}}
	proposed := []model.AssignedLicense{{SKUID: skuStudents, DisabledPlans: []string{planYammer}}}
	a, err := svc.Apply(ctx, actor, groupTAs, base, proposed)
	if err != nil || a.Group.ProcessingState != model.ProcessingComplete {
		t.Fatalf("apply: %+v, %v (Graph's group as re-read)", a.Group, err)
	}
	d, err := f.store.GroupDetail(ctx, groupTAs)
	if err != nil || len(d.Template) != 1 || d.ProcessingState == model.ProcessingComplete {
		t.Errorf("snapshot after apply: %s, template %+v, %v: its members' states are from before the change", d.ProcessingState, d.Template, err)
	}
	if _, err := svc.Settle(ctx, groupTAs); err != nil || !slices.Equal(f.mem.asked, []string{groupTAs}) {
		t.Fatalf("settle: %v, members re-read of %v", err, f.mem.asked)
	}
	if d, err = f.store.GroupDetail(ctx, groupTAs); err != nil || d.ProcessingState != model.ProcessingComplete {
		t.Errorf("snapshot after settle: %s, %v", d.ProcessingState, err)
	}
}

// A settle whose re-read of the members fails leaves the group unprocessed in the snapshot (its
// new template in), so the next refresh still re-reads them.
func TestSettleWithoutMembersLeavesTheSnapshotUnprocessed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	svc, err := New(processedAtOnce{f.graph}, f.store, f.mem, f.store, &f.perms, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	proposed := []model.AssignedLicense{{SKUID: skuStudents, DisabledPlans: []string{planYammer}}}
	if _, err := svc.Apply(ctx, actor, groupTAs, []model.AssignedLicense{{SKUID: skuFaculty}, {SKUID: skuStudents}}, proposed); err != nil {
		t.Fatal(err)
	}
	f.mem.err = errors.New("graph unreachable")
	if _, err := svc.Settle(ctx, groupTAs); !errors.Is(err, f.mem.err) {
		t.Fatalf("settle: %v, want the re-read's error", err)
	}
	d, err := f.store.GroupDetail(ctx, groupTAs)
	if err != nil || len(d.Template) != 1 || d.ProcessingState == model.ProcessingComplete {
		t.Errorf("snapshot after a failed settle: %s, template %+v, %v: its members were not re-read", d.ProcessingState, d.Template, err)
	}
}
