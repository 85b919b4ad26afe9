package licensing

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

const (
	audioConfSKU  = "0c266dff-15dd-4b49-8397-2bb16070ed52" // MCOMEETADV, needs Teams
	powerBIProSKU = "f8a1db68-be16-40ed-86d5-cb42ce701560"

	groupAudio = "44444444-4444-4444-4444-444444444444"
	groupMixed = "55555555-5555-5555-5555-555555555555"
)

// lookAheadFixture is explainFixture with the audio-conferencing group of the demo: Audio
// Conferencing (whose Teams prerequisite the template lacks) and Power BI Pro, used up.
func lookAheadFixture(t *testing.T) ExplainContext {
	c := explainFixture(t)
	c.SKUs = append(slices.Clone(c.SKUs),
		model.SKU{ID: audioConfSKU, PartNumber: "MCOMEETADV", CapabilityStatus: "Enabled", ConsumedUnits: 69, Prepaid: model.PrepaidUnits{Enabled: 80}},
		model.SKU{ID: powerBIProSKU, PartNumber: "POWER_BI_PRO", CapabilityStatus: "Enabled", ConsumedUnits: 96, Prepaid: model.PrepaidUnits{Enabled: 96}})
	c.Names = NewNames(catalog, c.SKUs)
	c.GroupTemplates = map[string][]model.AssignedLicense{}
	for k, v := range explainFixture(t).GroupTemplates {
		c.GroupTemplates[k] = v
	}
	c.GroupTemplates[groupAudio] = []model.AssignedLicense{{SKUID: audioConfSKU}, {SKUID: powerBIProSKU}}
	c.GroupTemplates[groupMixed] = []model.AssignedLicense{{SKUID: facultySKU}, {SKUID: studentSKU}, {SKUID: defenderP2SKU}}
	c.GroupNames = map[string]string{groupAudio: "LIC-Audio-Conferencing-Contractors", groupMixed: "Mixed", groupA1: "A1 Students and Faculty"}
	return c
}

