package graph

import (
	"context"
	"fmt"
	"slices"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// What a full sync reads besides the users and the member counts: where it starts, whether the
// directory changed while it read, and, when it did, every user id.

// ChangesFromNow reads in ONE $batch what a full sync starts with: the subscribed SKUs, the
// licensed groups, the subscriptions, and users and groups deltaLinks from now
// ($deltatoken=latest), as Changes reads them for a refresh.
func (c *Client) ChangesFromNow(ctx context.Context) (model.Changes, error) {
	return c.Changes(ctx, c.usersDeltaFromNowURL(), c.groupsDeltaFromNowURL(),
		func([]model.User, []string) error { return nil })
}

// ChangedSince reads in ONE $batch what changed since the two deltaLinks (taken before a full
// read began): the users created, changed or removed, and the groups whose membership changed
// or that were deleted. The links are only read, not replaced: Graph's delta tokens can be
// followed again, so the next refresh still starts from them. A token Graph no longer accepts is
// model.ErrDeltaExpired.
func (c *Client) ChangedSince(ctx context.Context, usersLink, groupsLink string) (model.Changed, error) {
	const op = "read what changed during the sync"
	usersRel, ok1 := c.relativeLink(usersLink)
	groupsRel, ok2 := c.relativeLink(groupsLink)
	if !ok1 || !ok2 {
		return model.Changed{}, fmt.Errorf("%s: a delta link is not below %s: %w", op, c.baseURL, model.ErrDeltaExpired)
	}
	delta := c.deltaHeaders()
	res, err := c.runBatch(ctx, []batchRequest{
		{ID: "users", Method: "GET", URL: usersRel, Headers: delta},
		{ID: "groups", Method: "GET", URL: groupsRel, Headers: delta},
	})
	if err != nil {
		return model.Changed{}, classify(err, op, permissions.ReadUsers()[0])
	}
	var out model.Changed
	if _, err := c.usersDeltaAnswer(ctx, res["users"], func(users []model.User, removed []string) error {
		for _, u := range users {
			out.Users = append(out.Users, u.ID)
		}
		out.Users = append(out.Users, removed...)
		return nil
	}); err != nil {
		return model.Changed{}, err
	}
	gd, _, err := c.groupsDeltaAnswer(ctx, res["groups"])
	if err != nil {
		return model.Changed{}, err
	}
	for _, m := range gd.Members {
		out.Groups = append(out.Groups, m.GroupID)
	}
	out.Groups = append(out.Groups, gd.RemovedGroups...)
	// A user or group Graph lists more than once (several pages, a large group split) once.
	slices.Sort(out.Users)
	slices.Sort(out.Groups)
	out.Users, out.Groups = slices.Compact(out.Users), slices.Compact(out.Groups)
	return out, nil
}

// jsonUserID is a user of an id-only users delta round.
type jsonUserID struct {
	ID      string    `json:"id"`
	Removed *struct{} `json:"@removed"`
}

// UserIDs reads the id of every user, a page at a time, as one round of the users delta with
// only id selected. What a delta round promises (Graph's "Use delta query to track changes"),
// unlike paging GET /users, about which Graph says nothing, is that the initial round and the
// ones after it replicate the collection: a user who does not change while the round runs is in
// it (the simulated tenant fixes a round's objects when it starts). Pages are small (an id
// each), so this is cheap next to the users' full read.
func (c *Client) UserIDs(ctx context.Context, fn func(ids []string) error) error {
	const op = "list user ids"
	link, err := eachPage(ctx, c, c.collectionURL("/users/delta", [2]string{"$select", "id"}), c.deltaHeaders(),
		func(p []jsonUserID) error {
			ids := make([]string, 0, len(p))
			for _, u := range p {
				if u.ID != "" && u.Removed == nil {
					ids = append(ids, model.NormalizeID(u.ID))
				}
			}
			if err := fn(ids); err != nil {
				return callerError{err}
			}
			return nil
		})
	if err != nil {
		return classifyUnlessCaller(err, op, permissions.ReadUsers()[0])
	}
	if link == "" {
		return &model.GraphError{Kind: model.GraphOther, Op: op, Message: "the round ended without an @odata.deltaLink"}
	}
	return nil
}
