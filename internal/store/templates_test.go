package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestLicensedGroupsAndSaveGroupTemplate(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	if _, err := st.LicensedGroups(ctx); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("before the first sync: %v", err)
	}
	snap := genTenant(3, 200, 12)
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	snap.Groups[0].CreatedAt = created
	if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
		t.Fatal(err)
	}
	gs, err := st.LicensedGroups(ctx)
	if err != nil || len(gs) != len(snap.Groups) {
		t.Fatalf("%d groups, %v; want %d", len(gs), err, len(snap.Groups))
	}
	byID := map[string]model.Group{}
	for _, g := range gs {
		byID[g.ID] = g
	}
	g0 := byID[snap.Groups[0].ID]
	if !g0.CreatedAt.Equal(created) || len(g0.AssignedLicenses) != len(snap.Groups[0].AssignedLicenses) || g0.DisplayName != snap.Groups[0].DisplayName {
		t.Fatalf("group %+v, want %+v", g0, snap.Groups[0])
	}
	before, _ := st.GroupDetail(ctx, g0.ID)

	// A new template: the group page, the report's licenses and the explainer's templates follow.
	g0.AssignedLicenses = []model.AssignedLicense{{SKUID: snap.SKUs[2].ID, DisabledPlans: []string{snap.SKUs[2].ServicePlans[0].ID}}}
	g0.ProcessingState = model.ProcessingQueued
	if err := st.SaveGroupTemplate(ctx, g0, nil); err != nil {
		t.Fatal(err)
	}
	d, err := st.GroupDetail(ctx, g0.ID)
	if err != nil || len(d.Template) != 1 || d.Template[0].SKU.ID != snap.SKUs[2].ID || len(d.Template[0].DisabledPlans) != 1 ||
		d.ProcessingState != model.ProcessingQueued || d.MemberCount != before.MemberCount || d.ErrorCount != before.ErrorCount {
		t.Fatalf("after the change: %+v (before %+v), %v", d, before, err)
	}
	info, _ := st.Groups(ctx, []string{g0.ID})
	if tpl := info[g0.ID].Template; len(tpl) != 1 || tpl[0].SKUID != snap.SKUs[2].ID {
		t.Errorf("explainer's template %+v", tpl)
	}

	// A group the snapshot did not have joins the report with its counts.
	ng := model.Group{ID: "new-group", DisplayName: "Staff - E5", GroupTypes: []string{"DynamicMembership"}, SecurityEnabled: true,
		MembershipRule: "user.memberof -any (group.objectId -in ['x'])", ProcessingState: model.ProcessingQueued,
		AssignedLicenses: []model.AssignedLicense{{SKUID: snap.SKUs[0].ID}}}
	if err := st.SaveGroupTemplate(ctx, ng, &model.MemberCounts{All: 5, Users: 4}); err != nil {
		t.Fatal(err)
	}
	page, err := st.GroupReport(ctx, model.GroupReportQuery{Search: "Staff - E5"})
	if err != nil || page.Total != 1 || page.Rows[0].UserCount != 4 || len(page.Rows[0].Licenses) != 1 {
		t.Fatalf("report after adding a group: %+v, %v", page, err)
	}

	// No licenses left: no longer a licensed group.
	ng.AssignedLicenses = nil
	if err := st.SaveGroupTemplate(ctx, ng, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GroupDetail(ctx, ng.ID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("group without licenses: %v", err)
	}
	gs, _ = st.LicensedGroups(ctx)
	if slices.ContainsFunc(gs, func(g model.Group) bool { return g.ID == ng.ID }) {
		t.Error("still listed")
	}
}
