package tenantsim

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"
	"time"
)

// TestSignInActivityNeedsAuditLogAndPremium: signInActivity comes only to an app holding
// AuditLog.Read.All besides a user read permission, in a tenant with Entra ID P1; without
// either, Graph refuses the whole read with 403 and its own code.
func TestSignInActivityNeedsAuditLogAndPremium(t *testing.T) {
	e := newAPIEnv(t)
	q := "/v1.0/users?$select=id,signInActivity&$top=500"
	r := e.do(t, "GET", q, "perms:User.Read.All", nil)
	wantError(t, r, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	r = e.do(t, "GET", q, "perms:AuditLog.Read.All", nil)
	wantError(t, r, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	r = e.do(t, "GET", q, "perms:User.Read.All,AuditLog.Read.All", nil)
	if r.Status != 200 {
		t.Fatalf("with both permissions: %d %s", r.Status, r.Body)
	}
	var page struct {
		Value []struct {
			ID             string `json:"id"`
			SignInActivity *struct {
				LastSignIn     *string `json:"lastSignInDateTime"`
				LastNonInter   *string `json:"lastNonInteractiveSignInDateTime"`
				LastSuccessful *string `json:"lastSuccessfulSignInDateTime"`
			} `json:"signInActivity"`
		} `json:"value"`
	}
	if err := json.Unmarshal(r.Body, &page); err != nil {
		t.Fatal(err)
	}
	truth := e.t.SignInTruth()
	never := 0
	for _, u := range page.Value {
		want := truth[u.ID]
		if (want == nil) != (u.SignInActivity == nil) {
			t.Fatalf("user %s: signInActivity %v, truth %v", u.ID, u.SignInActivity, want)
		}
		if want == nil {
			never++
			continue
		}
		if got := *u.SignInActivity.LastSignIn; got != jsonTime(want.LastSignIn) {
			t.Errorf("user %s lastSignInDateTime %s, truth %s", u.ID, got, want.LastSignIn)
		}
	}
	if len(page.Value) != len(truth) || never == 0 || never == len(truth) {
		t.Fatalf("%d users, %d never signed in, truth has %d", len(page.Value), never, len(truth))
	}
	// With signInActivity a page holds at most 500 users (List users, v1.0).
	r = e.do(t, "GET", "/v1.0/users?$select=id,signInActivity&$top=999", "perms:User.Read.All,AuditLog.Read.All", nil)
	wantError(t, r, 400, "Request_BadRequest", "Invalid page size specified: '999'. Must be between 1 and 500 inclusive.")
	// Not $selected: not returned, and no AuditLog.Read.All needed.
	r = e.do(t, "GET", "/v1.0/users?$select=id&$top=1", "perms:User.Read.All", nil)
	if r.Status != 200 || bytes.Contains(r.Body, []byte("signInActivity")) {
		t.Fatalf("without $select: %d %s", r.Status, r.Body)
	}

	free := newAPIEnvWith(t, Config{Seed: 7, Users: 200, Groups: 30, LicensedGroups: 10, EntraIDFree: true,
		Now: func() time.Time { return time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC) }})
	r = free.do(t, "GET", q, "perms:User.Read.All,AuditLog.Read.All", nil)
	wantError(t, r, 403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "Neither tenant is B2C or tenant doesn't have premium license")
}

// TestSignInSpreads: the generated tenant has every kind of sign-in history the inactivity
// checks tell apart.
func TestSignInSpreads(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 3, Users: 1500})
	now := tn.now()
	kinds := map[string]int{}
	tn.mu.RLock()
	for _, u := range tn.users {
		s := u.SignIns
		switch {
		case s == nil:
			kinds["never"]++
		case !u.AccountEnabled:
			kinds["disabled"]++
		case u.UserType == "Guest":
			kinds["guest"]++
		case s.LastNonInteractive.After(s.LastSignIn.Add(90 * 24 * time.Hour)):
			kinds["non-interactive only"]++
		case s.LastSignIn.After(s.LastSuccessful.Add(90 * 24 * time.Hour)):
			kinds["failed only"]++
		default:
			age := now.Sub(s.LastSuccessful)
			switch {
			case age >= 180*24*time.Hour:
				kinds["180"]++
			case age >= 90*24*time.Hour:
				kinds["90"]++
			case age >= 30*24*time.Hour:
				kinds["30"]++
			default:
				kinds["active"]++
			}
		}
	}
	tn.mu.RUnlock()
	for _, k := range []string{"never", "disabled", "guest", "non-interactive only", "failed only", "180", "90", "30", "active"} {
		if kinds[k] == 0 {
			t.Errorf("no user of kind %q: %v", k, kinds)
		}
	}
}

// TestDirectorySubscriptions: GET /directory/subscriptions adds up to /subscribedSkus per SKU
// and status, holds a trial, one expiring within 30 days and one in grace, and needs
// Organization.Read.All (LicenseAssignment.Read.All, enough for /subscribedSkus, is not).
func TestDirectorySubscriptions(t *testing.T) {
	e := newAPIEnv(t)
	wantError(t, e.do(t, "GET", "/v1.0/directory/subscriptions", "perms:LicenseAssignment.Read.All", nil),
		403, "Authorization_RequestDenied", "Insufficient privileges")
	r := e.do(t, "GET", "/v1.0/directory/subscriptions", "perms:Organization.Read.All", nil)
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var subs struct {
		Value []struct {
			ID, SKUID, Status     string
			IsTrial               bool
			TotalLicenses         int
			NextLifecycleDateTime string
			CreatedDateTime       string
			ServiceStatus         []map[string]any
		} `json:"value"`
	}
	if err := json.Unmarshal(r.Body, &subs); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	units := map[string]map[string]int{}
	var trial, expiring, grace bool
	for _, s := range subs.Value {
		if units[s.SKUID] == nil {
			units[s.SKUID] = map[string]int{}
		}
		units[s.SKUID][s.Status] += s.TotalLicenses
		next, err := time.Parse(time.RFC3339, s.NextLifecycleDateTime)
		if err != nil || len(s.ServiceStatus) == 0 || s.CreatedDateTime == "" {
			t.Fatalf("subscription %+v", s)
		}
		trial = trial || s.IsTrial
		expiring = expiring || s.Status == "Enabled" && !s.IsTrial && next.Sub(now) < 30*24*time.Hour
		grace = grace || s.Status == "Warning"
		one := e.get(t, "/v1.0/directory/subscriptions/"+url.PathEscape(s.ID))
		if one.Status != 200 {
			t.Fatalf("get %s: %d %s", s.ID, one.Status, one.Body)
		}
	}
	if !trial || !expiring || !grace {
		t.Fatalf("trial %v, expiring within 30 days %v, in grace %v", trial, expiring, grace)
	}
	e.t.mu.RLock()
	defer e.t.mu.RUnlock()
	for _, s := range e.t.skus {
		got := units[s.ID]
		if got["Enabled"] != s.Prepaid.Enabled || got["Warning"] != s.Prepaid.Warning || got["Suspended"] != s.Prepaid.Suspended || got["LockedOut"] != s.Prepaid.LockedOut {
			t.Errorf("SKU %s: subscriptions %v, prepaid %+v", s.PartNumber, got, s.Prepaid)
		}
	}
}
