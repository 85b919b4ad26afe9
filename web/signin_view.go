package web

// SignedInUser is the signed-in person as the page header shows them.
type SignedInUser struct {
	Name          string
	UPN           string
	Role          string // the dashboard role's configured name, or "no role"
	SignOutAction string // URL the sign-out form posts to
	SessionsURL   string // the person's sessions ("sign out everywhere")
}

// DisplayName is the name, or the UPN when the token carried no name.
func (u SignedInUser) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.UPN
}

// NoRoleView is the page of someone signed in without a dashboard role.
type NoRoleView struct {
	Name, UPN  string
	ReaderRole string // the role to ask for (configured name)
	OtherRoles []string
}

// SignedOutView is the page after signing out.
type SignedOutView struct {
	SignInURL string
	// Heading and Message replace the default words (sign-out everywhere, a session ended).
	Heading, Message string
}
