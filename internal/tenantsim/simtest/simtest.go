// Package simtest starts the simulated tenant for tests, one way for all of them: the same
// lifetime (the test's), the same clean shutdown, and the same skip under `go test -short`, which
// runs the unit tests only. Only tests import it.
package simtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// Start runs a simulated tenant with opts until t ends (Dir defaults to a folder of t's).
func Start(t testing.TB, opts tenantsim.Options) *tenantsim.Server {
	t.Helper()
	testkit.Slow(t, "starts the simulated tenant")
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := tenantsim.Start(ctx, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = srv.Close(sctx)
		cancel()
	})
	return srv
}

// HTTPClient is a plain client that trusts the simulator's CA, for requests without the SDK.
func HTTPClient(t testing.TB, info tenantsim.Info) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(info.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("CA file %s holds no certificate", info.CAFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}
