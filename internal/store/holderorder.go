package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// A holder page in any order but the default one sorts every matching holder: 50,000 of them
// took 46 ms by department and 227 ms by a property kept in the props JSON, on every view. So the
// license report asks once per version of the data for the whole order (SKUHolderOrder: only
// the ids, the narrowest sort there is) and then reads each page's users by id
// (SKUHoldersByID: 100 primary-key lookups), each read saying which version it saw.

// SKUHolderOrder is every holder of q.SKUID in the current snapshot that q's filters select, in
// q's sort ascending whatever q.Desc says (the user id breaks ties both ways, so descending is
// the same list backwards), without paging, and the data version it is of: one view of the data.
// At most limit ids are read (limit <= 0: all); a caller that keeps orders up to some size asks
// for one more to learn that the order is longer. ErrNotFound before the first sync; an unknown
// sort key, account or source is model.ErrInvalid.
func (s *Store) SKUHolderOrder(ctx context.Context, q model.HolderQuery, limit int) (model.HolderOrder, error) {
	order, ok := holderOrder(q.Sort)
	if !ok {
		return model.HolderOrder{}, fmt.Errorf("sort by %q: %w", q.Sort, model.ErrInvalid)
	}
	sel, err := holderQuery(q, order)
	if err != nil {
		return model.HolderOrder{}, err
	}
	return readValue(ctx, s, func(db querier) (model.HolderOrder, error) {
		snapID, version, err := dataVersion(ctx, db)
		if err != nil {
			return model.HolderOrder{}, err
		}
		out := model.HolderOrder{Version: version, UserIDs: []string{}}
		all := append([]any{snapID, model.NormalizeID(q.SKUID)}, sel.args...)
		if limit <= 0 {
			limit = -1 // SQLite: no limit
		}
		err = eachRow(ctx, db, `SELECT h.user_id`+sel.from+`WHERE `+sel.where+` ORDER BY `+order+`, h.user_id LIMIT `+strconv.Itoa(limit), all,
			func(rows *sql.Rows) error {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				out.UserIDs = append(out.UserIDs, id)
				return nil
			})
		if err != nil {
			return model.HolderOrder{}, fmt.Errorf("order of holders: %w", err)
		}
		return out, nil
	})
}

// SKUHoldersByID are the holders of skuID among the users ids of the current snapshot, in the
// order of ids (a user who does not hold it, or is not there, is left out), each with every
// license and state, and with the report-only properties unless properties (Graph names, as in
// model.HolderQuery) names none of them; and the data version they are of: one view of the data.
// How each holds the SKU is model.User.Holdings, which says what snapshot_holders says.
func (s *Store) SKUHoldersByID(ctx context.Context, skuID string, ids, properties []string) ([]model.Holder, string, error) {
	var out []model.Holder
	var version string
	err := s.read(ctx, func(db querier) error {
		snapID, v, err := dataVersion(ctx, db)
		if err != nil {
			return err
		}
		version, out = v, make([]model.Holder, 0, len(ids))
		sku := model.NormalizeID(skuID)
		// json_each first (CROSS JOIN keeps it outside): one primary-key lookup per id.
		query := `SELECT ` + userFields(properties == nil || slices.ContainsFunc(properties, isProp)) + `
			FROM json_each(?2) j CROSS JOIN snapshot_users u ON u.snapshot_id = ?1 AND u.id = j.value ORDER BY j.key`
		return eachRow(ctx, db, query, []any{snapID, idsJSON(ids)}, func(rows *sql.Rows) error {
			var h model.Holder
			if err := scanUser(rows, &h.User); err != nil {
				return err
			}
			for _, x := range h.User.Holdings() {
				if x.SKUID == sku {
					h.Direct, h.ViaGroups, h.InError, h.State = x.Direct, x.ViaGroups, x.InError, x.State
					out = append(out, h)
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, "", err
	}
	return out, version, nil
}
