package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// keepPrevious is how many snapshots older than the current one are kept; the rest are deleted
// when a new one is saved. Readers do not depend on it: a read transaction (Store.read) keeps
// its view of a snapshot pruned while it reads.
const keepPrevious = 1

// checkEvery is how many users are written between checks of ctx: statements run without ctx,
// because go-sqlite3 starts a goroutine per statement that has one.
const checkEvery = 1024

// SaveSnapshot writes snap under a new snapshot id and makes it current: on any error (ctx
// cancelled included) nothing changes and the previous snapshot stays current. Snapshots older
// than the previous one are deleted once it is current, in the background (WaitPruned). Users
// and groups that appear twice are written once (the first wins), and so are duplicate license
// entries. A sync streams pages through a SnapshotWriter instead; this is the same for a
// snapshot already in memory.
func (s *Store) SaveSnapshot(ctx context.Context, runID int64, snap model.Snapshot) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	w, err := s.BeginSnapshot(ctx, runID, snap.TakenAt)
	if err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	for page := range slices.Chunk(snap.Users, 4096) {
		if err := w.AddUsers(ctx, page); err != nil {
			return errors.Join(fmt.Errorf("save snapshot: %w", err), w.Abort(context.WithoutCancel(ctx)))
		}
	}
	if err := w.AddSignIns(ctx, snap.SignIns); err != nil {
		return errors.Join(fmt.Errorf("save snapshot: %w", err), w.Abort(context.WithoutCancel(ctx)))
	}
	if snap.Extras != nil {
		w.SetExtras(*snap.Extras)
	}
	return w.Commit(ctx, snap.SKUs, snap.Groups, snap.MemberCounts)
}

func insertSKUs(ctx context.Context, tx *sql.Tx, snapID int64, skus []model.SKU) error {
	skuStmt, err := tx.PrepareContext(ctx, `
		INSERT INTO snapshot_skus (snapshot_id, sku_id, part_number, applies_to, capability_status,
			consumed_units, prepaid_enabled, prepaid_suspended, prepaid_warning, prepaid_locked)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("insert skus: %w", err)
	}
	defer skuStmt.Close()
	planStmt, err := tx.PrepareContext(ctx, `
		INSERT INTO snapshot_sku_plans (snapshot_id, sku_id, plan_id, name, provisioning_status, applies_to, position)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("insert sku plans: %w", err)
	}
	defer planStmt.Close()
	for _, k := range skus {
		id := model.NormalizeID(k.ID)
		if _, err := skuStmt.ExecContext(ctx, snapID, id, k.PartNumber, k.AppliesTo, k.CapabilityStatus,
			k.ConsumedUnits, k.Prepaid.Enabled, k.Prepaid.Suspended, k.Prepaid.Warning, k.Prepaid.LockedOut); err != nil {
			return fmt.Errorf("insert sku %q: %w", k.ID, err)
		}
		for i, p := range k.ServicePlans {
			if _, err := planStmt.ExecContext(ctx, snapID, id, model.NormalizeID(p.ID), p.Name, p.ProvisioningStatus, p.AppliesTo, i); err != nil {
				return fmt.Errorf("insert plan %q of sku %q: %w", p.ID, k.ID, err)
			}
		}
	}
	return nil
}

