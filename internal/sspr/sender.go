package sspr

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/iprange"
)

// senderCheck is strict sender alignment: the From address, the trusted header.from, the DKIM
// d= and the envelope sender are all exactly microsoftonline.com. A display name proves nothing.
func (f *facts) senderCheck(m *Message) {
	c := Check{ID: checkSender, Title: "Sender", Source: "From"}
	froms := m.All("From")
	switch len(froms) {
	case 0:
		c.Status, c.Message = StatusWarn, "The headers have no From: the sender cannot be checked."
		f.add(c)
		return
	case 1:
	default:
		c.Status, c.Message = StatusFail, "The message has more than one From header: mail clients show one, filters may check another."
		f.add(c)
		return
	}
	c.Source, c.Value = fieldRef(froms[0]), froms[0].Value
	f.from = parseAddresses(froms[0].Value)
	if len(f.from) != 1 {
		c.Status, c.Message = StatusFail, "From holds "+plural(len(f.from), "no readable address", "several addresses")+": Entra ID sends from exactly one, "+SenderAddress+"."
		f.add(c)
		return
	}
	a := f.from[0]
	if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
		f.fromRaw = a.Address[i+1:]
	}
	if a.Domain() != SenderDomain {
		c.Status = StatusFail
		if strings.Contains(strings.ToLower(a.Name), "microsoft") {
			c.Message = "The display name says “" + a.Name + "” but the address is " + a.Address + ": a display name proves nothing, anyone can write it. Its domain " + domainLook(f.fromRaw, SenderDomain) + "."
		} else {
			c.Message = "From is " + a.Address + ": " + domainLook(f.fromRaw, SenderDomain) + ". Entra ID sends these notifications only from " + SenderAddress + "."
		}
		f.add(c)
		return
	}
	// The address is right; the authenticated identities must be the same domain.
	type ident struct{ what, domain string }
	var ids []ident
	trustedSource := f.trusted != nil
	if trustedSource {
		if r, ok := f.trusted.First("dmarc"); ok {
			ids = append(ids, ident{"header.from", r.Prop("header.from")})
		}
		// A failed signature is the DKIM check's finding; alignment compares passing ones —
		// behind a trusted ARC sealer, those it recorded.
		dkims := f.trusted.All("dkim")
		if f.override && f.arc.results != nil {
			dkims = append(dkims, f.arc.results.All("dkim")...)
		}
		for _, r := range dkims {
			if r.Value == "pass" {
				ids = append(ids, ident{"DKIM d=", r.Prop("header.d")})
			}
		}
		if r, ok := f.trusted.First("spf"); ok {
			mf := r.Prop("smtp.mailfrom")
			if i := strings.LastIndexByte(mf, '@'); i >= 0 {
				mf = mf[i+1:]
			}
			ids = append(ids, ident{"smtp.mailfrom", mf})
		}
	} else {
		// Without trusted results only the message's own claims can be compared.
		for _, d := range m.All("DKIM-Signature") {
			ids = append(ids, ident{"DKIM-Signature d=", tagList(d.Value)["d"]})
		}
		if rp, ok := m.Get("Return-Path"); ok {
			if as := parseAddresses(rp.Value); len(as) == 1 {
				ids = append(ids, ident{"Return-Path", as[0].Domain()})
			}
		}
	}
	var wrong []string
	for _, id := range ids {
		if !strings.EqualFold(strings.TrimSuffix(id.domain, "."), SenderDomain) {
			wrong = append(wrong, id.what+" is "+orNone(id.domain)+" ("+domainLook(orNone(id.domain), SenderDomain)+")")
		}
	}
	name := ""
	if a.Name != "" {
		name = " The display name “" + a.Name + "” is the tenant's own name and proves nothing."
	}
	switch {
	case len(wrong) > 0:
		c.Status = StatusFail
		c.Message = "From is " + a.Address + ", but " + strings.Join(wrong, "; ") + ": the authenticated sender is not microsoftonline.com."
	case !trustedSource:
		c.Status = StatusWarn
		c.Message = "From is " + a.Address + " and the message's own DKIM-Signature and Return-Path agree, but without this tenant's Exchange Online results that is only the sender's claim." + name
	case len(ids) < 3:
		c.Status = StatusWarn
		c.Message = "From is " + a.Address + "; Exchange Online's results name microsoftonline.com wherever they name a domain, but not every identity (header.from, DKIM d=, smtp.mailfrom) is recorded." + name
	case !strings.EqualFold(a.Local(), strings.Split(SenderAddress, "@")[0]):
		c.Status = StatusWarn
		c.Message = "From is " + a.Address + " and every authenticated identity is microsoftonline.com, but Entra ID sends password-reset notifications from " + SenderAddress + "." + name
	default:
		c.Status = StatusPass
		c.Message = "From is " + a.Address + "; header.from, the DKIM signature's d= and the envelope sender (smtp.mailfrom) are all exactly microsoftonline.com." + name
	}
	f.add(c)
}