// The look-ahead: every license of the same source checked against capacity, usage location,
// conflicts and prerequisites, and said beside the error Microsoft reported.
func TestLookAhead(t *testing.T) {
	base := lookAheadFixture(t)
	audioDep := state(audioConfSKU, groupAudio, model.StateError, model.ErrorDependency)
	biOther := state(powerBIProSKU, groupAudio, model.StateError, model.ErrorOther)
	faculty := state(facultySKU, groupMixed, model.StateError, model.ErrorCountViolation)
	students := state(studentSKU, groupMixed, model.StateError, model.ErrorOther)
	defender := state(defenderP2SKU, groupMixed, model.StateError, model.ErrorOther) // its mailbox prerequisite comes with A1

	tests := []struct {
		name      string
		edit      func(c *ExplainContext)
		st        model.LicenseState
		then      []string // Ahead texts, exactly, in order
		contains  []string // in Summary, Detail or Fix
		absent    []string
		thenCodes []model.LicenseError
	}{
		{
			name:     "missing prerequisite, and Power BI Pro used up: both said",
			edit:     func(c *ExplainContext) { c.User.LicenseStates = []model.LicenseState{audioDep, biOther} },
			st:       audioDep,
			then:     []string{"Power BI Pro would fail too: not enough licenses, 0 of 96 available"},
			contains: []string{"Missing prerequisite: Microsoft 365 Audio Conferencing needs Microsoft Teams"},
		},
		{
			name: "the blocked license says it would fail itself",
			edit: func(c *ExplainContext) { c.User.LicenseStates = []model.LicenseState{audioDep, biOther} },
			st:   biOther,
			contains: []string{"Blocked by all-or-none: Microsoft 365 Audio Conferencing failed: missing prerequisite",
				"After that, Power BI Pro would fail itself: not enough licenses, 0 of 96 available",
				"Add a license that includes Microsoft Teams", "Then for Power BI Pro: Buy more Power BI Pro licenses"},
			absent: []string{"itself is fine"},
		},
		{
			name: "Power BI Pro with units left: nothing ahead",
			edit: func(c *ExplainContext) {
				c.SKUs = slices.Clone(c.SKUs)
				c.SKUs[len(c.SKUs)-1].Prepaid.Enabled = 100
				c.User.LicenseStates = []model.LicenseState{audioDep, biOther}
			},
			st:       biOther,
			contains: []string{"Power BI Pro itself is fine"},
		},
		{
			name: "a user who holds Power BI Pro already needs no unit",
			edit: func(c *ExplainContext) {
				c.User.LicenseStates = []model.LicenseState{audioDep, biOther, state(powerBIProSKU, "", model.StateActive, "")}
				c.User.AssignedLicenses = []model.AssignedLicense{{SKUID: powerBIProSKU}}
			},
			st: audioDep,
		},
		{
			name: "a conflict of the failing license and of its sibling, capacity not repeated",
			edit: func(c *ExplainContext) {
				c.User.LicenseStates = []model.LicenseState{faculty, students, defender, state(businessBasicSKU, "", model.StateActive, "")}
				c.User.AssignedLicenses = []model.AssignedLicense{{SKUID: businessBasicSKU}}
			},
			st: faculty,
			then: []string{"Office 365 A1 for faculty would still fail: conflicting plans, SharePoint (Plan 1) for Education conflicts with SharePoint (Plan 1) from Microsoft 365 Business Basic (assigned directly)",
				"Office 365 A1 for students would fail too: conflicting plans, SharePoint (Plan 1) for Education conflicts with SharePoint (Plan 1) from Microsoft 365 Business Basic (assigned directly)"},
			contains: []string{"Not enough licenses: Office 365 A1 for faculty has 0 of 500 available"},
		},
		{
			name: "a sibling's missing prerequisite",
			edit: func(c *ExplainContext) {
				c.GroupTemplates = map[string][]model.AssignedLicense{groupAudio: {{SKUID: powerBIProSKU}, {SKUID: audioConfSKU}}}
				c.User.LicenseStates = []model.LicenseState{state(powerBIProSKU, groupAudio, model.StateError, model.ErrorCountViolation),
					state(audioConfSKU, groupAudio, model.StateError, model.ErrorOther)}
			},
			st:        state(powerBIProSKU, groupAudio, model.StateError, model.ErrorCountViolation),
			thenCodes: []model.LicenseError{model.ErrorDependency},
			contains:  []string{"Not enough licenses: Power BI Pro has 0 of 96 available"},
		},
		{
			name: "direct licenses without usage location: every one would fail on it",
			edit: func(c *ExplainContext) {
				c.User.UsageLocation = ""
				c.User.LicenseStates = []model.LicenseState{state(facultySKU, "", model.StateError, model.ErrorCountViolation),
					state(studentSKU, "", model.StateError, model.ErrorOther)}
			},
			st: state(facultySKU, "", model.StateError, model.ErrorCountViolation),
			then: []string{"Office 365 A1 for faculty would still fail: the user has no usage location",
				"Office 365 A1 for students would fail too: the user has no usage location"},
		},
		{
			name: "a group's members without usage location get the tenant's country: nothing ahead",
			edit: func(c *ExplainContext) {
				c.User.UsageLocation = ""
				c.User.LicenseStates = []model.LicenseState{audioDep, state(powerBIProSKU, groupAudio, model.StateError, model.ErrorCountViolation)}
			},
			st: audioDep,
		},
		{
			name: "a license the tenant does not subscribe to would fail",
			edit: func(c *ExplainContext) {
				c.GroupTemplates = map[string][]model.AssignedLicense{groupAudio: {{SKUID: audioConfSKU}, {SKUID: e5SKU}}}
				c.User.LicenseStates = []model.LicenseState{audioDep, state(e5SKU, groupAudio, model.StateError, model.ErrorOther)}
			},
			st:   audioDep,
			then: []string{"Microsoft 365 E5 would fail too: not enough licenses (no subscription for it in this tenant)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			if tt.edit != nil {
				tt.edit(&c)
			}
			e := Explain(c, tt.st)
			var texts []string
			var codes []model.LicenseError
			for _, a := range e.Then {
				texts = append(texts, a.Text)
				codes = append(codes, a.Code)
				if a.Fix == "" || a.SKUID == "" {
					t.Errorf("ahead without fix or SKU: %+v", a)
				}
			}
			if tt.thenCodes != nil {
				if !slices.Equal(codes, tt.thenCodes) {
					t.Errorf("Then codes %v, want %v (%q)", codes, tt.thenCodes, texts)
				}
			} else if !slices.Equal(texts, tt.then) {
				t.Errorf("Then = %q\n want %q", texts, tt.then)
			}
			checkWords(t, e.Summary+"\n"+e.Detail+"\n"+e.Fix, tt.contains, tt.absent)
		})
	}
}

