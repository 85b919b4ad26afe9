// Package snapshot is the sync job: it reads the tenant through a Source (internal/graph in
// production), writes a complete snapshot into the store and reports progress while it runs. A
// snapshot becomes current only when it is complete, so a sync that fails or is cancelled leaves
// the previous one current, and its run record says why.
package snapshot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Source is what a sync reads from the tenant. internal/graph implements it; declaring it here
// keeps this package free of the Graph SDK.
type Source interface {
	// SubscribedSKUs are the tenant's subscribed SKUs.
	SubscribedSKUs(ctx context.Context) ([]model.SKU, error)
	// LicensedGroups are the groups that assign licenses, with their templates and processing state.
	LicensedGroups(ctx context.Context) ([]model.Group, error)
	// Users calls fn with every user, a page at a time, with assignedLicenses and
	// licenseAssignmentStates; fn's error stops the listing and is returned.
	Users(ctx context.Context, fn func([]model.User) error) error
	// MemberCounts counts the direct members of each group, and its user members where
	// countUsers says so (else the store counts them from license states), calling progress with
	// how many groups are done so far.
	MemberCounts(ctx context.Context, groupIDs []string, countUsers func(id string) bool, progress func(done int)) (map[string]model.MemberCounts, error)
	// UsersWithSignIns reads the users as Users does with each one's signInActivity in the
	// same pages (at most 500 a page); a *model.GraphError of kind GraphForbidden when the app
	// or the tenant may not read sign-in activity.
	UsersWithSignIns(ctx context.Context, fn func([]model.User, []model.SignIn) error) error
	// Subscriptions are the tenant's commercial subscriptions; GraphForbidden as UsersWithSignIns.
	Subscriptions(ctx context.Context) ([]model.Subscription, error)
	// NestedGroups are the groups that are direct members of each of the groups.
	NestedGroups(ctx context.Context, groupIDs []string) (map[string][]model.GroupRef, error)
}

// Store is what a sync needs of the database: sync run records and snapshots. *store.Store
// implements it; declaring it here keeps the Syncer to these few methods.
type Store interface {
	// StartSyncRun records a new run, running, started now.
	StartSyncRun(ctx context.Context) (model.SyncRun, error)
	// HeartbeatSyncRun records that run id is still alive; model.ErrNotFound when it no longer
	// runs (another process took it for dead).
	HeartbeatSyncRun(ctx context.Context, id int64) error
	// BeginSnapshot starts writing a new snapshot, which becomes current when committed.
	BeginSnapshot(ctx context.Context, runID int64, takenAt time.Time) (model.SnapshotWriter, error)
	// BeginRefresh starts patching the current snapshot in place; model.ErrNotFound when
	// there is none.
	BeginRefresh(ctx context.Context, runID int64, takenAt time.Time) (model.SnapshotRefresh, error)
	// FinishSyncRun records how run ended.
	FinishSyncRun(ctx context.Context, run model.SyncRun) error
	// RecentSyncRuns are the last limit runs, newest first.
	RecentSyncRuns(ctx context.Context, limit int) ([]model.SyncRun, error)
}

// Phases of a sync, in order.
const (
	PhaseLicenses     = "licenses"
	PhaseGroups       = "groups"
	PhaseUsers        = "users"
	PhaseMemberCounts = "member counts"
	PhaseSaving       = "saving"
)

// ErrRunning is returned by Run while another sync of the same Syncer runs.
var ErrRunning = errors.New("a sync is already running")

// DefaultHeartbeat is how often a running sync beats by default, well within the store's
// SyncHeartbeatTimeout (a minute).
const DefaultHeartbeat = 10 * time.Second

// cancelledError is the error text recorded for a sync that was cancelled.
const cancelledError = "cancelled"

