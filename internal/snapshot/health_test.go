package snapshot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// UsersWithSignIns pages through the users as Users does, each page with the sign-ins of its
// users; signInsErr refuses it before the first page, as Graph's 403 does.
func (f *fakeSource) UsersWithSignIns(ctx context.Context, fn func([]model.User, []model.SignIn) error) error {
	f.signInAsks++
	if f.signInsErr != nil {
		f.requests.Add(1)
		return f.signInsErr
	}
	byID := map[string]model.SignIn{}
	for _, si := range f.signIns {
		byID[si.UserID] = si
	}
	return f.Users(ctx, func(page []model.User) error {
		var sis []model.SignIn
		for _, u := range page {
			if si, ok := byID[u.ID]; ok {
				sis = append(sis, si)
			}
		}
		return fn(page, sis)
	})
}

func (f *fakeSource) Subscriptions(ctx context.Context) ([]model.Subscription, error) {
	return f.subs, f.subsErr
}

func (f *fakeSource) NestedGroups(ctx context.Context, ids []string) (map[string][]model.GroupRef, error) {
	f.nestedAsked = append(f.nestedAsked, ids...)
	out := map[string][]model.GroupRef{}
	for _, id := range ids {
		if n := f.nested[id]; len(n) > 0 {
			out[id] = n
		}
	}
	return out, nil
}

// TestSyncReadsHealthData: sign-ins and subscriptions land in the snapshot; what Graph refuses
// with 403 is recorded as missing with a reason a person can act on, and the sync succeeds; any
// other failure fails the sync and keeps the previous snapshot.
func TestSyncReadsHealthData(t *testing.T) {
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	st := openStore(t)
	src := tenant(50, 3)
	src.signIns = []model.SignIn{{UserID: "user-00001", LastSuccessful: at, LastInteractive: at}, {UserID: "user-00002"}}
	src.subs = []model.Subscription{{ID: "s1", SKUID: "sku-a", Status: model.SubscriptionEnabled, TotalLicenses: 10, NextLifecycleAt: at}}
	src.nested = map[string][]model.GroupRef{"group-001": {{ID: "g-inner", Name: "Inner"}}}
	src.nonUsers = map[string]int{"group-002": 1} // a device
	if _, err := newSyncer(src, st).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Only groups with members that are no users are asked for nested groups.
	if !slices.Equal(src.nestedAsked, []string{"group-001", "group-002"}) {
		t.Errorf("nested groups asked of %v", src.nestedAsked)
	}
	d, err := st.HealthData(context.Background())
	if err != nil || d.SignInsMissing != "" || d.SubscriptionsMissing != "" || len(d.SignIns) != 1 ||
		!d.SignIns["user-00001"].LastSuccessful.Equal(at) || len(d.Subscriptions) != 1 || d.Subscriptions[0].TotalLicenses != 10 ||
		len(d.NestedGroups["group-001"]) != 1 || d.NestedGroups["group-001"][0].Name != "Inner" {
		t.Fatalf("health data %+v, %v", d, err)
	}

	src.signInsErr = &model.GraphError{Kind: model.GraphForbidden, Status: 403, Code: nonPremiumCode}
	src.subsErr = &model.GraphError{Kind: model.GraphForbidden, Status: 403, Code: "Authorization_RequestDenied", Permission: "Organization.Read.All"}
	if _, err := newSyncer(src, st).Run(context.Background()); err != nil {
		t.Fatalf("a refused read failed the sync: %v", err)
	}
	d, err = st.HealthData(context.Background())
	if err != nil || !strings.Contains(d.SignInsMissing, "Entra ID P1") || !strings.Contains(d.SubscriptionsMissing, "Organization.Read.All") ||
		len(d.SignIns) != 0 || len(d.Subscriptions) != 0 {
		t.Fatalf("after 403s: %+v, %v", d, err)
	}
	before := d.ID

	src.signInsErr = &model.GraphError{Kind: model.GraphTransient, Status: 503}
	if run, err := newSyncer(src, st).Run(context.Background()); err == nil || run.Status != model.SyncFailed {
		t.Fatalf("a 503 reading sign-ins: run %+v, %v", run, err)
	}
	if d, _ := st.HealthData(context.Background()); d.ID != before {
		t.Fatalf("a failed sync replaced the snapshot")
	}
}

