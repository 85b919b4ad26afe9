// Package store keeps tenantdesk's data in SQLite: tenant snapshots, sync runs, the license-name
// catalog, IP range sources and the activity log. One file per entity, SQL next to the code that
// uses it; sql.go has the helpers they share. A read that takes several queries runs them in one
// read transaction (Store.read), so it sees one state of the database.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-migrate/migrate/v4"
	sqlite3migrate "github.com/golang-migrate/migrate/v4/database/sqlite3"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/mattn/go-sqlite3"

	"github.com/tenantdesk/tenantdesk/migrations"
)

// driverName is mattn/go-sqlite3 with our SQL functions on every connection: fold(s) lower-cases
// like Go's strings.ToLower (SQLite's lower() folds ASCII only, so "émile" would not find
// "Émile"), so searches fold text in SQL exactly as the query is folded in Go.
const driverName = "sqlite3_tenantdesk"

var registerDriver = sync.OnceFunc(func() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error { return c.RegisterFunc("fold", fold, true) },
	})
})

// Store is the SQLite database, through two pools of connections to the same file: db for
// writes (and migrations), rdb for reads. Two pools because go-sqlite3 begins every transaction
// of a pool the same way (its _txlock; sql.TxOptions.ReadOnly is ignored): writes must begin
// IMMEDIATE, and a read transaction must not take the write lock.
type Store struct {
	db  *sql.DB
	rdb *sql.DB
	// Now is the clock; tests replace it.
	Now func() time.Time
	// owner names this open store in the sync runs it starts, so other processes can tell
	// whether those runs are still alive.
	owner  RunOwner
	closed atomic.Bool
	lock   *fileLock // shared: a restore waits for every open Store to close
	// writeTurn is held by the write under way (see takeWriteTurn).
	writeTurn chan struct{}
	pruner    pruner
}

// Open opens (creating if needed) the database at path, with WAL, foreign keys and a busy
// timeout on every connection, and applies pending migrations. A new database file is created
// readable by its owner only (0600), in a directory made 0700 when Open creates it: it holds the
// tenant's directory and the activity log.
func Open(ctx context.Context, path string) (*Store, error) {
	registerDriver()
	if err := prepareFile(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	lock, err := lockFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := openPool(ctx, path, false)
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, Now: time.Now, owner: newRunOwner(), lock: lock, writeTurn: make(chan struct{}, 1)}
	s.pruner.ctx, s.pruner.stop = context.WithCancel(context.Background())
	fail := func(err error) (*Store, error) {
		db.Close()
		lock.release()
		return nil, err
	}
	if err := s.migrate(); err != nil {
		return fail(fmt.Errorf("migrate %s: %w", path, err))
	}
	if err := s.MarkInterruptedRuns(ctx); err != nil {
		return fail(fmt.Errorf("open %s: %w", path, err))
	}
	// After migrating: the file exists, in WAL mode, with every table a read may name.
	if s.rdb, err = openPool(ctx, path, true); err != nil {
		return fail(fmt.Errorf("open %s for reading: %w", path, err))
	}
	return s, nil
}

// prepareFile creates the database's directory (0700) and the empty file (0600) when missing,
// and takes group and other permissions off an existing file and its journal: SQLite gives
// the WAL and shared-memory files the database file's mode.
func prepareFile(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
		}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			continue // the journal files exist only while the database is open
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("make %s private: %w", p, err)
			}
		}
	}
	return nil
}

// openPool opens a pool of connections to path: for writing, transactions begin IMMEDIATE so
// the write lock is taken at BEGIN and a transaction that reads first cannot fail half-way on
// it; for reading, they begin DEFERRED, taking no lock until the first read, which in WAL mode
// fixes the one state of the database the whole transaction sees and never waits for a
// writer. query_only makes a write on the read pool an error rather than a surprise.
func openPool(ctx context.Context, path string, forReading bool) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_synchronous", "NORMAL")
	if forReading {
		q.Set("_txlock", "deferred")
		q.Set("_query_only", "on")
	} else {
		q.Set("_txlock", "immediate")
	}
	db, err := sql.Open(driverName, "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (s *Store) migrate() error {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return err
	}
	drv, err := sqlite3migrate.WithInstance(s.db, &sqlite3migrate.Config{})
	if err != nil {
		return err
	}
	m, err := migrate.NewWithInstance("iofs", src, "sqlite3", drv)
	if err != nil {
		return err
	}
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return err
	}
	return nil
}

// Close closes the database. Sync runs this store started and did not finish are marked
// interrupted first (once it is closed nothing can finish them), and its unfinished jobs are
// released for the next process to take up.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return errors.Join(s.rdb.Close(), s.db.Close()) // closed already: a no-op, as for sql.DB
	}
	s.pruner.wg.Wait() // a second or two: a one-shot refresh must not leave the old snapshot behind
	s.pruner.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	markErr := errors.Join(s.markOwnRunsInterrupted(ctx), s.ReleaseJobs(ctx))
	if err := errors.Join(s.rdb.Close(), s.db.Close(), s.lock.release()); err != nil {
		return err
	}
	return markErr
}

// DB is the underlying database (the writing pool), for packages' own tests.
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks the database answers through both pools, for readiness probes: each reads the
// file's header and the root page of every table, which an open pool's PingContext alone does
// not (it answers from a cached connection while the file underneath is garbage).
func (s *Store) Ping(ctx context.Context) error {
	if err := check(ctx, s.db); err != nil {
		return fmt.Errorf("database check: %w", err)
	}
	if err := check(ctx, s.rdb); err != nil {
		return fmt.Errorf("database check (read pool): %w", err)
	}
	return nil
}

// check is Ping's cheap query: the schema, then one row of each table (its root page); the
// cost does not grow with the data.
func check(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(tables) == 0 {
		return errors.New("the database has no tables")
	}
	for _, t := range tables {
		var one int
		err := db.QueryRowContext(ctx, `SELECT 1 FROM "`+strings.ReplaceAll(t, `"`, `""`)+`" LIMIT 1`).Scan(&one)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("table %s: %w", t, err)
		}
	}
	return nil
}
