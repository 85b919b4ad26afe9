// Package e2e holds end-to-end tests: the whole product started on the simulated tenant and
// driven as a person would, in headless Chromium.
package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// startDemo runs `tenantdesk demo` in-process on a free port for one test.
func startDemo(t *testing.T, cfg tenantsim.Config) *app.Demo {
	t.Helper()
	return apptest.StartDemo(t, tenantsim.Options{Config: cfg})
}

// do runs browser actions, failing the test with what was being done.
func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// text returns the visible text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitURL waits until the page's URL contains want, after a click that navigates.
func waitURL(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && strings.Contains(loc, want) {
			// The new document may still be loading; wait until it is complete.
			do(t, ctx, "wait for the page", chromedp.WaitReady(chromedp.CSS("body")))
			if state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState`)); err == nil && state == "complete" {
				return loc
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("page URL is %q, want it to contain %q", loc, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// buyLicenses sets a SKU's prepaid units through the simulator's control API over HTTPS, as a
// script or a person with curl would ("buy licenses").
func buyLicenses(t *testing.T, d *app.Demo, skuID string, units int) {
	t.Helper()
	info := d.Sim.Info()
	pem, err := os.ReadFile(info.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	body := strings.NewReader(fmt.Sprintf(`{"enabled":%d}`, units))
	resp, err := client.Post(info.ControlURL+"/skus/"+skuID+"/prepaid", "application/json", body)
	if err != nil {
		t.Fatalf("buy licenses: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("buy licenses: %s: %s", resp.Status, msg)
	}
}
