package licensing

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

const (
	yammerEnt = "7547a3fe-08ee-4ccb-b430-5077c5041653"
	yammerEdu = "2078e8df-cff6-4290-98cb-5408261a760a"
)

func TestParseLicensingErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want LicensingErrorDetail
	}{
		{
			name: "not enough licenses",
			in:   "Not enough licenses are available to complete this operation. Purchase more licenses or remove unneeded licenses from users and groups for SKU [94763226-9b3c-4e75-a931-5c89701abe66]. Licenses being added: [94763226-9b3c-4e75-a931-5c89701abe66]",
			want: LicensingErrorDetail{Kind: model.ErrorCountViolation, SKUs: []string{facultySKU}, LicensesAdded: []string{facultySKU}},
		},
		{
			name: "conflict",
			in:   "The license can't be assigned because the user has licensed service plans that conflict with plans in the new license. Resolve these conflicting service plan pairs to solve this problem: [7547a3fe-08ee-4ccb-b430-5077c5041653, 2078e8df-cff6-4290-98cb-5408261a760a]. Licenses being added: [314c4481-f395-4525-be8b-2ec4bb1e9d91]",
			want: LicensingErrorDetail{Kind: model.ErrorMutuallyExclusive, LicensesAdded: []string{studentSKU},
				ConflictingPlans: [][2]string{{yammerEnt, yammerEdu}}},
		},
		{
			name: "several pairs, upper case, repeated pair",
			in:   "conflicting service plan pairs: [7547A3FE-08EE-4CCB-B430-5077C5041653, 2078E8DF-CFF6-4290-98CB-5408261A760A], [9aaf7827-d63c-4b61-89c3-182f06f82e5c, efb87545-963c-4e0d-99df-69c6916d9eb0], [2078e8df-cff6-4290-98cb-5408261a760a, 7547a3fe-08ee-4ccb-b430-5077c5041653]",
			want: LicensingErrorDetail{Kind: model.ErrorMutuallyExclusive, ConflictingPlans: [][2]string{
				{yammerEnt, yammerEdu}, {"9aaf7827-d63c-4b61-89c3-182f06f82e5c", "efb87545-963c-4e0d-99df-69c6916d9eb0"}}},
		},
		{
			name: "assignLicense refusal",
			in:   "Subscription with SKU 94763226-9b3c-4e75-a931-5c89701abe66 does not have any available licenses.",
			want: LicensingErrorDetail{Kind: model.ErrorCountViolation, SKUs: []string{facultySKU}},
		},
		{
			name: "odd conflict list keeps the leftover",
			in:   "conflict: [7547a3fe-08ee-4ccb-b430-5077c5041653]",
			want: LicensingErrorDetail{Kind: model.ErrorMutuallyExclusive, Other: []string{yammerEnt}},
		},
		{
			name: "removed and usage location",
			in:   "License not available in the user's usage location. Licenses being removed: [94763226-9b3c-4e75-a931-5c89701abe66]; Licenses being added: []",
			want: LicensingErrorDetail{Kind: model.ErrorUsageLocation, LicensesRemoved: []string{facultySKU}},
		},
		{
			name: "dependency",
			in:   "The service Microsoft Workplace Analytics requires Exchange Online (Plan 2) to be enabled as well. Licenses being added: [314c4481-f395-4525-be8b-2ec4bb1e9d91]",
			want: LicensingErrorDetail{Kind: model.ErrorDependency, LicensesAdded: []string{studentSKU}},
		},
		{
			name: "proxy",
			in:   "Proxy address smtp:a@contoso.com is already being used",
			want: LicensingErrorDetail{Kind: model.ErrorUniqueness},
		},
		{
			name: "GUIDs glued to hex are not GUIDs",
			in:   "for SKU [a94763226-9b3c-4e75-a931-5c89701abe66, 94763226-9b3c-4e75-a931-5c89701abe660, 94763226-9b3c-4e75-a931-5c89701abe6]",
			want: LicensingErrorDetail{},
		},
		{
			name: "unbalanced brackets and no label",
			in:   "[[[ 94763226-9b3c-4e75-a931-5c89701abe66 ]",
			want: LicensingErrorDetail{Other: []string{facultySKU}},
		},
		{name: "empty", in: "", want: LicensingErrorDetail{}},
		{name: "unicode that changes length when lowered", in: "İİİ for SKU [94763226-9b3c-4e75-a931-5c89701abe66]",
			want: LicensingErrorDetail{SKUs: []string{facultySKU}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseLicensingErrorMessage(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseLicensingErrorMessageHuge(t *testing.T) {
	// Thousands of GUIDs and megabytes of text: bounded work and output.
	s := "Licenses being added: [" + strings.Repeat("94763226-9b3c-4e75-a931-5c89701abe66, 314c4481-f395-4525-be8b-2ec4bb1e9d91, ", 20000) + "]"
	d := ParseLicensingErrorMessage(s)
	if len(d.LicensesAdded) != 2 {
		t.Fatalf("%d licenses, want the 2 distinct ones", len(d.LicensesAdded))
	}
	d = ParseLicensingErrorMessage("conflict " + strings.Repeat("[7547a3fe-08ee-4ccb-b430-5077c5041653, 2078e8df-cff6-4290-98cb-5408261a760a]", 5000))
	if len(d.ConflictingPlans) != 1 {
		t.Fatalf("%d pairs, want 1", len(d.ConflictingPlans))
	}
}

func FuzzParseLicensingErrorMessage(f *testing.F) {
	f.Add("Not enough licenses are available to complete this operation. Purchase more licenses or remove unneeded licenses from users and groups for SKU [94763226-9b3c-4e75-a931-5c89701abe66]. Licenses being added: [94763226-9b3c-4e75-a931-5c89701abe66]")
	f.Add("Resolve these conflicting service plan pairs to solve this problem: [7547a3fe-08ee-4ccb-b430-5077c5041653, 2078e8df-cff6-4290-98cb-5408261a760a]. Licenses being added: [314c4481-f395-4525-be8b-2ec4bb1e9d91]")
	f.Add("")
	f.Add("[[[,,,]]]")
	f.Fuzz(func(t *testing.T, s string) {
		d := ParseLicensingErrorMessage(s)
		all := append(append(append(append([]string{}, d.SKUs...), d.LicensesAdded...), d.LicensesRemoved...), d.Other...)
		for _, p := range d.ConflictingPlans {
			all = append(all, p[0], p[1])
			if p[0] == p[1] {
				t.Fatalf("plan paired with itself: %v", p)
			}
		}
		for _, id := range all {
			if !isGUID(id) || id != strings.ToLower(id) || !strings.Contains(strings.ToLower(s), id) {
				t.Fatalf("%q is not a lower-case GUID from the input", id)
			}
		}
	})
}

// A decoded message says the licenses being added or removed once, as a list of names, not
// again inside its text; the original stays whole for copying.
func TestDecodeMessageSaysLicensesOnce(t *testing.T) {
	ex := &Explainer{names: NewNames(nil, nil), groups: map[string]string{}}
	for _, raw := range []string{
		"Not enough licenses are available to complete this operation. Purchase more licenses or remove unneeded licenses from users and groups for SKU [94763226-9b3c-4e75-a931-5c89701abe66]. Licenses being added: [94763226-9b3c-4e75-a931-5c89701abe66]",
		"License not available in the user's usage location. Licenses being removed: [94763226-9b3c-4e75-a931-5c89701abe66]; Licenses being added: [314c4481-f395-4525-be8b-2ec4bb1e9d91].",
	} {
		m := ex.DecodeMessage(raw)
		if strings.Contains(strings.ToLower(m.Text), "being added") || strings.Contains(strings.ToLower(m.Text), "being removed") {
			t.Errorf("text still lists the licenses: %q", m.Text)
		}
		if m.Raw != raw || len(m.Added) != 1 {
			t.Errorf("raw %q, added %v", m.Raw, m.Added)
		}
	}
	m := ex.DecodeMessage("Not enough licenses are available for SKU [94763226-9b3c-4e75-a931-5c89701abe66].")
	if m.Text != "Not enough licenses are available for SKU [Office 365 A1 for faculty]." {
		t.Errorf("a message without the list keeps its text: %q", m.Text)
	}
}
