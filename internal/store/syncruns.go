package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// interruptedError is the error text of a run that was still "running" when the database was
// opened again: its process died without finishing it.
const interruptedError = "interrupted: the process stopped before the sync finished"

const syncRunColumns = `id, started_at, finished_at, status, error, user_count, group_count, sku_count, request_count`

// StartSyncRun records a new run in status running, started now.
func (s *Store) StartSyncRun(ctx context.Context) (model.SyncRun, error) {
	run := model.SyncRun{StartedAt: s.Now().UTC(), Status: model.SyncRunning}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO sync_runs (started_at, status) VALUES (?, ?)`, timeToDB(run.StartedAt), run.Status)
	if err != nil {
		return model.SyncRun{}, fmt.Errorf("start sync run: %w", err)
	}
	if run.ID, err = res.LastInsertId(); err != nil {
		return model.SyncRun{}, fmt.Errorf("start sync run: %w", err)
	}
	return run, nil
}

// FinishSyncRun records how run ended: status, error text, counts and finish time (now when
// run.FinishedAt is zero).
func (s *Store) FinishSyncRun(ctx context.Context, run model.SyncRun) error {
	if run.FinishedAt.IsZero() {
		run.FinishedAt = s.Now()
	}
	res, err := s.db.ExecContext(ctx, `
		UPDATE sync_runs SET finished_at = ?, status = ?, error = ?,
			user_count = ?, group_count = ?, sku_count = ?, request_count = ?
		WHERE id = ?`,
		timeToDB(run.FinishedAt), run.Status, run.Error, run.Users, run.Groups, run.SKUs, run.Requests, run.ID)
	if err != nil {
		return fmt.Errorf("finish sync run %d: %w", run.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("finish sync run %d: %w", run.ID, err)
	} else if n == 0 {
		return fmt.Errorf("finish sync run %d: %w", run.ID, ErrNotFound)
	}
	return nil
}

// LatestSyncRun is the most recently started run, running or not.
func (s *Store) LatestSyncRun(ctx context.Context) (model.SyncRun, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+syncRunColumns+` FROM sync_runs ORDER BY id DESC LIMIT 1`)
	run, err := scanSyncRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return model.SyncRun{}, fmt.Errorf("latest sync run: %w", ErrNotFound)
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
	rows, err := s.db.QueryContext(ctx, `SELECT `+syncRunColumns+` FROM sync_runs ORDER BY id DESC LIMIT ?`, limit)
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

// MarkInterruptedRuns marks runs still "running" as failed: Open calls it, because a run that is
// running in a database nobody has open belonged to a process that was killed.
//
// Two processes sharing one database (a server and a "refresh" from the command line) would see
// each other's live run marked failed; the snapshot itself is unaffected.
func (s *Store) MarkInterruptedRuns(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `
		UPDATE sync_runs SET status = ?, error = ?, finished_at = ?
		WHERE status = 'running'`, model.SyncFailed, interruptedError, timeToDB(s.Now()))
	if err != nil {
		return fmt.Errorf("mark interrupted sync runs: %w", err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanSyncRun(sc scanner) (model.SyncRun, error) {
	var run model.SyncRun
	var started int64
	var finished sql.NullInt64
	err := sc.Scan(&run.ID, &started, &finished, &run.Status, &run.Error,
		&run.Users, &run.Groups, &run.SKUs, &run.Requests)
	run.StartedAt = timeFromDB(sql.NullInt64{Int64: started, Valid: true})
	run.FinishedAt = timeFromDB(finished)
	return run, err
}
