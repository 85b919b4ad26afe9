package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"sync"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/auditlogs"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/subscribedskus"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// maxPageSize is Graph's largest $top for directory objects.
const maxPageSize int32 = 999

var (
	groupSelect = []string{"id", "displayName", "description", "mail", "groupTypes", "securityEnabled",
		"mailEnabled", "membershipRule", "assignedLicenses", "licenseProcessingState", "createdDateTime"}
	userSelect = append(slices.Clip(baseUserSelect), reportUserSelect...)
	// baseUserSelect is what the licensing pages need of a user.
	baseUserSelect = []string{"id", "displayName", "userPrincipalName", "mail", "givenName", "surname",
		"department", "jobTitle", "companyName", "employeeId", "city", "country", "usageLocation",
		"userType", "accountEnabled", "onPremisesSyncEnabled", "createdDateTime", "assignedLicenses",
		"licenseAssignmentStates"}
	// reportUserSelect are the license report's other columns: read with everything else, never
	// per user (BenchmarkUsersReportProperties measures what they cost).
	reportUserSelect = []string{"officeLocation", "state", "postalCode", "streetAddress", "preferredLanguage", "employeeType",
		"mobilePhone", "businessPhones", "otherMails", "proxyAddresses", "onPremisesSamAccountName",
		"onPremisesUserPrincipalName", "onPremisesDistinguishedName", "onPremisesDomainName",
		"onPremisesImmutableId", "onPremisesLastSyncDateTime", "onPremisesSecurityIdentifier",
		"externalUserState", "lastPasswordChangeDateTime", "signInSessionsValidFromDateTime",
		"passwordPolicies", "preferredDataLocation"}
	memberSelect = []string{"id", "displayName", "userPrincipalName"}
)

func ptr[T any](v T) *T { return &v }

func (c *Client) root() map[string]string { return map[string]string{"baseurl": c.baseURL} }

func eventual() *abstractions.RequestHeaders {
	h := abstractions.NewRequestHeaders()
	h.Add("ConsistencyLevel", "eventual")
	return h
}

// pages walks a collection from its first page, calling fn once per page. headers are re-sent on
// every next page (PageIterator drops them otherwise, and Graph then refuses advanced queries).
func pages[T any](ctx context.Context, c *Client, first absser.Parsable, ctor absser.ParsableFactory,
	headers *abstractions.RequestHeaders, fn func([]T) error) error {
	if first == nil {
		return errors.New("graph returned no collection (missing Content-Type?)")
	}
	it, err := msgraphcore.NewPageIterator[T](first, c.adapter, ctor)
	if err != nil {
		return err
	}
	if headers != nil {
		it.SetHeaders(headers)
	}
	var (
		buf     []T
		cur     *string // nextLink of the page being enumerated identifies it
		started bool
		fnErr   error
	)
	flush := func() bool {
		if len(buf) == 0 {
			return true
		}
		fnErr = fn(buf)
		buf = nil
		return fnErr == nil
	}
	err = it.Iterate(ctx, func(item T) bool {
		if nl := it.GetOdataNextLink(); !started || nl != cur {
			started = true
			cur = nl
			if !flush() {
				return false
			}
		}
		buf = append(buf, item)
		return true
	})
	if err != nil {
		return err
	}
	if fnErr != nil {
		return fnErr
	}
	flush()
	return fnErr
}

// SubscribedSKUs lists the tenant's subscribed SKUs with units and service plans.
func (c *Client) SubscribedSKUs(ctx context.Context) ([]model.SKU, error) {
	const op = "list subscribed SKUs"
	resp, err := subscribedskus.NewSubscribedSkusRequestBuilderInternal(c.root(), c.adapter).Get(ctx, nil)
	if err != nil {
		return nil, classify(err, op, permissions.ReadSKUs()[0])
	}
	var out []model.SKU
	err = pages(ctx, c, resp, models.CreateSubscribedSkuCollectionResponseFromDiscriminatorValue, nil,
		func(p []models.SubscribedSkuable) error {
			for _, s := range p {
				if s != nil {
					out = append(out, toSKU(s))
				}
			}
			return nil
		})
	return out, classify(err, op, permissions.ReadSKUs()[0])
}

