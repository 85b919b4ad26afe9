package graph

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// RemoveUserLicenses removes directly assigned licenses from a user (POST
// /users/{id}/assignLicense with removeLicenses). Graph refuses a license the user holds only
// from a group (400 "...inherited from a group membership..."): such licenses go by taking the
// user out of the group.
func (c *Client) RemoveUserLicenses(ctx context.Context, userID string, skuIDs []string) error {
	const op = "remove licenses"
	body := users.NewItemAssignLicensePostRequestBody()
	body.SetAddLicenses([]models.AssignedLicenseable{})
	ids := make([]uuid.UUID, 0, len(skuIDs))
	for _, s := range skuIDs {
		id, err := uuid.Parse(s)
		if err != nil {
			return &model.InputError{Message: fmt.Sprintf("%q is not a SKU id.", s)}
		}
		ids = append(ids, id)
	}
	body.SetRemoveLicenses(ids)
	_, err := users.NewUsersRequestBuilderInternal(c.root(), c.adapter).ByUserId(userID).AssignLicense().Post(ctx, body, nil)
	return classify(err, op, permissions.AssignUserLicense()[0])
}

// RemoveGroupMember takes a member out of a group (DELETE /groups/{id}/members/{id}/$ref). A
// licensed group then removes the licenses it gave, once it has processed the change.
func (c *Client) RemoveGroupMember(ctx context.Context, groupID, memberID string) error {
	const op = "remove group member"
	err := c.groupsBuilder().ByGroupId(groupID).Members().ByDirectoryObjectId(memberID).Ref().Delete(ctx, nil)
	return classify(err, op, permissions.RemoveGroupMember()[0])
}
