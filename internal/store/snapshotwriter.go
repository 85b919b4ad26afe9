package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/trace"
	"slices"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// SnapshotWriter writes a new snapshot as a sync reads it: users (and their sign-ins) in batches
// of about writeBatch users, each batch in a short transaction of its own (so reprocess patches
// and other writers are never held up for a whole sync), then one transaction that writes the
// last batch, adds the subscriptions and groups, derives what depends on users (holders, error
// and user counts, totals) and makes the snapshot current. Until Commit nobody sees it; Abort,
// or a sync that dies, leaves nothing behind that the next sync does not clear.
type SnapshotWriter struct {
	s       *Store
	id      int64
	runID   int64
	takenAt time.Time
	seen    map[string]bool // user ids added: the first of duplicates wins
	done    bool
	extras  *model.SnapshotExtras // SetExtras; written by Commit
	// baseSeq is the patch sequence when the snapshot was begun: rows of the current snapshot
	// patched after it are newer than what this sync read (see patches.go).
	baseSeq int64
	links   model.DeltaLinks
	// Users and sign-ins added but not written yet, and the first write that failed (every
	// later call returns it: what was added is lost, so the snapshot must not be committed).
	pendingUsers   []encodedUser
	pendingSignIns []model.SignIn
	encoding       userContent // reused for each user added
	writeBatch     int
	writeErr       error
	// writing gets the outcome of the batch being written, nil when none is: a batch is written
	// while the next is gathered, so the sync goes on reading Graph's pages meanwhile.
	// stopWriting cancels it (Abort: its rows are about to be deleted).
	writing     chan error
	stopWriting context.CancelFunc
	// carried is set once the users of the current snapshot are copied into this one (see
	// startCarry): a user read the same (by content hash) is not written again. kept counts the
	// users so left.
	carried   bool
	kept      int
	rewritten []string // users written although carried, or not carried
}

// writeBatch is how many users the writer gathers before it writes them. A transaction's
// commit writes every page it dirtied to the WAL, and the indexes keyed by search text, key or
// user id are dirtied all over (Graph's pages come in no key order): in transactions of a Graph
// page (500 users) the commits cost more than the inserts. BenchmarkSaveSnapshot (100,000
// users) took 15.9 s of CPU at 500 a transaction, 9.3 s at 4,096, 8.2 s at 16,384. With one
// batch written while the next is gathered, two are held: 8,192 (half a second or more of the
// write lock each) took a 50,000-user sync from 5.6 s to 5.0 s against 4,096, both so written
// (medians of 3, turn about, on a busy machine). Memory is what bounds the batch (a 100,000-user
// sync's target is 150 MB): encoded, the two batches are about 17 MB of a 50 MB live heap; 4,096
// took 12 MB off it but cost 2.5 s more CPU a sync, where GOGC=50 (cmd/tenantdesk) brought the
// peak RSS from 145-149 MB to 131-133 MB for the same CPU.
const writeBatch = 8192

// BeginSnapshot starts a snapshot taken at takenAt for sync run runID (0 for none), clearing
// what syncs that died left half written.
func (s *Store) BeginSnapshot(ctx context.Context, runID int64, takenAt time.Time) (model.SnapshotWriter, error) {
	if takenAt.IsZero() {
		takenAt = s.Now()
	}
	w := &SnapshotWriter{s: s, runID: runID, takenAt: takenAt, seen: map[string]bool{}, writeBatch: writeBatch}
	var carryFrom int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := clearAbandoned(ctx, tx); err != nil {
			return err
		}
		var err error
		if w.baseSeq, err = patchSeq(ctx, tx); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO snapshots (run_id, taken_at, saved_at, user_count, licensed_users,
				users_with_errors, complete, full_taken_at) VALUES (?, ?, ?, 0, 0, 0, 0, ?)`,
			sql.NullInt64{Int64: runID, Valid: runID != 0}, timeToDB(takenAt), timeToDB(s.Now()), timeToDB(takenAt))
		if err != nil {
			return fmt.Errorf("insert snapshot: %w", err)
		}
		if w.id, err = res.LastInsertId(); err != nil {
			return err
		}
		carryFrom, err = carrySource(ctx, tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("begin snapshot: %w", err)
	}
	if carryFrom != 0 {
		w.startCarry(ctx, carryFrom)
	}
	return w, nil
}

// carrySource is the snapshot whose users a new one starts from: the current one, when it
// knows the content of most of its users (0 when there is none, or it was saved before content
// hashes were).
func carrySource(ctx context.Context, tx *sql.Tx) (int64, error) {
	cur, err := currentSnapshot(ctx, tx)
	if errors.Is(err, model.ErrNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	var users, unknown int
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(content_hash = 0), 0) FROM snapshot_users
			WHERE snapshot_id = ?`, cur.ID).Scan(&users, &unknown); err != nil {
		return 0, fmt.Errorf("users to carry: %w", err)
	}
	if users == 0 || unknown*2 > users {
		return 0, nil
	}
	return cur.ID, nil
}

