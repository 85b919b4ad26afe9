package licensing

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

const (
	businessBasicSKU = "3b555118-da6a-4418-894f-7df1e2096870"
	defenderP2SKU    = "3dd6cf57-d688-4eed-ba52-9e40b5468c3e"
	e3SKU            = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	e5SKU            = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
	sharePointEdu    = "0a4983bb-d3e5-4a09-95d8-b2d0127b3df5" // SHAREPOINTSTANDARD_EDU
	sharePointStd    = "c7699d2e-19aa-44de-8edf-1736da088ca1" // SHAREPOINTSTANDARD

	groupA1       = "11111111-1111-1111-1111-111111111111"
	groupDefender = "22222222-2222-2222-2222-222222222222"
	groupBasic    = "33333333-3333-3333-3333-333333333333"
)

var (
	catalogOnce sync.Once
	catalog     []model.Product
)

// explainFixture is a tenant built on the real catalog, so that names are Microsoft's.
func explainFixture(t *testing.T) ExplainContext {
	t.Helper()
	catalogOnce.Do(func() {
		p, err := ParseProductCSV(bytes.NewReader(realCatalog(t)))
		if err != nil {
			t.Fatal(err)
		}
		catalog = p
	})
	skus := []model.SKU{
		{ID: facultySKU, PartNumber: "STANDARDWOFFPACK_FACULTY", CapabilityStatus: "Enabled", ConsumedUnits: 500, Prepaid: model.PrepaidUnits{Enabled: 500}},
		{ID: studentSKU, PartNumber: "STANDARDWOFFPACK_STUDENT", CapabilityStatus: "Enabled", ConsumedUnits: 400, Prepaid: model.PrepaidUnits{Enabled: 1000}},
		{ID: businessBasicSKU, PartNumber: "O365_BUSINESS_ESSENTIALS", CapabilityStatus: "Enabled", ConsumedUnits: 5, Prepaid: model.PrepaidUnits{Enabled: 10}},
		{ID: defenderP2SKU, PartNumber: "THREAT_INTELLIGENCE", CapabilityStatus: "Enabled", Prepaid: model.PrepaidUnits{Enabled: 50}},
		{ID: e3SKU, PartNumber: "ENTERPRISEPACK", CapabilityStatus: "Enabled", ConsumedUnits: 90, Prepaid: model.PrepaidUnits{Enabled: 100}},
	}
	return ExplainContext{
		Names: NewNames(catalog, skus),
		SKUs:  skus,
		User: model.User{ID: "u1", DisplayName: "Ada Lovelace", UserPrincipalName: "ada@contoso.edu",
			Mail: "ada@contoso.edu", UsageLocation: "GB"},
		GroupTemplates: map[string][]model.AssignedLicense{
			groupA1:       {{SKUID: studentSKU}, {SKUID: facultySKU}},
			groupDefender: {{SKUID: defenderP2SKU}},
			groupBasic:    {{SKUID: businessBasicSKU}},
		},
		GroupNames: map[string]string{groupA1: "A1 Students and Faculty", groupDefender: "Defender P2", groupBasic: "Business Basic staff"},
	}
}

func state(sku, group, st string, err model.LicenseError) model.LicenseState {
	return model.LicenseState{SKUID: sku, AssignedByGroup: group, State: st, Error: err}
}

