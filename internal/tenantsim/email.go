package tenantsim

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"html"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// RenderSSPREmail renders the RFC 5322 notification mail that the tenant's admins receive when
// a user picks "contact an administrator" during self-service password reset, as it arrives in
// an Exchange Online mailbox of the tenant (CRLF line ends, Received hops top to bottom, the
// Authentication-Results that this tenant's EOP stamped just above its Received-SPF and the
// first "Received: ... by *.mail.protection.outlook.com" hop).
//
// correlationID must name a flow of SSPRFlows whose outcome is "contacted-admin". Variants:
//
//   - "genuine": what Entra ID sends: From "Microsoft on behalf of <tenant>"
//     <msonlineservicesteam@microsoftonline.com>, from a Microsoft outbound IP (40.93.x.x),
//     SPF, DKIM, DMARC and compauth passing for microsoftonline.com, the flow's user named in
//     the body, dated shortly after the flow.
//   - "spoofed-lookalike": the same text from msonlineservicesteam@microsoftonIine.com (capital
//     I for l), a domain the attacker owns and that passes its own SPF/DKIM/DMARC, sent from a
//     hosting IP; the body adds a link to the lookalike domain.
//   - "spoofed-injected-authres": From the genuine address, but EOP's own
//     Authentication-Results fails (spf=fail, dkim=none, dmarc=fail, compauth=fail reason=000)
//     and the attacker put a passing Authentication-Results, a fake protection.outlook.com hop
//     and a fake DKIM-Signature below it, where only a careless parser looks.
//   - "no-audit": genuine headers (sent through the genuine address, as 2026 spam is), naming a
//     user of the tenant who ran no password reset flow at all; dated like the flow it was
//     rendered from, so the audit log has nothing to match.
//
// An unknown variant, an unknown correlation id or a flow that did not contact an admin is an
// error. The same tenant, id and variant always render the same bytes.
func (t *Tenant) RenderSSPREmail(correlationID, variant string) ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	switch variant {
	case "genuine", "spoofed-lookalike", "spoofed-injected-authres", "no-audit":
	default:
		return nil, fmt.Errorf("tenantsim: unknown SSPR mail variant %q", variant)
	}
	f, ok := t.ssprFlow(correlationID)
	if !ok {
		return nil, fmt.Errorf("tenantsim: no self-service password reset flow with correlation id %q", correlationID)
	}
	if f.Outcome != outcomeContacted {
		return nil, fmt.Errorf("tenantsim: flow %s ended %q, not in contacting an administrator", correlationID, f.Outcome)
	}
	u := t.userByID[f.UserID]
	if variant == "no-audit" {
		var err error
		if u, err = t.userWithoutFlow(correlationID); err != nil {
			return nil, err
		}
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%s|%s", t.cfg.Seed, correlationID, variant)
	r := rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
	m := mailRenderer{t: t, r: r, variant: variant, user: u, date: f.Ended.Add(time.Duration(15+r.IntN(40)) * time.Second).UTC()}
	return m.render(), nil
}

// userWithoutFlow picks, deterministically, an enabled member who never ran a flow.
func (t *Tenant) userWithoutFlow(seed string) (*User, error) {
	ran := make(map[string]bool, len(t.sspr))
	for _, f := range t.sspr {
		ran[f.UserID] = true
	}
	h := fnv.New32a()
	h.Write([]byte(seed))
	start := int(h.Sum32() % uint32(len(t.users)))
	for i := range t.users {
		u := t.users[(start+i)%len(t.users)]
		if !ran[u.ID] && u.AccountEnabled && u.UserType == "Member" && u.GivenName != "" {
			return u, nil
		}
	}
	return nil, errors.New("tenantsim: every user ran a password reset flow")
}

type mailRenderer struct {
	t       *Tenant
	r       *rand.Rand
	variant string
	user    *User
	date    time.Time
	buf     bytes.Buffer
}

func (m *mailRenderer) header(name, value string) {
	m.buf.WriteString(name)
	m.buf.WriteString(": ")
	m.buf.WriteString(strings.ReplaceAll(value, "\n", "\r\n"))
	m.buf.WriteString("\r\n")
}

func (m *mailRenderer) b64(n int) string {
	return m.random("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", n)
}

func (m *mailRenderer) upper(n int) string {
	return m.random("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", n)
}

