package tenantsim

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// permsMemberWrite is DELETE /groups/{id}/members/{id}/$ref ("Remove member"): not in GRAPH.md's
// table; Microsoft's page lists GroupMember.ReadWrite.All (least privileged), Group.ReadWrite.All
// and Directory.ReadWrite.All for applications.
var permsMemberWrite = []string{"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}

// removeMember serves DELETE /groups/{id}/members/{memberId}/$ref: 204 and no body.
func (a *API) removeMember(rq *request) error {
	if err := a.t.RemoveGroupMember(rq.params[0], rq.params[1], actor(rq.caller)); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// RemoveGroupMember takes member memberID out of group groupID, as DELETE
// /groups/{id}/members/{id}/$ref does. A licensed group is queued for processing; when it is
// processed the former member loses its licenses (unless another source gives them). A member
// that is not one is 404, as Graph answers. Graph's page does not document the answer for a
// group with dynamic membership; the simulator refuses with 400, the most conservative reading.
func (t *Tenant) RemoveGroupMember(groupID, memberID string, by Actor) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.nowSec()
	g := t.lookupGroup(groupID)
	if g == nil {
		return errNotFound(groupID)
	}
	id := strings.ToLower(memberID)
	if !slices.Contains(g.Members, id) {
		return errNotFound(memberID)
	}
	if slices.ContainsFunc(g.GroupTypes, func(s string) bool { return strings.EqualFold(s, "DynamicMembership") }) {
		return errBadRequest("Members of a group with dynamic membership cannot be removed: change its membership rule.")
	}
	t.leaveGroup(g, id, by, now)
	return nil
}

// auditRemoveMember writes "Remove member from group" as Entra does: the user and the group as
// targets, the group named in modified properties.
func (t *Tenant) auditRemoveMember(g *Group, memberID string, at time.Time, by Actor) {
	target := AuditTarget{ID: memberID, Type: "User"}
	if u := t.userByID[memberID]; u != nil {
		target = userTarget(u)
	}
	target.ModifiedProperties = []AuditModifiedProperty{
		{DisplayName: "Group.ObjectID", OldValue: `"` + g.ID + `"`},
		{DisplayName: "Group.DisplayName", OldValue: `"` + g.DisplayName + `"`},
	}
	t.appendAudit(AuditEvent{
		Category: "GroupManagement", CorrelationID: t.newGUID(), Result: "success",
		ActivityDisplayName: "Remove member from group", ActivityDateTime: at, LoggedByService: serviceCore,
		OperationType: "Unassign", InitiatedBy: actorInitiator(by), TargetResources: []AuditTarget{target, groupTarget(g)},
	})
}
