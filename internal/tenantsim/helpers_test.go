package tenantsim

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// newFakeClock is the clock tenants under test run on.
func newFakeClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2026, 3, 2, 9, 30, 15, 500, time.UTC))
}

var testActor = Actor{AppID: "11111111-2222-3333-4444-555555555555", DisplayName: "tenantdesk test"}

// newTestTenant generates a tenant with a fake clock.
func newTestTenant(tb testing.TB, cfg Config) (*Tenant, *testkit.Clock) {
	tb.Helper()
	clk := newFakeClock()
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	t, err := New(cfg)
	if err != nil {
		tb.Fatalf("New(%+v): %v", cfg, err)
	}
	return t, clk
}

// dumpHash hashes everything observable of the tenant.
func dumpHash(tb testing.TB, t *Tenant) string {
	tb.Helper()
	t.mu.RLock()
	defer t.mu.RUnlock()
	h := sha256.New()
	enc := json.NewEncoder(h)
	devs, cons := sortedIDs(t.devices), sortedIDs(t.contacts)
	parts := []any{t.ID, t.DisplayName, t.DefaultDomain, t.Scenarios, t.skus, t.users, t.groups, t.audits, t.sspr}
	for _, id := range devs {
		parts = append(parts, t.devices[id])
	}
	for _, id := range cons {
		parts = append(parts, t.contacts[id])
	}
	for _, p := range parts {
		if err := enc.Encode(p); err != nil {
			tb.Fatalf("encode: %v", err)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// checkConsumed verifies that every SKU's ConsumedUnits equals the users really holding it.
func checkConsumed(tb testing.TB, t *Tenant) {
	tb.Helper()
	t.mu.RLock()
	defer t.mu.RUnlock()
	held := map[string]int{}
	for _, u := range t.users {
		seen := map[string]bool{}
		for _, l := range u.AssignedLicenses {
			if seen[l.SKUID] {
				tb.Fatalf("user %s holds %s twice", u.UserPrincipalName, l.SKUID)
			}
			seen[l.SKUID] = true
			held[l.SKUID]++
		}
	}
	for _, s := range t.skus {
		if s.ConsumedUnits != held[s.ID] {
			tb.Fatalf("SKU %s: ConsumedUnits %d, users holding it %d", s.PartNumber, s.ConsumedUnits, held[s.ID])
		}
	}
}

// statesOf returns u's license states from group gid.
func statesOf(u User, gid string) []LicenseState {
	var out []LicenseState
	for _, s := range u.LicenseStates {
		if s.AssignedByGroup == gid {
			out = append(out, s)
		}
	}
	return out
}

func holds(u User, sku string) bool {
	return slices.ContainsFunc(u.AssignedLicenses, func(l License) bool { return l.SKUID == sku })
}

func (t *Tenant) userCopy(id string) User {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return cloneUser(t.userByID[id])
}

func (t *Tenant) groupCopy(id string) Group {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return cloneGroup(t.groupByID[id])
}

func (t *Tenant) skuCopy(id string) SKU {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return *t.skuByID[id]
}
