package alerts

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/health"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// maxNamedGroups is how many groups a notification names (a message has a size limit: Teams
// about 28 KB); the link shows them all.
const maxNamedGroups = 10

// Rule names.
const (
	RuleSKULow      = "sku-low"
	RuleGroupErrors = "group-errors"
	RuleSyncFailing = "sync-failing"
)

// Threshold is one number a rule is set with.
type Threshold struct {
	Key      string
	Label    string // what it means, for the settings form
	Default  int
	Min, Max int
}

// Rule is one kind of alert: what it watches, its thresholds and how it finds the conditions
// that hold in what a refresh read.
type Rule struct {
	Name        string
	Title       string
	Description string
	Thresholds  []Threshold
	// Snapshot says the rule reads the current snapshot (so it is not evaluated without one).
	Snapshot bool
	// Health says the rule reads the license health report (not evaluated without one).
	Health bool
	// Off says the rule is off until switched on.
	Off  bool
	eval func(in *Input, th map[string]int) []model.AlertCondition
	// usable, if set, says whether the data the rule reads could be read this time.
	usable func(in *Input) bool
}

// Input is what the rules read at one evaluation.
type Input struct {
	SKUs   []model.SKUUsage
	Groups []model.GroupReportRow
	// Runs are the latest sync runs, newest first.
	Runs []model.SyncRun
	// Health is the license health report (nil when no health rule is on or it could not be made).
	Health *health.Report
	// Causes are the users in error grouped by cause (nil when not read); UserNames names them.
	Causes    []SourcedCause
	UserNames map[string]string
	// Now is the time of the evaluation.
	Now time.Time
	// BaseURL is the dashboard's public address ("" gives links without a host).
	BaseURL string
}

func (in *Input) link(path string) string { return joinURL(in.BaseURL, path) }

// Settings are a rule's on/off and thresholds in force.
type Settings struct {
	Enabled    bool
	Thresholds map[string]int
}

// Rules are every rule, in the order /alerts lists them.
func Rules() []Rule {
	return append([]Rule{
		{
			Name: RuleSKULow, Title: "License running out",
			Description: "A SKU whose available units fall to a number or below a share of those bought: group-based licensing fails for every new member (CountViolation).",
			Thresholds: []Threshold{
				{Key: "units", Label: "Alert at or below this many available units", Default: 0, Min: 0, Max: 1_000_000},
				{Key: "percent", Label: "…or when fewer than this percent of the units are available (0: off)", Default: 0, Min: 0, Max: 100},
			},
			Snapshot: true, eval: skuLow,
		},
		{
			Name: RuleGroupErrors, Title: "Group gaining license errors",
			Description: "A licensing group whose members in license error reach a number, told again (before the reminder) each time it gains more.",
			Thresholds: []Threshold{
				{Key: "errors", Label: "Alert at this many members in error", Default: 1, Min: 1, Max: 1_000_000},
				{Key: "more", Label: "Tell again when this many more are in error since last told (0: only at the reminder)", Default: 10, Min: 0, Max: 1_000_000},
			},
			Snapshot: true, eval: groupErrors,
		},
		{
			Name: RuleSyncFailing, Title: "Refresh failing",
			Description: "Reading the tenant failed this many times in a row: what the dashboard shows is getting old.",
			Thresholds:  []Threshold{{Key: "times", Label: "Alert after this many failed refreshes in a row", Default: 3, Min: 1, Max: 100}},
			eval:        syncFailing,
		},
	}, append([]Rule{causeRule()}, healthRules()...)...)
}

// RuleByName is the rule called name.
func RuleByName(name string) (Rule, bool) {
	rules := Rules()
	i := slices.IndexFunc(rules, func(r Rule) bool { return r.Name == name })
	if i < 0 {
		return Rule{}, false
	}
	return rules[i], true
}

// Defaults are the rule's settings when none are stored: on (unless Off), every threshold at
// its default.
func (r Rule) Defaults() Settings {
	s := Settings{Enabled: !r.Off, Thresholds: map[string]int{}}
	for _, t := range r.Thresholds {
		s.Thresholds[t.Key] = t.Default
	}
	return s
}