// startCarry copies, while the sync reads its first pages, every user of snapshot src into the
// new one, each table in its own transaction, in key order: SQLite appends rows so copied at a
// fraction of what the same rows cost written one by one in the order Graph sends them (all over
// each b-tree). Batches then write only the users whose content changed, and Commit removes
// those the sync did not read. The copy is the first batch: the next waits for it (gathering a
// second batch meanwhile was no faster and peaked 10 MB higher at 50,000 users, one run each).
func (w *SnapshotWriter) startCarry(ctx context.Context, src int64) {
	w.inBackground(ctx, "snapshot carry", func(ctx context.Context) error {
		for _, t := range append(userRowTables[:len(userRowTables):len(userRowTables)], [2]string{"snapshot_holders"}) {
			if err := w.s.inTx(ctx, func(tx *sql.Tx) error { return copyUserTable(ctx, tx, t[0], src, w.id) }); err != nil {
				return err
			}
		}
		w.carried = true
		return nil
	})
}

// inBackground runs write on another goroutine as the batch being written (see written), under
// a trace region. Not cancelled with ctx: the caller's context may end as soon as its last page
// is added (pipeUsers' does). A sync that stops aborts the snapshot, and Abort cancels write.
func (w *SnapshotWriter) inBackground(ctx context.Context, region string, write func(context.Context) error) {
	done := make(chan error, 1)
	w.writing = done
	bgCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	w.stopWriting = stop
	go func() {
		defer stop()
		rg := trace.StartRegion(bgCtx, region)
		defer rg.End()
		done <- write(bgCtx)
	}()
}

