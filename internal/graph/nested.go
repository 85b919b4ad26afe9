package graph

import (
	"context"
	"net/url"
	"strconv"
	"sync"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// NestedGroups reads which groups are direct members of each group of groupIDs (GET
// /groups/{id}/members/microsoft.graph.group, 20 groups per $batch): group-based licensing does
// not reach the members of a nested group. Groups that vanished meanwhile are left out; only
// the first 999 nested groups of a group are read.
func (c *Client) NestedGroups(ctx context.Context, groupIDs []string) (map[string][]model.GroupRef, error) {
	const op = "list nested groups"
	out := map[string][]model.GroupRef{}
	var mu sync.Mutex
	err := forEachChunk(ctx, groupIDs, maxBatch, func(ctx context.Context, chunk []string) error {
		batch := make([]batchRequest, len(chunk))
		for i, id := range chunk {
			batch[i] = batchRequest{ID: strconv.Itoa(i), Method: "GET",
				URL: "/groups/" + url.PathEscape(id) + "/members/microsoft.graph.group?$select=id,displayName&$top=999"}
		}
		res, err := c.runBatch(ctx, batch)
		if err != nil {
			return classify(err, op, permissions.ReadGroups()[0])
		}
		mu.Lock()
		defer mu.Unlock()
		for i, id := range chunk {
			r := res[strconv.Itoa(i)]
			if vanished, err := groupPart(r, op, id); err != nil {
				return err
			} else if vanished {
				continue
			}
			var page jsonPage[struct {
				ID          string `json:"id"`
				DisplayName string `json:"displayName"`
			}]
			if err := decodePage(r.Body, &page); err != nil {
				return &model.GraphError{Kind: model.GraphOther, Op: op + " of " + id, Message: err.Error(), Status: r.Status}
			}
			for _, g := range page.Value {
				if g.ID != "" {
					out[id] = append(out[id], model.GroupRef{ID: g.ID, Name: g.DisplayName})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// groupPart says what the $batch answer r of a read about group id means: the group vanished
// meanwhile (404), or a failure of op; neither for a success.
func groupPart(r batchResponse, op, id string) (vanished bool, err error) {
	if r.Status == 404 {
		return true, nil
	}
	_, err = batchAnswer(r, op+" of "+id, permissions.ReadGroups()[0])
	return false, err
}
