package tenantsim

import (
	"testing"
)

// TestRemoveGroupMember: DELETE .../members/{id}/$ref takes the user out at once and their
// license from the group after the group is processed; a second DELETE is 404; a dynamic
// group's members cannot be removed.
func TestRemoveGroupMember(t *testing.T) {
	e := newAPIEnv(t)
	g := e.group(e.t.Scenarios.A1Group)
	var uid string
	for _, id := range g.Members {
		u := e.t.userCopy(id)
		if len(statesOf(u, g.ID)) > 0 && len(u.LicenseStates) == len(statesOf(u, g.ID)) {
			uid = id
			break
		}
	}
	if uid == "" {
		t.Fatal("no member licensed by this group alone")
	}
	path := "/v1.0/groups/" + g.ID + "/members/" + uid + "/$ref"
	wantError(t, e.do(t, "DELETE", path, "perms:GroupMember.Read.All", nil), 403, "Authorization_RequestDenied", "Insufficient privileges")
	if r := e.do(t, "DELETE", path, "perms:GroupMember.ReadWrite.All", nil); r.Status != 204 || len(r.Body) != 0 {
		t.Fatalf("DELETE: %d %s", r.Status, r.Body)
	}
	e.t.AdvanceProcessing()
	if u := e.t.userCopy(uid); len(u.AssignedLicenses) != 0 || len(u.LicenseStates) != 0 {
		t.Fatalf("after processing the former member holds %+v", u.AssignedLicenses)
	}
	wantError(t, e.do(t, "DELETE", path, "perms:GroupMember.ReadWrite.All", nil), 404, "Request_ResourceNotFound", "does not exist")
	if !containsString(auditActivities(e.t), "Remove member from group") {
		t.Error("no audit event of the removal")
	}
	for _, gr := range e.t.groups {
		if gr.MembershipRule != "" && len(gr.Members) > 0 {
			wantError(t, e.do(t, "DELETE", "/v1.0/groups/"+gr.ID+"/members/"+gr.Members[0]+"/$ref", "perms:GroupMember.ReadWrite.All", nil),
				400, "Request_BadRequest", "dynamic membership")
			break
		}
	}
}

func auditActivities(t *Tenant) []string {
	var out []string
	for _, e := range t.AuditLog() {
		out = append(out, e.ActivityDisplayName)
	}
	return out
}
