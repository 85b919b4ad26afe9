package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

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
		out := model.HolderOrder{Version: version, UserIDs: []string{}, Keys: []model.SortKey{}}
		all := append([]any{snapID, model.NormalizeID(q.SKUID)}, sel.args...)
		if limit <= 0 {
			limit = -1 // SQLite: no limit
		}
		err = eachRow(ctx, db, `SELECT h.user_id, `+order+sel.from+`WHERE `+sel.where+` ORDER BY `+order+`, h.user_id LIMIT `+strconv.Itoa(limit), all,
			func(rows *sql.Rows) error {
				e, err := scanOrderEntry(rows, order)
				if err != nil {
					return err
				}
				out.UserIDs, out.Keys = append(out.UserIDs, e.UserID), append(out.Keys, e.Key)
				return nil
			})
		if err != nil {
			return model.HolderOrder{}, fmt.Errorf("order of holders: %w", err)
		}
		return out, nil
	})
}

// An order read at one version is brought up to a later one from the users patched since
// (UpdateUsers stamps every user it writes with its patch number): those leave the order and
// go back in at their new place if the view still selects them. The first view after a
// reprocess then reads the few users that changed, not every holder (by office: 227 ms). What
// else moves the patch sequence either changes no holder (product names, units, a template)
// or another snapshot becomes current (a full sync: the snapshot id differs), except an
// incremental refresh, which changes users in place unstamped: an order read before it is not
// carried (unstamped_seq).

// SKUHolderOrderChanges are what changed in the order of q's view (as SKUHolderOrder reads it)
// since version since, a DataVersion an order of it was read at: one view of the data. false
// when the order cannot be carried from since (another snapshot, a refresh in between, or more
// than limit users patched since): it is read again instead.
func (s *Store) SKUHolderOrderChanges(ctx context.Context, q model.HolderQuery, since string, limit int) (model.HolderOrderChanges, bool, error) {
	order, ok := holderOrder(q.Sort)
	if !ok {
		return model.HolderOrderChanges{}, false, fmt.Errorf("sort by %q: %w", q.Sort, model.ErrInvalid)
	}
	sel, err := holderQuery(q, order)
	if err != nil {
		return model.HolderOrderChanges{}, false, err
	}
	from, ok := parseVersion(since)
	if !ok {
		return model.HolderOrderChanges{}, false, nil
	}
	var out model.HolderOrderChanges
	carried := false
	err = s.read(ctx, func(db querier) error {
		now, err := readVersion(ctx, db)
		if err != nil {
			return err
		}
		if now.snapshot != from.snapshot || now.run != from.run || now.saved != from.saved ||
			from.seq > now.seq || from.seq < now.unstamped {
			return nil
		}
		out = model.HolderOrderChanges{Version: now.String(), Changed: []string{}, Entries: []model.HolderOrderEntry{}}
		if from.seq == now.seq {
			carried = true
			return nil
		}
		out.Changed, err = queryColumn[string](ctx, db, `SELECT id FROM snapshot_users
			WHERE snapshot_id = ? AND patched_seq > ? AND patched_seq > 0 -- the last: so the partial index serves
			ORDER BY id LIMIT ?`, now.snapshot, from.seq, limit+1)
		if err != nil {
			return fmt.Errorf("users patched since the order: %w", err)
		}
		if len(out.Changed) > limit {
			return nil
		}
		all := append([]any{now.snapshot, model.NormalizeID(q.SKUID)}, sel.args...)
		all = append(all, idsJSON(out.Changed))
		// From the ids to their holder rows by primary key (the holders are keyed by name, so the
		// user's sort name leads there), not through every holder of the SKU.
		query := `SELECT h.user_id, ` + order + fmt.Sprintf(` FROM json_each(?%d) j
			CROSS JOIN snapshot_users k ON k.snapshot_id = ?1 AND k.id = j.value
			CROSS JOIN snapshot_holders h ON h.snapshot_id = ?1 AND h.sku_id = ?2 AND h.sort_name = k.sort_name AND h.user_id = k.id `,
			len(all)) + sel.joins + `WHERE ` + sel.where
		err = eachRow(ctx, db, query, all, func(rows *sql.Rows) error {
			e, err := scanOrderEntry(rows, order)
			if err != nil {
				return err
			}
			out.Entries = append(out.Entries, e)
			return nil
		})
		if err != nil {
			return fmt.Errorf("patched holders: %w", err)
		}
		carried = true
		return nil
	})
	if err != nil || !carried {
		return model.HolderOrderChanges{}, false, err
	}
	return out, true, nil
}

// scanOrderEntry reads a row of a user id and its value of order.
func scanOrderEntry(rows *sql.Rows, order string) (model.HolderOrderEntry, error) {
	var e model.HolderOrderEntry
	var v any
	if err := rows.Scan(&e.UserID, &v); err != nil {
		return e, err
	}
	k, err := sortKeyOf(v, strings.HasSuffix(order, "COLLATE NOCASE"))
	e.Key = k
	return e, err
}

// sortKeyOf is v (a value SQLite gave) as a model.SortKey; fold lower-cases ASCII letters, as
// SQLite's NOCASE compares them (and no other letters).
func sortKeyOf(v any, fold bool) (model.SortKey, error) {
	switch x := v.(type) {
	case nil:
		return model.SortKey{}, nil
	case int64:
		return model.SortKey{Class: model.SortInt, Int: x}, nil
	case float64:
		return model.SortKey{Class: model.SortReal, Real: x}, nil
	case string:
		return textKey(x, fold), nil
	}
	// The orders sort INTEGER and TEXT columns and JSON text: never a blob, which SQLite would
	// put after all text.
	return model.SortKey{}, fmt.Errorf("sort value of type %T", v)
}

func textKey(s string, fold bool) model.SortKey {
	if !fold {
		return model.SortKey{Class: model.SortText, Text: s}
	}
	b := []byte(s) // by byte, as SQLite folds: the text need not be valid UTF-8
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	s = string(b)
	// NOCASE compares no further than a NUL both have at the same place, then by length: so the
	// key is the text up to its NUL and the length, which compare by their bytes the same way.
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i+1] + string(binary.BigEndian.AppendUint64(nil, uint64(len(s))))
	}
	return model.SortKey{Class: model.SortText, Text: s}
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
