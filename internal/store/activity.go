package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// Limits of stored fields: the log must not become a way to fill the disk.
const (
	maxActivityField  = 512
	maxActivityDetail = 4096
)

const activityColumns = `id, at, actor_upn, actor_name, action, target, target_name, result, detail, correlation_id, remote_ip`

// AddActivity appends an entry; a zero At means now.
func (s *Store) AddActivity(ctx context.Context, a model.Activity) error {
	if a.At.IsZero() {
		a.At = s.Now()
	}
	if a.Action == "" {
		return fmt.Errorf("add activity: action is required")
	}
	switch a.Result {
	case model.ActivityOK, model.ActivityRefused, model.ActivityFailed:
	default:
		return fmt.Errorf("add activity %s: unknown result %q", a.Action, a.Result)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO activity (at, actor_upn, actor_name, action, target,
		target_name, result, detail, correlation_id, remote_ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.At.UTC().UnixNano(), text.Truncate(a.ActorUPN, maxActivityField), text.Truncate(a.ActorName, maxActivityField),
		text.Truncate(a.Action, maxActivityField), text.Truncate(a.Target, maxActivityField), text.Truncate(a.TargetName, maxActivityField),
		a.Result, text.Truncate(a.Detail, maxActivityDetail), text.Truncate(a.CorrelationID, maxActivityField),
		text.Truncate(a.RemoteIP, maxActivityField))
	if err != nil {
		return fmt.Errorf("add activity %s: %w", a.Action, err)
	}
	return nil
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
		var at sql.NullInt64
		if err := rows.Scan(&a.ID, &at, &a.ActorUPN, &a.ActorName, &a.Action, &a.Target, &a.TargetName,
			&a.Result, &a.Detail, &a.CorrelationID, &a.RemoteIP); err != nil {
			return err
		}
		a.At = timeFromDB(at)
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}