// ipCheck looks the connecting address up in the Microsoft 365 endpoint lists: it must be in
// Exchange Online Protection's published ranges. Behind a trusted ARC sealer the address the
// sealer saw is checked instead of the gateway's own.
func (f *facts) ipCheck(ip iprange.Looker) {
	c := Check{ID: checkIP, Title: "Connecting IP", Source: "X-Forefront-Antispam-Report CIP"}
	addr := f.cip
	if !addr.IsValid() && f.boundary != nil {
		addr, c.Source = f.boundary.FromIP, fieldRef(f.boundary.Field)
	}
	if !addr.IsValid() {
		c.Status, c.Message = StatusWarn, "No connecting address in the headers (no CIP, no address in the receiving hop): it cannot be checked."
		f.add(c)
		return
	}
	c.Value = addr.String()
	if !m365Loaded(ip) {
		c.Status, c.Message = StatusWarn, "The connecting address is "+addr.String()+", but Microsoft's lists of Microsoft 365 addresses are not loaded, so it cannot be checked (an Operator can load them on the IP lookup page)."
		f.add(c)
		return
	}
	eop, where := eopMatch(ip, addr)
	switch {
	case eop:
		c.Status, c.Message = StatusPass, addr.String()+" is in Exchange Online Protection's published ranges ("+where+")."
	case f.override && f.arc.origIP.IsValid():
		orig := f.arc.origIP
		if ok, w := eopMatch(ip, orig); ok {
			c.Status = StatusPass
			c.Message = addr.String() + " is the gateway " + f.arc.sealer + "; the address it saw the message come from, " + orig.String() + ", is in Exchange Online Protection's published ranges (" + w + ")."
		} else {
			c.Status = StatusFail
			c.Message = addr.String() + " is the gateway " + f.arc.sealer + "; the address it saw the message come from, " + orig.String() + ", is not Exchange Online Protection's (" + w + ")."
		}
	case f.override:
		c.Status = StatusWarn
		c.Message = addr.String() + " is the gateway " + f.arc.sealer + " in front of Exchange Online; it did not record where the message came from, so Microsoft's sending address cannot be checked."
	case !addr.IsGlobalUnicast() || addr.IsPrivate():
		c.Status, c.Message = StatusFail, addr.String()+" is not a public address: the message did not come from Microsoft's mail servers over the Internet."
	default:
		c.Status, c.Message = StatusFail, addr.String()+" is not in Exchange Online Protection's published ranges ("+where+"): Microsoft did not send this message."
	}
	f.add(c)
}

// m365Loaded reports whether any Microsoft 365 endpoint list is loaded.
func m365Loaded(ip iprange.Looker) bool {
	return slices.ContainsFunc(ip.Status(), func(s iprange.SourceStatus) bool {
		return s.Kind == iprange.KindM365 && !s.FetchedAt.IsZero()
	})
}