// insertGroups writes the licensed groups with their member counts; error counts, and user
// counts Graph did not give (written as -1), are derived from the users afterwards.
func insertGroups(ctx context.Context, tx *sql.Tx, snapID int64, groups []*model.Group, counts map[string]model.MemberCounts) error {
	groupStmt, err := tx.PrepareContext(ctx, `
		INSERT INTO snapshot_groups (snapshot_id, id, display_name, sort_name, processing_state,
			member_count, user_count, error_count, licenses_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, '')`)
	if err != nil {
		return fmt.Errorf("insert groups: %w", err)
	}
	defer groupStmt.Close()
	detailStmt, err := tx.PrepareContext(ctx, `
		INSERT INTO snapshot_group_details (snapshot_id, group_id, description, mail, group_types,
			security_enabled, mail_enabled, membership_rule, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("insert group details: %w", err)
	}
	defer detailStmt.Close()
	licStmt, err := tx.PrepareContext(ctx, `
		INSERT INTO snapshot_group_licenses (snapshot_id, group_id, sku_id, disabled_plans)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("insert group licenses: %w", err)
	}
	defer licStmt.Close()
	for _, g := range groups {
		c := counts[g.ID]
		users := c.Users
		if c.UsersFromStates {
			users = -1
		}
		if _, err := groupStmt.ExecContext(ctx, snapID, g.ID, g.DisplayName, fold(g.DisplayName), g.ProcessingState,
			c.All, users, 0); err != nil {
			return fmt.Errorf("insert group %q: %w", g.ID, err)
		}
		if _, err := detailStmt.ExecContext(ctx, snapID, g.ID, g.Description, g.Mail, jsonList(g.GroupTypes),
			g.SecurityEnabled, g.MailEnabled, g.MembershipRule, timeToDB(g.CreatedAt)); err != nil {
			return fmt.Errorf("insert group %q: %w", g.ID, err)
		}
		for _, l := range g.AssignedLicenses {
			if _, err := licStmt.ExecContext(ctx, snapID, g.ID, model.NormalizeID(l.SKUID), guidList(l.DisabledPlans)); err != nil {
				return fmt.Errorf("insert license %q of group %q: %w", l.SKUID, g.ID, err)
			}
		}
	}
	return nil
}

// insertUsers writes users into snapshot snapID with their properties, licenses, states and
// search keys (deriveHolders then derives their holdings), a prepared statement per table; a
// user already there is left as it is. Statements run with bg; ctx is checked between users.
func insertUsers(ctx, bg context.Context, tx *sql.Tx, snapID int64, users []*model.User) error {
	encoded := make([]encodedUser, len(users))
	var c userContent
	for i, u := range users {
		var err error
		if encoded[i], err = c.encode(u); err != nil {
			return err
		}
	}
	_, _, err := writeUsersOver(ctx, bg, tx, snapID, encoded, nil)
	return err
}

