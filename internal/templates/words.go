package templates

import (
	"slices"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Words are a preview's consequence in sentences, the same for the pages and the command line.
type Words struct {
	// Units says, per license, the units the change takes and what is available; a license the
	// template keeps is named only when it is still short.
	Units []string
	// Findings are what goes wrong for members (conflicts, prerequisites, usage locations, ...);
	// a shortfall is left to Units, which give its numbers.
	Findings []string
	// TemplateProblems are what Microsoft refuses in the template itself.
	TemplateProblems []string
}

// Words puts the preview's consequence into sentences.
func (p Preview) Words() Words {
	var w Words
	c, n := p.Consequence, p.Names
	in := func(tpl []model.AssignedLicense, sku string) bool {
		return slices.ContainsFunc(tpl, func(l model.AssignedLicense) bool { return l.SKUID == sku })
	}
	for _, u := range c.Units {
		kept := in(p.Proposed, u.SKUID) && in(p.Current, u.SKUID)
		if s := n.UnitsSentence(u, in(p.Proposed, u.SKUID) && !kept, kept); s != "" {
			w.Units = append(w.Units, s)
		}
	}
	for _, f := range c.Findings {
		if f.Code != model.ErrorCountViolation {
			w.Findings = append(w.Findings, n.FindingSentence(f, p.GroupName))
		}
	}
	for _, m := range c.MissingInTemplate {
		w.TemplateProblems = append(w.TemplateProblems, n.TemplatePrereqSentence(m))
	}
	for _, id := range c.Unsubscribed {
		w.TemplateProblems = append(w.TemplateProblems, "The tenant has no subscription "+id+": Microsoft refuses the change.")
	}
	return w
}
