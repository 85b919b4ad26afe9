package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-migrate/migrate/v4"
	sqlite3migrate "github.com/golang-migrate/migrate/v4/database/sqlite3"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/migrations"
)

// openTest opens a fresh database in t's temp dir with a fixed clock.
func openTest(t testing.TB) *Store {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	return st
}

func testGUID(kind, n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", kind, n) }

// genTenant builds a deterministic synthetic snapshot: nUsers users with 1-3 license states each
// (most from groups, some direct, about 4% in error), nGroups licensed groups with 1-3 licenses.
func genTenant(seed uint64, nUsers, nGroups int) model.Snapshot {
	r := rand.New(rand.NewPCG(seed, 1))
	snap := model.Snapshot{TakenAt: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), MemberCounts: map[string]model.MemberCounts{}}
	for i := range 12 {
		sku := model.SKU{ID: testGUID(1, i), PartNumber: fmt.Sprintf("PART_%02d", i), AppliesTo: "User",
			CapabilityStatus: "Enabled", ConsumedUnits: r.IntN(1000), Prepaid: model.PrepaidUnits{Enabled: 1000}}
		for j := range 5 {
			sku.ServicePlans = append(sku.ServicePlans, model.ServicePlan{ID: testGUID(2, i*10+j),
				Name: fmt.Sprintf("PLAN_%02d_%d", i, j), ProvisioningStatus: "Success", AppliesTo: "User"})
		}
		snap.SKUs = append(snap.SKUs, sku)
	}
	words := []string{"Students", "Faculty", "Staff", "Ärzte", "Sales", "it_ops", "100% remote", "O'Brien team", "Ελλάδα"}
	states := []string{model.ProcessingComplete, model.ProcessingComplete, model.ProcessingComplete, model.ProcessingQueued, model.ProcessingInProgress}
	for i := range nGroups {
		g := model.Group{ID: testGUID(3, i), DisplayName: fmt.Sprintf("%s %d", words[r.IntN(len(words))], r.IntN(nGroups/2+1)),
			SecurityEnabled: true, ProcessingState: states[r.IntN(len(states))]}
		for _, k := range r.Perm(len(snap.SKUs))[:1+r.IntN(3)] {
			l := model.AssignedLicense{SKUID: snap.SKUs[k].ID}
			if r.IntN(4) == 0 {
				l.DisabledPlans = []string{snap.SKUs[k].ServicePlans[r.IntN(5)].ID}
			}
			g.AssignedLicenses = append(g.AssignedLicenses, l)
		}
		snap.Groups = append(snap.Groups, g)
		snap.MemberCounts[g.ID] = model.MemberCounts{All: r.IntN(500), Users: r.IntN(400)}
	}
	errs := []model.LicenseError{model.ErrorCountViolation, model.ErrorMutuallyExclusive, model.ErrorOther, model.ErrorUsageLocation}
	for i := range nUsers {
		u := model.User{ID: testGUID(4, r.IntN(1<<40)<<20|i), DisplayName: fmt.Sprintf("User %d", i),
			UserPrincipalName: fmt.Sprintf("user%d@contoso.example", i), UsageLocation: "DE", UserType: "Member",
			AccountEnabled: true, CreatedAt: time.Date(2020, 1, 1, 0, 0, i, 0, time.UTC),
			OfficeLocation: fmt.Sprintf("Building %d", i%7), ProxyAddresses: []string{fmt.Sprintf("SMTP:user%d@contoso.example", i)}}
		seen := map[string]bool{}
		for range 1 + r.IntN(3) {
			st := model.LicenseState{State: model.StateActive, LastUpdated: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
			if nGroups > 0 && r.IntN(5) > 0 {
				g := snap.Groups[r.IntN(nGroups)]
				st.AssignedByGroup = g.ID
				st.SKUID = g.AssignedLicenses[0].SKUID
			} else {
				st.SKUID = snap.SKUs[r.IntN(len(snap.SKUs))].ID
			}
			if seen[st.SKUID+st.AssignedByGroup] {
				continue
			}
			seen[st.SKUID+st.AssignedByGroup] = true
			if r.IntN(25) == 0 {
				st.State, st.Error = model.StateError, errs[r.IntN(len(errs))]
			} else {
				u.AssignedLicenses = append(u.AssignedLicenses, model.AssignedLicense{SKUID: st.SKUID})
			}
			u.LicenseStates = append(u.LicenseStates, st)
		}
		snap.Users = append(snap.Users, u)
		if i%3 > 0 { // every third user never signed in
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Duration(r.IntN(400)) * 24 * time.Hour)
			snap.SignIns = append(snap.SignIns, model.SignIn{UserID: u.ID, LastInteractive: at, LastSuccessful: at})
		}
	}
	ex := model.SnapshotExtras{}
	for i, s := range snap.SKUs {
		ex.Subscriptions = append(ex.Subscriptions, model.Subscription{ID: testGUID(9, i), SKUID: s.ID, SKUPartNumber: s.PartNumber,
			Status: model.SubscriptionEnabled, TotalLicenses: 100, NextLifecycleAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)})
	}
	if len(snap.Groups) > 1 {
		ex.NestedGroups = map[string][]model.GroupRef{snap.Groups[0].ID: {{ID: snap.Groups[1].ID, Name: snap.Groups[1].DisplayName}}}
	}
	snap.Extras = &ex
	return snap
}

// openAtVersion opens a database at path migrated only up to version, as an older tenantdesk
// left it, for tests of the migrations after it. Close it before Open migrates the rest.
func openAtVersion(t *testing.T, path string, version uint) *sql.DB {
	t.Helper()
	registerDriver()
	db, err := sql.Open(driverName, "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	drv, err := sqlite3migrate.WithInstance(db, &sqlite3migrate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "sqlite3", drv)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Migrate(version); err != nil {
		t.Fatal(err)
	}
	return db
}

// readMigration is the text of one embedded migration.
func readMigration(name string) (string, error) {
	b, err := fs.ReadFile(migrations.FS, name)
	return string(b), err
}
