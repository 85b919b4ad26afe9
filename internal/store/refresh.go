package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// SnapshotRefresh patches the current snapshot in place: an incremental refresh stages the
// users it read in a snapshot of its own (never current, cleared if the process dies), then
// Commit moves them into the current snapshot, replaces subscriptions and groups, and derives
// holders, counts and totals again, in one transaction. The database does not grow with each
// refresh: no snapshot is added, and the staging rows are freed for reuse.
type SnapshotRefresh struct {
	// subs replace the snapshot's subscriptions at Commit when set (SetSubscriptions).
	subs *model.SnapshotExtras

	s       *Store
	base    model.RefreshBase
	stage   int64 // the staging snapshot
	runID   int64
	takenAt time.Time
	baseSeq int64           // patch sequence at the start (patches.go)
	mu      sync.Mutex      // guards removed: users are staged from several goroutines at once
	removed map[string]bool // staged removals
	done    bool
}

// BeginRefresh starts an incremental refresh of the current snapshot for sync run runID, its
// data as of takenAt. ErrNotFound when there is no snapshot yet.
func (s *Store) BeginRefresh(ctx context.Context, runID int64, takenAt time.Time) (model.SnapshotRefresh, error) {
	if takenAt.IsZero() {
		takenAt = s.Now()
	}
	r := &SnapshotRefresh{s: s, runID: runID, takenAt: takenAt, removed: map[string]bool{}}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := clearAbandoned(ctx, tx); err != nil {
			return err
		}
		var err error
		if r.base, err = refreshBase(ctx, tx); err != nil {
			return err
		}
		if r.baseSeq, err = patchSeq(ctx, tx); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO snapshots (run_id, taken_at, saved_at, user_count, licensed_users,
				users_with_errors, complete) VALUES (?, ?, ?, 0, 0, 0, 0)`,
			sql.NullInt64{Int64: runID, Valid: runID != 0}, timeToDB(takenAt), timeToDB(s.Now()))
		if err != nil {
			return fmt.Errorf("insert staging snapshot: %w", err)
		}
		r.stage, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("begin refresh: %w", err)
	}
	return r, nil
}

// refreshBase reads what a refresh starts from out of the current snapshot.
func refreshBase(ctx context.Context, q querier) (model.RefreshBase, error) {
	info, err := currentSnapshot(ctx, q)
	if err != nil {
		return model.RefreshBase{}, err
	}
	b := model.RefreshBase{Snapshot: info, Groups: map[string]model.StoredGroup{}, SKUStatus: map[string]string{}}
	if err := q.QueryRowContext(ctx, `SELECT users_delta_link, groups_delta_link FROM snapshots WHERE id = ?`, info.ID).
		Scan(&b.Links.Users, &b.Links.Groups); err != nil {
		return b, fmt.Errorf("delta links: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT g.id, g.processing_state, g.member_count, g.user_count, l.sku_id, l.disabled_plans
		FROM snapshot_groups g LEFT JOIN snapshot_group_licenses l ON l.snapshot_id = g.snapshot_id AND l.group_id = g.id
		WHERE g.snapshot_id = ? ORDER BY g.id, l.sku_id`, info.ID)
	if err != nil {
		return b, fmt.Errorf("stored groups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g model.StoredGroup
		var sku, plans sql.NullString
		if err := rows.Scan(&g.ID, &g.ProcessingState, &g.MemberCount, &g.UserCount, &sku, &plans); err != nil {
			return b, fmt.Errorf("stored groups: %w", err)
		}
		if have, ok := b.Groups[g.ID]; ok {
			g = have
		}
		if sku.Valid {
			l := model.AssignedLicense{SKUID: sku.String}
			if l.DisabledPlans, err = parseList(plans.String); err != nil {
				return b, fmt.Errorf("stored groups: %w", err)
			}
			g.Template = append(g.Template, l)
		}
		b.Groups[g.ID] = g
	}
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("stored groups: %w", err)
	}
	srows, err := q.QueryContext(ctx, `SELECT sku_id, capability_status FROM snapshot_skus WHERE snapshot_id = ?`, info.ID)
	if err != nil {
		return b, fmt.Errorf("stored subscriptions: %w", err)
	}
	defer srows.Close()
	for srows.Next() {
		var id, status string
		if err := srows.Scan(&id, &status); err != nil {
			return b, fmt.Errorf("stored subscriptions: %w", err)
		}
		b.SKUStatus[id] = status
	}
	return b, srows.Err()
}

