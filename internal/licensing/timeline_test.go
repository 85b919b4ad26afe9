package licensing

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

const (
	tlE3   = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	tlA1   = "314c4481-f395-4525-be8b-2ec4bb1e9d91"
	tlPlan = "57ff2da0-773e-42df-b2af-ffb7a2317929"
)

func TestParseAuditLicenses(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []AuditLicense
		ok       bool
	}{
		{"empty", "", nil, true},
		{"empty array", "[]", nil, true},
		{"one", `["[SkuName=ENTERPRISEPACK, AccountId=abc, SkuId=` + tlE3 + `, DisabledPlans=[]]"]`,
			[]AuditLicense{{SKUID: tlE3, PartNumber: "ENTERPRISEPACK"}}, true},
		{"disabled plans, upper case", `["[SkuName=X, AccountId=abc, SkuId=` + strings.ToUpper(tlE3) + `, DisabledPlans=[` + strings.ToUpper(tlPlan) + `,` + tlPlan + `]]"]`,
			[]AuditLicense{{SKUID: tlE3, PartNumber: "X", DisabledPlans: []string{tlPlan}}}, true},
		{"two, and a duplicate", `["[SkuId=` + tlE3 + `]","[SkuId=` + tlA1 + `]","[SkuId=` + tlE3 + `]"]`,
			[]AuditLicense{{SKUID: tlE3}, {SKUID: tlA1}}, true},
		{"array as a string", `"[\"[SkuName=A, SkuId=` + tlA1 + `, DisabledPlans=[]]\"]"`, []AuditLicense{{SKUID: tlA1, PartNumber: "A"}}, true},
		{"not a license skipped", `["hello","[SkuId=not-a-guid]","[SkuId=` + tlA1 + `, DisabledPlans=[junk, ` + tlPlan + `]]"]`,
			[]AuditLicense{{SKUID: tlA1, DisabledPlans: []string{tlPlan}}}, true},
		{"unclosed plans", `["[SkuId=` + tlA1 + `, DisabledPlans=[` + tlPlan + `"]`, nil, true},
		{"not JSON", `[SkuId=` + tlA1 + `]`, nil, false},
		{"a number", `42`, nil, false},
		{"huge", `["` + strings.Repeat("x", maxAuditValue) + `"]`, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseAuditLicenses(tc.in)
			if ok != tc.ok || !slices.EqualFunc(got, tc.want, func(a, b AuditLicense) bool {
				return a.SKUID == b.SKUID && a.PartNumber == b.PartNumber && slices.Equal(a.DisabledPlans, b.DisabledPlans)
			}) {
				t.Errorf("ParseAuditLicenses = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzParseAuditLicenses: no value, however broken, panics the parser, and every license it
// yields has a lower-case GUID.
func FuzzParseAuditLicenses(f *testing.F) {
	for _, s := range []string{"", "[]", `["[SkuName=A, SkuId=` + tlA1 + `, DisabledPlans=[` + tlPlan + `]]"]`, `"[]"`, `["[DisabledPlans=[]"]`, `["[]"]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ls, _ := ParseAuditLicenses(s)
		for _, l := range ls {
			if !isGUID(l.SKUID) || l.SKUID != strings.ToLower(l.SKUID) {
				t.Fatalf("SKU id %q", l.SKUID)
			}
		}
	})
}

func TestTimeline(t *testing.T) {
	ex := &Explainer{names: NewNames([]model.Product{{SKUID: tlE3, PartNumber: "ENTERPRISEPACK", DisplayName: "Office 365 E3",
		Plans: []model.PlanName{{PlanID: tlPlan, Name: "TEAMS1", FriendlyName: "Microsoft Teams"}}}}, nil),
		groups: map[string]string{"g1": "LIC-E3"}}
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	lic := func(plans string) string {
		return `["[SkuName=ENTERPRISEPACK, AccountId=t, SkuId=` + tlE3 + `, DisabledPlans=[` + plans + `]]"]`
	}
	change := func(activity, old, cur string, at time.Time, by *model.AuditApp, user *model.AuditUser) model.AuditEvent {
		return model.AuditEvent{Activity: activity, At: at, Result: "success", InitiatedByApp: by, InitiatedByUser: user,
			Targets: []model.AuditTarget{{ID: "u1", ModifiedProperties: []model.ModifiedProperty{{DisplayName: "AssignedLicense", OldValue: old, NewValue: cur}}}}}
	}
	events := []model.AuditEvent{
		change(ActivityChangeUserLicense, "[]", lic(""), at, &model.AuditApp{DisplayName: gblApp}, nil),
		change(ActivityUpdateUser, lic(""), lic(tlPlan), at.Add(time.Hour), nil, &model.AuditUser{UserPrincipalName: "admin@contoso.edu"}),
		change(ActivityChangeUserLicense, lic(tlPlan), "[]", at.Add(2*time.Hour), &model.AuditApp{DisplayName: "Automation"}, nil),
		{Activity: ActivityUpdateUser, At: at, Targets: []model.AuditTarget{{ModifiedProperties: []model.ModifiedProperty{{DisplayName: "Department", NewValue: "x"}}}}},
		{Activity: ActivityChangeUserLicense, At: at.Add(3 * time.Hour), Result: "failure",
			AdditionalDetails: []model.KeyValue{{Key: licensingMessageKey, Value: "Not enough licenses for SKU [" + tlE3 + "]."}}},
	}
	states := []model.LicenseState{{SKUID: tlE3, AssignedByGroup: "g1"}}
	tl := ex.Timeline(events, states)
	if len(tl) != 4 {
		t.Fatalf("%d entries: %+v", len(tl), tl)
	}
	if f := tl[0]; f.Result != "failure" || !strings.Contains(f.Failure, "Office 365 E3") {
		t.Errorf("failure: %+v", f)
	}
	if r := tl[1]; len(r.Removed) != 1 || r.Removed[0].Name != "Office 365 E3" || r.By != "Automation" {
		t.Errorf("removal: %+v", r)
	}
	if c := tl[2]; len(c.Changed) != 1 || len(c.Changed[0].PlansOff) != 1 || c.Changed[0].PlansOff[0].Name != "Microsoft Teams" || c.By != "admin@contoso.edu" {
		t.Errorf("plan change: %+v", c)
	}
	if a := tl[3]; len(a.Added) != 1 || !a.ByService || len(a.FromGroups) != 1 || a.FromGroups[0].Name != "LIC-E3" {
		t.Errorf("addition: %+v", a)
	}
}