// Syncer runs syncs, one at a time, and tells how the current or last one is going.
type Syncer struct {
	src Source
	st  Store
	log *slog.Logger

	// Requests, if set, is the source's running total of requests made (e.g. the Graph client's
	// counter); progress and run records show how many a sync made. It must be safe for
	// concurrent use.
	Requests func() int64
	// Now is the clock.
	Now func() time.Time
	// HeartbeatEvery is how often a running sync tells the store it is alive (0 means
	// DefaultHeartbeat), so another process opening the database does not take it for dead.
	HeartbeatEvery time.Duration
	// FullEvery is how often a refresh in Auto mode reads the whole tenant rather than what
	// changed (0 means DefaultFullEvery; negative never, unless an incremental one cannot run).
	FullEvery time.Duration
	// AfterRun, if set, is called with every finished run record (succeeded, failed or
	// cancelled), after the store has it and the Syncer is free for the next sync, in the run's
	// goroutine, with the run's context values but not its cancellation: RunMode returns after
	// it; Wait does not wait for it. Alerts hook in here.
	AfterRun func(ctx context.Context, run model.SyncRun)

	mu         sync.Mutex
	running    bool
	cancel     context.CancelFunc
	done       chan struct{} // closed when the running sync ends
	progress   model.SyncProgress
	reqBase    int64
	lastLoaded bool // progress.LastRun has been looked up in the store (or set by a run)
	subs       map[chan model.SyncProgress]struct{}
	// signInsRefused is the last refusal of sign-in activity (askSignIns).
	signInsRefused signInsRefusal
}

// New returns a Syncer that reads src and writes st (a *store.Store). logger may be nil.
func New(src Source, st Store, logger *slog.Logger) *Syncer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Syncer{src: src, st: st, log: logger, Now: time.Now, subs: map[chan model.SyncProgress]struct{}{}}
}

// Run refreshes once in Auto mode (RunMode).
func (s *Syncer) Run(ctx context.Context) (model.SyncRun, error) { return s.RunMode(ctx, Auto) }

// RunMode refreshes once, fully or incrementally as mode says, and returns the finished run
// record. It returns ErrRunning (and a zero run) if a sync is already running. Whatever
// happens, the store's current snapshot is either the new complete one, the old one refreshed
// as a whole, or the old one unchanged.
func (s *Syncer) RunMode(ctx context.Context, mode Mode) (model.SyncRun, error) {
	ctx, err := s.begin(ctx)
	if err != nil {
		return model.SyncRun{}, err
	}
	return s.run(ctx, mode)
}

// Start starts an Auto refresh in the background (StartMode).
func (s *Syncer) Start(ctx context.Context) bool { return s.StartMode(ctx, Auto) }

// StartMode starts a refresh in the background and reports whether it did: false if one is
// already running. ctx bounds it, so pass one that outlives the request that asked for it (the
// server's base context); Cancel stops it early.
func (s *Syncer) StartMode(ctx context.Context, mode Mode) bool {
	ctx, err := s.begin(ctx)
	if err != nil {
		return false
	}
	go s.run(ctx, mode) // the outcome is recorded in the store and in Progress().LastRun
	return true
}

// Cancel cancels the running sync, if any; it returns at once (Wait waits for the end).
func (s *Syncer) Cancel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		s.cancel()
	}
}

// Wait waits until no sync is running.
func (s *Syncer) Wait() {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Progress is the state of the running sync, or of none, with the last finished run. It is safe
// for concurrent use.
func (s *Syncer) Progress() model.SyncProgress {
	s.loadLastRun()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.progressLocked()
}

// Subscribe returns a channel that receives the progress now and after every change, and a
// function that ends the subscription (and closes the channel). A slow reader misses
// intermediate values, never the latest one.
func (s *Syncer) Subscribe() (<-chan model.SyncProgress, func()) {
	s.loadLastRun()
	ch := make(chan model.SyncProgress, 1)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	ch <- s.progressLocked()
	s.mu.Unlock()
	return ch, sync.OnceFunc(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs, ch)
		close(ch)
	})
}

