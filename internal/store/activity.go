package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// Limits of stored fields: the log must not become a way to fill the disk.
const (
	maxActivityField  = 512
	maxActivityDetail = 4096
)

const activityColumns = `id, at, actor_upn, actor_name, action, target, target_name, result, detail, correlation_id, remote_ip, count, last_at`

// AddActivity appends an entry; a zero At means now.
func (s *Store) AddActivity(ctx context.Context, a model.Activity) error {
	a, err := s.checkActivity(a)
	if err != nil {
		return err
	}
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return insertActivity(ctx, tx, a) }); err != nil {
		return fmt.Errorf("add activity %s: %w", a.Action, err)
	}
	return nil
}

// checkActivity fills At and refuses an entry without an action or with an unknown result.
func (s *Store) checkActivity(a model.Activity) (model.Activity, error) {
	if a.At.IsZero() {
		a.At = s.Now()
	}
	if a.Action == "" {
		return a, fmt.Errorf("add activity: action is required")
	}
	switch a.Result {
	case model.ActivityOK, model.ActivityRefused, model.ActivityFailed:
	default:
		return a, fmt.Errorf("add activity %s: unknown result %q", a.Action, a.Result)
	}
	return a, nil
}

// execer is a *sql.DB or *sql.Tx, for writes that run inside a transaction or outside one.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insertActivity(ctx context.Context, db execer, a model.Activity) error {
	_, err := db.ExecContext(ctx, `INSERT INTO activity (at, actor_upn, actor_name, action, target,
		target_name, result, detail, correlation_id, remote_ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.At.UTC().UnixNano(), text.Truncate(a.ActorUPN, maxActivityField), text.Truncate(a.ActorName, maxActivityField),
		text.Truncate(a.Action, maxActivityField), text.Truncate(a.Target, maxActivityField), text.Truncate(a.TargetName, maxActivityField),
		a.Result, text.Truncate(a.Detail, maxActivityDetail), text.Truncate(a.CorrelationID, maxActivityField),
		text.Truncate(a.RemoteIP, maxActivityField))
	return err
}

// ManySources is the address of the entry that counts anonymous refusals beyond a
// RefusalPolicy's AnonymousRows.
const ManySources = "(many addresses)"

// AddRefusal records a refused request (or a failed sign-in) within policy p: when the same
// source (the person, or the address of an anonymous request) already has an entry of this
// action and result within p.Window, that entry's count goes up instead; an anonymous source
// without one gets a new entry only while fewer than p.AnonymousRows were made in the window,
// else the window's ManySources entry counts it. So however many requests come, the log grows
// by at most p.AnonymousRows+1 entries per window for all anonymous traffic together, plus
// one per signed-in person, action and result.
func (s *Store) AddRefusal(ctx context.Context, a model.Activity, p model.RefusalPolicy) error {
	a, err := s.checkActivity(a)
	if err != nil {
		return err
	}
	a.RemoteIP = text.Truncate(a.RemoteIP, maxActivityField)
	a.ActorUPN = text.Truncate(a.ActorUPN, maxActivityField)
	at := a.At.UTC().UnixNano()
	since := a.At.Add(-p.Window).UTC().UnixNano()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		bump := func(ip string) (bool, error) {
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM activity WHERE remote_ip = ? AND actor_upn = ? AND action = ?
				AND result = ? AND at >= ? ORDER BY at DESC LIMIT 1`, ip, a.ActorUPN, a.Action, a.Result, since).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return false, nil
			} else if err != nil {
				return false, err
			}
			_, err = tx.ExecContext(ctx, `UPDATE activity SET count = count + 1, last_at = max(COALESCE(last_at, at), ?) WHERE id = ?`, at, id)
			return err == nil, err
		}
		if done, err := bump(a.RemoteIP); done || err != nil {
			return err
		}
		if a.ActorUPN == "" && p.AnonymousRows > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM activity WHERE actor_upn = '' AND remote_ip NOT IN ('', ?)
				AND at >= ?`, ManySources, since).Scan(&n); err != nil {
				return err
			}
			if n >= p.AnonymousRows {
				if done, err := bump(ManySources); done || err != nil {
					return err
				}
				a.RemoteIP, a.Target, a.TargetName = ManySources, "", ""
				a.CorrelationID = ""
				a.Detail = fmt.Sprintf("more anonymous requests refused than %d entries per %s allow, from several addresses: counted here", p.AnonymousRows, p.Window)
			}
		}
		return insertActivity(ctx, tx, a)
	})
	if err != nil {
		return fmt.Errorf("add refusal %s: %w", a.Action, err)
	}
	return nil
}

// pruneBatch bounds one delete of PruneActivity, so the write lock is never held long.
const pruneBatch = 5000

// PruneActivity deletes the entries older than before and reports how many went.
func (s *Store) PruneActivity(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.exec(ctx, `DELETE FROM activity WHERE id IN (SELECT id FROM activity WHERE at < ? LIMIT ?)`,
			before.UTC().UnixNano(), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune activity: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune activity: %w", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// ActivityCount is how many entries the log holds (each counted once, whatever its count).
func (s *Store) ActivityCount(ctx context.Context) (int, error) {
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM activity`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count activity: %w", err)
	}
	return n, nil
}

