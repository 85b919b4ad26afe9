package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// interruptedError is the error text of a run whose process stopped without finishing it.
const interruptedError = "interrupted: the process stopped before the sync finished"

// SyncHeartbeatTimeout is how long a running sync run may go without a heartbeat before another
// process opening the database takes it for dead. The syncer beats every 10 seconds, so a minute
// allows for a busy disk or a paused virtual machine.
const SyncHeartbeatTimeout = time.Minute

// RunOwner is who runs a sync run: a process on a host, and the open Store in it (the nonce,
// random per Open, also tells a reused process id from the one that started the run).
type RunOwner struct {
	Host  string
	PID   int
	Nonce string
	// HeartbeatAt is when the run last said it was alive (SyncRunOwner only).
	HeartbeatAt time.Time
}

func newRunOwner() RunOwner {
	host, err := os.Hostname()
	if err != nil {
		host = "" // the process check then never applies; the heartbeat still does
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return RunOwner{Host: host, PID: os.Getpid(), Nonce: hex.EncodeToString(b[:])}
}

const syncRunColumns = `id, started_at, finished_at, status, error, user_count, group_count, sku_count, request_count, kind, note`

// StartSyncRun records a new run in status running, started now.
func (s *Store) StartSyncRun(ctx context.Context) (model.SyncRun, error) {
	run := model.SyncRun{StartedAt: s.Now().UTC(), Status: model.SyncRunning}
	res, err := s.exec(ctx, `
		INSERT INTO sync_runs (started_at, status, owner_host, owner_pid, owner_nonce, heartbeat_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
		timeToDB(run.StartedAt), run.Status, s.owner.Host, s.owner.PID, s.owner.Nonce, timeToDB(run.StartedAt))
	if err != nil {
		return model.SyncRun{}, fmt.Errorf("start sync run: %w", err)
	}
	if run.ID, err = res.LastInsertId(); err != nil {
		return model.SyncRun{}, fmt.Errorf("start sync run: %w", err)
	}
	return run, nil
}

// FinishSyncRun records how run ended: status, error text, counts, kind (full when not set),
// note and finish time (now when run.FinishedAt is zero).
func (s *Store) FinishSyncRun(ctx context.Context, run model.SyncRun) error {
	if run.FinishedAt.IsZero() {
		run.FinishedAt = s.Now()
	}
	if run.Kind == "" {
		run.Kind = model.SyncFull
	}
	res, err := s.exec(ctx, `
		UPDATE sync_runs SET finished_at = ?, status = ?, error = ?,
			user_count = ?, group_count = ?, sku_count = ?, request_count = ?, kind = ?, note = ?
		WHERE id = ?`,
		timeToDB(run.FinishedAt), run.Status, run.Error, run.Users, run.Groups, run.SKUs, run.Requests, run.Kind, run.Note, run.ID)
	if err != nil {
		return fmt.Errorf("finish sync run %d: %w", run.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("finish sync run %d: %w", run.ID, err)
	} else if n == 0 {
		return fmt.Errorf("finish sync run %d: %w", run.ID, model.ErrNotFound)
	}
	return nil
}

// LatestSyncRun is the most recently started run, running or not.
func (s *Store) LatestSyncRun(ctx context.Context) (model.SyncRun, error) {
	row := s.rdb.QueryRowContext(ctx, `SELECT `+syncRunColumns+` FROM sync_runs ORDER BY id DESC LIMIT 1`)
	run, err := scanSyncRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return model.SyncRun{}, fmt.Errorf("latest sync run: %w", model.ErrNotFound)
	} else if err != nil {
		return model.SyncRun{}, fmt.Errorf("latest sync run: %w", err)
	}
	return run, nil
}

// RecentSyncRuns are the last limit runs, newest first (limit < 1 means 20).
func (s *Store) RecentSyncRuns(ctx context.Context, limit int) ([]model.SyncRun, error) {
	if limit < 1 {
		limit = 20
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+syncRunColumns+` FROM sync_runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("recent sync runs: %w", err)
	}
	defer rows.Close()
	var runs []model.SyncRun
	for rows.Next() {
		run, err := scanSyncRun(rows)
		if err != nil {
			return nil, fmt.Errorf("recent sync runs: %w", err)
		}
		runs = append(runs, run)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recent sync runs: %w", err)
	}
	return runs, nil
}

// HeartbeatSyncRun records that run id is still alive, now. The syncer calls it every few
// seconds while it runs; a run that is no longer running (finished, or marked interrupted by
// another process after a long stall) gives ErrNotFound.
func (s *Store) HeartbeatSyncRun(ctx context.Context, id int64) error {
	res, err := s.exec(ctx, `UPDATE sync_runs SET heartbeat_at = ? WHERE id = ? AND status = 'running'`,
		timeToDB(s.Now()), id)
	if err != nil {
		return fmt.Errorf("heartbeat of sync run %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("heartbeat of sync run %d: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("heartbeat of sync run %d: %w", id, model.ErrNotFound)
	}
	return nil
}

// SyncRunOwner is who started run id and when it last beat.
func (s *Store) SyncRunOwner(ctx context.Context, id int64) (RunOwner, error) {
	var o RunOwner
	var hb sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT owner_host, owner_pid, owner_nonce, heartbeat_at FROM sync_runs WHERE id = ?`, id).
		Scan(&o.Host, &o.PID, &o.Nonce, &hb)
	if errors.Is(err, sql.ErrNoRows) {
		return RunOwner{}, fmt.Errorf("sync run %d: %w", id, model.ErrNotFound)
	} else if err != nil {
		return RunOwner{}, fmt.Errorf("sync run %d: %w", id, err)
	}
	o.HeartbeatAt = timeFromDB(hb)
	return o, nil
}

// MarkInterruptedRuns marks as failed the runs still "running" whose process is gone: those
// without a heartbeat for SyncHeartbeatTimeout, and at once those started on this host by a
// process that no longer exists. Open calls it, so a restart after a crash shows the crashed run
// as failed, while a live sync of another process (a server syncing while "tenantdesk refresh"
// or "ip import" opens the database) is left alone.
func (s *Store) MarkInterruptedRuns(ctx context.Context) error {
	now := s.Now()
	rows, err := s.db.QueryContext(ctx, `
		SELECT id, owner_host, owner_pid, COALESCE(heartbeat_at, started_at)
		FROM sync_runs WHERE status = 'running'`)
	if err != nil {
		return fmt.Errorf("mark interrupted sync runs: %w", err)
	}
	var dead []int64
	for rows.Next() {
		var id, beat int64
		var host string
		var pid int
		if err := rows.Scan(&id, &host, &pid, &beat); err != nil {
			rows.Close()
			return fmt.Errorf("mark interrupted sync runs: %w", err)
		}
		stale := now.Sub(time.Unix(0, beat)) > SyncHeartbeatTimeout
		gone := host != "" && host == s.owner.Host && !processExists(pid)
		if stale || gone {
			dead = append(dead, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("mark interrupted sync runs: %w", err)
	}
	for _, id := range dead {
		if err := s.markInterrupted(ctx, `id = ?`, id); err != nil {
			return err
		}
	}
	return nil
}

// markOwnRunsInterrupted marks the runs this store started and has not finished.
func (s *Store) markOwnRunsInterrupted(ctx context.Context) error {
	return s.markInterrupted(ctx, `owner_nonce = ?`, s.owner.Nonce)
}

func (s *Store) markInterrupted(ctx context.Context, where string, args ...any) error {
	args = append([]any{model.SyncFailed, interruptedError, timeToDB(s.Now())}, args...)
	_, err := s.exec(ctx, `
		UPDATE sync_runs SET status = ?, error = ?, finished_at = ?
		WHERE status = 'running' AND `+where, args...)
	if err != nil {
		return fmt.Errorf("mark interrupted sync runs: %w", err)
	}
	return nil
}

func scanSyncRun(sc scanner) (model.SyncRun, error) {
	var run model.SyncRun
	var started int64
	var finished sql.NullInt64
	err := sc.Scan(&run.ID, &started, &finished, &run.Status, &run.Error,
		&run.Users, &run.Groups, &run.SKUs, &run.Requests, &run.Kind, &run.Note)
	run.StartedAt = timeFromDB(sql.NullInt64{Int64: started, Valid: true})
	run.FinishedAt = timeFromDB(finished)
	return run, err
}
