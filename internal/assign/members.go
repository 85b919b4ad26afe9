package assign

import (
	"context"
	"fmt"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// RefreshGroupMembers re-reads every user member of a group (after its processing, say), saves
// them and the group's processing state into the current snapshot and reports each member's
// state against the group's licenses: licensed, or in error with the reason and the fix.
func (s *Service) RefreshGroupMembers(ctx context.Context, groupID string) (Result, error) {
	res := Result{Kind: KindRefresh, GroupID: groupID, At: s.now()}
	var ids []string
	err := s.graph.GroupMembers(ctx, groupID, func(page []model.DirectoryObject) error {
		for _, o := range page {
			if o.Type == model.ObjectUser || o.Type == "" {
				ids = append(ids, o.ID)
			}
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("members of group %s: %w", groupID, err)
	}
	if res, err = s.refreshBatch(ctx, groupID, uniqueIDs(ids)); err != nil {
		return res, err
	}
	more, err := s.rereadGroup(ctx, groupID)
	res.Problems = append(res.Problems, more...)
	return res, err
}
