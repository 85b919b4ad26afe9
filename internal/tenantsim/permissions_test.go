package tenantsim

import (
	"slices"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// graphPermissions is ../shared/GRAPH.md's table "Application permissions per call": the call
// as its first column names it, and the permissions of which any one suffices, least privileged
// first. TestGraphPermissionTableIsGRAPHmd holds this copy against the document itself.
var graphPermissions = map[string][]string{
	"GET /subscribedSkus":      {"LicenseAssignment.Read.All", "Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All", "Directory.ReadWrite.All"},
	"GET /users, /users/delta": {"User.Read.All", "Directory.Read.All", "User.ReadWrite.All", "Directory.ReadWrite.All"},
	"GET /groups, members, membersWithLicenseErrors, /groups/delta": {"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"},
	"GET /auditLogs/directoryAudits":                                {"AuditLog.Read.All"},
	"POST /users/{id}/reprocessLicenseAssignment":                   {"User.ReadWrite.All", "Directory.ReadWrite.All"},
	"POST /users/{id}/assignLicense":                                {"LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"},
	"POST /groups/{id}/assignLicense":                               {"LicenseAssignment.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"},
	"POST /groups (a dynamic group)":                                {"Group.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All"},
	"GET /users?$select=signInActivity":                             {"AuditLog.Read.All", "User.Read.All"}, // both together: checked inside the user reads (TestSignInActivityNeedsAuditLogAndPremium)
	"GET /directoryRoles, role members":                             {"RoleManagement.Read.Directory", "Directory.Read.All"},
	notInGraphMD + " (Microsoft's user-list-memberof)":              {"Directory.Read.All", "Directory.ReadWrite.All"},
	notInGraphMD + " (Microsoft's directory-list-subscriptions)":    {"Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All"},
	notInGraphMD + " (Microsoft's group-delete-members)":            {"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"},
}

const notInGraphMD = "not in GRAPH.md"

// routeCalls maps every route of the simulator to the row of graphPermissions it answers to.
var routeCalls = map[string]string{
	"GET /subscribedSkus":                                        "GET /subscribedSkus",
	"GET /subscribedSkus/{id}":                                   "GET /subscribedSkus",
	"GET /users":                                                 "GET /users, /users/delta",
	"GET /users/$count":                                          "GET /users, /users/delta",
	"GET /users/delta":                                           "GET /users, /users/delta",
	"GET /users/{id}":                                            "GET /users, /users/delta",
	"GET /users/{id}/memberOf":                                   notInGraphMD + " (Microsoft's user-list-memberof)",
	"POST /users/{id}/assignLicense":                             "POST /users/{id}/assignLicense",
	"POST /users/{id}/reprocessLicenseAssignment":                "POST /users/{id}/reprocessLicenseAssignment",
	"GET /groups":                                                "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"POST /groups":                                               "POST /groups (a dynamic group)",
	"GET /groups/$count":                                         "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"GET /groups/delta":                                          "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"GET /groups/{id}":                                           "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"POST /groups/{id}/assignLicense":                            "POST /groups/{id}/assignLicense",
	"GET /groups/{id}/members":                                   "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"GET /groups/{id}/members/$count":                            "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"GET /groups/{id}/membersWithLicenseErrors":                  "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"DELETE /groups/{id}/members/{id}/$ref":                      notInGraphMD + " (Microsoft's group-delete-members)",
	"GET /groups/{id}/members/microsoft.graph.user":              "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"GET /groups/{id}/members/microsoft.graph.user/$count":       "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"GET /groups/{id}/members/microsoft.graph.group":             "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"GET /groups/{id}/members/microsoft.graph.group/$count":      "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"GET /groups/{id}/members/microsoft.graph.device":            "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"GET /groups/{id}/members/microsoft.graph.device/$count":     "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"GET /groups/{id}/members/microsoft.graph.orgContact":        "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"GET /groups/{id}/members/microsoft.graph.orgContact/$count": "GET /groups, members, membersWithLicenseErrors, /groups/delta",
	"GET /auditLogs/directoryAudits":                             "GET /auditLogs/directoryAudits",
	"GET /auditLogs/directoryAudits/{id}":                        "GET /auditLogs/directoryAudits",
	"GET /directory/subscriptions":                               notInGraphMD + " (Microsoft's directory-list-subscriptions)",
	"GET /directory/subscriptions/{id}":                          notInGraphMD + " (Microsoft's directory-list-subscriptions)",
	"GET /directoryRoles":                                        "GET /directoryRoles, role members",
	"GET /directoryRoles/{id}":                                   "GET /directoryRoles, role members",
	"GET /directoryRoles/{id}/members":                           "GET /directoryRoles, role members",
	"GET /directoryRoles(roleTemplateId={id})":                   "GET /directoryRoles, role members",
	"GET /directoryRoles(roleTemplateId={id})/members":           "GET /directoryRoles, role members",
	"POST /$batch":                                               "", // a valid token suffices; each part is checked as its own call
}

// permissionUniverse is every permission any row names plus near misses that sound as if they
// should do: each route is tried with each of them alone.
func permissionUniverse() []string {
	var all []string
	for _, ps := range graphPermissions {
		all = append(all, ps...)
	}
	all = append(all, "GroupMember.ReadWrite.All", "LicenseAssignment.ReadWrite.All", "Organization.ReadWrite.All",
		"User.ReadBasic.All", "Application.Read.All", "Mail.Read")
	slices.Sort(all)
	return slices.Compact(all)
}

// TestRoutesEnforceGRAPHmdPermissions walks every route of the simulator: the route table and
// the request matcher agree, its permissions are exactly GRAPH.md's row for the call, and a
// token holding any one permission alone is refused with 403 Authorization_RequestDenied
// exactly when that permission is not in the row.
func TestRoutesEnforceGRAPHmdPermissions(t *testing.T) {
	e := newAPIEnv(t)
	u, g := e.users()[0], e.group(e.t.Scenarios.A1Group)
	audit := e.t.AuditLog()[0].ID
	role := e.t.roles[0]
	sample := strings.NewReplacer("/users/{id}", "/users/"+u.ID, "/groups/{id}", "/groups/"+g.ID,
		"/subscribedSkus/{id}", "/subscribedSkus/"+skuA1Students, "/directoryAudits/{id}", "/directoryAudits/"+audit,
		"/directoryRoles/{id}", "/directoryRoles/"+role.ID, "/subscriptions/{id}", "/subscriptions/"+e.t.Subscriptions()[0].ID, "/members/{id}/", "/members/"+g.Members[0]+"/", "(roleTemplateId={id})", "(roleTemplateId='"+role.TemplateID+"')")
	bodies := map[string]string{
		"POST /users/{id}/assignLicense":  `{"addLicenses":[],"removeLicenses":[]}`,
		"POST /groups/{id}/assignLicense": `{"addLicenses":[],"removeLicenses":[]}`,
		"POST /groups":                    `{"displayName":"Perm test","mailNickname":"permtest","mailEnabled":false,"securityEnabled":true}`,
		"POST /$batch":                    `{"requests":[{"id":"1","method":"GET","url":"/users?$top=1"}]}`,
	}
	universe := permissionUniverse()
	seen := map[string]bool{}
	for _, rt := range apiRoutes {
		key := rt.Key()
		t.Run(key, func(t *testing.T) {
			call, ok := routeCalls[key]
			if !ok {
				t.Fatalf("route %s has no row of GRAPH.md's permission table in routeCalls", key)
			}
			seen[key] = true
			want := graphPermissions[call]
			if call == "" {
				want = nil
			}
			if !slices.Equal(rt.perms, want) {
				t.Fatalf("route permissions %v, GRAPH.md row %q says %v", rt.perms, call, want)
			}
			path := sample.Replace(rt.template)
			if got, _, err := matchRoute(rt.method, path); err != nil || got.Key() != key {
				t.Fatalf("matchRoute(%s %s) = %s, %v", rt.method, path, got.Key(), err)
			}
			for _, p := range universe {
				r := e.do(t, rt.method, "/v1.0"+path, "perms:"+p, []byte(bodies[key]),
					"ConsistencyLevel", "eventual", "Content-Type", "application/json")
				allowed := want == nil || slices.Contains(want, p)
				if allowed && r.Status == 403 {
					t.Errorf("%s with %s alone: 403, but GRAPH.md lists it: %s", key, p, r.Body)
				}
				if !allowed {
					wantError(t, r, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
				}
				if r.Status == 401 || r.Status >= 500 {
					t.Errorf("%s with %s: %d %s", key, p, r.Status, r.Body)
				}
			}
		})
	}
	for key := range routeCalls {
		if !seen[key] {
			t.Errorf("routeCalls names %s, which the simulator does not serve", key)
		}
	}
}

// TestGraphPermissionTableIsGRAPHmd holds graphPermissions against GRAPH.md itself, so the
// simulator cannot drift from the document unnoticed.
func TestGraphPermissionTableIsGRAPHmd(t *testing.T) {
	rows := testkit.GraphPermissionTable(t)
	for call, perms := range rows {
		if want, ok := graphPermissions[call]; !ok || !slices.Equal(perms, want) {
			t.Errorf("GRAPH.md row %q lists %v; graphPermissions has %v", call, perms, want)
		}
	}
	for call := range graphPermissions {
		if _, ok := rows[call]; !ok && !strings.HasPrefix(call, notInGraphMD) {
			t.Errorf("graphPermissions row %q is not in GRAPH.md", call)
		}
	}
}
