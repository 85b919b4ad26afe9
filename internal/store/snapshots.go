package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// keepPrevious is how many snapshots older than the current one are kept; the rest are deleted
// when a new one is saved. Readers do not depend on it: a read transaction (Store.read) keeps
// its view of a snapshot pruned while it reads.
const keepPrevious = 1

// checkEvery is how many users are written between checks of ctx: statements run without ctx,
// because go-sqlite3 starts a goroutine per statement that has one.
const checkEvery = 1024

// SaveSnapshot writes snap under a new snapshot id and makes it current, in one transaction: on
// any error (ctx cancelled included) nothing changes and the previous snapshot stays current.
// Snapshots older than the previous one are deleted in the same transaction. Users and groups
// that appear twice are written once (the first wins), and so are duplicate license entries.
func (s *Store) SaveSnapshot(ctx context.Context, runID int64, snap model.Snapshot) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	if snap.TakenAt.IsZero() {
		snap.TakenAt = s.Now()
	}
	groups := uniqueBy(snap.Groups, func(g model.Group) string { return g.ID })
	users := uniqueBy(snap.Users, func(u model.User) string { return u.ID })
	// Writing in key order appends to the b-trees instead of splitting pages all over them.
	slices.SortFunc(users, func(a, b *model.User) int { return strings.Compare(a.ID, b.ID) })

	errorCounts := make(map[string]int, len(groups))
	var licensed, inError int
	seen := make(map[string]bool)
	for _, u := range users {
		if len(u.AssignedLicenses) > 0 {
			licensed++
		}
		clear(seen)
		userInError := false
		for _, st := range u.LicenseStates {
			if st.Error == model.ErrorNone {
				continue
			}
			userInError = true
			if !st.Direct() && !seen[st.AssignedByGroup] {
				seen[st.AssignedByGroup] = true
				errorCounts[st.AssignedByGroup]++
			}
		}
		if userInError {
			inError++
		}
	}

	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Statements below run without ctx (see checkEvery); the transaction still watches it and
		// rolls back when it is cancelled.
		bg := context.WithoutCancel(ctx)
		res, err := tx.ExecContext(bg, `
			INSERT INTO snapshots (run_id, taken_at, saved_at, user_count, licensed_users, users_with_errors)
			VALUES (?, ?, ?, ?, ?, ?)`,
			sql.NullInt64{Int64: runID, Valid: runID != 0}, timeToDB(snap.TakenAt), timeToDB(s.Now()),
			len(users), licensed, inError)
		if err != nil {
			return fmt.Errorf("insert snapshot: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if err := insertSKUs(bg, tx, id, snap.SKUs); err != nil {
			return err
		}
		if err := recordSKUHistory(bg, tx, snap.TakenAt, snap.SKUs); err != nil {
			return err
		}
		if err := insertGroups(bg, tx, id, groups, snap.MemberCounts, errorCounts); err != nil {
			return err
		}
		if err := updateLicenseKeys(bg, tx, id); err != nil {
			return err
		}
		if err := insertUsers(ctx, bg, tx, id, users); err != nil {
			return err
		}
		if err := addHolderValues(bg, tx, id, nil); err != nil {
			return err
		}
		if err := countHolders(bg, tx, id); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(bg, `
			INSERT INTO current_snapshot (id, snapshot_id) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET snapshot_id = excluded.snapshot_id`, id); err != nil {
			return fmt.Errorf("make snapshot %d current: %w", id, err)
		}
		return pruneSnapshots(bg, tx, id)
	})
	if err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	return nil
}

func insertSKUs(ctx context.Context, tx *sql.Tx, snapID int64, skus []model.SKU) error {
	skuStmt, err := tx.PrepareContext(ctx, `
		INSERT INTO snapshot_skus (snapshot_id, sku_id, part_number, applies_to, capability_status,
			consumed_units, prepaid_enabled, prepaid_suspended, prepaid_warning, prepaid_locked)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("insert skus: %w", err)
	}
	defer skuStmt.Close()
	planStmt, err := tx.PrepareContext(ctx, `
		INSERT INTO snapshot_sku_plans (snapshot_id, sku_id, plan_id, name, provisioning_status, applies_to, position)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("insert sku plans: %w", err)
	}
	defer planStmt.Close()
	for _, k := range skus {
		id := model.NormalizeID(k.ID)
		if _, err := skuStmt.ExecContext(ctx, snapID, id, k.PartNumber, k.AppliesTo, k.CapabilityStatus,
			k.ConsumedUnits, k.Prepaid.Enabled, k.Prepaid.Suspended, k.Prepaid.Warning, k.Prepaid.LockedOut); err != nil {
			return fmt.Errorf("insert sku %q: %w", k.ID, err)
		}
		for i, p := range k.ServicePlans {
			if _, err := planStmt.ExecContext(ctx, snapID, id, model.NormalizeID(p.ID), p.Name, p.ProvisioningStatus, p.AppliesTo, i); err != nil {
				return fmt.Errorf("insert plan %q of sku %q: %w", p.ID, k.ID, err)
			}
		}
	}
	return nil
}

