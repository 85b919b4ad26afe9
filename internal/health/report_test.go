package health

import (
	"context"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

const (
	tSKU   = "94763226-9b3c-4e75-a931-5c89701abe66"
	tPlanA = "57ff2da0-773e-42df-b2af-ffb7a2317929"
	tPlanB = "2078e8df-cff6-4290-98cb-5408261a760a"
)

// snapshotAt is a tenant of two licensed groups (one still processing) and two users, taken at.
func snapshotAt(at time.Time, processing string, plans ...string) model.Snapshot {
	sku := model.SKU{ID: tSKU, PartNumber: "STANDARDWOFFPACK_FACULTY", AppliesTo: "User", CapabilityStatus: "Enabled",
		ConsumedUnits: 2, Prepaid: model.PrepaidUnits{Enabled: 10}}
	for i, p := range plans {
		sku.ServicePlans = append(sku.ServicePlans, model.ServicePlan{ID: p, Name: []string{"TEAMS1", "NEWPLAN"}[i], AppliesTo: "User"})
	}
	return model.Snapshot{TakenAt: at, SKUs: []model.SKU{sku},
		Groups: []model.Group{
			{ID: "g-busy", DisplayName: "Busy", ProcessingState: processing, AssignedLicenses: []model.AssignedLicense{{SKUID: tSKU}}},
			{ID: "g-curated", DisplayName: "Curated", ProcessingState: model.ProcessingComplete,
				AssignedLicenses: []model.AssignedLicense{{SKUID: tSKU, DisabledPlans: []string{tPlanA}}}},
		},
		MemberCounts: map[string]model.MemberCounts{},
		Users: []model.User{
			{ID: "u1", DisplayName: "Una", AccountEnabled: true, UserType: "Member", CreatedAt: at.AddDate(-2, 0, 0),
				AssignedLicenses: []model.AssignedLicense{{SKUID: tSKU}},
				LicenseStates:    []model.LicenseState{{SKUID: tSKU, AssignedByGroup: "g-busy", State: model.StateActive}}},
		},
		Extras: &model.SnapshotExtras{},
	}
}

// TestStuckAndNewPlans: a group seen processing in snapshots more than a day apart is stuck,
// one that finished is not; a plan that appears after a curated template was seen is found for
// that template only.
func TestStuckAndNewPlans(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	now := time.Now().UTC()
	svc, err := New(st, st, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveSnapshot(ctx, 0, snapshotAt(now.Add(-30*time.Hour), model.ProcessingInProgress, tPlanA)); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveSnapshot(ctx, 0, snapshotAt(now.Add(-time.Hour), model.ProcessingInProgress, tPlanA, tPlanB)); err != nil {
		t.Fatal(err)
	}
	r, err := svc.Report(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	stuck, _ := r.Finding(KindStuck)
	if stuck.Count != 1 || stuck.Items[0].GroupID != "g-busy" || stuck.Items[0].When.Sub(now.Add(-30*time.Hour)).Abs() > time.Second {
		t.Errorf("stuck: %+v", stuck.Items)
	}
	np, _ := r.Finding(KindNewPlans)
	if np.Count != 1 || np.Items[0].GroupID != "g-curated" {
		t.Errorf("new plans: %+v", np.Items)
	}
	// Processing finished: no longer stuck; the template's disabled plans changed: it counts
	// from now, so the plan is no longer new to it.
	s3 := snapshotAt(now, model.ProcessingComplete, tPlanA, tPlanB)
	s3.Groups[1].AssignedLicenses[0].DisabledPlans = []string{tPlanA, tPlanB}
	if err := st.SaveSnapshot(ctx, 0, s3); err != nil {
		t.Fatal(err)
	}
	if r, err = svc.Report(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	if f, _ := r.Finding(KindStuck); f.Count != 0 {
		t.Errorf("stuck after processing: %+v", f.Items)
	}
	if f, _ := r.Finding(KindNewPlans); f.Count != 0 {
		t.Errorf("new plans after the template changed: %+v", f.Items)
	}
}

// SkipUsers: the same stuck group and units, and every finding about who holds licenses says
// it was not computed instead of counting none.
func TestReportSkipUsers(t *testing.T) {
	ctx := context.Background()
	svc := processingFor(t, 30*time.Hour, func(s *model.Snapshot) { s.Users[0].AccountEnabled = false })
	full, err := svc.Report(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	quick, err := svc.Report(ctx, Options{SkipUsers: true})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := full.Finding(KindDisabled); f.Count != 1 || f.Unavailable != "" {
		t.Fatalf("full report, disabled: %+v", f)
	}
	for _, k := range userKinds {
		if f, _ := quick.Finding(k); f.Count != 0 || f.Unavailable == "" {
			t.Errorf("%s without users: %+v", k, f)
		}
	}
	for _, k := range []string{KindStuck, KindUnassigned} {
		a, _ := full.Finding(k)
		b, _ := quick.Finding(k)
		if a.Count != b.Count || b.Unavailable != "" {
			t.Errorf("%s: %d with users, %d without (%q)", k, a.Count, b.Count, b.Unavailable)
		}
	}
}

// StuckAfter: a group processing for 3 hours is stuck to a report asked with 2 hours, not to
// the default's 24.
func TestReportStuckAfter(t *testing.T) {
	ctx := context.Background()
	svc := processingFor(t, 3*time.Hour, nil)
	for _, c := range []struct {
		after time.Duration
		want  int
	}{{0, 0}, {2 * time.Hour, 1}} {
		r, err := svc.Report(ctx, Options{StuckAfter: c.after})
		if err != nil {
			t.Fatal(err)
		}
		if f, _ := r.Finding(KindStuck); f.Count != c.want {
			t.Errorf("stuck after %s: %d groups (%s), want %d", c.after, f.Count, f.Title, c.want)
		}
	}
}

// processingFor is a service over snapshots an hour old and ago old in which the group Busy is
// processing, each changed by edit (nil: as they are).
func processingFor(t *testing.T, ago time.Duration, edit func(*model.Snapshot)) *Service {
	t.Helper()
	st := storetest.Open(t)
	now := time.Now().UTC()
	svc, err := New(st, st, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{now.Add(-ago), now.Add(-time.Hour)} {
		s := snapshotAt(at, model.ProcessingInProgress, tPlanA)
		if edit != nil {
			edit(&s)
		}
		if err := st.SaveSnapshot(context.Background(), 0, s); err != nil {
			t.Fatal(err)
		}
	}
	return svc
}
