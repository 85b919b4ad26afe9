// Package conformance holds tests only: they drive the simulated tenant with Microsoft's own
// JavaScript libraries (@azure/identity and @microsoft/microsoft-graph-client, pinned in
// package-lock.json), through conformance.js, a second client nobody here wrote. The tests run
// when Node.js 20+ and the installed dependencies (`npm ci` in this folder) are present, and
// are required in CI (TENANTDESK_NODE_TESTS=required).
package conformance
