package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// SaveIPSource stores src, replacing the previous version of the same kind and instance in one
// statement, so readers see either the old or the new source, never a mix. A zero CheckedAt is
// taken to be FetchedAt.
func (s *Store) SaveIPSource(ctx context.Context, src model.IPSource) error {
	if src.Kind == "" || src.Instance == "" {
		return fmt.Errorf("save ip source: kind and instance are required")
	}
	if len(src.Raw) == 0 {
		return fmt.Errorf("save ip source %s/%s: no data", src.Kind, src.Instance)
	}
	if src.FetchedAt.IsZero() {
		return fmt.Errorf("save ip source %s/%s: fetch time is required", src.Kind, src.Instance)
	}
	if src.CheckedAt.IsZero() {
		src.CheckedAt = src.FetchedAt
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO ip_sources (kind, instance, version, fetched_at, checked_at, url, raw)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (kind, instance) DO UPDATE SET
				version = excluded.version, fetched_at = excluded.fetched_at,
				checked_at = excluded.checked_at, url = excluded.url, raw = excluded.raw`,
			src.Kind, src.Instance, src.Version, timeToDB(src.FetchedAt), timeToDB(src.CheckedAt),
			src.URL, src.Raw)
		return err
	})
	if err != nil {
		return fmt.Errorf("save ip source %s/%s: %w", src.Kind, src.Instance, err)
	}
	return nil
}

// IPSources returns every stored source, ordered by kind and instance.
func (s *Store) IPSources(ctx context.Context) ([]model.IPSource, error) {
	rows, err := s.rdb.QueryContext(ctx, `
		SELECT kind, instance, version, fetched_at, checked_at, url, raw
		FROM ip_sources ORDER BY kind, instance`)
	if err != nil {
		return nil, fmt.Errorf("list ip sources: %w", err)
	}
	defer rows.Close()
	var out []model.IPSource
	for rows.Next() {
		var src model.IPSource
		var fetched, checked sql.NullInt64
		if err := rows.Scan(&src.Kind, &src.Instance, &src.Version, &fetched, &checked, &src.URL, &src.Raw); err != nil {
			return nil, fmt.Errorf("list ip sources: %w", err)
		}
		src.FetchedAt, src.CheckedAt = timeFromDB(fetched), timeFromDB(checked)
		out = append(out, src)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list ip sources: %w", err)
	}
	return out, nil
}

// IPSourcesStamp names the stored sources' versions and save times in one short string: it
// changes whenever a source is saved (by this process or another on the same database, such as
// `tenantdesk ip import`), so a server can notice new data without reading it all.
func (s *Store) IPSourcesStamp(ctx context.Context) (string, error) {
	var stamp string
	err := s.rdb.QueryRowContext(ctx, `SELECT coalesce(group_concat(k, ';'), '') FROM
		(SELECT kind || '/' || instance || '/' || version || '/' || fetched_at AS k FROM ip_sources ORDER BY kind, instance)`).Scan(&stamp)
	if err != nil {
		return "", fmt.Errorf("ip sources stamp: %w", err)
	}
	return stamp, nil
}

// MarkIPSourceChecked records that the stored source of kind and instance was confirmed current
// at at, without touching its data. It returns ErrNotFound when no such source is stored.
func (s *Store) MarkIPSourceChecked(ctx context.Context, kind, instance string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("mark ip source %s/%s checked: time is required", kind, instance)
	}
	res, err := s.exec(ctx, `UPDATE ip_sources SET checked_at = ? WHERE kind = ? AND instance = ?`,
		timeToDB(at), kind, instance)
	if err != nil {
		return fmt.Errorf("mark ip source %s/%s checked: %w", kind, instance, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("mark ip source %s/%s checked: %w", kind, instance, err)
	}
	if n == 0 {
		return fmt.Errorf("mark ip source %s/%s checked: %w", kind, instance, model.ErrNotFound)
	}
	return nil
}

// IPSetting returns the IP range setting key, or ErrNotFound.
func (s *Store) IPSetting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.rdb.QueryRowContext(ctx, `SELECT value FROM ip_settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("ip setting %q: %w", key, model.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("ip setting %q: %w", key, err)
	}
	return v, nil
}

// EnsureIPSetting stores value under key unless the key already has a value, and returns the
// value that is stored. Two callers racing to create a setting (say, a generated ID) therefore
// both get the same, first, value.
func (s *Store) EnsureIPSetting(ctx context.Context, key, value string) (string, error) {
	var stored string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ip_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM ip_settings WHERE key = ?`, key).Scan(&stored)
	})
	if err != nil {
		return "", fmt.Errorf("ensure ip setting %q: %w", key, err)
	}
	return stored, nil
}
