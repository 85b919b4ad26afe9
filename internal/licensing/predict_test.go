package licensing

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Plans of the fixture SKUs (real ids and servicePlanNames).
const (
	plTeams     = "57ff2da0-773e-42df-b2af-ffb7a2317929" // TEAMS1
	plEXO1      = "9aaf7827-d63c-4b61-89c3-182f06f82e5c" // EXCHANGE_S_STANDARD
	plEXO2      = "efb87545-963c-4e0d-99df-69c6916d9eb0" // EXCHANGE_S_ENTERPRISE
	plYamEdu    = "2078e8df-cff6-4290-98cb-5408261a760a" // YAMMER_EDU
	plYamEnt    = "7547a3fe-08ee-4ccb-b430-5077c5041653" // YAMMER_ENTERPRISE
	plSPOEdu    = "0a4983bb-d3e5-4a09-95d8-b2d0127b3df5" // SHAREPOINTSTANDARD_EDU
	plSPOEnt    = "5dbe027f-2339-4123-9542-606e4d348a72" // SHAREPOINTENTERPRISE
	plDefender  = "8e0c0a52-6a6c-4d40-8370-dd62790dcd70" // THREAT_INTELLIGENCE
	plAudioConf = "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40" // MCOMEETADV

	grp      = "99999999-0000-4000-8000-000000000001" // the group being changed
	otherGrp = "99999999-0000-4000-8000-000000000002" // an older licensed group
)

func fixtureSKUs(avail map[string]int) []model.SKU {
	mk := func(id, part string, plans ...[2]string) model.SKU {
		s := model.SKU{ID: id, PartNumber: part, CapabilityStatus: "Enabled", Prepaid: model.PrepaidUnits{Enabled: 1000}, ConsumedUnits: 1000 - avail[id]}
		if _, ok := avail[id]; !ok {
			s.ConsumedUnits = 0
		}
		for _, p := range plans {
			s.ServicePlans = append(s.ServicePlans, model.ServicePlan{ID: p[0], Name: p[1]})
		}
		return s
	}
	return []model.SKU{
		mk(studentSKU, "STANDARDWOFFPACK_STUDENT", [2]string{plTeams, "TEAMS1"}, [2]string{plEXO1, "EXCHANGE_S_STANDARD"}, [2]string{plYamEdu, "YAMMER_EDU"}, [2]string{plSPOEdu, "SHAREPOINTSTANDARD_EDU"}),
		mk(skuE3, "ENTERPRISEPACK", [2]string{plTeams, "TEAMS1"}, [2]string{plEXO2, "EXCHANGE_S_ENTERPRISE"}, [2]string{plYamEnt, "YAMMER_ENTERPRISE"}, [2]string{plSPOEnt, "SHAREPOINTENTERPRISE"}),
		mk(skuE5, "SPE_E5", [2]string{plTeams, "TEAMS1"}, [2]string{plEXO2, "EXCHANGE_S_ENTERPRISE"}, [2]string{planPhone, "MCOEV"}, [2]string{planIB, "INFORMATION_BARRIERS"}, [2]string{plYamEnt, "YAMMER_ENTERPRISE"}),
		mk(skuDefender, "THREAT_INTELLIGENCE", [2]string{plDefender, "THREAT_INTELLIGENCE"}),
		mk(skuAudio, "MCOMEETADV", [2]string{plAudioConf, "MCOMEETADV"}),
	}
}

// member is a user holding licenses from sources: "direct:<sku>" or "<group>:<sku>", each Active.
func predictMember(id, location string, holds ...string) model.User {
	u := model.User{ID: id, DisplayName: "User " + id, UsageLocation: location}
	for _, h := range holds {
		src, sku, _ := strings.Cut(h, ":")
		if src == "direct" {
			src = ""
		}
		u.LicenseStates = append(u.LicenseStates, model.LicenseState{SKUID: sku, AssignedByGroup: src, State: model.StateActive})
		if !slices.ContainsFunc(u.AssignedLicenses, func(l model.AssignedLicense) bool { return l.SKUID == sku }) {
			u.AssignedLicenses = append(u.AssignedLicenses, model.AssignedLicense{SKUID: sku})
		}
	}
	return u
}

func lic(sku string, disabled ...string) model.AssignedLicense {
	return model.AssignedLicense{SKUID: sku, DisabledPlans: disabled}
}

