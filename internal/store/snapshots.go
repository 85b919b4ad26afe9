package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
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

// SaveSnapshot writes snap under a new snapshot id and makes it current: on any error (ctx
// cancelled included) nothing changes and the previous snapshot stays current. Snapshots older
// than the previous one are deleted. Users and groups that appear twice are written once (the
// first wins), and so are duplicate license entries. A sync streams pages through a
// SnapshotWriter instead; this is the same for a snapshot already in memory.
func (s *Store) SaveSnapshot(ctx context.Context, runID int64, snap model.Snapshot) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	w, err := s.BeginSnapshot(ctx, runID, snap.TakenAt)
	if err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	for page := range slices.Chunk(snap.Users, 4096) {
		if err := w.AddUsers(ctx, page); err != nil {
			return errors.Join(fmt.Errorf("save snapshot: %w", err), w.Abort(context.WithoutCancel(ctx)))
		}
	}
	if err := w.AddSignIns(ctx, snap.SignIns); err != nil {
		return errors.Join(fmt.Errorf("save snapshot: %w", err), w.Abort(context.WithoutCancel(ctx)))
	}
	if snap.Extras != nil {
		w.SetExtras(*snap.Extras)
	}
	return w.Commit(ctx, snap.SKUs, snap.Groups, snap.MemberCounts)
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

