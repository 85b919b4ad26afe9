//go:build !linux

package store

import "context"

// queueForWrite does nothing here: writes from other processes meet SQLite's busy timeout
// alone (see writequeue_linux.go).
func (*fileLock) queueForWrite(context.Context) (func(), error) { return func() {}, nil }
