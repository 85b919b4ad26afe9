package tenantsim

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Membership changes after generation: members joining or leaving a group with assigned
// membership, and the dynamic groups whose memberOf rules follow it.
//
// Entra ID documents for memberOf rules (groups-dynamic-rule-member-of, preview limitations):
// only direct members of the referenced groups become members; a memberOf rule cannot be
// combined with other expressions nor reference another memberOf group; a rule names at most 50
// groups; and "Membership of a memberOf dynamic group doesn't automatically update when a child
// group is deleted or when members are removed from a child group" — so a member joining a
// referenced group joins the dynamic group, and one leaving it stays a member of the dynamic
// group. A membership change of a group with licenses queues its license processing, as
// Entra ID processes the joining or leaving users.

// maxMemberOfGroups is how many groups one memberOf rule may name.
const maxMemberOfGroups = 50

// validMemberOfRule applies the documented limits of memberOf rules; other rules pass.
func (t *Tenant) validMemberOfRule(r *ruleNode) bool {
	if !r.usesMemberOf() {
		return true
	}
	if r.op != "memberof" || len(r.groupIDs) == 0 || len(r.groupIDs) > maxMemberOfGroups {
		return false // combined with other expressions, or no or too many groups
	}
	for _, id := range r.groupIDs {
		g := t.groupByID[strings.ToLower(id)]
		if g == nil {
			return false
		}
		if ref, err := parseRule(g.MembershipRule); g.MembershipRule != "" && err == nil && ref.usesMemberOf() {
			return false
		}
	}
	return true
}

// ChangeMembers adds and removes direct members of a group with assigned membership (users,
// groups, devices or contacts by object id) and follows up: dynamic memberOf groups gain the
// controlActor and ruleActor are who the audit log says changed memberships through the control
// API (a stand-in for an admin or a sync tool) and through dynamic membership rules.
var (
	controlActor = Actor{AppID: "6a0e5f4b-2c1d-4f3e-8b7a-1d2c3b4a5e6f", DisplayName: "Simulator control API"}
	ruleActor    = Actor{AppID: "7b1f6a5c-3d2e-4a4f-9c8b-2e3d4c5b6a7f", DisplayName: "Dynamic group membership"}
)

// joining users, and licensed groups whose membership changed queue their license processing.
func (t *Tenant) ChangeMembers(groupID string, add, remove []string) (Group, error) {
	return changeObject(t, groupID, t.lookupGroup, cloneGroup, func(g *Group, now time.Time) error {
		if g.MembershipRule != "" {
			return errBadRequest("Members of a group with dynamic membership are managed by its membership rule and cannot be added or removed.")
		}
		for _, id := range append(slices.Clone(add), remove...) {
			if _, ok := t.objectType[strings.ToLower(id)]; !ok {
				return errNotFound(id)
			}
			if strings.EqualFold(id, g.ID) {
				return errBadRequest("A group cannot be a member of itself.")
			}
		}
		for _, id := range add {
			id = strings.ToLower(id)
			if !slices.Contains(g.Members, id) {
				t.joinGroup(g, id, controlActor, now) // dynamic memberOf groups follow
			}
		}
		for _, id := range remove {
			id = strings.ToLower(id)
			if slices.Contains(g.Members, id) {
				t.leaveGroup(g, id, controlActor, now)
			}
		}
		return nil
	})
}

// followMemberOf adds the users who just joined group src to every dynamic group whose
// memberOf rule, being processed, names src; those of them with licenses queue processing.
func (t *Tenant) followMemberOf(src string, joined []string, now time.Time) {
	if len(joined) == 0 {
		return
	}
	for _, g := range t.groups {
		if g.MembershipRule == "" || g.MembershipRuleProcessingState != "On" {
			continue
		}
		rule, err := parseRule(g.MembershipRule)
		if err != nil || !rule.usesMemberOf() {
			continue
		}
		for _, id := range joined {
			u := t.userByID[id]
			if u == nil || slices.Contains(g.Members, id) || !rule.match(u, t.memberOf[id]) {
				continue
			}
			t.joinGroup(g, id, ruleActor, now) // queues g's processing when it assigns licenses
		}
	}
}

// handleMembers is POST /_sim/groups/{id}/members {"add": [ids], "remove": [ids]}.
func (c *Control) handleMembers(w http.ResponseWriter, r *http.Request, groupID string) {
	var body struct {
		Add    []string `json:"add"`
		Remove []string `json:"remove"`
	}
	if err := decodeControl(w, r, &body); err != nil {
		ctlError(w, 400, `body must be {"add": [object ids], "remove": [object ids]}: `+err.Error())
		return
	}
	g, err := c.t.ChangeMembers(groupID, body.Add, body.Remove)
	if err != nil {
		ctlTenantError(w, err)
		return
	}
	ctlJSON(w, 200, map[string]any{"group_id": g.ID, "members": len(g.Members), "processing_state": g.ProcessingState})
}
