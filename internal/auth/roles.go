package auth

import "strings"

// RoleNames are the app-role values in the ID token's roles claim for each dashboard role.
type RoleNames map[Role]string

// DefaultRoleNames are the role values of tenantdesk's documented app registration.
func DefaultRoleNames() RoleNames {
	return RoleNames{RoleReader: "Reader", RoleOperator: "Operator", RoleLicenseAdmin: "LicenseAdmin"}
}

// Name is the configured name of r, or its default.
func (n RoleNames) Name(r Role) string {
	if v, ok := n[r]; ok && v != "" {
		return v
	}
	return r.String()
}

// RoleOf is the highest dashboard role among the token's roles. Entra compares app-role
// values exactly, but an administrator typing "reader" should not lock everyone out, so case
// is ignored. Roles of other apps or unknown values count for nothing.
func (n RoleNames) RoleOf(claims []string) Role {
	best := RoleNone
	for _, c := range claims {
		for _, r := range []Role{RoleReader, RoleOperator, RoleLicenseAdmin} {
			if r > best && strings.EqualFold(strings.TrimSpace(c), n.Name(r)) {
				best = r
			}
		}
	}
	return best
}
