package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// notRead is why sign-ins or subscriptions of a snapshot saved without them are missing.
const notRead = "Not read with this snapshot."

// AddSignIns adds a page of users' signInActivity, written with the users' next batch. Users
// who never signed in need no row; a user given twice keeps the first.
func (w *SnapshotWriter) AddSignIns(ctx context.Context, page []model.SignIn) error {
	if err := w.usable("add sign-ins"); err != nil {
		return err
	}
	for _, si := range page {
		if si.UserID != "" && !si.Never() {
			w.pendingSignIns = append(w.pendingSignIns, si)
		}
	}
	return w.writeFull(ctx)
}

// insertSignIns writes sign-in rows of snapshot snapID.
func insertSignIns(ctx, bg context.Context, tx *sql.Tx, snapID int64, page []model.SignIn) error {
	if len(page) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(bg, `INSERT INTO snapshot_signins (snapshot_id, user_id, last_interactive,
		last_noninteractive, last_successful) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i, si := range page {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if _, err := stmt.ExecContext(bg, snapID, si.UserID, timeToDB(si.LastInteractive),
			timeToDB(si.LastNonInteractive), timeToDB(si.LastSuccessful)); err != nil {
			return fmt.Errorf("save sign-ins: %w", err)
		}
	}
	return nil
}

// SetExtras keeps the subscriptions and what could not be read; Commit writes them.
func (w *SnapshotWriter) SetExtras(extras model.SnapshotExtras) {
	w.extras = &extras
}

// writeExtras writes the subscriptions and the reasons for what is missing, in Commit's
// transaction.
func (w *SnapshotWriter) writeExtras(ctx context.Context, tx *sql.Tx) error {
	ex := model.SnapshotExtras{SignInsMissing: notRead, SubscriptionsMissing: notRead}
	if w.extras != nil {
		ex = *w.extras
	}
	if err := recordProcessing(ctx, tx, w.id, w.takenAt); err != nil {
		return err
	}
	if err := recordPlansSeen(ctx, tx, w.id, w.takenAt); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE snapshots SET signins_missing = ?, subscriptions_missing = ? WHERE id = ?`,
		ex.SignInsMissing, ex.SubscriptionsMissing, w.id); err != nil {
		return fmt.Errorf("save what was not read: %w", err)
	}
	nstmt, err := tx.PrepareContext(ctx, `INSERT INTO snapshot_nested_groups (snapshot_id, group_id, member_id, member_name)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("save nested groups: %w", err)
	}
	defer nstmt.Close()
	for gid, members := range ex.NestedGroups {
		for _, m := range members {
			if _, err := nstmt.ExecContext(ctx, w.id, gid, m.ID, m.Name); err != nil {
				return fmt.Errorf("save nested groups: %w", err)
			}
		}
	}
	return insertSubscriptions(ctx, tx, w.id, ex.Subscriptions)
}

// insertSubscriptions writes the subscriptions of snapshot snapID.
func insertSubscriptions(ctx context.Context, tx *sql.Tx, snapID int64, subs []model.Subscription) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO snapshot_subscriptions (snapshot_id, id, commerce_id, sku_id,
		part_number, status, is_trial, total_licenses, created_at, next_lifecycle_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("save subscriptions: %w", err)
	}
	defer stmt.Close()
	for _, s := range subs {
		if s.ID == "" {
			return fmt.Errorf("save subscriptions: a subscription without id (SKU %s)", s.SKUPartNumber)
		}
		if _, err := stmt.ExecContext(ctx, snapID, s.ID, s.CommerceSubscriptionID, model.NormalizeID(s.SKUID),
			s.SKUPartNumber, s.Status, s.IsTrial, s.TotalLicenses, timeToDB(s.CreatedAt), timeToDB(s.NextLifecycleAt)); err != nil {
			return fmt.Errorf("save subscriptions: %w", err)
		}
	}
	return nil
}

// refreshHealthData brings what license health keeps of the snapshot up to the refresh:
// groups processing and plans first seen now, the subscriptions read (when they were), and no
// sign-ins of users no longer in it. Sign-in activity itself is not tracked by any delta; the
// periodic full sync reads it again (inactivity counts days).
func (r *SnapshotRefresh) refreshHealthData(ctx context.Context, tx *sql.Tx) error {
	snapID := r.base.Snapshot.ID
	if err := recordProcessing(ctx, tx, snapID, r.takenAt); err != nil {
		return err
	}
	if err := recordPlansSeen(ctx, tx, snapID, r.takenAt); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM snapshot_signins WHERE snapshot_id = ?1
		AND user_id NOT IN (SELECT id FROM snapshot_users WHERE snapshot_id = ?1)`, snapID); err != nil {
		return fmt.Errorf("drop sign-ins of removed users: %w", err)
	}
	if r.subs == nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM snapshot_subscriptions WHERE snapshot_id = ?`, snapID); err != nil {
		return fmt.Errorf("replace subscriptions: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE snapshots SET subscriptions_missing = ? WHERE id = ?`, r.subs.SubscriptionsMissing, snapID); err != nil {
		return fmt.Errorf("save what was not read: %w", err)
	}
	return insertSubscriptions(ctx, tx, snapID, r.subs.Subscriptions)
}

