package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/templates"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

func TestParseLicenseSpec(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want licenseSpec
		bad  bool
	}{
		{in: "SPE_E5", want: licenseSpec{SKU: "SPE_E5"}},
		{in: " Microsoft 365 E5 :disable= MCOEV , INFORMATION_BARRIERS ", want: licenseSpec{SKU: "Microsoft 365 E5", Disable: []string{"MCOEV", "INFORMATION_BARRIERS"}}},
		{in: "Odd: name:DISABLE=Teams", want: licenseSpec{SKU: "Odd: name", Disable: []string{"Teams"}}},
		{in: "a:disable=x:disable=y", want: licenseSpec{SKU: "a:disable=x", Disable: []string{"y"}}},
		{in: "", bad: true},
		{in: "   ", bad: true},
		{in: ":disable=MCOEV", bad: true},
		{in: "SPE_E5:disable=", bad: true},
		{in: "SPE_E5:disable=,,", bad: true},
		{in: strings.Repeat("x", 5000), bad: true},
	} {
		got, err := parseLicenseSpec(tc.in)
		if tc.bad != (err != nil) || !tc.bad && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %+v, %v", tc.in, got, err)
		}
	}
}

func FuzzParseLicenseSpec(f *testing.F) {
	for _, s := range []string{"SPE_E5", "E5:disable=a,b", ":disable=", "\x00:disable=\xff", "a:disable=,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := parseLicenseSpec(s)
		if err != nil {
			return
		}
		if spec.SKU == "" || strings.TrimSpace(spec.SKU) != spec.SKU {
			t.Fatalf("%q gave license %q", s, spec.SKU)
		}
		for _, p := range spec.Disable {
			if p == "" || strings.Contains(p, ",") {
				t.Fatalf("%q gave plan %q", s, p)
			}
		}
	})
}

func TestGroupLicensesUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"group"},
		{"group", "members"},
		{"group", "licenses"},
		{"group", "licenses", "G"}, // neither --dry-run nor --apply
		{"group", "licenses", "G", "--dry-run", "--apply"},   // both
		{"group", "licenses", "--dry-run"},                   // no group
		{"group", "licenses", "G", "H", "--dry-run"},         // two groups
		{"group", "licenses", "G", "--add", "", "--dry-run"}, // empty license
		{"group", "licenses", "G", "--add", "E5:disable=", "--dry-run"},
	} {
		var errOut bytes.Buffer
		err := run(context.Background(), testEnv(map[string]string{"TENANTDESK_DATA_DIR": t.TempDir()}, &bytes.Buffer{}, &errOut), args)
		if !errors.Is(err, errUsage) || errOut.Len() == 0 {
			t.Errorf("%q: err %v, stderr %q; want a usage error that says why", args, err, errOut.String())
		}
	}
}

