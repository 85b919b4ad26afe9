package sspr

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// facts is what the header and body checks found: the checks themselves and what the verdict
// and the audit correlation need from them.
type facts struct {
	checks  []Check
	ignored []IgnoredHeader

	boundary *Hop         // the hop where this tenant's Exchange Online received the message
	trusted  *AuthResults // the Authentication-Results that hop's EOP added
	report   map[string]string
	cip      netip.Addr
	arc      *arcSet // the gateway's ARC set, when a trusted sealer sits in front
	override bool    // EOP's failures are explained by that trusted sealer's results

	from    []Address
	fromRaw string // the domain of From as written (case kept), for messages
	to      []Address
}

func (f *facts) add(c Check) { f.checks = append(f.checks, c) }

// failed reports whether a check with one of ids failed.
func (f *facts) failed(ids ...string) bool {
	for _, c := range f.checks {
		if c.Status == StatusFail && slices.Contains(ids, c.ID) {
			return true
		}
	}
	return false
}

// Check ids.
const (
	checkTrusted   = "trusted-headers"
	checkSPF       = "spf"
	checkDKIM      = "dkim"
	checkDMARC     = "dmarc"
	checkCompauth  = "compauth"
	checkARC       = "arc"
	checkSender    = "sender"
	checkIP        = "connecting-ip"
	checkTenant    = "tenant"
	checkSpam      = "spam"
	checkLinks     = "links"
	checkRecipient = "recipients"
)

// spoofChecks are the checks whose failure means someone other than Microsoft sent the mail.
var spoofChecks = []string{checkSPF, checkDKIM, checkDMARC, checkCompauth, checkARC, checkSender, checkIP, checkTenant, checkSpam}

// fieldRef names a header field for people: its name and its number from the top.
func fieldRef(f Field) string {
	return f.Name + " (field " + strconv.Itoa(f.Index+1) + " from the top)"
}

// trustBoundary finds the first hop "by *.mail.protection.outlook.com" from the top and the
// Authentication-Results just above it, the one this tenant's EOP wrote; every other
// Authentication-Results is listed as ignored with the reason.
func (f *facts) trustBoundary(m *Message) {
	var hops []Hop
	for _, fl := range m.All("Received") {
		hops = append(hops, parseReceived(fl))
	}
	for i := range hops {
		if isEOPHost(hops[i].By) {
			f.boundary = &hops[i]
			break
		}
	}
	ars := m.All("Authentication-Results")
	if f.boundary == nil {
		f.add(Check{ID: checkTrusted, Title: "Trusted Authentication-Results", Status: StatusWarn, Source: "Received",
			Message: "No “Received: … by *.mail.protection.outlook.com” hop in the headers: they do not show this tenant's Exchange Online receiving the message, so no Authentication-Results in them can be trusted. Paste the complete headers (Outlook: File › Properties › Internet headers)."})
		for _, a := range ars {
			f.ignore(a, "no hop of this tenant's Exchange Online to anchor it: any server, or the sender, could have written it")
		}
		return
	}
	b := f.boundary
	for i := len(ars) - 1; i >= 0; i-- {
		if ars[i].Index < b.Field.Index {
			ar := ParseAuthResults(ars[i].Value)
			ar.Field = ars[i]
			f.trusted = &ar
			break
		}
	}
	for _, a := range ars {
		switch {
		case f.trusted != nil && a.Index == f.trusted.Field.Index:
		case a.Index > b.Field.Index:
			f.ignore(a, "below the hop where this tenant's Exchange Online received the message: written before it arrived, by the sending side — an attacker can add a passing one")
		default:
			f.ignore(a, "above Exchange Online's own check: added later in delivery, not by the filter that received the message")
		}
	}
	if f.trusted == nil {
		f.add(Check{ID: checkTrusted, Title: "Trusted Authentication-Results", Status: StatusWarn, Source: fieldRef(b.Field),
			Message: "This tenant's Exchange Online received the message (" + b.By + "), but its Authentication-Results is missing above that hop: the headers seem cut. Paste the complete headers."})
		return
	}
	spf, _ := f.trusted.First("spf")
	sip := spf.senderIP()
	c := Check{ID: checkTrusted, Title: "Trusted Authentication-Results", Status: StatusPass,
		Source: fieldRef(f.trusted.Field) + ", just above " + fieldRef(b.Field), Value: f.trusted.Field.Value}
	hopIP, cip := b.FromIP.String(), f.cip.String()
	switch {
	case sip == "":
		c.Status = StatusWarn
		c.Message = "Used the Authentication-Results just above the hop where this tenant's Exchange Online received the message (" + b.By + "), but it names no sender IP to tie it to that hop."
	case sip == hopIP && (sip == cip || !f.cip.IsValid()):
		c.Message = "Used the Authentication-Results that this tenant's Exchange Online added when it received the message (just above the hop by " + b.By + "): its sender IP " + sip + " is that hop's connecting address" +
			map[bool]string{true: " and the CIP of X-Forefront-Antispam-Report.", false: "."}[f.cip.IsValid()]
	case sip == cip:
		c.Status = StatusWarn
		c.Message = "Used the Authentication-Results just above the hop by " + b.By + ". Its sender IP " + sip + " is the CIP of X-Forefront-Antispam-Report but not the hop's connecting address " + hopIP + " (Enhanced Filtering for Connectors reports the original sender behind a gateway)."
	default:
		c.Status = StatusWarn
		c.Message = fmt.Sprintf("Used the Authentication-Results just above the hop by %s, but its sender IP %s matches neither that hop's connecting address %s nor the CIP %s: the headers may have been edited.", b.By, sip, hopIP, orNone(cip))
	}
	f.add(c)
}