// ParseSettings reads stored settings over the defaults; an unknown key or a value out of range
// is an *model.InputError naming it.
func (r Rule) ParseSettings(stored model.AlertRuleSettings) (Settings, error) {
	s := r.Defaults()
	s.Enabled = stored.Enabled
	if stored.Settings == "" {
		return s, nil
	}
	var raw map[string]int
	if err := json.Unmarshal([]byte(stored.Settings), &raw); err != nil {
		return s, &model.InputError{Message: fmt.Sprintf("The settings of rule %s cannot be read: %v", r.Name, err)}
	}
	return s, r.setThresholds(&s, raw)
}

// StoredSettings are the settings in force for stored ones that ParseSettings refuses (written
// by another version: a threshold renamed, a range narrowed): unknown thresholds left out,
// values brought into range, the rest as stored. A rule is never left unevaluated for it.
func (r Rule) StoredSettings(stored model.AlertRuleSettings) Settings {
	s, err := r.ParseSettings(stored)
	if err == nil {
		return s
	}
	s = r.Defaults()
	s.Enabled = stored.Enabled
	var raw map[string]int
	if json.Unmarshal([]byte(stored.Settings), &raw) != nil {
		return s
	}
	for _, t := range r.Thresholds {
		if v, ok := raw[t.Key]; ok {
			s.Thresholds[t.Key] = min(max(v, t.Min), t.Max)
		}
	}
	return s
}

func (r Rule) setThresholds(s *Settings, raw map[string]int) error {
	var problems []string
	for k, v := range raw {
		i := slices.IndexFunc(r.Thresholds, func(t Threshold) bool { return t.Key == k })
		if i < 0 {
			problems = append(problems, fmt.Sprintf("%s has no threshold %q", r.Title, k))
			continue
		}
		t := r.Thresholds[i]
		if v < t.Min || v > t.Max {
			problems = append(problems, fmt.Sprintf("%s: %q must be between %d and %d", r.Title, t.Label, t.Min, t.Max))
			continue
		}
		s.Thresholds[k] = v
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return &model.InputError{Message: "These thresholds cannot be used:", Problems: problems}
	}
	return nil
}

// skuLow: a SKU with units bought whose available units are at or below "units", or below
// "percent" of the units bought. The groups whose template assigns it are named: their new
// members get none of it.
func skuLow(in *Input, th map[string]int) []model.AlertCondition {
	var out []model.AlertCondition
	for _, s := range in.SKUs {
		if s.Prepaid.Enabled <= 0 && (s.ConsumedUnits == 0 || s.Prepaid.Suspended+s.Prepaid.Warning+s.Prepaid.LockedOut > 0) {
			// Nothing bought and nothing held: a SKU that ended. Only units in grace, suspended
			// or locked out: a subscription ending, which subscription-ending tells.
			continue
		}
		avail := s.Available()
		low := avail <= th["units"]
		if p := th["percent"]; p > 0 && s.Prepaid.Enabled > 0 && avail*100 < p*s.Prepaid.Enabled {
			low = true
		}
		if !low {
			continue
		}
		name := s.Name
		if name == "" {
			name = s.PartNumber
		}
		var groups []string
		for _, g := range in.Groups {
			if slices.ContainsFunc(g.Licenses, func(l model.NamedSKU) bool { return model.NormalizeID(l.ID) == model.NormalizeID(s.ID) }) {
				groups = append(groups, groupWithErrors(g))
			}
		}
		title := fmt.Sprintf("%s: %d of %d units available", name, avail, s.Prepaid.Enabled)
		if avail == 0 {
			title = fmt.Sprintf("%s is used up (%d of %d units assigned)", name, s.ConsumedUnits, s.Prepaid.Enabled)
		}
		summary := fmt.Sprintf("%s has %d units available of %d bought.", name, avail, s.Prepaid.Enabled)
		if len(groups) > 0 {
			summary += fmt.Sprintf(" %d groups assign it; new members of these get no %s (CountViolation), and a group's other licenses fail with it.", len(groups), name)
		}
		facts := []model.Fact{
			{Name: "License", Value: name},
			{Name: "Available", Value: fmt.Sprint(avail)},
			{Name: "Bought", Value: fmt.Sprint(s.Prepaid.Enabled)},
			{Name: "Assigned", Value: fmt.Sprint(s.ConsumedUnits)},
		}
		if len(groups) > 0 {
			named := groups[:min(len(groups), maxNamedGroups)]
			if more := len(groups) - len(named); more > 0 {
				named = append(slices.Clip(named), fmt.Sprintf("and %d more", more))
			}
			facts = append(facts, model.Fact{Name: "Groups affected", Value: strings.Join(named, "; ")})
		}
		out = append(out, model.AlertCondition{Rule: RuleSKULow, Subject: "sku:" + model.NormalizeID(s.ID), Message: model.AlertMessage{
			Title: title, Summary: summary, Facts: facts,
			Fix:  "Buy more units of " + name + " or remove it from users who do not need it, then reprocess the groups in error.",
			Link: in.link("/licenses/" + url.PathEscape(model.NormalizeID(s.ID))),
		}})
	}
	return out
}

