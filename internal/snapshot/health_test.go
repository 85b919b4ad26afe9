package snapshot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func (f *fakeSource) SignIns(ctx context.Context, fn func([]model.SignIn) error) error {
	if f.signInsErr != nil {
		return f.signInsErr
	}
	return fn(f.signIns)
}

func (f *fakeSource) Subscriptions(ctx context.Context) ([]model.Subscription, error) {
	return f.subs, f.subsErr
}

func (f *fakeSource) NestedGroups(ctx context.Context, ids []string) (map[string][]model.GroupRef, error) {
	return f.nested, nil
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
	if _, err := newSyncer(src, st).Run(context.Background()); err != nil {
		t.Fatal(err)
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
