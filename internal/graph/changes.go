package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// Changes reads in ONE $batch what every incremental refresh starts with: the subscribed SKUs,
// the licensed groups, a round of the users delta from usersLink and a round of the groups
// delta from groupsLink (both earlier rounds' deltaLinks). Pages past the first of any of them
// are followed with their nextLinks; users gets each page of the users delta as UsersDelta's fn
// does. The subscriptions and groups are decoded through the SDK's models exactly as
// SubscribedSKUs and LicensedGroups decode them (and where Graph refuses the licensed-groups
// query, every group is read as LicensedGroups does). A token Graph no longer accepts is
// model.ErrDeltaExpired.
func (c *Client) Changes(ctx context.Context, usersLink, groupsLink string, users func([]model.User, []string) error) (model.Changes, error) {
	const op = "read what changed"
	var out model.Changes
	usersRel, ok1 := c.relativeLink(usersLink)
	groupsRel, ok2 := c.relativeLink(groupsLink)
	if !ok1 || !ok2 {
		return out, fmt.Errorf("%s: a stored delta link is not below %s: %w", op, c.baseURL, model.ErrDeltaExpired)
	}
	const (
		idSKUs        = "skus"
		idGroups      = "groups"
		idUsersDelta  = "users"
		idGroupsDelta = "groupsDelta"
		idSubs        = "subscriptions"
	)
	delta := c.deltaHeaders()
	reqs := []batchRequest{
		{ID: idSKUs, Method: "GET", URL: "/subscribedSkus"},
		{ID: idGroups, Method: "GET", URL: relativeURL("/groups", [2]string{"$filter", "assignedLicenses/$count ne 0"},
			[2]string{"$count", "true"}, selectOption(groupSelect), topOption(c.pageSize)),
			Headers: map[string]string{"ConsistencyLevel": "eventual"}},
		{ID: idUsersDelta, Method: "GET", URL: usersRel, Headers: delta},
		{ID: idGroupsDelta, Method: "GET", URL: groupsRel, Headers: delta},
		{ID: idSubs, Method: "GET", URL: "/directory/subscriptions"},
	}
	res, err := c.runBatch(ctx, reqs)
	if err != nil {
		return out, classify(err, op, permissions.ReadUsers()[0])
	}
	answer := func(id, what, perm string) (batchResponse, error) { return batchAnswer(res[id], what, perm) }

	// The users delta first: its pages go to the caller as they come.
	if out.UsersLink, err = c.usersDeltaAnswer(ctx, res[idUsersDelta], users); err != nil {
		return out, err
	}
	if out.GroupDelta, out.GroupsLink, err = c.groupsDeltaAnswer(ctx, res[idGroupsDelta]); err != nil {
		return out, err
	}

	r, err := answer(idSKUs, "list subscribed SKUs", permissions.ReadSKUs()[0])
	if err != nil {
		return out, err
	}
	if err := sdkPages(ctx, c, r.Body, models.CreateSubscribedSkuCollectionResponseFromDiscriminatorValue, nil,
		func(p []models.SubscribedSkuable) error {
			for _, s := range p {
				if s != nil {
					out.SKUs = append(out.SKUs, toSKU(s))
				}
			}
			return nil
		}); err != nil {
		return out, classify(err, "list subscribed SKUs", permissions.ReadSKUs()[0])
	}

	// The subscriptions' dates and totals for license health: an app that may not read them
	// (Organization.Read.All) gets the rest, and Changes says why they are missing.
	if r, err = answer(idSubs, "list subscriptions", permissions.ReadSubscriptions()[0]); err == nil {
		_, err = continuePages(ctx, c, r.Body, "list subscriptions", nil, func(p []jsonSubscription) error {
			out.Subscriptions = appendSubscriptions(out.Subscriptions, p)
			return nil
		})
		err = classify(err, "list subscriptions", permissions.ReadSubscriptions()[0])
	}
	if err != nil {
		out.Subscriptions, out.SubscriptionsErr = nil, err
	}

	r, err = answer(idGroups, "list licensed groups", permissions.ReadGroups()[0])
	var ge *model.GraphError
	if errors.As(err, &ge) && ge.Kind == model.GraphBadRequest && ge.Code == "Request_UnsupportedQuery" {
		c.log.Info("graph refused the licensed-groups query; reading all groups", "message", ge.Message)
		out.Groups, err = c.allGroupsLicensed(ctx)
		return out, err
	}
	if err != nil {
		return out, err
	}
	if err := sdkPages(ctx, c, r.Body, models.CreateGroupCollectionResponseFromDiscriminatorValue, eventual(),
		func(p []models.Groupable) error {
			for _, g := range p {
				if g != nil {
					out.Groups = append(out.Groups, toGroup(g))
				}
			}
			return nil
		}); err != nil {
		return out, classify(err, "list licensed groups", permissions.ReadGroups()[0])
	}
	return out, nil
}

