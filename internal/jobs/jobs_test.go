package jobs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

// testKind is a kind whose Run marks each item done by name, and can be held before a batch.
type testKind struct {
	mu      sync.Mutex
	name    string // who runs it, written into each outcome
	hold    chan struct{}
	batches int
	failAt  int   // the batch (1-based) that fails, 0 for none
	skip    int   // every skip-th item gets no outcome from Run
	err     error // the failure
}

func (tk *testKind) kind(resumable bool) Kind {
	return Kind{Name: "test", Action: model.ActionReprocess, Noun: "user", Resumable: resumable, Batch: 10,
		OK: []string{"done"}, Labels: map[string]string{"done": "done", "bad": "went wrong"},
		Run: func(ctx context.Context, _ model.Job, items []model.JobItem) ([]model.JobItem, []string, error) {
			tk.mu.Lock()
			tk.batches++
			n, name, hold := tk.batches, tk.name, tk.hold
			tk.mu.Unlock()
			if hold != nil {
				select {
				case <-hold:
				case <-ctx.Done():
					return nil, nil, ctx.Err()
				}
			}
			if tk.failAt == n {
				return nil, []string{"batch " + fmt.Sprint(n) + " failed"}, tk.err
			}
			var out []model.JobItem
			for _, it := range items {
				if tk.skip > 0 && it.Seq%tk.skip == 0 {
					continue
				}
				it.Status, it.Summary = "done", "by "+name
				if it.Seq%7 == 3 {
					it.Status = "bad"
				}
				out = append(out, it)
			}
			return out, nil, nil
		},
	}
}

func items(n int) []model.JobItem {
	out := make([]model.JobItem, n)
	for i := range out {
		out[i] = model.JobItem{Key: fmt.Sprintf("user-%03d", i), Name: fmt.Sprintf("User %d", i), Known: true}
	}
	return out
}

