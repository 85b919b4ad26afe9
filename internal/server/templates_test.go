package server

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/graphtest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
	"github.com/tenantdesk/tenantdesk/internal/templates"
)

const (
	tplSKU  = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
	tplPlan = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7"
)

func TestParseTemplate(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []model.AssignedLicense
		bad  bool
	}{
		{in: nil, want: nil},
		{in: []string{tplSKU}, want: []model.AssignedLicense{{SKUID: tplSKU}}},
		{in: []string{strings.ToUpper(tplSKU) + ":" + strings.ToUpper(tplPlan) + ", " + tplPlan}, want: []model.AssignedLicense{{SKUID: tplSKU, DisabledPlans: []string{tplPlan, tplPlan}}}},
		{in: []string{tplSKU, tplSKU}, bad: true}, // twice
		{in: []string{"E5"}, bad: true},           // not a GUID
		{in: []string{tplSKU + ":"}, want: []model.AssignedLicense{{SKUID: tplSKU}}},
		{in: []string{tplSKU + ":,"}, bad: true},                   // empty plan
		{in: []string{tplSKU + ":x"}, bad: true},                   // plan not a GUID
		{in: []string{tplSKU + "';DROP TABLE x;--"}, bad: true},    // hostile
		{in: []string{"<script>alert(1)</script>"}, bad: true},     // hostile
		{in: []string{tplSKU + ":" + tplPlan + "?x=1"}, bad: true}, // trailing junk
		{in: []string{tplSKU + ":" + strings.Repeat(tplPlan+",", 300)}, bad: true},
		{in: slices.Repeat([]string{tplSKU}, 65), bad: true},
	} {
		got, err := parseTemplate(tc.in, "lic")
		if tc.bad != (err != nil) || !tc.bad && !slices.EqualFunc(got, tc.want, func(a, b model.AssignedLicense) bool {
			return a.SKUID == b.SKUID && slices.Equal(a.DisabledPlans, b.DisabledPlans)
		}) {
			t.Errorf("%.80q: %+v, %v", tc.in, got, err)
		}
	}
	tpl := []model.AssignedLicense{{SKUID: tplSKU, DisabledPlans: []string{tplPlan}}, {SKUID: "3dd6cf57-d688-4eed-ba52-9e40b5468c3e"}}
	if got := previewURL("g1", tpl); got != "/groups/g1/licenses/preview?lic="+tplSKU+":"+tplPlan+"&lic=3dd6cf57-d688-4eed-ba52-9e40b5468c3e" {
		t.Errorf("preview URL %s", got)
	}
	u, _ := url.Parse(previewURL("g1", tpl))
	if back, err := parseTemplate(u.Query()["lic"], "lic"); err != nil || len(back) != 2 || back[0].DisabledPlans[0] != tplPlan {
		t.Errorf("round trip %+v, %v", back, err)
	}
	if got := previewURL("g1", nil); !strings.HasSuffix(got, "?none=1") {
		t.Errorf("empty template %s", got)
	}
}

func FuzzParseTemplate(f *testing.F) {
	f.Add(tplSKU + ":" + tplPlan)
	f.Add(tplSKU + ":" + tplPlan + "," + tplPlan)
	f.Add(":")
	f.Add("\x00" + tplSKU)
	f.Fuzz(func(t *testing.T, v string) {
		got, err := parseTemplate([]string{v}, "lic")
		if err != nil {
			return
		}
		for _, l := range got {
			if !isGUID(l.SKUID) || l.SKUID != model.NormalizeID(l.SKUID) {
				t.Fatalf("%q gave license %q", v, l.SKUID)
			}
			for _, p := range l.DisabledPlans {
				if !isGUID(p) {
					t.Fatalf("%q gave plan %q", v, p)
				}
			}
		}
		if again, err := parseTemplate(encodeTemplate(got), "lic"); err != nil || len(again) != len(got) {
			t.Fatalf("%q does not round-trip: %v", v, err)
		}
	})
}