// batchAnswer is r, or the error it carries: Graph's own, or throttling when $batch gave it no
// answer after its retries.
func batchAnswer(r batchResponse, op, perm string) (batchResponse, error) {
	switch {
	case r.Status == 0:
		return r, &model.GraphError{Kind: model.GraphThrottled, Op: op, Message: "no answer in $batch after retries"}
	case r.Status < 200 || r.Status > 299:
		return r, innerError(r, op, perm)
	}
	return r, nil
}

// usersDeltaAnswer reads a round of the users delta whose first page is r (a $batch answer),
// following its nextLinks, calling fn per page as UsersDelta does; it returns the deltaLink.
func (c *Client) usersDeltaAnswer(ctx context.Context, r batchResponse, fn func([]model.User, []string) error) (string, error) {
	const op = "read users delta"
	r, err := batchAnswer(r, op, permissions.ReadUsers()[0])
	if err != nil {
		return "", deltaError(err)
	}
	link, err := continueDelta(ctx, c, r.Body, op, usersDeltaPage(fn))
	if err != nil {
		return "", deltaError(classifyUnlessCaller(err, op, permissions.ReadUsers()[0]))
	}
	return link, nil
}

// groupsDeltaAnswer reads a round of the groups delta whose first page is r, as GroupsDelta does.
func (c *Client) groupsDeltaAnswer(ctx context.Context, r batchResponse) (model.GroupDelta, string, error) {
	const op = "read groups delta"
	r, err := batchAnswer(r, op, permissions.ReadGroups()[0])
	if err != nil {
		return model.GroupDelta{}, "", deltaError(err)
	}
	var m groupDeltaMerge
	link, err := continueDelta(ctx, c, r.Body, op, func(p []jsonGroupDelta) error {
		m.add(p)
		return nil
	})
	if err != nil {
		return model.GroupDelta{}, "", deltaError(classify(err, op, permissions.ReadGroups()[0]))
	}
	return m.out, link, nil
}

// relativeLink is a stored link (below the Graph base) relative to the version root, as a
// $batch request names it; false for a link that is not this client's.
func (c *Client) relativeLink(link string) (string, bool) {
	if !c.ownLink(link) {
		return "", false
	}
	return strings.TrimPrefix(link, c.baseURL), true
}

// continueDelta decodes the first page of a delta round from body, then reads the rest of the
// round from its nextLink, calling fn per page; it returns the round's deltaLink.
func continueDelta[T any](ctx context.Context, c *Client, body json.RawMessage, op string, fn func([]T) error) (string, error) {
	link, err := continuePages(ctx, c, body, op, c.deltaHeaders(), fn)
	if err != nil {
		return "", err
	}
	if link == "" {
		return "", &model.GraphError{Kind: model.GraphOther, Op: op, Message: "the round ended without an @odata.deltaLink"}
	}
	return link, nil
}

// continuePages decodes the first page of a collection from body (a $batch answer), then reads
// the rest from its nextLink with headers, calling fn per page; it returns the deltaLink, if
// the collection is a delta round's.
func continuePages[T any](ctx context.Context, c *Client, body json.RawMessage, op string, headers map[string]string, fn func([]T) error) (string, error) {
	var p jsonPage[T]
	if err := decodePage(body, &p); err != nil {
		return "", &model.GraphError{Kind: model.GraphOther, Op: op, Message: "unreadable answer: " + err.Error()}
	}
	if err := fn(p.Value); err != nil {
		return "", err
	}
	if p.NextLink == "" {
		return p.DeltaLink, nil
	}
	return eachPage(ctx, c, p.NextLink, headers, fn)
}

// sdkPages decodes the first page of a collection from body with the SDK's model (ctor), then
// walks it as pages does.
func sdkPages[T any](ctx context.Context, c *Client, body json.RawMessage, ctor absser.ParsableFactory,
	headers *abstractions.RequestHeaders, fn func([]T) error) error {
	node, err := jsonser.NewJsonParseNode(body)
	if err != nil {
		return fmt.Errorf("decode the answer: %w", err)
	}
	first, err := node.GetObjectValue(ctor)
	if err != nil {
		return fmt.Errorf("decode the answer: %w", err)
	}
	return pages(ctx, c, first, ctor, headers, fn)
}