// begin claims the Syncer for a sync, or fails with ErrRunning.
func (s *Syncer) begin(parent context.Context) (context.Context, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil, ErrRunning
	}
	ctx, cancel := context.WithCancel(parent)
	s.running, s.cancel, s.done = true, cancel, make(chan struct{})
	if s.Requests != nil {
		s.reqBase = s.Requests()
	}
	s.progress = model.SyncProgress{Running: true, Started: s.Now(), LastRun: s.progress.LastRun}
	s.publishLocked()
	return ctx, nil
}

func (s *Syncer) run(ctx context.Context, mode Mode) (model.SyncRun, error) {
	run, err := s.st.StartSyncRun(ctx)
	if err != nil {
		s.end(nil)
		return model.SyncRun{}, fmt.Errorf("sync: %w", err)
	}
	s.log.Info("sync started", "run", run.ID)
	stopBeating := s.heartbeat(ctx, run.ID)
	err = s.sync(ctx, &run, mode)
	stopBeating()
	run.FinishedAt = s.Now()
	run.Requests = s.requests()
	switch {
	case err == nil:
		run.Status = model.SyncSucceeded
	case errors.Is(ctx.Err(), context.Canceled):
		run.Status, run.Error = model.SyncCancelled, cancelledError
	default:
		run.Status, run.Error = model.SyncFailed, err.Error()
	}
	// Record the outcome even when ctx is what ended the sync.
	finishErr := s.st.FinishSyncRun(context.WithoutCancel(ctx), run)
	s.end(&run)
	s.log.Info("sync finished", "run", run.ID, "kind", run.Kind, "status", run.Status, "error", run.Error, "note", run.Note,
		"users", run.Users, "groups", run.Groups, "skus", run.SKUs, "requests", run.Requests,
		"duration", run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond))
	if s.AfterRun != nil && finishErr == nil {
		s.AfterRun(context.WithoutCancel(ctx), run) // the run's own context ends with it
	}
	if err != nil {
		return run, fmt.Errorf("sync: %w", err)
	}
	if finishErr != nil {
		return run, fmt.Errorf("sync: %w", finishErr)
	}
	return run, nil
}

// sync refreshes incrementally when it can (and mode allows), else, or when Graph no longer
// takes the delta links, reads the whole tenant; run gets the kind and why.
func (s *Syncer) sync(ctx context.Context, run *model.SyncRun, mode Mode) error {
	ref, ds, why, err := s.incrementalOrWhy(ctx, mode, *run)
	if err != nil {
		return err
	}
	if ref != nil {
		run.Kind = model.SyncIncremental
		s.setKind(run.Kind)
		err := s.refresh(ctx, run, ds, ref)
		if !errors.Is(err, model.ErrDeltaExpired) {
			return err
		}
		s.log.Info("graph no longer accepts the delta links; reading the whole tenant", "err", err)
		why = "Graph no longer accepted the delta token (expired, or the tenant was reset)"
	}
	run.Kind, run.Note = model.SyncFull, "full sync: "+why
	s.setKind(run.Kind)
	return s.collect(ctx, run, mode)
}

