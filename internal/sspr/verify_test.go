package sspr

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"mime/quotedprintable"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/sspr/ssprtest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// The verifier against every kind of message the issue names, each built from what the
// simulated tenant renders for one of its contact-administrator flows.

// lostFolding strips the indentation of every continuation line of the header, as a paste
// from some mail clients does.
func lostFolding(msg string) string {
	h, b, _ := strings.Cut(msg, "\r\n\r\n")
	lines := strings.Split(h, "\r\n")
	for i, l := range lines {
		lines[i] = strings.TrimLeft(l, " \t")
	}
	return strings.Join(lines, "\n") + "\n\n" + strings.ReplaceAll(b, "\r\n", "\n")
}

// displayNameSpoof keeps Microsoft's display name but sends from a free mail address whose
// own SPF, DKIM and DMARC pass.
func displayNameSpoof(msg string) string {
	return strings.ReplaceAll(msg, "microsoftonline.com", "gmail.com")
}

// viaGateway puts a third-party gateway (mimecast.com, which seals ARC) in front of Exchange
// Online: EOP sees the gateway's address, SPF and DKIM fail there, and compauth passes with
// reason 130 (the trusted sealer's ARC result overrode the DMARC failure) unless reason is
// given otherwise.
func viaGateway(t *testing.T, msg, compauth string) string {
	t.Helper()
	hop := regexp.MustCompile(`Received: from (\S+) \((40\.93\.\d+\.\d+)\) by\r\n (\S+\.mail\.protection\.outlook\.com)`)
	m := hop.FindStringSubmatch(msg)
	if m == nil {
		t.Fatal("no EOP hop in the rendered mail")
	}
	helo, msIP, eop := m[1], m[2], m[3]
	const gwIP = "205.139.110.61"
	msg = strings.Replace(msg, m[0], "Received: from us-smtp-delivery-61.mimecast.com ("+gwIP+") by\r\n "+eop, 1)
	msg = strings.Replace(msg, "spf=pass (sender IP is "+msIP+")", "spf=fail (sender IP is "+gwIP+")", 1)
	msg = strings.Replace(msg, "dkim=pass (signature was verified)", "dkim=fail (body hash did not verify)", 1)
	msg = strings.Replace(msg, "dmarc=pass action=none", "dmarc=fail action=none", 1)
	msg = strings.Replace(msg, "compauth=pass reason=100", compauth, 1)
	msg = strings.Replace(msg, "CIP:"+msIP+";", "CIP:"+gwIP+";", 1)
	// The gateway's ARC set and its own receiving hop, just below Exchange Online's.
	i := strings.Index(msg, "Received: from us-smtp-delivery-61")
	j := i + strings.Index(msg[i:], "\r\n") + 2
	for strings.HasPrefix(msg[j:], " ") {
		j += strings.Index(msg[j:], "\r\n") + 2
	}
	gw := "ARC-Seal: i=2; a=rsa-sha256; t=1740000000; cv=pass; d=mimecast.com; s=201903;\r\n b=QWxsIHlvdXIgYmFzZSBhcmUgYmVsb25nIHRvIHVz\r\n" +
		"ARC-Message-Signature: i=2; a=rsa-sha256; c=relaxed/relaxed; d=mimecast.com;\r\n s=201903; h=from:to:subject:date; bh=abc=; b=def=\r\n" +
		"ARC-Authentication-Results: i=2; relay.mimecast.com; dkim=pass\r\n header.d=microsoftonline.com header.s=selector2 header.b=abc;\r\n dmarc=pass (policy=reject) header.from=microsoftonline.com;\r\n spf=pass (relay.mimecast.com: domain of msonlineservicesteam@microsoftonline.com\r\n designates " + msIP + " as permitted sender) smtp.mailfrom=msonlineservicesteam@microsoftonline.com;\r\n arc=pass (\"microsoft.com:s=arcselector10001:i=1\")\r\n" +
		"Received: from " + helo + " (" + helo + " [" + msIP + "]) by relay.mimecast.com with ESMTP\r\n id us-mta-12; Sat, 21 Feb 2026 16:32:38 +0000\r\n"
	return msg[:j] + gw + msg[j:]
}