// writeUsersOver is insertUsers of users already encoded into a snapshot that already holds
// the users of carried (their content hashes, see userContent): a user whose content is the
// same is left as it is, one whose content changed has its rows replaced. It returns how many
// users were left as they were and, when carried is not nil, the ids of those it wrote.
func writeUsersOver(ctx, bg context.Context, tx *sql.Tx, snapID int64, users []encodedUser, carried map[string]int64) (kept int, written []string, err error) {
	ins := []*rowInserter{
		newRowInserter(tx, "snapshot_users", []string{"snapshot_id", "id", "display_name", "upn", "mail", "given_name",
			"surname", "department", "job_title", "company_name", "employee_id", "city", "country", "usage_location",
			"user_type", "account_enabled", "on_prem_sync", "created_at", "has_errors", "sort_name", "search_text", "licensed",
			"content_hash"}, snapID, " ON CONFLICT DO NOTHING"),
		newRowInserter(tx, "snapshot_user_props", []string{"snapshot_id", "user_id", "props"}, snapID, " ON CONFLICT DO NOTHING"),
		newRowInserter(tx, "snapshot_user_assigned", []string{"snapshot_id", "user_id", "sku_id", "disabled_plans"}, snapID,
			" ON CONFLICT DO NOTHING"),
		newRowInserter(tx, "snapshot_user_states", []string{"snapshot_id", "user_id", "sku_id", "assigned_by_group", "state",
			"error", "disabled_plans", "last_updated"}, snapID, " ON CONFLICT DO NOTHING"),
		newRowInserter(tx, "snapshot_user_keys", []string{"snapshot_id", "key", "user_id"}, snapID, " ON CONFLICT DO NOTHING"),
	}
	defer func() {
		for _, r := range ins {
			r.close()
		}
	}()
	userRows, propRows, assignedRows, stateRows, keyRows := ins[0], ins[1], ins[2], ins[3], ins[4]
	// A changed user's rows go before the new ones come (the snapshot has no holders yet); its
	// search keys, which are keyed by key, all at once before the batch's keys are written.
	var removers []*rowInserter
	var rekeyed []string
	for _, t := range userRowTables {
		if t[0] == "snapshot_user_keys" {
			continue
		}
		removers = append(removers, &rowInserter{query: `DELETE FROM ` + t[0] + ` WHERE snapshot_id = ? AND ` + t[1] + ` = ?`,
			fixed: snapID, tx: tx})
	}
	defer func() {
		for _, r := range removers {
			r.close()
		}
	}()
	var keys []userKeyRow
	for i, u := range users {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return kept, written, err
			}
		}
		if old, isCarried := carried[u.id]; isCarried {
			if old == u.hash {
				kept++
				continue
			}
			for _, r := range removers {
				if err := r.add(bg, u.id); err != nil {
					return kept, written, fmt.Errorf("replace changed user %q: %w", u.id, err)
				}
			}
			rekeyed = append(rekeyed, u.id)
		}
		if carried != nil {
			written = append(written, u.id)
		}
		err := u.eachRow(func(table byte, vals []any) error {
			switch table {
			case userRow:
				if err := userRows.add(bg, append(vals, u.hash)...); err != nil {
					return fmt.Errorf("insert users: %w", err)
				}
			case propsRow:
				if vals[0] != "{}" {
					if err := propRows.add(bg, u.id, vals[0]); err != nil {
						return fmt.Errorf("insert user properties: %w", err)
					}
				}
			case assignedRow:
				if err := assignedRows.add(bg, vals...); err != nil {
					return fmt.Errorf("insert assigned licenses: %w", err)
				}
			case stateRow:
				if err := stateRows.add(bg, vals...); err != nil {
					return fmt.Errorf("insert license states: %w", err)
				}
			case keyRow:
				keys = append(keys, userKeyRow{vals[0].(string), u.id})
			}
			return nil
		})
		if err != nil {
			return kept, written, err
		}
	}
	if len(rekeyed) > 0 {
		if _, err := tx.ExecContext(bg, `DELETE FROM snapshot_user_keys WHERE snapshot_id = ?1
				AND user_id IN (SELECT value FROM json_each(?2))`, snapID, idsJSON(rekeyed)); err != nil {
			return kept, written, fmt.Errorf("replace changed users' search keys: %w", err)
		}
	}
	return kept, written, insertUserKeys(ctx, bg, keyRows, keys)
}

// userContentVersion is hashed into every user's content: change it when insertUsers writes a
// user's rows differently, so that no sync carries rows written the old way. 2: every value
// is of a type eachRow decodes (a license error was hashed as its Go type and value).
const userContentVersion = 2

// userContent is what insertUsers writes of one user, row by row, and a hash of all of it (never
// 0, the hash of nothing known). Its slices are reused from one user to the next.
type userContent struct {
	user             []any
	props            string
	assigned, states [][]any
	keys             []userKeyRow
	hash             int64
	buf              []byte
}

func (c *userContent) of(u *model.User) error {
	props, err := propsJSON(u)
	if err != nil {
		return fmt.Errorf("user %q props: %w", u.ID, err)
	}
	c.props = props
	c.user = append(c.user[:0], u.ID, u.DisplayName, u.UserPrincipalName, u.Mail,
		u.GivenName, u.Surname, u.Department, u.JobTitle, u.CompanyName, u.EmployeeID, u.City, u.Country,
		u.UsageLocation, u.UserType, u.AccountEnabled, u.OnPremisesSyncEnabled, timeToDB(u.CreatedAt),
		hasErrors(u), fold(u.DisplayName), searchText(u), len(u.AssignedLicenses) > 0)
	c.assigned = c.assigned[:0]
	for _, l := range u.AssignedLicenses {
		c.assigned = append(c.assigned, []any{u.ID, model.NormalizeID(l.SKUID), guidList(l.DisabledPlans)})
	}
	c.states = c.states[:0]
	for _, st := range u.LicenseStates {
		c.states = append(c.states, []any{u.ID, model.NormalizeID(st.SKUID), st.AssignedByGroup, st.State,
			string(st.Error), guidList(st.DisabledPlans), timeToDB(st.LastUpdated)})
	}
	c.keys = appendUserKeys(c.keys[:0], u)
	b := binary.AppendUvarint(c.buf[:0], userContentVersion)
	b = appendHashed(b, userRow, c.user...)
	b = appendHashed(b, propsRow, c.props)
	for _, row := range c.assigned {
		b = appendHashed(b, assignedRow, row...)
	}
	for _, row := range c.states {
		b = appendHashed(b, stateRow, row...)
	}
	for _, k := range c.keys {
		b = appendHashed(b, keyRow, k.key)
	}
	c.buf = b
	sum := sha256.Sum256(b)
	if c.hash = int64(binary.BigEndian.Uint64(sum[:8])); c.hash == 0 {
		c.hash = 1
	}
	return nil
}

