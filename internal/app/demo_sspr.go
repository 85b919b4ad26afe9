package app

import (
	"slices"

	"github.com/tenantdesk/tenantdesk/internal/sspr"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// demoSampleFlows is how many of the simulated tenant's contact-administrator flows the
// verifier's page offers samples of (the most recent ones).
const demoSampleFlows = 3

// demoSamples offers the simulated tenant's notification mails on the verifier's page: for
// each of its recent contact-administrator flows, the genuine mail and its spoof variants.
type demoSamples struct{ t *tenantsim.Tenant }

var demoVariants = []sspr.SampleVariant{
	{Key: "genuine", Label: "Genuine", Description: "The notification Entra ID sent for this flow."},
	{Key: "no-audit", Label: "Nobody asked", Description: "Microsoft's genuine sender, but naming a user who ran no password reset (as 2026 spam does)."},
	{Key: "spoofed-lookalike", Label: "Lookalike sender", Description: "Sent from microsoftonIine.com (a capital I), a domain that passes its own SPF, DKIM and DMARC."},
	{Key: "spoofed-injected-authres", Label: "Forged headers", Description: "Exchange Online's own checks fail; a passing Authentication-Results was forged below them."},
}

// SSPRSamples lists the most recent contact-administrator flows, newest first.
func (d demoSamples) SSPRSamples() []sspr.Sample {
	var out []sspr.Sample
	flows := d.t.SSPRFlows()
	for _, f := range slices.Backward(flows) {
		if f.Outcome != "contacted-admin" {
			continue
		}
		u, _ := d.t.LookupUser(f.UserID)
		out = append(out, sspr.Sample{ID: f.CorrelationID, User: u.DisplayName, At: f.Ended, Variants: demoVariants})
		if len(out) == demoSampleFlows {
			break
		}
	}
	return out
}

// SSPRSample renders one sample mail.
func (d demoSamples) SSPRSample(id, variant string) ([]byte, error) {
	return d.t.RenderSSPREmail(id, variant)
}
