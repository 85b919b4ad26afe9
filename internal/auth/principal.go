// Package auth signs people in to the dashboard with OpenID Connect, keeps their sessions, and
// says what each may do: roles come from the ID token's roles claim.
package auth

import "context"

// Role is what a signed-in person may do. Higher roles include the lower ones.
type Role int

// Roles, lowest first.
const (
	RoleNone         Role = iota // signed in, but no dashboard role: sees only how to get one
	RoleReader                   // every read page, IP lookup, SSPR verifier
	RoleOperator                 // + reprocess, refresh
	RoleLicenseAdmin             // + license template changes, activity log
)

// String is the role's default name, as in the app registration's app roles.
func (r Role) String() string {
	switch r {
	case RoleReader:
		return "Reader"
	case RoleOperator:
		return "Operator"
	case RoleLicenseAdmin:
		return "LicenseAdmin"
	}
	return "none"
}

// Allows reports whether a person with role r may do what needs role need.
func (r Role) Allows(need Role) bool { return r >= need }

// Principal is the signed-in person.
type Principal struct {
	ObjectID string // oid claim
	Name     string // name claim
	UPN      string // preferred_username
	Roles    []string
	Role     Role // the highest dashboard role among Roles
	// SessionRef names the session this request belongs to (for the sessions page).
	SessionRef string
	// Rechecked is set when the sign-in that returned it was a silent re-check of a session's
	// roles: PreviousRole is the role before it, RolesChanged whether the roles differ now.
	Rechecked    bool
	PreviousRole Role
	RolesChanged bool
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// WithoutPrincipal returns ctx carrying nobody (a page rendered after the sessions ended).
func WithoutPrincipal(ctx context.Context) context.Context {
	return context.WithValue(ctx, principalKey{}, nil)
}

// PrincipalFrom returns the signed-in person of a request's context, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
