// Package sdktest exercises the simulated tenant through the real msgraph-sdk-go + azidentity client (via internal/graph), so that go test ./internal/tenantsim/... proves the simulator works for a real SDK.
//
// It holds tests only: each starts a small simulated tenant over HTTPS, talks to it with
// internal/graph's client (client secret and client certificate), and holds what it reads
// against the tenant's own truth and the simulator's request statistics.
package sdktest
