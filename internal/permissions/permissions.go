// Package permissions says what tenantdesk's app registration may do in Microsoft Graph: the
// application permissions each of its calls needs (as Graph documents them, ../shared/GRAPH.md),
// the permissions the tenant granted (read from the app's own token, cached), and in words why
// an action is not possible. Pages disable what the app may not do and name the permission.
package permissions

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Application permissions tenantdesk uses, by Graph's names.
const (
	LicenseAssignmentRead = "LicenseAssignment.Read.All"
	OrganizationRead      = "Organization.Read.All"
	OrganizationWrite     = "Organization.ReadWrite.All"
	GroupMemberRead       = "GroupMember.Read.All"
	GroupRead             = "Group.Read.All"
	GroupMemberWrite      = "GroupMember.ReadWrite.All"
	UserRead              = "User.Read.All"
	AuditLogRead          = "AuditLog.Read.All"
	LicenseAssignment     = "LicenseAssignment.ReadWrite.All"
	UserReadWrite         = "User.ReadWrite.All"
	GroupReadWrite        = "Group.ReadWrite.All"
	GroupCreate           = "Group.Create"
	DirectoryRead         = "Directory.Read.All"
	DirectoryWrite        = "Directory.ReadWrite.All"
	// RoleManagementRead reads directory roles and their members (GET /directoryRoles).
	RoleManagementRead = "RoleManagement.Read.Directory"
)

// The permissions with which each call of tenantdesk works, as ../shared/GRAPH.md's table
// "Application permissions per call" lists them from Graph's pages: any one of a list suffices,
// the first is the least privileged (the one the README recommends and Graph errors name).

// ReadSKUs is GET /subscribedSkus.
func ReadSKUs() []string {
	return []string{LicenseAssignmentRead, OrganizationRead, DirectoryRead, OrganizationWrite, DirectoryWrite}
}

// ReadUsers is GET /users and /users/delta.
func ReadUsers() []string { return []string{UserRead, DirectoryRead, UserReadWrite, DirectoryWrite} }

// ReadGroups is GET /groups, their members, membersWithLicenseErrors and /groups/delta.
func ReadGroups() []string {
	return []string{GroupMemberRead, GroupRead, DirectoryRead, GroupReadWrite, DirectoryWrite}
}

// ReadAudit is GET /auditLogs/directoryAudits.
func ReadAudit() []string { return []string{AuditLogRead} }

// Reprocess is POST /users/{id}/reprocessLicenseAssignment. Graph does not list
// LicenseAssignment.ReadWrite.All for it: an app with only that permission gets 403.
func Reprocess() []string { return []string{UserReadWrite, DirectoryWrite} }

// ChangeTemplates is POST /groups/{id}/assignLicense: changing a group's license template.
func ChangeTemplates() []string { return []string{LicenseAssignment, GroupReadWrite, DirectoryWrite} }

// CreateGroups is POST /groups (the split wizard's dynamic groups; dynamic membership also needs
// Microsoft Entra ID P1 in the tenant).
func CreateGroups() []string { return []string{GroupCreate, GroupReadWrite, DirectoryWrite} }

// ReadSignIns is GET /users?$select=signInActivity: AuditLog.Read.All together with one of
// ReadUsers (and Entra ID P1 or P2 in the tenant).
func ReadSignIns() []string { return []string{AuditLogRead} }

// ReadSubscriptions is GET /directory/subscriptions. Not in GRAPH.md's table: Microsoft's page
// lists Organization.Read.All, Directory.Read.All and Organization.ReadWrite.All;
// LicenseAssignment.Read.All, enough for /subscribedSkus, is not.
func ReadSubscriptions() []string {
	return []string{OrganizationRead, DirectoryRead, OrganizationWrite}
}

// AssignUserLicense is POST /users/{id}/assignLicense (license cleanup removes direct licenses).
func AssignUserLicense() []string { return []string{LicenseAssignment, UserReadWrite, DirectoryWrite} }

// RemoveGroupMember is DELETE /groups/{id}/members/{id}/$ref (license cleanup takes users out of
// the groups that give them a wasted license). Not in GRAPH.md's table: Microsoft's page lists
// GroupMember.ReadWrite.All, Group.ReadWrite.All and Directory.ReadWrite.All.
func RemoveGroupMember() []string { return []string{GroupMemberWrite, GroupReadWrite, DirectoryWrite} }

// DirectoryRolesRead is GET /directoryRoles and their members.
func DirectoryRolesRead() []string { return []string{RoleManagementRead, DirectoryRead} }

// Fetch reads the application permissions the tenant granted (graph.Client.GrantedPermissions).
type Fetch func(ctx context.Context) ([]string, error)

// Checker answers whether the app may do something, from the granted permissions it reads at
// most every ten minutes. It is safe for concurrent use.
type Checker struct {
	cache cache
	now   func() time.Time
	log   *slog.Logger
}

// NewChecker returns a Checker over fetch, with clock now (nil means time.Now) and logger (nil
// discards).
func NewChecker(fetch Fetch, now func() time.Time, logger *slog.Logger) (*Checker, error) {
	if fetch == nil {
		return nil, errors.New("permissions: a way to read the granted permissions is required")
	}
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Checker{cache: cache{fetch: fetch}, now: now, log: logger}, nil
}

// Missing says why the app may not do what needs any one of anyOf (Graph accepts each of them),
// "" when it may: the first, preferred permission with its alternatives, or that the granted
// permissions could not be read (an action must not be offered, or run, on a guess).
func (c *Checker) Missing(ctx context.Context, anyOf ...string) string {
	if len(anyOf) == 0 {
		return ""
	}
	granted, err := c.cache.get(ctx, c.now())
	if err != nil {
		c.log.WarnContext(ctx, "granted permissions unknown", "err", err)
		return "could not read the app's permissions: " + err.Error()
	}
	for _, p := range anyOf {
		if slices.ContainsFunc(granted, func(g string) bool { return strings.EqualFold(g, p) }) {
			return ""
		}
	}
	msg := "the app lacks " + anyOf[0]
	if len(anyOf) > 1 {
		msg += " (or instead " + strings.Join(anyOf[1:], " or ") + ")"
	}
	return msg
}
