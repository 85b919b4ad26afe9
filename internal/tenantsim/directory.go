package tenantsim

import (
	"slices"
	"strings"
	"time"
)

// Directory writes besides licensing: editing a user's attributes, group membership and
// deleting users. They are what changes a tenant between two refreshes; the change set of
// ApplyChanges (changes.go) and tests drive them. Each writes the audit event Entra ID writes
// and logs what delta queries track.
//
// Licensing follows from them as in Entra ID:
//   - a member joining a group with a license template queues the group's processing (its
//     members are re-evaluated when it completes, ProcessingDelay later);
//   - a member leaving loses the group's licenses at once (Entra takes minutes; the simulator
//     does not make clients wait for it);
//   - a new usage location re-evaluates the user at once;
//   - a deleted user is removed from every group and frees their units; other users waiting
//     for those units are NOT re-evaluated (that takes a reprocess or the next processing);
//   - attribute edits update the user's memberships of dynamic groups, like the membership
//     rule processor does.

// UserChange is a set of user attributes to change; nil leaves one as it is.
type UserChange struct {
	DisplayName, Department, JobTitle, City, OfficeLocation, MobilePhone, CompanyName, UsageLocation *string
}

// activities of directory writes, as Entra ID names them in the audit log.
const (
	activityUpdateUser   = "Update user"
	activityDeleteUser   = "Delete user"
	activityAddMember    = "Add member to group"
	activityRemoveMember = "Remove member from group"
)

// UpdateUser changes attributes of a user (PATCH /users/{id}).
func (t *Tenant) UpdateUser(id string, c UserChange, by Actor) (User, error) {
	return changeObject(t, id, t.lookupUser, cloneUser, func(u *User, now time.Time) error {
		return t.updateUser(u, c, by, now)
	})
}

func (t *Tenant) updateUser(u *User, c UserChange, by Actor, now time.Time) error {
	if c.DisplayName != nil && (strings.TrimSpace(*c.DisplayName) == "" || len(*c.DisplayName) > 256) {
		return errBadRequest("Invalid value specified for property 'displayName' of resource 'User'.")
	}
	if c.UsageLocation != nil && *c.UsageLocation != "" && !validCountry(*c.UsageLocation) {
		return errBadRequest("Invalid value specified for property 'usageLocation' of resource 'User'.")
	}
	var changed []string
	set := func(name string, field *string, v *string) {
		if v != nil && *field != *v {
			*field = *v
			changed = append(changed, name)
		}
	}
	set("displayName", &u.DisplayName, c.DisplayName)
	set("department", &u.Department, c.Department)
	set("jobTitle", &u.JobTitle, c.JobTitle)
	set("city", &u.City, c.City)
	set("officeLocation", &u.OfficeLocation, c.OfficeLocation)
	set("mobilePhone", &u.MobilePhone, c.MobilePhone)
	set("companyName", &u.CompanyName, c.CompanyName)
	set("usageLocation", &u.UsageLocation, c.UsageLocation)
	if len(changed) == 0 {
		return nil
	}
	t.changedProps(TypeUser, u.ID, changed...)
	tr := userTarget(u)
	quoted := make([]string, len(changed))
	for i, p := range changed {
		quoted[i] = `"` + p + `"`
	}
	tr.ModifiedProperties = []AuditModifiedProperty{{DisplayName: "Included Updated Properties", NewValue: strings.Join(quoted, ",")}}
	t.appendAudit(AuditEvent{
		Category: "UserManagement", CorrelationID: t.newGUID(), Result: "success",
		ActivityDisplayName: activityUpdateUser, ActivityDateTime: now, LoggedByService: serviceCore,
		OperationType: "Update", InitiatedBy: actorInitiator(by), TargetResources: []AuditTarget{tr},
	})
	if slices.Contains(changed, "usageLocation") {
		res := t.evaluate(u, now, false)
		t.auditEvaluation(u, res, now, t.gblInitiator(), t.newGUID(), "")
	}
	t.updateDynamicMemberships(u, by, now)
	return nil
}

