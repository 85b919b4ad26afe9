package alerts

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func sku(id, name string, bought, used int) model.SKUUsage {
	return model.SKUUsage{SKU: model.SKU{ID: id, PartNumber: strings.ToUpper(name), ConsumedUnits: used, Prepaid: model.PrepaidUnits{Enabled: bought}}, Name: name}
}

func TestSKULow(t *testing.T) {
	groups := []model.GroupReportRow{
		{ID: "g1", DisplayName: "Staff", ErrorCount: 12, Licenses: []model.NamedSKU{{ID: "AAA", Name: "Faculty"}}},
		{ID: "g2", DisplayName: "Students", Licenses: []model.NamedSKU{{ID: "bbb", Name: "Student"}}},
		{ID: "g3", DisplayName: "Lab", Licenses: []model.NamedSKU{{ID: "aaa", Name: "Faculty"}, {ID: "bbb", Name: "Student"}}},
	}
	tests := []struct {
		name          string
		sku           model.SKUUsage
		units, pct    int
		want          bool
		title, groups string
	}{
		{name: "used up", sku: sku("aaa", "Faculty", 100, 100), want: true, title: "Faculty is used up (100 of 100 units assigned)", groups: "Staff (12 in error); Lab"},
		{name: "over-assigned counts as used up", sku: sku("aaa", "Faculty", 100, 130), want: true, title: "Faculty is used up (130 of 100 units assigned)"},
		{name: "one left, threshold 0", sku: sku("aaa", "Faculty", 100, 99)},
		{name: "one left, threshold 1", sku: sku("aaa", "Faculty", 100, 99), units: 1, want: true, title: "Faculty: 1 of 100 units available"},
		{name: "9% left, below 10%", sku: sku("bbb", "Student", 100, 91), pct: 10, want: true, groups: "Students; Lab"},
		{name: "exactly 10% left is not below 10%", sku: sku("bbb", "Student", 100, 90), pct: 10},
		{name: "nothing bought, nothing held: ended, not running out", sku: sku("ccc", "Old", 0, 0)},
		{name: "nothing bought but held", sku: sku("ccc", "Old", 0, 3), want: true},
		{name: "only suspended units: a subscription ending, not running out",
			sku: model.SKUUsage{SKU: model.SKU{ID: "eee", ConsumedUnits: 6, Prepaid: model.PrepaidUnits{Suspended: 6}}, Name: "Power Automate Free"}},
		{name: "no name: part number", sku: model.SKUUsage{SKU: model.SKU{ID: "ddd", PartNumber: "VISIOCLIENT", ConsumedUnits: 5, Prepaid: model.PrepaidUnits{Enabled: 5}}},
			want: true, title: "VISIOCLIENT is used up (5 of 5 units assigned)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &Input{SKUs: []model.SKUUsage{tt.sku}, Groups: groups, BaseURL: "https://td.example/"}
			got := skuLow(in, map[string]int{"units": tt.units, "percent": tt.pct})
			if (len(got) == 1) != tt.want || len(got) > 1 {
				t.Fatalf("got %+v, want alert %v", got, tt.want)
			}
			if !tt.want {
				return
			}
			m := got[0].Message
			if got[0].Subject != "sku:"+tt.sku.ID || m.Link != "https://td.example/licenses/"+tt.sku.ID {
				t.Errorf("subject %q link %q", got[0].Subject, m.Link)
			}
			if tt.title != "" && m.Title != tt.title {
				t.Errorf("title %q, want %q", m.Title, tt.title)
			}
			var affected string
			for _, f := range m.Facts {
				if f.Name == "Groups affected" {
					affected = f.Value
				}
			}
			if tt.groups != "" && affected != tt.groups {
				t.Errorf("groups affected %q, want %q", affected, tt.groups)
			}
		})
	}
}

