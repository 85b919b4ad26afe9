package sspr

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// arcSet is one ARC instance: who sealed it and the results it recorded.
type arcSet struct {
	instance int
	sealer   string // d= of ARC-Seal, lower case
	seal     Field
	results  *AuthResults
	origIP   netip.Addr // the address the sealer saw the message come from, when it says
}

// microsoftSealer seals ARC sets on Microsoft's own servers (outbound and inbound).
const microsoftSealer = "microsoft.com"

// tagList reads a DKIM-style tag list ("i=1; a=rsa-sha256; d=example.com; ...").
func tagList(v string) map[string]string {
	out := map[string]string{}
	for part := range strings.SplitSeq(v, ";") {
		k, val, ok := strings.Cut(part, "=")
		if !ok || len(out) >= 32 {
			continue
		}
		out[strings.ToLower(strings.TrimSpace(k))] = strings.Join(strings.Fields(val), "")
	}
	return out
}

// arcSets reads the ARC sets of the message, each ARC-Seal with the ARC-Authentication-Results
// of its instance.
func arcSets(m *Message) []arcSet {
	var sets []arcSet
	for _, s := range m.All("ARC-Seal") {
		tags := tagList(s.Value)
		i, err := strconv.Atoi(tags["i"])
		if err != nil || len(sets) >= 50 {
			continue
		}
		sets = append(sets, arcSet{instance: i, sealer: strings.ToLower(tags["d"]), seal: s})
	}
	for _, f := range m.All("ARC-Authentication-Results") {
		ar := ParseAuthResults(f.Value)
		ar.Field = f
		for k := range sets {
			if sets[k].instance == ar.Instance && sets[k].results == nil {
				sets[k].results = &ar
				sets[k].origIP = resultsIP(ar)
				break
			}
		}
	}
	return sets
}

// resultsIP is the sending address a results field records: EOP's "(sender IP is X)" comment,
// or an smtp.remote-ip / client-ip property.
func resultsIP(ar AuthResults) netip.Addr {
	for _, r := range ar.Results {
		for _, s := range []string{r.senderIP(), designatedIP(r.Comment), r.Prop("smtp.remote-ip"), r.Prop("smtp.client-ip"), r.Prop("client-ip")} {
			if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
				return a.Unmap()
			}
		}
	}
	return netip.Addr{}
}

// designatedIP is X in an SPF comment "... designates X as permitted sender" (the form most
// receivers but EOP write).
func designatedIP(comment string) string {
	_, rest, ok := strings.Cut(strings.ToLower(comment), "designates ")
	if !ok {
		return ""
	}
	ip, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	return ip
}

// arcCheck explains the ARC headers: none, Microsoft's own seals, or a gateway or forwarder in
// front of Exchange Online. A gateway's recorded result counts only when its sealer is trusted
// (TENANTDESK_SSPR_TRUSTED_ARC_SEALERS, or Exchange Online itself said so with compauth reason
// 130) and the hop into Exchange Online came from it or Exchange Online validated the seal.
func (f *facts) arcCheck(m *Message, trustedSealers []string) {
	sets := arcSets(m)
	c := Check{ID: checkARC, Title: "ARC (gateways and forwarders)", Source: "ARC-Seal, ARC-Authentication-Results"}
	var gw *arcSet
	for k := range sets {
		s := &sets[k]
		if s.sealer == microsoftSealer || (f.boundary != nil && s.seal.Index < f.boundary.Field.Index) {
			continue // Microsoft's own, or sealed by this tenant's Exchange Online after receipt
		}
		if gw == nil || s.instance > gw.instance {
			gw = s
		}
	}
	switch {
	case len(sets) == 0:
		c.Status, c.Source = StatusPass, "no ARC headers"
		c.Message = "No ARC headers: no gateway or forwarder sealed the message on its way, so Exchange Online's own checks stand."
		f.add(c)
		return
	case gw == nil:
		c.Status = StatusPass
		c.Message = "Sealed only by Microsoft (microsoft.com): the message went from Microsoft's servers to this tenant's Exchange Online with no gateway or forwarder in between."
		f.add(c)
		return
	}
	c.Source = fieldRef(gw.seal)
	reason130 := false
	if f.trusted != nil {
		if ca, ok := f.trusted.First("compauth"); ok && ca.Value == "pass" && ca.Prop("reason") == "130" {
			reason130 = true
		}
	}
	configured := slices.ContainsFunc(trustedSealers, func(s string) bool {
		return registered(strings.TrimSpace(s)) == registered(gw.sealer)
	})
	fromSealer := f.boundary != nil && registered(f.boundary.From) == registered(gw.sealer)
	name := orNone(gw.sealer)
	recorded := "recorded nothing readable"
	passed := false
	if gw.results != nil {
		c.Value = gw.results.Field.Value
		recorded = "recorded " + arcSummary(*gw.results)
		passed = arcPassed(*gw.results)
	}
	switch {
	case !(configured || reason130):
		c.Status = StatusWarn
		c.Message = "An ARC set sealed by " + name + " (instance " + strconv.Itoa(gw.instance) + ") " + recorded +
			", but " + name + " is not a trusted ARC sealer (neither in TENANTDESK_SSPR_TRUSTED_ARC_SEALERS nor used by Exchange Online: no compauth reason 130), so it was ignored: anyone can write ARC headers."
	case !reason130 && !fromSealer:
		c.Status = StatusWarn
		c.Message = "An ARC set claims the trusted sealer " + name + ", but the hop into Exchange Online came from " + orNone(f.boundary.From) +
			", not from " + name + ", and Exchange Online did not use it (no compauth reason 130): ignored."
	case !passed:
		c.Status = StatusFail
		c.Message = "The message came through " + name + ", a trusted ARC sealer, which " + recorded + ": it did not see microsoftonline.com pass when the message reached it."
		f.arc = gw
	default:
		c.Status = StatusPass
		how := "Exchange Online validated the seal and used it (compauth reason 130)"
		if !reason130 {
			how = "the hop into Exchange Online came from " + f.boundary.From + "; tenantdesk cannot check the seal's signature itself, Exchange Online did not use it"
		}
		c.Message = "A gateway or forwarder, " + name + " (a trusted ARC sealer), sits in front of Exchange Online; it " + recorded +
			" when the message reached it, so failures Exchange Online saw after it are explained (" + how + ")."
		f.arc = gw
		f.override = true
	}
	f.add(c)
}

// arcSummary lists the spf, dkim and dmarc results of an ARC-Authentication-Results.
func arcSummary(ar AuthResults) string {
	var parts []string
	for _, m := range []string{"spf", "dkim", "dmarc"} {
		r, ok := ar.First(m)
		if !ok {
			continue
		}
		d := r.Prop("smtp.mailfrom") + r.Prop("header.d") + r.Prop("header.from")
		if i := strings.LastIndexByte(d, '@'); i >= 0 {
			d = d[i+1:]
		}
		parts = append(parts, m+"="+r.Value+" for "+orNone(d))
	}
	if len(parts) == 0 {
		return "no spf, dkim or dmarc result"
	}
	return strings.Join(parts, ", ")
}

// arcPassed reports whether a sealer saw microsoftonline.com pass DMARC (SPF or DKIM aligned).
func arcPassed(ar AuthResults) bool {
	r, ok := ar.First("dmarc")
	return ok && r.Value == "pass" && strings.EqualFold(r.Prop("header.from"), SenderDomain)
}
