package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/tenantdesk/tenantdesk/migrations"
)

// Backup and restore: SQLite's online backup API copies every page of the database in one
// read transaction, so the copy is consistent however much a running server or sync writes
// meanwhile (WAL lets them go on), and a restore replaces a database nothing uses.

// ErrInUse is a restore refused because a tenantdesk process has the database open.
var ErrInUse = errors.New("the database is in use by a running tenantdesk (serve, demo, or another command): stop it first")

// BackupInfo describes a backup file.
type BackupInfo struct {
	Path      string
	Bytes     int64
	Pages     int
	Activity  int // activity log entries in it
	Jobs      int
	Snapshots int
	Migration uint // the schema version it was written with
}

// Backup writes a consistent copy of the database to path, which must not exist (the file is
// written under a temporary name, checked, then linked into place, mode 0600). It does not wait
// for writers: the copy is the database as of the moment it started.
func (s *Store) Backup(ctx context.Context, path string) (BackupInfo, error) {
	if _, err := os.Lstat(path); err == nil {
		return BackupInfo{}, fmt.Errorf("backup: %s exists already; choose a new file name", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+randomHex(6))
	defer os.Remove(tmp)
	if err := createPrivate(tmp); err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	src, err := s.rdb.Conn(ctx)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	defer src.Close()
	pages, err := copyDatabase(ctx, src, tmp)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	info, err := inspectBackup(ctx, tmp)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup: the copy does not check out: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	info.Path, info.Pages = path, pages
	if fi, err := os.Stat(path); err == nil {
		info.Bytes = fi.Size()
	}
	return info, nil
}

// copyDatabase copies the database of the connection src into the file dest with the backup
// API, in one step (one read transaction: consistent), retrying while dest is busy.
func copyDatabase(ctx context.Context, src *sql.Conn, dest string) (int, error) {
	dst, err := sql.Open(driverName, "file:"+dest+"?"+url.Values{"_busy_timeout": {"10000"}}.Encode())
	if err != nil {
		return 0, err
	}
	defer dst.Close()
	dconn, err := dst.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer dconn.Close()
	pages := 0
	err = dconn.Raw(func(dc any) error {
		d, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return fmt.Errorf("destination is %T, not SQLite", dc)
		}
		return src.Raw(func(sc any) error {
			s, ok := sc.(*sqlite3.SQLiteConn)
			if !ok {
				return fmt.Errorf("source is %T, not SQLite", sc)
			}
			b, err := d.Backup("main", s, "main")
			if err != nil {
				return err
			}
			for {
				done, err := b.Step(-1)
				if err != nil {
					b.Close()
					return err
				}
				if done {
					pages = b.PageCount()
					return b.Close()
				}
				select { // busy or locked: try again shortly
				case <-ctx.Done():
					b.Close()
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	})
	return pages, err
}

// inspectBackup opens a backup file read-only and checks it is a whole tenantdesk database:
// SQLite's integrity check passes, the migrations are recorded and not newer than this
// program's, and the tables are there.
func inspectBackup(ctx context.Context, path string) (BackupInfo, error) {
	registerDriver()
	db, err := sql.Open(driverName, "file:"+path+"?mode=ro&_query_only=on")
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil {
		return BackupInfo{}, fmt.Errorf("%s is not a readable SQLite database: %w", path, err)
	}
	if ok != "ok" {
		return BackupInfo{}, fmt.Errorf("%s is damaged: %s", path, ok)
	}
	var info BackupInfo
	var dirty bool
	if err := db.QueryRowContext(ctx, `SELECT version, dirty FROM schema_migrations`).Scan(&info.Migration, &dirty); err != nil {
		return BackupInfo{}, fmt.Errorf("%s is not a tenantdesk database (no migrations recorded): %w", path, err)
	}
	if dirty {
		return BackupInfo{}, fmt.Errorf("%s was written during a failed migration", path)
	}
	if latest := latestMigration(); info.Migration > latest {
		return BackupInfo{}, fmt.Errorf("%s was written by a newer tenantdesk (schema %d, this one knows %d): restore it with that version", path, info.Migration, latest)
	}
	for _, c := range []struct {
		table string
		n     *int
	}{{"activity", &info.Activity}, {"jobs", &info.Jobs}, {"snapshots", &info.Snapshots}} {
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+c.table).Scan(c.n); err != nil {
			return BackupInfo{}, fmt.Errorf("%s lacks tenantdesk's %s table: %w", path, c.table, err)
		}
	}
	return info, nil
}

// InspectBackup checks a backup file as Restore would, without restoring it.
func InspectBackup(ctx context.Context, path string) (BackupInfo, error) {
	if _, err := os.Stat(path); err != nil {
		return BackupInfo{}, fmt.Errorf("backup file: %w", err)
	}
	info, err := inspectBackup(ctx, path)
	if err != nil {
		return BackupInfo{}, err
	}
	info.Path = path
	if fi, err := os.Stat(path); err == nil {
		info.Bytes = fi.Size()
	}
	return info, nil
}

// Restore replaces the database at dbPath with the backup at from, after checking the backup
// (see InspectBackup). Nothing may have the database open (ErrInUse): it takes the database's
// lock exclusively first. Sessions in the backup are dropped, so a session ended after the
// backup was taken does not come back: everyone signs in again. Open the store afterwards to
// apply newer migrations.
func Restore(ctx context.Context, dbPath, from string) (BackupInfo, error) {
	registerDriver()
	info, err := InspectBackup(ctx, from)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	if err := prepareFile(dbPath); err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	lock, err := lockFile(dbPath, true)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	defer lock.release()
	src, err := sql.Open(driverName, "file:"+from+"?mode=ro")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	defer src.Close()
	sconn, err := src.Conn(ctx)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	defer sconn.Close()
	if info.Pages, err = copyDatabase(ctx, sconn, dbPath); err != nil {
		return BackupInfo{}, fmt.Errorf("restore into %s: %w", dbPath, err)
	}
	db, err := sql.Open(driverName, "file:"+dbPath+"?_busy_timeout=10000")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `DELETE FROM sessions`); err != nil && !isNoSuchTable(err) {
		return BackupInfo{}, fmt.Errorf("restore: drop the backup's sessions: %w", err)
	}
	return info, nil
}

// CheckNotInUse answers ErrInUse while any tenantdesk process has the database at path open.
func CheckNotInUse(path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	lock, err := lockFile(path, true)
	if err != nil {
		return err
	}
	return lock.release()
}

func isNoSuchTable(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrError
}

// createPrivate creates path (0600), failing when it exists.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// latestMigration is the highest migration number embedded in this program.
func latestMigration() uint {
	entries, _ := fs.ReadDir(migrations.FS, ".") // an embed.FS root always reads
	var latest uint
	for _, e := range entries {
		var n uint
		if _, err := fmt.Sscanf(e.Name(), "%d_", &n); err == nil && n > latest {
			latest = n
		}
	}
	return latest
}