// The rows of a user's content, as appendHashed marks them, and how many values each has.
const (
	userRow     = 'u' // snapshot_users but its snapshot and content hash
	propsRow    = 'p' // the properties' JSON
	assignedRow = 'a' // snapshot_user_assigned but its snapshot
	stateRow    = 's' // snapshot_user_states but its snapshot
	keyRow      = 'k' // a search key
)

var rowValues = map[byte]int{userRow: 21, propsRow: 1, assignedRow: 3, stateRow: 7, keyRow: 1}

// encodedUser is a user as the snapshot writes it: its rows as userContent hashes them
// (appendHashed's bytes) and that hash. A SnapshotWriter encodes each user as it is added,
// beside the batch being written, and holds the encoding (about 1 KB a user of the
// benchmark's tenant) instead of the page the user came in: the whole page (model.User is 704
// bytes before its strings and licenses) then goes as soon as it is added, and a carried user
// is hashed once, not again to be written.
type encodedUser struct {
	id   string
	hash int64
	rows []byte
}

// encode is u encoded (c is reused from one user to the next).
func (c *userContent) encode(u *model.User) (encodedUser, error) {
	if err := c.of(u); err != nil {
		return encodedUser{}, err
	}
	return encodedUser{id: u.ID, hash: c.hash, rows: bytes.Clone(c.buf)}, nil
}

// eachRow calls fn with each of u's rows: which (userRow...) and its values, as userContent.of
// built them. The strings share u.rows's memory (SQLite copies what it binds): they must not
// outlive u, and vals is reused from one row to the next.
func (u *encodedUser) eachRow(fn func(table byte, vals []any) error) error {
	b := u.rows
	version, n := binary.Uvarint(b)
	if n <= 0 || version != userContentVersion {
		return fmt.Errorf("user %q: encoded in an unknown form", u.id)
	}
	b = b[n:]
	var vals []any
	for len(b) > 0 {
		table := b[0]
		count, ok := rowValues[table]
		if !ok {
			return fmt.Errorf("user %q: unknown row %q", u.id, table)
		}
		b = b[1:]
		vals = vals[:0]
		for range count {
			v, rest, err := decodeValue(b)
			if err != nil {
				return fmt.Errorf("user %q: row %q: %w", u.id, table, err)
			}
			vals, b = append(vals, v), rest
		}
		if err := fn(table, vals); err != nil {
			return err
		}
	}
	return nil
}

// decodeValue reads one of appendHashed's values off the front of b.
func decodeValue(b []byte) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, errors.New("value missing")
	}
	switch tag, b := b[0], b[1:]; tag {
	case 's':
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, nil, errors.New("string cut short")
		}
		b = b[k:]
		if n == 0 {
			return "", b, nil
		}
		return unsafe.String(&b[0], int(n)), b[n:], nil
	case 'b':
		if len(b) < 1 {
			return nil, nil, errors.New("bool cut short")
		}
		return b[0] == 1, b[1:], nil
	case 'n':
		return sql.NullInt64{}, b, nil
	case 'i':
		if len(b) < 8 {
			return nil, nil, errors.New("integer cut short")
		}
		return sql.NullInt64{Int64: int64(binary.BigEndian.Uint64(b)), Valid: true}, b[8:], nil
	default:
		return nil, nil, fmt.Errorf("value of unknown type %q", tag)
	}
}