func orNone(s string) string {
	if s == "" || s == "invalid IP" {
		return "(none)"
	}
	return s
}

// ignore lists a field that was not used.
func (f *facts) ignore(fl Field, why string) {
	f.ignored = append(f.ignored, IgnoredHeader{Name: fl.Name, Index: fl.Index + 1, Value: fl.Value, Reason: why})
}

// ignoreInBody lists Authentication-Results lines written in the body (a forwarded header
// block, or bait), which are text, not headers.
func (f *facts) ignoreInBody(m *Message) {
	n := 0
	for line := range strings.Lines(m.Text) {
		t := strings.TrimSpace(line)
		if len(t) > 24 && strings.EqualFold(t[:23], "Authentication-Results:") {
			f.ignored = append(f.ignored, IgnoredHeader{Name: "Authentication-Results", Value: strings.TrimSpace(t[23:]),
				Reason: "in the body of the message: text anyone can write, not a header"})
			if n++; n == 10 {
				return
			}
		}
	}
}

// authChecks judges SPF, DKIM, DMARC and compauth of the trusted Authentication-Results, each
// for exactly microsoftonline.com. A failure is only a warning where DMARC still passed (the
// other method carried it) or where a trusted ARC sealer explains it.
func (f *facts) authChecks() {
	t := f.trusted
	src := fieldRef(t.Field)
	spf, hasSPF := t.First("spf")
	dmarc, hasDMARC := t.First("dmarc")
	dkims := t.All("dkim")
	dmarcOK := hasDMARC && dmarc.Value == "pass" && strings.EqualFold(dmarc.Prop("header.from"), SenderDomain)
	carried := dmarcOK || f.override
	why := "DMARC passed through the other method"
	if f.override {
		why = "a trusted ARC sealer (" + f.arc.sealer + ") recorded a pass before it relayed the message"
	}

	// SPF.
	c := Check{ID: checkSPF, Title: "SPF", Source: src}
	mailfrom := spf.Prop("smtp.mailfrom")
	if i := strings.LastIndexByte(mailfrom, '@'); i >= 0 {
		mailfrom = mailfrom[i+1:]
	}
	switch {
	case !hasSPF:
		c.Status, c.Message = StatusWarn, "EOP recorded no SPF result."
	case spf.Value == "pass" && strings.EqualFold(mailfrom, SenderDomain):
		c.Status, c.Message = StatusPass, "SPF passed: the sending server "+orNone(spf.senderIP())+" may send mail for microsoftonline.com (the envelope sender)."
	case spf.Value == "pass":
		c.Status, c.Message = StatusFail, "SPF passed, but for "+orNone(mailfrom)+", not microsoftonline.com: it proves only that the sender controls that domain."
	case carried:
		c.Status, c.Message = StatusWarn, "SPF "+spf.Value+" for "+orNone(spf.senderIP())+" — expected when a gateway or forwarder relays the mail — but "+why+"."
	default:
		c.Status, c.Message = StatusFail, "SPF "+spf.Value+": "+orNone(spf.senderIP())+" is not allowed to send for "+orNone(mailfrom)+"."
	}
	c.Value = resultText(spf)
	f.add(c)

	// DKIM: the signature of microsoftonline.com, else the first.
	c = Check{ID: checkDKIM, Title: "DKIM", Source: src}
	var dk Result
	for _, d := range dkims {
		if strings.EqualFold(d.Prop("header.d"), SenderDomain) {
			dk = d
			break
		}
	}
	if dk.Method == "" && len(dkims) > 0 {
		dk = dkims[0]
	}
	d := dk.Prop("header.d")
	switch {
	case dk.Method == "":
		c.Status, c.Message = StatusWarn, "EOP recorded no DKIM result."
	case dk.Value == "pass" && strings.EqualFold(d, SenderDomain):
		c.Status, c.Message = StatusPass, "DKIM passed: microsoftonline.com signed the message and it was not changed on the way."
	case dk.Value == "pass":
		c.Status, c.Message = StatusFail, "DKIM passed, but the signature is by "+orNone(d)+", not microsoftonline.com."
	case carried:
		c.Status, c.Message = StatusWarn, "DKIM "+dk.Value+describeComment(dk)+" — expected when a gateway changes the message — but "+why+"."
	default:
		c.Status, c.Message = StatusFail, "DKIM "+dk.Value+describeComment(dk)+": no valid signature of microsoftonline.com."
	}
	c.Value = resultText(dk)
	f.add(c)

	// DMARC.
	c = Check{ID: checkDMARC, Title: "DMARC", Source: src, Value: resultText(dmarc)}
	hf := dmarc.Prop("header.from")
	action := dmarc.Prop("action")
	switch {
	case !hasDMARC:
		c.Status, c.Message = StatusWarn, "EOP recorded no DMARC result."
	case dmarcOK:
		c.Status, c.Message = StatusPass, "DMARC passed for microsoftonline.com, the domain in From."
	case dmarc.Value == "pass" || dmarc.Value == "bestguesspass":
		c.Status, c.Message = StatusFail, "DMARC "+dmarc.Value+" for "+orNone(hf)+", not microsoftonline.com: a lookalike or other domain can pass its own DMARC."
	case f.override:
		c.Status, c.Message = StatusWarn, "DMARC "+dmarc.Value+" at Exchange Online, but "+why+" and Exchange Online accepted it."
	default:
		c.Status, c.Message = StatusFail, "DMARC "+dmarc.Value+" for "+orNone(hf)+dmarcAction(action)+": the From domain's owner did not authorise this message."
	}
	f.add(c)

	// compauth.
	c = Check{ID: checkCompauth, Title: "Composite authentication (compauth)", Source: src}
	ca, ok := t.First("compauth")
	c.Value = resultText(ca)
	reason := ca.Prop("reason")
	switch {
	case !ok:
		c.Status, c.Message = StatusWarn, "EOP recorded no composite authentication result."
	case ca.Value == "pass":
		c.Status, c.Message = StatusPass, "compauth passed: "+compauthReason(reason)+"."
	case ca.Value == "softpass" || ca.Value == "none":
		c.Status, c.Message = StatusWarn, "compauth "+ca.Value+": "+compauthReason(reason)+"."
	default:
		c.Status, c.Message = StatusFail, "compauth "+ca.Value+": "+compauthReason(reason)+"."
	}
	f.add(c)
}

