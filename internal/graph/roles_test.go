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

// Directory roles and their members through the SDK against the simulated tenant; the
// read-only app, which lacks a role permission, is refused with the permission named.
func TestSimDirectoryRoles(t *testing.T) {
	e := startSim(t, smallTenant())
	ctx := context.Background()
	c := e.client(t, e.config())
	roles, err := c.DirectoryRoles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := e.srv.Tenant.DirectoryRoles()
	if len(roles) != len(want) {
		t.Fatalf("%d roles, want %d", len(roles), len(want))
	}
	for i, r := range roles {
		if r.ID != want[i].ID || r.TemplateID != want[i].TemplateID || r.DisplayName != want[i].DisplayName {
			t.Fatalf("role %d: %+v, want %+v", i, r, want[i])
		}
		members, err := c.DirectoryRoleMembers(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(members) != len(want[i].Members) {
			t.Fatalf("%s: %d members, want %d", r.DisplayName, len(members), len(want[i].Members))
		}
		for _, m := range members {
			u, _ := e.srv.Tenant.LookupUser(m.ID)
			if m.Type != model.ObjectUser || !slices.Contains(want[i].Members, m.ID) || m.UserPrincipalName != u.UserPrincipalName || !strings.EqualFold(m.Mail, u.Mail) {
				t.Fatalf("%s: member %+v, want %s <%s>", r.DisplayName, m, u.UserPrincipalName, u.Mail)
			}
		}
	}
	if _, err := c.DirectoryRoleMembers(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("unknown role: %v", err)
	}
	tid, err := c.TenantID(ctx)
	if err != nil || tid != strings.ToLower(e.info.TenantID) {
		t.Fatalf("TenantID = %q, %v; want %s", tid, err, e.info.TenantID)
	}

	cfg := e.config()
	cfg.ClientID, cfg.ClientSecret = e.info.ReadonlyClientID, e.info.ReadonlyClientSecret
	ro := e.client(t, cfg)
	_, err = ro.DirectoryRoles(ctx)
	var ge *model.GraphError
	if !errors.As(err, &ge) || ge.Kind != model.GraphForbidden || ge.Permission != permissions.RoleManagementRead {
		t.Fatalf("read-only app: %v", err)
	}
}
