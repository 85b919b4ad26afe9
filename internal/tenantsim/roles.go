package tenantsim

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
)

// Directory (administrator) roles. Graph lists only roles that are activated in the tenant; a
// role becomes activated when it is first assigned, and Global Administrator always is. Role
// template ids are the same in every tenant (Microsoft's "Microsoft Entra built-in roles").

// DirectoryRole is an activated directory role with its direct members (user object ids).
type DirectoryRole struct {
	ID          string
	DisplayName string
	Description string
	TemplateID  string
	Members     []string
}

// Role template ids of the built-in roles the simulator assigns.
const (
	RoleGlobalAdmin   = "62e90394-69f5-4237-9190-012177145e10"
	RoleUserAdmin     = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	RoleHelpdeskAdmin = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
	RolePasswordAdmin = "966707d0-3269-4727-9be2-8c3a10f19b9d"
	RoleLicenseAdmin  = "4d6ac14f-3453-41d0-bef9-a3e0c569773a"
	RoleGlobalReader  = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
)

var builtinRoles = []struct{ template, name, description string }{
	{RoleGlobalAdmin, "Global Administrator", "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities."},
	{RoleUserAdmin, "User Administrator", "Can manage all aspects of users and groups, including resetting passwords for limited admins."},
	{RoleHelpdeskAdmin, "Helpdesk Administrator", "Can reset passwords for non-administrators and Helpdesk Administrators."},
	{RolePasswordAdmin, "Password Administrator", "Can reset passwords for non-administrators and Password Administrators."},
	{RoleLicenseAdmin, "License Administrator", "Can manage product licenses on users and groups."},
	{RoleGlobalReader, "Global Reader", "Can read everything that a Global Administrator can, but not update anything."},
}

// directoryRoles assigns roles from the directory as generated, without drawing from the
// generator's random source (so adding roles changed no other generated value): every
// "Helpdesk Administrator" by job title holds that role; IT staff in creation order hold Global
// Administrator (two), User, Password and License Administrator and Global Reader (one each).
func (g *generator) directoryRoles() {
	t := g.t
	var it []*User
	for _, u := range t.users {
		if u.Department == "IT" && u.role == roleStaff && u.UserType == "Member" && u.JobTitle != "Helpdesk Administrator" {
			it = append(it, u)
		}
	}
	if len(it) < 2 {
		for _, u := range t.users {
			if u.UserType == "Member" && u.role != roleService && !slices.Contains(it, u) {
				it = append(it, u)
			}
			if len(it) >= 6 {
				break
			}
		}
	}
	next := func(n int) []string {
		var ids []string
		for ; n > 0 && len(it) > 0; n-- {
			ids = append(ids, it[0].ID)
			it = it[1:]
		}
		return ids
	}
	members := map[string][]string{RoleGlobalAdmin: next(2)}
	for _, u := range t.users {
		if u.JobTitle == "Helpdesk Administrator" && u.UserType == "Member" {
			members[RoleHelpdeskAdmin] = append(members[RoleHelpdeskAdmin], u.ID)
		}
	}
	members[RoleUserAdmin] = next(1)
	members[RolePasswordAdmin] = next(1)
	members[RoleLicenseAdmin] = next(1)
	members[RoleGlobalReader] = next(1)

	h := fnv.New64a()
	h.Write([]byte("directory roles"))
	r := rand.New(rand.NewPCG(uint64(t.cfg.Seed), h.Sum64()))
	t.roles = nil
	for _, b := range builtinRoles {
		id := guidFrom(r) // drawn for every role, so ids do not depend on which are active
		if len(members[b.template]) == 0 && b.template != RoleGlobalAdmin {
			continue
		}
		t.roles = append(t.roles, &DirectoryRole{ID: id, DisplayName: b.name, Description: b.description,
			TemplateID: b.template, Members: members[b.template]})
	}
}

// DirectoryRoles lists the activated directory roles with their members.
func (t *Tenant) DirectoryRoles() []DirectoryRole {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]DirectoryRole, len(t.roles))
	for i, r := range t.roles {
		out[i] = *r
		out[i].Members = slices.Clone(r.Members)
	}
	return out
}

// roleHolders are the enabled holders of a role, in creation order; the caller holds the lock.
func (t *Tenant) roleHolders(template string) []*User {
	var out []*User
	for _, r := range t.roles {
		if r.TemplateID != template {
			continue
		}
		for _, id := range r.Members {
			if u := t.userByID[id]; u != nil && u.AccountEnabled && u.Mail != "" && !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
	}
	return out
}

// findRole resolves a role's object id or its roleTemplateId; the caller holds the lock.
func (t *Tenant) findRole(key string) *DirectoryRole {
	for _, r := range t.roles {
		if strings.EqualFold(r.ID, key) {
			return r
		}
	}
	return nil
}

// findRoleByTemplate resolves the alternate key roleTemplateId; the caller holds the lock.
func (t *Tenant) findRoleByTemplate(template string) *DirectoryRole {
	for _, r := range t.roles {
		if strings.EqualFold(r.TemplateID, template) {
			return r
		}
	}
	return nil
}

// LookupUser returns a copy of the user with this object id or user principal name.
func (t *Tenant) LookupUser(idOrUPN string) (User, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	u := t.lookupUser(idOrUPN)
	if u == nil {
		return User{}, false
	}
	return cloneUser(u), true
}
