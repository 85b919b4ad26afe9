package snapshot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

// fakeSource is a tenant in memory. The unit under test is the sync's logic, so a hand-written
// source is enough here; integration tests run the real Graph client against the simulator.
type fakeSource struct {
	skus     []model.SKU
	groups   []model.Group
	users    []model.User
	pageSize int

	failIn    string        // phase whose call fails with failErr
	failErr   error         //
	failAfter int           // for PhaseUsers: pages delivered before failing
	block     chan struct{} // if set, Users waits for it (or ctx) after the first page
	// beforeFifthBatch, if set, runs before MemberCounts' fifth batch (a test waits there
	// until the users are saved, so counting is still going after them).
	beforeFifthBatch func()
	// onCall, if set, runs at the start of every call and after every page/batch, so a test can
	// look at the Syncer from inside the sync.
	onCall func()

	// Sign-ins and subscriptions (health_test.go); their errors fail those reads.
	signIns             []model.SignIn
	subs                []model.Subscription
	signInsErr, subsErr error
	signInAsks          int // calls of UsersWithSignIns
	nested              map[string][]model.GroupRef
	nestedAsked         []string       // the groups NestedGroups was asked about
	nonUsers            map[string]int // members of each group that are neither users nor groups (devices, contacts)

	requests atomic.Int64
}

func (f *fakeSource) call(phase string) error {
	f.requests.Add(1)
	if f.onCall != nil {
		f.onCall()
	}
	if f.failIn == phase && phase != PhaseUsers {
		return f.failErr
	}
	return nil
}

func (f *fakeSource) SubscribedSKUs(ctx context.Context) ([]model.SKU, error) {
	if err := f.call(PhaseLicenses); err != nil {
		return nil, err
	}
	return f.skus, nil
}

func (f *fakeSource) LicensedGroups(ctx context.Context) ([]model.Group, error) {
	if err := f.call(PhaseGroups); err != nil {
		return nil, err
	}
	return f.groups, nil
}

