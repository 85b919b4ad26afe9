package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Users of the current snapshot: one user's licenses, search by name, the license-assigning
// groups named, and the in-place update after a reprocess re-read users from Graph.

// MaxUserSearch bounds one page of user search results.
const MaxUserSearch = 200

// User is one user of the current snapshot with their licenses and license states;
// ErrNotFound when the snapshot has no such user (or there is no snapshot yet). id may also be
// the user principal name.
func (s *Store) User(ctx context.Context, id string) (model.User, error) {
	return readValue(ctx, s, func(db querier) (model.User, error) {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return model.User{}, err
		}
		id = strings.TrimSpace(id)
		if id == "" {
			return model.User{}, fmt.Errorf("user without id: %w", model.ErrNotFound)
		}
		users, err := loadUsers(ctx, db, info.ID, `SELECT id FROM snapshot_users
			WHERE snapshot_id = ?1 AND (id = ?2 OR upn = ?2 COLLATE NOCASE) LIMIT 1`, id)
		if err != nil {
			return model.User{}, fmt.Errorf("user %q: %w", id, err)
		}
		if len(users) == 0 {
			return model.User{}, fmt.Errorf("user %q: %w", id, model.ErrNotFound)
		}
		return users[0], nil
	})
}

// UsersByID are the users of the current snapshot with these ids (unknown ids are left out),
// with licenses and states, ordered by name.
func (s *Store) UsersByID(ctx context.Context, ids []string) ([]model.User, error) {
	return readValue(ctx, s, func(db querier) ([]model.User, error) {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return nil, err
		}
		users, err := loadUsers(ctx, db, info.ID, `SELECT value FROM json_each(?2)`, idsJSON(ids))
		if err != nil {
			return nil, fmt.Errorf("users by id: %w", err)
		}
		return users, nil
	})
}

// SearchUsers finds users of the current snapshot by what people type: a part of the display
// name, user principal name or mail (case-insensitive), a whole object id, a whole proxy
// address (with or without its "smtp:") or a whole employee id, ordered by name. It returns
// at most limit users (1..MaxUserSearch) starting at offset, and the total.
func (s *Store) SearchUsers(ctx context.Context, q string, offset, limit int) (model.UserSearchResult, error) {
	return readValue(ctx, s, func(db querier) (model.UserSearchResult, error) { return searchUsers(ctx, db, q, false, offset, limit) })
}

// searchText is what a search by a part of u's name, UPN or mail compares against: the three
// folded, one a line.
func searchText(u *model.User) string {
	return fold(u.DisplayName) + "\n" + fold(u.UserPrincipalName) + "\n" + fold(u.Mail)
}

// SearchLicensedUsers is SearchUsers among the users who hold at least one license.
func (s *Store) SearchLicensedUsers(ctx context.Context, q string, offset, limit int) (model.UserSearchResult, error) {
	return readValue(ctx, s, func(db querier) (model.UserSearchResult, error) { return searchUsers(ctx, db, q, true, offset, limit) })
}