// HealthData reads the current snapshot's sign-ins and subscriptions in one read transaction.
// model.ErrNotFound when there is no snapshot yet.
func (s *Store) HealthData(ctx context.Context) (model.HealthData, error) {
	return readValue(ctx, s, func(q querier) (model.HealthData, error) {
		var d model.HealthData
		var taken sql.NullInt64
		err := q.QueryRowContext(ctx, `SELECT s.id, coalesce(s.run_id, 0), s.taken_at, s.signins_missing, s.subscriptions_missing
			FROM current_snapshot c JOIN snapshots s ON s.id = c.snapshot_id WHERE c.id = 1`).
			Scan(&d.ID, &d.RunID, &taken, &d.SignInsMissing, &d.SubscriptionsMissing)
		if errors.Is(err, sql.ErrNoRows) {
			return d, fmt.Errorf("license health: %w", model.ErrNotFound)
		}
		if err != nil {
			return d, fmt.Errorf("read snapshot: %w", err)
		}
		d.TakenAt = timeFromDB(taken)
		rows, err := q.QueryContext(ctx, `SELECT user_id, last_interactive, last_noninteractive, last_successful
			FROM snapshot_signins WHERE snapshot_id = ?`, d.ID)
		if err != nil {
			return d, fmt.Errorf("read sign-ins: %w", err)
		}
		d.SignIns = map[string]model.SignIn{}
		for rows.Next() {
			var si model.SignIn
			var a, b, c sql.NullInt64
			if err := rows.Scan(&si.UserID, &a, &b, &c); err != nil {
				rows.Close()
				return d, err
			}
			si.LastInteractive, si.LastNonInteractive, si.LastSuccessful = timeFromDB(a), timeFromDB(b), timeFromDB(c)
			d.SignIns[si.UserID] = si
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return d, err
		}
		if d.ProcessingSince, err = processingSince(ctx, q); err != nil {
			return d, err
		}
		if d.NestedGroups, err = nestedGroups(ctx, q, d.ID); err != nil {
			return d, err
		}
		if d.NewPlans, err = newPlans(ctx, q, d.ID); err != nil {
			return d, err
		}
		if d.DynamicGroups, err = dynamicGroups(ctx, q, d.ID); err != nil {
			return d, err
		}
		rows, err = q.QueryContext(ctx, `SELECT id, commerce_id, sku_id, part_number, status, is_trial, total_licenses,
			created_at, next_lifecycle_at FROM snapshot_subscriptions WHERE snapshot_id = ? ORDER BY next_lifecycle_at, id`, d.ID)
		if err != nil {
			return d, fmt.Errorf("read subscriptions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var sub model.Subscription
			var created, next sql.NullInt64
			if err := rows.Scan(&sub.ID, &sub.CommerceSubscriptionID, &sub.SKUID, &sub.SKUPartNumber, &sub.Status,
				&sub.IsTrial, &sub.TotalLicenses, &created, &next); err != nil {
				return d, err
			}
			sub.CreatedAt, sub.NextLifecycleAt = timeFromDB(created), timeFromDB(next)
			d.Subscriptions = append(d.Subscriptions, sub)
		}
		return d, rows.Err()
	})
}

// processingSince is when tenantdesk first saw each group that is processing now still
// processing (Graph keeps no such date).
func processingSince(ctx context.Context, q querier) (map[string]time.Time, error) {
	rows, err := q.QueryContext(ctx, `SELECT group_id, since FROM group_processing_seen`)
	if err != nil {
		return nil, fmt.Errorf("read processing groups: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var since sql.NullInt64
		if err := rows.Scan(&id, &since); err != nil {
			return nil, err
		}
		out[id] = timeFromDB(since)
	}
	return out, rows.Err()
}

// recordProcessing keeps, for each group of snapshot snapID still processing, when a snapshot
// first found it so, and forgets the groups that finished.
func recordProcessing(ctx context.Context, tx *sql.Tx, snapID int64, takenAt time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM group_processing_seen WHERE group_id NOT IN
		(SELECT id FROM snapshot_groups WHERE snapshot_id = ? AND processing_state <> ?)`, snapID, model.ProcessingComplete); err != nil {
		return fmt.Errorf("record processing groups: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO group_processing_seen (group_id, since)
		SELECT id, ? FROM snapshot_groups WHERE snapshot_id = ? AND processing_state <> ? ON CONFLICT DO NOTHING`,
		timeToDB(takenAt), snapID, model.ProcessingComplete); err != nil {
		return fmt.Errorf("record processing groups: %w", err)
	}
	return nil
}

// nestedGroups are the groups nested in each licensed group of snapshot snapID, by name.
func nestedGroups(ctx context.Context, q querier, snapID int64) (map[string][]model.GroupRef, error) {
	rows, err := q.QueryContext(ctx, `SELECT group_id, member_id, member_name FROM snapshot_nested_groups
		WHERE snapshot_id = ? ORDER BY group_id, fold(member_name), member_id`, snapID)
	if err != nil {
		return nil, fmt.Errorf("read nested groups: %w", err)
	}
	defer rows.Close()
	out := map[string][]model.GroupRef{}
	for rows.Next() {
		var gid string
		var m model.GroupRef
		if err := rows.Scan(&gid, &m.ID, &m.Name); err != nil {
			return nil, err
		}
		out[gid] = append(out[gid], m)
	}
	return out, rows.Err()
}

// recordPlansSeen keeps when each SKU plan and each template's disabled plans of snapshot snapID
// were first seen: a changed disabled list counts from now, templates gone are forgotten.
func recordPlansSeen(ctx context.Context, tx *sql.Tx, snapID int64, takenAt time.Time) error {
	at := timeToDB(takenAt)
	for _, q := range []string{
		`INSERT INTO sku_plans_seen (sku_id, plan_id, first_seen) SELECT sku_id, plan_id, ?2 FROM snapshot_sku_plans
			WHERE snapshot_id = ?1 ON CONFLICT DO NOTHING`,
		`DELETE FROM templates_seen WHERE NOT EXISTS (SELECT 1 FROM snapshot_group_licenses l
			WHERE l.snapshot_id = ?1 AND l.group_id = templates_seen.group_id AND l.sku_id = templates_seen.sku_id)`,
		`INSERT INTO templates_seen (group_id, sku_id, disabled_plans, first_seen)
			SELECT group_id, sku_id, disabled_plans, ?2 FROM snapshot_group_licenses WHERE snapshot_id = ?1 AND true
			ON CONFLICT (group_id, sku_id) DO UPDATE SET disabled_plans = excluded.disabled_plans, first_seen = excluded.first_seen
			WHERE templates_seen.disabled_plans <> excluded.disabled_plans`,
	} {
		if _, err := tx.ExecContext(ctx, q, snapID, at); err != nil {
			return fmt.Errorf("record plans seen: %w", err)
		}
	}
	return nil
}

// newPlans are, per group and SKU of its template, the plans of the SKU that appeared after the
// template's disabled plans were set and are not among them, for templates that disable any.
func newPlans(ctx context.Context, q querier, snapID int64) (map[string]map[string][]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.group_id, t.sku_id, p.plan_id
		FROM templates_seen t
		JOIN snapshot_group_licenses l ON l.snapshot_id = ?1 AND l.group_id = t.group_id AND l.sku_id = t.sku_id
		JOIN sku_plans_seen p ON p.sku_id = t.sku_id AND p.first_seen > t.first_seen
		JOIN snapshot_sku_plans sp ON sp.snapshot_id = ?1 AND sp.sku_id = p.sku_id AND sp.plan_id = p.plan_id
		WHERE t.disabled_plans NOT IN ('', '[]')
			AND p.plan_id NOT IN (SELECT lower(value) FROM json_each(CASE WHEN t.disabled_plans = '' THEN '[]' ELSE t.disabled_plans END))
		ORDER BY t.group_id, t.sku_id, sp.position`, snapID)
	if err != nil {
		return nil, fmt.Errorf("read new plans: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string][]string{}
	for rows.Next() {
		var g, sku, plan string
		if err := rows.Scan(&g, &sku, &plan); err != nil {
			return nil, err
		}
		if out[g] == nil {
			out[g] = map[string][]string{}
		}
		out[g][sku] = append(out[g][sku], plan)
	}
	return out, rows.Err()
}

// dynamicGroups are the licensed groups of snapshot snapID with dynamic membership.
func dynamicGroups(ctx context.Context, q querier, snapID int64) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT group_id FROM snapshot_group_details WHERE snapshot_id = ?1 AND group_types <> ''
		AND EXISTS (SELECT 1 FROM json_each(group_types) WHERE lower(value) = 'dynamicmembership')`, snapID)
	if err != nil {
		return nil, fmt.Errorf("read dynamic groups: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