// eopMatch reports whether addr is in an Exchange Online endpoint set for Exchange Online
// Protection (its URLs are *.protection.outlook.com or the national clouds' equivalents) and
// says in words what matched.
func eopMatch(ip iprange.Looker, addr netip.Addr) (bool, string) {
	var other []string
	for _, m := range ip.Lookup(addr) {
		switch {
		case m.M365 != nil && m.M365.ServiceArea == "Exchange" && slices.ContainsFunc(m.M365.URLs, isEOPPattern):
			return true, m.Prefix.String() + ", Microsoft 365 " + m.M365.Instance + " endpoint set " + itoa(m.M365.ID)
		case m.M365 != nil:
			other = append(other, m.M365.ServiceAreaDisplayName+" (Microsoft 365 set "+itoa(m.M365.ID)+")")
		case m.Azure != nil:
			other = append(other, "Azure "+m.Azure.Tag)
		}
	}
	if len(other) == 0 {
		return false, "no Microsoft range at all"
	}
	return false, "it is Microsoft's, but only " + joinFirst(other, 3) + ", where any customer's servers can send from"
}

func isEOPPattern(u string) bool {
	u = strings.ToLower(u)
	return strings.Contains(u, "protection.outlook.com") || strings.Contains(u, "protection.office365.us") ||
		strings.Contains(u, "protection.partner.outlook.cn")
}

func joinFirst(s []string, n int) string {
	s = slices.Compact(s)
	if len(s) > n {
		return strings.Join(s[:n], ", ") + " and more"
	}
	return strings.Join(s, ", ")
}

// tenantCheck compares X-MS-Exchange-CrossTenant-Id, the tenant whose Exchange Online received
// the message, with this tenant's id.
func (f *facts) tenantCheck(m *Message, tenantID string, tenantErr error) {
	c := Check{ID: checkTenant, Title: "Receiving tenant", Source: "X-MS-Exchange-CrossTenant-Id"}
	var ids []string
	for _, fl := range m.All("X-MS-Exchange-CrossTenant-Id") {
		if v := strings.ToLower(strings.TrimSpace(fl.Value)); !slices.Contains(ids, v) {
			ids = append(ids, v)
		}
		c.Source = fieldRef(fl)
	}
	c.Value = strings.Join(ids, ", ")
	switch {
	case len(ids) == 0:
		c.Status, c.Message = StatusWarn, "No X-MS-Exchange-CrossTenant-Id: the headers do not say which tenant received the message."
	case len(ids) > 1 && tenantID != "" && slices.Contains(ids, strings.ToLower(tenantID)):
		c.Status, c.Message = StatusWarn, "X-MS-Exchange-CrossTenant-Id names more than one tenant ("+c.Value+"); one is this tenant, the others were added on the way or by the sender."
	case len(ids) > 1:
		c.Status, c.Message = StatusFail, "X-MS-Exchange-CrossTenant-Id names more than one tenant ("+c.Value+"), none of them this one: someone added them, or another tenant received the message."
	case tenantID == "":
		msg := "The message was received by tenant " + ids[0] + ", but this tenant's id is not known"
		if tenantErr != nil {
			msg += " (" + tenantErr.Error() + ")"
		}
		c.Status, c.Message = StatusWarn, msg+"."
	case ids[0] == strings.ToLower(tenantID):
		c.Status, c.Message = StatusPass, "Received by this tenant's Exchange Online ("+ids[0]+")."
	default:
		c.Status, c.Message = StatusFail, "Received by another tenant ("+ids[0]+"), not this one ("+strings.ToLower(tenantID)+"): these headers say nothing about how a message reached this tenant's admins."
	}
	f.add(c)
}

