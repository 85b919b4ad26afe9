package templates

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/jobs"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

func (f *fixture) jobs(t *testing.T) *jobs.Manager {
	t.Helper()
	m, err := jobs.New(f.store, f.store, nil, f.svc.JobKinds()...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// processed marks group id processed in the fake Graph.
func (f *fixture) processed(id string) {
	f.graph.Lock()
	defer f.graph.Unlock()
	g := f.graph.Groups[id]
	g.ProcessingState = model.ProcessingComplete
	f.graph.Groups[id] = g
}

func items(t *testing.T, m *jobs.Manager, id int64) []model.JobItem {
	t.Helper()
	var out []model.JobItem
	if err := m.EachItem(context.Background(), id, func(it model.JobItem) error { out = append(out, it); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// runJob creates the job of spec, runs it to its end and returns its items.
func runJob(t *testing.T, m *jobs.Manager, spec jobs.Spec) []model.JobItem {
	t.Helper()
	j, err := m.Create(context.Background(), spec)
	if err == nil {
		j, err = m.Execute(context.Background(), j.ID)
	}
	if err != nil || j.State != model.JobDone {
		t.Fatalf("job %+v: %v", j, err)
	}
	return items(t, m, j.ID)
}

// An apply job: the call is made before the job exists (so its refusal answers the form) and is
// its first item; each direct user member gets the outcome Microsoft left them with once the
// group is processed; a member who left says so, one who joined is named in a warning.
func TestApplyJob(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m := f.jobs(t)
	base := []model.AssignedLicense{{SKUID: skuFaculty}, {SKUID: skuStudents}}
	proposed := []model.AssignedLicense{{SKUID: skuStudents}}

	// The lost-update check and Graph's refusal come back as errors; no job, no write.
	if _, _, err := f.svc.ApplyJob(ctx, actor, groupTAs, []model.AssignedLicense{{SKUID: skuE5}}, proposed, 0); !errors.Is(err, model.ErrConflict) || len(f.graph.Assigned) != 0 {
		t.Fatalf("stale base: %v, %d writes", err, len(f.graph.Assigned))
	}
	f.graph.AssignErr = &model.GraphError{Kind: model.GraphBadRequest, Status: 400, Code: "Request_BadRequest", Message: "License operation failed."}
	if _, _, err := f.svc.ApplyJob(ctx, actor, groupTAs, base, proposed, 0); !errors.Is(err, model.ErrInvalid) {
		t.Fatalf("refusal: %v", err)
	}
	f.graph.AssignErr = nil
	f.graph.Assigned = nil

	spec, _, err := f.svc.ApplyJob(ctx, actor, groupTAs, base, proposed, 0)
	if err != nil || len(f.graph.Assigned) != 1 {
		t.Fatalf("apply: %v, %d writes", err, len(f.graph.Assigned))
	}
	if len(spec.Items) != 3 || spec.Items[0].Key != TemplateItem || spec.Items[0].Status != ItemSent ||
		spec.Items[1].Key != "u2" || spec.Items[1].Name != "User u2" || !spec.Items[1].Known || spec.Items[2].Status != "" {
		t.Fatalf("items %+v (the call, then the user members in Graph's order, no device)", spec.Items)
	}
	j, err := m.Create(ctx, spec)
	if err != nil || j.Done() != 1 {
		t.Fatalf("job %+v, %v: the call's outcome is stored with it", j, err)
	}
	f.mem.outcomes = []assign.Outcome{
		{UserID: "u1", Name: "User u1", Known: true, Status: assign.StatusInError, Summary: "Not enough licenses.", Fix: "Buy more."},
		{UserID: "u9", Name: "Joined later", Status: assign.StatusLicensed},
	}
	f.processed(groupTAs)
	if j, err = m.Execute(ctx, j.ID); err != nil || j.State != model.JobDone {
		t.Fatalf("execute: %+v, %v", j, err)
	}
	got := items(t, m, j.ID)
	if got[0].Status != ItemSent || got[1].Status != ItemLeft || got[2].Status != string(assign.StatusInError) || got[2].Fix != "Buy more." {
		t.Errorf("outcomes %+v", got)
	}
	if len(j.Problems) != 1 || !strings.Contains(j.Problems[0], "1 members joined the group meanwhile (Joined later)") {
		t.Errorf("problems %q", j.Problems)
	}
	if len(f.graph.Assigned) != 1 {
		t.Errorf("%d writes, want 1", len(f.graph.Assigned))
	}

	// A process that stopped between the call and storing its outcome: the job makes it again
	// only through the re-read, which finds the template written and sends nothing.
	spec.Items[0].Status, spec.Items[0].Summary = "", ""
	j, err = m.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if j, err = m.Execute(ctx, j.ID); err != nil || j.State != model.JobDone {
		t.Fatalf("again: %+v, %v", j, err)
	}
	if got := items(t, m, j.ID); got[0].Status != ItemAlready || len(f.graph.Assigned) != 1 {
		t.Errorf("the call again: %+v, %d writes", got[0], len(f.graph.Assigned))
	}
}

// A bulk job: one item per group, each with its own lost-update check; run again, the groups
// written are "already so".
func TestBulkApplyJob(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m := f.jobs(t)
	changes := []BulkChange{
		{GroupID: groupTAs, Base: []model.AssignedLicense{{SKUID: skuStudents}, {SKUID: skuFaculty}}, Proposed: []model.AssignedLicense{{SKUID: skuStudents}}},
		{GroupID: groupStaff, Base: []model.AssignedLicense{{SKUID: skuFaculty}}, Proposed: []model.AssignedLicense{{SKUID: skuStudents}}}, // stale
	}
	f.perms.missing["LicenseAssignment.ReadWrite.All"] = "the app lacks LicenseAssignment.ReadWrite.All"
	if _, err := f.svc.BulkApplyJob(ctx, "remove faculty", changes); !errors.Is(err, model.ErrForbidden) {
		t.Fatalf("without permission: %v", err)
	}
	delete(f.perms.missing, "LicenseAssignment.ReadWrite.All")
	spec, err := f.svc.BulkApplyJob(ctx, "remove faculty", changes)
	if err != nil || len(spec.Items) != 2 || spec.Items[0].Name != "Teaching assistants" || spec.Title != "Remove faculty: 2 groups" {
		t.Fatalf("spec %+v, %v", spec, err)
	}
	for round, want := range []string{ItemApplied, ItemAlready} {
		got := runJob(t, m, spec)
		if got[0].Status != want || got[1].Status != ItemChanged || got[1].Fix == "" || len(f.graph.Assigned) != 1 {
			t.Errorf("round %d: %+v, %d writes", round, got, len(f.graph.Assigned))
		}
	}
}

// A split job: one item per license, a taken name skipped; run again, nothing made twice.
func TestSplitJob(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m := f.jobs(t)
	f.graph.Groups["33333333-0000-4000-8000-000000000001"] = model.Group{ID: "33333333-0000-4000-8000-000000000001",
		DisplayName: "Teaching assistants - Office 365 A1 for faculty", MembershipRule: `user.department -eq "Faculty"`}
	for round, want := range []string{ItemCreated, ItemReady} {
		spec, err := f.svc.SplitJob(ctx, groupTAs)
		if err != nil {
			t.Fatal(err)
		}
		got := runJob(t, m, spec)
		if len(got) != 2 || got[0].Status != want || got[1].Status != ItemSkipped || !strings.Contains(got[1].Summary, "already exists") ||
			len(f.graph.Created) != 1 || len(f.graph.Assigned) != 1 {
			t.Errorf("round %d: %+v; %d created, %d assigned", round, got, len(f.graph.Created), len(f.graph.Assigned))
		}
	}
	f.perms.missing["Group.Create"] = "the app lacks Group.Create"
	if _, err := f.svc.SplitJob(ctx, groupTAs); !errors.Is(err, model.ErrForbidden) {
		t.Errorf("without permission: %v", err)
	}
}
