package graph

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"sync"

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
				o.Err = classify(batchErr, uop, permissions.Reprocess()[0])
			case !ok || r.Status == 0:
				o.Err = &model.GraphError{Kind: model.GraphThrottled, Op: uop, Message: "no answer in $batch after retries"}
			case r.Status >= 200 && r.Status <= 299:
				o.User = c.parseUser(r, id)
			default:
				o.Err = innerError(r, uop, permissions.Reprocess()[0])
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
				out[i].Err = classify(err, op+" of user "+out[i].UserID, permissions.Reprocess()[0])
			}
		}
	}
	return out
}

// parseUser reads a user from a batch response body with the conversion every user read uses.
// A body we cannot read still means success: Graph did reprocess; we then know only the id.
func (c *Client) parseUser(r batchResponse, id string) model.User {
	var u jsonUser
	if len(r.Body) == 0 || r.Body[0] != '{' || json.Unmarshal(r.Body, &u) != nil {
		c.log.Debug("unreadable user in batch response", "user", id)
		return model.User{ID: id}
	}
	mu := u.model()
	if mu.ID == "" {
		mu.ID = id
	}
	return mu
}
