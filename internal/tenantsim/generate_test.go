package tenantsim

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDeterministic(t *testing.T) {
	for _, cfg := range []Config{{Seed: 7}, {Seed: 7, Users: 50, Groups: 10, LicensedGroups: 7}} {
		a, _ := newTestTenant(t, cfg)
		b, _ := newTestTenant(t, cfg)
		if ha, hb := dumpHash(t, a), dumpHash(t, b); ha != hb {
			t.Errorf("%+v: same seed gave different tenants: %s vs %s", cfg, ha, hb)
		}
		other := cfg
		other.Seed++
		c, _ := newTestTenant(t, other)
		if dumpHash(t, a) == dumpHash(t, c) {
			t.Errorf("%+v: seeds %d and %d gave the same tenant", cfg, cfg.Seed, other.Seed)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []Config{
		{Users: 10},
		{Users: 100, Groups: 10, LicensedGroups: 6},
		{Users: 100, Groups: 6, LicensedGroups: 7},
		{Users: 100, ProcessingDelay: -time.Second},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
	tn, _ := newTestTenant(t, Config{})
	if len(tn.users) != DefaultUsers || len(tn.groups) != DefaultGroups {
		t.Errorf("defaults: %d users, %d groups", len(tn.users), len(tn.groups))
	}
	licensed := 0
	for _, g := range tn.groups {
		if len(g.Licenses) > 0 {
			licensed++
		}
	}
	if licensed != DefaultLicensedGroups {
		t.Errorf("defaults: %d licensed groups, want %d", licensed, DefaultLicensedGroups)
	}
}

// scenarioSizes are the tenant sizes every seeded scenario must exist in.
var scenarioSizes = []Config{
	{Seed: 1},
	{Seed: 2, Users: 50, Groups: 10, LicensedGroups: 7},
	{Seed: 3, Users: 3000, Groups: 300, LicensedGroups: 80},
	{Seed: 4, Users: 60, Groups: 7, LicensedGroups: 7},
}

func TestScenariosPresent(t *testing.T) {
	for _, cfg := range scenarioSizes {
		t.Run(fmt.Sprintf("%d-%d-%d", cfg.Users, cfg.Groups, cfg.LicensedGroups), func(t *testing.T) {
			tn, _ := newTestTenant(t, cfg)
			checkConsumed(t, tn)
			sc := tn.Scenarios
			if sc.FacultySKU != skuA1Faculty || sc.StudentSKU != skuA1Students {
				t.Fatalf("scenario SKUs %q %q", sc.FacultySKU, sc.StudentSKU)
			}
			fac := tn.skuCopy(skuA1Faculty)
			if fac.Prepaid.Enabled != fac.ConsumedUnits || fac.ConsumedUnits == 0 {
				t.Errorf("faculty: prepaid %d consumed %d, want full", fac.Prepaid.Enabled, fac.ConsumedUnits)
			}
			if cfg.Users >= 1500 && fac.Prepaid.Enabled != 500 {
				t.Errorf("faculty prepaid %d, want 500", fac.Prepaid.Enabled)
			}
			type state struct{ state, err string }
			type want struct {
				group  string
				states map[string]state // sku -> state and error
			}
			failed := func(err string) state { return state{stateError, err} }
			cases := []want{
				{sc.A1Group, map[string]state{skuA1Faculty: failed(errCount), skuA1Students: failed(errOther)}},
				{sc.ConflictGroup, map[string]state{skuA1Students: failed(errMutuallyExcl)}},
				{sc.DependencyGroup, map[string]state{skuAudioConf: failed(errDependency), skuPowerBIPro: failed(errOther)}},
				{sc.UsageLocationGroup, map[string]state{skuAudioConf: failed(errUsageLocation), skuO365E3: failed(errOther)}},
				// The E3 the architects had stays assigned while Visio, added later, fails.
				{sc.ActiveWithErrorGroup, map[string]state{skuO365E3: {stateActiveWithError, errOther}, skuVisioP2: failed(errCount)}},
				{sc.DisabledGroup, map[string]state{skuPowerAutoFree: {stateDisabled, errNone}}},
			}
			for _, c := range cases {
				g := tn.groupCopy(c.group)
				users := 0
				for _, m := range g.Members {
					if tn.objectType[m] != TypeUser {
						continue
					}
					users++
					u := tn.userCopy(m)
					st := statesOf(u, g.ID)
					if len(st) != len(c.states) {
						t.Fatalf("%s: user %s has %d states from the group, want %d", g.DisplayName, u.UserPrincipalName, len(st), len(c.states))
					}
					for _, s := range st {
						if w := c.states[s.SKUID]; s.Error != w.err || s.State != w.state {
							t.Errorf("%s: %s on %s = %s/%q, want %s/%q", g.DisplayName, u.UserPrincipalName, s.SKUID, s.State, s.Error, w.state, w.err)
						}
						// Active, ActiveWithError and Disabled are assigned; Error is not.
						if holds(u, s.SKUID) != (s.State != stateError) {
							t.Errorf("%s: %s holds %s: %v, with state %s", g.DisplayName, u.UserPrincipalName, s.SKUID, holds(u, s.SKUID), s.State)
						}
					}
				}
				if users < 2 {
					t.Errorf("%s: %d user members, want at least 2", g.DisplayName, users)
				}
			}
			u := tn.userCopy(sc.UniquenessUser)
			found := false
			for _, s := range u.LicenseStates {
				if s.Error == errUniqueness && s.SKUID == skuO365E3 {
					found = true
				}
			}
			if !found {
				t.Errorf("uniqueness user %s: states %+v, want UniquenessViolation on Office 365 E3", u.UserPrincipalName, u.LicenseStates)
			}
			if holds(u, skuO365E3) {
				t.Errorf("uniqueness user holds Office 365 E3 despite the error")
			}
		})
	}
}

func TestCatalog(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 1})
	if len(tn.skus) < 12 {
		t.Fatalf("%d SKUs, want at least 12", len(tn.skus))
	}
	for _, id := range []string{skuA1Students, skuA1Faculty, skuM365E5, skuDefenderP2, skuO365E3, skuM365F3, skuEXOP2, skuAudioConf} {
		if tn.skuByID[id] == nil {
			t.Errorf("SKU %s missing", id)
		}
	}
	statuses := map[string]bool{}
	full, nearlyFull := 0, 0
	for _, s := range tn.skus {
		statuses[s.CapabilityStatus] = true
		avail := s.Prepaid.Enabled - s.ConsumedUnits
		switch {
		case s.CapabilityStatus == "Enabled" && avail == 0:
			full++
		case s.CapabilityStatus == "Enabled" && avail > 0 && avail <= 3:
			nearlyFull++
		}
		for _, p := range s.Plans {
			if len(p.ID) != 36 || p.Name == "" {
				t.Errorf("%s: bad plan %+v", s.PartNumber, p)
			}
		}
		// No SKU may conflict with itself, or no user could ever hold it.
		for _, p := range s.Plans {
			for _, q := range tn.rules.conflicts[p.ID] {
				if s.planSet[q] {
					t.Errorf("%s holds conflicting plans %s and %s", s.PartNumber, p.ID, q)
				}
			}
		}
	}
	if !statuses["Warning"] && !statuses["Suspended"] {
		t.Errorf("no SKU in Warning or Suspended: %v", statuses)
	}
	if full < 2 || nearlyFull < 2 {
		t.Errorf("%d full and %d nearly full SKUs, want at least 2 of each", full, nearlyFull)
	}
	// Spot-check facts copied from Microsoft's CSV.
	e5 := tn.skuByID[skuM365E5]
	if e5.PartNumber != "SPE_E5" || !e5.planSet[planAudioConf] || !e5.planSet[planYammerEnterprise] {
		t.Errorf("E5 catalog entry wrong: %s, %d plans", e5.PartNumber, len(e5.Plans))
	}
	if st := tn.skuByID[skuA1Students]; !st.planSet[planYammerEdu] || st.planSet[planYammerEnterprise] {
		t.Errorf("A1 students should hold YAMMER_EDU only")
	}
}

func TestDirectoryRealism(t *testing.T) {
	tn, _ := newTestTenant(t, Config{Seed: 5})
	var noLocation, disabled, guests, synced int
	upns := map[string]bool{}
	for _, u := range tn.users {
		if upns[strings.ToLower(u.UserPrincipalName)] {
			t.Errorf("duplicate UPN %s", u.UserPrincipalName)
		}
		upns[strings.ToLower(u.UserPrincipalName)] = true
		if u.UsageLocation == "" {
			noLocation++
			if len(u.DirectLicenses) > 0 {
				t.Errorf("%s has direct licenses but no usage location", u.UserPrincipalName)
			}
		}
		if !u.AccountEnabled {
			disabled++
		}
		if u.UserType == "Guest" {
			guests++
			if !strings.Contains(u.UserPrincipalName, "#EXT#@") {
				t.Errorf("guest UPN %s", u.UserPrincipalName)
			}
		}
		if u.OnPremisesSyncEnabled {
			synced++
		}
		if len(u.ProxyAddresses) == 0 || !strings.HasPrefix(u.ProxyAddresses[0], "SMTP:") {
			t.Errorf("%s: proxyAddresses %v", u.UserPrincipalName, u.ProxyAddresses)
		}
		if u.CreatedDateTime.IsZero() || u.CreatedDateTime.Nanosecond() != 0 || u.CreatedDateTime.After(newFakeClock().Now()) {
			t.Errorf("%s: createdDateTime %v", u.UserPrincipalName, u.CreatedDateTime)
		}
	}
	if noLocation == 0 || disabled == 0 || guests == 0 || synced == 0 {
		t.Errorf("no location %d, disabled %d, guests %d, synced %d: want some of each", noLocation, disabled, guests, synced)
	}
	kinds := map[string]int{}
	for _, g := range tn.groups {
		switch {
		case g.MembershipRule != "":
			kinds["dynamic"]++
			rule, err := parseRule(g.MembershipRule)
			if err != nil {
				t.Fatalf("%s: rule %q: %v", g.DisplayName, g.MembershipRule, err)
			}
			members := map[string]bool{}
			for _, m := range g.Members {
				members[m] = true
			}
			for _, u := range tn.users {
				if rule.match(u, tn.memberOf[u.ID]) != members[u.ID] {
					t.Fatalf("%s: rule %q and membership of %s disagree", g.DisplayName, g.MembershipRule, u.UserPrincipalName)
				}
			}
			if strings.Contains(g.MembershipRule, "memberof") {
				kinds["memberof"]++
			}
		case slices.Contains(g.GroupTypes, "Unified"):
			kinds["unified"]++
			if !g.MailEnabled || g.Mail == "" {
				t.Errorf("%s: Microsoft 365 group without mail", g.DisplayName)
			}
		default:
			kinds["security"]++
		}
		for _, m := range g.Members {
			kinds["member:"+tn.objectType[m]]++
		}
	}
	for _, k := range []string{"dynamic", "memberof", "unified", "security", "member:user", "member:group", "member:device", "member:orgContact"} {
		if kinds[k] == 0 {
			t.Errorf("no %s in the tenant: %v", k, kinds)
		}
	}
	// memberOf lists groups in creation order, the order licenses are evaluated in.
	for id, list := range tn.memberOf {
		if !slices.IsSortedFunc(list, func(a, b string) int { return tn.groupByID[a].seq - tn.groupByID[b].seq }) {
			t.Fatalf("memberOf[%s] not in creation order", id)
		}
	}
}

// BenchmarkGenerateLarge generates a 100,000-user, 5,000-group tenant and prints time and
// memory (target: under 30 s and 2 GB).
func BenchmarkGenerateLarge(b *testing.B) {
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		tn, err := New(Config{Seed: 42, Users: 100000, Groups: 5000, LicensedGroups: 500, Now: newFakeClock().Now})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		runtime.GC()
		var live runtime.MemStats
		runtime.ReadMemStats(&live)
		memberships := 0
		for _, g := range tn.groups {
			memberships += len(g.Members)
		}
		b.Logf("100k users / 5k groups: %v, allocated %d MB, heap after GC %d MB, peak sys %d MB, memberships %d, audits %d",
			took.Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>20, live.HeapAlloc>>20, after.Sys>>20, memberships, len(tn.audits))
		runtime.KeepAlive(tn)
	}
}