// validCountry accepts an ISO 3166 alpha-2 code (upper case letters), as usageLocation takes.
func validCountry(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// updateDynamicMemberships adds u to the dynamic groups whose rule it now matches and removes
// it from those it no longer matches, in group creation order.
func (t *Tenant) updateDynamicMemberships(u *User, by Actor, now time.Time) {
	for _, g := range t.groups {
		if g.MembershipRule == "" {
			continue
		}
		rule, err := parseRule(g.MembershipRule)
		if err != nil {
			continue // a rule the simulator cannot read keeps its members
		}
		member := slices.Contains(t.memberOf[u.ID], g.ID)
		switch match := rule.match(u, t.memberOf[u.ID]); {
		case match && !member:
			t.joinGroup(g, u.ID, by, now)
		case !match && member:
			t.leaveGroup(g, u.ID, by, now)
		}
	}
}

// AddMember adds a user, group, device or contact to a group's members (POST
// /groups/{id}/members/$ref).
func (t *Tenant) AddMember(groupID, memberID string, by Actor) error {
	memberID = strings.ToLower(memberID)
	t.mu.Lock()
	defer t.mu.Unlock()
	g, err := t.memberTarget(groupID, memberID)
	if err != nil {
		return err
	}
	if g.MembershipRule != "" {
		return errBadRequest("Insufficient privileges to complete the operation: the members of a group with dynamic membership are set by its rule.")
	}
	if slices.Contains(g.Members, memberID) {
		return errBadRequest("One or more added object references already exist for the following modified properties: 'members'.")
	}
	t.joinGroup(g, memberID, by, t.nowSec())
	return nil
}

// RemoveMember removes a member from a group: DELETE /groups/{id}/members/{id}/$ref, whose
// route serves RemoveGroupMember.
func (t *Tenant) RemoveMember(groupID, memberID string, by Actor) error {
	return t.RemoveGroupMember(groupID, memberID, by)
}

func (t *Tenant) memberTarget(groupID, memberID string) (*Group, error) {
	g := t.lookupGroup(groupID)
	if g == nil {
		return nil, errNotFound(groupID)
	}
	if _, ok := t.objectType[memberID]; !ok {
		return nil, errNotFound(memberID)
	}
	return g, nil
}

// joinGroup makes id a member of g (its memberships kept in group creation order, the order
// the engine evaluates them in) and queues g's license processing when g assigns licenses.
func (t *Tenant) joinGroup(g *Group, id string, by Actor, now time.Time) {
	g.Members = append(g.Members, id)
	of := append(t.memberOf[id], g.ID)
	slices.SortStableFunc(of, func(a, b string) int { return t.groupByID[a].seq - t.groupByID[b].seq })
	t.memberOf[id] = of
	t.memberChanged(g, id, true)
	t.auditMembership(g, id, activityAddMember, by, now)
	if len(g.Licenses) > 0 {
		t.queue(g, now)
	}
	if g.MembershipRule == "" {
		// Dynamic groups whose memberOf rule names g take the new member in, however it
		// joined (the control API, POST members/$ref, a change set).
		t.followMemberOf(g.ID, []string{id}, now)
	}
}

// leaveGroup takes id out of g. A licensed group is queued for processing, and when it is
// processed the former member loses the licenses it gave (unless another source gives them):
// group-based licensing removes them in the background, as it adds them.
func (t *Tenant) leaveGroup(g *Group, id string, by Actor, now time.Time) {
	g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == id })
	t.memberOf[id] = slices.DeleteFunc(t.memberOf[id], func(x string) bool { return x == g.ID })
	if len(t.memberOf[id]) == 0 {
		delete(t.memberOf, id)
	}
	t.memberChanged(g, id, false)
	t.auditRemoveMember(g, id, now, by)
	if u := t.userByID[id]; u != nil && len(g.Licenses) > 0 {
		g.leavers = append(g.leavers, id)
		t.queue(g, now)
	}
}

func (t *Tenant) auditMembership(g *Group, member, activity string, by Actor, now time.Time) {
	target := AuditTarget{ID: member, Type: "Other"}
	if u := t.userByID[member]; u != nil {
		target = userTarget(u)
	}
	gt := groupTarget(g)
	t.appendAudit(AuditEvent{
		Category: "GroupManagement", CorrelationID: t.newGUID(), Result: "success",
		ActivityDisplayName: activity, ActivityDateTime: now, LoggedByService: serviceCore,
		OperationType: "Assign", InitiatedBy: actorInitiator(by), TargetResources: []AuditTarget{target, gt},
	})
}

// DeleteUser deletes a user (DELETE /users/{id}): it leaves every group, its units are freed
// and it goes to the deleted items (delta queries report it @removed, reason "changed").
func (t *Tenant) DeleteUser(id string, by Actor) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.lookupUser(id)
	if u == nil {
		return errNotFound(id)
	}
	t.deleteUser(u, by, t.nowSec())
	return nil
}

func (t *Tenant) deleteUser(u *User, by Actor, now time.Time) {
	for _, gid := range slices.Clone(t.memberOf[u.ID]) {
		g := t.groupByID[gid]
		g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == u.ID })
		t.memberChanged(g, u.ID, false)
	}
	delete(t.memberOf, u.ID)
	for _, l := range u.AssignedLicenses {
		if s := t.skuByID[l.SKUID]; s != nil {
			s.ConsumedUnits--
		}
	}
	for _, p := range u.ProxyAddresses {
		if k := proxyKey(p); t.proxyOwners[k] > 0 {
			t.proxyOwners[k]--
		}
	}
	t.users = slices.DeleteFunc(t.users, func(x *User) bool { return x == u })
	delete(t.userByID, u.ID)
	delete(t.objectType, u.ID)
	t.deletedUsers = append(t.deletedUsers, u.ID)
	t.record(change{typ: TypeUser, id: u.ID, kind: changeRemoved})
	t.appendAudit(AuditEvent{
		Category: "UserManagement", CorrelationID: t.newGUID(), Result: "success",
		ActivityDisplayName: activityDeleteUser, ActivityDateTime: now, LoggedByService: serviceCore,
		OperationType: "Delete", InitiatedBy: actorInitiator(by), TargetResources: []AuditTarget{userTarget(u)},
	})
}
