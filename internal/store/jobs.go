package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// Background jobs (internal/jobs runs them): a row per job, a row per item with its one outcome.
// Like sync runs, a job names the process that runs it (owner) and beats while it runs, so a
// process that opens the database can tell a job whose process died from one still running.

// JobHeartbeatTimeout is how long a running job may go without a heartbeat before another
// process takes it for dead (internal/jobs beats every 10 seconds).
const JobHeartbeatTimeout = time.Minute

const jobColumns = `id, kind, title, target, target_name, params, actor_upn, actor_name, remote_ip, correlation_id,
	state, created_at, started_at, finished_at, total, summary, error, problems, resumes`

const jobItemColumns = `seq, key, name, known, status, summary, fix, done_at`

// Limits of stored job fields.
const (
	maxJobText   = 4096
	maxJobParams = 64 << 10
)

// CreateJob stores a new job (state queued, owned by this store's process) with its items, in
// one transaction, and returns it with its id.
func (s *Store) CreateJob(ctx context.Context, j model.Job, items []model.JobItem) (model.Job, error) {
	if j.Kind == "" {
		return model.Job{}, errors.New("create job: kind is required")
	}
	if len(j.Params) > maxJobParams {
		return model.Job{}, fmt.Errorf("create job: parameters of %d bytes, at most %d", len(j.Params), maxJobParams)
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = s.Now()
	}
	j.State, j.Total = model.JobQueued, len(items)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO jobs (kind, title, target, target_name, params, actor_upn, actor_name,
			remote_ip, correlation_id, state, created_at, total, owner_host, owner_pid, owner_nonce, heartbeat_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			j.Kind, text.Truncate(j.Title, maxActivityField), text.Truncate(j.Target, maxActivityField),
			text.Truncate(j.TargetName, maxActivityField), j.Params, text.Truncate(j.ActorUPN, maxActivityField),
			text.Truncate(j.ActorName, maxActivityField), text.Truncate(j.RemoteIP, maxActivityField),
			text.Truncate(j.CorrelationID, maxActivityField), j.State, timeToDB(j.CreatedAt), j.Total,
			s.owner.Host, s.owner.PID, s.owner.Nonce, timeToDB(j.CreatedAt))
		if err != nil {
			return err
		}
		if j.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO job_items (job_id, seq, key, name, known) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, it := range items {
			if it.Key == "" {
				return fmt.Errorf("item %d has no key", i)
			}
			if _, err := stmt.ExecContext(ctx, j.ID, i, text.Truncate(it.Key, maxActivityField),
				text.Truncate(it.Name, maxActivityField), it.Known); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return model.Job{}, fmt.Errorf("create job: %w", err)
	}
	j.Counts = map[string]int{"": len(items)}
	return j, nil
}

// Job is job id with its items counted by outcome status.
func (s *Store) Job(ctx context.Context, id int64) (model.Job, error) {
	j, err := readValue(ctx, s, func(q querier) (model.Job, error) {
		j, err := scanJob(q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
		if err != nil {
			return j, err
		}
		j.Counts, err = jobCounts(ctx, q, id)
		return j, err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return model.Job{}, &model.NotFoundError{What: "job", ID: fmt.Sprint(id),
			Detail: "There is no job " + fmt.Sprint(id) + ": it may have been removed with old history."}
	} else if err != nil {
		return model.Job{}, fmt.Errorf("job %d: %w", id, err)
	}
	return j, nil
}

func jobCounts(ctx context.Context, q querier, id int64) (map[string]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT status, count(*) FROM job_items WHERE job_id = ? GROUP BY status`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		counts[st] = n
	}
	return counts, rows.Err()
}

// Jobs lists the jobs q selects, newest first, with their counts, and how many match.
func (s *Store) Jobs(ctx context.Context, q model.JobQuery) ([]model.Job, int, error) {
	if q.Limit < 1 {
		q.Limit = 50
	}
	var conds []string
	var args []any
	if q.Kind != "" {
		conds, args = append(conds, `kind = ?`), append(args, q.Kind)
	}
	if q.Target != "" {
		conds, args = append(conds, `target = ? COLLATE NOCASE`), append(args, q.Target)
	}
	where := ""
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	type result struct {
		jobs  []model.Job
		total int
	}
	r, err := readValue(ctx, s, func(db querier) (result, error) {
		var r result
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM jobs`+where, args...).Scan(&r.total); err != nil {
			return r, err
		}
		rows, err := db.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs`+where+` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
			append(args, q.Limit, max(q.Offset, 0))...)
		if err != nil {
			return r, err
		}
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				rows.Close()
				return r, err
			}
			r.jobs = append(r.jobs, j)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return r, err
		}
		for i := range r.jobs {
			if r.jobs[i].Counts, err = jobCounts(ctx, db, r.jobs[i].ID); err != nil {
				return r, err
			}
		}
		return r, nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("jobs: %w", err)
	}
	return r.jobs, r.total, nil
}

