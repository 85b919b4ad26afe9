package templates_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/templates"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// The consequence engine against the truth: over randomly generated tenants and random
// template changes (licenses added, removed, swapped, plans switched off, units made short),
// the outcome predicted for every member equals what the simulated tenant's licensing engine
// then really does when the change is applied through Graph and the group is processed: each of
// the member's license states (this group's and every other source's), what they hold, and the
// units each SKU takes. TENANTDESK_PROPERTY_SEED repeats a run, TENANTDESK_PROPERTY_TENANTS
// runs more tenants.
func TestPredictionEqualsTheSimulatedEngine(t *testing.T) {
	testkit.Slow(t, "starts simulated tenants")
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("TENANTDESK_PROPERTY_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	tenants := 5
	if v, err := strconv.Atoi(os.Getenv("TENANTDESK_PROPERTY_TENANTS")); err == nil && v > 0 {
		tenants = v
	}
	t.Logf("seed %d (TENANTDESK_PROPERTY_SEED=%d repeats this run)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	checked := 0
	for n := range tenants {
		cfg := tenantsim.Config{Seed: rng.Int64N(1 << 40), Users: 120 + rng.IntN(200), Groups: 20 + rng.IntN(20), LicensedGroups: 8 + rng.IntN(8)}
		t.Run(fmt.Sprintf("tenant-%d-seed-%d", n, cfg.Seed), func(t *testing.T) {
			checked += runTenant(t, rng, cfg)
		})
	}
	if checked < tenants*2 {
		t.Errorf("only %d changes were compared member by member", checked)
	}
}

var propActor = templates.Actor{Name: "property test"}

// runTenant makes a few random changes on one tenant and returns how many it compared.
func runTenant(t *testing.T, rng *rand.Rand, cfg tenantsim.Config) int {
	ctx := context.Background()
	d := apptest.StartDemo(t, tenantsim.Options{Config: cfg})
	sim, a := d.Sim.Tenant, d.App
	compared := 0
	for round := range 4 {
		// Nothing pending, a snapshot of now: the prediction starts from the truth.
		sim.AdvanceProcessing()
		if _, err := a.Syncer.Run(ctx); err != nil {
			t.Fatal(err)
		}
		groups, err := a.Store.LicensedGroups(ctx)
		if err != nil || len(groups) == 0 {
			t.Fatalf("licensed groups: %d, %v", len(groups), err)
		}
		g := groups[rng.IntN(len(groups))]
		skus := userSKUs(t, a.Store)
		proposed := randomTemplate(rng, g.AssignedLicenses, skus)
		// Make one added SKU short now and then: a few units left, fewer than members need.
		if add := licensing.ChangeBetween(g.AssignedLicenses, proposed).Add; len(add) > 0 && rng.IntN(2) == 0 {
			id := add[rng.IntN(len(add))].SKUID
			if err := sim.SetPrepaidUnits(id, sim.ConsumedUnits(id)+rng.IntN(4)); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Syncer.Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
		p, err := a.Templates.Preview(ctx, g.ID, proposed)
		if err != nil {
			t.Fatalf("round %d: preview of %s: %v", round, g.DisplayName, err)
		}
		consumed := map[string]int{}
		for _, u := range p.Consequence.Units {
			consumed[u.SKUID] = sim.ConsumedUnits(u.SKUID)
		}
		_, err = a.Templates.Apply(ctx, propActor, g.ID, p.Current, proposed)
		if err != nil {
			// Microsoft refuses an add-on without its prerequisite in the same group: the
			// preview must have said so.
			if len(p.Consequence.MissingInTemplate) == 0 || !strings.Contains(err.Error(), "requires") {
				t.Fatalf("round %d: apply %s to %s: %v (preview foresaw %+v)", round, p.Diff, g.DisplayName, err, p.Consequence.MissingInTemplate)
			}
			continue
		}
		if len(p.Consequence.MissingInTemplate) > 0 {
			t.Fatalf("round %d: the preview said Microsoft refuses %+v, but it accepted", round, p.Consequence.MissingInTemplate)
		}
		sim.AdvanceProcessing()
		compareMembers(t, sim, g.ID, p)
		for _, u := range p.Consequence.Units {
			if got, want := sim.ConsumedUnits(u.SKUID)-consumed[u.SKUID], u.Takes-u.Frees; got != want {
				t.Errorf("round %d: %s: consumed units changed by %d, predicted %d (%+v)", round, u.SKUID, got, want, u)
			}
		}
		t.Logf("round %d: %s: %s: %d members (%d fully licensed, %d newly in error, %d unchanged)", round, g.DisplayName, p.Diff,
			len(p.Consequence.Members), p.Consequence.FullyLicensed, p.Consequence.NewlyInError, p.Consequence.Unchanged)
		compared++
	}
	return compared
}

// compareMembers holds every member's predicted states and licenses against the engine's.
func compareMembers(t *testing.T, sim *tenantsim.Tenant, groupID string, p templates.Preview) {
	t.Helper()
	for _, m := range p.Consequence.Members {
		u, ok := sim.LookupUser(m.User.ID)
		if !ok {
			t.Fatalf("member %s is not in the tenant", m.User.ID)
		}
		want := predictedStates(m)
		got := map[string]string{}
		for _, st := range u.LicenseStates {
			got[st.SKUID+"@"+st.AssignedByGroup] = st.State + "/" + st.Error
		}
		if fmt.Sprint(sortedKV(got)) != fmt.Sprint(sortedKV(want)) {
			t.Errorf("member %s (%s) of %s after %s:\n engine    %v\n predicted %v", m.User.DisplayName, m.User.ID, groupID, p.Diff, sortedKV(got), sortedKV(want))
			continue
		}
		var held []string
		for _, l := range u.AssignedLicenses {
			held = append(held, l.SKUID)
		}
		if fmt.Sprint(sorted(held)) != fmt.Sprint(predictedHeld(m)) {
			t.Errorf("member %s holds %v, predicted %v", m.User.ID, sorted(held), predictedHeld(m))
		}
	}
}

// predictedStates are all of the member's states after the change, as predicted: this group's,
// and every other source's with the predicted changes.
func predictedStates(m licensing.MemberPrediction) map[string]string {
	out := map[string]string{}
	key := func(s model.LicenseState) string {
		return model.NormalizeID(s.SKUID) + "@" + model.NormalizeID(s.AssignedByGroup)
	}
	for _, s := range m.User.LicenseStates {
		if !slices.ContainsFunc(m.Before, func(b model.LicenseState) bool { return key(b) == key(s) }) {
			out[key(s)] = s.State + "/" + string(s.Error)
		}
	}
	for _, c := range m.Elsewhere {
		if c.Before.SKUID != "" {
			delete(out, key(c.Before))
		}
		if c.After.SKUID != "" {
			out[key(c.After)] = c.After.State + "/" + string(c.After.Error)
		}
	}
	for _, s := range m.After {
		out[key(s)] = s.State + "/" + string(s.Error)
	}
	return out
}

func predictedHeld(m licensing.MemberPrediction) []string {
	var out []string
	for _, l := range m.User.AssignedLicenses {
		if !slices.Contains(m.Losses, model.NormalizeID(l.SKUID)) {
			out = append(out, model.NormalizeID(l.SKUID))
		}
	}
	return sorted(append(out, m.Gains...))
}

func sorted(s []string) []string { slices.Sort(s); return s }

func sortedKV(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return sorted(out)
}

type skuLister interface {
	SKUs(ctx context.Context) ([]model.SKUUsage, error)
}

func userSKUs(t *testing.T, st skuLister) []model.SKU {
	t.Helper()
	usage, err := st.SKUs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []model.SKU
	for _, u := range usage {
		if u.AppliesTo == "User" || u.AppliesTo == "" {
			out = append(out, u.SKU)
		}
	}
	return out
}

// randomTemplate changes tpl at random: licenses dropped, added or swapped, plans switched off
// or on, never an empty template.
func randomTemplate(rng *rand.Rand, tpl []model.AssignedLicense, skus []model.SKU) []model.AssignedLicense {
	out := licensing.CanonicalTemplate(tpl)
	plansOf := func(id string) []model.ServicePlan {
		i := slices.IndexFunc(skus, func(s model.SKU) bool { return model.SameID(s.ID, id) })
		if i < 0 {
			return nil
		}
		return skus[i].ServicePlans
	}
	randomPlans := func(id string) []string {
		ps := plansOf(id)
		var off []string
		for range rng.IntN(4) {
			if len(ps) > 0 {
				off = append(off, model.NormalizeID(ps[rng.IntN(len(ps))].ID))
			}
		}
		return off
	}
	for range 1 + rng.IntN(3) {
		switch rng.IntN(4) {
		case 0: // drop one
			if len(out) > 1 {
				i := rng.IntN(len(out))
				out = slices.Delete(out, i, i+1)
			}
		case 1: // add one
			s := skus[rng.IntN(len(skus))]
			out = append(out, model.AssignedLicense{SKUID: model.NormalizeID(s.ID), DisabledPlans: randomPlans(s.ID)})
		case 2: // swap one
			if len(out) > 0 {
				i := rng.IntN(len(out))
				s := skus[rng.IntN(len(skus))]
				out[i] = model.AssignedLicense{SKUID: model.NormalizeID(s.ID), DisabledPlans: randomPlans(s.ID)}
			}
		default: // plans of one
			if len(out) > 0 {
				i := rng.IntN(len(out))
				out[i].DisabledPlans = randomPlans(out[i].SKUID)
			}
		}
	}
	if len(out) == 0 {
		s := skus[rng.IntN(len(skus))]
		out = append(out, model.AssignedLicense{SKUID: model.NormalizeID(s.ID)})
	}
	return licensing.CanonicalTemplate(out)
}
