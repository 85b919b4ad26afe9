package graph

import (
	"context"
	"net/url"

	"github.com/microsoftgraph/msgraph-sdk-go/directoryroles"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// roleMemberSelect is what a role's members are read with: enough to match a mail's recipients.
var roleMemberSelect = []string{"id", "displayName", "userPrincipalName", "mail"}

// DirectoryRoles lists the tenant's activated directory roles, without members. Graph documents
// no query options for this call, so none are sent.
func (c *Client) DirectoryRoles(ctx context.Context) ([]model.DirectoryRole, error) {
	const op = "list directory roles"
	resp, err := directoryroles.NewDirectoryRolesRequestBuilderInternal(c.root(), c.adapter).Get(ctx, nil)
	if err != nil {
		return nil, classify(err, op, permissions.RoleManagementRead)
	}
	var out []model.DirectoryRole
	err = pages(ctx, c, resp, models.CreateDirectoryRoleCollectionResponseFromDiscriminatorValue, nil,
		func(p []models.DirectoryRoleable) error {
			for _, r := range p {
				if r != nil {
					out = append(out, model.DirectoryRole{ID: str(r.GetId()), DisplayName: str(r.GetDisplayName()), TemplateID: str(r.GetRoleTemplateId())})
				}
			}
			return nil
		})
	if err != nil {
		return nil, classify(err, op, permissions.RoleManagementRead)
	}
	return out, nil
}

// DirectoryRoleMembers lists a directory role's direct members. An app that may read roles but
// not users gets them with limited information (id and type only), as Graph documents.
func (c *Client) DirectoryRoleMembers(ctx context.Context, roleID string) ([]model.DirectoryObject, error) {
	op := "list members of directory role " + roleID
	resp, err := directoryroles.NewDirectoryRolesRequestBuilderInternal(c.root(), c.adapter).ByDirectoryRoleId(url.PathEscape(roleID)).Members().Get(ctx,
		&directoryroles.ItemMembersRequestBuilderGetRequestConfiguration{
			QueryParameters: &directoryroles.ItemMembersRequestBuilderGetQueryParameters{Select: roleMemberSelect},
		})
	return allObjects(ctx, c, resp, err, op, permissions.RoleManagementRead)
}