// Base is what the refresh starts from.
func (r *SnapshotRefresh) Base() model.RefreshBase { return r.base }

// SetSubscriptions gives Commit the subscriptions to replace the snapshot's with, or why they
// could not be read.
func (r *SnapshotRefresh) SetSubscriptions(subs []model.Subscription, missing string) {
	r.subs = &model.SnapshotExtras{Subscriptions: subs, SubscriptionsMissing: missing}
}

// UsersInError are the users of the snapshot in license error with a state from one of the
// groups.
func (r *SnapshotRefresh) UsersInError(ctx context.Context, groupIDs []string) ([]string, error) {
	return r.userIDs(ctx, `SELECT DISTINCT s.user_id FROM snapshot_user_states s
		JOIN snapshot_users u ON u.snapshot_id = s.snapshot_id AND u.id = s.user_id
		WHERE s.snapshot_id = ?1 AND u.has_errors AND s.assigned_by_group IN (SELECT value FROM json_each(?2))
		ORDER BY s.user_id`, groupIDs)
}

// UsersOutside are the users of the snapshot with a license state from a group not among
// groupIDs (a group that stopped assigning licenses or was deleted).
func (r *SnapshotRefresh) UsersOutside(ctx context.Context, groupIDs []string) ([]string, error) {
	return r.userIDs(ctx, `SELECT DISTINCT user_id FROM snapshot_user_states
		WHERE snapshot_id = ?1 AND assigned_by_group <> '' AND assigned_by_group NOT IN (SELECT value FROM json_each(?2))
		ORDER BY user_id`, groupIDs)
}

// DirectHolders are the users of the snapshot with a direct license state of one of the SKUs.
func (r *SnapshotRefresh) DirectHolders(ctx context.Context, skuIDs []string) ([]string, error) {
	return r.userIDs(ctx, `SELECT DISTINCT user_id FROM snapshot_user_states
		WHERE snapshot_id = ?1 AND assigned_by_group = '' AND sku_id IN (SELECT value FROM json_each(?2))
		ORDER BY user_id`, skuIDs)
}

func (r *SnapshotRefresh) userIDs(ctx context.Context, query string, groupIDs []string) ([]string, error) {
	ids, err := queryColumn[string](ctx, r.s.rdb, query, r.base.Snapshot.ID, idsJSON(groupIDs))
	if err != nil {
		return nil, fmt.Errorf("users to re-read: %w", err)
	}
	return ids, nil
}

// PutUsers stages users as just read, in a transaction of their own; what was staged of them
// before is replaced.
func (r *SnapshotRefresh) PutUsers(ctx context.Context, users []model.User) error {
	if r.done {
		return errors.New("stage users: the refresh is finished")
	}
	list := uniqueBy(users, func(u model.User) string { return u.ID })
	ids := make([]string, 0, len(list))
	for _, u := range list {
		if u.ID == "" {
			return fmt.Errorf("stage users: a user without id (%q)", u.DisplayName)
		}
		ids = append(ids, u.ID)
	}
	r.mu.Lock()
	for _, id := range ids {
		delete(r.removed, id)
	}
	r.mu.Unlock()
	if len(list) == 0 {
		return nil
	}
	err := r.s.inTx(ctx, func(tx *sql.Tx) error {
		if err := deleteUserRows(ctx, tx, r.stage, ids); err != nil {
			return err
		}
		return insertUsers(ctx, context.WithoutCancel(ctx), tx, r.stage, list)
	})
	if err != nil {
		return fmt.Errorf("stage users: %w", err)
	}
	return nil
}

// RemoveUsers stages the removal of users.
func (r *SnapshotRefresh) RemoveUsers(ctx context.Context, ids []string) error {
	if r.done {
		return errors.New("stage removals: the refresh is finished")
	}
	if len(ids) == 0 {
		return nil
	}
	r.mu.Lock()
	for _, id := range ids {
		r.removed[id] = true
	}
	r.mu.Unlock()
	err := r.s.inTx(ctx, func(tx *sql.Tx) error { return deleteUserRows(ctx, tx, r.stage, ids) })
	if err != nil {
		return fmt.Errorf("stage removals: %w", err)
	}
	return nil
}