func (c *Client) groupsBuilder() *groups.GroupsRequestBuilder {
	return groups.NewGroupsRequestBuilderInternal(c.root(), c.adapter)
}

// LicensedGroups lists the groups that assign licenses, with their template and processing
// state. It asks Graph for those groups only (an advanced query); where Graph refuses that, it
// reads every group and keeps the licensed ones.
func (c *Client) LicensedGroups(ctx context.Context) ([]model.Group, error) {
	const op = "list licensed groups"
	h := eventual()
	resp, err := c.groupsBuilder().Get(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
		Headers: h,
		QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{
			Filter: ptr("assignedLicenses/$count ne 0"),
			Count:  ptr(true),
			Select: groupSelect,
			Top:    ptr(c.pageSize),
		},
	})
	if err != nil {
		var ge *model.GraphError
		if errors.As(classify(err, op, permissions.ReadGroups()[0]), &ge) && ge.Kind == model.GraphBadRequest && ge.Code == "Request_UnsupportedQuery" {
			c.log.Info("graph refused the licensed-groups query; reading all groups", "message", ge.Message)
			return c.allGroupsLicensed(ctx)
		}
		return nil, classify(err, op, permissions.ReadGroups()[0])
	}
	return groupPages(ctx, c, resp, h, op, nil)
}

// groupPages collects the groups of every page of resp that keep accepts (nil keeps all).
func groupPages(ctx context.Context, c *Client, resp models.GroupCollectionResponseable, h *abstractions.RequestHeaders,
	op string, keep func(models.Groupable) bool) ([]model.Group, error) {
	var out []model.Group
	err := pages(ctx, c, resp, models.CreateGroupCollectionResponseFromDiscriminatorValue, h,
		func(p []models.Groupable) error {
			for _, g := range p {
				if g != nil && (keep == nil || keep(g)) {
					out = append(out, toGroup(g))
				}
			}
			return nil
		})
	if err != nil {
		return nil, classify(err, op, permissions.ReadGroups()[0])
	}
	return out, nil
}

func (c *Client) allGroupsLicensed(ctx context.Context) ([]model.Group, error) {
	const op = "list all groups"
	resp, err := c.groupsBuilder().Get(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{Select: groupSelect, Top: ptr(c.pageSize)},
	})
	if err != nil {
		return nil, classify(err, op, permissions.ReadGroups()[0])
	}
	return groupPages(ctx, c, resp, nil, op, func(g models.Groupable) bool { return len(g.GetAssignedLicenses()) > 0 })
}

// Users reads every user with the attributes and license states reports need, calling fn once
// per page (up to 999 users) so that callers can stream them into storage.
func (c *Client) Users(ctx context.Context, fn func(page []model.User) error) error {
	const op = "list users"
	first := c.collectionURL("/users", selectOption(userSelect), topOption(c.pageSize))
	_, err := eachPage(ctx, c, first, nil, func(p []jsonUser) error { return userPage(fn, p) })
	return classifyUnlessCaller(err, op, permissions.ReadUsers()[0])
}

// callerError carries an error of the caller's fn through a listing, so it comes back as it was.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }
func (e callerError) Unwrap() error { return e.err }

// userPage hands a decoded page to fn, marking fn's error as the caller's.
func userPage(fn func([]model.User) error, p []jsonUser) error {
	if err := fn(jsonUsers(p)); err != nil {
		return callerError{err}
	}
	return nil
}

// classifyUnlessCaller classifies a listing's failure, except the caller's own error, which
// comes back unclassified.
func classifyUnlessCaller(err error, op, perm string) error {
	var ce callerError
	if errors.As(err, &ce) {
		return ce.err
	}
	return classify(err, op, perm)
}

