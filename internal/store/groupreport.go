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

// Page sizes of the group report.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

const reportColumns = `id, display_name, member_count, user_count, error_count, processing_state`

// reportWhere is the WHERE clause (and its arguments) of the report's filter.
func reportWhere(snapID int64, q model.GroupReportQuery) (string, []any) {
	where := "snapshot_id = ?"
	args := []any{snapID}
	// A part of the name, or a whole object id: a part of an id matches by chance ("a1" is in
	// many GUIDs). instr, not LIKE: the search is a plain substring, so % _ and \ in it mean
	// themselves.
	if search := fold(strings.TrimSpace(q.Search)); search != "" {
		where += " AND (instr(sort_name, ?) > 0 OR lower(id) = ?)"
		args = append(args, search, model.NormalizeID(search))
	}
	if q.OnlyErrors {
		where += " AND error_count > 0"
	}
	return where, args
}

// reportOrder is the ORDER BY clause; ties are broken by name then id so paging is stable. Only
// fixed strings are used, never the query's text.
func reportOrder(q model.GroupReportQuery) string {
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	var col string
	switch q.Sort {
	case model.GroupSortID:
		return "id" + dir
	case model.GroupSortMembers:
		col = "member_count"
	case model.GroupSortErrors:
		col = "error_count"
	case model.GroupSortLicenses:
		col = "licenses_key"
	case model.GroupSortProcessing:
		col = "processing_state"
	default: // model.GroupSortName and anything unknown
		return "sort_name" + dir + ", id" + dir
	}
	return col + dir + ", sort_name, id"
}

// GroupReport is one page of the licensed groups of the current snapshot, filtered and sorted as
// q says. A page past the end is clamped to the last page. ErrNotFound before the first sync.
func (s *Store) GroupReport(ctx context.Context, q model.GroupReportQuery) (model.GroupReportPage, error) {
	return readValue(ctx, s, func(db querier) (model.GroupReportPage, error) { return groupReport(ctx, db, q) })
}

