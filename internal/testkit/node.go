package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Node is the node binary (Node.js 20 or newer) when it and the npm packages deps are installed
// in dir/node_modules (`npm ci` in dir), for tests that check our output with Microsoft's own
// JavaScript libraries. It skips t when they are missing, or fails it when
// TENANTDESK_NODE_TESTS=required (CI); TENANTDESK_NODE_TESTS=off skips.
func Node(t testing.TB, dir string, deps ...string) string {
	t.Helper()
	mode := os.Getenv("TENANTDESK_NODE_TESTS")
	if mode == "off" {
		t.Skip("Node.js tests switched off (TENANTDESK_NODE_TESTS=off)")
	}
	missing := func(why string) string {
		t.Helper()
		if mode == "required" {
			t.Fatalf("TENANTDESK_NODE_TESTS=required but %s", why)
		}
		t.Skipf("%s; set TENANTDESK_NODE_TESTS=required to make this a failure", why)
		return ""
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return missing("node is not installed (apt-get install nodejs npm)")
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return missing("node --version: " + err.Error())
	}
	major, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".", 2)[0])
	if major < 20 {
		return missing(fmt.Sprintf("node %s is too old: the pinned libraries need Node.js 20 or newer", strings.TrimSpace(string(out))))
	}
	for _, dep := range deps {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", dep, "package.json")); err != nil {
			return missing(fmt.Sprintf("%s is not installed: run `npm ci` in %s", dep, dir))
		}
	}
	return node
}