func insertGroups(ctx context.Context, tx *sql.Tx, snapID int64, groups []*model.Group,
	counts map[string]model.MemberCounts, errorCounts map[string]int) error {
	groupStmt, err := tx.PrepareContext(ctx, `
		INSERT INTO snapshot_groups (snapshot_id, id, display_name, sort_name, processing_state,
			member_count, user_count, error_count, licenses_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, '')`)
	if err != nil {
		return fmt.Errorf("insert groups: %w", err)
	}
	defer groupStmt.Close()
	detailStmt, err := tx.PrepareContext(ctx, `
		INSERT INTO snapshot_group_details (snapshot_id, group_id, description, mail, group_types,
			security_enabled, mail_enabled, membership_rule, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("insert group details: %w", err)
	}
	defer detailStmt.Close()
	licStmt, err := tx.PrepareContext(ctx, `
		INSERT INTO snapshot_group_licenses (snapshot_id, group_id, sku_id, disabled_plans)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("insert group licenses: %w", err)
	}
	defer licStmt.Close()
	for _, g := range groups {
		c := counts[g.ID]
		if _, err := groupStmt.ExecContext(ctx, snapID, g.ID, g.DisplayName, fold(g.DisplayName), g.ProcessingState,
			c.All, c.Users, errorCounts[g.ID]); err != nil {
			return fmt.Errorf("insert group %q: %w", g.ID, err)
		}
		if _, err := detailStmt.ExecContext(ctx, snapID, g.ID, g.Description, g.Mail, jsonList(g.GroupTypes),
			g.SecurityEnabled, g.MailEnabled, g.MembershipRule, timeToDB(g.CreatedAt)); err != nil {
			return fmt.Errorf("insert group %q: %w", g.ID, err)
		}
		for _, l := range g.AssignedLicenses {
			if _, err := licStmt.ExecContext(ctx, snapID, g.ID, model.NormalizeID(l.SKUID), guidList(l.DisabledPlans)); err != nil {
				return fmt.Errorf("insert license %q of group %q: %w", l.SKUID, g.ID, err)
			}
		}
	}
	return nil
}