// User reads one user by object id or user principal name.
func (c *Client) User(ctx context.Context, idOrUPN string) (model.User, error) {
	op := "get user " + idOrUPN
	if idOrUPN == "" {
		return model.User{}, &model.GraphError{Kind: model.GraphBadRequest, Message: "empty user id", Op: "get user"}
	}
	body, err := c.getJSON(ctx, c.collectionURL("/users/"+url.PathEscape(idOrUPN), selectOption(userSelect)), nil)
	if err != nil {
		return model.User{}, classify(err, op, permissions.ReadUsers()[0])
	}
	var u jsonUser
	if err := json.Unmarshal(body, &u); err != nil || u.ID == "" {
		return model.User{}, &model.GraphError{Kind: model.GraphOther, Message: "the user came back unreadable", Op: op}
	}
	return u.model(), nil
}

// Group reads one group by object id.
func (c *Client) Group(ctx context.Context, id string) (model.Group, error) {
	op := "get group " + id
	if id == "" {
		return model.Group{}, &model.GraphError{Kind: model.GraphBadRequest, Message: "empty group id", Op: "get group"}
	}
	g, err := c.groupsBuilder().ByGroupId(id).Get(ctx, &groups.GroupItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupItemRequestBuilderGetQueryParameters{Select: groupSelect},
	})
	if err != nil {
		return model.Group{}, classify(err, op, permissions.ReadGroups()[0])
	}
	if g == nil {
		return model.Group{}, &model.GraphError{Kind: model.GraphOther, Message: "empty response", Op: op}
	}
	return toGroup(g), nil
}