// appendHashed appends a row's values to b, each with its type and length so that no two
// different rows append the same bytes. userContent.of gives it strings, bools and
// sql.NullInt64s, which decodeValue reads back; anything else is marked so that it refuses it.
func appendHashed(b []byte, row byte, vals ...any) []byte {
	b = append(b, row)
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			b = binary.AppendUvarint(append(b, 's'), uint64(len(v)))
			b = append(b, v...)
		case bool:
			b = append(b, 'b')
			if v {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		case sql.NullInt64:
			if !v.Valid {
				b = append(b, 'n')
			} else {
				b = binary.BigEndian.AppendUint64(append(b, 'i'), uint64(v.Int64))
			}
		default:
			b = fmt.Appendf(append(b, 'x'), "%T:%v;", v, v)
		}
	}
	return b
}

// userTables hold a snapshot's rows about each user (by user_id), besides snapshot_users.
var userTables = []string{"snapshot_holders", "snapshot_user_props", "snapshot_user_states", "snapshot_user_assigned", "snapshot_user_keys"}

// snapshotTables are deleted child first.
var snapshotTables = append(append(userTables[:len(userTables):len(userTables)], "snapshot_signins", "snapshot_users", "snapshot_holder_values", "snapshot_sku_holders", "snapshot_subscriptions", "snapshot_nested_groups"),
	"snapshot_group_licenses", "snapshot_group_details", "snapshot_groups", "snapshot_sku_plans", "snapshot_skus")

// pruner deletes the snapshots a new current one left behind, after it is current, off the
// sync's path: deleting a 50,000-user snapshot took 0.9 s of a 4.2 s save (BenchmarkSaveSnapshot
// over a previous one), all of it inside the commit and holding the write lock. It deletes a
// table at a time, each in a transaction of its own, so other writes are not held up for long;
// what a failure leaves the next snapshot's pruning finishes; Close waits for it.
type pruner struct {
	mu      sync.Mutex
	running bool
	again   bool // a snapshot was made current while it ran
	wg      sync.WaitGroup
	ctx     context.Context
	stop    context.CancelFunc
	lastErr error // of the last pass (WaitPruned)
}

// prune starts deleting what keepPrevious does not keep, or has it done again once the pass
// under way ends.
func (s *Store) prune() {
	p := &s.pruner
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		p.again = true
		return
	}
	p.running = true
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			err := s.pruneSnapshots(p.ctx)
			p.mu.Lock()
			p.lastErr = err
			if !p.again || p.ctx.Err() != nil {
				p.running = false
				p.mu.Unlock()
				return
			}
			p.again = false
			p.mu.Unlock()
		}
	}()
}

// WaitPruned waits for the pruning under way and returns its outcome: for tests, and for the
// benchmark, which measures a sync as it runs once a day, long after the last one's pruning.
func (s *Store) WaitPruned() error {
	s.pruner.wg.Wait()
	s.pruner.mu.Lock()
	defer s.pruner.mu.Unlock()
	return s.pruner.lastErr
}

// pruneSnapshots deletes every snapshot older than the current one but the keepPrevious complete
// ones before it (unfinished ones among them go too), a table at a time.
func (s *Store) pruneSnapshots(ctx context.Context) error {
	var old []int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := currentSnapshot(ctx, tx)
		if err != nil {
			return err
		}
		old, err = collectIDs(ctx, tx, `SELECT id FROM snapshots WHERE id < ?1 AND (complete = 0 OR id NOT IN
			(SELECT id FROM snapshots WHERE id < ?1 AND complete = 1 ORDER BY id DESC LIMIT ?2))`, cur.ID, keepPrevious)
		return err
	})
	if err != nil {
		return fmt.Errorf("prune snapshots: %w", err)
	}
	for _, id := range old {
		if err := eachSnapshotDelete(ctx, id, func(del func(*sql.Tx) error) error {
			return s.inTx(ctx, del)
		}); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
	}
	return nil
}

