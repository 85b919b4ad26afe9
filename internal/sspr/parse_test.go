package sspr

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/idna"
)

func TestParseAuthResults(t *testing.T) {
	type res struct{ method, value, comment, props string }
	cases := []struct {
		name     string
		in       string
		authserv string
		instance int
		want     []res
	}{
		{"EOP's form, as in SSPR.md",
			"spf=pass (sender IP is 40.93.12.1)\r\n smtp.mailfrom=microsoftonline.com; dkim=pass (signature was verified)\r\n header.d=microsoftonline.com;dmarc=pass action=none\r\n header.from=microsoftonline.com;compauth=pass reason=100",
			"", 0, []res{
				{"spf", "pass", "sender IP is 40.93.12.1", "smtp.mailfrom=microsoftonline.com"},
				{"dkim", "pass", "signature was verified", "header.d=microsoftonline.com"},
				{"dmarc", "pass", "", "action=none header.from=microsoftonline.com"},
				{"compauth", "pass", "", "reason=100"}}},
		{"RFC 8601 with an authserv-id and a version",
			"mx.google.com 1; dkim=pass header.i=@example.com header.s=s1 header.b=AbC; spf=softfail (google.com: domain of x@example.com does not designate 203.0.113.5 as permitted sender) smtp.mailfrom=x@example.com",
			"mx.google.com", 0, []res{
				{"dkim", "pass", "", "header.i=@example.com header.s=s1 header.b=AbC"},
				{"spf", "softfail", "google.com: domain of x@example.com does not designate 203.0.113.5 as permitted sender", "smtp.mailfrom=x@example.com"}}},
		{"ARC-Authentication-Results with its instance",
			"i=1; mx.microsoft.com 1; spf=pass\r\n smtp.mailfrom=microsoftonline.com; dmarc=pass action=none\r\n header.from=microsoftonline.com; dkim=pass header.d=microsoftonline.com; arc=none",
			"mx.microsoft.com", 1, []res{
				{"spf", "pass", "", "smtp.mailfrom=microsoftonline.com"},
				{"dmarc", "pass", "", "action=none header.from=microsoftonline.com"},
				{"dkim", "pass", "", "header.d=microsoftonline.com"},
				{"arc", "none", "", ""}}},
		{"nested comments and a quoted value",
			`arc=pass (0 oda=1 ltdi=1 spf=[1,1,smtp.mailfrom=gmail.com] (nested; with semicolons)) header.s="a;b"`,
			"", 0, []res{{"arc", "pass", "0 oda=1 ltdi=1 spf=[1,1,smtp.mailfrom=gmail.com] (nested; with semicolons)", "header.s=a;b"}}},
		{"blanks around = and upper case",
			"SPF = Pass (sender IP is 1.2.3.4) smtp.mailfrom = example.com",
			"", 0, []res{{"spf", "pass", "sender IP is 1.2.3.4", "smtp.mailfrom=example.com"}}},
		{"a missing semicolon between results",
			"spf=pass smtp.mailfrom=a.example dkim=fail header.d=a.example",
			"", 0, []res{{"spf", "pass", "", "smtp.mailfrom=a.example"}, {"dkim", "fail", "", "header.d=a.example"}}},
		{"none", "mx.example.org 1; none", "mx.example.org", 0, nil},
		{"garbage", ";;;((((\x00 = ;;", "", 0, nil},
		{"unbalanced parenthesis", "spf=fail (sender IP is 1.2.3.4 smtp.mailfrom=a.example; dmarc=pass", "", 0,
			[]res{{"spf", "fail", "", ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := ParseAuthResults(c.in)
			if a.AuthServID != c.authserv || a.Instance != c.instance {
				t.Errorf("authserv %q instance %d, want %q %d", a.AuthServID, a.Instance, c.authserv, c.instance)
			}
			var got []res
			for _, r := range a.Results {
				var ps []string
				for _, p := range r.Props {
					ps = append(ps, p.Key+"="+p.Value)
				}
				got = append(got, res{r.Method, r.Value, r.Comment, strings.Join(ps, " ")})
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("results\n got %q\nwant %q", got, c.want)
			}
		})
	}
	if ip := ParseAuthResults("spf=pass (sender IP is 40.93.12.1) smtp.mailfrom=x").Results[0].senderIP(); ip != "40.93.12.1" {
		t.Errorf("sender IP %q", ip)
	}
}

func TestParseReceived(t *testing.T) {
	cases := []struct {
		in, from, ip, by string
		at               string
	}{
		{"from CY4PEPF0000EE3A.namprd03.prod.outlook.com (40.93.12.1) by\r\n BN1PEPF00004680.mail.protection.outlook.com (10.167.243.85) with Microsoft SMTP\r\n Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.8000.12 via Frontend\r\n Transport; Mon, 2 Mar 2026 09:00:05 +0000",
			"CY4PEPF0000EE3A.namprd03.prod.outlook.com", "40.93.12.1", "BN1PEPF00004680.mail.protection.outlook.com", "2026-03-02T09:00:05Z"},
		{"from mail.example.com (mail.example.com [203.0.113.5]) by mx.google.com with ESMTPS id x; Tue, 3 Mar 2026 10:00:00 -0800 (PST)",
			"mail.example.com", "203.0.113.5", "mx.google.com", "2026-03-03T18:00:00Z"},
		{"from [IPv6:2001:db8::1] (unknown) by relay.example with SMTP", "[IPv6:2001:db8::1]", "2001:db8::1", "relay.example", ""},
		{"from SA1PR10MB1234.namprd10.prod.outlook.com (2603:10b6:806:3e::8) by SN6PR.namprd.prod.outlook.com with HTTPS; garbage date",
			"SA1PR10MB1234.namprd10.prod.outlook.com", "2603:10b6:806:3e::8", "SN6PR.namprd.prod.outlook.com", ""},
		{"by only.example.com; Wed, 4 Mar 2026 01:02:03 +0000", "", "invalid IP", "only.example.com", "2026-03-04T01:02:03Z"},
		{"((((unbalanced from x by", "", "invalid IP", "", ""},
	}
	for _, c := range cases {
		h := parseReceived(Field{Name: "Received", Value: c.in})
		at := ""
		if !h.At.IsZero() {
			at = h.At.UTC().Format(time.RFC3339)
		}
		if h.From != c.from || h.FromIP.String() != c.ip || h.By != c.by || at != c.at {
			t.Errorf("%q:\n got from %q ip %s by %q at %q\nwant from %q ip %s by %q at %q", c.in, h.From, h.FromIP, h.By, at, c.from, c.ip, c.by, c.at)
		}
	}
	for host, want := range map[string]bool{"BN1PEPF00004680.mail.protection.outlook.com": true, "x.mail.protection.office365.us": true,
		"mail.protection.outlook.com": false, "evil.mail.protection.outlook.com.example": false, "": false} {
		if isEOPHost(host) != want {
			t.Errorf("isEOPHost(%q) = %v", host, !want)
		}
	}
}

func TestDomainLook(t *testing.T) {
	cases := []struct{ domain, want string }{
		{"microsoftonline.com", ""},
		{"MicrosoftOnline.com", ""},
		{"microsoftonIine.com", "microsoftonIine.com only looks like microsoftonline.com (“I” for “l”)"},
		{"rnicrosoftonline.com", "rnicrosoftonline.com only looks like microsoftonline.com"},
		{"micros0ftonline.com", "micros0ftonline.com only looks like microsoftonline.com (“0” for “o”)"},
		{punycode(t, "micros\u043Eftonline.com"), "microsоftonline.com only looks like microsoftonline.com (“о” for “o”)"},
		{"microsoftonline.com.evil.example", "microsoftonline.com.evil.example has microsoftonline.com in its name but belongs to evil.example"},
		{"login.microsoftonline.com", "login.microsoftonline.com is a subdomain of microsoftonline.com, not microsoftonline.com itself"},
		{"gmail.com", "gmail.com is not microsoftonline.com"},
	}
	for _, c := range cases {
		got := domainLook(c.domain, SenderDomain)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("domainLook(%q) = %q, want %q", c.domain, got, c.want)
		}
	}
	for raw, want := range map[string]string{
		"https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fevil.example%2Fx&data=1": "https://evil.example/x",
		"https://admin.microsoft.com": "",
	} {
		got, _ := safeLinksTarget(raw)
		if got != want {
			t.Errorf("safeLinksTarget(%q) = %q", raw, got)
		}
	}
}