func insertUsers(ctx, bg context.Context, tx *sql.Tx, snapID int64, users []*model.User) error {
	userStmt, err := tx.PrepareContext(bg, `
		INSERT INTO snapshot_users (snapshot_id, id, display_name, upn, mail, given_name, surname, department,
			job_title, company_name, employee_id, city, country, usage_location, user_type,
			account_enabled, on_prem_sync, created_at, has_errors)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("insert users: %w", err)
	}
	defer userStmt.Close()
	propsStmt, err := tx.PrepareContext(bg, `INSERT INTO snapshot_user_props (snapshot_id, user_id, props) VALUES (?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("insert user properties: %w", err)
	}
	defer propsStmt.Close()
	assignedStmt, err := tx.PrepareContext(bg, `
		INSERT INTO snapshot_user_assigned (snapshot_id, user_id, sku_id, disabled_plans)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("insert assigned licenses: %w", err)
	}
	defer assignedStmt.Close()
	stateStmt, err := tx.PrepareContext(bg, `
		INSERT INTO snapshot_user_states (snapshot_id, user_id, sku_id, assigned_by_group, state, error,
			disabled_plans, last_updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("insert license states: %w", err)
	}
	defer stateStmt.Close()
	holderStmt, err := tx.PrepareContext(bg, insertHolderSQL)
	if err != nil {
		return fmt.Errorf("insert holders: %w", err)
	}
	defer holderStmt.Close()
	keyStmt, err := tx.PrepareContext(bg, insertUserKeySQL)
	if err != nil {
		return fmt.Errorf("insert search keys: %w", err)
	}
	defer keyStmt.Close()

	for i, u := range users {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		props, err := propsJSON(u)
		if err != nil {
			return fmt.Errorf("user %q props: %w", u.ID, err)
		}
		if _, err := userStmt.ExecContext(bg, snapID, u.ID, u.DisplayName, u.UserPrincipalName, u.Mail,
			u.GivenName, u.Surname, u.Department, u.JobTitle, u.CompanyName, u.EmployeeID, u.City, u.Country,
			u.UsageLocation, u.UserType, u.AccountEnabled, u.OnPremisesSyncEnabled, timeToDB(u.CreatedAt),
			hasErrors(u)); err != nil {
			return fmt.Errorf("insert user %q: %w", u.ID, err)
		}
		if props != "{}" {
			if _, err := propsStmt.ExecContext(bg, snapID, u.ID, props); err != nil {
				return fmt.Errorf("insert properties of user %q: %w", u.ID, err)
			}
		}
		if err := insertHolders(bg, holderStmt, snapID, u); err != nil {
			return err
		}
		if err := insertUserKeys(bg, keyStmt, snapID, u); err != nil {
			return err
		}
		for _, l := range u.AssignedLicenses {
			if _, err := assignedStmt.ExecContext(bg, snapID, u.ID, model.NormalizeID(l.SKUID), guidList(l.DisabledPlans)); err != nil {
				return fmt.Errorf("insert license %q of user %q: %w", l.SKUID, u.ID, err)
			}
		}
		for _, st := range u.LicenseStates {
			if _, err := stateStmt.ExecContext(bg, snapID, u.ID, model.NormalizeID(st.SKUID), st.AssignedByGroup, st.State,
				st.Error, guidList(st.DisabledPlans), timeToDB(st.LastUpdated)); err != nil {
				return fmt.Errorf("insert license state %q of user %q: %w", st.SKUID, u.ID, err)
			}
		}
	}
	return nil
}

// userTables hold a snapshot's rows about each user (by user_id), besides snapshot_users.
var userTables = []string{"snapshot_holders", "snapshot_user_props", "snapshot_user_states", "snapshot_user_assigned", "snapshot_user_keys"}

// snapshotTables are deleted child first.
var snapshotTables = append(append(userTables[:len(userTables):len(userTables)], "snapshot_users", "snapshot_holder_values", "snapshot_sku_holders"),
	"snapshot_group_licenses", "snapshot_group_details", "snapshot_groups", "snapshot_sku_plans", "snapshot_skus")

// pruneSnapshots deletes every snapshot but current and the keepPrevious before it.
func pruneSnapshots(ctx context.Context, tx *sql.Tx, current int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM snapshots WHERE id < ? ORDER BY id DESC LIMIT -1 OFFSET ?`,
		current, keepPrevious)
	if err != nil {
		return fmt.Errorf("prune snapshots: %w", err)
	}
	var old []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("prune snapshots: %w", err)
		}
		old = append(old, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("prune snapshots: %w", err)
	}
	for _, id := range old {
		for _, table := range snapshotTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE snapshot_id = ?`, id); err != nil {
				return fmt.Errorf("prune snapshot %d from %s: %w", id, table, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM snapshots WHERE id = ?`, id); err != nil {
			return fmt.Errorf("prune snapshot %d: %w", id, err)
		}
	}
	return nil
}

// CurrentSnapshot identifies the snapshot pages read; ErrNotFound before the first sync.
func (s *Store) CurrentSnapshot(ctx context.Context) (model.SnapshotInfo, error) {
	return currentSnapshot(ctx, s.rdb)
}

// currentSnapshot is CurrentSnapshot as q sees it: inside a transaction, the snapshot the rest
// of the transaction reads or writes.
func currentSnapshot(ctx context.Context, q querier) (model.SnapshotInfo, error) {
	var info model.SnapshotInfo
	var runID sql.NullInt64
	var taken int64
	err := q.QueryRowContext(ctx, `
		SELECT s.id, s.run_id, s.taken_at FROM current_snapshot c JOIN snapshots s ON s.id = c.snapshot_id`).
		Scan(&info.ID, &runID, &taken)
	if errors.Is(err, sql.ErrNoRows) {
		return model.SnapshotInfo{}, fmt.Errorf("current snapshot: %w", model.ErrNotFound)
	} else if err != nil {
		return model.SnapshotInfo{}, fmt.Errorf("current snapshot: %w", err)
	}
	info.RunID = runID.Int64
	info.TakenAt = timeFromDB(sql.NullInt64{Int64: taken, Valid: true})
	return info, nil
}

// hasErrors is User.HasLicenseErrors for errors not normalised yet.
func hasErrors(u *model.User) bool {
	for _, st := range u.LicenseStates {
		if st.Error != model.ErrorNone {
			return true
		}
	}
	return false
}