// JobItems is a page of job id's items, in their order.
func (s *Store) JobItems(ctx context.Context, id int64, q model.JobItemQuery) (model.JobItemPage, error) {
	if q.Limit < 1 {
		q.Limit = 100
	}
	where, args := ` WHERE job_id = ?`, []any{id}
	switch q.Status {
	case "":
	case "pending":
		where += ` AND status = ''`
	default:
		where, args = where+` AND status = ?`, append(args, q.Status)
	}
	page, err := readValue(ctx, s, func(db querier) (model.JobItemPage, error) {
		var page model.JobItemPage
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM job_items`+where, args...).Scan(&page.Total); err != nil {
			return page, err
		}
		var err error
		page.Items, err = queryJobItems(ctx, db, `SELECT `+jobItemColumns+` FROM job_items`+where+` ORDER BY seq LIMIT ? OFFSET ?`,
			append(args, q.Limit, max(q.Offset, 0))...)
		return page, err
	})
	if err != nil {
		return model.JobItemPage{}, fmt.Errorf("items of job %d: %w", id, err)
	}
	return page, nil
}

// EachJobItem calls fn for every item of job id in order (for the outcomes file); it stops at
// fn's first error and returns it.
func (s *Store) EachJobItem(ctx context.Context, id int64, fn func(model.JobItem) error) error {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+jobItemColumns+` FROM job_items WHERE job_id = ? ORDER BY seq`, id)
	if err != nil {
		return fmt.Errorf("items of job %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanJobItem(rows)
		if err != nil {
			return fmt.Errorf("items of job %d: %w", id, err)
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return rows.Err()
}

// PendingJobItems are up to limit items of job id without an outcome, in order.
func (s *Store) PendingJobItems(ctx context.Context, id int64, limit int) ([]model.JobItem, error) {
	items, err := queryJobItems(ctx, s.rdb, `SELECT `+jobItemColumns+` FROM job_items WHERE job_id = ? AND status = '' ORDER BY seq LIMIT ?`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("pending items of job %d: %w", id, err)
	}
	return items, nil
}

func queryJobItems(ctx context.Context, db querier, query string, args ...any) ([]model.JobItem, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.JobItem
	for rows.Next() {
		it, err := scanJobItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// RecordJobItems stores the outcomes of items of job id (matched by Seq) and the job's
// heartbeat, in one transaction. An item that has its outcome already keeps it: each item gets
// exactly one. It returns how many outcomes were stored.
func (s *Store) RecordJobItems(ctx context.Context, id int64, items []model.JobItem) (int, error) {
	stored := 0
	now := s.Now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE job_items SET status = ?, summary = ?, fix = ?, name = ?, known = ?, done_at = ?
			WHERE job_id = ? AND seq = ? AND status = ''`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, it := range items {
			if it.Status == "" {
				return fmt.Errorf("item %d: an outcome needs a status", it.Seq)
			}
			at := it.DoneAt
			if at.IsZero() {
				at = now
			}
			res, err := stmt.ExecContext(ctx, text.Truncate(it.Status, maxActivityField), text.Truncate(it.Summary, maxJobText),
				text.Truncate(it.Fix, maxJobText), text.Truncate(it.Name, maxActivityField), it.Known, timeToDB(at), id, it.Seq)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			stored += int(n)
		}
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET heartbeat_at = ? WHERE id = ?`, timeToDB(now), id)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record outcomes of job %d: %w", id, err)
	}
	return stored, nil
}

// StartJob marks job id running (keeping its first start time) and owned by this process.
func (s *Store) StartJob(ctx context.Context, id int64) error {
	now := timeToDB(s.Now())
	_, err := s.exec(ctx, `UPDATE jobs SET state = 'running', started_at = COALESCE(started_at, ?), heartbeat_at = ?,
		owner_host = ?, owner_pid = ?, owner_nonce = ? WHERE id = ? AND state IN ('queued', 'running')`,
		now, now, s.owner.Host, s.owner.PID, s.owner.Nonce, id)
	if err != nil {
		return fmt.Errorf("start job %d: %w", id, err)
	}
	return nil
}

// FinishJob records how job id ended: its state (done, failed or interrupted), summary and
// error, now. A job that has finished already is left as it is (ErrNotFound).
func (s *Store) FinishJob(ctx context.Context, id int64, state model.JobState, summary, errText string) error {
	if !state.Finished() {
		return fmt.Errorf("finish job %d: %q is not a final state", id, state)
	}
	res, err := s.exec(ctx, `UPDATE jobs SET state = ?, summary = ?, error = ?, finished_at = ?, owner_nonce = ''
		WHERE id = ? AND state IN ('queued', 'running')`,
		state, text.Truncate(summary, maxJobText), text.Truncate(errText, maxJobText), timeToDB(s.Now()), id)
	if err != nil {
		return fmt.Errorf("finish job %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("finish job %d: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("finish job %d: %w", id, model.ErrNotFound)
	}
	return nil
}

// AddJobProblems appends warnings to job id's problems, each one once.
func (s *Store) AddJobProblems(ctx context.Context, id int64, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var stored string
		if err := tx.QueryRowContext(ctx, `SELECT problems FROM jobs WHERE id = ?`, id).Scan(&stored); err != nil {
			return err
		}
		old, err := parseList(stored)
		if err != nil {
			return err
		}
		for _, p := range problems { // a warning that every batch repeats is kept once
			if p != "" && !slices.Contains(old, p) {
				old = append(old, p)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET problems = ? WHERE id = ?`, jsonList(clipAll(old)), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("problems of job %d: %w", id, err)
	}
	return nil
}

// maxJobProblems bounds the warnings kept with a job.
const maxJobProblems = 50

func clipAll(xs []string) []string {
	if len(xs) > maxJobProblems {
		xs = append(xs[:maxJobProblems-1:maxJobProblems-1], fmt.Sprintf("and %d more", len(xs)-maxJobProblems+1))
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = text.Truncate(x, maxJobText)
	}
	return out
}

// HeartbeatJobs records that this process still runs its unfinished jobs.
func (s *Store) HeartbeatJobs(ctx context.Context) error {
	_, err := s.exec(ctx, `UPDATE jobs SET heartbeat_at = ? WHERE owner_nonce = ? AND state IN ('queued', 'running')`,
		timeToDB(s.Now()), s.owner.Nonce)
	if err != nil {
		return fmt.Errorf("heartbeat of jobs: %w", err)
	}
	return nil
}

// ReleaseJobs gives up this process's unfinished jobs (at shutdown), so the next process to
// run jobs takes them up at once instead of waiting for their heartbeat to go stale.
func (s *Store) ReleaseJobs(ctx context.Context) error {
	_, err := s.exec(ctx, `UPDATE jobs SET owner_nonce = '' WHERE owner_nonce = ? AND state IN ('queued', 'running')`, s.owner.Nonce)
	if err != nil {
		return fmt.Errorf("release jobs: %w", err)
	}
	return nil
}

// ClaimJobs takes over the unfinished jobs nobody runs: released ones, those whose heartbeat is
// older than JobHeartbeatTimeout, and at once those of a process on this host that no longer
// exists. It counts the take-over in their resumes and returns them, oldest first.
func (s *Store) ClaimJobs(ctx context.Context) ([]model.Job, error) {
	now := s.Now()
	var claimed []model.Job
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, owner_host, owner_pid, owner_nonce, COALESCE(heartbeat_at, created_at)
			FROM jobs WHERE state IN ('queued', 'running') AND owner_nonce <> ? ORDER BY id`, s.owner.Nonce)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id, beat int64
			var host, nonce string
			var pid int
			if err := rows.Scan(&id, &host, &pid, &nonce, &beat); err != nil {
				rows.Close()
				return err
			}
			released := nonce == ""
			stale := now.Sub(time.Unix(0, beat)) > JobHeartbeatTimeout
			gone := host != "" && host == s.owner.Host && !processExists(pid)
			if released || stale || gone {
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET owner_host = ?, owner_pid = ?, owner_nonce = ?, heartbeat_at = ?,
				resumes = resumes + 1 WHERE id = ?`, s.owner.Host, s.owner.PID, s.owner.Nonce, timeToDB(now), id); err != nil {
				return err
			}
			j, err := scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
			if err != nil {
				return err
			}
			if j.Counts, err = jobCounts(ctx, tx, id); err != nil {
				return err
			}
			claimed = append(claimed, j)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	return claimed, nil
}

