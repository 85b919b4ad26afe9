package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestSyncRuns(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.LatestSyncRun(ctx); !errors.Is(err, ErrNotFound) {
		t.Errorf("LatestSyncRun on empty db: %v, want ErrNotFound", err)
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
		Error: "throttled out", Users: 10, Groups: 2, SKUs: 3, Requests: 99}
	if runs[1] != want {
		t.Errorf("finished run = %+v, want %+v", runs[1], want)
	}
	if err := st.FinishSyncRun(ctx, model.SyncRun{ID: 12345, Status: model.SyncSucceeded}); !errors.Is(err, ErrNotFound) {
		t.Errorf("finishing an unknown run: %v, want ErrNotFound", err)
	}
	if err := st.FinishSyncRun(ctx, model.SyncRun{ID: ids[2], Status: "bogus"}); err == nil {
		t.Error("an unknown status was accepted")
	}
	if err := st.MarkInterruptedRuns(ctx); err != nil {
		t.Fatal(err)
	}
	latest, err = st.LatestSyncRun(ctx)
	if err != nil || latest.Status != model.SyncFailed || latest.Error != interruptedError || !latest.FinishedAt.Equal(st.Now()) {
		t.Errorf("after MarkInterruptedRuns: %+v, %v", latest, err)
	}
}
