package snapshot

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// settle makes up, after a full sync's reads, for what changed in the directory while it read.
// It asks the delta what changed since the links the sync took before it began (one round
// trip; the links stay the snapshot's, so the next refresh applies those changes: a user edited,
// created or deleted meanwhile needs nothing here).
//
// What the next refresh cannot bring back is a user who did not change but whom paging
// GET /users skipped because others were deleted or created while it paged: Graph documents
// nothing about paging under change, so this takes the most conservative reading (the
// simulated tenant pages by offset, where a deletion before the cursor hides the next user). So
// when any user changed, every user id is listed by an id-only delta round (UserIDs: a delta
// round misses no one who does not change) and the users the pages missed are read by id into
// w, with their sign-in activity when the pages had it. A sync during which no user changed
// read an unchanging directory and costs nothing more. In a large tenant some user changes
// during most full syncs, so this costs one small page per 999 users then. Graph documents no
// delay before a change shows in the delta; were there one, a change in the last moments of
// the read could go unnoticed here until the next full sync.
//
// It returns the groups whose membership changed meanwhile: for those, comparing member counts
// with license states proves nothing (nestedGroups), and counts read before the change would
// make the next refresh (which counts a processed group's non-user members as the stored
// members less its users) keep a wrong number, so recount asks Graph for both counts again.
func (s *Syncer) settle(ctx context.Context, ds DeltaSource, w model.SnapshotWriter, links model.DeltaLinks,
	read *usersRead) ([]string, error) {
	changed, err := ds.ChangedSince(ctx, links.Users, links.Groups)
	if err != nil {
		return nil, fmt.Errorf("read what changed during the sync: %w", err)
	}
	if len(changed.Users) == 0 {
		return changed.Groups, nil
	}
	var missing []string
	if err := ds.UserIDs(ctx, func(ids []string) error {
		for _, id := range ids {
			if !w.Added(id) {
				missing = append(missing, id)
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list user ids: %w", err)
	}
	s.log.Info("users changed while the sync read them", "changed", len(changed.Users), "missed by the pages", len(missing))
	if len(missing) == 0 {
		return changed.Groups, nil
	}
	put := func(users []model.User, signIns []model.SignIn) error {
		var fresh []model.User
		for _, u := range users {
			if !w.Added(u.ID) {
				fresh = append(fresh, u)
			}
		}
		signIns = slices.DeleteFunc(signIns, func(si model.SignIn) bool { return w.Added(si.UserID) })
		read.add(w, fresh)
		if err := w.AddUsers(ctx, fresh); err != nil {
			return err
		}
		if len(signIns) > 0 {
			if err := w.AddSignIns(ctx, signIns); err != nil {
				return err
			}
		}
		return nil
	}
	if read.signInsMissing == "" {
		err = ds.UsersWithSignInsByID(ctx, missing, put)
	} else {
		err = ds.UsersByID(ctx, missing, func(users []model.User) error { return put(users, nil) })
	}
	if err != nil {
		return nil, fmt.Errorf("read the users the pages missed: %w", err)
	}
	return changed.Groups, nil
}

// recount counts again, users by Graph too, the members of the licensed groups whose membership
// changed while the sync read (settle), into counts.
func (s *Syncer) recount(ctx context.Context, changed []string, counts map[string]model.MemberCounts) error {
	var ids []string
	for _, id := range changed {
		if _, ok := counts[id]; ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	fresh, err := s.src.MemberCounts(ctx, ids, func(string) bool { return true }, func(int) {})
	if err != nil {
		return fmt.Errorf("count the members of groups that changed during the sync: %w", err)
	}
	maps.Copy(counts, fresh)
	return nil
}
