package graph

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// Template writes through the real SDK: a swap in one call (the SDK compresses the body; both
// lists arrive), the template read back fresh, a refusal in Graph's words, a dynamic group
// created and found again by name, and the read-only app refused naming the permission.
func TestTemplateWritesAgainstTheSimulator(t *testing.T) {
	e := startSim(t, smallTenant())
	ctx := context.Background()
	c := e.client(t, e.config())
	sc := e.srv.Tenant.Scenarios

	g, err := c.AssignGroupLicenses(ctx, sc.A1Group, []model.AssignedLicense{{SKUID: sc.StudentSKU, DisabledPlans: []string{"2078e8df-cff6-4290-98cb-5408261a760a"}}}, []string{sc.FacultySKU})
	if err != nil || g.ID != sc.A1Group {
		t.Fatalf("assignLicense: %+v, %v", g, err)
	}
	fresh, err := c.Group(ctx, sc.A1Group)
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh.AssignedLicenses) != 1 || fresh.AssignedLicenses[0].SKUID != sc.StudentSKU ||
		!slices.Equal(fresh.AssignedLicenses[0].DisabledPlans, []string{"2078e8df-cff6-4290-98cb-5408261a760a"}) ||
		fresh.ProcessingState != model.ProcessingQueued && fresh.ProcessingState != model.ProcessingComplete {
		t.Fatalf("template read back: %+v", fresh)
	}
	// Nothing to add or remove is still a valid call (both lists empty).
	if _, err := c.AssignGroupLicenses(ctx, sc.A1Group, nil, nil); err != nil {
		t.Fatalf("empty change: %v", err)
	}
	// Removing a license the group does not have: Graph's refusal, kept word for word.
	_, err = c.AssignGroupLicenses(ctx, sc.A1Group, nil, []string{sc.FacultySKU})
	var ge *model.GraphError
	if !errors.As(err, &ge) || ge.Kind != model.GraphBadRequest || !strings.Contains(ge.Message, "does not have a corresponding license") {
		t.Fatalf("refused change: %v", err)
	}

	rule := "user.memberof -any (group.objectId -in ['" + sc.A1Group + "'])"
	ng, err := c.CreateDynamicGroup(ctx, model.NewGroup{DisplayName: "LIC-A1-Teaching-Assistants - students", MailNickname: "a1-students-1", MembershipRule: rule})
	if err != nil || ng.ID == "" || ng.MembershipRule != rule || !ng.Dynamic() || !ng.SecurityEnabled {
		t.Fatalf("create: %+v, %v", ng, err)
	}
	found, err := c.GroupsNamed(ctx, "lic-a1-teaching-assistants - students")
	if err != nil || len(found) != 1 || found[0].ID != ng.ID || found[0].MembershipRule != rule {
		t.Fatalf("found %+v, %v", found, err)
	}
	if none, err := c.GroupsNamed(ctx, "O'Brien's group"); err != nil || len(none) != 0 {
		t.Fatalf("a quote in the name: %v, %v", none, err)
	}

	cfg := e.config()
	cfg.ClientID, cfg.ClientSecret = e.info.ReadonlyClientID, e.info.ReadonlyClientSecret
	ro := e.client(t, cfg)
	_, err = ro.AssignGroupLicenses(ctx, sc.A1Group, nil, nil)
	if !errors.As(err, &ge) || ge.Kind != model.GraphForbidden || ge.Permission != permissions.LicenseAssignment {
		t.Fatalf("read-only app: %v", err)
	}
	_, err = ro.CreateDynamicGroup(ctx, model.NewGroup{DisplayName: "x", MailNickname: "x", MembershipRule: rule})
	if !errors.As(err, &ge) || ge.Kind != model.GraphForbidden || ge.Permission != permissions.GroupCreate {
		t.Fatalf("read-only app creates: %v", err)
	}
}
