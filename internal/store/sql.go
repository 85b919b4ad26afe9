package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// The SQL helpers every entity file shares: how values are stored (times, lists, ids), how
// names fold and sort, and how a transaction runs.

// querier is what a read needs of *sql.DB or *sql.Tx, so the same query code runs inside a
// transaction or outside one.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// inTx runs fn in a write transaction, committing if it returns nil. The writer pool begins
// IMMEDIATE, so the write lock is taken at BEGIN and a transaction that reads before it writes
// cannot fail half-way with SQLITE_BUSY.
//
// It waits for its turn to write first (see takeWriteTurn), and for writes queued by other
// processes (see queueForWrite).
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	release, err := s.takeWriteTurn(ctx)
	if err != nil {
		return err
	}
	defer release()
	dequeue, err := s.lock.queueForWrite(ctx)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	dequeue()
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// exec runs one write statement outside a transaction, in its turn (see takeWriteTurn).
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	release, err := s.takeWriteTurn(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	dequeue, err := s.lock.queueForWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer dequeue()
	return s.db.ExecContext(ctx, query, args...)
}

// writeTurnWait is how long a write waits for its turn: SQLite's busy timeout (see openPool),
// the longest a write waited for the lock before there were turns.
const writeTurnWait = 10 * time.Second

// errWriteTurn is a write that did not get its turn in writeTurnWait.
var errWriteTurn = errors.New("database busy: another write held it too long")

// takeWriteTurn waits until no other write through this Store runs, in the order writes asked:
// SQLite lets a write that finds the lock taken retry after sleeps of up to 100 ms, so when a
// sync writes its batches back to back (each a few tenths of a second, a few microseconds
// apart) a session update or a reprocess patch could wait for the whole sync and then fail.
// Taking turns, it waits for the write under way only. Writes through another Store on the
// same file (another process: the CLI) queue for the write lock instead (queueForWrite).
// release must be called once the write is done.
func (s *Store) takeWriteTurn(ctx context.Context) (release func(), err error) {
	timer := time.NewTimer(writeTurnWait)
	defer timer.Stop()
	select {
	case s.writeTurn <- struct{}{}: // gc's runtime lets blocked senders in first come, first served
		return func() { <-s.writeTurn }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		return nil, errWriteTurn
	}
}

// read runs fn in one read transaction on the read pool: however many queries fn makes, they
// all see the database as it was at the first of them, so a snapshot saved, updated or pruned
// meanwhile can neither mix into the result nor vanish from under it. It never takes the write
// lock, so it neither waits for a sync being saved nor holds one up.
//
// A *sql.Tx rather than BEGIN on a *sql.Conn: database/sql then watches the transaction's
// context with a goroutine per query (10-15% of a small report page, measured), but it ends the
// transaction and frees the connection whatever fn does, rows left open included.
func (s *Store) read(ctx context.Context, fn func(q querier) error) error {
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback() // nothing to commit; this ends the read and frees its view of the WAL
	return fn(tx)
}

// readValue is read for a fn that returns a value: the value, or the zero value and the error.
func readValue[T any](ctx context.Context, s *Store, fn func(q querier) (T, error)) (T, error) {
	var v T
	err := s.read(ctx, func(q querier) error {
		var err error
		v, err = fn(q)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// placeholders is "?, ?, ?" for n arguments.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// idsJSON is a JSON array of ids for json_each, "[]" when there are none.
func idsJSON(ids []string) string {
	if len(ids) == 0 {
		return "[]"
	}
	return jsonList(ids)
}

// guidList is a stored list of SKU or plan GUIDs, each normalised so that tenant and catalog
// ids join; empty when there are none.
func guidList(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	norm := make([]string, len(ids))
	for i, id := range ids {
		norm[i] = model.NormalizeID(id)
	}
	return jsonList(norm)
}

// jsonList is a stored list: a JSON array, empty when there are none.
func jsonList(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	b, _ := json.Marshal(xs) // a []string always marshals
	return string(b)
}

// parseList reads a list stored by jsonList.
func parseList(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var xs []string
	if err := json.Unmarshal([]byte(s), &xs); err != nil {
		return nil, fmt.Errorf("parse stored list %q: %w", s, err)
	}
	return xs, nil
}

// timeToDB is how every time is stored: Unix nanoseconds (UTC), NULL for the zero time.
func timeToDB(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

// timeFromDB reads a time stored by timeToDB, in UTC.
func timeFromDB(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// fold is the case-insensitive form of a name for search and sort. It is also the SQL
// function fold() (see driverName), so text folded in SQL matches text folded here.
func fold(s string) string { return strings.ToLower(s) }

// compareFold orders names case-insensitively, then exactly, so the order is total.
func compareFold(a, b string) int {
	return cmp.Or(strings.Compare(fold(a), fold(b)), strings.Compare(a, b))
}

// nameSep joins a name and an id (or several names) in a sort key; it sorts before every
// printable character, so "A" comes before "A" + anything.
const nameSep = "\x1f"

// compareNamed orders named things (SKUs, plans) by name, then by id.
func compareNamed(aName, aID, bName, bID string) int {
	return compareFold(aName+nameSep+aID, bName+nameSep+bID)
}

// skuNameExpr is the best name of the SKU with id column idCol given the joins cp
// (catalog_products) and ss (snapshot_skus): the catalog's friendly name, else the tenant's
// skuPartNumber, else the catalog's, else the GUID.
func skuNameExpr(idCol string) string {
	return `COALESCE(NULLIF(cp.display_name, ''), NULLIF(ss.part_number, ''), NULLIF(cp.part_number, ''), ` + idCol + `)`
}

// uniqueBy returns pointers to the elements of xs, the first of each key only.
func uniqueBy[T any](xs []T, key func(T) string) []*T {
	out := make([]*T, 0, len(xs))
	seen := make(map[string]bool, len(xs))
	for i := range xs {
		k := key(xs[i])
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, &xs[i])
	}
	return out
}

// rowInserter writes rows into a table with one prepared single-row INSERT. Measured against
// multi-row VALUES statements and against a page of rows as one JSON argument unpacked by
// json_each, a prepared single-row statement was the fastest with go-sqlite3 (0.5 s against 0.8
// and 1.1 s for 100,000 users).
type rowInserter struct {
	query string
	fixed any // the first column's value (the snapshot id)
	stmt  *sql.Stmt
	tx    *sql.Tx
}

// newRowInserter inserts into table's columns: the first gets fixed, the rest each row's
// values in order. tail follows VALUES (e.g. " ON CONFLICT DO NOTHING").
func newRowInserter(tx *sql.Tx, table string, columns []string, fixed any, tail string) *rowInserter {
	q := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES (" +
		strings.Repeat("?, ", len(columns)-1) + "?)" + tail
	return &rowInserter{query: q, fixed: fixed, tx: tx}
}

// add writes one row of the columns after the first.
func (r *rowInserter) add(ctx context.Context, vals ...any) error {
	if r.stmt == nil {
		st, err := r.tx.PrepareContext(ctx, r.query)
		if err != nil {
			return err
		}
		r.stmt = st
	}
	_, err := r.stmt.ExecContext(ctx, append([]any{r.fixed}, vals...)...)
	return err
}

// close frees the statement.
func (r *rowInserter) close() {
	if r.stmt != nil {
		r.stmt.Close()
	}
}

// queryColumn runs a query of one column and returns its values in order.
func queryColumn[T any](ctx context.Context, q querier, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
