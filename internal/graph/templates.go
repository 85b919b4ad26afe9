package graph

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// The writes and reads of license template management: one assignLicense call on a group, a
// dynamic group created, and groups found by name.

// AssignGroupLicenses is POST /groups/{id}/assignLicense with both lists (Graph requires them,
// empty or not): Graph saves the template and processes the members afterwards (202). It returns
// the group as Graph answered (its default properties; read it again for its template).
func (c *Client) AssignGroupLicenses(ctx context.Context, groupID string, add []model.AssignedLicense, remove []string) (model.Group, error) {
	op := "change the licenses of group " + groupID
	perm := permissions.ChangeTemplates()[0]
	if groupID == "" {
		return model.Group{}, &model.GraphError{Kind: model.GraphBadRequest, Op: op, Message: "empty group id"}
	}
	body := groups.NewItemAssignLicensePostRequestBody()
	adds := make([]models.AssignedLicenseable, 0, len(add))
	for _, l := range add {
		sku, err := uuid.Parse(l.SKUID)
		if err != nil {
			return model.Group{}, &model.GraphError{Kind: model.GraphBadRequest, Op: op, Message: "license " + l.SKUID + " is not a GUID"}
		}
		plans := make([]uuid.UUID, 0, len(l.DisabledPlans))
		for _, p := range l.DisabledPlans {
			id, err := uuid.Parse(p)
			if err != nil {
				return model.Group{}, &model.GraphError{Kind: model.GraphBadRequest, Op: op, Message: "service plan " + p + " is not a GUID"}
			}
			plans = append(plans, id)
		}
		al := models.NewAssignedLicense()
		al.SetSkuId(&sku)
		al.SetDisabledPlans(plans)
		adds = append(adds, al)
	}
	removes := make([]uuid.UUID, 0, len(remove))
	for _, r := range remove {
		id, err := uuid.Parse(r)
		if err != nil {
			return model.Group{}, &model.GraphError{Kind: model.GraphBadRequest, Op: op, Message: "license " + r + " is not a GUID"}
		}
		removes = append(removes, id)
	}
	body.SetAddLicenses(adds)
	body.SetRemoveLicenses(removes)
	g, err := c.groupsBuilder().ByGroupId(groupID).AssignLicense().Post(ctx, body, nil)
	if err != nil {
		return model.Group{}, classify(err, op, perm)
	}
	if g == nil {
		return model.Group{ID: groupID}, nil // accepted; Graph's body is not needed
	}
	return toGroup(g), nil
}

// CreateDynamicGroup is POST /groups for a dynamic security group (not mail-enabled) whose
// membership rule Entra ID processes ("On"). Dynamic membership needs Microsoft Entra ID P1.
func (c *Client) CreateDynamicGroup(ctx context.Context, ng model.NewGroup) (model.Group, error) {
	op := "create group " + ng.DisplayName
	g := models.NewGroup()
	g.SetDisplayName(&ng.DisplayName)
	if ng.Description != "" {
		g.SetDescription(&ng.Description)
	}
	g.SetMailNickname(&ng.MailNickname)
	g.SetMailEnabled(ptr(false))
	g.SetSecurityEnabled(ptr(true))
	g.SetGroupTypes([]string{"DynamicMembership"})
	g.SetMembershipRule(&ng.MembershipRule)
	g.SetMembershipRuleProcessingState(ptr("On"))
	out, err := c.groupsBuilder().Post(ctx, g, nil)
	if err != nil {
		return model.Group{}, classify(err, op, permissions.CreateGroups()[0])
	}
	if out == nil {
		return model.Group{}, &model.GraphError{Kind: model.GraphOther, Op: op, Message: "empty response"}
	}
	return toGroup(out), nil
}

// GroupsNamed lists the groups whose displayName is exactly name (Graph compares it without
// regard to case), with their templates and rules.
func (c *Client) GroupsNamed(ctx context.Context, name string) ([]model.Group, error) {
	op := "find groups named " + name
	filter := "displayName eq '" + strings.ReplaceAll(name, "'", "''") + "'"
	resp, err := c.groupsBuilder().Get(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{Filter: &filter, Select: groupSelect, Top: ptr(c.pageSize)},
	})
	if err != nil {
		return nil, classify(err, op, permissions.ReadGroups()[0])
	}
	return groupPages(ctx, c, resp, nil, op, nil)
}
