package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// No stale overwrite. A sync reads the tenant over seconds or minutes; meanwhile a reprocess
// (UpdateUsers) or a template change may patch the current snapshot with what Graph said after
// the sync read it. Every such patch takes the next number of the patch sequence and stamps the
// rows it wrote (snapshot_users.patched_seq, snapshot_groups.patched_seq). A sync remembers the
// sequence when it begins; when it saves, rows patched after that keep the patched data
// (carryPatched for a full sync, the refresh's commit for an incremental one), so what the sync
// read earlier never overwrites them.
//
// A store method that patches users or groups of the current snapshot with data read from Graph
// must stamp them with nextPatchSeq: markPatched does.

// nextPatchSeq takes the next number of the patch sequence.
func nextPatchSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var n int64
	if err := tx.QueryRowContext(ctx, `UPDATE patch_seq SET value = value + 1 WHERE id = 1 RETURNING value`).Scan(&n); err != nil {
		return 0, fmt.Errorf("patch sequence: %w", err)
	}
	return n, nil
}

// patchSeq is the number the last patch took (0 before any).
func patchSeq(ctx context.Context, q querier) (int64, error) {
	var n int64
	if err := q.QueryRowContext(ctx, `SELECT value FROM patch_seq WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("patch sequence: %w", err)
	}
	return n, nil
}

// markPatched stamps rows ids of table (snapshot_users or snapshot_groups) of snapshot snapID
// with patch number seq.
func markPatched(ctx context.Context, tx *sql.Tx, table string, snapID, seq int64, ids []string) error {
	_, err := tx.ExecContext(ctx, `UPDATE `+table+` SET patched_seq = ?1
		WHERE snapshot_id = ?2 AND id IN (SELECT value FROM json_each(?3))`, seq, snapID, idsJSON(ids))
	if err != nil {
		return fmt.Errorf("mark rows of %s patched: %w", table, err)
	}
	return nil
}

// patchedIDs are the users (or groups) of snapshot snapID patched after seq.
func patchedIDs(ctx context.Context, tx *sql.Tx, table string, snapID, after int64) ([]string, error) {
	ids, err := queryColumn[string](ctx, tx, `SELECT id FROM `+table+` WHERE snapshot_id = ? AND patched_seq > ?
		AND patched_seq > 0 -- so that the partial index of snapshot_users serves`, snapID, after)
	if err != nil {
		return nil, fmt.Errorf("patched rows of %s: %w", table, err)
	}
	return ids, nil
}

// userRowTables are the tables holding what a snapshot stores of a user as insertUsers writes
// it from what Graph said (the rest is derived from them), with the column naming the user.
var userRowTables = [][2]string{
	{"snapshot_users", "id"}, {"snapshot_user_props", "user_id"},
	{"snapshot_user_assigned", "user_id"}, {"snapshot_user_states", "user_id"},
	{"snapshot_user_keys", "user_id"},
}

// copyUserRows replaces the rows of users ids in snapshot dst with their rows in snapshot src
// (a user src lacks is left out of dst).
func copyUserRows(ctx context.Context, tx *sql.Tx, src, dst int64, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	for _, t := range userRowTables {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t[0]+` WHERE snapshot_id = ?1 AND `+t[1]+
			` IN (SELECT value FROM json_each(?2))`, dst, idsJSON(ids)); err != nil {
			return fmt.Errorf("replace patched users in %s: %w", t[0], err)
		}
		if err := copyRows(ctx, tx, t[0], src, dst, t[1]+` IN (SELECT value FROM json_each(?3))`, idsJSON(ids)); err != nil {
			return err
		}
	}
	return nil
}

// copyRows copies the rows of table in snapshot src matching where (which may use ?3 for arg)
// into snapshot dst, every column as it is.
func copyRows(ctx context.Context, tx *sql.Tx, table string, src, dst int64, where string, arg any) error {
	cols, err := tableColumns(ctx, tx, table)
	if err != nil {
		return err
	}
	list := strings.Join(cols, ", ")
	_, err = tx.ExecContext(ctx, `INSERT INTO `+table+` (snapshot_id, `+list+`) SELECT ?1, `+list+
		` FROM `+table+` WHERE snapshot_id = ?2 AND `+where, dst, src, arg)
	if err != nil {
		return fmt.Errorf("copy rows of %s: %w", table, err)
	}
	return nil
}

// tableColumns are a snapshot table's columns but snapshot_id, as the schema has them now (so a
// column a later migration adds is copied too).
func tableColumns(ctx context.Context, q querier, table string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		if c != "snapshot_id" {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("columns of %s: no such table", table)
	}
	return cols, rows.Err()
}

// carryPatched keeps in snapshot dst, being saved by a sync that began at patch number after,
// what was patched in snapshot src (the current one) since: the users' rows as patched, and
// the groups' processing state and license template. It returns the users carried.
func carryPatched(ctx context.Context, tx *sql.Tx, src, dst, after int64) ([]string, error) {
	users, err := patchedIDs(ctx, tx, "snapshot_users", src, after)
	if err != nil {
		return nil, err
	}
	if err := copyUserRows(ctx, tx, src, dst, users); err != nil {
		return nil, err
	}
	groups, err := patchedIDs(ctx, tx, "snapshot_groups", src, after)
	if err != nil || len(groups) == 0 {
		return users, err
	}
	arg := idsJSON(groups)
	// Groups the sync read too get the patched state and template; a group it did not read as
	// licensed comes over whole.
	if _, err := tx.ExecContext(ctx, `UPDATE snapshot_groups SET processing_state = s.processing_state, patched_seq = s.patched_seq
		FROM (SELECT id, processing_state, patched_seq FROM snapshot_groups
			WHERE snapshot_id = ?2 AND id IN (SELECT value FROM json_each(?3))) AS s
		WHERE snapshot_groups.snapshot_id = ?1 AND snapshot_groups.id = s.id`, dst, src, arg); err != nil {
		return nil, fmt.Errorf("carry patched groups: %w", err)
	}
	notInDst := `(SELECT id FROM snapshot_groups WHERE snapshot_id = ?1)`
	if err := copyRows(ctx, tx, "snapshot_group_details", src, dst,
		`group_id IN (SELECT value FROM json_each(?3)) AND group_id NOT IN `+notInDst, arg); err != nil {
		return nil, err
	}
	if err := copyRows(ctx, tx, "snapshot_groups", src, dst,
		`id IN (SELECT value FROM json_each(?3)) AND id NOT IN `+notInDst, arg); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM snapshot_group_licenses WHERE snapshot_id = ?1
		AND group_id IN (SELECT value FROM json_each(?2))`, dst, arg); err != nil {
		return nil, fmt.Errorf("carry patched templates: %w", err)
	}
	if err := copyRows(ctx, tx, "snapshot_group_licenses", src, dst, `group_id IN (SELECT value FROM json_each(?3))`, arg); err != nil {
		return nil, err
	}
	return users, nil
}