func TestExplain(t *testing.T) {
	base := explainFixture(t)
	names := base.Names
	countAudit := ParseLicensingErrorMessage("Not enough licenses are available to complete this operation. Purchase more licenses or remove unneeded licenses from users and groups for SKU [94763226-9b3c-4e75-a931-5c89701abe66]. Licenses being added: [94763226-9b3c-4e75-a931-5c89701abe66]")
	conflictAudit := ParseLicensingErrorMessage("The license can't be assigned because the user has licensed service plans that conflict with plans in the new license. Resolve these conflicting service plan pairs to solve this problem: [7547a3fe-08ee-4ccb-b430-5077c5041653, 2078e8df-cff6-4290-98cb-5408261a760a]. Licenses being added: [314c4481-f395-4525-be8b-2ec4bb1e9d91]")

	a1Faculty := state(facultySKU, groupA1, model.StateError, model.ErrorCountViolation)
	a1StudentOther := state(studentSKU, groupA1, model.StateError, model.ErrorOther)

	tests := []struct {
		name        string
		edit        func(c *ExplainContext)
		st          model.LicenseState
		code        model.LicenseError
		summary     string   // exact, when set
		contains    []string // in Summary, Detail or Fix
		absent      []string
		blockerSKU  string // "" = no blocker
		wantNoBlock bool
	}{
		{
			name: "count violation",
			edit: func(c *ExplainContext) { c.User.LicenseStates = []model.LicenseState{a1StudentOther, a1Faculty} },
			st:   a1Faculty, code: model.ErrorCountViolation,
			summary:  "Not enough licenses: Office 365 A1 for faculty has 0 of 500 available",
			contains: []string{`assigned by group "A1 Students and Faculty"`, "500 assigned", "Buy more Office 365 A1 for faculty licenses", "reprocess"},
		},
		{
			name: "other blocked by failing sibling",
			edit: func(c *ExplainContext) { c.User.LicenseStates = []model.LicenseState{a1StudentOther, a1Faculty} },
			st:   a1StudentOther, code: model.ErrorOther,
			summary:    "Blocked by all-or-none: Office 365 A1 for faculty failed: not enough licenses, 0 of 500 available",
			contains:   []string{"Office 365 A1 for students itself is fine", "Buy more Office 365 A1 for faculty licenses"},
			blockerSKU: facultySKU,
		},
		{
			name: "Others spelling, sibling GUID in upper case",
			edit: func(c *ExplainContext) {
				f := a1Faculty
				f.SKUID = strings.ToUpper(facultySKU)
				c.User.LicenseStates = []model.LicenseState{a1StudentOther, f}
			},
			st: state(studentSKU, groupA1, model.StateError, model.NormalizeLicenseError("Others")), code: model.ErrorOther,
			summary:    "Blocked by all-or-none: Office 365 A1 for faculty failed: not enough licenses, 0 of 500 available",
			blockerSKU: strings.ToUpper(facultySKU),
		},
		{
			name: "other without failing sibling",
			edit: func(c *ExplainContext) {
				c.User.LicenseStates = []model.LicenseState{a1StudentOther, state(facultySKU, groupA1, model.StateActive, "")}
			},
			st: a1StudentOther, code: model.ErrorOther,
			summary:     "Blocked by all-or-none: another license assigned with it failed",
			contains:    []string{"shows no failing license", "Reprocess the user", `group "A1 Students and Faculty"`},
			wantNoBlock: true,
		},
		{
			name: "other ignores errors from another group",
			edit: func(c *ExplainContext) {
				c.User.LicenseStates = []model.LicenseState{a1StudentOther, state(defenderP2SKU, groupDefender, model.StateError, model.ErrorDependency)}
			},
			st: a1StudentOther, code: model.ErrorOther,
			summary:     "Blocked by all-or-none: another license assigned with it failed",
			wantNoBlock: true,
		},
		{
			name: "other explained from the audit log",
			edit: func(c *ExplainContext) {
				c.User.LicenseStates = []model.LicenseState{a1StudentOther}
				c.Audit = []LicensingErrorDetail{conflictAudit, countAudit}
			},
			st: a1StudentOther, code: model.ErrorOther,
			summary:     "Blocked by all-or-none: Office 365 A1 for faculty failed: not enough licenses, 0 of 500 available",
			contains:    []string{"from the audit log"},
			wantNoBlock: true,
		},
		{
			name: "other with direct sibling",
			edit: func(c *ExplainContext) {
				c.User.LicenseStates = []model.LicenseState{state(studentSKU, "", model.StateError, model.ErrorOther),
					state(facultySKU, "", model.StateError, model.ErrorCountViolation)}
			},
			st: state(studentSKU, "", model.StateError, model.ErrorOther), code: model.ErrorOther,
			summary:    "Blocked by all-or-none: Office 365 A1 for faculty failed: not enough licenses, 0 of 500 available",
			contains:   []string{"assigned together"},
			blockerSKU: facultySKU,
		},
		{
			name: "count violation, SKU not subscribed",
			st:   state(e5SKU, "", model.StateError, model.ErrorCountViolation), code: model.ErrorCountViolation,
			summary:  "Not enough licenses: the tenant has no subscription for Microsoft 365 E5",
			contains: []string{"Buy Microsoft 365 E5", "direct licenses"},
		},
		{
			name: "count violation, suspended subscription",
			edit: func(c *ExplainContext) {
				c.SKUs = append([]model.SKU{}, c.SKUs...)
				c.SKUs[0].CapabilityStatus = "Suspended"
			},
			st: a1Faculty, code: model.ErrorCountViolation,
			contains: []string{"status is Suspended", "Renew or reactivate"},
		},
		{
			name: "count violation, subscription in its grace period",
			edit: func(c *ExplainContext) {
				c.SKUs = append([]model.SKU{}, c.SKUs...)
				c.SKUs[0].CapabilityStatus, c.SKUs[0].Prepaid = "Warning", model.PrepaidUnits{Warning: 500}
			},
			st: a1Faculty, code: model.ErrorCountViolation,
			summary:  "Not enough licenses: Office 365 A1 for faculty has 0 available, its 500 units in the grace period",
			contains: []string{"status is Warning", "Renew or reactivate"},
		},
		{
			name: "count violation, licenses free now",
			edit: func(c *ExplainContext) {
				c.SKUs = append([]model.SKU{}, c.SKUs...)
				c.SKUs[0].ConsumedUnits = 488
			},
			st: a1Faculty, code: model.ErrorCountViolation,
			summary:  "Not enough licenses: Office 365 A1 for faculty has 12 of 500 available",
			contains: []string{"Licenses are free now"},
			absent:   []string{"Buy more"},
		},
		{
			name: "conflict named by the audit log, holder direct",
			edit: func(c *ExplainContext) {
				c.User.LicenseStates = []model.LicenseState{state(studentSKU, groupA1, model.StateError, model.ErrorMutuallyExclusive),
					state(businessBasicSKU, "", model.StateActive, "")}
				c.Audit = []LicensingErrorDetail{conflictAudit}
			},
			st:   state(studentSKU, groupA1, model.StateError, model.ErrorMutuallyExclusive),
			code: model.ErrorMutuallyExclusive,
			summary: "Conflicting service plans: " + names.Plan(yammerEdu) + " (in Office 365 A1 for students) conflicts with " +
				names.Plan(yammerEnt) + " from Microsoft 365 Business Basic, assigned directly",
			contains: []string{"Remove Microsoft 365 Business Basic from the user", "disable " + names.Plan(yammerEdu) + ` in the template of group "A1 Students and Faculty"`},
		},
		{
			name: "conflict from the known-pairs table, holder from a group",
			edit: func(c *ExplainContext) {
				c.User.LicenseStates = []model.LicenseState{state(studentSKU, groupA1, model.StateError, model.ErrorMutuallyExclusive),
					state(businessBasicSKU, groupBasic, model.StateActive, "")}
			},
			st:   state(studentSKU, groupA1, model.StateError, model.ErrorMutuallyExclusive),
			code: model.ErrorMutuallyExclusive,
			summary: "Conflicting service plans: " + names.Plan(sharePointEdu) + " (in Office 365 A1 for students) conflicts with " +
				names.Plan(sharePointStd) + ` from Microsoft 365 Business Basic, from group "Business Basic staff"`,
			contains: []string{`Remove the user from group "Business Basic staff"`, "Also in conflict: " + names.Plan(yammerEdu) + " with " + names.Plan(yammerEnt)},
		},
		{
			name: "conflict: disabled plans do not conflict",
			edit: func(c *ExplainContext) {
				bb := state(businessBasicSKU, groupBasic, model.StateActive, "")
				bb.DisabledPlans = []string{sharePointStd}
				c.User.LicenseStates = []model.LicenseState{state(studentSKU, groupA1, model.StateError, model.ErrorMutuallyExclusive), bb}
			},
			st:       state(studentSKU, groupA1, model.StateError, model.ErrorMutuallyExclusive),
			code:     model.ErrorMutuallyExclusive,
			contains: []string{names.Plan(yammerEdu) + " (in Office 365 A1 for students) conflicts with " + names.Plan(yammerEnt)},
			absent:   []string{"Also in conflict"},
		},
		{
			name: "conflict: only overlapping licenses known",
			edit: func(c *ExplainContext) {
				c.User.AssignedLicenses = []model.AssignedLicense{{SKUID: e5SKU}}
			},
			st:       state(defenderP2SKU, groupDefender, model.StateError, model.ErrorMutuallyExclusive),
			code:     model.ErrorMutuallyExclusive,
			summary:  "Conflicting service plans: Microsoft Defender for Office 365 (Plan 2) conflicts with a plan this user already has",
			contains: []string{"Overlapping licenses: Microsoft 365 E5 (assigned directly), sharing"},
		},
		{
			name:     "conflict: nothing known",
			st:       state(studentSKU, groupA1, model.StateError, model.ErrorMutuallyExclusive),
			code:     model.ErrorMutuallyExclusive,
			contains: []string{"shows no other license", "Reprocess the user"},
		},
		{
			name: "dependency: prerequisite held outside the group",
			edit: func(c *ExplainContext) {
				c.User.LicenseStates = []model.LicenseState{state(defenderP2SKU, groupDefender, model.StateError, model.ErrorDependency),
					state(e3SKU, "", model.StateActive, "")}
			},
			st:   state(defenderP2SKU, groupDefender, model.StateError, model.ErrorDependency),
			code: model.ErrorDependency,
			summary: "Missing prerequisite: Microsoft Defender for Office 365 (Plan 1) and Microsoft Defender for Office 365 (Plan 2) need " +
				"an Exchange Online mailbox plan (such as Exchange Online (Plan 1) or (Plan 2))",
			contains: []string{"through Office 365 E3 (assigned directly)", "same group", `template of group "Defender P2"`},
		},
		{
			name:     "dependency: prerequisite nowhere, group",
			st:       state(defenderP2SKU, groupDefender, model.StateError, model.ErrorDependency),
			code:     model.ErrorDependency,
			contains: []string{`group "Defender P2" does not assign`, "Add a license that includes an Exchange Online mailbox plan"},
		},
		{
			name:     "dependency: direct",
			st:       state(defenderP2SKU, "", model.StateError, model.ErrorDependency),
			code:     model.ErrorDependency,
			contains: []string{"none of this user's licenses provides", "Assign the user a license that includes"},
		},
		{
			name: "dependency: prerequisite present, cause unknown",
			edit: func(c *ExplainContext) {
				c.GroupTemplates = map[string][]model.AssignedLicense{groupDefender: {{SKUID: defenderP2SKU}, {SKUID: e3SKU}}}
			},
			st:       state(defenderP2SKU, groupDefender, model.StateError, model.ErrorDependency),
			code:     model.ErrorDependency,
			summary:  "Missing prerequisite: Microsoft Defender for Office 365 (Plan 2) depends on a service plan this user does not have",
			contains: []string{"removing a license"},
		},
		{
			name:     "usage location not set",
			edit:     func(c *ExplainContext) { c.User.UsageLocation = "" },
			st:       a1Faculty,
			code:     model.ErrorCountViolation, // the state's own code wins over the user's data
			contains: []string{"0 of 500"},
		},
		{
			name:     "no usage location",
			edit:     func(c *ExplainContext) { c.User.UsageLocation = "" },
			st:       state(facultySKU, groupA1, model.StateError, model.ErrorUsageLocation),
			code:     model.ErrorUsageLocation,
			summary:  "No usage location: Office 365 A1 for faculty cannot be assigned until the user has one",
			contains: []string{"Update-MgUser -UserId ada@contoso.edu -UsageLocation", "Usage location"},
		},
		{
			name:     "usage location forbids",
			edit:     func(c *ExplainContext) { c.User.UsageLocation = "CN" },
			st:       state(facultySKU, "", model.StateError, model.ErrorUsageLocation),
			code:     model.ErrorUsageLocation,
			summary:  "Not available in usage location CN: Office 365 A1 for faculty cannot be assigned there",
			contains: []string{"If CN is wrong", "remove Office 365 A1 for faculty from the user"},
		},
		{
			name:     "uniqueness",
			st:       state(facultySKU, groupA1, model.StateError, model.ErrorUniqueness),
			code:     model.ErrorUniqueness,
			summary:  "Proxy address already in use: another object claims one of this user's email addresses",
			contains: []string{`Get-Recipient -Filter "EmailAddresses -eq 'smtp:ada@contoso.edu'"`, "reprocess"},
		},
		{
			name:     "unknown error code",
			st:       state(facultySKU, groupA1, model.StateError, "QuantumViolation"),
			code:     "QuantumViolation",
			summary:  `License error "QuantumViolation" on Office 365 A1 for faculty`,
			contains: []string{"Reprocess the user"},
		},
		{
			name: "active with error: still assigned, the sibling's failure named",
			edit: func(c *ExplainContext) {
				c.User.LicenseStates = []model.LicenseState{state(studentSKU, groupA1, model.StateActiveWithError, model.ErrorOther), a1Faculty}
				c.User.AssignedLicenses = []model.AssignedLicense{{SKUID: studentSKU}}
			},
			st:         state(studentSKU, groupA1, model.StateActiveWithError, model.ErrorOther),
			code:       model.ErrorOther,
			summary:    "Still active, but blocked by all-or-none: Office 365 A1 for faculty failed: not enough licenses, 0 of 500 available",
			contains:   []string{"is still assigned and works", "the change waits until Office 365 A1 for faculty can be assigned too", "Buy more"},
			absent:     []string{"is not assigned"},
			blockerSKU: facultySKU,
		},
		{
			name: "disabled: the subscription is suspended",
			edit: func(c *ExplainContext) {
				c.SKUs = append(c.SKUs, model.SKU{ID: e5SKU, PartNumber: "SPE_E5", CapabilityStatus: "Suspended", ConsumedUnits: 3, Prepaid: model.PrepaidUnits{Suspended: 10}})
				c.Names = NewNames(catalog, c.SKUs)
			},
			st:       state(e5SKU, groupBasic, model.StateDisabled, model.ErrorNone),
			code:     "",
			summary:  "Microsoft 365 E5 is assigned but disabled: the subscription is suspended",
			contains: []string{`assigned by group "Business Basic staff"`, "status is Suspended", "Renew or reactivate", `the template of group "Business Basic staff"`},
		},
		{
			name:    "disabled without a known subscription status",
			st:      state(e3SKU, "", model.StateDisabled, model.ErrorNone),
			summary: "Office 365 E3 is assigned but disabled",
		},
		{
			name:    "no error",
			st:      state(facultySKU, groupA1, model.StateActive, model.NormalizeLicenseError("None")),
			code:    "",
			summary: "Office 365 A1 for faculty is assigned",
		},
		{
			name:     "unknown SKU shows its GUID",
			st:       state("99999999-9999-9999-9999-999999999999", "", model.StateError, model.ErrorCountViolation),
			code:     model.ErrorCountViolation,
			summary:  "Not enough licenses: the tenant has no subscription for 99999999-9999-9999-9999-999999999999",
			contains: []string{"assigned directly"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			if tt.edit != nil {
				tt.edit(&c)
			}
			e := Explain(c, tt.st)
			if e.Code != tt.code {
				t.Errorf("Code = %q, want %q", e.Code, tt.code)
			}
			if tt.summary != "" && e.Summary != tt.summary {
				t.Errorf("Summary = %q\n     want %q", e.Summary, tt.summary)
			}
			all := e.Summary + "\n" + e.Detail + "\n" + e.Fix
			checkWords(t, all, tt.contains, tt.absent)
			if tt.code != "" && (e.Detail == "" || e.Fix == "") {
				t.Errorf("an error needs a detail and a fix: %+v", e)
			}
			if strings.Contains(e.Summary, "00000000") || strings.Contains(all, "%!") {
				t.Errorf("formatting slip: %s", all)
			}
			switch {
			case tt.blockerSKU != "":
				if e.Blocker == nil || e.Blocker.SKUID != tt.blockerSKU {
					t.Errorf("Blocker = %+v, want SKU %s", e.Blocker, tt.blockerSKU)
				}
			case tt.wantNoBlock || e.Code != model.ErrorOther:
				if e.Blocker != nil {
					t.Errorf("Blocker = %+v, want none", e.Blocker)
				}
			}
		})
	}
}

