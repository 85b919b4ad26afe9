package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// ReplaceProductCatalog replaces the license-name catalog with products, in one transaction: an
// import that fails (invalid ids, an empty list, a cancelled ctx) changes nothing. Product and plan
// GUIDs are stored lower case; a product listed twice keeps its last names and all its plans.
func (s *Store) ReplaceProductCatalog(ctx context.Context, products []model.Product, source string, fetchedAt time.Time) error {
	if len(products) == 0 {
		return errors.New("replace product catalog: no products")
	}
	for i, p := range products {
		if model.NormalizeID(p.SKUID) == "" {
			return fmt.Errorf("replace product catalog: product %d (%q) has no SKU id", i+1, p.DisplayName)
		}
		for _, pl := range p.Plans {
			if model.NormalizeID(pl.PlanID) == "" {
				return fmt.Errorf("replace product catalog: a plan of product %q has no id", p.SKUID)
			}
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"catalog_product_plans", "catalog_plans", "catalog_products"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
				return fmt.Errorf("clear %s: %w", table, err)
			}
		}
		prodStmt, err := tx.PrepareContext(ctx, `INSERT INTO catalog_products (sku_id, part_number, display_name)
			VALUES (?, ?, ?) ON CONFLICT (sku_id) DO UPDATE SET part_number = excluded.part_number,
				display_name = excluded.display_name`)
		if err != nil {
			return err
		}
		defer prodStmt.Close()
		ppStmt, err := tx.PrepareContext(ctx, `INSERT INTO catalog_product_plans (sku_id, plan_id, name, friendly_name, position)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer ppStmt.Close()
		// The same plan is listed under many products; keep the first friendly name seen.
		planStmt, err := tx.PrepareContext(ctx, `INSERT INTO catalog_plans (plan_id, name, friendly_name)
			VALUES (?, ?, ?) ON CONFLICT (plan_id) DO UPDATE SET
				name = CASE WHEN catalog_plans.name = '' THEN excluded.name ELSE catalog_plans.name END,
				friendly_name = CASE WHEN catalog_plans.friendly_name = '' THEN excluded.friendly_name
					ELSE catalog_plans.friendly_name END`)
		if err != nil {
			return err
		}
		defer planStmt.Close()
		for _, p := range products {
			sku := model.NormalizeID(p.SKUID)
			if _, err := prodStmt.ExecContext(ctx, sku, strings.TrimSpace(p.PartNumber), strings.TrimSpace(p.DisplayName)); err != nil {
				return fmt.Errorf("product %q: %w", p.SKUID, err)
			}
			for i, pl := range p.Plans {
				id, name, friendly := model.NormalizeID(pl.PlanID), strings.TrimSpace(pl.Name), strings.TrimSpace(pl.FriendlyName)
				if _, err := ppStmt.ExecContext(ctx, sku, id, name, friendly, i); err != nil {
					return fmt.Errorf("plan %q of product %q: %w", pl.PlanID, p.SKUID, err)
				}
				if _, err := planStmt.ExecContext(ctx, id, name, friendly); err != nil {
					return fmt.Errorf("plan %q: %w", pl.PlanID, err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_info (id, source, fetched_at, imported_at) VALUES (1, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET source = excluded.source, fetched_at = excluded.fetched_at,
				imported_at = excluded.imported_at`,
			source, timeToDB(fetchedAt).Int64, timeToDB(s.Now()).Int64); err != nil {
			return fmt.Errorf("catalog info: %w", err)
		}
		// Names changed: what pages kept of the data (DataVersion) names licenses in the old words.
		if _, err := nextPatchSeq(ctx, tx); err != nil {
			return err
		}
		// Names changed, so did the order of groups by license name.
		snaps, err := snapshotIDs(ctx, tx)
		if err != nil {
			return err
		}
		for _, id := range snaps {
			if err := updateLicenseKeys(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace product catalog: %w", err)
	}
	return nil
}

func snapshotIDs(ctx context.Context, q querier) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT id FROM snapshots ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("snapshot ids: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("snapshot ids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ProductCatalogInfo describes the imported catalog; ErrNotFound if none was ever imported.
func (s *Store) ProductCatalogInfo(ctx context.Context) (model.CatalogInfo, error) {
	var info model.CatalogInfo
	var fetched int64
	err := s.rdb.QueryRowContext(ctx, `SELECT source, fetched_at,
			(SELECT count(*) FROM catalog_products), (SELECT count(*) FROM catalog_plans)
		FROM catalog_info WHERE id = 1`).Scan(&info.Source, &fetched, &info.Products, &info.Plans)
	if errors.Is(err, sql.ErrNoRows) {
		return model.CatalogInfo{}, fmt.Errorf("product catalog: %w", model.ErrNotFound)
	} else if err != nil {
		return model.CatalogInfo{}, fmt.Errorf("product catalog: %w", err)
	}
	info.FetchedAt = timeFromDB(sql.NullInt64{Int64: fetched, Valid: fetched != 0})
	return info, nil
}

// ProductCatalogAge tells when the stored catalog was fetched; ok is false when there is none.
// It is what licensing.CatalogUpdater needs to decide whether to refresh.
func (s *Store) ProductCatalogAge(ctx context.Context) (fetchedAt time.Time, ok bool, err error) {
	info, err := s.ProductCatalogInfo(ctx)
	if errors.Is(err, model.ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return info.FetchedAt, true, nil
}

// ProductNames maps SKU GUIDs (lower case) to their friendly product names; empty before an import.
func (s *Store) ProductNames(ctx context.Context) (map[string]string, error) {
	names, err := s.stringMap(ctx, `SELECT sku_id, display_name FROM catalog_products WHERE display_name <> ''`)
	if err != nil {
		return nil, fmt.Errorf("product names: %w", err)
	}
	return names, nil
}

// PlanNames maps service plan GUIDs (lower case) to their friendly names (the catalog's plan name
// where it has no friendly one); empty before an import.
func (s *Store) PlanNames(ctx context.Context) (map[string]string, error) {
	names, err := s.stringMap(ctx, `SELECT plan_id, COALESCE(NULLIF(friendly_name, ''), name) FROM catalog_plans
		WHERE friendly_name <> '' OR name <> ''`)
	if err != nil {
		return nil, fmt.Errorf("plan names: %w", err)
	}
	return names, nil
}

// ProductCatalog is the whole imported catalog, products ordered by name, plans as imported.
func (s *Store) ProductCatalog(ctx context.Context) ([]model.Product, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT p.sku_id, p.part_number, p.display_name,
			pp.plan_id, pp.name, pp.friendly_name
		FROM catalog_products p LEFT JOIN catalog_product_plans pp ON pp.sku_id = p.sku_id
		ORDER BY p.display_name COLLATE NOCASE, p.sku_id, pp.position`)
	if err != nil {
		return nil, fmt.Errorf("product catalog: %w", err)
	}
	defer rows.Close()
	products := []model.Product{}
	for rows.Next() {
		var p model.Product
		var planID, name, friendly sql.NullString
		if err := rows.Scan(&p.SKUID, &p.PartNumber, &p.DisplayName, &planID, &name, &friendly); err != nil {
			return nil, fmt.Errorf("product catalog: %w", err)
		}
		if n := len(products); n == 0 || products[n-1].SKUID != p.SKUID {
			products = append(products, p)
		}
		if planID.Valid {
			last := &products[len(products)-1]
			last.Plans = append(last.Plans, model.PlanName{PlanID: planID.String, Name: name.String, FriendlyName: friendly.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("product catalog: %w", err)
	}
	return products, nil
}

func (s *Store) stringMap(ctx context.Context, query string) (map[string]string, error) {
	rows, err := s.rdb.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, rows.Err()
}