func TestParseEditorForm(t *testing.T) {
	skus := []templates.SKUOption{{SKU: model.NamedSKU{ID: tplSKU}, Plans: []templates.PlanOption{
		{Plan: model.NamedPlan{ID: tplPlan}}, {Plan: model.NamedPlan{ID: "c4801e8a-cb58-4c35-aca6-f2dcc106f287"}}}}}
	form := url.Values{"sku": {tplSKU}, "on-" + tplSKU: {"c4801e8a-cb58-4c35-aca6-f2dcc106f287"}}
	got, err := parseEditorForm(form, skus)
	if err != nil || len(got) != 1 || !slices.Equal(got[0].DisabledPlans, []string{tplPlan}) {
		t.Errorf("unticked plan is disabled: %+v, %v", got, err)
	}
	for _, bad := range []url.Values{{"sku": {"3dd6cf57-d688-4eed-ba52-9e40b5468c3e"}}, {"sku": {"x"}}, {"sku": slices.Repeat([]string{tplSKU}, 70)}} {
		if _, err := parseEditorForm(bad, skus); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// The template pages answer bad input as bad input and the writes need their role.
func TestTemplatePagesRefuse(t *testing.T) {
	h := newServer(t, &fakeStore{}, nil, nil).Handler()
	for _, tc := range []struct {
		method, target string
		status         int
		role           string
	}{
		{"GET", "/groups/bad%20id/licenses", http.StatusNotFound, ""},
		{"GET", "/groups/x%3Fy/licenses/status", http.StatusNotFound, ""},
		{"GET", "/groups/g1/licenses/preview?lic=not-a-guid", http.StatusBadRequest, ""},
		{"POST", "/groups/g1/licenses/apply", http.StatusForbidden, "Reader"},
		{"POST", "/groups/g1/licenses", http.StatusForbidden, "Operator"},
		{"POST", "/groups/g1/split", http.StatusForbidden, "Reader"},
		{"POST", "/licenses/bulk/apply", http.StatusForbidden, "Operator"},
		{"GET", "/groups/g1/licenses/applied", http.StatusForbidden, "Reader"},
		{"GET", "/licenses/bulk/outcome", http.StatusBadRequest, ""},
		{"GET", "/licenses/bulk/outcome?g=" + groupLT + "&g=not%20an%20id", http.StatusBadRequest, ""},
	} {
		hdr := http.Header{}
		if tc.role != "" {
			hdr.Set("X-Test-Role", tc.role)
		}
		if r := do(t, h, tc.method, tc.target, hdr); r.StatusCode != tc.status {
			t.Errorf("%s %s as %q: %d, want %d\n%.300s", tc.method, tc.target, tc.role, r.StatusCode, tc.status, r.body)
		}
	}
}

// tplServer is a server over the licensing fixture whose template management sees the
// snapshot's groups as Graph's, with the Graph permissions fetch grants.
func tplServer(t *testing.T, fetch permissions.Fetch) http.Handler {
	t.Helper()
	st := openLicStore(t)
	dir := licDirectory()
	deps := testDepsGranted(t, st, dir, fetch)
	g := &graphtest.Templates{Graph: dir, Groups: map[string]model.Group{}, Counts: map[string]model.MemberCounts{}}
	groups, err := st.LicensedGroups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, gr := range groups {
		g.Groups[gr.ID] = gr
	}
	perms, err := permissions.NewChecker(fetch, func() time.Time { return testNow }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if deps.Templates, err = templates.New(g, st, deps.Operations.(templates.Members), st, perms, func() time.Time { return testNow }, nil); err != nil {
		t.Fatal(err)
	}
	s, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler()
}

// Applying needs the LicenseAdmin role and a Graph permission that allows it: without the
// permission the editor and the preview work and Apply is disabled, naming it; a Reader sees
// both read-only.
func TestTemplateApplyNeedsRoleAndPermission(t *testing.T) {
	preview := "/groups/" + groupLT + "/licenses/preview?lic=" + skuStudents
	h := tplServer(t, allPermissions)
	d := do(t, h, "GET", preview, nil).doc(t)
	if d.Find("#apply-button").Length() != 1 || d.Find("#apply-button[disabled]").Length() != 0 || d.Find("#apply-blocked").Length() != 0 {
		t.Error("a LicenseAdmin with the permission cannot apply")
	}
	if got := d.Find("#diff").Text(); !strings.Contains(got, "Remove") {
		t.Errorf("diff %q", got)
	}

	readOnly := func(context.Context) ([]string, error) {
		return []string{permissions.GroupRead, permissions.UserRead, permissions.OrganizationRead}, nil
	}
	h = tplServer(t, readOnly)
	d = do(t, h, "GET", preview, nil).doc(t)
	if d.Find("#apply-button[disabled]").Length() != 1 || !strings.Contains(d.Find("#apply-blocked").Text(), "LicenseAssignment.ReadWrite.All") {
		t.Errorf("without the permission: %q", d.Find("#apply-form").Text())
	}
	ed := do(t, h, "GET", "/groups/"+groupLT+"/licenses", nil).doc(t)
	if !strings.Contains(ed.Find("#apply-blocked").Text(), "LicenseAssignment.ReadWrite.All") || ed.Find("#preview-button").Length() != 1 {
		t.Error("without the permission the editor must still work and say why apply will not")
	}
	reader := http.Header{"X-Test-Role": {"reader"}}
	if d := do(t, h, "GET", preview, reader).doc(t); d.Find("#apply-form").Length() != 0 || d.Find("#consequence").Length() != 1 {
		t.Error("a Reader's preview")
	}
	if d := do(t, h, "GET", "/groups/"+groupLT+"/licenses", reader).doc(t); d.Find("#read-only").Length() != 1 || d.Find("fieldset[disabled]").Length() != 1 {
		t.Error("a Reader's editor is not read-only")
	}
}