// reencode replaces the multipart body with one text/plain part in another charset, with
// transfer encoding cte (quoted-printable or base64), and an encoded-word Subject.
func reencode(t *testing.T, msg, charset, cte, extra, subject string) string {
	t.Helper()
	m, err := Read([]byte(msg), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	text := m.Text + "\n" + extra + "\n"
	var enc []byte
	switch charset {
	case "windows-1252":
		enc, err = charmap.Windows1252.NewEncoder().Bytes([]byte(text))
	case "iso-8859-15":
		enc, err = charmap.ISO8859_15.NewEncoder().Bytes([]byte(text))
	case "Shift_JIS":
		enc, err = japanese.ShiftJIS.NewEncoder().Bytes([]byte(text))
	}
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	switch cte {
	case "quoted-printable":
		w := quotedprintable.NewWriter(&body)
		w.Write(bytes.ReplaceAll(enc, []byte("\n"), []byte("\r\n")))
		w.Close()
	case "base64":
		s := base64.StdEncoding.EncodeToString(enc)
		for len(s) > 76 {
			body.WriteString(s[:76] + "\r\n")
			s = s[76:]
		}
		body.WriteString(s + "\r\n")
	}
	h := headerBlock(msg)
	h = regexp.MustCompile(`Content-Type: multipart/alternative; boundary="[^"]+"\r\n`).
		ReplaceAllString(h, "Content-Type: text/plain; charset=\""+charset+"\"\r\nContent-Transfer-Encoding: "+cte+"\r\n")
	sj, err := japanese.ShiftJIS.NewEncoder().String(subject)
	if err != nil {
		t.Fatal(err)
	}
	h = strings.Replace(h, "Subject: Request to reset user's password", "Subject: =?Shift_JIS?B?"+base64.StdEncoding.EncodeToString([]byte(sj))+"?=", 1)
	return h + "\r\n" + body.String()
}

func TestVerifyMessages(t *testing.T) {
	e := newEnv(t)
	flow := contacted(t, e.sim)[0]
	genuine := render(t, e.sim, flow.CorrelationID, "genuine")
	read, err := Read([]byte(genuine), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	bodyText := read.Text

	type want struct {
		verdict Verdict
		checks  map[string]Status
		// in are texts the report (summary, missing, check messages, ignored reasons) contains.
		in    []string
		match bool // a flow is marked as the one that explains the mail
	}
	pass := StatusPass
	cases := []struct {
		name  string
		msg   string
		file  string
		opts  Options
		setup func(e *env)
		want  want
	}{
		{name: "genuine with a matching flow", msg: genuine, want: want{verdict: VerdictGenuine, match: true,
			checks: map[string]Status{checkTrusted: pass, checkSPF: pass, checkDKIM: pass, checkDMARC: pass, checkCompauth: pass,
				checkARC: pass, checkSender: pass, checkIP: pass, checkTenant: pass, checkSpam: pass, checkLinks: pass, checkRecipient: pass}}},
		{name: "the same message with no flow in the audit log", msg: genuine,
			setup: func(e *env) { e.audits.None = true },
			want:  want{verdict: VerdictSuspicious, in: []string{"ran no password reset"}}},
		{name: "genuine headers naming a user who ran no flow", msg: render(t, e.sim, flow.CorrelationID, "no-audit"),
			want: want{verdict: VerdictSuspicious, checks: map[string]Status{checkSender: pass, checkDMARC: pass}}},
		{name: "a real failing Authentication-Results above a forged passing one", msg: render(t, e.sim, flow.CorrelationID, "spoofed-injected-authres"),
			want: want{verdict: VerdictSpoofed, checks: map[string]Status{checkTrusted: pass, checkSPF: StatusFail, checkDMARC: StatusFail, checkCompauth: StatusFail},
				in: []string{"below the hop where this tenant's Exchange Online received the message", "reason 000"}}},
		{name: "a lookalike sender domain passing its own DMARC", msg: render(t, e.sim, flow.CorrelationID, "spoofed-lookalike"),
			want: want{verdict: VerdictSpoofed, checks: map[string]Status{checkDMARC: StatusFail, checkSender: StatusFail, checkLinks: StatusFail},
				in: []string{"only looks like microsoftonline.com (“I” for “l”)", "DMARC pass for microsoftonIine.com"}}},
		{name: "a display-name-only spoof", msg: displayNameSpoof(genuine),
			want: want{verdict: VerdictSpoofed, checks: map[string]Status{checkSender: StatusFail},
				in: []string{"a display name proves nothing", "msonlineservicesteam@gmail.com"}}},
		{name: "through a third-party gateway that is a trusted ARC sealer", msg: viaGateway(t, genuine, "compauth=pass reason=130"),
			opts: Options{TrustedARCSealers: []string{"mimecast.com"}},
			want: want{verdict: VerdictGenuine, match: true,
				checks: map[string]Status{checkARC: pass, checkSPF: StatusWarn, checkDKIM: StatusWarn, checkDMARC: StatusWarn, checkCompauth: pass, checkIP: pass},
				in:     []string{"mimecast.com (a trusted ARC sealer)", "reason 130", "is the gateway mimecast.com"}}},
		{name: "through a gateway Exchange Online trusts (reason 130) though not configured here", msg: viaGateway(t, genuine, "compauth=pass reason=130"),
			want: want{verdict: VerdictGenuine, checks: map[string]Status{checkARC: pass, checkDMARC: StatusWarn}}},
		{name: "an ARC set of an untrusted sealer is ignored", msg: viaGateway(t, genuine, "compauth=fail reason=001"),
			want: want{verdict: VerdictSpoofed, checks: map[string]Status{checkARC: StatusWarn, checkDMARC: StatusFail, checkCompauth: StatusFail},
				in: []string{"not a trusted ARC sealer", "anyone can write ARC headers"}}},
		{name: "headers with folding lost", msg: lostFolding(genuine),
			want: want{verdict: VerdictGenuine, match: true, checks: map[string]Status{checkTrusted: pass, checkSender: pass},
				in: []string{"lost the indentation"}}},
		{name: "body only", msg: bodyText, setup: func(e *env) { e.now = flow.Ended.Add(time.Minute) },
			want: want{verdict: VerdictCannotTell, match: true, in: []string{"The message headers", "File › Properties"}}},
		{name: "headers only", msg: headerBlock(genuine),
			want: want{verdict: VerdictCannotTell, checks: map[string]Status{checkSender: pass, checkLinks: StatusWarn}, in: []string{"The body: it names the user"}}},
		{name: "a windows-1252 quoted-printable body and a Shift_JIS subject",
			msg:  reencode(t, genuine, "windows-1252", "quoted-printable", "Organisation : Contoso Université — Réinitialisation du mot de passe", "パスワードのリセット"),
			want: want{verdict: VerdictGenuine, match: true}},
		{name: "a Shift_JIS base64 body", msg: reencode(t, genuine, "Shift_JIS", "base64", "パスワードのリセットを依頼しました", "パスワードのリセット"),
			want: want{verdict: VerdictGenuine, match: true}},
		{name: "an ISO-8859-15 body", msg: reencode(t, genuine, "iso-8859-15", "quoted-printable", "Prix : 10 €", "パスワード"),
			want: want{verdict: VerdictGenuine}},
		{name: "an Outlook .msg file", msg: string(msgOf(headerBlock(genuine), bodyText)), file: "request.msg",
			want: want{verdict: VerdictGenuine, match: true, checks: map[string]Status{checkTrusted: pass}}},
		{name: "an .eml file", msg: genuine, file: "request.eml", want: want{verdict: VerdictGenuine}},
		{name: "received by another tenant", msg: strings.Replace(genuine, "X-MS-Exchange-CrossTenant-Id: "+e.sim.ID, "X-MS-Exchange-CrossTenant-Id: 0ddba11c-0000-4000-8000-000000000001", 1),
			want: want{verdict: VerdictSpoofed, checks: map[string]Status{checkTenant: StatusFail}, in: []string{"Received by another tenant"}}},
		{name: "a second receiving tenant added besides this one", msg: strings.Replace(genuine, "X-MS-Exchange-CrossTenant-Id: "+e.sim.ID, "X-MS-Exchange-CrossTenant-Id: "+e.sim.ID+"\r\nX-MS-Exchange-CrossTenant-Id: 0ddba11c-0000-4000-8000-000000000001", 1),
			want: want{verdict: VerdictGenuine, checks: map[string]Status{checkTenant: StatusWarn}}},
		{name: "the body names no user of this tenant", msg: strings.ReplaceAll(genuine, userOf(t, e, flow).UserPrincipalName, "nobody.here@contoso.edu"),
			want: want{verdict: VerdictSuspicious, in: []string{"not a user of this tenant"}}},
		{name: "sent to someone who holds no admin role", msg: regexp.MustCompile(`(?m)^To: .*$`).ReplaceAllString(genuine, "To: "+student(t, e).Mail+"\r"),
			want: want{verdict: VerdictSuspicious, checks: map[string]Status{checkRecipient: StatusFail}}},
		{name: "directory roles cannot be read", msg: genuine,
			setup: func(e *env) {
				e.roles.Err = &model.GraphError{Kind: model.GraphForbidden, Status: 403, Code: "Authorization_RequestDenied"}
			},
			want: want{verdict: VerdictGenuine, checks: map[string]Status{checkRecipient: StatusWarn}, in: []string{"RoleManagement.Read.Directory"}}},
		{name: "the audit log cannot be read", msg: genuine,
			setup: func(e *env) {
				e.audits.Err = &model.GraphError{Kind: model.GraphForbidden, Status: 403, Permission: "AuditLog.Read.All"}
			},
			want: want{verdict: VerdictCannotTell, in: []string{"AuditLog.Read.All"}}},
		{name: "no IP range data loaded", msg: genuine, setup: func(e *env) { e.ip = ssprtest.EmptyLooker() },
			want: want{verdict: VerdictGenuine, checks: map[string]Status{checkIP: StatusWarn}, in: []string{"not loaded"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.opts = c.opts
			if c.setup != nil {
				c.setup(e)
			}
			rep := e.verify(t, c.msg, c.file)
			if rep.Verdict != c.want.verdict {
				t.Fatalf("verdict %s, want %s\n%s", rep.Verdict, c.want.verdict, describe(rep))
			}
			for id, st := range c.want.checks {
				if got := checkStatus(rep, id); got != st {
					t.Errorf("check %s: %q, want %q\n%s", id, got, st, describe(rep))
				}
			}
			all := reportText(rep)
			for _, s := range c.want.in {
				if !strings.Contains(all, s) {
					t.Errorf("report lacks %q\n%s", s, all)
				}
			}
			if _, ok := rep.MatchingFlow(); ok != c.want.match && c.want.match {
				t.Errorf("matching flow: %v, want %v\n%s", ok, c.want.match, describe(rep))
			}
			if len(rep.NextSteps) == 0 || rep.NextSteps[0] != confirmStep {
				t.Errorf("next steps do not start with the advice to confirm by a known channel: %q", rep.NextSteps)
			}
			if rep.Verdict == VerdictCannotTell && len(rep.Missing) == 0 {
				t.Error("cannot tell without saying what is missing")
			}
			if rep.Headline == "" || rep.Summary == "" {
				t.Errorf("headline %q, summary %q", rep.Headline, rep.Summary)
			}
		})
	}
}

// reportText is every sentence of a report, for "says so" assertions.
func reportText(r Report) string {
	parts := []string{r.Summary}
	parts = append(parts, r.Missing...)
	parts = append(parts, r.NextSteps...)
	parts = append(parts, r.Message.Notes...)
	for _, c := range r.Checks {
		parts = append(parts, c.Message)
	}
	for _, i := range r.Ignored {
		parts = append(parts, i.Reason)
	}
	return strings.Join(parts, "\n")
}

// student is a user who holds no role and is not the one of the first contacted-admin flow.
func student(t *testing.T, e *env) tenantsim.User {
	t.Helper()
	first := contacted(t, e.sim)[0].UserID
	for _, f := range e.sim.SSPRFlows() {
		if u, _ := e.sim.LookupUser(f.UserID); u.JobTitle == "Student" && u.ID != first {
			return u
		}
	}
	t.Fatal("no student ran a flow")
	return tenantsim.User{}
}

func userOf(t *testing.T, e *env, f tenantsim.SSPRFlow) tenantsim.User {
	t.Helper()
	u, ok := e.sim.LookupUser(f.UserID)
	if !ok {
		t.Fatal("flow user not found")
	}
	return u
}

func TestVerifyDecodedDetails(t *testing.T) {
	e := newEnv(t)
	flow := contacted(t, e.sim)[0]
	genuine := render(t, e.sim, flow.CorrelationID, "genuine")
	msg := reencode(t, genuine, "windows-1252", "quoted-printable", "Organisation : Contoso Université", "パスワードのリセット")
	m, err := Read([]byte(msg), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "Contoso Université") {
		t.Errorf("windows-1252 body not decoded: %q", m.Text)
	}
	rep := e.verify(t, msg, "")
	if rep.Message.Subject != "パスワードのリセット" {
		t.Errorf("subject %q", rep.Message.Subject)
	}
	if rep.User == nil || !rep.User.Found || !rep.User.NameMatches {
		t.Fatalf("user %+v", rep.User)
	}
	f, ok := rep.MatchingFlow()
	if !ok || f.CorrelationID != flow.CorrelationID || f.IPAddress != flow.IPAddress || f.Outcome != OutcomeContactedAdmin {
		t.Fatalf("flow %+v, want %s from %s", f, flow.CorrelationID, flow.IPAddress)
	}
	if len(f.Steps) < 2 || f.Steps[0].Words == "" || !strings.Contains(f.Steps[len(f.Steps)-1].Words, "asked an administrator") {
		t.Fatalf("steps %+v", f.Steps)
	}
	if rep.Window.To.Sub(rep.Window.From) != DefaultBefore+DefaultAfter || !strings.Contains(rep.Window.Basis, "received") {
		t.Errorf("window %+v", rep.Window)
	}
	q := e.audits.Queries()[0]
	if q.LoggedByService != SSPRService || q.TargetID == "" || q.Since.IsZero() || q.Until.IsZero() {
		t.Errorf("audit query %+v", q)
	}
}

func TestReadRealOutlookMSG(t *testing.T) {
	b, err := os.ReadFile("testdata/outlook-sample.msg")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Read(b, "outlook-sample.msg", 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Format != FormatMSG {
		t.Errorf("format %q", m.Format)
	}
	if f, ok := m.Get("From"); !ok || !strings.Contains(f.Value, "Richard.Lehane@records.nsw.gov.au") {
		t.Errorf("From %+v", f)
	}
	if s, ok := m.Get("Subject"); !ok || s.Value != "test" {
		t.Errorf("Subject %+v", s)
	}
	if !strings.HasPrefix(strings.TrimSpace(m.Text), "Test") {
		t.Errorf("body %q", m.Text[:min(len(m.Text), 80)])
	}
	// Not a notification at all: a mail between two people of one organization is not Microsoft's.
	e := newEnv(t)
	rep := e.verify(t, string(b), "outlook-sample.msg")
	if rep.Verdict != VerdictSpoofed || checkStatus(rep, checkSender) != StatusFail {
		t.Errorf("verdict %s\n%s", rep.Verdict, describe(rep))
	}
}

func TestVerifyBadInput(t *testing.T) {
	e := newEnv(t)
	v := e.verifier(t)
	cases := []struct {
		name  string
		data  []byte
		large bool
	}{
		{"empty", nil, false},
		{"blank", []byte(" \r\n\t\n"), false},
		{"zero bytes", append([]byte("From: a@b.example\r\n"), 0, 0, 0), false},
		{"binary junk", junk(64 << 10), false},
		{"text without headers or an address", []byte("hello there, please reset my password"), false},
		{"a compound file that is no message", buildMSG(map[string][]byte{"WordDocument": []byte("x")}), false},
		{"a damaged compound file", append(append([]byte{}, cfbSignature...), junk(2000)...), false},
		{"over the limit", bytes.Repeat([]byte("a"), DefaultMaxBytes+1), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), c.data, "")
			if !errors.Is(err, model.ErrInvalid) {
				t.Fatalf("error %v, want bad input", err)
			}
			if errors.Is(err, model.ErrTooLarge) != c.large {
				t.Fatalf("too large: %v, want %v (%v)", errors.Is(err, model.ErrTooLarge), c.large, err)
			}
			if !c.large && c.name != "empty" && c.name != "blank" && !strings.Contains(err.Error(), "not an email") {
				t.Errorf("message %q does not say it is not an email", err)
			}
		})
	}
}

// junk is deterministic binary garbage.
func junk(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