// heartbeat records every HeartbeatEvery that run id is alive, until the returned function is
// called (which waits for the last beat, so none lands after the run is finished).
func (s *Syncer) heartbeat(ctx context.Context, id int64) (stop func()) {
	every := s.HeartbeatEvery
	if every <= 0 {
		every = DefaultHeartbeat
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		warned := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := s.st.HeartbeatSyncRun(ctx, id)
			switch {
			case errors.Is(err, model.ErrNotFound) && !warned:
				warned = true
				// Another process took the run for dead (it went a long time without a beat);
				// the sync goes on, and its outcome replaces the "interrupted" mark.
				s.log.Warn("sync run was marked interrupted while it ran", "run", id)
			case err != nil && !errors.Is(err, model.ErrNotFound) && ctx.Err() == nil:
				s.log.Warn("sync heartbeat failed", "run", id, "err", err)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// collect reads the whole tenant into a new snapshot, counting into run. First the
// subscribed SKUs, the licensed groups and (from a DeltaSource) deltaLinks from now for users
// and groups are read side by side; then users stream into the store as Graph answers (in
// batches of a few thousand; no whole-tenant slice in memory), with their sign-in activity in
// the same pages when Graph gives it, while beside that chain of pages the subscriptions are
// read and the groups' members counted; last, the groups that can have nested groups are asked for them.
// The groups come first so that nothing the users show is older than the stored groups: a
// template change after the list was read is told by the next incremental refresh comparing
// templates; the users link comes first so that no change made while the users are read is
// missed by the next refresh. The snapshot becomes current only when everything was read.
func (s *Syncer) collect(ctx context.Context, run *model.SyncRun, mode Mode) error {
	w, err := s.st.BeginSnapshot(ctx, run.ID, run.StartedAt)
	if err != nil {
		return err
	}
	ds, _ := s.src.(DeltaSource)
	s.setPhase(PhaseGroups, 0)
	var (
		links  model.DeltaLinks
		extras model.SnapshotExtras
	)
	skus, groups, subsRead, err := s.readGroupsAndSKUs(ctx, ds, &links, &extras)
	if err != nil {
		return errors.Join(err, w.Abort(context.WithoutCancel(ctx)))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg        sync.WaitGroup
		usersErr  error
		read      usersRead
		counts    map[string]model.MemberCounts
		countsErr error
		// Progress shows the users while they are read, then the member counts if those are
		// still going.
		usersRead, countsRead atomic.Bool
		countsDone, countsAll atomic.Int64
		subsErr               error
		// cause is the failure that came first: the others may only be its consequence (a
		// store write cut off by the cancellation fails with the store's own error).
		causeOnce sync.Once
		cause     error
	)
	fail := func(err error) {
		causeOnce.Do(func() { cause = err })
		cancel()
	}
	s.setPhase(PhaseUsers, 0)
	if !subsRead {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if subsErr = s.readSubscriptions(ctx, &extras); subsErr != nil {
				fail(subsErr)
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		read, usersErr = s.readUsers(ctx, w, mode, s.setDone)
		if usersErr != nil {
			usersErr = fmt.Errorf("read users: %w", usersErr)
			fail(usersErr)
			return
		}
		usersRead.Store(true)
		if !countsRead.Load() {
			s.setPhase(PhaseMemberCounts, int(countsAll.Load()))
			s.setDone(int(countsDone.Load()))
		}
	}()
	go func() {
		defer wg.Done()
		counts, countsErr = s.countMembers(ctx, groups, nil, func(done, all int) {
			// Batches report out of order: keep the highest.
			for cur := countsDone.Load(); int64(done) > cur && !countsDone.CompareAndSwap(cur, int64(done)); cur = countsDone.Load() {
			}
			countsAll.Store(int64(all))
			if usersRead.Load() {
				s.setDone(done)
			}
		})
		countsRead.Store(true)
		if countsErr != nil {
			fail(countsErr)
		}
	}()
	wg.Wait()
	// The first failure is the cause; the other side then stopped with ctx's.
	if err := firstCause(cause, usersErr, countsErr, subsErr); err != nil {
		return errors.Join(err, w.Abort(context.WithoutCancel(ctx)))
	}
	var changedGroups []string
	if ds != nil {
		if changedGroups, err = s.settle(ctx, ds, w, links, &read); err == nil {
			err = s.recount(ctx, changedGroups, counts)
		}
		if err != nil {
			return errors.Join(err, w.Abort(context.WithoutCancel(ctx)))
		}
	}
	nested, err := s.nestedGroups(ctx, groups, counts, read.members, changedGroups)
	if err != nil {
		return errors.Join(err, w.Abort(context.WithoutCancel(ctx)))
	}
	run.SKUs, run.Groups, run.Users = len(skus), len(groups), w.Users() // duplicates counted once, as stored
	extras.NestedGroups = nested
	extras.SignInsMissing = read.signInsMissing
	w.SetExtras(extras)
	s.setPhase(PhaseSaving, 0)
	w.SetDeltaLinks(links)
	return w.Commit(ctx, skus, groups, counts)
}

// readGroupsAndSKUs reads the subscribed SKUs and the licensed groups: from a DeltaSource in
// one $batch with the subscriptions (into ex, subsRead true) and users and groups deltaLinks
// from now (into links), else side by side.
func (s *Syncer) readGroupsAndSKUs(ctx context.Context, ds DeltaSource, links *model.DeltaLinks, ex *model.SnapshotExtras) (
	skus []model.SKU, groups []model.Group, subsRead bool, err error) {
	if ds != nil {
		ch, err := ds.ChangesFromNow(ctx)
		if err != nil {
			return nil, nil, false, fmt.Errorf("read SKUs and licensed groups: %w", err)
		}
		links.Users, links.Groups = ch.UsersLink, ch.GroupsLink
		if err := s.keepSubscriptions(ex, ch.Subscriptions, ch.SubscriptionsErr); err != nil {
			return nil, nil, false, err
		}
		return ch.SKUs, ch.Groups, true, ctx.Err()
	}
	err = parallel(ctx,
		func(ctx context.Context) error {
			var err error
			if skus, err = s.src.SubscribedSKUs(ctx); err != nil {
				return fmt.Errorf("read subscribed SKUs: %w", err)
			}
			return nil
		},
		func(ctx context.Context) error {
			var err error
			if groups, err = s.src.LicensedGroups(ctx); err != nil {
				return fmt.Errorf("read licensed groups: %w", err)
			}
			return nil
		})
	if err != nil {
		return nil, nil, false, err
	}
	return skus, groups, false, ctx.Err()
}

// pagesAhead is how many pages of users may wait for the store while the next are fetched.
// The store gathers pages into batches of its own and writes one while it gathers the next,
// so pages wait here only while a whole batch waits for the one before it: with 2, a
// 100,000-user sync peaked at 126-146 MB RSS in three runs, with 4 at 146 MB in one, in the
// same wall time.
const pagesAhead = 2

// usersRead is what reading the users found besides the users.
type usersRead struct {
	// signInsMissing says why the sign-in activity was not read ("" when it was).
	signInsMissing string
	// members counts, for each group, the distinct users whose license states name it: a
	// processed group's user members (nestedGroups).
	members map[string]int
	inPage  map[string]bool // the ids of the page add counts, so a duplicate in it counts once
}

// add counts a page of users about to be added to w (which knows the users added before, and
// keeps the first of duplicates, as add does).
func (r *usersRead) add(w model.SnapshotWriter, page []model.User) {
	if r.inPage == nil {
		r.inPage = map[string]bool{}
	}
	clear(r.inPage)
	for _, u := range page {
		if r.inPage[u.ID] || w.Added(u.ID) {
			continue
		}
		r.inPage[u.ID] = true
		var named []string
		for _, st := range u.LicenseStates {
			if g := st.AssignedByGroup; g != "" && !slices.Contains(named, g) {
				named = append(named, g)
				r.members[g]++
			}
		}
	}
}

// readUsers streams every user into w, with their sign-in activity when askSignIns says to ask
// and Graph gives it; refused, the sign-ins are recorded as missing with why and the users read
// without them (in pages of 999 again). written gets the running total of users.
func (s *Syncer) readUsers(ctx context.Context, w model.SnapshotWriter, mode Mode, written func(int)) (usersRead, error) {
	s.mu.Lock()
	started := s.progress.Started // on the Syncer's clock, as askSignIns compares
	s.mu.Unlock()
	out := usersRead{members: map[string]int{}}
	ask, why := s.askSignIns(mode)
	if ask {
		pages, err := s.pipeUsers(ctx, w, written, func(page []model.User) { out.add(w, page) }, func(send func([]model.User, []model.SignIn) error) error {
			return s.src.UsersWithSignIns(ctx, send)
		})
		why, refused := missingBecause(err, signInsWhat)
		switch {
		case refused && pages == 0:
		case err != nil:
			return out, err
		default:
			s.rememberSignIns("", started)
			return out, nil
		}
		out.signInsMissing = why
	} else {
		out.signInsMissing = why
	}
	s.log.Warn("sign-in activity not read", "why", out.signInsMissing, "asked", ask)
	_, err := s.pipeUsers(ctx, w, written, func(page []model.User) { out.add(w, page) }, func(send func([]model.User, []model.SignIn) error) error {
		return s.src.Users(ctx, func(page []model.User) error { return send(page, nil) })
	})
	if err == nil && ask {
		// Remembered only now: a 403 that the users without sign-ins meet as well was not about
		// the sign-ins (the app may lack User.Read.All), and must not stop them being asked for.
		s.rememberSignIns(out.signInsMissing, started)
	}
	return out, err
}

// userPage is a page of users on its way to the store, with their sign-ins when read.
type userPage struct {
	users   []model.User
	signIns []model.SignIn
}

// pipeUsers runs read, which sends Graph's pages one after another, while a second goroutine
// hands them to w (which gathers them into transactions of its own size), so neither waits
// for the other. count sees each page just before it is handed over, on the goroutine that
// hands them (so it may ask w what was added); written gets the running
// total of users handed to w (the last of them are written by Commit). It returns how many pages read sent.
func (s *Syncer) pipeUsers(ctx context.Context, w model.SnapshotWriter, written func(int), count func([]model.User),
	read func(send func([]model.User, []model.SignIn) error) error) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan userPage, pagesAhead)
	writeErr := make(chan error, 1)
	go func() {
		total := 0
		for page := range pages {
			count(page.users)
			err := w.AddUsers(ctx, page.users)
			if err == nil && len(page.signIns) > 0 {
				err = w.AddSignIns(ctx, page.signIns)
			}
			if err != nil {
				if ctx.Err() != nil { // the transaction was rolled back because the sync stopped
					err = fmt.Errorf("%w (%v)", ctx.Err(), err)
				}
				cancel()
				for range pages { // let the reader see ctx and stop
				}
				writeErr <- err
				return
			}
			total += len(page.users)
			written(total)
		}
		writeErr <- nil
	}()
	sent := 0
	readErr := read(func(users []model.User, signIns []model.SignIn) error {
		select {
		case pages <- userPage{users: users, signIns: signIns}:
			sent++
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(pages)
	if err := <-writeErr; err != nil {
		return sent, err
	}
	return sent, readErr
}

// nestedGroups lists the groups nested in each of groups that can have any: a group whose
// direct members (counts) are more than its user members, which Graph counted for a group
// still processing and which are, for a processed one, the users whose license states name it
// (members, from the users read). A group whose members are all users has no nested group,
// so most groups cost no request. The comparison holds only for a group whose membership did
// not change between the two reads (a user who left meanwhile would hide a nested group), so
// the groups in changed, whose membership changed since the sync began, are always asked. The
// member count is an advanced query, which Microsoft answers from an index that "might not be
// up-to-date with recent changes": a group nested moments before the sync began can be missed
// until the next full sync (asking every group instead cost 20 requests at 400 groups).
func (s *Syncer) nestedGroups(ctx context.Context, groups []model.Group, counts map[string]model.MemberCounts, members map[string]int,
	changed []string) (map[string][]model.GroupRef, error) {
	changedSet := make(map[string]bool, len(changed))
	for _, id := range changed {
		changedSet[id] = true
	}
	var ids []string
	for _, g := range groups {
		if changedSet[g.ID] {
			if _, ok := counts[g.ID]; ok {
				ids = append(ids, g.ID)
			}
			continue
		}
		c, ok := counts[g.ID]
		if !ok {
			continue // vanished meanwhile
		}
		users := c.Users
		if c.UsersFromStates {
			users = members[g.ID]
		}
		if c.All > users {
			ids = append(ids, g.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	nested, err := s.src.NestedGroups(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("list nested groups: %w", err)
	}
	return nested, ctx.Err()
}

// countMembers counts the members of groups (only those of only, when not nil): Graph counts
// the user members of groups still processing, the store those of processed ones from license
// states. progress gets how many groups are counted of how many.
func (s *Syncer) countMembers(ctx context.Context, groups []model.Group, only map[string]bool, progress func(done, all int)) (map[string]model.MemberCounts, error) {
	var ids []string
	processing := make(map[string]bool, len(groups))
	for _, g := range groups {
		if only == nil || only[g.ID] {
			ids = append(ids, g.ID)
			processing[g.ID] = g.ProcessingState != model.ProcessingComplete
		}
	}
	progress(0, len(ids))
	if len(ids) == 0 {
		return map[string]model.MemberCounts{}, nil
	}
	counts, err := s.src.MemberCounts(ctx, ids, func(id string) bool { return processing[id] },
		func(done int) { progress(done, len(ids)) })
	if err != nil {
		return nil, fmt.Errorf("count group members: %w", err)
	}
	return counts, ctx.Err()
}

// firstCause is the first error that is not a cancellation caused by the other, else any error.
func firstCause(errs ...error) error {
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

func (s *Syncer) requests() int64 {
	if s.Requests == nil {
		return 0
	}
	return s.Requests() - s.reqBase
}

// setKind records which kind of refresh is running.
func (s *Syncer) setKind(kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.progress.Kind = kind
	s.publishLocked()
}

// setPhase starts a phase with total items (0 when not known).
func (s *Syncer) setPhase(phase string, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.progress.Phase, s.progress.Done, s.progress.Total = phase, 0, total
	s.publishLocked()
}

// setDone records done items of the phase; it never goes back, so progress from concurrent
// batches arriving out of order still moves only forward.
func (s *Syncer) setDone(done int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if done <= s.progress.Done {
		return
	}
	s.progress.Done = done
	s.publishLocked()
}

// end releases the Syncer after a sync; run is nil if no run record was made.
func (s *Syncer) end(run *model.SyncRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancel()
	if run != nil {
		r := *run
		s.progress.LastRun, s.lastLoaded = &r, true
		s.progress.Requests = r.Requests
	}
	s.running = false
	s.progress.Running = false
	s.progress.Phase, s.progress.Done, s.progress.Total, s.progress.Kind = "", 0, 0, ""
	s.publishLocked()
	close(s.done)
}

func (s *Syncer) progressLocked() model.SyncProgress {
	p := s.progress
	if p.Running {
		p.Requests = s.requests()
	}
	if p.LastRun != nil {
		r := *p.LastRun
		p.LastRun = &r
	}
	return p
}

// publishLocked hands the progress to every subscriber, replacing a value it has not read yet.
func (s *Syncer) publishLocked() {
	if len(s.subs) == 0 {
		return
	}
	p := s.progressLocked()
	for ch := range s.subs {
		select {
		case <-ch:
		default:
		}
		ch <- p // cannot block: only publishLocked sends, under s.mu, and the buffer is free now
	}
}

// loadLastRun looks up the last finished run in the store once, so that a fresh process shows
// it before its own first sync.
func (s *Syncer) loadLastRun() {
	s.mu.Lock()
	loaded := s.lastLoaded
	s.mu.Unlock()
	if loaded {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	runs, err := s.st.RecentSyncRuns(ctx, 5)
	if err != nil {
		s.log.Error("look up the last sync run", "err", err)
		return // try again next time
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastLoaded {
		return // a run of ours finished meanwhile
	}
	s.lastLoaded = true
	for _, r := range runs {
		if r.Status != model.SyncRunning {
			s.progress.LastRun = &r
			break
		}
	}
}