func (f *fakeSource) Users(ctx context.Context, fn func([]model.User) error) error {
	for page := 0; page*f.pageSize < len(f.users); page++ {
		if err := f.call(PhaseUsers); err != nil {
			return err
		}
		if f.failIn == PhaseUsers && page == f.failAfter {
			return f.failErr
		}
		if page == 1 && f.block != nil {
			select {
			case <-f.block:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := fn(f.users[page*f.pageSize : min((page+1)*f.pageSize, len(f.users))]); err != nil {
			return err
		}
	}
	return nil
}

// MemberCounts answers in batches of 20 and reports progress out of order, as concurrent
// batches would.
func (f *fakeSource) MemberCounts(ctx context.Context, ids []string, countUsers func(string) bool, progress func(int)) (map[string]model.MemberCounts, error) {
	counts := map[string]model.MemberCounts{}
	for i := 0; i < len(ids); i += 20 {
		if i == 80 && f.beforeFifthBatch != nil {
			f.beforeFifthBatch()
		}
		if err := f.call(PhaseMemberCounts); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, id := range ids[i:min(i+20, len(ids))] {
			users := f.userMembers(id)
			if countUsers(id) {
				users++ // still processing: a member whose license states have not come yet
			}
			all := users + len(f.nested[id]) + f.nonUsers[id]
			if countUsers(id) {
				counts[id] = model.MemberCounts{All: all, Users: users}
			} else {
				counts[id] = model.MemberCounts{All: all, UsersFromStates: true}
			}
		}
		progress(min(i+20, len(ids)))
		progress(i) // a late, smaller report: must not move progress back
	}
	return counts, nil
}

// userMembers are the users whose license states name group id: its user members.
func (f *fakeSource) userMembers(id string) int {
	n := 0
	for _, u := range f.users {
		if slices.ContainsFunc(u.LicenseStates, func(st model.LicenseState) bool { return st.AssignedByGroup == id }) {
			n++
		}
	}
	return n
}

// tenant builds a source with nUsers users, nGroups groups and every 10th user in error for
// group 0.
func tenant(nUsers, nGroups int) *fakeSource {
	f := &fakeSource{pageSize: 999, skus: []model.SKU{{ID: "sku-a", PartNumber: "A"}, {ID: "sku-b", PartNumber: "B"}}}
	for i := range nGroups {
		state := model.ProcessingComplete
		if i == 7 {
			state = model.ProcessingInProgress
		}
		f.groups = append(f.groups, model.Group{ID: fmt.Sprintf("group-%03d", i), DisplayName: fmt.Sprintf("Group %d", i),
			ProcessingState: state, AssignedLicenses: []model.AssignedLicense{{SKUID: "sku-a"}}})
	}
	for i := range nUsers {
		u := model.User{ID: fmt.Sprintf("user-%05d", i), DisplayName: fmt.Sprintf("User %d", i)}
		st := model.LicenseState{SKUID: "sku-a", AssignedByGroup: f.groups[i%nGroups].ID, State: model.StateActive}
		if i%10 == 0 {
			st.AssignedByGroup, st.State, st.Error = f.groups[0].ID, model.StateError, model.ErrorCountViolation
		}
		u.LicenseStates = []model.LicenseState{st}
		f.users = append(f.users, u)
	}
	return f
}

// The store the app passes to New is a Store.
var _ Store = (*store.Store)(nil)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	return storetest.Open(t)
}

func newSyncer(src *fakeSource, st *store.Store) *Syncer {
	s := New(src, st, nil)
	s.Requests = src.requests.Load
	return s
}

func groupErrors(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	errs := map[string]int{}
	err := st.EachGroupReportRow(context.Background(), model.GroupReportQuery{}, func(r model.GroupReportRow) error {
		errs[r.ID] = r.ErrorCount
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func TestRunSucceeds(t *testing.T) {
	st := openStore(t)
	src := tenant(2500, 45)
	s := newSyncer(src, st)
	before := time.Now()
	run, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 1 SKU call + 1 groups call + 3 user pages + 3 member batches
	if run.Status != model.SyncSucceeded || run.Error != "" || run.Users != 2500 || run.Groups != 45 || run.SKUs != 2 ||
		run.Requests != 8 || run.StartedAt.Before(before) || run.FinishedAt.Before(run.StartedAt) {
		t.Errorf("run = %+v", run)
	}
	stored, err := st.LatestSyncRun(context.Background())
	if err != nil || stored.ID != run.ID || stored.Status != run.Status || stored.Users != 2500 || stored.Requests != 8 {
		t.Errorf("stored run = %+v, %v", stored, err)
	}
	info, err := st.CurrentSnapshot(context.Background())
	if err != nil || info.RunID != run.ID || !info.TakenAt.Equal(run.StartedAt) {
		t.Errorf("current snapshot = %+v, %v (run %+v)", info, err, run)
	}
	errs := groupErrors(t, st)
	if len(errs) != 45 || errs["group-000"] != 250 || errs["group-001"] != 0 {
		t.Errorf("group errors: %d groups, group-000 %d", len(errs), errs["group-000"])
	}
	// A group still processing has its users counted by Graph; a processed one's are the users
	// whose license states name it.
	named := func(id string) int {
		n := 0
		for _, u := range src.users {
			if u.LicenseStates[0].AssignedByGroup == id {
				n++
			}
		}
		return n
	}
	d, err := st.GroupDetail(context.Background(), "group-007")
	if n := named("group-007") + 1; err != nil || d.MemberCount != n || d.UserCount != n {
		t.Errorf("member counts of group-007 (processing): %+v, %v", d, err)
	}
	d, err = st.GroupDetail(context.Background(), "group-008")
	if n := named("group-008"); err != nil || d.MemberCount != n || d.UserCount != n {
		t.Errorf("member counts of group-008 (processed): %+v, %v", d, err)
	}
	p := s.Progress()
	if p.Running || p.LastRun == nil || *p.LastRun != run || p.Requests != 8 {
		t.Errorf("progress after run = %+v", p)
	}
}

func TestFailureKeepsPreviousSnapshot(t *testing.T) {
	boom := errors.New("graph: 503 Service Unavailable after 3 retries")
	cases := []struct {
		phase     string
		failAfter int
	}{
		{PhaseLicenses, 0}, {PhaseGroups, 0}, {PhaseUsers, 2}, {PhaseMemberCounts, 0},
	}
	for _, tc := range cases {
		t.Run(tc.phase, func(t *testing.T) {
			st := openStore(t)
			good, err := newSyncer(tenant(3000, 30), st).Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			src := tenant(5000, 60)
			src.failIn, src.failErr, src.failAfter = tc.phase, boom, tc.failAfter
			s := newSyncer(src, st)
			run, err := s.Run(context.Background())
			if !errors.Is(err, boom) {
				t.Fatalf("Run error = %v, want %v", err, boom)
			}
			if run.Status != model.SyncFailed || !strings.Contains(run.Error, boom.Error()) || run.FinishedAt.IsZero() {
				t.Errorf("failed run = %+v", run)
			}
			runs, err := st.RecentSyncRuns(context.Background(), 5)
			if err != nil || len(runs) != 2 || runs[0].Status != model.SyncFailed || runs[0].Error != run.Error {
				t.Errorf("stored runs = %+v, %v", runs, err)
			}
			info, err := st.CurrentSnapshot(context.Background())
			if err != nil || info.RunID != good.ID {
				t.Errorf("current snapshot = %+v, %v, want the one of run %d", info, err, good.ID)
			}
			if errs := groupErrors(t, st); len(errs) != 30 || errs["group-000"] != 300 {
				t.Errorf("previous snapshot not served: %d groups, %d errors", len(errs), errs["group-000"])
			}
			if p := s.Progress(); p.Running || p.LastRun == nil || p.LastRun.Status != model.SyncFailed {
				t.Errorf("progress = %+v", p)
			}
		})
	}
}

// waitFor waits until ok holds for a progress value received from s.
func waitFor(t *testing.T, s *Syncer, ok func(model.SyncProgress) bool) {
	t.Helper()
	ch, stop := s.Subscribe()
	defer stop()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case p := <-ch:
			if ok(p) {
				return
			}
		case <-timeout:
			t.Fatalf("progress never got there; last %+v", s.Progress())
		}
	}
}

func TestCancelAndSingleFlight(t *testing.T) {
	st := openStore(t)
	good, err := newSyncer(tenant(100, 5), st).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	src := tenant(3000, 10)
	src.block = make(chan struct{}) // never closed: only cancelling ends the sync
	s := newSyncer(src, st)
	if !s.Start(context.Background()) {
		t.Fatal("Start = false with nothing running")
	}
	waitFor(t, s, func(p model.SyncProgress) bool { return p.Phase == PhaseUsers && p.Done == 999 })

	if s.Start(context.Background()) {
		t.Error("a second Start started")
	}
	if _, err := s.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Errorf("Run while running: %v, want ErrRunning", err)
	}
	// Two pages of users, and what was read beside them (subscriptions, groups, counts).
	if p := s.Progress(); !p.Running || p.Started.IsZero() || p.Requests < 2 || p.LastRun == nil || p.LastRun.ID != good.ID {
		t.Errorf("progress while running = %+v", p)
	}

	s.Cancel()
	s.Wait()
	p := s.Progress()
	if p.Running || p.LastRun == nil || p.LastRun.Status != model.SyncCancelled || p.LastRun.Error != cancelledError {
		t.Fatalf("progress after cancel = %+v (last run %+v)", p, p.LastRun)
	}
	if stored, err := st.LatestSyncRun(context.Background()); err != nil || stored.Status != model.SyncCancelled {
		t.Errorf("stored run = %+v, %v", stored, err)
	}
	if info, err := st.CurrentSnapshot(context.Background()); err != nil || info.RunID != good.ID {
		t.Errorf("current snapshot = %+v, %v, want run %d's", info, err, good.ID)
	}

	// the Syncer is free again
	src.block = nil
	if !s.Start(context.Background()) {
		t.Fatal("Start after the cancelled sync = false")
	}
	s.Wait()
	if p := s.Progress(); p.LastRun.Status != model.SyncSucceeded {
		t.Errorf("next run = %+v", p.LastRun)
	}
	s.Cancel() // nothing running: no effect
	s.Wait()
}

func TestRunCancelledByCaller(t *testing.T) {
	st := openStore(t)
	src := tenant(3000, 10)
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	src.onCall = func() {
		if calls.Add(1) == 4 { // during the users
			cancel()
		}
	}
	run, err := newSyncer(src, st).Run(ctx)
	if !errors.Is(err, context.Canceled) || run.Status != model.SyncCancelled {
		t.Errorf("Run = %+v, %v", run, err)
	}
	if _, err := st.CurrentSnapshot(context.Background()); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("a cancelled first sync made a snapshot: %v", err)
	}
}

