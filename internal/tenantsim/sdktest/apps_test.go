package sdktest

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// The simulator's three app registrations hold GRAPH.md's permissions: the license-only app
// (LicenseAssignment.ReadWrite.All, no User.ReadWrite.All) changes a group's license template
// and is refused on reprocess, through the real SDK, with 403 Authorization_RequestDenied naming
// User.ReadWrite.All; the full app (the README's set) does both.
func TestLicenseOnlyAppChangesTemplatesButCannotReprocess(t *testing.T) {
	e := start(t, tenantsim.Config{Seed: 26, Users: 200, Groups: 20, LicensedGroups: 7})
	ctx := context.Background()
	sc := e.srv.Tenant.Scenarios
	members := userMembers(t, newClient(t, e.secretConfig()), sc.A1Group)

	for _, tc := range []struct {
		app       string
		reprocess bool
	}{
		{tenantsim.AppLicenseOnly, false},
		{tenantsim.AppFull, true},
	} {
		id, secret, err := e.info.App(tc.app)
		if err != nil {
			t.Fatal(err)
		}
		cfg := e.secretConfig()
		cfg.ClientID, cfg.ClientSecret = id, secret
		c := newClient(t, cfg)
		roles, err := c.GrantedPermissions(ctx)
		if err != nil || !slices.Contains(roles, permissions.LicenseAssignment) || slices.Contains(roles, permissions.UserReadWrite) != tc.reprocess {
			t.Fatalf("%s app roles %v, %v", tc.app, roles, err)
		}

		// A template change: drop the full faculty SKU from the A1 group, then put it back.
		tok := e.token(t, id, secret)
		for _, body := range []string{
			`{"addLicenses":[],"removeLicenses":["` + sc.FacultySKU + `"]}`,
			`{"addLicenses":[{"skuId":"` + sc.FacultySKU + `","disabledPlans":[]}],"removeLicenses":[]}`,
		} {
			res := e.do(t, tok, "POST", "/groups/"+sc.A1Group+"/assignLicense", []byte(body), "Content-Type", "application/json")
			if res.Status != http.StatusAccepted {
				t.Fatalf("%s app template change: %d %s", tc.app, res.Status, res.Body)
			}
		}

		out := c.ReprocessUsers(ctx, members[:2], nil)
		for _, o := range out {
			var ge *model.GraphError
			switch {
			case tc.reprocess && o.Err != nil:
				t.Fatalf("%s app reprocess %s: %v", tc.app, o.UserID, o.Err)
			case tc.reprocess:
				if o.User.ID != o.UserID {
					t.Fatalf("%s app reprocess: answer for %q, asked %q", tc.app, o.User.ID, o.UserID)
				}
			case !errors.As(o.Err, &ge) || ge.Status != 403 || ge.Code != "Authorization_RequestDenied" ||
				ge.Permission != permissions.UserReadWrite || !errors.Is(o.Err, model.ErrForbidden):
				t.Fatalf("%s app reprocess %s: %#v, want 403 Authorization_RequestDenied naming %s", tc.app, o.UserID, o.Err, permissions.UserReadWrite)
			}
		}
		// The same refusal to a plain request, as any other client sees it.
		res := e.do(t, tok, "POST", "/users/"+members[0]+"/reprocessLicenseAssignment", nil)
		if tc.reprocess {
			if res.Status != http.StatusOK {
				t.Fatalf("%s app plain reprocess: %d %s", tc.app, res.Status, res.Body)
			}
		} else if code, _ := res.errorCode(t); res.Status != http.StatusForbidden || code != "Authorization_RequestDenied" {
			t.Fatalf("%s app plain reprocess: %d %s", tc.app, res.Status, res.Body)
		}
	}
}