func newManager(t *testing.T, st *store.Store, k Kind) *Manager {
	t.Helper()
	m, err := New(st, st, nil, k)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func spec(n int) Spec {
	return Spec{Kind: "test", Title: "Test job", Target: "g1", TargetName: "Group 1", Items: items(n),
		ActorUPN: "op@contoso.example", ActorName: "Olivia", RemoteIP: "192.0.2.1", Problems: []string{"2 users left out"}}
}

// checkOnce fails unless every item of job id has exactly one outcome.
func checkOnce(t *testing.T, st *store.Store, id int64, total int) map[string]int {
	t.Helper()
	seen, by := map[string]int{}, map[string]int{}
	err := st.EachJobItem(context.Background(), id, func(it model.JobItem) error {
		seen[it.Key]++
		if it.Status == "" {
			t.Errorf("%s has no outcome", it.Key)
		}
		by[it.Summary]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != total {
		t.Errorf("%d items, want %d", len(seen), total)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", k, n)
		}
	}
	return by
}

func TestJobRunsEveryItemOnce(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	tk := &testKind{name: "A"}
	m := newManager(t, st, tk.kind(true))
	j, err := m.Create(ctx, spec(95))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Execute(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != model.JobDone || got.Done() != 95 || tk.batches != 10 {
		t.Fatalf("job %+v after %d batches", got, tk.batches)
	}
	checkOnce(t, st, j.ID, 95)
	if want := "95 users: 81 done, 14 went wrong"; got.Summary != want {
		t.Errorf("summary %q, want %q", got.Summary, want)
	}
	page, _ := st.ListActivity(ctx, model.ActivityFilter{Action: model.ActionReprocess})
	if len(page.Entries) != 2 || page.Entries[0].Result != model.ActivityFailed || !strings.Contains(page.Entries[0].Detail, "2 users left out") ||
		!strings.Contains(page.Entries[1].Detail, "started") || page.Entries[0].ActorUPN != "op@contoso.example" || page.Entries[0].Target != "g1" {
		t.Errorf("activity %+v", page.Entries)
	}
	// A finished job runs no more.
	if again, err := m.Execute(ctx, j.ID); err != nil || again.State != model.JobDone || tk.batches != 10 {
		t.Errorf("executing a finished job: %+v, %v, %d batches", again, err, tk.batches)
	}
}

func TestJobProgressIsStoredAsItGoes(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	tk := &testKind{name: "A", hold: make(chan struct{})}
	m := newManager(t, st, tk.kind(true))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { m.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	waitRunning(t, m)
	j, err := m.Start(ctx, spec(30))
	if err != nil {
		t.Fatal(err)
	}
	for want := 10; want <= 30; want += 10 {
		tk.hold <- struct{}{}
		waitDone(t, st, j.ID, want)
	}
	final := waitFinished(t, st, j.ID)
	if final.State != model.JobDone {
		t.Errorf("state %s", final.State)
	}
	if active, ok, _ := m.Active(ctx, "test", "g1"); ok {
		t.Errorf("a finished job is active: %+v", active)
	}
}

// A process that stops mid-way (its context ends, as at shutdown) leaves the job for the next
// one, which resumes it: the outcomes stored before are kept and every item ends with exactly
// one.
func TestJobResumedByTheNextProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "jobs.db")
	stA := storetest.OpenAt(t, path)
	tkA := &testKind{name: "A", hold: make(chan struct{})}
	mA := newManager(t, stA, tkA.kind(true))
	runA, stopA := context.WithCancel(ctx)
	doneA := make(chan struct{})
	go func() { mA.Run(runA); close(doneA) }()
	waitRunning(t, mA)
	j, err := mA.Start(ctx, spec(50))
	if err != nil {
		t.Fatal(err)
	}
	tkA.hold <- struct{}{}
	tkA.hold <- struct{}{}
	waitDone(t, stA, j.ID, 20)
	stopA() // the third batch is under way: its work is not kept
	<-doneA
	if cur, _ := stA.Job(ctx, j.ID); cur.State.Finished() || cur.Done() != 20 {
		t.Fatalf("after the stop: %+v", cur)
	}

	stB := storetest.OpenAt(t, path)
	tkB := &testKind{name: "B"}
	mB := newManager(t, stB, tkB.kind(true))
	runB, stopB := context.WithCancel(ctx)
	defer stopB()
	go mB.Run(runB)
	final := waitFinished(t, stB, j.ID)
	if final.State != model.JobDone || final.Resumes != 1 {
		t.Fatalf("resumed job %+v", final)
	}
	by := checkOnce(t, stB, j.ID, 50)
	if by["by A"] != 20 || by["by B"] != 30 {
		t.Errorf("outcomes by process: %v", by)
	}
	page, _ := stB.ListActivity(ctx, model.ActivityFilter{Action: model.ActionReprocess, Text: "resumed"})
	if len(page.Entries) != 1 || !strings.Contains(page.Entries[0].Detail, "20 of 50 users") {
		t.Errorf("resume activity %+v", page.Entries)
	}
}

// A kind that must not repeat work is not resumed: the items without an outcome are recorded
// as interrupted.
func TestUnresumableJobIsInterrupted(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "jobs.db")
	stA := storetest.OpenAt(t, path)
	tkA := &testKind{name: "A", hold: make(chan struct{})}
	mA := newManager(t, stA, tkA.kind(false))
	runA, stopA := context.WithCancel(ctx)
	doneA := make(chan struct{})
	go func() { mA.Run(runA); close(doneA) }()
	waitRunning(t, mA)
	j, _ := mA.Start(ctx, spec(25))
	tkA.hold <- struct{}{}
	waitDone(t, stA, j.ID, 10)
	stopA()
	<-doneA

	stB := storetest.OpenAt(t, path)
	mB := newManager(t, stB, (&testKind{name: "B"}).kind(false))
	runB, stopB := context.WithCancel(ctx)
	defer stopB()
	go mB.Run(runB)
	final := waitFinished(t, stB, j.ID)
	if final.State != model.JobInterrupted || final.Counts[model.JobItemInterrupted] != 15 || final.Counts[""] != 0 {
		t.Fatalf("interrupted job %+v", final)
	}
	checkOnce(t, stB, j.ID, 25)
	page, _ := stB.ListActivity(ctx, model.ActivityFilter{Action: model.ActionReprocess, Result: model.ActivityFailed})
	if len(page.Entries) != 1 || !strings.Contains(page.Entries[0].Detail, "15 interrupted") {
		t.Errorf("activity %+v", page.Entries)
	}
}

func TestJobFailureAndMissingOutcomes(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	tk := &testKind{name: "A", failAt: 3, skip: 4, err: errors.New("Graph refused: permission missing")}
	m := newManager(t, st, tk.kind(true))
	j, _ := m.Create(ctx, spec(40))
	got, err := m.Execute(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != model.JobFailed || !strings.Contains(got.Error, "permission missing") || got.Counts[model.JobItemNotRun] != 20+5 {
		t.Fatalf("failed job %+v", got)
	}
	checkOnce(t, st, j.ID, 40)
	if !strings.Contains(strings.Join(got.Problems, "|"), "batch 3 failed") {
		t.Errorf("problems %v", got.Problems)
	}
	page, _ := st.JobItems(ctx, j.ID, model.JobItemQuery{Status: model.JobItemNotRun, Limit: 1})
	if !strings.Contains(page.Items[0].Summary, "no outcome") {
		t.Errorf("item without an outcome: %+v", page.Items[0])
	}
}

func TestCreateRefusesBadJobs(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	m := newManager(t, st, (&testKind{}).kind(true))
	if _, err := m.Create(ctx, Spec{Kind: "test"}); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("no items: %v", err)
	}
	if _, err := m.Create(ctx, Spec{Kind: "other", Items: items(1)}); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := m.Start(ctx, spec(1)); err == nil {
		t.Error("Start without Run accepted")
	}
	if _, err := New(st, st, nil, Kind{Name: "x"}); err == nil {
		t.Error("a kind without Run accepted")
	}
	k := (&testKind{}).kind(true)
	k.Action = "made-up"
	if _, err := New(st, st, nil, k); err == nil || !strings.Contains(err.Error(), "activity filter") {
		t.Errorf("a kind with an action the activity filter does not offer: %v", err)
	}
}

func waitRunning(t *testing.T, m *Manager) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		m.mu.Lock()
		ok := m.base != nil
		m.mu.Unlock()
		if ok {
			return
		}
	}
	t.Fatal("Run did not start")
}

