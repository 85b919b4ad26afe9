package tenantsim

import (
	"bytes"
	"net/mail"
	"slices"
	"strings"
	"testing"
)

func TestDirectoryRolesGenerated(t *testing.T) {
	for _, cfg := range []Config{{Seed: 40}, {Seed: 31, Users: 50, Groups: 10, LicensedGroups: 7}} {
		tn, _ := newTestTenant(t, cfg)
		roles := tn.DirectoryRoles()
		byTemplate := map[string]DirectoryRole{}
		for _, r := range roles {
			if !isGUID(r.ID) || r.DisplayName == "" || r.Description == "" {
				t.Fatalf("role %+v", r)
			}
			if _, dup := byTemplate[r.TemplateID]; dup {
				t.Fatalf("template %s twice", r.TemplateID)
			}
			byTemplate[r.TemplateID] = r
			for _, id := range r.Members {
				if _, ok := tn.LookupUser(id); !ok {
					t.Fatalf("role %s: member %s is no user", r.DisplayName, id)
				}
			}
		}
		if ga := byTemplate[RoleGlobalAdmin]; len(ga.Members) == 0 {
			t.Fatalf("no Global Administrator: %+v", roles)
		}
		// Helpdesk Administrators by job title hold the role.
		for _, id := range byTemplate[RoleHelpdeskAdmin].Members {
			if u, _ := tn.LookupUser(id); u.JobTitle != "Helpdesk Administrator" {
				t.Fatalf("helpdesk role held by %s (%s)", u.UserPrincipalName, u.JobTitle)
			}
		}
		// Same seed, same roles; roles consume nothing of the generator (the rest is unchanged).
		again, _ := newTestTenant(t, cfg)
		if !slices.EqualFunc(roles, again.DirectoryRoles(), func(a, b DirectoryRole) bool {
			return a.ID == b.ID && slices.Equal(a.Members, b.Members)
		}) {
			t.Fatal("roles differ for the same seed")
		}
		if err := tn.Reset(); err != nil {
			t.Fatal(err)
		}
		if got := tn.DirectoryRoles(); len(got) != len(roles) || got[0].ID != roles[0].ID {
			t.Fatal("Reset lost the roles")
		}
	}
}

// The notification goes to the Helpdesk and Password Administrators first, else the User
// Administrators, else the Global Administrators (SSPR.md).
func TestSSPREmailRecipientsAreRoleHolders(t *testing.T) {
	for _, cfg := range []Config{{Seed: 40}, {Seed: 31, Users: 50, Groups: 10, LicensedGroups: 7}} {
		tn, _ := newTestTenant(t, cfg)
		f := firstContacted(t, tn)
		raw, err := tn.RenderSSPREmail(f.CorrelationID, "genuine")
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		to, err := mail.ParseAddressList(msg.Header.Get("To"))
		if err != nil || len(to) == 0 {
			t.Fatalf("To %q: %v", msg.Header.Get("To"), err)
		}
		tn.mu.RLock()
		var want []string
		for _, tier := range [][]string{{RoleHelpdeskAdmin, RolePasswordAdmin}, {RoleUserAdmin}, {RoleGlobalAdmin}} {
			for _, r := range tier {
				for _, u := range tn.roleHolders(r) {
					want = append(want, strings.ToLower(u.Mail))
				}
			}
			if len(want) > 0 {
				break
			}
		}
		tn.mu.RUnlock()
		for _, a := range to {
			if !slices.Contains(want, strings.ToLower(a.Address)) {
				t.Fatalf("recipient %s holds no receiving role of the first tier %v", a.Address, want)
			}
		}
	}
}

func TestAPIDirectoryRoles(t *testing.T) {
	e := newAPIEnv(t)
	roles := e.t.DirectoryRoles()
	r := e.get(t, "/v1.0/directoryRoles")
	if r.Status != 200 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	got := values(t, r.JSON(t))
	if len(got) != len(roles) {
		t.Fatalf("%d roles, want %d", len(got), len(roles))
	}
	for i, g := range got {
		if g["id"] != roles[i].ID || g["roleTemplateId"] != roles[i].TemplateID || g["displayName"] != roles[i].DisplayName {
			t.Fatalf("role %d: %v", i, g)
		}
		if _, ok := g["deletedDateTime"]; !ok {
			t.Fatalf("role without deletedDateTime: %v", g)
		}
	}
	wantError(t, e.get(t, "/v1.0/directoryRoles?$filter=displayName%20eq%20'x'"), 400, "Request_UnsupportedQuery", "$filter")
	ga := roles[slices.IndexFunc(roles, func(r DirectoryRole) bool { return r.TemplateID == RoleGlobalAdmin })]
	one := e.get(t, "/v1.0/directoryRoles/"+ga.ID).JSON(t)
	if one["displayName"] != "Global Administrator" {
		t.Fatalf("get: %v", one)
	}
	alt := e.get(t, "/v1.0/directoryRoles(roleTemplateId='"+RoleGlobalAdmin+"')").JSON(t)
	if alt["id"] != ga.ID {
		t.Fatalf("alternate key: %v", alt)
	}
	members, _ := e.pageAll(t, "/v1.0/directoryRoles/"+ga.ID+"/members?$select=id,userPrincipalName,mail")
	if len(members) != len(ga.Members) {
		t.Fatalf("%d members, want %d", len(members), len(ga.Members))
	}
	for _, m := range members {
		if m["@odata.type"] != "#microsoft.graph.user" || m["userPrincipalName"] == nil || !slices.Contains(ga.Members, m["id"].(string)) {
			t.Fatalf("member %v", m)
		}
	}
	viaAlt, _ := e.pageAll(t, "/v1.0/directoryRoles(roleTemplateId='"+RoleGlobalAdmin+"')/members")
	if len(viaAlt) != len(ga.Members) {
		t.Fatalf("alternate key members: %d", len(viaAlt))
	}
	wantError(t, e.get(t, "/v1.0/directoryRoles/not-a-guid"), 400, "Request_BadRequest", "Invalid object identifier")
	wantError(t, e.get(t, "/v1.0/directoryRoles/00000000-0000-4000-8000-000000000000/members"), 404, "Request_ResourceNotFound", "does not exist")
	// The read-only app has no role permission; an app with RoleManagement.Read.Directory but
	// no user permission gets members with limited information.
	wantError(t, e.do(t, "GET", "/v1.0/directoryRoles", tokRead, nil), 403, "Authorization_RequestDenied", "Insufficient privileges")
	e.api.verify = TokenVerifierFunc(func(string) (Caller, error) {
		return Caller{AppID: "app-roles", Roles: []string{"RoleManagement.Read.Directory"}}, nil
	})
	lim := values(t, e.get(t, "/v1.0/directoryRoles/"+ga.ID+"/members").JSON(t))
	if len(lim) != len(ga.Members) || len(lim[0]) != 2 || lim[0]["@odata.type"] != "#microsoft.graph.user" || lim[0]["id"] == nil {
		t.Fatalf("limited members: %v", lim)
	}
}
