package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Prices are the monthly prices of SKUs that have one, by lower-case SKU id.
func (s *Store) Prices(ctx context.Context) (map[string]model.Price, error) {
	return readValue(ctx, s, func(q querier) (map[string]model.Price, error) {
		rows, err := q.QueryContext(ctx, `SELECT sku_id, amount_cents, currency, updated_at, updated_by FROM sku_prices`)
		if err != nil {
			return nil, fmt.Errorf("read prices: %w", err)
		}
		defer rows.Close()
		out := map[string]model.Price{}
		for rows.Next() {
			var p model.Price
			var at sql.NullInt64
			if err := rows.Scan(&p.SKUID, &p.AmountCents, &p.Currency, &at, &p.UpdatedBy); err != nil {
				return nil, fmt.Errorf("read prices: %w", err)
			}
			p.UpdatedAt = timeFromDB(at)
			out[p.SKUID] = p
		}
		return out, rows.Err()
	})
}

// SetPrice sets a SKU's monthly price, replacing any earlier one, and returns the earlier one
// (ok false when there was none).
func (s *Store) SetPrice(ctx context.Context, p model.Price) (old model.Price, ok bool, err error) {
	p.SKUID = model.NormalizeID(p.SKUID)
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.Now()
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		old, ok, err = priceIn(ctx, tx, p.SKUID)
		if err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sku_prices (sku_id, amount_cents, currency, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (sku_id) DO UPDATE SET amount_cents = excluded.amount_cents,
			currency = excluded.currency, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			p.SKUID, p.AmountCents, p.Currency, timeToDB(p.UpdatedAt), p.UpdatedBy)
		return err
	})
	if err != nil {
		return model.Price{}, false, fmt.Errorf("set price: %w", err)
	}
	return old, ok, nil
}

// DeletePrice removes a SKU's price and returns it (ok false when it had none).
func (s *Store) DeletePrice(ctx context.Context, skuID string) (old model.Price, ok bool, err error) {
	skuID = model.NormalizeID(skuID)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		old, ok, err = priceIn(ctx, tx, skuID)
		if err != nil || !ok {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sku_prices WHERE sku_id = ?`, skuID)
		return err
	})
	if err != nil {
		return model.Price{}, false, fmt.Errorf("delete price: %w", err)
	}
	return old, ok, nil
}

func priceIn(ctx context.Context, tx *sql.Tx, skuID string) (model.Price, bool, error) {
	var p model.Price
	var at sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT sku_id, amount_cents, currency, updated_at, updated_by FROM sku_prices WHERE sku_id = ?`, skuID).
		Scan(&p.SKUID, &p.AmountCents, &p.Currency, &at, &p.UpdatedBy)
	if err == sql.ErrNoRows {
		return model.Price{}, false, nil
	}
	if err != nil {
		return model.Price{}, false, err
	}
	p.UpdatedAt = timeFromDB(at)
	return p, true, nil
}