// The command line against the demo: the example by name prints exactly its body; a
// change that would put members newly in error exits 3 and applies nothing; --apply makes a
// change, waits for the processing and is in the activity log.
func TestGroupLicensesAgainstTheDemo(t *testing.T) {
	ctx := context.Background()
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 1, Users: 400, Groups: 40, LicensedGroups: 12}})
	vars := simVars(d.Sim.Info(), d.App.Config.DataDir)
	vars["TENANTDESK_LOG_LEVEL"] = "error"
	cli := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, testEnv(vars, &out, &errOut), append([]string{"group", "licenses"}, args...))
		return out.String(), errOut.String(), err
	}
	out, errOut, err := cli("LIC-A1-Teaching-Assistants",
		"--add", "Microsoft 365 E5:disable=Microsoft 365 Phone System,Information Barriers",
		"--add", "Microsoft Defender for Office 365 (Plan 2)", "--remove", "Office 365 A1 for students", "--dry-run", "--json")
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, errOut)
	}
	var rep struct {
		Body        json.RawMessage `json:"body"`
		PowerShell  string          `json:"powershell"`
		Diff        []string        `json:"diff"`
		Consequence struct {
			Members int      `json:"members"`
			Units   []string `json:"units"`
		} `json:"consequence"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var body bytes.Buffer
	if err := json.Compact(&body, rep.Body); err != nil {
		t.Fatal(err)
	}
	want := `{"addLicenses":[{"skuId":"06ebc4ee-1bb5-47dd-8120-11324bc54e06","disabledPlans":["4828c8ec-dc2e-4779-b502-87ac9ce28ab7","c4801e8a-cb58-4c35-aca6-f2dcc106f287"]},{"skuId":"3dd6cf57-d688-4eed-ba52-9e40b5468c3e","disabledPlans":[]}],"removeLicenses":["314c4481-f395-4525-be8b-2ec4bb1e9d91"]}`
	if body.String() != want {
		t.Errorf("body\n%s\nwant\n%s", body.String(), want)
	}
	if !strings.HasPrefix(rep.PowerShell, `$params = @{ addLicenses = @(@{ skuId = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"`) ||
		!strings.Contains(rep.PowerShell, "Set-MgGroupLicense -GroupId \""+d.Sim.Tenant.Scenarios.A1Group+"\" -BodyParameter $params") {
		t.Errorf("PowerShell %s", rep.PowerShell)
	}
	if rep.Consequence.Members == 0 || len(rep.Diff) != 3 || len(rep.Consequence.Units) == 0 {
		t.Errorf("report %+v", rep)
	}

	// Faculty has no units left: adding it to a group whose members lack it puts them in error.
	groups, err := d.App.Store.LicensedGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var staff model.Group
	for _, g := range groups {
		if strings.HasPrefix(g.DisplayName, "LIC-O365-E3-Staff") {
			staff = g
			break
		}
	}
	before := d.Sim.Tenant.ConsumedUnits(d.Sim.Tenant.Scenarios.FacultySKU)
	out, errOut, err = cli("--apply", staff.ID, "--add", "STANDARDWOFFPACK_FACULTY")
	var ee exitError
	if !errors.As(err, &ee) || ee.code != exitNewErrors || !strings.Contains(errOut, "newly in error; nothing was applied") || !strings.Contains(out, "newly in error: ") {
		t.Fatalf("risky apply: %v\n%s\n%s", err, out, errOut)
	}
	if g, _ := d.App.Graph.Group(ctx, staff.ID); len(g.AssignedLicenses) != len(staff.AssignedLicenses) {
		t.Fatalf("a refused apply changed the template: %+v", g.AssignedLicenses)
	}

	// Faculty out of the A1 group: the students license applies to everybody at last.
	out, errOut, err = cli("LIC-A1-Teaching-Assistants", "--remove", "Office 365 A1 for faculty", "--apply")
	if err != nil {
		t.Fatalf("apply: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(out, "Applied; processing ProcessingComplete.") || !strings.Contains(out, " licensed, 0 in license error, 0 no longer a member (job ") {
		t.Errorf("apply output:\n%s", out)
	}
	// The same job as the web's: the call, then every member with their outcome.
	list, _, err := d.App.Jobs.Jobs(ctx, model.JobQuery{Kind: templates.JobApply})
	if err != nil || len(list) != 1 {
		t.Fatalf("apply jobs %+v, %v", list, err)
	}
	if j := list[0]; j.State != model.JobDone || j.Counts[templates.ItemSent] != 1 || j.Counts["licensed"] != j.Total-1 || j.Total < 2 ||
		!strings.HasPrefix(j.ActorName, "command line") {
		t.Errorf("apply job %+v", j)
	}
	if d.Sim.Tenant.ConsumedUnits(d.Sim.Tenant.Scenarios.FacultySKU) != before {
		t.Error("faculty units moved")
	}
	page, err := d.App.Store.ListActivity(ctx, model.ActivityFilter{Action: model.ActionTemplateChange})
	if err != nil || page.Total != 1 || !strings.HasPrefix(page.Entries[0].ActorName, "command line") ||
		!strings.Contains(page.Entries[0].Detail, `"removeLicenses":["94763226-9b3c-4e75-a931-5c89701abe66"]`) {
		t.Errorf("activity %+v, %v", page.Entries, err)
	}
}
