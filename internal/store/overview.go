package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Overview is the current snapshot's totals and subscribed SKUs; ErrNotFound before the first sync.
func (s *Store) Overview(ctx context.Context) (model.Overview, error) {
	return readValue(ctx, s, func(db querier) (model.Overview, error) { return overview(ctx, db) })
}

func overview(ctx context.Context, db querier) (model.Overview, error) {
	info, err := currentSnapshot(ctx, db)
	if err != nil {
		return model.Overview{}, err
	}
	o := model.Overview{SnapshotAt: info.TakenAt}
	err = db.QueryRowContext(ctx, `SELECT user_count, licensed_users, users_with_errors FROM snapshots WHERE id = ?`,
		info.ID).Scan(&o.Users, &o.LicensedUsers, &o.UsersWithErrors)
	if err != nil {
		return model.Overview{}, fmt.Errorf("overview: %w", err)
	}
	err = db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(error_count > 0), 0),
			coalesce(sum(processing_state <> ?), 0)
		FROM snapshot_groups WHERE snapshot_id = ?`, model.ProcessingComplete, info.ID).
		Scan(&o.LicensedGroups, &o.GroupsWithErrors, &o.GroupsNotProcessed)
	if err != nil {
		return model.Overview{}, fmt.Errorf("overview: groups: %w", err)
	}
	if o.SKUs, err = skus(ctx, db, info.ID); err != nil {
		return model.Overview{}, fmt.Errorf("overview: %w", err)
	}
	return o, nil
}

// SKUs are the current snapshot's subscribed SKUs with their best names, ordered by name;
// ErrNotFound before the first sync.
func (s *Store) SKUs(ctx context.Context) ([]model.SKUUsage, error) {
	return readValue(ctx, s, func(db querier) ([]model.SKUUsage, error) {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return nil, err
		}
		return skus(ctx, db, info.ID)
	})
}

func skus(ctx context.Context, db querier, snapID int64) ([]model.SKUUsage, error) {
	rows, err := db.QueryContext(ctx, `SELECT ss.sku_id, ss.part_number, ss.applies_to, ss.capability_status,
			ss.consumed_units, ss.prepaid_enabled, ss.prepaid_suspended, ss.prepaid_warning, ss.prepaid_locked,
			`+skuNameExpr("ss.sku_id")+`
		FROM snapshot_skus ss
		LEFT JOIN catalog_products cp ON cp.sku_id = ss.sku_id
		WHERE ss.snapshot_id = ?`, snapID)
	if err != nil {
		return nil, fmt.Errorf("skus: %w", err)
	}
	defer rows.Close()
	skus := []model.SKUUsage{}
	index := map[string]int{}
	for rows.Next() {
		var k model.SKUUsage
		if err := rows.Scan(&k.ID, &k.PartNumber, &k.AppliesTo, &k.CapabilityStatus, &k.ConsumedUnits,
			&k.Prepaid.Enabled, &k.Prepaid.Suspended, &k.Prepaid.Warning, &k.Prepaid.LockedOut, &k.Name); err != nil {
			return nil, fmt.Errorf("skus: %w", err)
		}
		index[k.ID] = len(skus)
		skus = append(skus, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("skus: %w", err)
	}
	rows.Close()

	rows, err = db.QueryContext(ctx, `SELECT sku_id, plan_id, name, provisioning_status, applies_to
		FROM snapshot_sku_plans WHERE snapshot_id = ? ORDER BY sku_id, position`, snapID)
	if err != nil {
		return nil, fmt.Errorf("sku plans: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sku string
		var p model.ServicePlan
		if err := rows.Scan(&sku, &p.ID, &p.Name, &p.ProvisioningStatus, &p.AppliesTo); err != nil {
			return nil, fmt.Errorf("sku plans: %w", err)
		}
		if i, ok := index[sku]; ok {
			skus[i].ServicePlans = append(skus[i].ServicePlans, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sku plans: %w", err)
	}
	slices.SortFunc(skus, func(a, b model.SKUUsage) int { return compareNamed(a.Name, a.ID, b.Name, b.ID) })
	return skus, nil
}
