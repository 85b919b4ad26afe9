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
	"net/url"
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
}

// Open opens (creating if needed) the database at path, with WAL, foreign keys and a busy
// timeout on every connection, and applies pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	registerDriver()
	db, err := openPool(ctx, path, false)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, Now: time.Now, owner: newRunOwner()}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if err := s.MarkInterruptedRuns(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// After migrating: the file exists, in WAL mode, with every table a read may name.
	if s.rdb, err = openPool(ctx, path, true); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	return s, nil
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
// interrupted first: once it is closed nothing can finish them.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return errors.Join(s.rdb.Close(), s.db.Close()) // closed already: a no-op, as for sql.DB
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	markErr := s.markOwnRunsInterrupted(ctx)
	if err := errors.Join(s.rdb.Close(), s.db.Close()); err != nil {
		return err
	}
	return markErr
}

// DB is the underlying database (the writing pool), for packages' own tests.
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks the database answers through both pools, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	if err := s.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("ping read pool: %w", err)
	}
	return nil
}
