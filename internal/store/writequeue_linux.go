package store

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Writes from other processes on the same database (the CLI while the server syncs) share no
// turns with this Store's, only the lock file. A process about to write holds a shared lock on
// queuedByte of it from just before it asks SQLite for the write lock until it has it; before a
// write of its own, a process waits while another holds that lock. So a writer taking
// transactions back to back lets a write from elsewhere in between, which SQLite's busy
// handler alone (retries after sleeps of up to 100 ms) almost never does.
//
// Open file description locks: owned by the Store's descriptor, so they conflict between
// Stores, even in one process (the tests rely on that), and never among one Store's writes,
// which its turns already order.
const queuedByte = 1

// queueWait bounds how long a write gives way to a queued one: SQLite's busy handler lets the
// queued write try again within 100 ms, so it is in by then unless it is stuck (a CLI
// suspended with Ctrl-Z while it waits), and then this Store's writes must not wait for it.
const queueWait = 250 * time.Millisecond

// queueForWrite waits, up to queueWait or until ctx ends, while a write through another Store
// is queued, then queues this one; dequeue must be called once SQLite's write lock is
// held (or the write has failed). The caller holds its write turn, so a Store queues one write
// at a time and two Stores never wait for each other's queue. Where the lock file cannot be
// locked, writes go as they would without the queue.
func (l *fileLock) queueForWrite(ctx context.Context) (dequeue func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	deadline := time.Now().Add(queueWait)
	for wait := 500 * time.Microsecond; l.othersQueued() && time.Now().Before(deadline); wait = min(2*wait, 10*time.Millisecond) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	lk := queuedRange(unix.F_RDLCK)
	if l.fcntl(unix.F_OFD_SETLK, &lk) != nil {
		return func() {}, nil
	}
	return func() {
		lk := queuedRange(unix.F_UNLCK)
		_ = l.fcntl(unix.F_OFD_SETLK, &lk)
	}, nil
}

// othersQueued reports whether another Store holds the queued lock.
func (l *fileLock) othersQueued() bool {
	lk := queuedRange(unix.F_WRLCK)
	return l.fcntl(unix.F_OFD_GETLK, &lk) == nil && lk.Type != unix.F_UNLCK
}

// fcntl runs one lock command on the lock file, unless it has been released: a write racing
// Store.Close must not lock or unlock whatever file its descriptor's number names next.
func (l *fileLock) fcntl(cmd int, lk *unix.Flock_t) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.f == nil {
		return os.ErrClosed
	}
	return unix.FcntlFlock(l.f.Fd(), cmd, lk)
}

func queuedRange(typ int16) unix.Flock_t {
	return unix.Flock_t{Type: typ, Whence: 0, Start: queuedByte, Len: 1}
}