func predictFor(avail map[string]int, current, proposed []model.AssignedLicense, others []GroupTemplate, members ...model.User) (Consequence, *Names) {
	skus := fixtureSKUs(avail)
	n := NewNames(nil, skus)
	g := GroupTemplate{ID: grp, Name: "Staff", Template: current, Created: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	return Predict(PredictInput{Names: n, SKUs: skus, Groups: append(others, g), Group: g, Proposed: proposed, Members: members}), n
}

func outcomes(c Consequence) string {
	var s []string
	for _, m := range c.Members {
		o := m.User.ID + "=" + string(m.Outcome)
		if m.Failure != nil {
			o += "(" + string(m.Failure.Code) + ")"
		}
		s = append(s, o)
	}
	return strings.Join(s, " ")
}

func unitsOf(c Consequence, sku string) SKUUnits {
	for _, u := range c.Units {
		if u.SKUID == sku {
			return u
		}
	}
	return SKUUnits{}
}

func TestPredictConsequences(t *testing.T) {
	older := []GroupTemplate{{ID: otherGrp, Name: "Lecturers", Template: []model.AssignedLicense{lic(skuE3)}, Created: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}}
	for _, tc := range []struct {
		name             string
		avail            map[string]int
		current, propose []model.AssignedLicense
		others           []GroupTemplate
		members          []model.User
		want             string // outcomes in member order
		check            func(t *testing.T, c Consequence, n *Names)
	}{{
		name:    "members holding the SKU elsewhere take no unit",
		avail:   map[string]int{skuE5: 1},
		propose: []model.AssignedLicense{lic(skuE5)},
		members: []model.User{predictMember("a", "US", "direct:"+skuE5), predictMember("b", "US", otherGrp+":"+skuE5), predictMember("c", "US")},
		others:  []GroupTemplate{{ID: otherGrp, Template: []model.AssignedLicense{lic(skuE5)}, Created: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}},
		want:    "a=licensed b=licensed c=licensed",
		check: func(t *testing.T, c Consequence, n *Names) {
			u := unitsOf(c, skuE5)
			if u.Needed != 1 || u.Takes != 1 || u.Short != 0 || u.Available != 1 {
				t.Errorf("units %+v: only c needs one", u)
			}
			if s := n.UnitsSentence(u, true, false); s != "Microsoft 365 E5 needs 1 more unit and 1 is available." {
				t.Errorf("sentence %q", s)
			}
		},
	}, {
		name:    "a swap is one change: E3 out, E5 in, no conflict between them, units given back",
		avail:   map[string]int{skuE5: 10, skuE3: 0},
		current: []model.AssignedLicense{lic(skuE3)}, propose: []model.AssignedLicense{lic(skuE5)},
		members: []model.User{predictMember("a", "US", grp+":"+skuE3), predictMember("b", "US", grp+":"+skuE3)},
		want:    "a=licensed b=licensed",
		check: func(t *testing.T, c Consequence, n *Names) {
			m := c.Members[0]
			if !slices.Equal(m.Gains, []string{skuE5}) || !slices.Equal(m.Losses, []string{skuE3}) {
				t.Errorf("gains %v losses %v", m.Gains, m.Losses)
			}
			if e3 := unitsOf(c, skuE3); e3.Frees != 2 || n.UnitsSentence(e3, false, false) != "Removing Office 365 E3 gives back 2 units." {
				t.Errorf("E3 %+v", e3)
			}
			if c.FullyLicensed != 2 || c.Licensed != 2 || c.NewlyInError != 0 || len(c.Findings) != 0 {
				t.Errorf("counts %+v", c)
			}
		},
	}, {
		name:    "a shortfall: the last members get nothing new, a swap takes away what they had",
		avail:   map[string]int{skuE5: 2},
		current: []model.AssignedLicense{lic(skuE3)}, propose: []model.AssignedLicense{lic(skuE5), lic(skuDefender)},
		members: []model.User{predictMember("a", "US", grp+":"+skuE3), predictMember("b", "US", grp+":"+skuE3), predictMember("c", "US", grp+":"+skuE3),
			predictMember("d", "US", grp+":"+skuE3), predictMember("e", "US", "direct:"+skuE5)},
		want: "a=licensed b=licensed c=newly-in-error(CountViolation) d=newly-in-error(CountViolation) e=licensed",
		check: func(t *testing.T, c Consequence, n *Names) {
			u := unitsOf(c, skuE5)
			if u.Needed != 4 || u.Short != 2 || u.ShortLosing != 2 || u.Takes != 2 {
				t.Errorf("units %+v", u)
			}
			want := "Microsoft 365 E5 needs 4 more units and 2 are available: all or none, so 2 members would get no new license from this group, Microsoft 365 E5 failing stops the others it assigns too. 2 of them would lose licenses they have now."
			if s := n.UnitsSentence(u, true, false); s != want {
				t.Errorf("sentence\n%q\nwant\n%q", s, want)
			}
			cm := c.Members[2]
			if !slices.Equal(cm.Losses, []string{skuE3}) || len(cm.Gains) != 0 {
				t.Errorf("c gains %v loses %v", cm.Gains, cm.Losses)
			}
			var def model.LicenseState
			for _, st := range cm.After {
				if st.SKUID == skuDefender {
					def = st
				}
			}
			if def.Error != model.ErrorOther || def.State != model.StateError {
				t.Errorf("Defender for a short member: %+v, want Other (its sibling failed)", def)
			}
			if len(c.Findings) != 1 || c.Findings[0].Code != model.ErrorCountViolation || len(c.Findings[0].Members) != 2 {
				t.Errorf("findings %+v", c.Findings)
			}
		},
	}, {
		name:    "short with the licenses kept: Active with error",
		avail:   map[string]int{skuE5: 0},
		current: []model.AssignedLicense{lic(studentSKU)}, propose: []model.AssignedLicense{lic(studentSKU), lic(skuE5, plYamEnt)},
		members: []model.User{predictMember("a", "US", grp+":"+studentSKU)},
		want:    "a=newly-in-error(CountViolation)",
		check: func(t *testing.T, c Consequence, n *Names) {
			for _, st := range c.Members[0].After {
				if st.SKUID == studentSKU && (st.State != model.StateActiveWithError || st.Error != model.ErrorOther) {
					t.Errorf("A1 students after a failed change: %+v, want Active with error", st)
				}
			}
			if u := unitsOf(c, skuE5); u.ShortKeeping != 1 || !strings.Contains(n.UnitsSentence(u, true, false), "1 keep what this group gives them now, marked Active with error.") {
				t.Errorf("units %+v: %s", u, n.UnitsSentence(u, true, false))
			}
		},
	}, {
		name:    "usage location: none set counts, a prohibited one fails",
		avail:   map[string]int{skuAudio: 10},
		current: []model.AssignedLicense{lic(studentSKU)}, propose: []model.AssignedLicense{lic(studentSKU), lic(skuAudio)},
		members: []model.User{predictMember("a", "", grp+":"+studentSKU), predictMember("b", "RU", grp+":"+studentSKU), predictMember("c", "DE", grp+":"+studentSKU)},
		want:    "a=licensed b=newly-in-error(ProhibitedInUsageLocationViolation) c=licensed",
		check: func(t *testing.T, c Consequence, n *Names) {
			if c.NoUsageLocation != 1 {
				t.Errorf("%d without usage location", c.NoUsageLocation)
			}
			if len(c.Findings) != 1 || c.Findings[0].Location != "RU" ||
				n.FindingSentence(c.Findings[0], nil) != "1 member: Microsoft 365 Audio Conferencing is not offered in usage location RU." {
				t.Errorf("findings %+v", c.Findings)
			}
		},
	}, {
		name:    "a known conflict with a license held from an older group",
		avail:   map[string]int{studentSKU: 10},
		others:  older,
		propose: []model.AssignedLicense{lic(studentSKU, plEXO1, plSPOEdu)},
		members: []model.User{predictMember("a", "US", otherGrp+":"+skuE3), predictMember("b", "US")},
		want:    "a=newly-in-error(MutuallyExclusiveViolation) b=licensed",
		check: func(t *testing.T, c Consequence, n *Names) {
			f := c.Findings[0]
			if f.WithSource != otherGrp || f.WithSKU != skuE3 || f.Plans[0] != plYamEdu || f.With[0] != plYamEnt {
				t.Fatalf("finding %+v", f)
			}
			s := n.FindingSentence(f, func(id string) string { return `"Lecturers"` })
			if s != `1 member: Yammer for Academic in Office 365 A1 for students conflicts with Yammer Enterprise in Office 365 E3, which they hold from group "Lecturers"; a user cannot hold both.` {
				t.Errorf("sentence %q", s)
			}
			if len(c.Members[0].Elsewhere) != 0 {
				t.Errorf("the older group's E3 must stay: %+v", c.Members[0].Elsewhere)
			}
		},
	}, {
		name:    "Exchange Online (Plan 1) and (Plan 2) may be held together now",
		avail:   map[string]int{studentSKU: 10},
		propose: []model.AssignedLicense{lic(studentSKU, plYamEdu, plSPOEdu)},
		members: []model.User{predictMember("a", "US", "direct:"+skuE3)},
		want:    "a=licensed",
	}, {
		name:    "a missing prerequisite: from no source, or from another source",
		avail:   map[string]int{skuDefender: 10},
		propose: []model.AssignedLicense{lic(skuDefender)},
		members: []model.User{predictMember("a", "US"), predictMember("b", "US", "direct:"+studentSKU)},
		want:    "a=newly-in-error(DependencyViolation) b=licensed",
		check: func(t *testing.T, c Consequence, n *Names) {
			f := c.Findings[0]
			if f.Code != model.ErrorDependency || !strings.Contains(f.Need, "Exchange Online mailbox") {
				t.Errorf("finding %+v", f)
			}
			if len(c.MissingInTemplate) != 1 || !strings.HasPrefix(n.TemplatePrereqSentence(c.MissingInTemplate[0]), "Microsoft Defender for Office 365 (Plan 2) needs an Exchange Online mailbox plan") {
				t.Errorf("template check %+v", c.MissingInTemplate)
			}
		},
	}, {
		name:    "disabling a plan changes states, no unit, nothing new in error",
		avail:   map[string]int{skuE3: 0},
		current: []model.AssignedLicense{lic(skuE3)}, propose: []model.AssignedLicense{lic(skuE3, plYamEnt)},
		members: []model.User{predictMember("a", "US", grp+":"+skuE3)},
		want:    "a=licensed",
		check: func(t *testing.T, c Consequence, n *Names) {
			if u := unitsOf(c, skuE3); u.Needed != 0 || u.Takes != 0 || u.Short != 0 {
				t.Errorf("units %+v", u)
			}
		},
	}, {
		name:    "nothing changes, nothing happens",
		avail:   map[string]int{skuE3: 0},
		current: []model.AssignedLicense{lic(skuE3)}, propose: []model.AssignedLicense{lic(skuE3)},
		members: []model.User{predictMember("a", "US", grp+":"+skuE3)},
		want:    "a=unchanged",
	}, {
		name:    "removing every license",
		current: []model.AssignedLicense{lic(skuE3)},
		members: []model.User{predictMember("a", "US", grp+":"+skuE3), predictMember("b", "US", grp+":"+skuE3, "direct:"+skuE3)},
		want:    "a=removed b=removed",
		check: func(t *testing.T, c Consequence, n *Names) {
			if !slices.Equal(c.Members[0].Losses, []string{skuE3}) || len(c.Members[1].Losses) != 0 {
				t.Errorf("losses %v %v: b keeps E3 directly", c.Members[0].Losses, c.Members[1].Losses)
			}
			if u := unitsOf(c, skuE3); u.Frees != 1 {
				t.Errorf("units %+v", u)
			}
		},
	}, {
		name:    "fixing a conflict by disabling the plan",
		avail:   map[string]int{studentSKU: 10},
		others:  older,
		current: []model.AssignedLicense{lic(studentSKU)}, propose: []model.AssignedLicense{lic(studentSKU, plYamEdu, plSPOEdu, plEXO1)},
		members: []model.User{func() model.User {
			u := predictMember("a", "US", otherGrp+":"+skuE3)
			u.LicenseStates = append(u.LicenseStates, model.LicenseState{SKUID: studentSKU, AssignedByGroup: grp, State: model.StateError, Error: model.ErrorMutuallyExclusive})
			return u
		}()},
		want: "a=fixed",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c, n := predictFor(tc.avail, tc.current, tc.propose, tc.others, tc.members...)
			if got := outcomes(c); got != tc.want {
				t.Fatalf("outcomes\n%s\nwant\n%s", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, c, n)
			}
		})
	}
}

func TestPredictUnsubscribedAndCounts(t *testing.T) {
	c, _ := predictFor(map[string]int{skuE5: 100}, nil, []model.AssignedLicense{lic(skuE5), lic("00000000-0000-4000-8000-000000000bad")}, nil, predictMember("a", "US"))
	if !slices.Equal(c.Unsubscribed, []string{"00000000-0000-4000-8000-000000000bad"}) {
		t.Errorf("unsubscribed %v", c.Unsubscribed)
	}
	if got := count(1234567); got != "1,234,567" {
		t.Errorf("count %s", got)
	}
	if got := fmt.Sprint(OutcomeNewlyInError.Label()); got != "Newly in error" {
		t.Error(got)
	}
}
