package sdktest

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// pagingTenant has more users than the client's $top (999), so a full read takes three pages.
var pagingTenant = tenantsim.Config{Seed: 21, Users: 2100, Groups: 60, LicensedGroups: 12}

// TestPagingBothCredentials reads every user through the SDK's PageIterator with each credential
// and checks, from the simulator's own statistics, that it took three GET /users pages.
func TestPagingBothCredentials(t *testing.T) {
	e := start(t, pagingTenant)
	ctx := context.Background()
	for _, cred := range credentials {
		t.Run(cred.name, func(t *testing.T) {
			c := newClient(t, cred.cfg(e, t))
			e.resetStats(t)
			var pages, total, withStates int
			seen := map[string]bool{}
			err := c.Users(ctx, func(p []model.User) error {
				pages++
				for _, u := range p {
					if u.ID == "" || u.UserPrincipalName == "" || seen[u.ID] {
						t.Fatalf("user without id/upn or seen twice: %+v", u)
					}
					seen[u.ID] = true
					if len(u.LicenseStates) > 0 {
						withStates++
					}
				}
				total += len(p)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if total != pagingTenant.Users || pages != 3 {
				t.Fatalf("read %d users in %d pages, want %d in 3", total, pages, pagingTenant.Users)
			}
			if withStates == 0 {
				t.Fatal("no user came with licenseAssignmentStates")
			}
			st := e.statsWhen(t, func(s tenantsim.StatsSnapshot) bool { return s.Routes["GET /users"].Requests >= 3 })
			if r := st.Routes["GET /users"]; r.Requests != 3 || r.Errors != 0 {
				t.Fatalf("simulator saw GET /users %+v, want 3 requests without errors (routes %v)", r, st.RouteNames())
			}
			if cs := c.Stats(); cs.TokenRequests == 0 || cs.Requests < 3 {
				t.Fatalf("client stats %+v: no token or too few requests", cs)
			}
			roles, err := c.GrantedPermissions(ctx)
			if want := slices.Sorted(slices.Values(tenantsim.FullAppRoles)); err != nil || !slices.Equal(roles, want) {
				t.Fatalf("granted permissions %v, %v; want %v", roles, err, want)
			}
		})
	}
}

// TestConsistencyLevelRules checks both opposite rules through the SDK (the advanced query for
// licensed groups with ConsistencyLevel and $count, hasMembersWithLicenseErrors without them)
// against the engine's truth, and that the simulator refuses each rule broken.
func TestConsistencyLevelRules(t *testing.T) {
	e := start(t, tenantsim.Config{Seed: 22, Users: 500, Groups: 50, LicensedGroups: 14})
	ctx := context.Background()
	truth := e.srv.Tenant.LicensedGroupTruth()
	var wantLicensed, wantErrors []string
	for _, g := range truth {
		wantLicensed = append(wantLicensed, g.ID)
		if g.Errors > 0 {
			wantErrors = append(wantErrors, g.ID)
		}
	}
	slices.Sort(wantLicensed)
	slices.Sort(wantErrors)
	if len(wantLicensed) != 14 || len(wantErrors) == 0 {
		t.Fatalf("tenant has %d licensed groups, %d in error: the test proves nothing", len(wantLicensed), len(wantErrors))
	}
	byID := map[string]tenantsim.GroupTruth{}
	for _, g := range truth {
		byID[g.ID] = g
	}

	for _, cred := range credentials {
		t.Run(cred.name, func(t *testing.T) {
			c := newClient(t, cred.cfg(e, t))
			e.resetStats(t)
			licensed, err := c.LicensedGroups(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range licensed {
				got = append(got, g.ID)
				gt := byID[g.ID]
				var skus []string
				for _, l := range g.AssignedLicenses {
					skus = append(skus, l.SKUID)
				}
				if !slices.Equal(skus, gt.Licenses) || g.ProcessingState != gt.State || g.DisplayName != gt.DisplayName {
					t.Errorf("group %s: read %v %q %q, truth %v %q %q", g.ID, skus, g.ProcessingState, g.DisplayName, gt.Licenses, gt.State, gt.DisplayName)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, wantLicensed) {
				t.Fatalf("licensed groups\n got %v\nwant %v", got, wantLicensed)
			}

			withErrors := e.groupsWithLicenseErrors(t) // with ConsistencyLevel the simulator would refuse it
			slices.Sort(withErrors)
			if !slices.Equal(withErrors, wantErrors) {
				t.Fatalf("groups with license errors\n got %v\nwant %v", withErrors, wantErrors)
			}
			// membersWithLicenseErrors agrees with the truth's error count for every group.
			for _, id := range wantLicensed {
				m, err := c.MembersWithLicenseErrors(ctx, id)
				if err != nil || len(m) != byID[id].Errors {
					t.Fatalf("group %s: %d members with license errors (%v), truth %d", id, len(m), err, byID[id].Errors)
				}
			}
			st := e.statsWhen(t, func(s tenantsim.StatsSnapshot) bool { return s.Routes["GET /groups"].Requests >= 2 })
			if r := st.Routes["GET /groups"]; r.Requests < 2 || r.Errors != 0 {
				t.Fatalf("GET /groups %+v: the SDK's queries were refused or not sent", r)
			}
		})
	}

	// The same rules broken, over plain HTTP.
	tok := e.token(t, e.info.ClientID, e.info.ClientSecret)
	const advanced = "/groups?$filter=assignedLicenses/$count%20ne%200&$count=true&$select=id"
	const errorsQ = "/groups?$filter=hasMembersWithLicenseErrors%20eq%20true&$select=id"
	for _, tc := range []struct {
		name, target string
		eventual     bool
		status       int
	}{
		{"advanced without ConsistencyLevel", advanced, false, 400},
		{"advanced without $count", "/groups?$filter=assignedLicenses/$count%20ne%200", true, 400},
		{"advanced", advanced, true, 200},
		{"hasMembersWithLicenseErrors with ConsistencyLevel", errorsQ, true, 400},
		{"hasMembersWithLicenseErrors", errorsQ, false, 200},
	} {
		var hdr []string
		if tc.eventual {
			hdr = []string{"ConsistencyLevel", "eventual"}
		}
		r := e.do(t, tok, "GET", tc.target, nil, hdr...)
		if r.Status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, r.Status, tc.status, r.Body)
			continue
		}
		if r.Status == 400 {
			if code, msg := r.errorCode(t); code != "Request_UnsupportedQuery" || msg == "" {
				t.Errorf("%s: error %q %q, want Request_UnsupportedQuery with a message", tc.name, code, msg)
			}
		}
	}
}

// TestMemberCountsAndBatch counts the members of every licensed group with $count in $batch
// and holds the counts against the truth; the statistics prove $batch carried the counts.
func TestMemberCountsAndBatch(t *testing.T) {
	e := start(t, tenantsim.Config{Seed: 23, Users: 500, Groups: 50, LicensedGroups: 14})
	ctx := context.Background()
	truth := e.srv.Tenant.LicensedGroupTruth()
	var ids []string
	nonUser := 0
	for _, g := range truth {
		ids = append(ids, g.ID)
		nonUser += g.Members - g.Users
	}
	if nonUser == 0 {
		t.Fatal("no licensed group has non-user members: All and Users cannot differ")
	}
	for _, cred := range credentials {
		t.Run(cred.name, func(t *testing.T) {
			c := newClient(t, cred.cfg(e, t))
			e.resetStats(t)
			counts, err := c.MemberCounts(ctx, ids, func(string) bool { return true }, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range truth {
				want := model.MemberCounts{All: g.Members, Users: g.Users}
				if counts[g.ID] != want {
					t.Errorf("group %s: counted %+v, truth %+v", g.ID, counts[g.ID], want)
				}
			}
			// 14 groups x 2 counts = 28 requests: two batches of at most 20.
			st := e.statsWhen(t, func(s tenantsim.StatsSnapshot) bool { return s.Routes["POST /$batch"].Requests >= 2 })
			if r := st.Routes["POST /$batch"]; r.Requests != 2 || r.Errors != 0 {
				t.Fatalf("POST /$batch %+v, want 2 requests (routes %v)", r, st.RouteNames())
			}
			all, users := st.Routes["GET /groups/{id}/members/$count"], st.Routes["GET /groups/{id}/members/microsoft.graph.user/$count"]
			if all.Batched != int64(len(ids)) || users.Batched != int64(len(ids)) || all.Requests+users.Requests != 0 {
				t.Fatalf("member counts went %+v and %+v; want %d of each inside $batch", all, users, len(ids))
			}
		})
	}

	// A /$count segment without ConsistencyLevel is refused, with it it is a bare number.
	tok := e.token(t, e.info.ClientID, e.info.ClientSecret)
	r := e.do(t, tok, "GET", "/groups/"+ids[0]+"/members/$count", nil)
	if code, msg := r.errorCode(t); r.Status != 400 || code != "Request_BadRequest" || msg != "$count is not currently supported." {
		t.Fatalf("$count without ConsistencyLevel: %d %s", r.Status, r.Body)
	}
	r = e.do(t, tok, "GET", "/groups/"+ids[0]+"/members/$count", nil, "ConsistencyLevel", "eventual")
	if ct := r.Header.Get("Content-Type"); r.Status != 200 || string(r.Body) != strconv.Itoa(truth[0].Members) || !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("$count: %d %q %q, want %d as text/plain", r.Status, ct, r.Body, truth[0].Members)
	}
}

// TestThrottlingRetriedTransparently lets the simulator answer 429 after three requests a second
// (whole requests and $batch parts alike); reads, counts in $batch and reprocessing still
// succeed, and the simulator says what it throttled.
func TestThrottlingRetriedTransparently(t *testing.T) {
	e := start(t, tenantsim.Config{Seed: 24, Users: 300, Groups: 30, LicensedGroups: 8})
	ctx := context.Background()
	c := newClient(t, e.certConfig(t))
	if _, err := c.SubscribedSKUs(ctx); err != nil { // the token, before throttling starts
		t.Fatal(err)
	}
	e.control(t, "POST", "/knobs", map[string]any{"throttle_requests": 3, "throttle_window_ms": 1000}, nil)
	e.resetStats(t)

	// Four requests within a second: the fourth, GET /users, gets a 429 and is retried.
	groups, err := c.LicensedGroups(ctx)
	if err != nil || len(groups) != 8 {
		t.Fatalf("licensed groups under throttling: %d, %v", len(groups), err)
	}
	if _, err := c.Group(ctx, groups[0].ID); err != nil {
		t.Fatalf("a group under throttling: %v", err)
	}
	if _, err := c.SubscribedSKUs(ctx); err != nil {
		t.Fatalf("subscribed SKUs under throttling: %v", err)
	}
	n := 0
	var ids []string
	if err := c.Users(ctx, func(p []model.User) error {
		n += len(p)
		for _, u := range p[:3] {
			ids = append(ids, u.ID)
		}
		return nil
	}); err != nil || n != 300 {
		t.Fatalf("users under throttling: %d, %v", n, err)
	}
	// Parts of a $batch are throttled one by one; the client retries those within the batch.
	gids := []string{groups[0].ID, groups[1].ID}
	counts, err := c.MemberCounts(ctx, gids, nil, nil)
	if err != nil || len(counts) != len(gids) {
		t.Fatalf("member counts under throttling: %d of %d, %v", len(counts), len(gids), err)
	}
	for i, o := range c.ReprocessUsers(ctx, ids, nil) {
		if o.Err != nil || o.User.ID != ids[i] {
			t.Fatalf("reprocess %s under throttling: %+v", ids[i], o)
		}
	}
	st := e.stats(t)
	if r := st.Routes["GET /users"]; r.Throttled == 0 || r.Requests != r.Throttled+1 {
		t.Fatalf("GET /users %+v: want throttled and then served once", r)
	}
	// These routes are only ever sent inside $batch; whatever the window boundaries, seven parts
	// in two batches cannot all pass a limit of three.
	parts := st.Routes["POST /users/{id}/reprocessLicenseAssignment"].Throttled +
		st.Routes["GET /groups/{id}/members/$count"].Throttled + st.Routes["GET /groups/{id}/members/microsoft.graph.user/$count"].Throttled
	if parts == 0 {
		t.Fatalf("no $batch part throttled: %v", st.Routes)
	}
	t.Logf("throttled %d times (whole requests and $batch parts), all retried; client %+v", st.Total.Throttled, c.Stats())
}

// TestReadOnlyAppRefusedOnWrites: the read-only app reads everything it needs and every write
// is refused with Graph's 403, leaving the tenant as it was.
func TestReadOnlyAppRefusedOnWrites(t *testing.T) {
	e := start(t, tenantsim.Config{Seed: 25, Users: 200, Groups: 20, LicensedGroups: 7})
	ctx := context.Background()
	c := newClient(t, e.readOnlyConfig())
	sc := e.srv.Tenant.Scenarios

	skus, err := c.SubscribedSKUs(ctx)
	if err != nil || len(skus) == 0 {
		t.Fatalf("read-only SubscribedSKUs: %d, %v", len(skus), err)
	}
	var users []model.User
	if err := c.Users(ctx, func(p []model.User) error { users = append(users, p...); return nil }); err != nil || len(users) != 200 {
		t.Fatalf("read-only Users: %d, %v", len(users), err)
	}
	if _, err := c.LicensedGroups(ctx); err != nil {
		t.Fatalf("read-only LicensedGroups: %v", err)
	}
	if ev, err := c.DirectoryAudits(ctx, model.AuditQuery{Activity: "Change user license", Max: 3}); err != nil || len(ev) == 0 {
		t.Fatalf("read-only DirectoryAudits: %d, %v", len(ev), err)
	}
	before, err := c.Group(ctx, sc.A1Group)
	if err != nil {
		t.Fatal(err)
	}

	forbidden := func(what string, err error, perm string) {
		t.Helper()
		var ge *model.GraphError
		if !errors.As(err, &ge) || !errors.Is(err, model.ErrForbidden) || ge.Kind != model.GraphForbidden || ge.Status != 403 || ge.Code != "Authorization_RequestDenied" ||
			ge.Message != "Insufficient privileges to complete the operation." || ge.Permission != perm {
			t.Fatalf("%s: %#v, want 403 Authorization_RequestDenied naming %s", what, err, perm)
		}
	}
	out := c.ReprocessUsers(ctx, []string{users[0].ID, users[1].ID}, nil)
	for _, o := range out {
		forbidden("reprocess "+o.UserID, o.Err, permissions.UserReadWrite)
	}
	// Writes the client does not make yet, sent plainly with the read-only app's token.
	tok := e.token(t, e.info.ReadonlyClientID, e.info.ReadonlyClientSecret)
	for _, w := range []struct{ what, path, body string }{
		{"assign group licenses", "/groups/" + sc.A1Group + "/assignLicense", `{"addLicenses":[],"removeLicenses":["` + sc.StudentSKU + `"]}`},
		{"assign user licenses", "/users/" + users[0].ID + "/assignLicense", `{"addLicenses":[{"skuId":"` + sc.StudentSKU + `","disabledPlans":[]}],"removeLicenses":[]}`},
		{"create group", "/groups", `{"displayName":"x","mailNickname":"x","securityEnabled":true,"mailEnabled":false,"groupTypes":[]}`},
	} {
		res := e.do(t, tok, "POST", w.path, []byte(w.body), "Content-Type", "application/json")
		if code, msg := res.errorCode(t); res.Status != http.StatusForbidden || code != "Authorization_RequestDenied" ||
			msg != "Insufficient privileges to complete the operation." {
			t.Fatalf("%s: %d %s %q, want 403 Authorization_RequestDenied", w.what, res.Status, code, msg)
		}
	}

	after, err := c.Group(ctx, sc.A1Group)
	if err != nil || len(after.AssignedLicenses) != len(before.AssignedLicenses) {
		t.Fatalf("A1 template changed by a refused write: %+v -> %+v (%v)", before.AssignedLicenses, after.AssignedLicenses, err)
	}
	st := e.statsWhen(t, func(s tenantsim.StatsSnapshot) bool { return s.Routes["POST /groups"].Errors >= 1 })
	if st.Routes["POST /groups/{id}/assignLicense"].Errors != 1 || st.Routes["POST /groups"].Errors != 1 {
		t.Fatalf("refusals not seen by the simulator: %v", st.Routes)
	}
}

// When Graph answers 415 to a compressed body, the SDK's compression handler sends the request
// again uncompressed and it succeeds: reprocess (a gzip $batch) through the real client with the
// simulator refusing compressed $batch bodies.
func TestCompressedBodyRefusedIsResentUncompressed(t *testing.T) {
	e := start(t, tenantsim.Config{Seed: 29, Users: 200, Groups: 20, LicensedGroups: 7})
	ctx := context.Background()
	c := newClient(t, e.secretConfig())
	members := userMembers(t, c, e.srv.Tenant.Scenarios.A1Group)
	k := e.srv.Faults.Knobs()
	k.RejectCompressed = []string{"POST /$batch"}
	e.srv.SetKnobs(k)
	e.resetStats(t)
	for _, o := range c.ReprocessUsers(ctx, members[:3], nil) {
		if o.Err != nil || o.User.ID != o.UserID {
			t.Fatalf("reprocess %s: %+v", o.UserID, o)
		}
	}
	st := e.statsWhen(t, func(s tenantsim.StatsSnapshot) bool { return s.Routes["POST /$batch"].Requests >= 2 })
	if b := st.Routes["POST /$batch"]; b.Requests != 2 || b.Errors != 1 || st.Routes["POST /users/{id}/reprocessLicenseAssignment"].Batched != 3 {
		t.Fatalf("want one 415 and one uncompressed resend of the $batch: %+v", st.Routes)
	}
}