// OwnsJob reports whether this process runs job id (it created or claimed it, unfinished).
func (s *Store) OwnsJob(ctx context.Context, id int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE id = ? AND owner_nonce = ? AND state IN ('queued', 'running')`,
		id, s.owner.Nonce).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("job %d: %w", id, err)
	}
	return n > 0, nil
}

// PruneJobs deletes the jobs that finished before before, with their items, and says how many.
func (s *Store) PruneJobs(ctx context.Context, before time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM jobs WHERE state IN ('done', 'failed', 'interrupted') AND finished_at < ?`, timeToDB(before))
	if err != nil {
		return 0, fmt.Errorf("prune jobs: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func scanJob(sc scanner) (model.Job, error) {
	var j model.Job
	var state, problems string
	var created, started, finished sql.NullInt64
	if err := sc.Scan(&j.ID, &j.Kind, &j.Title, &j.Target, &j.TargetName, &j.Params, &j.ActorUPN, &j.ActorName,
		&j.RemoteIP, &j.CorrelationID, &state, &created, &started, &finished, &j.Total, &j.Summary, &j.Error,
		&problems, &j.Resumes); err != nil {
		return model.Job{}, err
	}
	j.State = model.JobState(state)
	j.CreatedAt, j.StartedAt, j.FinishedAt = timeFromDB(created), timeFromDB(started), timeFromDB(finished)
	var err error
	j.Problems, err = parseList(problems)
	return j, err
}

func scanJobItem(sc scanner) (model.JobItem, error) {
	var it model.JobItem
	var done sql.NullInt64
	err := sc.Scan(&it.Seq, &it.Key, &it.Name, &it.Known, &it.Status, &it.Summary, &it.Fix, &done)
	it.DoneAt = timeFromDB(done)
	return it, err
}