// insertGroups writes the licensed groups with their member counts; error counts, and user
// counts Graph did not give (written as -1), are derived from the users afterwards.
func insertGroups(ctx context.Context, tx *sql.Tx, snapID int64, groups []*model.Group, counts map[string]model.MemberCounts) error {
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
		users := c.Users
		if c.UsersFromStates {
			users = -1
		}
		if _, err := groupStmt.ExecContext(ctx, snapID, g.ID, g.DisplayName, fold(g.DisplayName), g.ProcessingState,
			c.All, users, 0); err != nil {
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

// insertUsers writes users into snapshot snapID with their properties, licenses, states and
// search keys (deriveHolders then derives their holdings), a prepared statement per table; a
// user already there is left as it is. Statements run with bg; ctx is checked between users.
func insertUsers(ctx, bg context.Context, tx *sql.Tx, snapID int64, users []*model.User) error {
	ins := []*rowInserter{
		newRowInserter(tx, "snapshot_users", []string{"snapshot_id", "id", "display_name", "upn", "mail", "given_name",
			"surname", "department", "job_title", "company_name", "employee_id", "city", "country", "usage_location",
			"user_type", "account_enabled", "on_prem_sync", "created_at", "has_errors", "sort_name", "search_text", "licensed"}, snapID, " ON CONFLICT DO NOTHING"),
		newRowInserter(tx, "snapshot_user_props", []string{"snapshot_id", "user_id", "props"}, snapID, " ON CONFLICT DO NOTHING"),
		newRowInserter(tx, "snapshot_user_assigned", []string{"snapshot_id", "user_id", "sku_id", "disabled_plans"}, snapID,
			" ON CONFLICT DO NOTHING"),
		newRowInserter(tx, "snapshot_user_states", []string{"snapshot_id", "user_id", "sku_id", "assigned_by_group", "state",
			"error", "disabled_plans", "last_updated"}, snapID, " ON CONFLICT DO NOTHING"),
		newRowInserter(tx, "snapshot_user_keys", []string{"snapshot_id", "key", "user_id"}, snapID, " ON CONFLICT DO NOTHING"),
	}
	defer func() {
		for _, r := range ins {
			r.close()
		}
	}()
	userRows, propRows, assignedRows, stateRows, keyRows := ins[0], ins[1], ins[2], ins[3], ins[4]
	var keys []userKeyRow
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
		if err := userRows.add(bg, u.ID, u.DisplayName, u.UserPrincipalName, u.Mail,
			u.GivenName, u.Surname, u.Department, u.JobTitle, u.CompanyName, u.EmployeeID, u.City, u.Country,
			u.UsageLocation, u.UserType, u.AccountEnabled, u.OnPremisesSyncEnabled, timeToDB(u.CreatedAt),
			hasErrors(u), fold(u.DisplayName), searchText(u), len(u.AssignedLicenses) > 0); err != nil {
			return fmt.Errorf("insert users: %w", err)
		}
		if props != "{}" {
			if err := propRows.add(bg, u.ID, props); err != nil {
				return fmt.Errorf("insert user properties: %w", err)
			}
		}
		keys = appendUserKeys(keys, u)
		for _, l := range u.AssignedLicenses {
			if err := assignedRows.add(bg, u.ID, model.NormalizeID(l.SKUID), guidList(l.DisabledPlans)); err != nil {
				return fmt.Errorf("insert assigned licenses: %w", err)
			}
		}
		for _, st := range u.LicenseStates {
			if err := stateRows.add(bg, u.ID, model.NormalizeID(st.SKUID), st.AssignedByGroup, st.State,
				st.Error, guidList(st.DisabledPlans), timeToDB(st.LastUpdated)); err != nil {
				return fmt.Errorf("insert license states: %w", err)
			}
		}
	}
	return insertUserKeys(ctx, bg, keyRows, keys)
}

// userTables hold a snapshot's rows about each user (by user_id), besides snapshot_users.
var userTables = []string{"snapshot_holders", "snapshot_user_props", "snapshot_user_states", "snapshot_user_assigned", "snapshot_user_keys"}

// snapshotTables are deleted child first.
var snapshotTables = append(append(userTables[:len(userTables):len(userTables)], "snapshot_signins", "snapshot_users", "snapshot_holder_values", "snapshot_sku_holders", "snapshot_subscriptions", "snapshot_nested_groups"),
	"snapshot_group_licenses", "snapshot_group_details", "snapshot_groups", "snapshot_sku_plans", "snapshot_skus")

// pruneSnapshots deletes every snapshot older than current but the keepPrevious complete ones
// before it (unfinished ones among them go too).
func pruneSnapshots(ctx context.Context, tx *sql.Tx, current int64) error {
	old, err := collectIDs(ctx, tx, `SELECT id FROM snapshots WHERE id < ?1 AND (complete = 0 OR id NOT IN
		(SELECT id FROM snapshots WHERE id < ?1 AND complete = 1 ORDER BY id DESC LIMIT ?2))`, current, keepPrevious)
	if err != nil {
		return fmt.Errorf("prune snapshots: %w", err)
	}
	return deleteSnapshots(ctx, tx, old)
}

// CurrentSnapshot identifies the snapshot pages read; ErrNotFound before the first sync.
func (s *Store) CurrentSnapshot(ctx context.Context) (model.SnapshotInfo, error) {
	return currentSnapshot(ctx, s.rdb)
}

// currentSnapshot is CurrentSnapshot as q sees it: inside a transaction, the snapshot the rest
// of the transaction reads or writes.
func currentSnapshot(ctx context.Context, q querier) (model.SnapshotInfo, error) {
	var info model.SnapshotInfo
	var runID, full sql.NullInt64
	var taken int64
	err := q.QueryRowContext(ctx, `
		SELECT s.id, s.run_id, s.taken_at, s.refreshed_kind, s.full_taken_at
		FROM current_snapshot c JOIN snapshots s ON s.id = c.snapshot_id`).
		Scan(&info.ID, &runID, &taken, &info.Kind, &full)
	if errors.Is(err, sql.ErrNoRows) {
		return model.SnapshotInfo{}, fmt.Errorf("current snapshot: %w", model.ErrNotFound)
	} else if err != nil {
		return model.SnapshotInfo{}, fmt.Errorf("current snapshot: %w", err)
	}
	info.RunID = runID.Int64
	info.TakenAt = timeFromDB(sql.NullInt64{Int64: taken, Valid: true})
	info.FullAt = timeFromDB(full)
	if info.FullAt.IsZero() {
		info.FullAt = info.TakenAt
	}
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

// DataVersion is a value that changes whenever the current snapshot's data does: another
// snapshot becomes current, a refresh patches it in place (its run and save time change), or a
// reprocess, cleanup or template change patches it, or product names are imported (the patch
// sequence moves). Pages keep what they worked out from the data while it stays the same.
func (s *Store) DataVersion(ctx context.Context) (string, error) {
	_, v, err := dataVersion(ctx, s.rdb)
	return v, err
}

// dataVersion is the current snapshot's id and DataVersion as q sees the data: read in the
// transaction of a read, it is the version of exactly what that read sees.
func dataVersion(ctx context.Context, q querier) (int64, string, error) {
	v, err := readVersion(ctx, q)
	return v.snapshot, v.String(), err
}

// version is what a DataVersion is made of. unstamped is not part of it: the patch number at the
// latest change of the snapshot's users in place that stamped none of them (an incremental
// refresh; see holderorder.go).
type version struct {
	snapshot, run, saved, seq int64
	unstamped                 int64
}

func (v version) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", v.snapshot, v.run, v.saved, v.seq)
}

// parseVersion reads a DataVersion back; false if s is not one.
func parseVersion(s string) (version, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return version{}, false
	}
	var n [4]int64
	for i, p := range parts {
		x, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return version{}, false
		}
		n[i] = x
	}
	return version{snapshot: n[0], run: n[1], saved: n[2], seq: n[3]}, true
}

func readVersion(ctx context.Context, q querier) (version, error) {
	var v version
	err := q.QueryRowContext(ctx, `
		SELECT s.id, coalesce(s.run_id, 0), s.saved_at, (SELECT value FROM patch_seq WHERE id = 1), s.unstamped_seq
		FROM current_snapshot c JOIN snapshots s ON s.id = c.snapshot_id`).Scan(&v.snapshot, &v.run, &v.saved, &v.seq, &v.unstamped)
	if errors.Is(err, sql.ErrNoRows) {
		return version{}, fmt.Errorf("data version: %w", model.ErrNotFound)
	} else if err != nil {
		return version{}, fmt.Errorf("data version: %w", err)
	}
	return v, nil
}
