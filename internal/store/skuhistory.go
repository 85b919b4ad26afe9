package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// SKUHistoryRetention is how long units per SKU are kept: a year and a month, so a chart of the
// last 365 days is always whole.
const SKUHistoryRetention = 400 * 24 * time.Hour

const insertHistorySQL = `INSERT INTO sku_history (sku_id, at, consumed, enabled, warning, suspended, locked_out)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (sku_id, at) DO UPDATE SET consumed = excluded.consumed, enabled = excluded.enabled,
		warning = excluded.warning, suspended = excluded.suspended, locked_out = excluded.locked_out`

// recordSKUHistory records the units of skus at at (a snapshot being saved) and drops what is
// older than SKUHistoryRetention before at.
func recordSKUHistory(ctx context.Context, tx *sql.Tx, at time.Time, skus []model.SKU) error {
	stmt, err := tx.PrepareContext(ctx, insertHistorySQL)
	if err != nil {
		return fmt.Errorf("sku history: %w", err)
	}
	defer stmt.Close()
	for _, k := range skus {
		if _, err := stmt.ExecContext(ctx, model.NormalizeID(k.ID), timeToDB(at), k.ConsumedUnits, k.Prepaid.Enabled,
			k.Prepaid.Warning, k.Prepaid.Suspended, k.Prepaid.LockedOut); err != nil {
			return fmt.Errorf("sku history of %s: %w", k.ID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sku_history WHERE at < ?`, timeToDB(at.Add(-SKUHistoryRetention))); err != nil {
		return fmt.Errorf("prune sku history: %w", err)
	}
	return nil
}

// historyEvery is how often an incremental refresh records units that did not change: refreshes
// every few minutes would otherwise add a row per SKU each time for the same numbers.
const historyEvery = time.Hour

// recordSKUHistoryChanges records the units of skus at at, as recordSKUHistory does, for the
// SKUs whose units differ from their last record or whose last record is historyEvery old.
func recordSKUHistoryChanges(ctx context.Context, tx *sql.Tx, at time.Time, skus []model.SKU) error {
	var changed []model.SKU
	for _, k := range skus {
		var last, consumed, enabled, warning, suspended, locked int64
		err := tx.QueryRowContext(ctx, `SELECT at, consumed, enabled, warning, suspended, locked_out FROM sku_history
			WHERE sku_id = ? ORDER BY at DESC LIMIT 1`, model.NormalizeID(k.ID)).
			Scan(&last, &consumed, &enabled, &warning, &suspended, &locked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			changed = append(changed, k)
		case err != nil:
			return fmt.Errorf("sku history of %s: %w", k.ID, err)
		case consumed != int64(k.ConsumedUnits) || enabled != int64(k.Prepaid.Enabled) || warning != int64(k.Prepaid.Warning) ||
			suspended != int64(k.Prepaid.Suspended) || locked != int64(k.Prepaid.LockedOut) ||
			at.Sub(timeFromDB(sql.NullInt64{Int64: last, Valid: true})) >= historyEvery:
			changed = append(changed, k)
		}
	}
	return recordSKUHistory(ctx, tx, at, changed)
}

// AddSKUHistory records past units of SKUs (by id), e.g. a history known from elsewhere; points
// at a time already recorded replace it.
func (s *Store) AddSKUHistory(ctx context.Context, points map[string][]model.SKUHistoryPoint) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, insertHistorySQL)
		if err != nil {
			return fmt.Errorf("add sku history: %w", err)
		}
		defer stmt.Close()
		for sku, ps := range points {
			for _, p := range ps {
				if _, err := stmt.ExecContext(ctx, model.NormalizeID(sku), timeToDB(p.At), p.Consumed, p.Prepaid.Enabled,
					p.Prepaid.Warning, p.Prepaid.Suspended, p.Prepaid.LockedOut); err != nil {
					return fmt.Errorf("add sku history of %s: %w", sku, err)
				}
			}
		}
		return nil
	})
}

// SKUHistory is the recorded units of each SKU since since (the zero time: all), oldest first,
// by normalised SKU id.
func (s *Store) SKUHistory(ctx context.Context, since time.Time) (map[string][]model.SKUHistoryPoint, error) {
	out := map[string][]model.SKUHistoryPoint{}
	from := int64(math.MinInt64)
	if !since.IsZero() {
		from = since.UnixNano()
	}
	err := s.read(ctx, func(db querier) error {
		rows, err := db.QueryContext(ctx, `SELECT sku_id, at, consumed, enabled, warning, suspended, locked_out
			FROM sku_history WHERE at >= ? ORDER BY sku_id, at`, from)
		if err != nil {
			return fmt.Errorf("sku history: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var sku string
			var at sql.NullInt64
			var p model.SKUHistoryPoint
			if err := rows.Scan(&sku, &at, &p.Consumed, &p.Prepaid.Enabled, &p.Prepaid.Warning, &p.Prepaid.Suspended,
				&p.Prepaid.LockedOut); err != nil {
				return fmt.Errorf("sku history: %w", err)
			}
			p.At = timeFromDB(at)
			out[sku] = append(out[sku], p)
		}
		return rows.Err()
	})
	return out, err
}