// deleteUserRows deletes what snapshot snapID holds of users ids, derived holders included.
func deleteUserRows(ctx context.Context, tx *sql.Tx, snapID int64, ids []string) error {
	for _, table := range append(userTables[:len(userTables):len(userTables)], "snapshot_users") {
		col := "user_id"
		if table == "snapshot_users" {
			col = "id"
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE snapshot_id = ?1 AND `+col+
			` IN (SELECT value FROM json_each(?2))`, snapID, idsJSON(ids)); err != nil {
			return fmt.Errorf("remove rows from %s: %w", table, err)
		}
	}
	return nil
}

// Commit applies the refresh to the snapshot it began from, in one transaction: staged users
// replace theirs (except users a reprocess patched after the refresh began, which stay as
// patched), staged removals go, subscriptions and licensed groups are replaced (a group patched
// meanwhile keeps its patched state and template), member counts not given stay, and
// everything derived from users is derived again. It fails, changing nothing, when another
// sync replaced the snapshot meanwhile.
func (r *SnapshotRefresh) Commit(ctx context.Context, skus []model.SKU, groups []model.Group, counts map[string]model.MemberCounts, links model.DeltaLinks) (model.RefreshStats, error) {
	if r.done {
		return model.RefreshStats{}, errors.New("commit refresh: already finished")
	}
	var stats model.RefreshStats
	snapID := r.base.Snapshot.ID
	err := r.s.inTx(ctx, func(tx *sql.Tx) error {
		bg := context.WithoutCancel(ctx)
		cur, err := currentSnapshot(bg, tx)
		if err != nil {
			return err
		}
		if cur.ID != snapID {
			return fmt.Errorf("another sync replaced snapshot %d with %d meanwhile: this refresh is not applied", snapID, cur.ID)
		}
		if err := r.applyUsers(bg, tx, &stats); err != nil {
			return err
		}
		if _, err := tx.ExecContext(bg, `DELETE FROM snapshot_sku_plans WHERE snapshot_id = ?`, snapID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(bg, `DELETE FROM snapshot_skus WHERE snapshot_id = ?`, snapID); err != nil {
			return err
		}
		if err := insertSKUs(bg, tx, snapID, skus); err != nil {
			return err
		}
		if err := recordSKUHistoryChanges(bg, tx, r.takenAt, skus); err != nil {
			return err
		}
		derived, err := r.replaceGroups(bg, tx, groups, counts)
		if err != nil {
			return err
		}
		if err := r.refreshHealthData(bg, tx); err != nil {
			return err
		}
		if err := updateLicenseKeys(bg, tx, snapID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(bg, `DELETE FROM snapshot_holder_values WHERE snapshot_id = ?`, snapID); err != nil {
			return err
		}
		if err := addHolderValues(bg, tx, snapID, nil); err != nil {
			return err
		}
		if err := countHolders(bg, tx, snapID); err != nil {
			return err
		}
		if err := recountGroups(bg, tx, snapID, nil); err != nil {
			return err
		}
		if _, err := tx.ExecContext(bg, `UPDATE snapshot_groups SET member_count = member_count + user_count
				WHERE snapshot_id = ?1 AND id IN (SELECT value FROM json_each(?2))`, snapID, idsJSON(derived)); err != nil {
			return fmt.Errorf("count the members of groups whose users changed: %w", err)
		}
		if err := recountSnapshot(bg, tx, snapID); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// The data changed in place: the patch sequence moves so DataVersion does (no rows are
		// stamped with it, so no other sync keeps anything for it, and no sorted view is carried
		// across it: unstamped_seq).
		seq, err := nextPatchSeq(bg, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(bg, `UPDATE snapshots SET taken_at = ?, saved_at = ?, run_id = ?, refreshed_kind = 'incremental',
				users_delta_link = ?, groups_delta_link = ?, unstamped_seq = ? WHERE id = ?`,
			timeToDB(r.takenAt), timeToDB(r.s.Now()), sql.NullInt64{Int64: r.runID, Valid: r.runID != 0},
			links.Users, links.Groups, seq, snapID); err != nil {
			return fmt.Errorf("record the refresh: %w", err)
		}
		return deleteSnapshots(bg, tx, []int64{r.stage})
	})
	if err != nil {
		return model.RefreshStats{}, errors.Join(fmt.Errorf("commit refresh of snapshot %d: %w", snapID, err), r.Abort(context.WithoutCancel(ctx)))
	}
	r.done = true
	return stats, nil
}

// applyUsers moves the staged users into the snapshot and takes the removed ones out; users
// patched after the refresh began are left as they are. Holders of the users changed are
// derived again.
func (r *SnapshotRefresh) applyUsers(ctx context.Context, tx *sql.Tx, stats *model.RefreshStats) error {
	snapID := r.base.Snapshot.ID
	patchedList, err := patchedIDs(ctx, tx, "snapshot_users", snapID, r.baseSeq)
	if err != nil {
		return err
	}
	patched := map[string]bool{}
	for _, id := range patchedList {
		patched[id] = true
	}
	staged, err := r.stagedIDs(ctx, tx)
	if err != nil {
		return err
	}
	var keep []string
	changed := []string{} // not nil: deriveHolders takes nil for every user
	for _, id := range staged {
		if patched[id] {
			keep = append(keep, id)
		} else {
			changed = append(changed, id)
		}
	}
	if err := deleteUserRows(ctx, tx, r.stage, keep); err != nil {
		return err
	}
	var removed []string
	for id := range r.removed {
		if patched[id] {
			keep = append(keep, id)
		} else {
			removed = append(removed, id)
		}
	}
	if err := deleteUserRows(ctx, tx, snapID, append(changed, removed...)); err != nil {
		return err
	}
	for _, t := range userRowTables {
		if _, err := tx.ExecContext(ctx, `UPDATE `+t[0]+` SET snapshot_id = ? WHERE snapshot_id = ?`, snapID, r.stage); err != nil {
			return fmt.Errorf("move staged rows of %s: %w", t[0], err)
		}
	}
	if err := deriveHolders(ctx, tx, snapID, changed); err != nil {
		return err
	}
	stats.Changed, stats.Removed, stats.Kept = len(changed), len(removed), len(keep)
	return nil
}

func (r *SnapshotRefresh) stagedIDs(ctx context.Context, tx *sql.Tx) ([]string, error) {
	ids, err := queryColumn[string](ctx, tx, `SELECT id FROM snapshot_users WHERE snapshot_id = ?`, r.stage)
	if err != nil {
		return nil, fmt.Errorf("staged users: %w", err)
	}
	return ids, nil
}

// replaceGroups replaces the snapshot's licensed groups with groups. Counts come from counts,
// else from the snapshot (the user count derived from license states for processed groups);
// a group patched after the refresh began keeps its processing state and template, and stays
// even when Graph no longer listed it.
//
// Groups whose counts say KeepNonUsers get the non-user members they had written as their
// member count; they are returned, for the caller to add the user members once those are
// counted from the license states.
func (r *SnapshotRefresh) replaceGroups(ctx context.Context, tx *sql.Tx, groups []model.Group, counts map[string]model.MemberCounts) ([]string, error) {
	snapID := r.base.Snapshot.ID
	patched, err := patchedIDs(ctx, tx, "snapshot_groups", snapID, r.baseSeq)
	if err != nil {
		return nil, err
	}
	old, err := loadGroups(ctx, tx, snapID, patched)
	if err != nil {
		return nil, err
	}
	stored, err := refreshBase(ctx, tx) // as it is now: a patch may have landed since Begin
	if err != nil {
		return nil, err
	}
	var unique []*model.Group
	listed := map[string]bool{}
	for _, g := range uniqueBy(groups, func(g model.Group) string { return g.ID }) {
		c := *g // the caller's groups stay as they are
		listed[c.ID] = true
		if p, ok := old[c.ID]; ok {
			c.ProcessingState, c.AssignedLicenses = p.ProcessingState, p.AssignedLicenses
		}
		unique = append(unique, &c)
	}
	for _, id := range patched {
		if p, ok := old[id]; ok && !listed[id] {
			unique = append(unique, &p.Group)
		}
	}
	all := make(map[string]model.MemberCounts, len(unique))
	var derived []string
	for _, g := range unique {
		c, ok := counts[g.ID]
		s, wasStored := stored.Groups[g.ID]
		switch {
		case ok && c.KeepNonUsers && !wasStored:
			return nil, fmt.Errorf("replace groups: group %s is not in the snapshot: its members must be counted", g.ID)
		case ok && c.KeepNonUsers && g.ProcessingState == model.ProcessingComplete:
			c = model.MemberCounts{All: s.MemberCount - s.UserCount}
			derived = append(derived, g.ID)
		case !ok, c.KeepNonUsers: // KeepNonUsers of a group a patch set processing meanwhile: the next refresh counts it

			c = model.MemberCounts{All: s.MemberCount, Users: s.UserCount}
		}
		if g.ProcessingState == model.ProcessingComplete {
			c.UsersFromStates = true
		}
		all[g.ID] = c
	}
	for _, table := range []string{"snapshot_group_licenses", "snapshot_group_details", "snapshot_groups"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE snapshot_id = ?`, snapID); err != nil {
			return nil, fmt.Errorf("replace groups: %w", err)
		}
	}
	if err := insertGroups(ctx, tx, snapID, unique, all); err != nil {
		return nil, err
	}
	for _, id := range patched {
		if _, err := tx.ExecContext(ctx, `UPDATE snapshot_groups SET patched_seq = ? WHERE snapshot_id = ? AND id = ?`,
			old[id].patchedSeq, snapID, id); err != nil {
			return nil, fmt.Errorf("keep patched group %s: %w", id, err)
		}
	}
	return derived, nil
}