// MemberCounts counts each group's direct members, one /$count request per group, 20 to a
// $batch, and its direct user members only where countUsers says so (groups still processing:
// once a group is processed its user members are exactly the users whose license states name
// it, which the store counts, so asking Graph too would double the requests for nothing).
// progress, if not nil, gets the number of groups done so far. Groups that no longer exist are
// left out of the result.
func (c *Client) MemberCounts(ctx context.Context, groupIDs []string, countUsers func(id string) bool, progress func(done int)) (map[string]model.MemberCounts, error) {
	const op = "count group members"
	type countReq struct {
		group string
		users bool
	}
	var reqs []countReq
	for _, id := range groupIDs {
		reqs = append(reqs, countReq{group: id})
		if countUsers != nil && countUsers(id) {
			reqs = append(reqs, countReq{group: id, users: true})
		}
	}
	out := make(map[string]model.MemberCounts, len(groupIDs))
	for _, id := range groupIDs {
		out[id] = model.MemberCounts{UsersFromStates: countUsers == nil || !countUsers(id)}
	}
	gone := map[string]bool{}
	var (
		mu   sync.Mutex
		done int
	)
	err := forEachChunk(ctx, reqs, maxBatch, func(ctx context.Context, chunk []countReq) error {
		batch := make([]batchRequest, len(chunk))
		hdr := map[string]string{"ConsistencyLevel": "eventual"}
		for i, q := range chunk {
			p := "/groups/" + url.PathEscape(q.group) + "/members"
			if q.users {
				p += "/microsoft.graph.user"
			}
			batch[i] = batchRequest{ID: strconv.Itoa(i), Method: "GET", URL: p + "/$count", Headers: hdr}
		}
		res, err := c.runBatch(ctx, batch)
		if err != nil {
			return classify(err, op, permissions.ReadGroups()[0])
		}
		mu.Lock()
		defer mu.Unlock()
		for i, q := range chunk {
			r := res[strconv.Itoa(i)]
			if vanished, err := groupPart(r, op, q.group); err != nil {
				return err
			} else if vanished {
				c.log.Debug("group vanished before its members were counted", "group", q.group)
				gone[q.group] = true
				continue
			}
			n, err := parseCount(r.Body)
			if err != nil {
				return &model.GraphError{Kind: model.GraphOther, Op: op + " of " + q.group, Message: err.Error(), Status: r.Status}
			}
			mc := out[q.group]
			if q.users {
				mc.Users = n
			} else {
				mc.All = n
				done++
			}
			out[q.group] = mc
		}
		if progress != nil {
			progress(done)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for id := range gone {
		delete(out, id)
	}
	return out, nil
}

// GroupMembers pages through a group's direct members, calling fn per page.
func (c *Client) GroupMembers(ctx context.Context, groupID string, fn func([]model.DirectoryObject) error) error {
	op := "list members of group " + groupID
	resp, err := c.groupsBuilder().ByGroupId(groupID).Members().Get(ctx, &groups.ItemMembersRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.ItemMembersRequestBuilderGetQueryParameters{Select: memberSelect, Top: ptr(c.pageSize)},
	})
	if err != nil {
		return classify(err, op, permissions.ReadGroups()[0])
	}
	var fnErr error
	err = pages(ctx, c, resp, models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue, nil,
		func(p []models.DirectoryObjectable) error {
			fnErr = fn(toObjects(p))
			return fnErr
		})
	if fnErr != nil {
		return fnErr
	}
	return classify(err, op, permissions.ReadGroups()[0])
}

func toObjects(p []models.DirectoryObjectable) []model.DirectoryObject {
	out := make([]model.DirectoryObject, 0, len(p))
	for _, o := range p {
		if o != nil {
			out = append(out, toDirectoryObject(o))
		}
	}
	return out
}

// MembersWithLicenseErrors lists the members of a group whose licenses from it are in error.
func (c *Client) MembersWithLicenseErrors(ctx context.Context, groupID string) ([]model.DirectoryObject, error) {
	op := "list members with license errors of group " + groupID
	resp, err := c.groupsBuilder().ByGroupId(groupID).MembersWithLicenseErrors().Get(ctx,
		&groups.ItemMembersWithLicenseErrorsRequestBuilderGetRequestConfiguration{
			QueryParameters: &groups.ItemMembersWithLicenseErrorsRequestBuilderGetQueryParameters{Select: memberSelect, Top: ptr(c.pageSize)},
		})
	return allObjects(ctx, c, resp, err, op, permissions.GroupRead)
}

// allObjects reads every page of a directory object collection whose first page the SDK
// answered with resp and err; failures are classified for op, needing perm.
func allObjects(ctx context.Context, c *Client, resp models.DirectoryObjectCollectionResponseable, err error, op, perm string) ([]model.DirectoryObject, error) {
	if err != nil {
		return nil, classify(err, op, perm)
	}
	var out []model.DirectoryObject
	err = pages(ctx, c, resp, models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue, nil,
		func(p []models.DirectoryObjectable) error {
			out = append(out, toObjects(p)...)
			return nil
		})
	if err != nil {
		return nil, classify(err, op, perm)
	}
	return out, nil
}

// DirectoryAudits reads audit events matching f, newest first as Graph returns them.
func (c *Client) DirectoryAudits(ctx context.Context, f model.AuditQuery) ([]model.AuditEvent, error) {
	const op = "read directory audits"
	filter, err := auditFilter(f)
	if err != nil {
		return nil, &model.GraphError{Kind: model.GraphBadRequest, Op: op, Message: err.Error()}
	}
	q := &auditlogs.DirectoryAuditsRequestBuilderGetQueryParameters{}
	if filter != "" {
		q.Filter = &filter
	}
	top := f.Top
	if f.Max > 0 && (top == 0 || top > f.Max) {
		top = f.Max
	}
	if top > int(maxPageSize) {
		top = int(maxPageSize)
	}
	if top > 0 {
		q.Top = ptr(int32(top))
	}
	resp, err := auditlogs.NewAuditLogsRequestBuilderInternal(c.root(), c.adapter).DirectoryAudits().Get(ctx,
		&auditlogs.DirectoryAuditsRequestBuilderGetRequestConfiguration{QueryParameters: q})
	if err != nil {
		return nil, classify(err, op, permissions.ReadAudit()[0])
	}
	var out []model.AuditEvent
	errEnough := errors.New("enough")
	err = pages(ctx, c, resp, models.CreateDirectoryAuditCollectionResponseFromDiscriminatorValue, nil,
		func(p []models.DirectoryAuditable) error {
			for _, a := range p {
				if a == nil {
					continue
				}
				out = append(out, toAuditEvent(a))
				if f.Max > 0 && len(out) >= f.Max {
					return errEnough
				}
			}
			return nil
		})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, classify(err, op, permissions.ReadAudit()[0])
	}
	return out, nil
}
