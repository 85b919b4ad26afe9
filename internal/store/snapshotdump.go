package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strings"
)

// EachSnapshotRow calls fn with every row of the current snapshot, table by table (snapshotTables
// and the snapshot's totals), each row its columns as text in a fixed order, rows sorted: two
// snapshots hold the same data exactly when their rows are the same. What says how and when a
// snapshot was made (ids, times, run, delta links, patch numbers) is left out. This is how an
// incremental refresh is checked against a full sync (tests, `tenantdesk bench`).
func (s *Store) EachSnapshotRow(ctx context.Context, fn func(table, row string) error) error {
	return s.read(ctx, func(q querier) error {
		info, err := currentSnapshot(ctx, q)
		if err != nil {
			return err
		}
		tables := slices.Sorted(slices.Values(snapshotTables))
		for _, table := range tables {
			cols, err := tableColumns(ctx, q, table)
			if err != nil {
				return err
			}
			cols = slices.DeleteFunc(cols, func(c string) bool { return c == "patched_seq" })
			if err := eachRowText(ctx, q, table, `SELECT `+strings.Join(cols, ", ")+` FROM `+table+
				` WHERE snapshot_id = ? ORDER BY `+strings.Join(cols, ", "), info.ID, fn); err != nil {
				return err
			}
		}
		return eachRowText(ctx, q, "snapshots", `SELECT user_count, licensed_users, users_with_errors FROM snapshots WHERE id = ?`, info.ID, fn)
	})
}

func eachRowText(ctx context.Context, q querier, table, query string, arg any, fn func(table, row string) error) error {
	rows, err := q.QueryContext(ctx, query, arg)
	if err != nil {
		return fmt.Errorf("rows of %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var b strings.Builder
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("rows of %s: %w", table, err)
		}
		b.Reset()
		for i, v := range vals {
			if i > 0 {
				b.WriteByte('|')
			}
			switch x := v.(type) {
			case nil:
				b.WriteString("NULL")
			case []byte:
				b.Write(x)
			default:
				fmt.Fprint(&b, x)
			}
		}
		if err := fn(table, b.String()); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SnapshotDigest is a hash of EachSnapshotRow per table, and the row count: equal digests mean
// equal data.
func (s *Store) SnapshotDigest(ctx context.Context) (map[string]string, error) {
	hashes := map[string]*digest{}
	err := s.EachSnapshotRow(ctx, func(table, row string) error {
		d := hashes[table]
		if d == nil {
			d = &digest{h: sha256.New()}
			hashes[table] = d
		}
		d.rows++
		d.h.Write([]byte(row))
		d.h.Write([]byte{'\n'})
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(hashes))
	for t, d := range hashes {
		out[t] = fmt.Sprintf("%d rows %s", d.rows, hex.EncodeToString(d.h.Sum(nil))[:16])
	}
	return out, nil
}

type digest struct {
	h    hash.Hash
	rows int
}