// CurrentSnapshot identifies the snapshot pages read; ErrNotFound before the first sync.
func (s *Store) CurrentSnapshot(ctx context.Context) (model.SnapshotInfo, error) {
	return currentSnapshot(ctx, s.rdb)
}

// currentSnapshot is CurrentSnapshot as q sees it: inside a transaction, the snapshot the rest
// of the transaction reads or writes.
func currentSnapshot(ctx context.Context, q querier) (model.SnapshotInfo, error) {
	var info model.SnapshotInfo
	var runID, full sql.NullInt64
	var taken int64
	err := q.QueryRowContext(ctx, `
		SELECT s.id, s.run_id, s.taken_at, s.refreshed_kind, s.full_taken_at
		FROM current_snapshot c JOIN snapshots s ON s.id = c.snapshot_id`).
		Scan(&info.ID, &runID, &taken, &info.Kind, &full)
	if errors.Is(err, sql.ErrNoRows) {
		return model.SnapshotInfo{}, fmt.Errorf("current snapshot: %w", model.ErrNotFound)
	} else if err != nil {
		return model.SnapshotInfo{}, fmt.Errorf("current snapshot: %w", err)
	}
	info.RunID = runID.Int64
	info.TakenAt = timeFromDB(sql.NullInt64{Int64: taken, Valid: true})
	info.FullAt = timeFromDB(full)
	if info.FullAt.IsZero() {
		info.FullAt = info.TakenAt
	}
	return info, nil
}

// hasErrors is User.HasLicenseErrors for errors not normalised yet.
func hasErrors(u *model.User) bool {
	for _, st := range u.LicenseStates {
		if st.Error != model.ErrorNone {
			return true
		}
	}
	return false
}

// DataVersion is a value that changes whenever the current snapshot's data does: another
// snapshot becomes current, a refresh patches it in place (its run and save time change), or a
// reprocess, cleanup or template change patches it, or product names are imported (the patch
// sequence moves). Pages keep what they worked out from the data while it stays the same.
func (s *Store) DataVersion(ctx context.Context) (string, error) {
	_, v, err := dataVersion(ctx, s.rdb)
	return v, err
}

// dataVersion is the current snapshot's id and DataVersion as q sees the data: read in the
// transaction of a read, it is the version of exactly what that read sees.
func dataVersion(ctx context.Context, q querier) (int64, string, error) {
	v, err := readVersion(ctx, q)
	return v.snapshot, v.String(), err
}

// version is what a DataVersion is made of. unstamped is not part of it: the patch number at the
// latest change of the snapshot's users in place that stamped none of them (an incremental
// refresh; see holderorder.go).
type version struct {
	snapshot, run, saved, seq int64
	unstamped                 int64
}

func (v version) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", v.snapshot, v.run, v.saved, v.seq)
}

// parseVersion reads a DataVersion back; false if s is not one.
func parseVersion(s string) (version, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return version{}, false
	}
	var n [4]int64
	for i, p := range parts {
		x, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return version{}, false
		}
		n[i] = x
	}
	return version{snapshot: n[0], run: n[1], saved: n[2], seq: n[3]}, true
}

func readVersion(ctx context.Context, q querier) (version, error) {
	var v version
	err := q.QueryRowContext(ctx, `
		SELECT s.id, coalesce(s.run_id, 0), s.saved_at, (SELECT value FROM patch_seq WHERE id = 1), s.unstamped_seq
		FROM current_snapshot c JOIN snapshots s ON s.id = c.snapshot_id`).Scan(&v.snapshot, &v.run, &v.saved, &v.seq, &v.unstamped)
	if errors.Is(err, sql.ErrNoRows) {
		return version{}, fmt.Errorf("data version: %w", model.ErrNotFound)
	} else if err != nil {
		return version{}, fmt.Errorf("data version: %w", err)
	}
	return v, nil
}
