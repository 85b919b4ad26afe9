// Package storetest opens real SQLite stores for the tests of the packages that use the store:
// a new file in the test's temporary folder, migrated, closed when the test ends. Only tests
// import it.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/store"
)

// Open opens a new store for t.
func Open(t testing.TB) *store.Store {
	t.Helper()
	return OpenAt(t, filepath.Join(t.TempDir(), "tenantdesk.db"))
}

// OpenAt opens the store at path for t (a path a test also hands to a command or a second
// process), closed when t ends.
func OpenAt(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
