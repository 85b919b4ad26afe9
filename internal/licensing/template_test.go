package licensing

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

const (
	skuE5       = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
	skuDefender = "3dd6cf57-d688-4eed-ba52-9e40b5468c3e"
	skuE3       = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	skuAudio    = "0c266dff-15dd-4b49-8397-2bb16070ed52"
	planPhone   = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7"
	planIB      = "c4801e8a-cb58-4c35-aca6-f2dcc106f287"
)

// The example: Office 365 A1 for students replaced by Microsoft 365 E5 without Phone
// System and Information Barriers, plus Defender for Office 365 (Plan 2), in one call.
func TestChangeBodyAndPowerShell(t *testing.T) {
	from := []model.AssignedLicense{{SKUID: studentSKU}}
	to := []model.AssignedLicense{
		{SKUID: strings.ToUpper(skuDefender)}, // order and case do not matter
		{SKUID: skuE5, DisabledPlans: []string{planIB, planPhone, planIB}},
	}
	c := ChangeBetween(from, to)
	want := `{"addLicenses":[{"skuId":"06ebc4ee-1bb5-47dd-8120-11324bc54e06","disabledPlans":["4828c8ec-dc2e-4779-b502-87ac9ce28ab7","c4801e8a-cb58-4c35-aca6-f2dcc106f287"]},{"skuId":"3dd6cf57-d688-4eed-ba52-9e40b5468c3e","disabledPlans":[]}],"removeLicenses":["314c4481-f395-4525-be8b-2ec4bb1e9d91"]}`
	if got := c.Body(); got != want {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
	const group = "1132b215-826f-42a9-8cfe-1643d19d17fd"
	wantPS := `$params = @{ addLicenses = @(@{ skuId = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"; disabledPlans = @("4828c8ec-dc2e-4779-b502-87ac9ce28ab7", "c4801e8a-cb58-4c35-aca6-f2dcc106f287") }, @{ skuId = "3dd6cf57-d688-4eed-ba52-9e40b5468c3e"; disabledPlans = @() }); removeLicenses = @("314c4481-f395-4525-be8b-2ec4bb1e9d91") }` +
		"\n" + `Set-MgGroupLicense -GroupId "1132b215-826f-42a9-8cfe-1643d19d17fd" -BodyParameter $params`
	if got := c.PowerShell(group); got != wantPS {
		t.Errorf("PowerShell\n%s\nwant\n%s", got, wantPS)
	}
	if got := c.Apply(from); !SameTemplate(got, to) {
		t.Errorf("applying the change gives %v, want %v", got, to)
	}
	if !strings.Contains(c.IndentedBody(), "\n  \"addLicenses\": [") {
		t.Errorf("indented body %s", c.IndentedBody())
	}
}

// The same change named from Microsoft's catalog, as the command line and the forms take it:
// products and plans by friendly name, part number or GUID.
func TestChangeFromNamesInTheRealCatalog(t *testing.T) {
	products, err := ParseProductCSV(bytes.NewReader(realCatalog(t)))
	if err != nil {
		t.Fatal(err)
	}
	var tenant []model.SKU
	for _, id := range []string{studentSKU, skuE5, skuDefender, facultySKU} {
		i := slices.IndexFunc(products, func(p model.Product) bool { return p.SKUID == id })
		s := model.SKU{ID: id, PartNumber: products[i].PartNumber}
		for _, pl := range products[i].Plans {
			s.ServicePlans = append(s.ServicePlans, model.ServicePlan{ID: pl.PlanID, Name: pl.Name})
		}
		tenant = append(tenant, s)
	}
	n := NewNames(products, tenant)
	find := func(ref string) string {
		id, err := n.FindSKU(ref, tenant)
		if err != nil {
			t.Fatalf("%q: %v", ref, err)
		}
		return id
	}
	if find("Office 365 A1 for students") != studentSKU || find("spe_e5") != skuE5 || find(skuDefender) != skuDefender ||
		find("Microsoft Defender for Office 365 (Plan 2)") != skuDefender {
		t.Fatal("SKU names not found")
	}
	for ref, want := range map[string]string{"Microsoft 365 Phone System": planPhone, "INFORMATION_BARRIERS": planIB, strings.ToUpper(planIB): planIB} {
		if got, err := n.FindPlan(skuE5, ref); err != nil || got != want {
			t.Errorf("plan %q: %s, %v", ref, got, err)
		}
	}
	for _, bad := range []string{"", "Office 365 A1", "E7"} {
		if _, err := n.FindSKU(bad, tenant); err == nil {
			t.Errorf("%q found a license", bad)
		}
	}
	_, err = n.FindSKU("Office 365 A1", tenant)
	if ie, ok := err.(*model.InputError); !ok || len(ie.Problems) != 2 {
		t.Errorf("a partial name lists the licenses it fits: %#v", err)
	}
	if _, err := n.FindPlan(skuE5, "Phone"); err == nil {
		t.Error("a partial plan name was taken")
	}
	d := n.Diff([]model.AssignedLicense{{SKUID: studentSKU}}, []model.AssignedLicense{{SKUID: skuE5, DisabledPlans: []string{planPhone, planIB}}, {SKUID: skuDefender}})
	if !d.Swap() || len(d.Added) != 2 || len(d.Removed) != 1 || d.Removed[0].Name != "Office 365 A1 for students" {
		t.Fatalf("diff %+v", d)
	}
	if got := d.String(); got != "add Microsoft 365 E5 with Information Barriers and Microsoft 365 Phone System disabled; add Microsoft Defender for Office 365 (Plan 2); remove Office 365 A1 for students" {
		t.Errorf("diff in words: %q", got)
	}
}

func TestDiffOfPlans(t *testing.T) {
	n := NewNames(nil, []model.SKU{{ID: skuE5, PartNumber: "SPE_E5", ServicePlans: []model.ServicePlan{{ID: planPhone, Name: "MCOEV"}, {ID: planIB, Name: "INFORMATION_BARRIERS"}}}})
	from := []model.AssignedLicense{{SKUID: skuE5, DisabledPlans: []string{planPhone}}}
	to := []model.AssignedLicense{{SKUID: skuE5, DisabledPlans: []string{planIB}}}
	d := n.Diff(from, to)
	if len(d.Changed) != 1 || d.Changed[0].Disabled[0].Name != "Information Barriers" || d.Changed[0].Enabled[0].Name != "Microsoft 365 Phone System" || d.Swap() {
		t.Fatalf("diff %+v", d)
	}
	if c := ChangeBetween(from, to); len(c.Remove) != 0 || len(c.Add) != 1 || !slices.Equal(c.Add[0].DisabledPlans, []string{planIB}) {
		t.Errorf("a change of plans re-adds the SKU with all its disabled plans: %+v", c)
	}
	if d := n.Diff(from, from); !d.Empty() || len(d.Kept) != 1 || d.String() != "no change" || !ChangeBetween(from, from).Empty() {
		t.Errorf("no change: %+v", d)
	}
}

func TestPowerShellQuotesWhatItMust(t *testing.T) {
	got := psString("a$b`c\"d")
	if got != "\"a`$b``c`\"d\"" {
		t.Errorf("quoted %s", got)
	}
}