// checkWords fails t for each of contains missing from text and each of absent in it.
func checkWords(t *testing.T, text string, contains, absent []string) {
	t.Helper()
	for _, s := range contains {
		if !strings.Contains(text, s) {
			t.Errorf("missing %q in\n%s", s, text)
		}
	}
	for _, s := range absent {
		if strings.Contains(text, s) {
			t.Errorf("unexpected %q in\n%s", s, text)
		}
	}
}

func TestExplainZeroContext(t *testing.T) {
	// Nothing known at all: still plain words, no panic, the GUID as the name.
	for _, code := range []model.LicenseError{"", model.ErrorCountViolation, model.ErrorMutuallyExclusive, model.ErrorDependency,
		model.ErrorUsageLocation, model.ErrorUniqueness, model.ErrorOther, "Weird"} {
		e := Explain(ExplainContext{}, state(facultySKU, groupA1, model.StateError, code))
		if e.Summary == "" {
			t.Errorf("%q: empty summary", code)
		}
		if code != "" && e.Fix == "" {
			t.Errorf("%q: no fix", code)
		}
	}
}

// The states in words: one wording for every page, export and command.
func TestStateLabel(t *testing.T) {
	for _, tc := range []struct {
		state string
		code  model.LicenseError
		want  string
	}{
		{model.StateActive, model.ErrorNone, "Active"},
		{model.StateActiveWithError, model.ErrorOther, "Active with error"},
		{model.StateDisabled, model.ErrorNone, "Disabled"},
		{model.StateError, model.ErrorCountViolation, "Error"},
		{"", model.ErrorNone, "Assigned"},
		{"", model.ErrorDependency, "Error"},
		{"PendingInput", model.ErrorNone, "PendingInput"},
	} {
		l := ExplainedLicense{State: tc.state, Code: tc.code}
		if got := l.StateLabel(); got != tc.want {
			t.Errorf("%q/%q: %q, want %q", tc.state, tc.code, got, tc.want)
		}
	}
}