func groupReport(ctx context.Context, db querier, q model.GroupReportQuery) (model.GroupReportPage, error) {
	info, err := currentSnapshot(ctx, db)
	if err != nil {
		return model.GroupReportPage{}, err
	}
	size := q.PageSize
	switch {
	case size < 1:
		size = DefaultPageSize
	case size > MaxPageSize:
		size = MaxPageSize
	}
	where, args := reportWhere(info.ID, q)
	var total int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM snapshot_groups WHERE `+where, args...).Scan(&total); err != nil {
		return model.GroupReportPage{}, fmt.Errorf("group report: count: %w", err)
	}
	page := max(q.Page, 1)
	if last := model.Pages(total, size); page > last {
		page = last
	}
	result := model.GroupReportPage{Rows: []model.GroupReportRow{}, Total: total, Page: page, PageSize: size}
	rows, err := db.QueryContext(ctx, `SELECT `+reportColumns+` FROM snapshot_groups WHERE `+where+
		` ORDER BY `+reportOrder(q)+` LIMIT ? OFFSET ?`, append(args, size, (page-1)*size)...)
	if err != nil {
		return model.GroupReportPage{}, fmt.Errorf("group report: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		r, err := scanReportRow(rows)
		if err != nil {
			return model.GroupReportPage{}, fmt.Errorf("group report: %w", err)
		}
		result.Rows = append(result.Rows, r)
		ids = append(ids, r.ID)
	}
	if err := rows.Err(); err != nil {
		return model.GroupReportPage{}, fmt.Errorf("group report: %w", err)
	}
	rows.Close()
	if len(ids) == 0 {
		return result, nil
	}
	names, err := groupLicenseNames(ctx, db, info.ID, ids)
	if err != nil {
		return model.GroupReportPage{}, fmt.Errorf("group report: %w", err)
	}
	for i := range result.Rows {
		result.Rows[i].Licenses = names[result.Rows[i].ID]
	}
	return result, nil
}

// EachGroupReportRow calls fn for every row q selects, in q's order, without paging (for CSV).
// It stops at fn's first error and returns it. ErrNotFound before the first sync. All rows come
// from one snapshot, however long fn takes.
func (s *Store) EachGroupReportRow(ctx context.Context, q model.GroupReportQuery, fn func(model.GroupReportRow) error) error {
	return s.read(ctx, func(db querier) error {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return err
		}
		names, err := groupLicenseNames(ctx, db, info.ID, nil)
		if err != nil {
			return fmt.Errorf("group report: %w", err)
		}
		where, args := reportWhere(info.ID, q)
		rows, err := db.QueryContext(ctx, `SELECT `+reportColumns+` FROM snapshot_groups WHERE `+where+
			` ORDER BY `+reportOrder(q), args...)
		if err != nil {
			return fmt.Errorf("group report: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanReportRow(rows)
			if err != nil {
				return fmt.Errorf("group report: %w", err)
			}
			r.Licenses = names[r.ID]
			if err := fn(r); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("group report: %w", err)
		}
		return nil
	})
}

func scanReportRow(sc scanner) (model.GroupReportRow, error) {
	var r model.GroupReportRow
	err := sc.Scan(&r.ID, &r.DisplayName, &r.MemberCount, &r.UserCount, &r.ErrorCount, &r.ProcessingState)
	return r, err
}

// GroupDetail is what the current snapshot knows of one licensed group; ErrNotFound if it has no
// such group (or there is no snapshot yet).
func (s *Store) GroupDetail(ctx context.Context, id string) (model.GroupDetail, error) {
	return readValue(ctx, s, func(db querier) (model.GroupDetail, error) { return groupDetail(ctx, db, id) })
}

func groupDetail(ctx context.Context, db querier, id string) (model.GroupDetail, error) {
	info, err := currentSnapshot(ctx, db)
	if err != nil {
		return model.GroupDetail{}, err
	}
	d := model.GroupDetail{SnapshotAt: info.TakenAt}
	var types string
	err = db.QueryRowContext(ctx, `SELECT g.id, g.display_name, g.member_count, g.user_count, g.error_count,
			g.processing_state, d.description, d.group_types, d.security_enabled, d.mail_enabled, d.membership_rule
		FROM snapshot_groups g
		JOIN snapshot_group_details d ON d.snapshot_id = g.snapshot_id AND d.group_id = g.id
		WHERE g.snapshot_id = ? AND g.id = ?`, info.ID, id).
		Scan(&d.ID, &d.DisplayName, &d.MemberCount, &d.UserCount, &d.ErrorCount, &d.ProcessingState,
			&d.Description, &types, &d.SecurityEnabled, &d.MailEnabled, &d.MembershipRule)
	if errors.Is(err, sql.ErrNoRows) {
		return model.GroupDetail{}, fmt.Errorf("group %q: %w", id, model.ErrNotFound)
	} else if err != nil {
		return model.GroupDetail{}, fmt.Errorf("group %q: %w", id, err)
	}
	if d.GroupTypes, err = parseList(types); err != nil {
		return model.GroupDetail{}, fmt.Errorf("group %q: %w", id, err)
	}
	names, err := groupLicenseNames(ctx, db, info.ID, []string{id})
	if err != nil {
		return model.GroupDetail{}, fmt.Errorf("group %q: %w", id, err)
	}
	d.Licenses = names[id]

	disabled := map[string][]string{}
	rows, err := db.QueryContext(ctx, `SELECT sku_id, disabled_plans FROM snapshot_group_licenses
		WHERE snapshot_id = ? AND group_id = ?`, info.ID, id)
	if err != nil {
		return model.GroupDetail{}, fmt.Errorf("group %q template: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var sku, plans string
		if err := rows.Scan(&sku, &plans); err != nil {
			return model.GroupDetail{}, fmt.Errorf("group %q template: %w", id, err)
		}
		if disabled[sku], err = parseList(plans); err != nil {
			return model.GroupDetail{}, fmt.Errorf("group %q template: %w", id, err)
		}
	}
	if err := rows.Err(); err != nil {
		return model.GroupDetail{}, fmt.Errorf("group %q template: %w", id, err)
	}
	rows.Close()

	for _, sku := range d.Licenses {
		t := model.TemplateLicense{SKU: sku}
		for _, plan := range disabled[sku.ID] {
			name, err := planName(ctx, db, info.ID, sku.ID, plan)
			if err != nil {
				return model.GroupDetail{}, fmt.Errorf("group %q template: %w", id, err)
			}
			t.DisabledPlans = append(t.DisabledPlans, model.NamedPlan{ID: plan, Name: name})
		}
		slices.SortFunc(t.DisabledPlans, func(a, b model.NamedPlan) int { return compareNamed(a.Name, a.ID, b.Name, b.ID) })
		d.Template = append(d.Template, t)
	}
	return d, nil
}

// planName is the best name of a service plan: the catalog's friendly name, else the tenant's
// servicePlanName (preferably as listed under sku), else the catalog's plan name, else the GUID.
func planName(ctx context.Context, db querier, snapID int64, sku, plan string) (string, error) {
	var name string
	err := db.QueryRowContext(ctx, `SELECT COALESCE(
			(SELECT NULLIF(friendly_name, '') FROM catalog_plans WHERE plan_id = ?1),
			(SELECT name FROM snapshot_sku_plans WHERE snapshot_id = ?2 AND plan_id = ?1 AND name <> ''
				ORDER BY sku_id = ?3 DESC, sku_id LIMIT 1),
			(SELECT NULLIF(name, '') FROM catalog_plans WHERE plan_id = ?1),
			?1)`, plan, snapID, sku).Scan(&name)
	if err != nil {
		return "", fmt.Errorf("name of plan %q: %w", plan, err)
	}
	return name, nil
}

// groupLicenseNames are the named licenses of the snapshot's groups (all of them when ids is nil),
// each group's sorted by name.
func groupLicenseNames(ctx context.Context, q querier, snapID int64, ids []string) (map[string][]model.NamedSKU, error) {
	query := `SELECT gl.group_id, gl.sku_id, ` + skuNameExpr("gl.sku_id") + `
		FROM snapshot_group_licenses gl
		LEFT JOIN catalog_products cp ON cp.sku_id = gl.sku_id
		LEFT JOIN snapshot_skus ss ON ss.snapshot_id = gl.snapshot_id AND ss.sku_id = gl.sku_id
		WHERE gl.snapshot_id = ?`
	args := []any{snapID}
	if ids != nil {
		query += ` AND gl.group_id IN (` + placeholders(len(ids)) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("license names: %w", err)
	}
	defer rows.Close()
	names := map[string][]model.NamedSKU{}
	for rows.Next() {
		var group string
		var n model.NamedSKU
		if err := rows.Scan(&group, &n.ID, &n.Name); err != nil {
			return nil, fmt.Errorf("license names: %w", err)
		}
		names[group] = append(names[group], n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("license names: %w", err)
	}
	for _, ns := range names {
		slices.SortFunc(ns, func(a, b model.NamedSKU) int { return compareNamed(a.Name, a.ID, b.Name, b.ID) })
	}
	return names, nil
}

// licenseKey is the sort key of a group's licenses: their names, folded, in order.
func licenseKey(ns []model.NamedSKU) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fold(n.Name)
	}
	return strings.Join(parts, nameSep)
}

// updateLicenseKeys recomputes the license sort keys of a snapshot's groups; names depend on the
// catalog, so this runs when a snapshot is saved and when the catalog is replaced.
func updateLicenseKeys(ctx context.Context, tx *sql.Tx, snapID int64) error {
	names, err := groupLicenseNames(ctx, tx, snapID, nil)
	if err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `UPDATE snapshot_groups SET licenses_key = ? WHERE snapshot_id = ? AND id = ?`)
	if err != nil {
		return fmt.Errorf("license sort keys: %w", err)
	}
	defer stmt.Close()
	for group, ns := range names {
		if _, err := stmt.ExecContext(ctx, licenseKey(ns), snapID, group); err != nil {
			return fmt.Errorf("license sort key of group %q: %w", group, err)
		}
	}
	return nil
}
