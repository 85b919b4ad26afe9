package store

import (
	"context"
	"errors"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestHealthData(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	if _, err := st.HealthData(ctx); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("no snapshot yet: %v", err)
	}
	snap := genTenant(3, 300, 10)
	mustSave(t, st, 0, snap)
	d, err := st.HealthData(ctx)
	if err != nil || d.SignInsMissing != "" || d.SubscriptionsMissing != "" || len(d.SignIns) != len(snap.SignIns) ||
		len(d.Subscriptions) != len(snap.SKUs) {
		t.Fatalf("HealthData = %d sign-ins, %d subscriptions, missing %q/%q, %v", len(d.SignIns), len(d.Subscriptions),
			d.SignInsMissing, d.SubscriptionsMissing, err)
	}
	for _, si := range snap.SignIns {
		if got := d.SignIns[si.UserID]; !got.LastSuccessful.Equal(si.LastSuccessful) || !got.LastNonInteractive.IsZero() {
			t.Fatalf("user %s: %+v, saved %+v", si.UserID, got, si)
		}
	}
	// A snapshot saved without them says they were not read, rather than "nobody signed in".
	snap.Extras, snap.SignIns = nil, nil
	mustSave(t, st, 0, snap)
	if d, err := st.HealthData(ctx); err != nil || d.SignInsMissing != notRead || d.SubscriptionsMissing != notRead || len(d.SignIns) != 0 {
		t.Fatalf("without extras: %+v, %v", d, err)
	}
}