func waitDone(t *testing.T, st *store.Store, id int64, done int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if j, err := st.Job(context.Background(), id); err == nil && j.Done() >= done {
			return
		}
	}
	t.Fatalf("job %d never reached %d outcomes", id, done)
}

func waitFinished(t *testing.T, st *store.Store, id int64) model.Job {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if j, err := st.Job(context.Background(), id); err == nil && j.State.Finished() {
			return j
		}
	}
	t.Fatalf("job %d never finished", id)
	return model.Job{}
}

// Jobs of a kind that waits on Microsoft take no slot: with every slot held by running jobs, one
// still runs to its end; and items done before the job was created keep their outcome.
func TestWaitingKindsTakeNoSlot(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	busy := &testKind{name: "busy", hold: make(chan struct{})}
	waiting := &testKind{name: "waiting"}
	wk := waiting.kind(true)
	wk.Name, wk.Waits = "waiting", true
	m, err := New(st, st, nil, busy.kind(true), wk)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go m.Run(runCtx)
	for !m.Running() {
		time.Sleep(time.Millisecond)
	}
	for range maxRunning {
		if _, err := m.Start(ctx, spec(3)); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		busy.mu.Lock()
		n := busy.batches
		busy.mu.Unlock()
		if n == maxRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d busy jobs running, want %d", n, maxRunning)
		}
	}
	s := spec(3)
	s.Kind = "waiting"
	s.Items[0].Status, s.Items[0].Summary = "done", "before the job"
	j, err := m.Create(ctx, s)
	if err != nil || j.Done() != 1 {
		t.Fatalf("create %+v, %v", j, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if j, err = m.Execute(wctx, j.ID); err != nil || j.State != model.JobDone {
		t.Fatalf("the waiting kind's job with every slot taken: %+v, %v", j, err)
	}
	page, err := m.Items(ctx, j.ID, model.JobItemQuery{})
	if err != nil || page.Items[0].Summary != "before the job" || page.Items[1].Summary != "by waiting" {
		t.Errorf("items %+v, %v", page.Items, err)
	}
	close(busy.hold)
}