func searchUsers(ctx context.Context, db querier, q string, licensed bool, offset, limit int) (model.UserSearchResult, error) {
	info, err := currentSnapshot(ctx, db)
	if err != nil {
		return model.UserSearchResult{}, err
	}
	limit = min(max(limit, 1), MaxUserSearch)
	offset = max(offset, 0)
	// instr, not LIKE: the query is a plain substring, so % _ and \ mean themselves. It is
	// folded as search_text was (see searchText), so both sides compare as plain text and the
	// count reads the index snapshot_users_search alone, and so does the page, in name
	// order, up to its last row. Object ids, proxy addresses and employee ids match
	// whole (the last two by an index seek of snapshot_user_keys; ?5 is the text as a key).
	q = strings.TrimSpace(q)
	key := userKey(q)
	q = fold(q)
	where := `u.snapshot_id = ?1 AND (?2 = '' OR instr(u.search_text, ?2) > 0 OR u.id = ?2 COLLATE NOCASE
		OR u.id IN (SELECT k.user_id FROM snapshot_user_keys k WHERE k.snapshot_id = ?1 AND k.key = ?5))`
	if licensed {
		where += ` AND u.licensed`
	}
	// Everything the search compares is in the index snapshot_users_search, in name order: the
	// page's ids come from it alone, then their rows (reading the row of every user the search
	// rejects cost 2 µs each, 100 ms at 50,000 users). A page that is not full ends the matches,
	// so the count is known without a second walk; a full one stopped early, and the count walks
	// the index once.
	rows, err := db.QueryContext(ctx, `SELECT `+userColumns+`, u.has_errors, u.licensed
		FROM (SELECT u.id, u.search_text FROM snapshot_users u INDEXED BY snapshot_users_search WHERE `+where+`
			ORDER BY u.search_text, u.id LIMIT ?3 OFFSET ?4) p
		JOIN snapshot_users u ON u.snapshot_id = ?1 AND u.id = p.id
		ORDER BY p.search_text, p.id`, info.ID, q, limit, offset, key)
	if err != nil {
		return model.UserSearchResult{}, fmt.Errorf("search users: %w", err)
	}
	defer rows.Close()
	res := model.UserSearchResult{Users: []model.UserHit{}}
	for rows.Next() {
		var h model.UserHit
		u := &h.User
		var created sql.NullInt64
		if err := rows.Scan(append(userCols(u, &created), &h.InError, &h.Licensed)...); err != nil {
			return model.UserSearchResult{}, fmt.Errorf("search users: %w", err)
		}
		u.CreatedAt = timeFromDB(created)
		res.Users = append(res.Users, h)
	}
	if err := rows.Err(); err != nil {
		return model.UserSearchResult{}, fmt.Errorf("search users: %w", err)
	}
	if n := len(res.Users); n < limit && (n > 0 || offset == 0) {
		res.Total = offset + n
		return res, nil
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM snapshot_users u INDEXED BY snapshot_users_search WHERE `+where,
		info.ID, q, nil, nil, key).Scan(&res.Total); err != nil {
		return model.UserSearchResult{}, fmt.Errorf("search users: %w", err)
	}
	return res, nil
}

// Groups are the licensed groups of the current snapshot with these ids (unknown ids are left
// out), keyed by id.
func (s *Store) Groups(ctx context.Context, ids []string) (map[string]model.GroupInfo, error) {
	return readValue(ctx, s, func(db querier) (map[string]model.GroupInfo, error) { return groups(ctx, db, ids) })
}

func groups(ctx context.Context, db querier, ids []string) (map[string]model.GroupInfo, error) {
	info, err := currentSnapshot(ctx, db)
	if err != nil {
		return nil, err
	}
	out := map[string]model.GroupInfo{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT g.id, g.display_name, g.processing_state, l.sku_id, l.disabled_plans
		FROM snapshot_groups g LEFT JOIN snapshot_group_licenses l ON l.snapshot_id = g.snapshot_id AND l.group_id = g.id
		WHERE g.snapshot_id = ?1 AND g.id IN (SELECT value FROM json_each(?2))
		ORDER BY g.id, l.sku_id`, info.ID, idsJSON(ids))
	if err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g model.GroupInfo
		var sku, plans sql.NullString
		if err := rows.Scan(&g.ID, &g.DisplayName, &g.ProcessingState, &sku, &plans); err != nil {
			return nil, fmt.Errorf("groups: %w", err)
		}
		have, ok := out[g.ID]
		if ok {
			g = have
		}
		if sku.Valid {
			l := model.AssignedLicense{SKUID: sku.String}
			if l.DisabledPlans, err = parseList(plans.String); err != nil {
				return nil, fmt.Errorf("groups: %w", err)
			}
			g.Template = append(g.Template, l)
		}
		out[g.ID] = g
	}
	return out, rows.Err()
}

const userColumns = `u.id, u.display_name, u.upn, u.mail, u.given_name, u.surname, u.department, u.job_title,
	u.company_name, u.employee_id, u.city, u.country, u.usage_location, u.user_type, u.account_enabled,
	u.on_prem_sync, u.created_at`

