package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestSyncRuns(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.LatestSyncRun(ctx); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("LatestSyncRun on empty db: %v, want model.ErrNotFound", err)
	}
	if runs, err := st.RecentSyncRuns(ctx, 5); err != nil || len(runs) != 0 {
		t.Errorf("RecentSyncRuns on empty db: %v, %v", runs, err)
	}
	var ids []int64
	for i := range 3 {
		run, err := st.StartSyncRun(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != model.SyncRunning || !run.StartedAt.Equal(st.Now()) {
			t.Errorf("started run = %+v", run)
		}
		ids = append(ids, run.ID)
		if i == 2 {
			break // left running
		}
		run.Status, run.Error = model.SyncFailed, "throttled out"
		run.Users, run.Groups, run.SKUs, run.Requests = 10, 2, 3, 99
		run.Kind, run.Note = model.SyncIncremental, "read 4 changes"
		run.FinishedAt = st.Now().Add(time.Minute)
		if err := st.FinishSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	latest, err := st.LatestSyncRun(ctx)
	if err != nil || latest.ID != ids[2] || latest.Status != model.SyncRunning || !latest.FinishedAt.IsZero() {
		t.Errorf("latest = %+v, %v", latest, err)
	}
	runs, err := st.RecentSyncRuns(ctx, 2)
	if err != nil || len(runs) != 2 || runs[0].ID != ids[2] || runs[1].ID != ids[1] {
		t.Fatalf("recent = %+v, %v", runs, err)
	}
	want := model.SyncRun{ID: ids[1], StartedAt: st.Now(), FinishedAt: st.Now().Add(time.Minute), Status: model.SyncFailed,
		Error: "throttled out", Users: 10, Groups: 2, SKUs: 3, Requests: 99, Kind: model.SyncIncremental, Note: "read 4 changes"}
	if runs[1] != want {
		t.Errorf("finished run = %+v, want %+v", runs[1], want)
	}
	if err := st.FinishSyncRun(ctx, model.SyncRun{ID: 12345, Status: model.SyncSucceeded}); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("finishing an unknown run: %v, want model.ErrNotFound", err)
	}
	if err := st.FinishSyncRun(ctx, model.SyncRun{ID: ids[2], Status: "bogus"}); err == nil {
		t.Error("an unknown status was accepted")
	}
	// The run left running still has a fresh heartbeat: it is alive.
	if err := st.MarkInterruptedRuns(ctx); err != nil {
		t.Fatal(err)
	}
	if latest, err = st.LatestSyncRun(ctx); err != nil || latest.Status != model.SyncRunning {
		t.Errorf("a run with a fresh heartbeat was marked: %+v, %v", latest, err)
	}
	later := st.Now().Add(SyncHeartbeatTimeout + time.Second)
	st.Now = func() time.Time { return later }
	if err := st.MarkInterruptedRuns(ctx); err != nil {
		t.Fatal(err)
	}
	latest, err = st.LatestSyncRun(ctx)
	if err != nil || latest.Status != model.SyncFailed || latest.Error != interruptedError || !latest.FinishedAt.Equal(later) {
		t.Errorf("after MarkInterruptedRuns: %+v, %v", latest, err)
	}
}

// openAt opens the database at path with its own clock, like a second process would.
func openAt(t *testing.T, path string, now time.Time) *Store {
	t.Helper()
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.Now = func() time.Time { return now }
	return st
}

