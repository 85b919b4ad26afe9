package snapshot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// The incremental refresh. Graph's delta queries tell which users changed (with their license
// states as they are now) and which groups' members changed, but NOT which users' license
// states changed on their own: "Changes to the licenseAssignmentStates property are currently
// not tracked" (user: delta). States change without a tracked change of the user when a group
// is processed (its template or processing state changed, or a member joined), when a member
// leaves, or when a reprocess, units bought or a conflict solved elsewhere resolve an error
// at the next processing. So besides the deltas a refresh re-reads, with their states:
//   - every user member of a licensed group that is new, whose template or processing state
//     changed, that is or was still processing, or (after its subscription's status changed)
//     whose members may have been re-evaluated (GroupUserMembers, 999 a page);
//   - by id (UsersByID, 300 to a request): users who joined or left a licensed group, users in
//     error in a group whose membership changed (its processing re-evaluated them), users with
//     states from a group that no longer assigns licenses, and direct holders of a subscription
//     whose status changed;
//   - the member counts of groups that are new, still processing, or where a member that is not
//     a user joined or left (a processed group's user members are the users whose license
//     states name it, which the store counts; its other members are as many as before).
// Subscriptions and the licensed groups are read every time (units bought, templates, states),
// with both deltas in one round trip where the source can (ChangesSource: one $batch), so a
// refresh with nothing changed makes one request.
// What this cannot see (a reprocess by another tool that changed only the error of a user not
// otherwise touched) the periodic full sync catches (Syncer.FullEvery).

// DeltaSource is what an incremental refresh reads besides Source; internal/graph implements
// it. With one, a full sync also keeps the delta links the next refresh starts from.
type DeltaSource interface {
	// UsersDelta reads a round of the users delta from link ("" for every user), calling fn
	// with each page's users and removed ids; it returns the round's deltaLink, or an error
	// matching model.ErrDeltaExpired when Graph no longer takes the link.
	UsersDelta(ctx context.Context, link string, fn func(users []model.User, removed []string) error) (string, error)
	// ChangesFromNow reads what ChangesSource.Changes reads with deltaLinks from now instead of
	// changes: what a full sync starts with, before it reads the users by another list.
	ChangesFromNow(ctx context.Context) (model.Changes, error)
	// GroupsDelta reads the membership changes since link ("" asks for a link from now).
	GroupsDelta(ctx context.Context, link string) (model.GroupDelta, string, error)
	// GroupUserMembers reads a group's user members with their license states, a page at a time.
	GroupUserMembers(ctx context.Context, groupID string, fn func([]model.User) error) error
	// UsersByID reads these users with their license states; users that no longer exist are
	// left out.
	UsersByID(ctx context.Context, ids []string, fn func([]model.User) error) error
	// UsersWithSignInsByID reads these users as UsersByID does with each one's sign-in
	// activity (refused as Source.UsersWithSignIns is).
	UsersWithSignInsByID(ctx context.Context, ids []string, fn func([]model.User, []model.SignIn) error) error
	// ChangedSince says which users and groups changed since the two deltaLinks, without
	// replacing them (a full sync asks after its reads, with the links it took before them).
	ChangedSince(ctx context.Context, usersLink, groupsLink string) (model.Changed, error)
	// UserIDs lists every user's id, a page at a time, in a read that misses no one however
	// the directory changes meanwhile.
	UserIDs(ctx context.Context, fn func(ids []string) error) error
}

// ChangesSource reads what a refresh starts with (subscriptions, licensed groups, both deltas)
// in one round trip; a DeltaSource that has it is asked that way instead of four requests
// side by side. internal/graph implements it with one $batch.
type ChangesSource interface {
	Changes(ctx context.Context, usersLink, groupsLink string, users func([]model.User, []string) error) (model.Changes, error)
}

// Mode says which kind of refresh Run does.
type Mode int

const (
	// Auto refreshes incrementally when it can and a full sync is not due (FullEvery).
	Auto Mode = iota
	// Full reads the whole tenant.
	Full
	// Incremental refreshes incrementally when it can, even when a full sync is due.
	Incremental
)

// ParseMode reads "auto", "full" or "incremental".
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return Auto, nil
	case "full":
		return Full, nil
	case "incremental":
		return Incremental, nil
	}
	return Auto, model.Invalid("refresh mode %q: use auto, full or incremental", s)
}

// DefaultFullEvery is how often Auto makes a full sync: daily, well within the seven days
// Graph keeps a delta token.
const DefaultFullEvery = 24 * time.Hour

// Phases of an incremental refresh.
const (
	PhaseChanges = "changes"        // the deltas, subscriptions and licensed groups
	PhaseStates  = "license states" // users re-read for their license states
)