func TestGroupErrors(t *testing.T) {
	in := &Input{Groups: []model.GroupReportRow{
		{ID: "g1", DisplayName: "Staff", UserCount: 40, ErrorCount: 12, Licenses: []model.NamedSKU{{Name: "Faculty"}}},
		{ID: "g2", DisplayName: "Students", UserCount: 500, ErrorCount: 0},
		{ID: "g3", DisplayName: "Lab", UserCount: 9, ErrorCount: 1},
	}}
	for _, tt := range []struct {
		min  int
		want []string
	}{{1, []string{"group:g1", "group:g3"}}, {2, []string{"group:g1"}}, {13, nil}} {
		got := groupErrors(in, map[string]int{"errors": tt.min})
		var subjects []string
		for _, c := range got {
			subjects = append(subjects, c.Subject)
		}
		if strings.Join(subjects, ",") != strings.Join(tt.want, ",") {
			t.Errorf("at %d: %v, want %v", tt.min, subjects, tt.want)
		}
	}
	if got := groupErrors(in, map[string]int{"errors": 1}); got[0].Message.Title != "Staff: 12 members in license error" || got[1].Message.Title != "Lab: 1 member in license error" {
		t.Errorf("titles %q, %q", got[0].Message.Title, got[1].Message.Title)
	}
}

func TestSyncFailing(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	run := func(status string) model.SyncRun {
		return model.SyncRun{Status: status, Error: "graph: 401 invalid_client", FinishedAt: t0}
	}
	f, s, c, r := run(model.SyncFailed), run(model.SyncSucceeded), run(model.SyncCancelled), run(model.SyncRunning)
	for _, tt := range []struct {
		name string
		runs []model.SyncRun // newest first
		want bool
	}{
		{"three failed", []model.SyncRun{f, f, f, s}, true},
		{"two failed, then a success", []model.SyncRun{f, f, s, f}, false},
		{"cancelled and running ones between do not break the row", []model.SyncRun{r, f, c, f, f}, true},
		{"the last succeeded", []model.SyncRun{s, f, f, f}, false},
		{"no runs", nil, false},
	} {
		got := syncFailing(&Input{Runs: tt.runs}, map[string]int{"times": 3})
		if (len(got) == 1) != tt.want {
			t.Errorf("%s: %+v", tt.name, got)
		}
		if len(got) == 1 && !strings.Contains(got[0].Message.Summary, "401 invalid_client") {
			t.Errorf("%s: summary %q does not say why", tt.name, got[0].Message.Summary)
		}
	}
}

func TestParseSettings(t *testing.T) {
	r, ok := RuleByName(RuleSKULow)
	if !ok {
		t.Fatal("no sku-low rule")
	}
	s, err := r.ParseSettings(model.AlertRuleSettings{Rule: RuleSKULow, Enabled: true, Settings: `{"units":5}`})
	if err != nil || !s.Enabled || s.Thresholds["units"] != 5 || s.Thresholds["percent"] != 0 {
		t.Fatalf("settings %+v, %v", s, err)
	}
	for _, bad := range []string{`{"units":-1}`, `{"percent":101}`, `{"nope":1}`, `{"units":"5"}`, `[1]`, `{`, `{"units":1e99}`, "\x00"} {
		_, err := r.ParseSettings(model.AlertRuleSettings{Rule: RuleSKULow, Enabled: true, Settings: bad})
		var ie *model.InputError
		if !errors.As(err, &ie) {
			t.Errorf("%q: %v, want an input error", bad, err)
		}
	}
	names := map[string]bool{}
	for _, r := range Rules() {
		if names[r.Name] || r.eval == nil || r.Title == "" {
			t.Errorf("rule %+v: duplicate, untitled or without evaluation", r.Name)
		}
		names[r.Name] = true
		if _, err := r.ParseSettings(model.AlertRuleSettings{Enabled: true}); err != nil {
			t.Errorf("%s defaults: %v", r.Name, err)
		}
	}
}

// Settings another version stored (a threshold renamed, a range narrowed) still evaluate the
// rule: unknown keys left out, values brought into range.
func TestStoredSettings(t *testing.T) {
	r, _ := RuleByName(RuleSKULow)
	s := r.StoredSettings(model.AlertRuleSettings{Rule: RuleSKULow, Enabled: true, Settings: `{"units":5,"percent":400,"renamed":3}`})
	if !s.Enabled || s.Thresholds["units"] != 5 || s.Thresholds["percent"] != 100 || len(s.Thresholds) != 2 {
		t.Errorf("%+v", s)
	}
	if s := r.StoredSettings(model.AlertRuleSettings{Rule: RuleSKULow, Settings: `not json`}); s.Enabled || s.Thresholds["units"] != 0 {
		t.Errorf("unreadable: %+v", s)
	}
}