func TestProgressMonotonic(t *testing.T) {
	st := openStore(t)
	src := tenant(5000, 95)
	s := newSyncer(src, st)
	src.beforeFifthBatch = func() {
		for deadline := time.Now().Add(10 * time.Second); s.Progress().Phase != PhaseMemberCounts && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	var mu sync.Mutex
	var seen []model.SyncProgress
	src.onCall = func() { // sampled from inside the sync
		mu.Lock()
		seen = append(seen, s.Progress())
		mu.Unlock()
	}
	ch, stop := s.Subscribe()
	collected := make(chan []model.SyncProgress)
	go func() {
		var got []model.SyncProgress
		for p := range ch {
			got = append(got, p)
		}
		collected <- got
	}()
	run, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stop()
	published := <-collected
	if last := published[len(published)-1]; last.Running || last.LastRun == nil || last.LastRun.ID != run.ID {
		t.Errorf("last published progress = %+v", last)
	}

	// The subscriptions and groups are read first, then member counts beside the users;
	// progress shows the groups, the users, then the counts still going, then the saving.
	phases := []string{"", PhaseGroups, PhaseUsers, PhaseMemberCounts, PhaseSaving}
	for name, ps := range map[string][]model.SyncProgress{"sampled": seen, "published": published} {
		var phaseSeen []string
		prev := model.SyncProgress{}
		for _, p := range ps {
			if !p.Running {
				continue
			}
			i, j := slices.Index(phases, prev.Phase), slices.Index(phases, p.Phase)
			if j < 0 || j < i || j == i && p.Done < prev.Done || p.Requests < prev.Requests {
				t.Errorf("%s: progress went back: %+v -> %+v", name, prev, p)
			}
			if p.Total > 0 && p.Done > p.Total {
				t.Errorf("%s: done %d of %d", name, p.Done, p.Total)
			}
			if len(phaseSeen) == 0 || phaseSeen[len(phaseSeen)-1] != p.Phase {
				phaseSeen = append(phaseSeen, p.Phase)
			}
			prev = p
		}
		t.Logf("%s: %d values, phases %q", name, len(ps), phaseSeen)
		if name == "sampled" && !slices.Equal(phaseSeen, phases[1:4]) {
			t.Errorf("sampled phases = %q", phaseSeen)
		}
	}
	// the member counts phase knows its total and reached it
	var maxDone int
	for _, p := range seen {
		if p.Phase == PhaseMemberCounts {
			if p.Total != 95 {
				t.Errorf("member counts total = %d", p.Total)
			}
			maxDone = max(maxDone, p.Done)
		}
	}
	if maxDone != 80 { // sampled before the last batch's report
		t.Errorf("member counts done reached %d before the last batch, want 80", maxDone)
	}
}

func TestLastRunFromStore(t *testing.T) {
	st := openStore(t)
	if p := New(tenant(10, 1), st, nil).Progress(); p.LastRun != nil || p.Running {
		t.Errorf("progress on a fresh db = %+v", p)
	}
	run, err := newSyncer(tenant(10, 1), st).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// a run of another process, still going: not "the last run"
	if _, err := st.StartSyncRun(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := New(tenant(10, 1), st, nil).Progress()
	if p.LastRun == nil || p.LastRun.ID != run.ID || p.LastRun.Status != model.SyncSucceeded {
		t.Errorf("a new Syncer's last run = %+v, want run %d", p.LastRun, run.ID)
	}
}

// A long sync keeps beating, so another process opening the database (a command-line refresh
// while the server syncs) leaves it alone even after store.SyncHeartbeatTimeout, and the beats
// stop when it ends.
func TestRunHeartbeats(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The store's clock starts two timeouts ago and moves 10s per reading, so the start-time
	// heartbeat is stale for a second Open and only the syncer's own beats can make it fresh.
	base := time.Now().Add(-2 * store.SyncHeartbeatTimeout)
	var ticks atomic.Int64
	st.Now = func() time.Time { return base.Add(time.Duration(ticks.Add(1)) * 10 * time.Second) }

	src := tenant(3000, 10)
	src.block = make(chan struct{})
	s := newSyncer(src, st)
	s.HeartbeatEvery = time.Millisecond
	if !s.Start(ctx) {
		t.Fatal("Start = false")
	}
	waitFor(t, s, func(p model.SyncProgress) bool { return p.Phase == PhaseUsers && p.Done == 999 })
	run, err := st.LatestSyncRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		o, err := st.SyncRunOwner(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(o.HeartbeatAt) < store.SyncHeartbeatTimeout/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fresh heartbeat after 10s: last %v, started %v", o.HeartbeatAt, run.StartedAt)
		}
		time.Sleep(time.Millisecond)
	}

	second, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := second.LatestSyncRun(ctx); err != nil || got.ID != run.ID || got.Status != model.SyncRunning {
		t.Errorf("run after a second Open = %+v, %v; want it still running", got, err)
	}
	second.Close()

	close(src.block)
	s.Wait()
	if p := s.Progress(); p.LastRun == nil || p.LastRun.Status != model.SyncSucceeded {
		t.Fatalf("last run = %+v", p.LastRun)
	}
	last, err := st.SyncRunOwner(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if o, err := st.SyncRunOwner(ctx, run.ID); err != nil || !o.HeartbeatAt.Equal(last.HeartbeatAt) {
		t.Errorf("heartbeat moved after the run ended: %v -> %v (%v)", last.HeartbeatAt, o.HeartbeatAt, err)
	}
}

// AfterRun sees every finished run, succeeded or failed, once it is stored and the Syncer is
// free: it can read the run from the store and start the next sync.
func TestAfterRun(t *testing.T) {
	st := openStore(t)
	boom := errors.New("graph: 503 Service Unavailable after 3 retries")
	var seen []model.SyncRun
	for i, fail := range []bool{false, true} {
		src := tenant(300, 5)
		if fail {
			src.failIn, src.failErr = PhaseUsers, boom
		}
		s := newSyncer(src, st)
		s.AfterRun = func(ctx context.Context, run model.SyncRun) {
			runs, err := st.RecentSyncRuns(ctx, 1)
			if err != nil || len(runs) != 1 || runs[0].ID != run.ID || runs[0].Status != run.Status {
				t.Errorf("run %d: the store has %+v, %v", i, runs, err)
			}
			if s.Progress().Running {
				t.Errorf("run %d: the Syncer still runs in AfterRun", i)
			}
			seen = append(seen, run)
		}
		s.Run(context.Background())
	}
	if len(seen) != 2 || seen[0].Status != model.SyncSucceeded || seen[1].Status != model.SyncFailed || !strings.Contains(seen[1].Error, boom.Error()) {
		t.Fatalf("AfterRun saw %+v", seen)
	}
}