func runStatus(t *testing.T, st *Store, id int64) model.SyncRun {
	t.Helper()
	runs, err := st.RecentSyncRuns(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("run %d not found", id)
	return model.SyncRun{}
}

// A second process opening the database (a command-line refresh or import while the server
// syncs) must leave the server's live run alone, and mark the dead ones.
func TestOpenMarksOnlyDeadRuns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	now := time.Now()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	const noSuchPID = 1 << 30 // above any pid_max

	tests := []struct {
		name   string
		beat   time.Duration // heartbeat age when the database is opened again
		host   string        // "" keeps this host
		pid    int           // 0 keeps this process
		marked bool
	}{
		{"live, just started", 0, "", 0, false},
		{"live, heartbeat 50s old", 50 * time.Second, "", 0, false},
		{"stale heartbeat", SyncHeartbeatTimeout + time.Second, "", 0, true},
		{"stale heartbeat on another host", 10 * time.Minute, "other-host", noSuchPID, true},
		{"owner process gone", 0, "", noSuchPID, true},
		{"owner on another host: its pid means nothing here", 0, "other-host", noSuchPID, false},
	}
	owner := openAt(t, path, now) // the "server", kept open throughout
	ids := make([]int64, len(tests))
	for i, tt := range tests {
		owner.Now = func() time.Time { return now.Add(-tt.beat) }
		owner.owner.Host, owner.owner.PID = host, os.Getpid()
		if tt.host != "" {
			owner.owner.Host = tt.host
		}
		if tt.pid != 0 {
			owner.owner.PID = tt.pid
		}
		run, err := owner.StartSyncRun(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = run.ID
	}
	second, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		run := runStatus(t, second, ids[i])
		if tt.marked && (run.Status != model.SyncFailed || run.Error != interruptedError || run.FinishedAt.IsZero()) {
			t.Errorf("%s: run = %+v, want failed as interrupted", tt.name, run)
		}
		if !tt.marked && (run.Status != model.SyncRunning || run.Error != "" || !run.FinishedAt.IsZero()) {
			t.Errorf("%s: run = %+v, want still running", tt.name, run)
		}
	}
	// Closing the second store leaves the owner's runs alone; closing the owner ends them.
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	if run := runStatus(t, owner, ids[0]); run.Status != model.SyncRunning {
		t.Errorf("after another store closed: %+v", run)
	}
	if err := owner.Close(); err != nil {
		t.Fatal(err)
	}
	if err := owner.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	third := openAt(t, path, now)
	for i := range tests {
		if run := runStatus(t, third, ids[i]); run.Status != model.SyncFailed || run.Error != interruptedError {
			t.Errorf("%s after its store closed: %+v", tests[i].name, run)
		}
	}
}

func TestHeartbeatSyncRun(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	start := st.Now()
	run, err := st.StartSyncRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o, err := st.SyncRunOwner(ctx, run.ID)
	host, _ := os.Hostname()
	if err != nil || o.PID != os.Getpid() || o.Host != host || len(o.Nonce) != 16 || !o.HeartbeatAt.Equal(start) {
		t.Fatalf("owner = %+v, %v", o, err)
	}
	beat := start.Add(45 * time.Second)
	st.Now = func() time.Time { return beat }
	if err := st.HeartbeatSyncRun(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	if o, err := st.SyncRunOwner(ctx, run.ID); err != nil || !o.HeartbeatAt.Equal(beat) {
		t.Errorf("after heartbeat: %+v, %v", o, err)
	}
	// 45s after the start but only 30s after the heartbeat: alive.
	st.Now = func() time.Time { return beat.Add(SyncHeartbeatTimeout - time.Second) }
	if err := st.MarkInterruptedRuns(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.LatestSyncRun(ctx); got.Status != model.SyncRunning {
		t.Errorf("run with a recent heartbeat was marked: %+v", got)
	}
	run.Status = model.SyncSucceeded
	if err := st.FinishSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := st.HeartbeatSyncRun(ctx, run.ID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("heartbeat of a finished run: %v, want model.ErrNotFound", err)
	}
	if err := st.HeartbeatSyncRun(ctx, 9999); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("heartbeat of an unknown run: %v, want model.ErrNotFound", err)
	}
	if _, err := st.SyncRunOwner(ctx, 9999); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("owner of an unknown run: %v, want model.ErrNotFound", err)
	}
}

// Runs written before migration 0004 have no owner and no heartbeat: their start time counts.
func TestMarkInterruptedRunsWithoutOwner(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	now := st.Now()
	var ids []int64
	for _, age := range []time.Duration{time.Hour, time.Second} {
		res, err := st.DB().ExecContext(ctx, `INSERT INTO sync_runs (started_at, status) VALUES (?, 'running')`,
			now.Add(-age).UnixNano())
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		ids = append(ids, id)
	}
	if err := st.MarkInterruptedRuns(ctx); err != nil {
		t.Fatal(err)
	}
	if old := runStatus(t, st, ids[0]); old.Status != model.SyncFailed || old.Error != interruptedError {
		t.Errorf("hour-old run without heartbeat: %+v", old)
	}
	if recent := runStatus(t, st, ids[1]); recent.Status != model.SyncRunning {
		t.Errorf("second-old run without heartbeat: %+v", recent)
	}
}