// spamCheck puts EOP's spam verdict (SFV, SCL, CAT, BCL) in words.
func (f *facts) spamCheck(m *Message) {
	c := Check{ID: checkSpam, Title: "Spam filter verdict", Source: "X-Forefront-Antispam-Report"}
	reports := m.All("X-Forefront-Antispam-Report")
	if len(reports) == 0 {
		c.Status, c.Message = StatusWarn, "No X-Forefront-Antispam-Report: the message did not pass this tenant's spam filter, or the headers were cut."
		f.add(c)
		return
	}
	r := f.report
	c.Source, c.Value = fieldRef(reports[0]), reports[0].Value
	bcl := ""
	if ms, ok := m.Get("X-Microsoft-Antispam"); ok {
		bcl = parseReport(ms.Value)["BCL"]
	}
	sfv, scl, cat := strings.ToUpper(r["SFV"]), r["SCL"], strings.ToUpper(r["CAT"])
	parts := []string{}
	if sfv != "" {
		parts = append(parts, "verdict "+sfv+" ("+wordsOr(sfvWords, sfv)+")")
	}
	if scl != "" {
		parts = append(parts, "spam confidence level "+sclWords(scl))
	}
	if cat != "" {
		parts = append(parts, "category "+cat+" ("+wordsOr(catWords, cat)+")")
	}
	if bcl != "" {
		parts = append(parts, "bulk complaint level "+bclWords(bcl))
	}
	words := "Exchange Online's spam filter: " + strings.Join(parts, "; ") + "."
	if len(parts) == 0 {
		words = "X-Forefront-Antispam-Report has no SFV, SCL or CAT."
	}
	sclN := atoiOr(scl, 0)
	switch {
	case threatCategories[cat]:
		c.Status = StatusFail
	case len(reports) > 1:
		c.Status = StatusWarn
		words += " There is more than one X-Forefront-Antispam-Report; the first was read."
	case sfv == "SPM" || sfv == "SKS" || sfv == "SKB" || sfv == "BLK" || cat == "SPM" || cat == "HSPM" || cat == "BULK" || sclN >= 5 || atoiOr(bcl, 0) >= 7:
		c.Status = StatusWarn
	case len(parts) == 0:
		c.Status = StatusWarn
	default:
		c.Status = StatusPass
	}
	c.Message = words
	f.add(c)
}

// linkCheck: a genuine notification links only to Microsoft (Safe Links wrappers are unwrapped).
func (f *facts) linkCheck(m *Message) {
	c := Check{ID: checkLinks, Title: "Links", Source: "body"}
	if !m.HasBody() {
		c.Status, c.Message = StatusWarn, "No body: its links were not checked."
		f.add(c)
		return
	}
	var bad, good []string
	for _, l := range m.Links {
		host := l.Host
		if t, ok := safeLinksTarget(l.URL); ok {
			if nl := appendLink(nil, t, ""); len(nl) == 1 {
				host = nl[0].Host
			}
		}
		if isMicrosoftLinkHost(host) {
			good = appendUniq(good, host)
			continue
		}
		desc := unicodeHost(host)
		for d := range microsoftLinkDomains {
			if skeleton(registered(host)) == skeleton(d) {
				desc += " (only looks like " + d + ")"
				break
			}
		}
		if l.Text != "" && strings.Contains(strings.ToLower(l.Text), "microsoft") {
			desc += " behind the text “" + l.Text + "”"
		}
		bad = appendUniq(bad, desc)
	}
	switch {
	case len(bad) > 0:
		c.Status, c.Message = StatusFail, "The body links to "+joinFirst(bad, 5)+", not Microsoft: a genuine notification links only to Microsoft. Do not open these links."
	case len(good) == 0:
		c.Status, c.Message = StatusPass, "The body has no links."
	default:
		c.Status, c.Message = StatusPass, "Every link goes to Microsoft ("+joinFirst(good, 5)+")."
	}
	f.add(c)
}

func appendUniq(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func itoa(n int) string { return strconv.Itoa(n) }

// atoiOr is s as a number, def when it is none.
func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return def
	}
	return n
}
