package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Group license templates in the current snapshot: every licensed group with its template as
// the consequence engine needs it, and a group's new template (or a new licensed group) written
// in after tenantdesk changed it, so pages show the change before the next sync.

// LicensedGroups are the current snapshot's licensed groups with their templates, creation times,
// types, rules and processing states, ordered by name. ErrNotFound before the first sync.
func (s *Store) LicensedGroups(ctx context.Context) ([]model.Group, error) {
	return readValue(ctx, s, func(db querier) ([]model.Group, error) {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return nil, err
		}
		rows, err := db.QueryContext(ctx, `SELECT g.id, g.display_name, g.processing_state, d.description, d.group_types,
				d.security_enabled, d.mail_enabled, d.membership_rule, d.created_at, l.sku_id, l.disabled_plans
			FROM snapshot_groups g
			JOIN snapshot_group_details d ON d.snapshot_id = g.snapshot_id AND d.group_id = g.id
			LEFT JOIN snapshot_group_licenses l ON l.snapshot_id = g.snapshot_id AND l.group_id = g.id
			WHERE g.snapshot_id = ?
			ORDER BY g.sort_name, g.id, l.sku_id`, info.ID)
		if err != nil {
			return nil, fmt.Errorf("licensed groups: %w", err)
		}
		defer rows.Close()
		var out []model.Group
		for rows.Next() {
			var g model.Group
			var types string
			var created sql.NullInt64
			var sku, plans sql.NullString
			if err := rows.Scan(&g.ID, &g.DisplayName, &g.ProcessingState, &g.Description, &types, &g.SecurityEnabled,
				&g.MailEnabled, &g.MembershipRule, &created, &sku, &plans); err != nil {
				return nil, fmt.Errorf("licensed groups: %w", err)
			}
			if n := len(out); n > 0 && out[n-1].ID == g.ID {
				g = out[n-1]
				out = out[:n-1]
			} else {
				g.CreatedAt = timeFromDB(created)
				if g.GroupTypes, err = parseList(types); err != nil {
					return nil, fmt.Errorf("licensed group %q: %w", g.ID, err)
				}
			}
			if sku.Valid {
				l := model.AssignedLicense{SKUID: sku.String}
				if l.DisabledPlans, err = parseList(plans.String); err != nil {
					return nil, fmt.Errorf("licensed group %q: %w", g.ID, err)
				}
				g.AssignedLicenses = append(g.AssignedLicenses, l)
			}
			out = append(out, g)
		}
		return out, rows.Err()
	})
}

// SaveGroupTemplate writes g (as just read from Graph) into the current snapshot: its template,
// processing state, name and details. A group the snapshot does not have yet is added with
// counts (nil counts it 0); one it has keeps its member counts unless counts are given. A group
// that no longer assigns licenses leaves the licensed groups. Error counts and the report's sort
// keys are recomputed. ErrNotFound before the first sync.
func (s *Store) SaveGroupTemplate(ctx context.Context, g model.Group, counts *model.MemberCounts) error {
	if g.ID == "" {
		return errors.New("save group template: group without id")
	}
	var snapID int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		info, err := currentSnapshot(ctx, tx)
		if err != nil {
			return err
		}
		snapID = info.ID
		var c model.MemberCounts
		err = tx.QueryRowContext(ctx, `SELECT member_count, user_count FROM snapshot_groups WHERE snapshot_id = ? AND id = ?`,
			info.ID, g.ID).Scan(&c.All, &c.Users)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if counts != nil {
			c = *counts
		}
		for _, table := range []string{"snapshot_group_licenses", "snapshot_group_details"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE snapshot_id = ? AND group_id = ?`, info.ID, g.ID); err != nil {
				return fmt.Errorf("group %q: %w", g.ID, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM snapshot_groups WHERE snapshot_id = ? AND id = ?`, info.ID, g.ID); err != nil {
			return fmt.Errorf("group %q: %w", g.ID, err)
		}
		// A patch (see patches.go): a sync that began before it keeps this template.
		seq, err := nextPatchSeq(ctx, tx)
		if err != nil {
			return err
		}
		if len(g.AssignedLicenses) == 0 {
			return nil
		}
		if err := insertGroups(ctx, tx, info.ID, []*model.Group{&g}, map[string]model.MemberCounts{g.ID: c}); err != nil {
			return err
		}
		if err := markPatched(ctx, tx, "snapshot_groups", info.ID, seq, []string{g.ID}); err != nil {
			return err
		}
		if err := recountGroups(ctx, tx, info.ID, []string{g.ID}); err != nil {
			return err
		}
		return updateLicenseKeys(ctx, tx, info.ID)
	})
	if err != nil {
		return fmt.Errorf("save template of group %q in snapshot %d: %w", g.ID, snapID, err)
	}
	return nil
}