// incrementalOrWhy begins an incremental refresh of the current snapshot when one can run in
// mode, or says why the whole tenant must be read.
func (s *Syncer) incrementalOrWhy(ctx context.Context, mode Mode, run model.SyncRun) (model.SnapshotRefresh, DeltaSource, string, error) {
	ds, ok := s.src.(DeltaSource)
	switch {
	case mode == Full:
		return nil, nil, "a full sync was asked for", nil
	case !ok:
		return nil, nil, "the source cannot read changes", nil
	}
	ref, err := s.st.BeginRefresh(ctx, run.ID, run.StartedAt)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil, "no snapshot yet", nil
	} else if err != nil {
		return nil, nil, "", err
	}
	base := ref.Base()
	why := ""
	switch every := s.fullEvery(); {
	case base.Links.Users == "" || base.Links.Groups == "":
		why = "the current data came from a sync that kept no delta links"
	case mode == Auto && every > 0 && s.Now().Sub(base.Snapshot.FullAt) >= every:
		why = fmt.Sprintf("the last full sync began %s ago (a full sync runs every %s)",
			s.Now().Sub(base.Snapshot.FullAt).Round(time.Minute), every)
	}
	if why != "" {
		return nil, nil, why, ref.Abort(context.WithoutCancel(ctx))
	}
	return ref, ds, "", nil
}

func (s *Syncer) fullEvery() time.Duration {
	if s.FullEvery == 0 {
		return DefaultFullEvery
	}
	return s.FullEvery
}

// refresh applies what changed since the snapshot's delta links to it, counting into run.
func (s *Syncer) refresh(ctx context.Context, run *model.SyncRun, ds DeltaSource, ref model.SnapshotRefresh) error {
	r := &refreshRun{s: s, ds: ds, ref: ref, base: ref.Base(), seen: map[string]bool{}}
	err := r.do(ctx, run)
	if err != nil {
		return errors.Join(err, ref.Abort(context.WithoutCancel(ctx)))
	}
	return nil
}

// refreshRun is one incremental refresh under way.
type refreshRun struct {
	s    *Syncer
	ds   DeltaSource
	ref  model.SnapshotRefresh
	base model.RefreshBase

	mu   sync.Mutex
	seen map[string]bool // users re-read after the deltas (their states are the newest read)
}

func (r *refreshRun) do(ctx context.Context, run *model.SyncRun) error {
	s := r.s
	s.setPhase(PhaseChanges, 0)
	var (
		links            model.DeltaLinks
		gd               model.GroupDelta
		skus             []model.SKU
		groups           []model.Group
		changed, removed int
	)
	putChanged := func(ctx context.Context) func([]model.User, []string) error {
		return func(users []model.User, gone []string) error {
			changed += len(users)
			removed += len(gone)
			if err := r.ref.RemoveUsers(ctx, gone); err != nil {
				return err
			}
			return r.ref.PutUsers(ctx, users)
		}
	}
	var err error
	if cs, ok := r.ds.(ChangesSource); ok {
		var ch model.Changes
		ch, err = cs.Changes(ctx, r.base.Links.Users, r.base.Links.Groups, putChanged(ctx))
		if err != nil {
			err = fmt.Errorf("read what changed: %w", err)
		}
		skus, groups, gd, links = ch.SKUs, ch.Groups, ch.GroupDelta, model.DeltaLinks{Users: ch.UsersLink, Groups: ch.GroupsLink}
		if err == nil {
			err = r.subscriptions(ch.Subscriptions, ch.SubscriptionsErr)
		}
	} else {
		err = r.readChanges(ctx, &links, &gd, &skus, &groups, putChanged)
	}
	if err != nil {
		return err
	}
	p, err := r.plan(ctx, gd, skus, groups)
	if err != nil {
		return err
	}
	s.setPhase(PhaseStates, len(p.groups)+len(p.recount))
	var counts map[string]model.MemberCounts
	done := 0
	var doneMu sync.Mutex
	step := func(n int) {
		doneMu.Lock()
		done += n
		s.setDone(done)
		doneMu.Unlock()
	}
	err = parallel(ctx,
		func(ctx context.Context) error { return r.readGroups(ctx, p.groups, step) },
		func(ctx context.Context) error {
			var err error
			last := 0
			counts, err = s.countMembers(ctx, groups, p.recount, func(d, _ int) {
				if d > last {
					step(d - last)
					last = d
				}
			})
			return err
		})
	if err != nil {
		return err
	}
	for _, id := range p.keepNonUsers {
		counts[id] = model.MemberCounts{KeepNonUsers: true}
	}
	byID := r.unseen(p.users)
	if err := r.readUsers(ctx, byID); err != nil {
		return err
	}
	s.setPhase(PhaseSaving, 0)
	stats, err := r.ref.Commit(ctx, skus, groups, counts, links)
	if err != nil {
		return err
	}
	run.SKUs, run.Groups, run.Users = len(skus), len(groups), stats.Changed
	run.Note = fmt.Sprintf("incremental: %d users changed and %d removed by the users delta, %d membership changes; "+
		"%d groups re-read for license states, %d users re-read by id, %d groups counted by Graph and %d from license states; %d users written, %d taken out",
		changed, removed, len(gd.Members), len(p.groups), len(byID), len(p.recount), len(p.keepNonUsers), stats.Changed, stats.Removed)
	if stats.Kept > 0 {
		run.Note += fmt.Sprintf(", %d kept as a reprocess patched them meanwhile", stats.Kept)
	}
	return nil
}