// userCols are the scan destinations of userColumns in u (the caller converts created).
func userCols(u *model.User, created *sql.NullInt64) []any {
	return []any{&u.ID, &u.DisplayName, &u.UserPrincipalName, &u.Mail, &u.GivenName, &u.Surname,
		&u.Department, &u.JobTitle, &u.CompanyName, &u.EmployeeID, &u.City, &u.Country, &u.UsageLocation,
		&u.UserType, &u.AccountEnabled, &u.OnPremisesSyncEnabled, created}
}

// UsersInErrorForGroup are the users with an errored license state assigned by the group, with
// all their licenses and states, ordered by name. ErrNotFound if the current snapshot has no
// such licensed group.
func (s *Store) UsersInErrorForGroup(ctx context.Context, groupID string) ([]model.User, error) {
	return s.groupUsersWhere(ctx, groupID, "in error", `error <> ''`)
}

// UsersInError are the users of the current snapshot with an errored license state from any
// source (directly or from any group), with all their licenses and states, ordered by name:
// the tenant-wide list of users in license error. ErrNotFound before the first sync.
func (s *Store) UsersInError(ctx context.Context) ([]model.User, error) {
	return readValue(ctx, s, func(db querier) ([]model.User, error) {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return nil, err
		}
		// The partial index of errors by group holds every state in error: one scan of it.
		users, err := loadUsers(ctx, db, info.ID, `SELECT user_id FROM snapshot_user_states INDEXED BY snapshot_user_states_group_errors
			WHERE snapshot_id = ?1 AND error <> '' AND ?2 = ''`, "")
		if err != nil {
			return nil, fmt.Errorf("users in error: %w", err)
		}
		return users, nil
	})
}

// UsersDisabledForGroup are the users holding a license from the group that is Disabled
// (assigned, its services off: a suspended subscription), as UsersInErrorForGroup.
func (s *Store) UsersDisabledForGroup(ctx context.Context, groupID string) ([]model.User, error) {
	return s.groupUsersWhere(ctx, groupID, "with disabled licenses", `state = '`+model.StateDisabled+`'`)
}

// groupUsersWhere reads the users with a license state assigned by groupID for which cond (SQL
// on snapshot_user_states, a constant) holds; what names them in errors.
func (s *Store) groupUsersWhere(ctx context.Context, groupID, what, cond string) ([]model.User, error) {
	return readValue(ctx, s, func(db querier) ([]model.User, error) {
		info, err := currentSnapshot(ctx, db)
		if err != nil {
			return nil, err
		}
		var one int
		err = db.QueryRowContext(ctx, `SELECT 1 FROM snapshot_groups WHERE snapshot_id = ? AND id = ?`, info.ID, groupID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("group %q: %w", groupID, model.ErrNotFound)
		} else if err != nil {
			return nil, fmt.Errorf("group %q: %w", groupID, err)
		}
		ids := `SELECT user_id FROM snapshot_user_states
			WHERE snapshot_id = ?1 AND assigned_by_group = ?2 AND ` + cond
		users, err := loadUsers(ctx, db, info.ID, ids, groupID)
		if err != nil {
			return nil, fmt.Errorf("users %s for group %q: %w", what, groupID, err)
		}
		return users, nil
	})
}