// testExplainer is an Explainer over an ExplainContext's tenant.
func testExplainer(c ExplainContext, audit map[string][]LicensingErrorDetail) *Explainer {
	return &Explainer{names: c.Names, skus: c.SKUs, templates: c.GroupTemplates, groups: c.GroupNames,
		audit: audit, disabledHolders: c.DisabledHolders}
}

func member(id, loc string, states ...model.LicenseState) model.User {
	u := model.User{ID: id, DisplayName: "User " + id, UserPrincipalName: id + "@contoso.edu", UsageLocation: loc, LicenseStates: states}
	for _, s := range states {
		if s.State != model.StateError {
			u.AssignedLicenses = append(u.AssignedLicenses, model.AssignedLicense{SKUID: s.SKUID})
		}
	}
	return u
}

// Causes before cases: a group's errors summed up by cause, each with its count, its fix and
// its members; "Other" under the sibling that blocks it; a member with two causes under both.
func TestCauses(t *testing.T) {
	c := lookAheadFixture(t)
	c.DisabledHolders = map[string]int{facultySKU: 12}
	countF := state(facultySKU, groupA1, model.StateError, model.ErrorCountViolation)
	otherS := state(studentSKU, groupA1, model.StateError, model.ErrorOther)
	conflictS := state(studentSKU, groupA1, model.StateError, model.ErrorMutuallyExclusive)
	locF := state(facultySKU, groupA1, model.StateError, model.ErrorUsageLocation)
	basic := state(businessBasicSKU, "", model.StateActive, "")

	type want struct {
		headline, fix string
		users         []string
		then          []string // headlines
	}
	tests := []struct {
		name    string
		users   []model.User
		group   string
		audit   map[string][]LicensingErrorDetail
		want    []want
		noCause bool
	}{
		{
			name:  "one cause for everybody: CountViolation, Other folded into it",
			users: []model.User{member("u1", "GB", otherS, countF), member("u2", "GB", otherS, countF), member("u3", "GB", countF, otherS)},
			group: groupA1,
			want: []want{{headline: "3 members cannot get Office 365 A1 for faculty: 0 of 500 available",
				fix:   "Buy at least 3 units, or free 3 (12 of its holders are disabled accounts), then reprocess them.",
				users: []string{"u1", "u2", "u3"}}},
		},
		{
			name: "several causes in one group, a member with two causes under both, most members first",
			users: []model.User{
				member("u1", "GB", countF, otherS),
				member("u2", "CN", locF, otherS),
				member("u3", "GB", countF, conflictS, basic), // two causes
				member("u4", "GB", countF, otherS),
				member("u5", "GB", conflictS, state(facultySKU, groupA1, model.StateError, model.ErrorOther), basic),
			},
			group: groupA1,
			want: []want{
				{headline: "3 members cannot get Office 365 A1 for faculty: 0 of 500 available",
					fix: "Buy at least 3 units, or free 3 (12 of its holders are disabled accounts), then reprocess them.", users: []string{"u1", "u3", "u4"},
					then: []string{sharePointConflict("1 member holds", "faculty")}},
				{headline: sharePointConflict("2 members hold", "students"), users: []string{"u3", "u5"},
					then: []string{sharePointConflict("2 members hold", "faculty"), "1 member cannot get Office 365 A1 for faculty: 0 of 500 available"}},
				{headline: "1 member is in usage location CN, where Office 365 A1 for faculty is not offered", users: []string{"u2"},
					then: []string{"1 member cannot get Office 365 A1 for faculty: 0 of 500 available"}},
			},
		},
		{
			name: "what fails next is said per cause",
			users: []model.User{
				member("a", "GB", state(audioConfSKU, groupAudio, model.StateError, model.ErrorDependency), state(powerBIProSKU, groupAudio, model.StateError, model.ErrorOther)),
				member("b", "GB", state(audioConfSKU, groupAudio, model.StateError, model.ErrorDependency), state(powerBIProSKU, groupAudio, model.StateError, model.ErrorOther)),
			},
			group: groupAudio,
			want: []want{{headline: "2 members cannot get Microsoft 365 Audio Conferencing: it needs Microsoft Teams or Skype for Business Online (Plan 2) in the same group",
				fix:   `Add a license that includes Microsoft Teams or Skype for Business Online (Plan 2) to the template of group "LIC-Audio-Conferencing-Contractors" (a user who already holds that license uses no extra one), then reprocess them.`,
				users: []string{"a", "b"},
				then:  []string{"2 members cannot get Power BI Pro: 0 of 96 available"}}},
		},
		{
			name: "tenant-wide: the same shortage from a group and directly is one cause of users",
			users: []model.User{
				member("u1", "GB", countF, otherS),
				member("d1", "GB", state(facultySKU, "", model.StateError, model.ErrorCountViolation)),
			},
			want: []want{{headline: "2 users cannot get Office 365 A1 for faculty: 0 of 500 available", users: []string{"u1", "d1"}}},
		},
		{
			name:  "other without a known blocker, and errors from other groups left out",
			users: []model.User{member("u1", "GB", otherS, state(defenderP2SKU, groupDefender, model.StateError, model.ErrorDependency))},
			group: groupA1,
			want: []want{{headline: "1 member is blocked by all-or-none, but the current data shows no failing license", users: []string{"u1"},
				then: []string{"1 member cannot get Office 365 A1 for faculty: 0 of 500 available"}}},
		},
		{
			name:  "other with its blocker from the audit log",
			users: []model.User{member("u1", "GB", otherS)},
			group: groupA1,
			audit: map[string][]LicensingErrorDetail{"u1": {ParseLicensingErrorMessage("Not enough licenses are available to complete this operation. Purchase more licenses or remove unneeded licenses from users and groups for SKU [94763226-9b3c-4e75-a931-5c89701abe66]. Licenses being added: [94763226-9b3c-4e75-a931-5c89701abe66]")}},
			want:  []want{{headline: "1 member cannot get Office 365 A1 for faculty: 0 of 500 available", users: []string{"u1"}}},
		},
		{
			name:    "nobody in error",
			users:   []model.User{member("u1", "GB", state(facultySKU, groupA1, model.StateActive, ""))},
			group:   groupA1,
			noCause: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := testExplainer(c, tt.audit)
			got := ex.Causes(tt.users, tt.group)
			if tt.group == "" {
				got = ex.TenantCauses(tt.users, nil)
			}
			if tt.noCause {
				if len(got) != 0 {
					t.Fatalf("causes %+v, want none", got)
				}
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d causes, want %d:\n%s", len(got), len(tt.want), describeCauses(got))
			}
			keys := map[string]bool{}
			for i, w := range tt.want {
				g := got[i]
				if g.Headline != w.headline {
					t.Errorf("cause %d headline\n %q\nwant %q", i, g.Headline, w.headline)
				}
				if w.fix != "" && g.Fix != w.fix {
					t.Errorf("cause %d fix\n %q\nwant %q", i, g.Fix, w.fix)
				}
				if g.Fix == "" || g.Key == "" || g.SKU.ID == "" {
					t.Errorf("cause %d without fix, key or SKU: %+v", i, g)
				}
				if !slices.Equal(g.Users, w.users) {
					t.Errorf("cause %d users %v, want %v", i, g.Users, w.users)
				}
				var then []string
				for _, n := range g.Then {
					then = append(then, n.Headline)
				}
				if !slices.Equal(then, w.then) {
					t.Errorf("cause %d then %q, want %q", i, then, w.then)
				}
				if keys[g.Key] {
					t.Errorf("key %q twice", g.Key)
				}
				keys[g.Key] = true
			}
		})
	}
}

// sharePointConflict is the headline of Business Basic's SharePoint against an A1 license.
func sharePointConflict(who, a1 string) string {
	return who + " SharePoint (Plan 1) from Microsoft 365 Business Basic (assigned directly), which conflicts with SharePoint (Plan 1) for Education in Office 365 A1 for " + a1
}

func describeCauses(cs []Cause) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "  %s %v (%s)\n", c.Headline, c.Users, c.Fix)
	}
	return b.String()
}

func TestNumber(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 25000: "25,000", 1234567: "1,234,567", -5: "-5"} {
		if got := number(n); got != want {
			t.Errorf("number(%d) = %q, want %q", n, got, want)
		}
	}
}