// random is n characters drawn from alphabet, for the ids real headers carry.
func (m *mailRenderer) random(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[m.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (m *mailRenderer) ipv6() string {
	return fmt.Sprintf("2603:10b6:%x:%x::%x", 100+m.r.IntN(900), m.r.IntN(0xfff), 1+m.r.IntN(0xff))
}

func (m *mailRenderer) stamp(d time.Time) string { return d.Format("Mon, 2 Jan 2006 15:04:05 -0700") }

// recipients are who Entra ID mails: the enabled Helpdesk and Password Administrators; when
// there are none, the User Administrators; else the Global Administrators; at most 100.
func (m *mailRenderer) recipients() []string {
	var holders []*User
	for _, tier := range [][]string{{RoleHelpdeskAdmin, RolePasswordAdmin}, {RoleUserAdmin}, {RoleGlobalAdmin}} {
		for _, role := range tier {
			for _, u := range m.t.roleHolders(role) {
				if !slices.Contains(holders, u) {
					holders = append(holders, u)
				}
			}
		}
		if len(holders) > 0 {
			break
		}
	}
	out := make([]string, 0, min(len(holders), 100))
	for _, u := range holders[:min(len(holders), 100)] {
		out = append(out, u.Mail)
	}
	return out
}

func (m *mailRenderer) render() []byte {
	t := m.t
	senderDomain := "microsoftonline.com"
	senderIP := fmt.Sprintf("40.93.%d.%d", m.r.IntN(200), 1+m.r.IntN(250))
	helo := fmt.Sprintf("CY4PEPF0000%s.namprd%02d.prod.outlook.com", m.upper(4), 1+m.r.IntN(20))
	ptr := "mail-" + strings.ReplaceAll(senderIP, ".", "-") + ".outbound.protection.outlook.com"
	switch m.variant {
	case "spoofed-lookalike":
		senderDomain = "microsoftonIine.com"
		senderIP = fmt.Sprintf("185.234.%d.%d", 64+m.r.IntN(16), 1+m.r.IntN(250))
		helo, ptr = "mail.microsoftoniine.com", "mail.microsoftoniine.com"
	case "spoofed-injected-authres":
		senderIP = fmt.Sprintf("45.141.%d.%d", 212+m.r.IntN(4), 1+m.r.IntN(250))
		helo, ptr = "vps"+m.upper(5)+".hosted-vps.net", "unknown"
	}
	from := "msonlineservicesteam@" + senderDomain
	region := []string{"namprd", "eurprd", "apcprd"}[m.r.IntN(3)]
	mbx := fmt.Sprintf("SA1PR%02dMB%04d.%s%02d.prod.outlook.com", 10+m.r.IntN(9), m.r.IntN(10000), region, 1+m.r.IntN(20))
	fe := fmt.Sprintf("BN9PR%02dCA%04d.%s%02d.prod.outlook.com", 1+m.r.IntN(9), m.r.IntN(10000), region, 1+m.r.IntN(20))
	eop := fmt.Sprintf("BN1PEPF0000%s.mail.protection.outlook.com", m.upper(4))
	eopIP := fmt.Sprintf("10.167.%d.%d", m.r.IntN(256), 1+m.r.IntN(254))
	build := fmt.Sprintf("15.20.%d.%d", 8000+m.r.IntN(1000), m.r.IntN(40))
	d0 := m.date
	d1, d2, d3 := d0.Add(time.Second), d0.Add(2*time.Second), d0.Add(3*time.Second)

	m.header("Received", fmt.Sprintf("from %s (%s) by %s with HTTPS; %s", fe, m.ipv6(), mbx, m.stamp(d3)))
	// The hop from EOP to the mailbox names the EOP server by its internal name.
	eopInternal := eop[:strings.Index(eop, ".")] + "." + mbx[strings.Index(mbx, ".")+1:]
	m.header("Received", fmt.Sprintf("from %s (%s) by %s (%s) with Microsoft\n SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id\n %s; %s",
		eopInternal, m.ipv6(), fe, m.ipv6(), build, m.stamp(d2)))
	switch m.variant {
	case "spoofed-injected-authres":
		m.header("Authentication-Results", fmt.Sprintf("spf=fail (sender IP is %s)\n smtp.mailfrom=microsoftonline.com; dkim=none (message not signed)\n header.d=none;dmarc=fail action=oreject\n header.from=microsoftonline.com;compauth=fail reason=000", senderIP))
		m.header("Received-SPF", fmt.Sprintf("Fail (protection.outlook.com: domain of microsoftonline.com does not\n designate %s as permitted sender) receiver=protection.outlook.com;\n client-ip=%s; helo=%s;", senderIP, senderIP, helo))
	default:
		m.header("Authentication-Results", fmt.Sprintf("spf=pass (sender IP is %s)\n smtp.mailfrom=%s; dkim=pass (signature was verified)\n header.d=%s;dmarc=pass action=none\n header.from=%s;compauth=pass reason=100", senderIP, senderDomain, senderDomain, senderDomain))
		m.header("Received-SPF", fmt.Sprintf("Pass (protection.outlook.com: domain of %s designates\n %s as permitted sender) receiver=protection.outlook.com;\n client-ip=%s; helo=%s; pr=C", senderDomain, senderIP, senderIP, helo))
	}
	m.header("Received", fmt.Sprintf("from %s (%s) by\n %s (%s) with Microsoft SMTP Server (version=TLS1_3,\n cipher=TLS_AES_256_GCM_SHA384) id %s via Frontend Transport; %s",
		helo, senderIP, eop, eopIP, build, m.stamp(d1)))
	if m.variant == "spoofed-injected-authres" {
		// Written by the attacker before the mail reached this tenant: worthless, but passing.
		m.header("Authentication-Results", "spf=pass (sender IP is 40.93.12.1)\n smtp.mailfrom=microsoftonline.com; dkim=pass (signature was verified)\n header.d=microsoftonline.com;dmarc=pass action=none\n header.from=microsoftonline.com;compauth=pass reason=100")
		m.header("Received", fmt.Sprintf("from CY4PEPF0000EE3A.namprd03.prod.outlook.com (40.93.12.1) by\n BN1PEPF00004680.mail.protection.outlook.com (10.167.243.85) with Microsoft SMTP\n Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id %s via Frontend\n Transport; %s", build, m.stamp(d0.Add(-40*time.Second))))
	}
	if m.variant != "spoofed-injected-authres" {
		m.header("ARC-Seal", "i=1; a=rsa-sha256; s=arcselector10001; d=microsoft.com; cv=none;\n b="+m.b64(76)+"\n "+m.b64(76)+"\n "+m.b64(40)+"==")
		m.header("ARC-Message-Signature", "i=1; a=rsa-sha256; c=relaxed/relaxed; d=microsoft.com;\n s=arcselector10001;\n h=From:Date:Subject:Message-ID:Content-Type:MIME-Version:X-MS-Exchange-SenderADCheck;\n bh="+m.b64(43)+"=;\n b="+m.b64(76)+"\n "+m.b64(60)+"==")
		m.header("ARC-Authentication-Results", "i=1; mx.microsoft.com 1; spf=pass\n smtp.mailfrom="+senderDomain+"; dmarc=pass action=none\n header.from="+senderDomain+"; dkim=pass header.d="+senderDomain+"; arc=none")
	}
	dkimDomain := senderDomain
	m.header("DKIM-Signature", "v=1; a=rsa-sha256; c=relaxed/relaxed; d="+dkimDomain+";\n s=selector2; h=From:Date:Subject:Message-ID:Content-Type:MIME-Version;\n bh="+m.b64(43)+"=;\n b="+m.b64(76)+"\n "+m.b64(60)+"==")
	to := m.recipients()
	m.header("From", "Microsoft on behalf of "+t.DisplayName+" <"+from+">")
	m.header("To", strings.Join(to, ", "))
	m.header("Subject", "Request to reset user's password")
	m.header("Date", m.stamp(d0.Add(-5*time.Second)))
	m.header("Message-ID", "<"+guidFrom(m.r)+"@az.westus2.microsoft.com>")
	m.header("Return-Path", from)
	m.header("MIME-Version", "1.0")
	boundary := "_000_" + m.upper(24) + "_"
	m.header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	m.header("X-MS-Exchange-Organization-ExpirationStartTime", m.stamp(d1))
	m.header("X-MS-Exchange-Organization-Network-Message-Id", guidFrom(m.r))
	m.header("X-MS-Exchange-Organization-AuthSource", eop)
	m.header("X-MS-Exchange-Organization-AuthAs", "Anonymous")
	m.header("X-MS-PublicTrafficType", "Email")
	m.header("X-MS-TrafficTypeDiagnostic", eop[:strings.Index(eop, ".")]+":EE_|"+mbx[:strings.Index(mbx, ".")]+":EE_")
	scl, sfv, cat := "1", "NSPM", "NONE"
	if m.variant == "spoofed-injected-authres" {
		scl, sfv, cat = "5", "SPM", "SPOOF"
	}
	m.header("X-MS-Exchange-Organization-SCL", scl)
	sfs := fmt.Sprintf("SFS:(13230040)(%d)(%d)", 4022899000+m.r.IntN(1000), 8096899000+m.r.IntN(1000))
	m.header("X-Forefront-Antispam-Report", fmt.Sprintf("CIP:%s;CTRY:%s;LANG:en;SCL:%s;SRV:;IPV:NLI;SFV:%s;H:%s;PTR:%s;CAT:%s;%s;DIR:INB;",
		senderIP, map[bool]string{true: "US", false: "NL"}[m.variant == "genuine" || m.variant == "no-audit"], scl, sfv, helo, ptr, cat, sfs))
	m.header("X-Microsoft-Antispam", "BCL:0;ARA:13230040|4022899009|8096899003;")
	m.header("X-MS-Exchange-CrossTenant-OriginalArrivalTime", d1.Format("02 Jan 2006 15:04:05.0000 (UTC)"))
	m.header("X-MS-Exchange-CrossTenant-Network-Message-Id", guidFrom(m.r))
	m.header("X-MS-Exchange-CrossTenant-Id", t.ID)
	m.header("X-MS-Exchange-CrossTenant-AuthSource", eop)
	m.header("X-MS-Exchange-CrossTenant-AuthAs", "Anonymous")
	m.header("X-MS-Exchange-CrossTenant-FromEntityHeader", "Internet")
	m.header("X-MS-Exchange-Transport-CrossTenantHeadersStamped", mbx[:strings.Index(mbx, ".")])
	m.buf.WriteString("\r\n")

	text, htmlBody := m.body(senderDomain)
	m.buf.WriteString("--" + boundary + "\r\n")
	m.buf.WriteString("Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
	m.buf.WriteString(strings.ReplaceAll(text, "\n", "\r\n"))
	m.buf.WriteString("\r\n--" + boundary + "\r\n")
	m.buf.WriteString("Content-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
	m.buf.WriteString(strings.ReplaceAll(htmlBody, "\n", "\r\n"))
	m.buf.WriteString("\r\n--" + boundary + "--\r\n")
	return m.buf.Bytes()
}

// body is the notification text (plain and HTML) naming the user's UPN, first and last name.
func (m *mailRenderer) body(senderDomain string) (string, string) {
	u, org := m.user, m.t.DisplayName
	lines := []string{
		"Request to reset user's password",
		"",
		"A user in your organization, " + org + ", can't sign in and has asked an administrator to reset their password.",
		"",
		"User ID: " + u.UserPrincipalName,
		"First name: " + u.GivenName,
		"Last name: " + u.Surname,
		"",
		"Before you reset the password, contact the user through a method other than email (phone or in person) to confirm that they made this request.",
		"",
		"To reset the password, sign in to the Microsoft 365 admin center (https://admin.microsoft.com) and go to Users > Active users.",
	}
	if m.variant == "spoofed-lookalike" {
		lines = append(lines, "", "Or reset it now: https://login."+senderDomain+"/reset?user="+u.UserPrincipalName)
	}
	lines = append(lines, "",
		"Microsoft respects your privacy. To learn more, please read our Privacy Statement: https://go.microsoft.com/fwlink/?LinkId=521839",
		"Microsoft Corporation, One Microsoft Way, Redmond, WA 98052")
	var h strings.Builder
	h.WriteString("<html>\n<head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head>\n<body>\n")
	for _, l := range lines {
		if l == "" {
			continue
		}
		h.WriteString("<p>" + html.EscapeString(l) + "</p>\n")
	}
	h.WriteString("</body>\n</html>")
	return strings.Join(lines, "\n"), h.String()
}
