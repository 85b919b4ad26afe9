package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
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