func punycode(t *testing.T, s string) string {
	t.Helper()
	a, err := idna.ToASCII(s)
	if err != nil || !strings.HasPrefix(a, "xn--") {
		t.Fatalf("punycode of %q: %q %v", s, a, err)
	}
	return a
}

func TestIsFieldLine(t *testing.T) {
	for line, want := range map[string]bool{
		"Received: from x":              true,
		"X-MS-Exchange-CrossTenant-Id:": true,
		"Subject:no blank":              true,
		"X-Custom:no blank":             false,
		"fe80::1) by host":              false,
		"2603:10b6:806:3e::8) by x":     false,
		"h=From:Date:Subject":           false,
		"User ID: someone@example.com":  false,
		" continued: value":             false,
		"smtp.mailfrom=x; dkim=pass":    false,
	} {
		if isFieldLine(line) != want {
			t.Errorf("isFieldLine(%q) = %v", line, !want)
		}
	}
}

// Hostile and odd input: none of it may fail, hang or grow without bound; each is read or
// refused with a message.
func TestReadHostile(t *testing.T) {
	nested := func(depth int) []byte {
		var b bytes.Buffer
		b.WriteString("From: a@b.example\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
		for i := 0; i < depth; i++ {
			fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
		}
		b.WriteString("text user@contoso.edu\r\n")
		return b.Bytes()
	}
	manyParts := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("From: a@b.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "--x\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
		}
		b.WriteString("--x--\r\n")
		return b.Bytes()
	}
	cases := []struct {
		name string
		data []byte
		ok   bool
	}{
		{"deep nesting", nested(5000), true},
		{"many parts", manyParts(20000), true},
		{"a header of 100,000 fields", bytes.Repeat([]byte("X-A: b\r\n"), 100000), true},
		{"one 2 MB header line", append([]byte("Subject: "), bytes.Repeat([]byte("a"), 2<<20)...), true},
		{"lines that are all continuations", append([]byte("From: a@b.example\r\n"), bytes.Repeat([]byte(" x\r\n"), 100000)...), true},
		{"bad base64 and an unknown charset", []byte("From: a@b.example\r\nContent-Type: text/plain; charset=x-klingon\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64 user@contoso.edu"), true},
		{"unknown transfer encoding", []byte("From: a@b.example\r\nContent-Transfer-Encoding: x-rot13\r\n\r\nbody"), true},
		{"a boundary that never ends", []byte("From: a@b.example\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nno end user@contoso.edu"), true},
		{"UTF-16 with a byte order mark", append([]byte{0xFF, 0xFE}, utf16z("From: a@b.example\r\n\r\nhello")...), true},
		{"UTF-16 without one", utf16z("From: a@b.example\r\nSubject: x\r\n\r\nhello there"), true},
		{"mbox separator", []byte("From someone@example.com Mon Mar  2 09:00:00 2026\nFrom: a@b.example\n\nhi"), true},
		{"only blank lines then a field", []byte("\n\n\nFrom: a@b.example\n"), true},
		{"HTML only, with script", []byte("From: a@b.example\r\nContent-Type: text/html\r\n\r\n<script>x()</script><a href=\"https://evil.example/\">Microsoft</a> user@contoso.edu"), true},
		{"control characters", bytes.Repeat([]byte{1, 2, 3, 'a'}, 1000), false},
		{"a word", []byte("x"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			m, err := Read(c.data, "", 0)
			if (err == nil) != c.ok {
				t.Fatalf("err %v, want ok=%v", err, c.ok)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Logf("slow: %v", d) // a timing is reported, never asserted (benchmarks measure)
			}
			if err == nil && len(m.Text) > maxTextBytes {
				t.Errorf("text of %d bytes kept", len(m.Text))
			}
			if err == nil && len(m.Fields) > maxFields {
				t.Errorf("%d fields kept", len(m.Fields))
			}
		})
	}
	m, err := Read([]byte("From: a@b.example\r\nContent-Type: text/html\r\n\r\n<p>Reset:</p><a href=\"https://evil.example/x\">https://admin.microsoft.com</a>"), "", 0)
	if err != nil || len(m.Links) != 1 || m.Links[0].Host != "evil.example" || m.Links[0].Text != "https://admin.microsoft.com" {
		t.Errorf("HTML links %+v (%v)", m, err)
	}
}
