package server

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/templates"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// The template in an address: one value per license, "<sku id>" or "<sku id>:<plan id>,<plan id>"
// with the plans that are off, e.g. lic=06ebc4ee-...:4828c8ec-...,c4801e8a-... — short enough to
// bookmark and to read. The editor's form (a checkbox per license and per enabled plan) is
// turned into this once, by a redirect.

// Bounds of a template taken from outside.
const (
	maxTemplateLicenses = 64  // a tenant has a few dozen subscriptions
	maxDisabledPlans    = 256 // E5 has about a hundred plans
)

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isGUID(s string) bool { return guidPattern.MatchString(s) }

// encodeTemplate writes a template as lic values (canonical order).
func encodeTemplate(tpl []model.AssignedLicense) []string {
	out := make([]string, 0, len(tpl))
	for _, l := range tpl {
		v := model.NormalizeID(l.SKUID)
		if len(l.DisabledPlans) > 0 {
			v += ":" + strings.Join(l.DisabledPlans, ",")
		}
		out = append(out, v)
	}
	return out
}

// parseTemplate reads the lic values of an address or form: GUIDs only, each license once,
// within the bounds. field names the form field for the problem.
func parseTemplate(values []string, field string) ([]model.AssignedLicense, error) {
	if len(values) > maxTemplateLicenses {
		return nil, &model.InputError{Message: "A template of more than 64 licenses cannot be right.", Field: field}
	}
	var out []model.AssignedLicense
	for _, v := range values {
		sku, plans, _ := strings.Cut(strings.TrimSpace(v), ":")
		if !isGUID(sku) {
			return nil, &model.InputError{Message: "“" + text.Clip(v, 60) + "” is not a license id (a GUID, optionally followed by :plan,plan).", Field: field}
		}
		l := model.AssignedLicense{SKUID: model.NormalizeID(sku)}
		if slices.ContainsFunc(out, func(o model.AssignedLicense) bool { return o.SKUID == l.SKUID }) {
			return nil, &model.InputError{Message: "License " + l.SKUID + " is given twice.", Field: field}
		}
		if plans != "" {
			ps := strings.Split(plans, ",")
			if len(ps) > maxDisabledPlans {
				return nil, &model.InputError{Message: "Too many disabled plans for license " + l.SKUID + ".", Field: field}
			}
			for _, p := range ps {
				if p = strings.TrimSpace(p); !isGUID(p) {
					return nil, &model.InputError{Message: "“" + text.Clip(p, 60) + "” is not a service plan id.", Field: field}
				}
				l.DisabledPlans = append(l.DisabledPlans, model.NormalizeID(p))
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// parseEditorForm turns the editor's checkboxes into a template: sku=<id> for each license
// ticked, on-<sku id>=<plan id> for each of its plans that stays enabled; the plans of a ticked
// license that are not ticked are the disabled ones.
func parseEditorForm(form url.Values, skus []templates.SKUOption) ([]model.AssignedLicense, error) {
	picked := form["sku"]
	if len(picked) > maxTemplateLicenses {
		return nil, &model.InputError{Message: "Too many licenses ticked.", Field: "sku"}
	}
	var out []model.AssignedLicense
	for _, id := range picked {
		id = model.NormalizeID(id)
		i := slices.IndexFunc(skus, func(o templates.SKUOption) bool { return o.SKU.ID == id })
		if !isGUID(id) || i < 0 {
			return nil, &model.InputError{Message: "“" + text.Clip(id, 60) + "” is not a license of the tenant.", Field: "sku"}
		}
		on := form["on-"+id]
		l := model.AssignedLicense{SKUID: id}
		for _, p := range skus[i].Plans {
			if !slices.ContainsFunc(on, func(v string) bool { return model.SameID(v, p.Plan.ID) }) {
				l.DisabledPlans = append(l.DisabledPlans, model.NormalizeID(p.Plan.ID))
			}
		}
		out = append(out, l)
	}
	return out, nil
}