// TestSignInsRefusalRemembered: after Graph refused the sign-in activity, the full syncs soon
// after do not ask again (the users are read, the sign-ins recorded missing with the same why);
// a full sync asked for, or one a full-sync interval after the refusal, asks again and picks up
// a grant.
func TestSignInsRefusalRemembered(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	st := openStore(t)
	src := tenant(50, 3)
	src.signInsErr = &model.GraphError{Kind: model.GraphForbidden, Status: 403, Code: "Authorization_RequestDenied", Permission: "AuditLog.Read.All"}
	s := newSyncer(src, st)
	s.Now = func() time.Time { return now }
	s.FullEvery = 24 * time.Hour
	missing := func(want string) {
		t.Helper()
		d, err := st.HealthData(ctx)
		if err != nil || !strings.Contains(d.SignInsMissing, want) {
			t.Fatalf("sign-ins missing %q, want %q (%v)", d.SignInsMissing, want, err)
		}
		if n, _ := st.CurrentSnapshot(ctx); n.ID == 0 {
			t.Fatal("no snapshot")
		}
	}
	for i, tc := range []struct {
		mode  Mode
		after time.Duration
		asks  int
	}{
		{Auto, 0, 1},              // asked, refused
		{Auto, time.Hour, 1},      // remembered
		{Auto, 22 * time.Hour, 1}, // still within the interval
		{Full, 0, 2},              // asked for: asks
		{Auto, 23 * time.Hour, 2}, // within the interval from that refusal
		{Auto, time.Hour, 3},      // a day after it: asks
	} {
		now = now.Add(tc.after)
		run, err := s.RunMode(ctx, tc.mode)
		if err != nil || run.Users != 50 || src.signInAsks != tc.asks {
			t.Fatalf("sync %d: %d users, asked %d times, want %d (%v)", i, run.Users, src.signInAsks, tc.asks, err)
		}
		missing("AuditLog.Read.All")
	}
	// Granted: the next sync that asks reads them, and the one after asks again too.
	src.signInsErr = nil
	src.signIns = []model.SignIn{{UserID: "user-00001", LastInteractive: now}}
	now = now.Add(24 * time.Hour)
	for range 2 {
		if _, err := s.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if d, err := st.HealthData(ctx); err != nil || d.SignInsMissing != "" || len(d.SignIns) != 1 {
			t.Fatalf("after the grant: %+v, %v", d, err)
		}
	}
	if src.signInAsks != 5 {
		t.Errorf("asked %d times", src.signInAsks)
	}
}

// A 403 that the users without sign-ins meet too (the app lacks User.Read.All) was not about the
// sign-ins: the sync fails, and the next one asks for the sign-ins again.
func TestSignInsRefusalForgottenWhenUsersAreRefusedToo(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	src := tenant(50, 3)
	denied := &model.GraphError{Kind: model.GraphForbidden, Status: 403, Code: "Authorization_RequestDenied", Permission: "AuditLog.Read.All"}
	src.signInsErr = denied
	src.failIn, src.failErr = PhaseUsers, &model.GraphError{Kind: model.GraphForbidden, Status: 403, Code: "Authorization_RequestDenied", Permission: "User.Read.All"}
	s := newSyncer(src, st)
	s.FullEvery = 24 * time.Hour
	if _, err := s.Run(ctx); err == nil {
		t.Fatal("the sync succeeded without users")
	}
	src.failIn, src.signInsErr = "", nil // User.Read.All granted; AuditLog.Read.All was there all along
	src.signIns = []model.SignIn{{UserID: "user-00001", LastInteractive: time.Now()}}
	if _, err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if src.signInAsks != 2 {
		t.Errorf("sign-ins asked for %d times, want 2 (again after the failed sync)", src.signInAsks)
	}
	if d, err := st.HealthData(ctx); err != nil || d.SignInsMissing != "" || len(d.SignIns) != 1 {
		t.Fatalf("after the grant: %+v, %v", d, err)
	}
}