func groupWithErrors(g model.GroupReportRow) string {
	if g.ErrorCount == 0 {
		return g.DisplayName
	}
	return fmt.Sprintf("%s (%d in error)", g.DisplayName, g.ErrorCount)
}

// groupErrors: a licensing group with at least "errors" members in license error.
func groupErrors(in *Input, th map[string]int) []model.AlertCondition {
	var out []model.AlertCondition
	for _, g := range in.Groups {
		if g.ErrorCount < th["errors"] {
			continue
		}
		var lic []string
		for _, l := range g.Licenses {
			lic = append(lic, l.Name)
		}
		out = append(out, model.AlertCondition{Rule: RuleGroupErrors, Subject: "group:" + model.NormalizeID(g.ID), Level: g.ErrorCount, Again: th["more"], Message: model.AlertMessage{
			Title:   fmt.Sprintf("%s: %s in license error", g.DisplayName, count(g.ErrorCount, "member", "members")),
			Summary: fmt.Sprintf("%d of the %d user members of %s did not get their licenses from it.", g.ErrorCount, g.UserCount, g.DisplayName),
			Facts: []model.Fact{
				{Name: "Group", Value: g.DisplayName},
				{Name: "Members in error", Value: fmt.Sprint(g.ErrorCount)},
				{Name: "Licenses of the group", Value: strings.Join(lic, ", ")},
			},
			Fix:  "Open the group to see each member's cause and fix it; then reprocess the members in error.",
			Link: in.link("/groups/" + url.PathEscape(g.ID)),
		}})
	}
	return out
}

// syncFailing: the latest "times" finished refreshes all failed.
func syncFailing(in *Input, th map[string]int) []model.AlertCondition {
	n := th["times"]
	var failed []model.SyncRun
	for _, r := range in.Runs {
		if r.Status == model.SyncRunning || r.Status == model.SyncCancelled {
			continue
		}
		if r.Status != model.SyncFailed {
			break
		}
		failed = append(failed, r)
	}
	if len(failed) < n || n <= 0 {
		return nil
	}
	last := failed[0]
	return []model.AlertCondition{{Rule: RuleSyncFailing, Subject: "sync", Message: model.AlertMessage{
		Title:   fmt.Sprintf("Refresh failed %d times in a row", len(failed)),
		Summary: "The last refresh failed: " + last.Error,
		Facts: []model.Fact{
			{Name: "Failed in a row", Value: fmt.Sprint(len(failed))},
			{Name: "Last failure", Value: last.FinishedAt.UTC().Format("2006-01-02 15:04 UTC")},
		},
		Fix:  "Check the app registration's secret or certificate and its permissions, and the network to Microsoft Graph.",
		Link: in.link("/"), // the overview shows the last refresh and why it failed
	}}}
}