// copyUserTable copies every row of table in snapshot src into snapshot dst, as a fresh sync
// writes them (not patched).
func copyUserTable(ctx context.Context, tx *sql.Tx, table string, src, dst int64) error {
	cols, err := tableColumns(ctx, tx, table)
	if err != nil {
		return err
	}
	sel := slices.Clone(cols)
	for i, c := range sel {
		if c == "patched_seq" {
			sel[i] = "0"
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (snapshot_id, `+strings.Join(cols, ", ")+`) SELECT ?1, `+
		strings.Join(sel, ", ")+` FROM `+table+` WHERE snapshot_id = ?2`, dst, src); err != nil {
		return fmt.Errorf("carry %s: %w", table, err)
	}
	return nil
}

// clearAbandoned deletes the incomplete snapshots whose sync no longer runs.
func clearAbandoned(ctx context.Context, tx *sql.Tx) error {
	ids, err := collectIDs(ctx, tx, `SELECT id FROM snapshots WHERE complete = 0 AND (run_id IS NULL OR
		run_id NOT IN (SELECT id FROM sync_runs WHERE status = 'running'))`)
	if err != nil {
		return fmt.Errorf("find abandoned snapshots: %w", err)
	}
	return deleteSnapshots(ctx, tx, ids)
}

// AddUsers adds a page of users, written with the batch it completes or at Commit; users
// already added are skipped. Each is encoded as it is added (encodedUser), beside the batch
// being written: the writer then only compares a carried user's hash and writes the rows.
func (w *SnapshotWriter) AddUsers(ctx context.Context, users []model.User) error {
	if err := w.usable("add users"); err != nil {
		return err
	}
	for i := range users {
		id := users[i].ID
		if id == "" {
			return fmt.Errorf("save users: a user without id (%q)", users[i].DisplayName)
		}
		if !w.seen[id] {
			w.seen[id] = true
			e, err := w.encoding.encode(&users[i])
			if err != nil { // the user counts as added: the snapshot must not be committed without it
				w.writeErr = err
				return fmt.Errorf("save users: %w", err)
			}
			w.pendingUsers = append(w.pendingUsers, e)
		}
	}
	return w.writeFull(ctx)
}

// usable is the error for doing what with a writer that is finished or failed.
func (w *SnapshotWriter) usable(what string) error {
	if w.done {
		return fmt.Errorf("%s: the snapshot is finished", what)
	}
	if w.writeErr != nil {
		return fmt.Errorf("%s: an earlier write failed: %w", what, w.writeErr)
	}
	return nil
}

// writeFull starts writing what was added once it makes a batch, in a transaction of its own
// on another goroutine, after the batch before it is written; a failure is returned by the
// call after it finished. One batch is written while the next is gathered: the sync's reading
// (Graph's latency, decoding) then overlaps the SQLite writes instead of waiting for each
// (see writeBatch).
func (w *SnapshotWriter) writeFull(ctx context.Context) error {
	if err := w.written(false); err != nil {
		return err
	}
	if len(w.pendingUsers) < w.writeBatch && len(w.pendingSignIns) < w.writeBatch {
		return nil
	}
	if err := w.written(true); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil { // the batch would be lost with the sync
		w.writeErr = err
		return fmt.Errorf("save users and sign-ins: %w", err)
	}
	b := w.takePending()
	w.inBackground(ctx, "snapshot batch write", func(ctx context.Context) error {
		return w.s.inTx(ctx, func(tx *sql.Tx) error { return w.writeUsers(ctx, tx, b) })
	})
	return nil
}

// written is the outcome of the batch being written, waiting for it when wait is set (else
// nil while it is still being written). Its failure stays the writer's: what it held is lost.
func (w *SnapshotWriter) written(wait bool) error {
	if w.writing == nil {
		return nil
	}
	var err error
	if wait {
		err = <-w.writing
	} else {
		select {
		case err = <-w.writing:
		default:
			return nil
		}
	}
	w.writing = nil
	if err != nil {
		w.writeErr = err
		return fmt.Errorf("save users and sign-ins: %w", err)
	}
	return nil
}

// pendingBatch is what was added since the last write.
type pendingBatch struct {
	users   []encodedUser
	signIns []model.SignIn
}

// takePending hands over what was added since the last write.
func (w *SnapshotWriter) takePending() pendingBatch {
	b := pendingBatch{users: w.pendingUsers, signIns: w.pendingSignIns}
	w.pendingUsers, w.pendingSignIns = nil, nil
	return b
}

// writeUsers writes b's users and sign-ins in tx.
func (w *SnapshotWriter) writeUsers(ctx context.Context, tx *sql.Tx, b pendingBatch) error {
	users, signIns := b.users, b.signIns
	// Key order appends to the b-trees instead of splitting pages all over them.
	slices.SortFunc(users, func(a, b encodedUser) int { return strings.Compare(a.id, b.id) })
	slices.SortStableFunc(signIns, func(a, b model.SignIn) int { return strings.Compare(a.UserID, b.UserID) })
	bg := context.WithoutCancel(ctx)
	var carried map[string]int64
	if w.carried {
		// Asked per batch rather than held for the whole sync: 10 MB at 100,000 users.
		var err error
		if carried, err = carriedHashes(bg, tx, w.id, users); err != nil {
			return err
		}
	}
	kept, written, err := writeUsersOver(ctx, bg, tx, w.id, users, carried)
	if err != nil {
		return err
	}
	w.kept += kept
	w.rewritten = append(w.rewritten, written...)
	return insertSignIns(ctx, bg, tx, w.id, signIns)
}

// Users is how many distinct users were added (the last of them are written by Commit).
func (w *SnapshotWriter) Users() int { return len(w.seen) }

// Added reports whether a user with this id was added.
func (w *SnapshotWriter) Added(id string) bool { return w.seen[id] }

// SetDeltaLinks keeps the delta links the snapshot's data is as new as; Commit saves them.
func (w *SnapshotWriter) SetDeltaLinks(l model.DeltaLinks) { w.links = l }

// Commit adds the subscriptions, the licensed groups and their member counts, derives what
// depends on the users, and makes the snapshot current, pruning old ones, in one transaction:
// on any error (ctx cancelled included) the previous snapshot stays current and this one is
// deleted.
func (w *SnapshotWriter) Commit(ctx context.Context, skus []model.SKU, groups []model.Group, counts map[string]model.MemberCounts) error {
	err := w.usable("commit snapshot")
	if err == nil {
		err = w.written(true)
	}
	if err != nil {
		return errors.Join(err, w.Abort(context.WithoutCancel(ctx))) // Abort of a finished one does nothing
	}
	unique := uniqueBy(groups, func(g model.Group) string { return g.ID })
	last := w.takePending()
	rg := trace.StartRegion(ctx, "snapshot commit")
	defer rg.End()
	err = w.s.inTx(ctx, func(tx *sql.Tx) error {
		// Statements run without ctx (go-sqlite3 starts a goroutine per statement that has
		// one); the transaction still watches it and rolls back when it is cancelled.
		bg := context.WithoutCancel(ctx)
		if err := w.writeUsers(ctx, tx, last); err != nil {
			return err
		}
		if err := w.dropUnread(bg, tx); err != nil {
			return err
		}
		if err := insertSKUs(bg, tx, w.id, skus); err != nil {
			return err
		}
		if err := recordSKUHistory(bg, tx, w.takenAt, skus); err != nil {
			return err
		}
		if err := insertGroups(bg, tx, w.id, unique, counts); err != nil {
			return err
		}
		// What a reprocess or template change patched into the current snapshot while this
		// sync read the tenant is newer than what the sync read: it stays.
		var patched []string
		if cur, err := currentSnapshot(bg, tx); err == nil {
			if patched, err = carryPatched(bg, tx, cur.ID, w.id, w.baseSeq); err != nil {
				return err
			}
		} else if !errors.Is(err, model.ErrNotFound) {
			return err
		}
		if err := updateLicenseKeys(bg, tx, w.id); err != nil {
			return err
		}
		if err := w.deriveHolders(bg, tx, patched); err != nil {
			return err
		}
		if err := deriveUserFacts(bg, tx, w.id); err != nil {
			return err
		}
		if err := w.writeExtras(bg, tx); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(bg, `UPDATE snapshots SET complete = 1, saved_at = ?, refreshed_kind = 'full',
				users_delta_link = ?, groups_delta_link = ? WHERE id = ?`,
			timeToDB(w.s.Now()), w.links.Users, w.links.Groups, w.id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(bg, `
			INSERT INTO current_snapshot (id, snapshot_id) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET snapshot_id = excluded.snapshot_id`, w.id); err != nil {
			return fmt.Errorf("make snapshot %d current: %w", w.id, err)
		}
		return nil
	})
	if err != nil {
		abortErr := w.Abort(context.WithoutCancel(ctx))
		return errors.Join(fmt.Errorf("save snapshot: %w", err), abortErr)
	}
	w.done = true
	w.s.prune()
	return nil
}

// deriveHolders derives the new snapshot's holders: of every user, or, when users were carried
// (their holders with them), of those written again and those patched (whose carried holders go
// first). A user's holders follow from its own rows alone.
func (w *SnapshotWriter) deriveHolders(ctx context.Context, tx *sql.Tx, patched []string) error {
	if !w.carried {
		return deriveHolders(ctx, tx, w.id, nil)
	}
	stale := append(slices.Clip(w.rewritten), patched...)
	if len(stale) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM snapshot_holders WHERE snapshot_id = ?1
			AND user_id IN (SELECT value FROM json_each(?2))`, w.id, idsJSON(stale)); err != nil {
		return fmt.Errorf("replace changed users' holders: %w", err)
	}
	return deriveHolders(ctx, tx, w.id, stale)
}

// carriedHashes are the content hashes of the users among users that snapshot snapID holds.
func carriedHashes(ctx context.Context, tx *sql.Tx, snapID int64, users []encodedUser) (map[string]int64, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.id
	}
	hashes := make(map[string]int64, len(users))
	err := eachRow(ctx, tx, `SELECT id, content_hash FROM snapshot_users WHERE snapshot_id = ?1
			AND id IN (SELECT value FROM json_each(?2))`, []any{snapID, idsJSON(ids)}, func(rows *sql.Rows) error {
		var id string
		var hash int64
		if err := rows.Scan(&id, &hash); err != nil {
			return err
		}
		hashes[id] = hash
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("carried users: %w", err)
	}
	return hashes, nil
}

// dropUnread removes the carried users the sync did not read: gone from the tenant.
func (w *SnapshotWriter) dropUnread(ctx context.Context, tx *sql.Tx) error {
	if !w.carried {
		return nil
	}
	ids, err := queryColumn[string](ctx, tx, `SELECT id FROM snapshot_users WHERE snapshot_id = ?`, w.id)
	if err != nil {
		return fmt.Errorf("carried users: %w", err)
	}
	gone := slices.DeleteFunc(ids, func(id string) bool { return w.seen[id] })
	if len(gone) == 0 {
		return nil
	}
	return deleteUserRows(ctx, tx, w.id, gone)
}

// Abort deletes the unfinished snapshot.
func (w *SnapshotWriter) Abort(ctx context.Context) error {
	if w.done {
		return nil
	}
	w.done = true
	w.pendingUsers, w.pendingSignIns = nil, nil
	if w.writing != nil { // rolled back (or written) before its rows are deleted
		w.stopWriting()
		<-w.writing
		w.writing = nil
	}
	err := w.s.inTx(ctx, func(tx *sql.Tx) error { return deleteSnapshots(ctx, tx, []int64{w.id}) })
	if err != nil {
		return fmt.Errorf("discard unfinished snapshot %d: %w", w.id, err)
	}
	return nil
}

// deriveUserFacts computes, for every user and group of snapshot snapID, what follows from the
// users and their holders (derived first): what the license report keeps of the holders, each
// group's error count and (where Graph did not count them) user count, and the snapshot's totals.
func deriveUserFacts(ctx context.Context, tx *sql.Tx, snapID int64) error {
	if err := addHolderValues(ctx, tx, snapID, nil); err != nil {
		return err
	}
	if err := countHolders(ctx, tx, snapID); err != nil {
		return err
	}
	if err := recountGroups(ctx, tx, snapID, nil); err != nil {
		return err
	}
	return recountSnapshot(ctx, tx, snapID)
}

// recountGroups recomputes the error count of the groups of ids (every group when nil) and the
// user count of those whose users Graph did not count (user_count < 0 while written): one pass
// over the snapshot's license states, grouped by group.
func recountGroups(ctx context.Context, tx *sql.Tx, snapID int64, ids []string) error {
	only, args := "", []any{snapID}
	if ids != nil {
		only = ` AND id IN (SELECT value FROM json_each(?2))`
		args = append(args, idsJSON(ids))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE snapshot_groups SET error_count = 0 WHERE snapshot_id = ?1`+only, args...); err != nil {
		return fmt.Errorf("count errors per group: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE snapshot_groups SET error_count = c.n
		FROM (SELECT assigned_by_group AS g, count(DISTINCT user_id) AS n FROM snapshot_user_states
			WHERE snapshot_id = ?1 AND error <> '' GROUP BY assigned_by_group) c
		WHERE snapshot_id = ?1 AND id = c.g`+only, args...); err != nil {
		return fmt.Errorf("count errors per group: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `WITH c AS MATERIALIZED (SELECT assigned_by_group AS g, count(DISTINCT user_id) AS n
			FROM snapshot_user_states WHERE snapshot_id = ?1 AND assigned_by_group <> '' GROUP BY assigned_by_group)
		UPDATE snapshot_groups SET user_count = coalesce((SELECT n FROM c WHERE c.g = snapshot_groups.id), 0)
		WHERE snapshot_id = ?1 AND user_count < 0`+only, args...); err != nil {
		return fmt.Errorf("count users per group: %w", err)
	}
	return nil
}

// recountSnapshot recomputes the snapshot's users, licensed users and users in error.
func recountSnapshot(ctx context.Context, tx *sql.Tx, snapID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE snapshots SET
			user_count = (SELECT count(*) FROM snapshot_users WHERE snapshot_id = ?1),
			licensed_users = (SELECT count(DISTINCT user_id) FROM snapshot_user_assigned WHERE snapshot_id = ?1),
			users_with_errors = (SELECT count(*) FROM snapshot_users WHERE snapshot_id = ?1 AND has_errors)
		WHERE id = ?1`, snapID)
	if err != nil {
		return fmt.Errorf("count the snapshot's users: %w", err)
	}
	return nil
}

// collectIDs runs a query of one integer column.
func collectIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	return queryColumn[int64](ctx, tx, query, args...)
}

// deleteSnapshots deletes the snapshots of ids and every row of theirs.
func deleteSnapshots(ctx context.Context, tx *sql.Tx, ids []int64) error {
	for _, id := range ids {
		if err := eachSnapshotDelete(ctx, id, func(del func(*sql.Tx) error) error { return del(tx) }); err != nil {
			return err
		}
	}
	return nil
}

// eachSnapshotDelete hands run, in turn, the deletes that remove snapshot id: a table at a time,
// children first, then the snapshot itself. run says in which transaction each goes (one for
// all, or one each as the pruner does).
func eachSnapshotDelete(ctx context.Context, id int64, run func(del func(*sql.Tx) error) error) error {
	for _, table := range append(snapshotTables[:len(snapshotTables):len(snapshotTables)], "snapshots") {
		col := "snapshot_id"
		if table == "snapshots" {
			col = "id"
		}
		if err := run(func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+col+` = ?`, id)
			return err
		}); err != nil {
			return fmt.Errorf("delete snapshot %d from %s: %w", id, table, err)
		}
	}
	return nil
}
