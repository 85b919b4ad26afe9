package graph

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
)

// Integration tests: the real SDK client against the simulated tenant.

type simEnv struct {
	srv  *tenantsim.Server
	info tenantsim.Info
}

func startSim(t testing.TB, cfg tenantsim.Config) *simEnv {
	t.Helper()
	srv := simtest.Start(t, tenantsim.Options{Config: cfg, FaultSeed: 7})
	return &simEnv{srv: srv, info: srv.Info()}
}

func smallTenant() tenantsim.Config {
	return tenantsim.Config{Seed: 42, Users: 600, Groups: 60, LicensedGroups: 15}
}

func (e *simEnv) config() Config {
	return Config{
		TenantID: e.info.TenantID, ClientID: e.info.ClientID, ClientSecret: e.info.ClientSecret,
		GraphURL: e.info.GraphURL, AuthorityURL: e.info.AuthorityURL, CAFile: e.info.CAFile, MaxRetries: 10,
	}
}

func (e *simEnv) client(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSimCredentials(t *testing.T) {
	e := startSim(t, smallTenant())
	ctx := context.Background()

	secret := e.client(t, e.config())
	skus, err := secret.SubscribedSKUs(ctx)
	if err != nil || len(skus) == 0 {
		t.Fatalf("secret credential: %d SKUs, %v", len(skus), err)
	}
	if !slices.ContainsFunc(skus, func(s model.SKU) bool { return s.ID == e.srv.Tenant.Scenarios.FacultySKU && len(s.ServicePlans) > 0 }) {
		t.Fatalf("faculty SKU %s missing or without plans", e.srv.Tenant.Scenarios.FacultySKU)
	}

	pemBytes, err := os.ReadFile(e.info.ClientCertFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.config()
	cfg.ClientSecret, cfg.CertificatePEM = "", pemBytes
	cert := e.client(t, cfg)
	skus2, err := cert.SubscribedSKUs(ctx)
	if err != nil || len(skus2) != len(skus) {
		t.Fatalf("certificate credential: %d SKUs, %v", len(skus2), err)
	}
	roles, err := cert.GrantedPermissions(ctx)
	want := slices.Sorted(slices.Values(tenantsim.FullAppRoles))
	if err != nil || !slices.Equal(roles, want) {
		t.Fatalf("GrantedPermissions = %v, %v; want %v", roles, err, want)
	}

	cfg = e.config()
	cfg.ClientSecret = "not-the-secret"
	_, err = e.client(t, cfg).SubscribedSKUs(ctx)
	var ge *model.GraphError
	if !errors.As(err, &ge) || ge.Kind != model.GraphUnauthorized || ge.Message == "" {
		t.Fatalf("wrong secret: %v", err)
	}
	t.Logf("wrong secret: %v", err)
}

func TestSimPagingAndCounts(t *testing.T) {
	e := startSim(t, smallTenant())
	ctx := context.Background()
	c := e.client(t, e.config())
	c.pageSize = 4 // several pages of licensed groups (15), users (600) and members

	licensed, err := c.LicensedGroups(ctx)
	if err != nil {
		t.Fatal(err) // page 2+ without ConsistencyLevel would fail here with Request_UnsupportedQuery
	}
	if len(licensed) != 15 {
		t.Fatalf("%d licensed groups, want 15", len(licensed))
	}
	st := e.srv.Stats()
	if n := st.Routes["GET /groups"].Requests; n < 4 {
		t.Fatalf("licensed groups took %d requests; paging not exercised (routes %v)", n, st.RouteNames())
	}
	// The same set by the fallback path (all groups, filtered here).
	fallback, err := c.allGroupsLicensed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(gs []model.Group) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.ID)
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(ids(licensed), ids(fallback)) {
		t.Fatalf("advanced query and full enumeration disagree:\n%v\n%v", ids(licensed), ids(fallback))
	}
	for _, g := range licensed {
		if len(g.AssignedLicenses) == 0 || g.ProcessingState == "" || g.DisplayName == "" {
			t.Fatalf("group without template/state/name: %+v", g)
		}
	}

	c.pageSize = 100
	var pages, total int
	seen := map[string]bool{}
	inError := 0
	err = c.Users(ctx, func(p []model.User) error {
		pages++
		for _, u := range p {
			if seen[u.ID] {
				t.Fatalf("user %s twice", u.ID)
			}
			seen[u.ID] = true
			if u.HasLicenseErrors() {
				inError++
			}
		}
		total += len(p)
		return nil
	})
	if err != nil || total != 600 || pages != 6 {
		t.Fatalf("users: %d in %d pages, %v", total, pages, err)
	}
	if inError == 0 {
		t.Fatal("no user with license errors: licenseAssignmentStates not read")
	}

	// Member counts by $count in $batch equal counting the member lists page by page.
	var groupIDs []string
	for _, g := range licensed {
		groupIDs = append(groupIDs, g.ID)
	}
	var progressed int
	counts, err := c.MemberCounts(ctx, groupIDs, everyGroup, func(done int) { progressed = max(progressed, done) })
	if err != nil {
		t.Fatal(err)
	}
	if progressed != len(groupIDs) {
		t.Fatalf("progress ended at %d of %d", progressed, len(groupIDs))
	}
	c.pageSize = 25
	nonUser := 0
	for _, id := range groupIDs {
		var truth model.MemberCounts
		err := c.GroupMembers(ctx, id, func(p []model.DirectoryObject) error {
			for _, m := range p {
				truth.All++
				if m.Type == model.ObjectUser {
					truth.Users++
				} else if m.Type == "" {
					t.Fatalf("member %s without type", m.ID)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		nonUser += truth.All - truth.Users
		if counts[id] != truth {
			t.Errorf("group %s: counted %+v, listed %+v", id, counts[id], truth)
		}
	}
	t.Logf("%d licensed groups, %d non-user members; client stats %+v", len(groupIDs), nonUser, c.Stats())

	members, err := c.MembersWithLicenseErrors(ctx, e.srv.Tenant.Scenarios.A1Group)
	if err != nil || len(members) == 0 {
		t.Fatalf("members with license errors of A1: %d, %v", len(members), err)
	}
	u, err := c.User(ctx, members[0].ID)
	if err != nil || !slices.ContainsFunc(u.LicenseStates, func(s model.LicenseState) bool {
		return s.SKUID == e.srv.Tenant.Scenarios.FacultySKU && s.Error == model.ErrorCountViolation
	}) {
		t.Fatalf("A1 member %+v, %v: no CountViolation on faculty", u, err)
	}
	if _, err := c.Group(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("missing group: %v", err)
	}

	events, err := c.DirectoryAudits(ctx, model.AuditQuery{Activity: "Change user license", Max: 5, Top: 2})
	if err != nil || len(events) == 0 || len(events) > 5 {
		t.Fatalf("audits: %d, %v", len(events), err)
	}
	for _, ev := range events {
		if ev.Activity != "Change user license" {
			t.Fatalf("filter not applied: %+v", ev)
		}
	}
}

func TestSimThrottledReadsRetried(t *testing.T) {
	e := startSim(t, smallTenant())
	ctx := context.Background()
	c := e.client(t, e.config())
	e.srv.SetKnobs(tenantsim.Knobs{ThrottleRequests: 8, ThrottleWindow: time.Second})
	c.pageSize = 50

	groups, err := c.LicensedGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := c.Users(ctx, func(p []model.User) error { n += len(p); return nil }); err != nil || n != 600 {
		t.Fatalf("users under throttling: %d, %v", n, err)
	}
	var ids []string
	for _, g := range groups {
		ids = append(ids, g.ID)
	}
	counts, err := c.MemberCounts(ctx, ids, nil, nil)
	if err != nil || len(counts) != len(ids) {
		t.Fatalf("member counts under throttling: %d of %d, %v", len(counts), len(ids), err)
	}
	st := e.srv.Stats()
	if st.Total.Throttled == 0 {
		t.Fatal("the simulator throttled nothing; the test proves nothing")
	}
	t.Logf("throttled %d times, all retried; client stats %+v", st.Total.Throttled, c.Stats())
}

func TestSimTransientFaultsRetried(t *testing.T) {
	e := startSim(t, smallTenant())
	ctx := context.Background()
	c := e.client(t, e.config())
	c.pageSize = 50
	if _, err := c.SubscribedSKUs(ctx); err != nil { // token first, outside the faults
		t.Fatal(err)
	}
	e.srv.SetKnobs(tenantsim.Knobs{FaultRate: 0.1, DropRate: 0.1})
	n := 0
	if err := c.Users(ctx, func(p []model.User) error { n += len(p); return nil }); err != nil || n != 600 {
		t.Fatalf("users with faults: %d, %v", n, err)
	}
	st := e.srv.Stats()
	if st.Total.Dropped+st.Total.Errors == 0 {
		t.Fatal("no fault injected")
	}
	t.Logf("dropped %d, errors %d; client stats %+v", st.Total.Dropped, st.Total.Errors, c.Stats())
}

func TestSimReadOnlyAppRefusedOnWrites(t *testing.T) {
	e := startSim(t, smallTenant())
	ctx := context.Background()
	cfg := e.config()
	cfg.ClientID, cfg.ClientSecret = e.info.ReadonlyClientID, e.info.ReadonlyClientSecret
	c := e.client(t, cfg)

	var ge *model.GraphError
	var uid string
	if err := c.Users(ctx, func(p []model.User) error { uid = p[0].ID; return nil }); err != nil {
		t.Fatal(err)
	}
	out := c.ReprocessUsers(ctx, []string{uid}, nil)
	if !errors.As(out[0].Err, &ge) || ge.Kind != model.GraphForbidden || !errors.Is(out[0].Err, model.ErrForbidden) ||
		ge.Code != "Authorization_RequestDenied" || ge.Permission != permissions.UserReadWrite || ge.Message == "" {
		t.Fatalf("read-only reprocess: %#v", out[0].Err)
	}
	t.Logf("read-only app: %v", out[0].Err)
	roles, err := c.GrantedPermissions(ctx)
	if err != nil || slices.Contains(roles, permissions.UserReadWrite) || slices.Contains(roles, permissions.LicenseAssignment) {
		t.Fatalf("read-only roles %v, %v", roles, err)
	}
}

func TestSimReprocess500UnderThrottling(t *testing.T) {
	e := startSim(t, smallTenant())
	ctx := context.Background()
	c := e.client(t, e.config())
	var ids []string
	if err := c.Users(ctx, func(p []model.User) error {
		for _, u := range p {
			ids = append(ids, u.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ids = ids[:500]
	e.srv.SetKnobs(tenantsim.Knobs{ThrottleRequests: 60, ThrottleWindow: time.Second})
	start := time.Now()
	out := c.ReprocessUsers(ctx, ids, nil)
	if len(out) != len(ids) {
		t.Fatalf("%d outcomes for %d users", len(out), len(ids))
	}
	for i, o := range out {
		if o.UserID != ids[i] || o.Err != nil || o.User.ID != ids[i] {
			t.Fatalf("outcome %d: %+v", i, o)
		}
	}
	st := e.srv.Stats()
	if st.Total.Throttled == 0 {
		t.Fatal("no throttling happened")
	}
	t.Logf("500 reprocessed in %v; %d throttled answers retried; client stats %+v", time.Since(start).Round(time.Millisecond), st.Total.Throttled, c.Stats())
}
