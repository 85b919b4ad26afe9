// Package testdata finds the real Microsoft files (licensing catalog, Microsoft 365 endpoint sets,
// Azure service tags) that tests and benchmarks read from the shared data folder beside the
// repository (../shared/data). The product never embeds them: it downloads the current files.
package testdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of rel inside shared/data, found by walking up from the test's working
// directory. Without the folder the test is skipped — unless CI is set or
// TENANTDESK_DATA_TESTS=required, where a missing file must fail rather than pass unseen.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "data", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if os.Getenv("CI") != "" || os.Getenv("TENANTDESK_DATA_TESTS") == "required" {
		tb.Fatalf("shared/data/%s not found above the package directory (required in CI)", rel)
	}
	tb.Skipf("shared/data/%s not found above the package directory; set TENANTDESK_DATA_TESTS=required to make this a failure", rel)
	return ""
}
