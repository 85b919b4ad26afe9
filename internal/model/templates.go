package model

// NewGroup is a group tenantdesk creates: a dynamic security group (the split wizard's), not
// mail-enabled, its members computed from MembershipRule.
type NewGroup struct {
	DisplayName    string
	Description    string
	MailNickname   string
	MembershipRule string
}