// readChanges reads the deltas, subscriptions and licensed groups side by side (a source that
// cannot read them in one round trip).
func (r *refreshRun) readChanges(ctx context.Context, links *model.DeltaLinks, gd *model.GroupDelta, skus *[]model.SKU,
	groups *[]model.Group, put func(context.Context) func([]model.User, []string) error) error {
	return parallel(ctx,
		func(ctx context.Context) error {
			var err error
			if links.Users, err = r.ds.UsersDelta(ctx, r.base.Links.Users, put(ctx)); err != nil {
				return fmt.Errorf("read changed users: %w", err)
			}
			return nil
		},
		func(ctx context.Context) error {
			var err error
			if *gd, links.Groups, err = r.ds.GroupsDelta(ctx, r.base.Links.Groups); err != nil {
				return fmt.Errorf("read changed group memberships: %w", err)
			}
			return nil
		},
		func(ctx context.Context) error {
			var err error
			if *skus, err = r.s.src.SubscribedSKUs(ctx); err != nil {
				return fmt.Errorf("read subscribed SKUs: %w", err)
			}
			return nil
		},
		func(ctx context.Context) error {
			var err error
			if *groups, err = r.s.src.LicensedGroups(ctx); err != nil {
				return fmt.Errorf("read licensed groups: %w", err)
			}
			return nil
		},
		func(ctx context.Context) error {
			subs, err := r.s.src.Subscriptions(ctx)
			return r.subscriptions(subs, err)
		})
}

// subscriptions gives the refresh the subscriptions read (their totals and dates change as
// units are bought and terms end), or records why the app may not read them; any other
// failure fails the refresh.
func (r *refreshRun) subscriptions(subs []model.Subscription, err error) error {
	why, refused := missingBecause(err, subscriptionsWhat)
	switch {
	case refused:
		r.ref.SetSubscriptions(nil, why)
	case err != nil:
		return fmt.Errorf("read subscriptions: %w", err)
	default:
		r.ref.SetSubscriptions(subs, "")
	}
	return nil
}

// refreshPlan is what a refresh re-reads after the deltas.
type refreshPlan struct {
	groups       []string        // groups whose user members are re-read
	users        []string        // users re-read by id
	recount      map[string]bool // groups whose members are counted
	keepNonUsers []string        // groups whose user members are counted from license states
}