// loadUsers reads the users of snapshot snapID whose ids the subquery idsQuery selects (?1 is the
// snapshot id, ?2 arg), ordered by name, with every property, license and state.
func loadUsers(ctx context.Context, db querier, snapID int64, idsQuery string, arg any) ([]model.User, error) {
	rows, err := db.QueryContext(ctx, `SELECT `+userFields(true)+` FROM snapshot_users u
		WHERE u.snapshot_id = ?1 AND u.id IN (`+idsQuery+`)
		ORDER BY u.display_name COLLATE NOCASE, u.id`, snapID, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	users := []model.User{}
	for rows.Next() {
		var u model.User
		if err := scanUser(rows, &u); err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

// licenseFields are a user's assigned licenses and license states, each gathered into one JSON
// array of arrays of text by SQLite (a range of each table's primary key), so a user and
// everything they hold come in one row: a list of 100,000 holders is then one pass, with no
// query per batch of users.
const licenseFields = `
	(SELECT json_group_array(json_array(a.sku_id, a.disabled_plans) ORDER BY a.sku_id)
	 FROM snapshot_user_assigned a WHERE a.snapshot_id = u.snapshot_id AND a.user_id = u.id),
	(SELECT json_group_array(json_array(s.sku_id, s.assigned_by_group, s.state, s.error, s.disabled_plans,
		coalesce(CAST(s.last_updated AS TEXT), '')) ORDER BY s.sku_id, s.assigned_by_group)
	 FROM snapshot_user_states s WHERE s.snapshot_id = u.snapshot_id AND s.user_id = u.id)`

// userFields are the columns scanUser reads, over snapshot_users u: the user, licenseFields,
// and the report-only properties unless props is false (then none are read: most views and
// files show none of them, and decoding them is most of the cost of a row).
func userFields(props bool) string {
	p := `'{}'`
	if props {
		p = `coalesce((SELECT p.props FROM snapshot_user_props p WHERE p.snapshot_id = u.snapshot_id AND p.user_id = u.id), '{}')`
	}
	return userColumns + `,` + licenseFields + `, ` + p
}

// scanUser reads the columns of userFields, the last of the row after any in lead, into u.
func scanUser(rows *sql.Rows, u *model.User, lead ...any) error {
	var created sql.NullInt64
	var assigned, states, props string
	if err := rows.Scan(append(append(lead, userCols(u, &created)...), &assigned, &states, &props)...); err != nil {
		return err
	}
	u.CreatedAt = timeFromDB(created)
	if err := parseLicenses(u, assigned, states); err != nil {
		return fmt.Errorf("user %q: %w", u.ID, err)
	}
	return applyPropsJSON(u, props)
}

// parseLicenses fills u's licenses and states from licenseFields.
func parseLicenses(u *model.User, assigned, states string) error {
	if assigned != "[]" {
		var rows [][2]string
		if err := json.Unmarshal([]byte(assigned), &rows); err != nil {
			return fmt.Errorf("assigned licenses: %w", err)
		}
		u.AssignedLicenses = make([]model.AssignedLicense, len(rows))
		for i, r := range rows {
			plans, err := parseList(r[1])
			if err != nil {
				return err
			}
			u.AssignedLicenses[i] = model.AssignedLicense{SKUID: r[0], DisabledPlans: plans}
		}
	}
	if states != "[]" {
		var rows [][6]string
		if err := json.Unmarshal([]byte(states), &rows); err != nil {
			return fmt.Errorf("license states: %w", err)
		}
		u.LicenseStates = make([]model.LicenseState, len(rows))
		for i, r := range rows {
			plans, err := parseList(r[4])
			if err != nil {
				return err
			}
			st := model.LicenseState{SKUID: r[0], AssignedByGroup: r[1], State: r[2], Error: model.LicenseError(r[3]), DisabledPlans: plans}
			if r[5] != "" {
				n, err := strconv.ParseInt(r[5], 10, 64)
				if err != nil {
					return fmt.Errorf("license state updated %q: %w", r[5], err)
				}
				st.LastUpdated = timeFromDB(sql.NullInt64{Int64: n, Valid: true})
			}
			u.LicenseStates[i] = st
		}
	}
	return nil
}

// UpdateUsers replaces these users (as just read from Graph) in the current snapshot, with their
// licenses and states, and recomputes what depends on them: each affected group's error count
// (groups the users' old or new states name, plus the groups in extra) and the snapshot's
// totals. Groups may also get a new processing state. Users not in the snapshot are added.
// Everything happens in one transaction. ErrNotFound before the first sync.
//
// The users and groups written are stamped with the next patch number (patches.go): a full or
// incremental sync that began before keeps them when it saves, rather than the older data it
// read. The current snapshot is looked up inside the transaction, so a sync saved meanwhile is
// not missed (nor is a pruned snapshot written to).
func (s *Store) UpdateUsers(ctx context.Context, users []model.User, groups []model.GroupUpdate) error {
	list := uniqueBy(users, func(u model.User) string { return u.ID })
	var snapID int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		info, err := currentSnapshot(ctx, tx)
		if err != nil {
			return err
		}
		snapID = info.ID
		affected := map[string]bool{}
		for _, g := range groups {
			affected[g.ID] = true
		}
		ids := make([]string, 0, len(list))
		for _, u := range list {
			if u.ID == "" {
				return errors.New("user without id")
			}
			ids = append(ids, u.ID)
			for _, st := range u.LicenseStates {
				if !st.Direct() {
					affected[st.AssignedByGroup] = true
				}
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT assigned_by_group FROM snapshot_user_states
			WHERE snapshot_id = ?1 AND assigned_by_group <> '' AND user_id IN (SELECT value FROM json_each(?2))`,
			info.ID, idsJSON(ids))
		if err != nil {
			return err
		}
		for rows.Next() {
			var g string
			if err := rows.Scan(&g); err != nil {
				rows.Close()
				return err
			}
			affected[g] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := deleteUserRows(ctx, tx, info.ID, ids); err != nil {
			return err
		}
		if err := insertUsers(ctx, ctx, tx, info.ID, list); err != nil {
			return err
		}
		if err := deriveHolders(ctx, tx, info.ID, ids); err != nil {
			return err
		}
		if err := addHolderValues(ctx, tx, info.ID, ids); err != nil {
			return err
		}
		if err := countHolders(ctx, tx, info.ID); err != nil {
			return err
		}
		seq, err := nextPatchSeq(ctx, tx)
		if err != nil {
			return err
		}
		if err := markPatched(ctx, tx, "snapshot_users", info.ID, seq, ids); err != nil {
			return err
		}
		var patched []string
		for _, g := range groups {
			if g.ProcessingState == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE snapshot_groups SET processing_state = ? WHERE snapshot_id = ? AND id = ?`,
				g.ProcessingState, info.ID, g.ID); err != nil {
				return fmt.Errorf("group %q processing state: %w", g.ID, err)
			}
			patched = append(patched, g.ID)
		}
		if err := markPatched(ctx, tx, "snapshot_groups", info.ID, seq, patched); err != nil {
			return err
		}
		groupIDs := make([]string, 0, len(affected))
		for g := range affected {
			groupIDs = append(groupIDs, g)
		}
		if err := recountGroups(ctx, tx, info.ID, groupIDs); err != nil {
			return err
		}
		return recountSnapshot(ctx, tx, info.ID)
	})
	if err != nil {
		return fmt.Errorf("update users in snapshot %d: %w", snapID, err)
	}
	return nil
}

// UpdateSKUs sets the unit counts and status of the current snapshot's subscriptions to these
// (as just read from Graph), so explanations quote the numbers of now. SKUs the snapshot does
// not have are left out: a new subscription comes with the next sync.
func (s *Store) UpdateSKUs(ctx context.Context, skus []model.SKU) error {
	var snapID int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		info, err := currentSnapshot(ctx, tx)
		if err != nil {
			return err
		}
		snapID = info.ID
		// The data changed in place: the patch sequence moves so DataVersion does.
		if _, err := nextPatchSeq(ctx, tx); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `UPDATE snapshot_skus SET capability_status = ?, consumed_units = ?,
			prepaid_enabled = ?, prepaid_suspended = ?, prepaid_warning = ?, prepaid_locked = ?
			WHERE snapshot_id = ? AND sku_id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, k := range skus {
			if _, err := stmt.ExecContext(ctx, k.CapabilityStatus, k.ConsumedUnits, k.Prepaid.Enabled, k.Prepaid.Suspended,
				k.Prepaid.Warning, k.Prepaid.LockedOut, info.ID, model.NormalizeID(k.ID)); err != nil {
				return fmt.Errorf("sku %q: %w", k.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update skus in snapshot %d: %w", snapID, err)
	}
	return nil
}