// activityWhere builds the WHERE clause of f; every value is a parameter.
func activityWhere(f model.ActivityFilter) (string, []any) {
	var conds []string
	var args []any
	if f.Actor != "" {
		conds = append(conds, `actor_upn = ? COLLATE NOCASE`)
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		conds = append(conds, `action = ?`)
		args = append(args, f.Action)
	}
	if f.Result != "" {
		conds = append(conds, `result = ?`)
		args = append(args, f.Result)
	}
	if !f.Since.IsZero() {
		conds = append(conds, `at >= ?`)
		args = append(args, f.Since.UTC().UnixNano())
	}
	if !f.Until.IsZero() {
		conds = append(conds, `at < ?`)
		args = append(args, f.Until.UTC().UnixNano())
	}
	if f.Text != "" {
		// instr, not LIKE: the text is a plain substring, so % _ and \ mean themselves.
		conds = append(conds, `instr(fold(actor_upn || ' ' || actor_name || ' ' || target || ' ' || target_name || ' ' || detail || ' ' || correlation_id), fold(?)) > 0`)
		args = append(args, f.Text)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListActivity returns one page of entries matching f, newest first, and how many match.
func (s *Store) ListActivity(ctx context.Context, f model.ActivityFilter) (model.ActivityPage, error) {
	if f.Limit < 1 {
		f.Limit = 50
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	where, args := activityWhere(f)
	// One read, so the total counts the entries the page is cut from.
	page, err := readValue(ctx, s, func(db querier) (model.ActivityPage, error) {
		var page model.ActivityPage
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM activity`+where, args...).Scan(&page.Total); err != nil {
			return model.ActivityPage{}, err
		}
		err := eachActivity(ctx, db, `SELECT `+activityColumns+` FROM activity`+where+` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`,
			append(args, f.Limit, f.Offset), func(a model.Activity) error {
				page.Entries = append(page.Entries, a)
				return nil
			})
		return page, err
	})
	if err != nil {
		return model.ActivityPage{}, fmt.Errorf("list activity: %w", err)
	}
	return page, nil
}

// EachActivity calls fn for every entry matching f (Limit and Offset ignored), newest first,
// for the CSV export; it stops at fn's first error and returns it.
func (s *Store) EachActivity(ctx context.Context, f model.ActivityFilter, fn func(model.Activity) error) error {
	where, args := activityWhere(f)
	if err := eachActivity(ctx, s.rdb, `SELECT `+activityColumns+` FROM activity`+where+` ORDER BY at DESC, id DESC`, args, fn); err != nil {
		return fmt.Errorf("each activity: %w", err)
	}
	return nil
}

func eachActivity(ctx context.Context, db querier, query string, args []any, fn func(model.Activity) error) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a model.Activity
		var at, last sql.NullInt64
		if err := rows.Scan(&a.ID, &at, &a.ActorUPN, &a.ActorName, &a.Action, &a.Target, &a.TargetName,
			&a.Result, &a.Detail, &a.CorrelationID, &a.RemoteIP, &a.Count, &last); err != nil {
			return err
		}
		a.At, a.LastAt = timeFromDB(at), timeFromDB(last)
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}
