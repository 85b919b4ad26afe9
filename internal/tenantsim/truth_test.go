package tenantsim

import "testing"

func TestLicensedGroupTruthCountsTheA1Scenario(t *testing.T) {
	ten, _ := newTestTenant(t, Config{Seed: 3, Users: 200, Groups: 20, LicensedGroups: 8})
	truth := ten.LicensedGroupTruth()
	if len(truth) != 8 {
		t.Fatalf("licensed groups = %d, want 8", len(truth))
	}
	for _, g := range truth {
		if g.ID != ten.Scenarios.A1Group {
			continue
		}
		if g.Users == 0 || g.Errors != g.Users {
			t.Fatalf("A1 group: %d users, %d in error; every member should fail on faculty", g.Users, g.Errors)
		}
		return
	}
	t.Fatal("A1 group not among the licensed groups")
}
