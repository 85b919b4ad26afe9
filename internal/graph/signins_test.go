package graph

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// TestJSONSignIns: signInActivity as Graph sends it, including the shapes it takes for users
// who never signed in (null, or an object of nulls) and what a broken proxy might send.
func TestJSONSignIns(t *testing.T) {
	at := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, doc string
		want      model.SignIn
	}{
		{"all three", `{"id":"u","signInActivity":{"lastSignInDateTime":"2026-09-01T08:00:00Z","lastSignInRequestId":"r",
			"lastNonInteractiveSignInDateTime":"2026-09-02T08:00:00Z","lastSuccessfulSignInDateTime":"2026-09-01T08:00:00Z"}}`,
			model.SignIn{UserID: "u", LastInteractive: at, LastNonInteractive: at.Add(24 * time.Hour), LastSuccessful: at}},
		{"null activity", `{"id":"u","signInActivity":null}`, model.SignIn{UserID: "u"}},
		{"absent activity", `{"id":"u"}`, model.SignIn{UserID: "u"}},
		{"object of nulls", `{"id":"u","signInActivity":{"lastSignInDateTime":null,"lastNonInteractiveSignInDateTime":null,"lastSuccessfulSignInDateTime":null}}`, model.SignIn{UserID: "u"}},
		{"not backfilled", `{"id":"u","signInActivity":{"lastSignInDateTime":"2026-09-01T08:00:00Z","lastSuccessfulSignInDateTime":null}}`,
			model.SignIn{UserID: "u", LastInteractive: at}},
		{"offset time", `{"id":"u","signInActivity":{"lastSignInDateTime":"2026-09-01T10:00:00+02:00"}}`, model.SignIn{UserID: "u", LastInteractive: at}},
		{"garbage times", `{"id":"u","signInActivity":{"lastSignInDateTime":"yesterday","lastNonInteractiveSignInDateTime":12,"lastSuccessfulSignInDateTime":"0000-00-00T00:00:00Z"}}`, model.SignIn{UserID: "u"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var u jsonUser
			if err := json.Unmarshal([]byte(tc.doc), &u); err != nil {
				t.Fatal(err)
			}
			if got := u.signIn(); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	var u jsonUser
	if err := json.Unmarshal([]byte(`{"id":"u","signInActivity":"yes"}`), &u); err == nil {
		t.Error("a string for signInActivity decoded without error")
	}
}

// FuzzJSONSignInPage: no page of sign-ins or subscriptions, however broken, panics the decoder.
func FuzzJSONSignInPage(f *testing.F) {
	for _, s := range []string{`{"value":[{"id":"a","signInActivity":null}]}`, `{"value":[{"id":"a","signInActivity":{"lastSignInDateTime":"2026-01-01T00:00:00Z"}}]}`,
		`{"value":[{"id":"s","status":"Enabled","totalLicenses":-5,"nextLifecycleDateTime":"x"}]}`, `{"value":null}`, `{"value":[null]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p jsonPage[jsonUser]
		if decodePage(b, &p) == nil {
			for i := range p.Value {
				_ = p.Value[i].signIn()
				_ = p.Value[i].model()
			}
		}
		var s jsonPage[jsonSubscription]
		_ = decodePage(b, &s)
	})
}

// TestSimSignInsAndSubscriptions: the real client reads the users with their sign-in activity
// in one chain of pages of 500 (what the simulated tenant holds: the same users as Users, each
// with its sign-ins), and a tenant without Entra ID P1 or an app without Organization.Read.All
// get a 403 that says so.
func TestSimSignInsAndSubscriptions(t *testing.T) {
	e := startSim(t, smallTenant())
	ctx := context.Background()
	c := e.client(t, e.config())
	truth := e.srv.Tenant.SignInTruth()
	plain := map[string]model.User{}
	if err := c.Users(ctx, func(page []model.User) error {
		for _, u := range page {
			plain[u.ID] = u
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n, signedIn, users, pages := 0, 0, 0, 0
	before := c.Stats().Requests
	err := c.UsersWithSignIns(ctx, func(page []model.User, signIns []model.SignIn) error {
		pages++
		if len(page) > signInPageSize || len(signIns) != len(page) {
			t.Errorf("a page of %d users and %d sign-ins", len(page), len(signIns))
		}
		for i, u := range page {
			users++
			if want, ok := plain[u.ID]; !ok || !reflect.DeepEqual(u, want) {
				t.Errorf("user %s differs from Users' read:\n%+v\n%+v", u.ID, u, want)
			}
			if i < len(signIns) && signIns[i].UserID != u.ID {
				t.Errorf("sign-in %d is of %s, the user %s", i, signIns[i].UserID, u.ID)
			}
		}
		for _, si := range signIns {
			n++
			want := truth[si.UserID]
			if want == nil {
				if !si.Never() {
					t.Errorf("user %s: %+v, truth: never", si.UserID, si)
				}
				continue
			}
			signedIn++
			if !si.LastSuccessful.Equal(want.LastSuccessful) || !si.LastInteractive.Equal(want.LastSignIn) || !si.LastNonInteractive.Equal(want.LastNonInteractive) {
				t.Errorf("user %s: %+v, truth %+v", si.UserID, si, want)
			}
		}
		return nil
	})
	if err != nil || n != len(truth) || signedIn == 0 || users != len(plain) {
		t.Fatalf("UsersWithSignIns: %d users of %d, %d sign-ins (%d signed in), %v; truth %d", users, len(plain), n, signedIn, err, len(truth))
	}
	if got, want := c.Stats().Requests-before, int64((len(plain)+signInPageSize-1)/signInPageSize); got != want || int64(pages) != want {
		t.Errorf("%d requests and %d pages for %d users, want %d", got, pages, len(plain), want)
	}
	var ge *model.GraphError
	subs, err := c.Subscriptions(ctx)
	if err != nil || len(subs) != len(e.srv.Tenant.Subscriptions()) {
		t.Fatalf("Subscriptions: %d, %v", len(subs), err)
	}

	lo := e.config()
	lo.ClientID, lo.ClientSecret = e.info.LicenseOnlyClientID, e.info.LicenseOnlyClientSecret
	_, err = e.client(t, lo).Subscriptions(ctx)
	if !errors.As(err, &ge) || ge.Kind != model.GraphForbidden || ge.Permission != permissions.OrganizationRead {
		t.Fatalf("license-only app: %v", err)
	}

	free := startSim(t, tenantsim.Config{Seed: 42, Users: 600, Groups: 60, LicensedGroups: 15, EntraIDFree: true})
	err = free.client(t, free.config()).UsersWithSignIns(ctx, func([]model.User, []model.SignIn) error { return nil })
	if !errors.As(err, &ge) || ge.Kind != model.GraphForbidden || ge.Code != "Authentication_RequestFromNonPremiumTenantOrB2CTenant" {
		t.Fatalf("tenant without P1: %v", err)
	}
}