// storedGroup is a group as a snapshot holds it, with its patch number.
type storedGroup struct {
	model.Group
	patchedSeq int64
}

// loadGroups reads groups ids of snapshot snapID with details and template.
func loadGroups(ctx context.Context, q querier, snapID int64, ids []string) (map[string]storedGroup, error) {
	out := map[string]storedGroup{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT g.id, g.display_name, g.processing_state, g.patched_seq, d.description, d.mail,
			d.group_types, d.security_enabled, d.mail_enabled, d.membership_rule, d.created_at
		FROM snapshot_groups g JOIN snapshot_group_details d ON d.snapshot_id = g.snapshot_id AND d.group_id = g.id
		WHERE g.snapshot_id = ?1 AND g.id IN (SELECT value FROM json_each(?2))`, snapID, idsJSON(ids))
	if err != nil {
		return nil, fmt.Errorf("patched groups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g storedGroup
		var types string
		var created sql.NullInt64
		if err := rows.Scan(&g.ID, &g.DisplayName, &g.ProcessingState, &g.patchedSeq, &g.Description, &g.Mail, &types,
			&g.SecurityEnabled, &g.MailEnabled, &g.MembershipRule, &created); err != nil {
			return nil, fmt.Errorf("patched groups: %w", err)
		}
		if g.GroupTypes, err = parseList(types); err != nil {
			return nil, fmt.Errorf("patched groups: %w", err)
		}
		g.CreatedAt = timeFromDB(created)
		out[g.ID] = g
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("patched groups: %w", err)
	}
	lrows, err := q.QueryContext(ctx, `SELECT group_id, sku_id, disabled_plans FROM snapshot_group_licenses
		WHERE snapshot_id = ?1 AND group_id IN (SELECT value FROM json_each(?2)) ORDER BY group_id, sku_id`, snapID, idsJSON(ids))
	if err != nil {
		return nil, fmt.Errorf("patched templates: %w", err)
	}
	defer lrows.Close()
	for lrows.Next() {
		var gid, sku, plans string
		if err := lrows.Scan(&gid, &sku, &plans); err != nil {
			return nil, fmt.Errorf("patched templates: %w", err)
		}
		l := model.AssignedLicense{SKUID: sku}
		if l.DisabledPlans, err = parseList(plans); err != nil {
			return nil, fmt.Errorf("patched templates: %w", err)
		}
		g := out[gid]
		g.AssignedLicenses = append(g.AssignedLicenses, l)
		out[gid] = g
	}
	return out, lrows.Err()
}

// Abort discards what was staged.
func (r *SnapshotRefresh) Abort(ctx context.Context) error {
	if r.done {
		return nil
	}
	r.done = true
	err := r.s.inTx(ctx, func(tx *sql.Tx) error { return deleteSnapshots(ctx, tx, []int64{r.stage}) })
	if err != nil {
		return fmt.Errorf("discard staged refresh: %w", err)
	}
	return nil
}
