package graph

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// ReprocessUsers asks Graph to re-evaluate the license assignments of each user, 20 to a
// $batch. Every id gets exactly one outcome, in input order: throttled requests are retried
// within their batch, and a batch that fails as a whole fails each of its users.
// progress, if not nil, gets the number of users done so far.
func (c *Client) ReprocessUsers(ctx context.Context, userIDs []string, progress func(done int)) []model.ReprocessOutcome {
	const op = "reprocess license assignment"
	out := make([]model.ReprocessOutcome, len(userIDs))
	idx := make([]int, len(userIDs)) // positions, so duplicate ids each get their own outcome
	for i, id := range userIDs {
		out[i].UserID = id
		idx[i] = i
	}
	var (
		mu   sync.Mutex
		done int
	)
	err := forEachChunk(ctx, idx, maxBatch, func(ctx context.Context, pos []int) error {
		reqs := make([]batchRequest, 0, len(pos))
		for k, p := range pos {
			if userIDs[p] == "" {
				continue
			}
			reqs = append(reqs, batchRequest{
				ID:     strconv.Itoa(k),
				Method: "POST",
				URL:    "/users/" + url.PathEscape(userIDs[p]) + "/reprocessLicenseAssignment",
			})
		}
		var res map[string]batchResponse
		var batchErr error
		if len(reqs) > 0 {
			res, batchErr = c.runBatch(ctx, reqs)
		}
		for k, p := range pos {
			id := userIDs[p]
			uop := op + " of user " + id
			var o model.ReprocessOutcome
			o.UserID = id
			switch r, ok := res[strconv.Itoa(k)]; {
			case id == "":
				o.Err = &model.GraphError{Kind: model.GraphBadRequest, Op: op, Message: "empty user id"}
			case batchErr != nil:
				o.Err = classify(batchErr, uop, permissions.LicenseAssignment)
			case !ok || r.Status == 0:
				o.Err = &model.GraphError{Kind: model.GraphThrottled, Op: uop, Message: "no answer in $batch after retries"}
			case r.Status >= 200 && r.Status <= 299:
				o.User = c.parseUser(r, id)
			default:
				o.Err = innerError(r, uop, permissions.LicenseAssignment)
			}
			out[p] = o
		}
		mu.Lock()
		done += len(pos)
		if progress != nil {
			progress(done)
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		// Cancelled: whatever was not reached gets the cancellation as its outcome.
		for i := range out {
			if out[i].Err == nil && out[i].User.ID == "" {
				out[i].Err = classify(err, op+" of user "+out[i].UserID, permissions.LicenseAssignment)
			}
		}
	}
	return out
}

// parseUser reads a user from a batch response body with the SDK's own model, so the same
// conversion applies as everywhere else. A body we cannot read still means success: Graph did
// reprocess; we then know only the id.
func (c *Client) parseUser(r batchResponse, id string) model.User {
	fallback := model.User{ID: id}
	if len(r.Body) == 0 || r.Body[0] != '{' {
		return fallback
	}
	node, err := jsonser.NewJsonParseNode(r.Body)
	if err != nil {
		c.log.Debug("unreadable user in batch response", "user", id, "err", err)
		return fallback
	}
	v, err := node.GetObjectValue(models.CreateUserFromDiscriminatorValue)
	u, ok := v.(models.Userable)
	if err != nil || !ok || u == nil {
		c.log.Debug("unreadable user in batch response", "user", id, "err", err)
		return fallback
	}
	mu := toUser(u)
	if mu.ID == "" {
		mu.ID = id
	}
	return mu
}

// licenseBody converts a license change to the SDK's types. Graph wants both lists present, even
// empty.
func licenseBody(add []model.AssignedLicense, remove []string) ([]models.AssignedLicenseable, []uuid.UUID, error) {
	adds := make([]models.AssignedLicenseable, 0, len(add))
	for _, a := range add {
		sku, err := uuid.Parse(strings.TrimSpace(a.SKUID))
		if err != nil {
			return nil, nil, fmt.Errorf("SKU id %q is not a GUID", a.SKUID)
		}
		plans := make([]uuid.UUID, 0, len(a.DisabledPlans))
		for _, p := range a.DisabledPlans {
			pid, err := uuid.Parse(strings.TrimSpace(p))
			if err != nil {
				return nil, nil, fmt.Errorf("service plan id %q is not a GUID", p)
			}
			plans = append(plans, pid)
		}
		l := models.NewAssignedLicense()
		l.SetSkuId(&sku)
		l.SetDisabledPlans(plans)
		adds = append(adds, l)
	}
	removes := make([]uuid.UUID, 0, len(remove))
	for _, r := range remove {
		id, err := uuid.Parse(strings.TrimSpace(r))
		if err != nil {
			return nil, nil, fmt.Errorf("SKU id %q to remove is not a GUID", r)
		}
		removes = append(removes, id)
	}
	return adds, removes, nil
}

// AssignGroupLicenses changes a group's license template. Graph accepts it (202) and processes
// the members asynchronously.
func (c *Client) AssignGroupLicenses(ctx context.Context, groupID string, add []model.AssignedLicense, remove []string) error {
	op := "assign licenses to group " + groupID
	adds, removes, err := licenseBody(add, remove)
	if err != nil {
		return &model.GraphError{Kind: model.GraphBadRequest, Op: op, Message: err.Error()}
	}
	body := groups.NewItemAssignLicensePostRequestBody()
	body.SetAddLicenses(adds)
	body.SetRemoveLicenses(removes)
	_, err = c.groupsBuilder().ByGroupId(groupID).AssignLicense().Post(ctx, body, nil)
	return classify(err, op, permissions.LicenseAssignment)
}

// AssignUserLicenses changes a user's direct licenses (all or none) and returns the user as
// read back afterwards, with license states.
func (c *Client) AssignUserLicenses(ctx context.Context, userID string, add []model.AssignedLicense, remove []string) (model.User, error) {
	op := "assign licenses to user " + userID
	adds, removes, err := licenseBody(add, remove)
	if err != nil {
		return model.User{}, &model.GraphError{Kind: model.GraphBadRequest, Op: op, Message: err.Error()}
	}
	body := users.NewItemAssignLicensePostRequestBody()
	body.SetAddLicenses(adds)
	body.SetRemoveLicenses(removes)
	u, err := users.NewUsersRequestBuilderInternal(c.root(), c.adapter).ByUserId(userID).AssignLicense().Post(ctx, body, nil)
	if err != nil {
		return model.User{}, classify(err, op, permissions.LicenseAssignment)
	}
	// The answer carries default properties only; read back what the pages show.
	fresh, err := c.User(ctx, userID)
	if err != nil {
		c.log.Warn("licenses assigned but the user could not be read back", "user", userID, "err", err)
		if u == nil {
			return model.User{ID: userID}, nil
		}
		return toUser(u), nil
	}
	return fresh, nil
}

// NewGroup is what CreateGroup creates.
type NewGroup struct {
	DisplayName, Description, MailNickname string
	SecurityEnabled, MailEnabled           bool
	GroupTypes                             []string // "Unified", "DynamicMembership"
	MembershipRule                         string
	MembershipRuleProcessingState          string // "On" or "Paused", dynamic groups only
}

// CreateGroup creates a group.
func (c *Client) CreateGroup(ctx context.Context, g NewGroup) (model.Group, error) {
	op := "create group " + g.DisplayName
	if strings.TrimSpace(g.DisplayName) == "" || strings.TrimSpace(g.MailNickname) == "" {
		return model.Group{}, &model.GraphError{Kind: model.GraphBadRequest, Op: "create group", Message: "display name and mail nickname are required"}
	}
	ng := models.NewGroup()
	ng.SetDisplayName(&g.DisplayName)
	if g.Description != "" {
		ng.SetDescription(&g.Description)
	}
	ng.SetMailNickname(&g.MailNickname)
	ng.SetSecurityEnabled(&g.SecurityEnabled)
	ng.SetMailEnabled(&g.MailEnabled)
	groupTypes := g.GroupTypes
	if groupTypes == nil {
		groupTypes = []string{}
	}
	ng.SetGroupTypes(groupTypes)
	if g.MembershipRule != "" {
		ng.SetMembershipRule(&g.MembershipRule)
		state := g.MembershipRuleProcessingState
		if state == "" {
			state = "On"
		}
		ng.SetMembershipRuleProcessingState(&state)
	}
	res, err := c.groupsBuilder().Post(ctx, ng, nil)
	if err != nil {
		return model.Group{}, classify(err, op, permissions.GroupReadWrite)
	}
	if res == nil {
		return model.Group{}, &model.GraphError{Kind: model.GraphOther, Op: op, Message: "empty response"}
	}
	return toGroup(res), nil
}
