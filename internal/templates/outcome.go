package templates

import (
	"context"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// GroupStatus is how a group stands after a change to its template: its processing, its direct
// user members and, once it is processed, how many of them are in license error from it.
type GroupStatus struct {
	Group      *model.Group
	Processing Processing
	Members    int // direct user members now
	InError    int // members in license error from it (read once it is processed)
	Err        error
}

// GroupsStatus reads each group of ids from Graph now, as the pages that follow a change to
// several groups show them; a group that cannot be read has its Err.
func (s *Service) GroupsStatus(ctx context.Context, ids []string) ([]GroupStatus, error) {
	if len(ids) > MaxBulkGroups {
		return nil, model.Invalid("%d groups; at most %d are followed at once.", len(ids), MaxBulkGroups)
	}
	groups := make([]*model.Group, len(ids))
	errs := make([]error, len(ids))
	s.each(len(ids), func(i int) {
		g, err := s.freshGroup(ctx, ids[i])
		if err != nil {
			errs[i] = err
			return
		}
		groups[i] = &g
	})
	out := s.groupStatuses(ctx, groups)
	for i, err := range errs {
		if err != nil {
			out[i] = GroupStatus{Processing: Processing{GroupID: ids[i]}, Err: err}
		}
	}
	return out, nil
}

// groupStatuses reads the user member counts of groups (nil ones are left empty), all in one
// batched call, and the members in error of those that are processed.
func (s *Service) groupStatuses(ctx context.Context, groups []*model.Group) []GroupStatus {
	out := make([]GroupStatus, len(groups))
	var ids []string
	for i, g := range groups {
		if g != nil {
			out[i] = GroupStatus{Group: g, Processing: Processing{GroupID: g.ID, Name: g.DisplayName, State: g.ProcessingState, At: s.now()}}
			ids = append(ids, g.ID)
		}
	}
	if len(ids) == 0 {
		return out
	}
	counts, err := s.memberCounts(ctx, ids...)
	s.each(len(out), func(i int) {
		st := &out[i]
		if st.Group == nil {
			return
		}
		if err != nil {
			st.Err = err
			return
		}
		st.Members = counts[st.Group.ID].Users
		if !st.Processing.Done() {
			return
		}
		if res, ok, err := s.settleOnce(ctx, st.Group.ID); ok {
			st.Members, st.InError = res.Total, res.InError
			return
		} else if err != nil {
			s.log.WarnContext(ctx, "members of a processed group not re-read", "group", st.Group.ID, "err", err)
		}
		inError, err := s.graph.MembersWithLicenseErrors(ctx, st.Group.ID)
		if err != nil {
			st.Err = err
			return
		}
		st.InError = len(inError)
	})
	return out
}

// settleOnce settles groupID (its members re-read into the snapshot, as after an apply) the
// first time it is seen processed after a change made here, so the pages that follow a split
// or a bulk change, and the previews after them, see the members' new states; ok reports that
// it settled now. Later calls leave it to the live reads.
func (s *Service) settleOnce(ctx context.Context, groupID string) (res assign.Result, ok bool, err error) {
	id := model.NormalizeID(groupID)
	s.settledMu.Lock()
	done := s.settled[id]
	s.settledMu.Unlock()
	if done {
		return res, false, nil
	}
	if res, err = s.Settle(ctx, id); err != nil {
		return res, false, err
	}
	s.settledMu.Lock()
	if s.settled == nil {
		s.settled = map[string]bool{}
	}
	s.settled[id] = true
	s.settledMu.Unlock()
	return res, true, nil
}

// unsettle forgets that groupID was settled: it was just changed.
func (s *Service) unsettle(groupID string) {
	s.settledMu.Lock()
	delete(s.settled, model.NormalizeID(groupID))
	s.settledMu.Unlock()
}