// resultText writes a result back the way EOP does, for the report.
func resultText(r Result) string {
	if r.Method == "" {
		return ""
	}
	s := r.Method + "=" + r.Value
	if r.Comment != "" {
		s += " (" + r.Comment + ")"
	}
	for _, p := range r.Props {
		s += " " + p.Key + "=" + p.Value
	}
	return s
}

func describeComment(r Result) string {
	if r.Comment == "" {
		return ""
	}
	return " (" + r.Comment + ")"
}

func dmarcAction(a string) string {
	switch strings.ToLower(a) {
	case "oreject":
		return ", and the domain's policy says reject (Exchange Online overrode it to junk or quarantine)"
	case "pct.quarantine", "quarantine":
		return ", and the domain's policy says quarantine"
	case "pct.reject", "reject":
		return ", and the domain's policy says reject"
	}
	return ""
}

// compauthReason explains a compauth reason code.
func compauthReason(code string) string {
	n, err := strconv.Atoi(code)
	switch {
	case code == "":
		return "no reason code"
	case err != nil:
		return "reason " + code + " (not a code Microsoft documents)"
	case code == "000":
		return "reason 000, an explicit failure: DMARC failed and the From domain's policy is quarantine or reject"
	case code == "001":
		return "reason 001, an implicit failure: the From domain has no enforcing DMARC policy and Microsoft's own checks failed"
	case code == "002":
		return "reason 002: the organization blocks this sender and domain from spoofing"
	case code == "010":
		return "reason 010: DMARC failed with quarantine or reject on one of this organization's own accepted domains"
	case n == 130:
		return "reason 130: the ARC result of a trusted ARC sealer overrode a DMARC failure"
	case n >= 100 && n < 200, n >= 700 && n < 800:
		return "reason " + code + ", authentication passed"
	case n >= 200 && n < 300:
		return "reason " + code + ", a soft pass of implicit authentication"
	case n >= 300 && n < 400:
		return "reason " + code + ": the message was not checked"
	case n >= 400 && n < 500, n >= 900 && n < 1000:
		return "reason " + code + ": checking was bypassed (an allow entry or a mail flow rule)"
	case n >= 600 && n < 700:
		return "reason " + code + ": implicit authentication failed for one of this organization's own domains (intra-organization spoofing)"
	}
	return "reason " + code + " (not a code Microsoft documents)"
}