// plan works out what to re-read from what the deltas, the subscriptions and the licensed
// groups say, against the snapshot.
func (r *refreshRun) plan(ctx context.Context, gd model.GroupDelta, skus []model.SKU, groups []model.Group) (refreshPlan, error) {
	p := refreshPlan{recount: map[string]bool{}}
	statusChanged := map[string]bool{}
	for _, k := range skus {
		if old, ok := r.base.SKUStatus[model.NormalizeID(k.ID)]; ok && old != k.CapabilityStatus {
			statusChanged[model.NormalizeID(k.ID)] = true
		}
	}
	licensed := map[string]bool{}
	var listed []string
	for _, g := range groups {
		licensed[g.ID] = true
		listed = append(listed, g.ID)
	}
	members := map[string]bool{}  // groups whose membership changed
	nonUsers := map[string]bool{} // groups with a member not known to be a user joined or left
	users := map[string]bool{}
	for _, m := range gd.Members {
		_, stored := r.base.Groups[m.GroupID]
		if !licensed[m.GroupID] && !stored {
			continue // a group that assigns no licenses: nothing of it is kept
		}
		members[m.GroupID] = true
		if m.MemberType == "" || m.MemberType == model.ObjectUser {
			users[m.MemberID] = true
		}
		if m.MemberType != model.ObjectUser {
			nonUsers[m.GroupID] = true
		}
	}
	var inChangedGroups []string
	for _, g := range groups {
		old, stored := r.base.Groups[g.ID]
		hasChangedSKU := slices.ContainsFunc(g.AssignedLicenses, func(l model.AssignedLicense) bool { return statusChanged[model.NormalizeID(l.SKUID)] })
		switch {
		case !stored, !sameTemplate(old.Template, g.AssignedLicenses), old.ProcessingState != g.ProcessingState,
			old.ProcessingState != model.ProcessingComplete, g.ProcessingState != model.ProcessingComplete,
			hasChangedSKU:
			p.groups = append(p.groups, g.ID)
		case members[g.ID]:
			inChangedGroups = append(inChangedGroups, g.ID)
		}
		// A processed group whose membership changed only in users needs no count from Graph:
		// its user members are the users whose license states name it (the store counts them)
		// and its other members are as many as before.
		switch {
		case !stored || nonUsers[g.ID] || g.ProcessingState != model.ProcessingComplete || old.ProcessingState != model.ProcessingComplete:
			p.recount[g.ID] = true
		case members[g.ID]:
			p.keepNonUsers = append(p.keepNonUsers, g.ID)
		}
	}
	if len(inChangedGroups) > 0 {
		ids, err := r.ref.UsersInError(ctx, inChangedGroups)
		if err != nil {
			return p, err
		}
		for _, id := range ids {
			users[id] = true
		}
	}
	outside, err := r.ref.UsersOutside(ctx, listed)
	if err != nil {
		return p, err
	}
	for _, id := range outside {
		users[id] = true
	}
	if len(statusChanged) > 0 {
		ids, err := r.ref.DirectHolders(ctx, slices.Sorted(mapKeys(statusChanged)))
		if err != nil {
			return p, err
		}
		for _, id := range ids {
			users[id] = true
		}
	}
	p.users = slices.Sorted(mapKeys(users))
	sort.Strings(p.groups)
	return p, nil
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// sameTemplate reports whether two license templates assign the same licenses with the same
// plans disabled, in any order.
func sameTemplate(a, b []model.AssignedLicense) bool {
	key := func(ls []model.AssignedLicense) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			plans := make([]string, len(l.DisabledPlans))
			for j, p := range l.DisabledPlans {
				plans[j] = model.NormalizeID(p)
			}
			sort.Strings(plans)
			out[i] = model.NormalizeID(l.SKUID) + ":" + strings.Join(plans, ",")
		}
		sort.Strings(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

// readGroups re-reads the user members of groups, four groups at a time.
func (r *refreshRun) readGroups(ctx context.Context, groups []string, step func(int)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan string)
	go func() {
		defer close(work)
		for _, g := range groups {
			select {
			case work <- g:
			case <-ctx.Done():
				return
			}
		}
	}()
	fns := make([]func(context.Context) error, min(4, len(groups)))
	for i := range fns {
		fns[i] = func(ctx context.Context) error {
			for g := range work {
				err := r.ds.GroupUserMembers(ctx, g, func(users []model.User) error {
					r.markSeen(users)
					return r.ref.PutUsers(ctx, users)
				})
				var ge *model.GraphError
				if errors.As(err, &ge) && ge.Kind == model.GraphNotFound {
					err = nil // deleted since the list was read: its members' states tell
				}
				if err != nil {
					return fmt.Errorf("re-read the members of group %s: %w", g, err)
				}
				step(1)
			}
			return nil
		}
	}
	return parallel(ctx, fns...)
}

func (r *refreshRun) markSeen(users []model.User) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range users {
		r.seen[u.ID] = true
	}
}

// unseen are ids not re-read yet.
func (r *refreshRun) unseen(ids []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, id := range ids {
		if !r.seen[id] {
			out = append(out, id)
		}
	}
	return out
}

// readUsers re-reads users by id; those Graph no longer has are removed.
func (r *refreshRun) readUsers(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	found := map[string]bool{}
	err := r.ds.UsersByID(ctx, ids, func(users []model.User) error {
		for _, u := range users {
			found[u.ID] = true
		}
		return r.ref.PutUsers(ctx, users)
	})
	if err != nil {
		return fmt.Errorf("re-read users for their license states: %w", err)
	}
	var gone []string
	for _, id := range ids {
		if !found[id] {
			gone = append(gone, id)
		}
	}
	return r.ref.RemoveUsers(ctx, gone)
}

// parallel runs fns side by side; the first error cancels the others and is returned (a
// cancellation it caused is not).
func parallel(ctx context.Context, fns ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = fn(ctx); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	return firstCause(errs...)
}
