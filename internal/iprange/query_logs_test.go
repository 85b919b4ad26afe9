package iprange

import (
	"net/netip"
	"strings"
	"testing"
)

// realLogLines are lines as the tools people paste from write them (addresses and names from
// Microsoft's published ranges and documentation ranges). They are the table below and the seed
// corpus of FuzzParseQuery.
var realLogLines = []struct {
	name  string
	line  string
	items []want
}{
	{"postfix connect", "May  1 10:00:00 mx1 postfix/smtpd[12345]: connect from mail-bn8nam11on2040.outbound.protection.outlook.com[40.107.243.40]",
		[]want{{host: "mail-bn8nam11on2040.outbound.protection.outlook.com"}, {addr: "40.107.243.40"}}},
	{"postfix reject unknown", "May  1 10:00:01 mx1 postfix/smtpd[12345]: NOQUEUE: reject: RCPT from unknown[203.0.113.5]: 554 5.7.1 <spam@example.net>: Relay access denied; from=<a@example.org> to=<b@example.net> proto=ESMTP helo=<bad.example.org>",
		[]want{{addr: "203.0.113.5"}, {host: "bad.example.org"}}},
	{"postfix ipv6 client", "May  1 10:00:02 mx1 postfix/smtpd[99]: 4VabcD1234: client=mail-dm6nam10on2061.outbound.protection.outlook.com[2a01:111:f400:7e88::61]:25",
		[]want{{host: "mail-dm6nam10on2061.outbound.protection.outlook.com"}, {addr: "2a01:111:f400:7e88::61", note: "port 25"}}},
	{"exim arrival", "2024-05-01 10:00:00 1rXyZ1-0001Ab-CD <= sender@example.com H=mail-bn8nam11on2040.outbound.protection.outlook.com [40.107.243.40]:25 P=esmtps X=TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256 CV=no S=4821 id=abc@example.com",
		[]want{{host: "mail-bn8nam11on2040.outbound.protection.outlook.com"}, {addr: "40.107.243.40", note: "port 25"}}},
	{"exim helo in parentheses", "2024-05-01 10:00:01 H=(helo.example.com) [198.51.100.7]:41234 rejected EHLO or HELO",
		[]want{{host: "helo.example.com"}, {addr: "198.51.100.7"}}},
	{"sendmail relay", "May  1 10:00:00 mx sendmail[2211]: 44AAbb01: from=<a@example.com>, size=1234, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=mail.example.com [192.0.2.1]",
		[]want{{host: "mail.example.com"}, {addr: "192.0.2.1"}}},
	{"sendmail ipv6 literal", "May  1 10:00:00 mx sendmail[2211]: 44AAbb02: relay=[IPv6:2603:1063::1] (may be forged)",
		[]want{{addr: "2603:1063::1"}}},
	{"received header", "Received: from NAM11-BN8-obe.outbound.protection.outlook.com (mail-bn8nam11on2040.outbound.protection.outlook.com [40.107.243.40])\r\n\tby mx.example.com (Postfix) with ESMTPS id 4Vabc for <user@example.com>; Wed, 1 May 2024 10:00:00 +0000 (UTC)",
		[]want{{host: "nam11-bn8-obe.outbound.protection.outlook.com"}, {host: "mail-bn8nam11on2040.outbound.protection.outlook.com"}, {addr: "40.107.243.40"}, {host: "mx.example.com"}}},
	{"iis w3c", "2024-05-01 10:00:01 10.0.0.10 POST /EWS/Exchange.asmx - 443 CONTOSO\\user 52.96.1.2 Microsoft+Office/16.0+(Windows+NT+10.0) - 200 0 0 31",
		[]want{{addr: "10.0.0.10"}, {addr: "52.96.1.2"}}},
	{"apache combined", `203.0.113.5 - - [10/Oct/2024:13:55:36 -0700] "GET /owa/ HTTP/1.1" 302 2326 "https://outlook.office.com/mail/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"`,
		[]want{{addr: "203.0.113.5"}, {host: "outlook.office.com"}}},
	{"azure firewall network rule", `{"category":"AzureFirewallNetworkRule","operationName":"AzureFirewallNetworkRuleLog","properties":{"msg":"TCP request from 10.0.0.4:52345 to 52.112.0.1:443. Action: Allow. Rule Collection: rc-m365. Rule: allow-teams"}}`,
		[]want{{addr: "10.0.0.4", note: "port 52345"}, {addr: "52.112.0.1", note: "port 443"}}},
	{"azure firewall structured", `{"SourceIp":"10.0.0.4","SourcePort":52345,"DestinationIp":"52.112.0.1","DestinationPort":443,"Protocol":"TCP","Action":"Deny","Fqdn":"teams.microsoft.com"}`,
		[]want{{addr: "10.0.0.4"}, {addr: "52.112.0.1"}, {host: "teams.microsoft.com"}}},
	{"palo alto traffic csv", "1,2024/05/01 10:00:00,007951000012345,TRAFFIC,end,2561,2024/05/01 10:00:00,10.0.0.5,52.112.0.1,203.0.113.9,52.112.0.1,Allow-O365,,,ms-teams,vsys1,trust,untrust,ethernet1/1,ethernet1/2,Forward,2024/05/01 10:00:00,12345,1,51515,443,33333,443,0x400019,tcp,allow,5120",
		[]want{{addr: "10.0.0.5"}, {addr: "52.112.0.1"}, {addr: "203.0.113.9"}}},
	{"windows event xml", `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><EventData><Data Name="TargetUserName">alice</Data><Data Name="WorkstationName">DESKTOP-1</Data><Data Name="IpAddress">::ffff:52.112.0.9</Data><Data Name="IpPort">51515</Data></EventData></Event>`,
		[]want{{host: "schemas.microsoft.com"}, {addr: "52.112.0.9", note: "IPv4-mapped"}}},
}

func TestParseQueryRealLogFormats(t *testing.T) {
	for _, tc := range realLogLines {
		t.Run(tc.name, func(t *testing.T) {
			q := ParseQuery(tc.line)
			checkItems(t, q, tc.items)
			if len(q.Problems) > 0 {
				t.Errorf("problems %+v in an ordinary log line", q.Problems)
			}
		})
	}
}

// Hostile and internationalised input: a name with letters beyond ASCII is looked up by its
// IDNA form, never cut into a shorter name that exists; invisible characters inside a name
// are judged by IDNA, not used to split it.
func TestParseQueryInternationalised(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		items    []want
		problems []string
	}{
		{"accent inside a label", "tést.evil-two.example", []want{{host: "xn--tst-bma.evil-two.example", note: "internationalised name, looked up as xn--tst-bma.evil-two.example"}}, nil},
		{"accent at a label's start", "évil.example", []want{{host: "xn--vil-9la.example"}}, nil},
		{"umlaut with an ideographic full stop", "mail.münchen。de:25", []want{{host: "mail.xn--mnchen-3ya.de"}}, nil},
		{"cyrillic a in paypal", "pаypal.com", []want{{host: "xn--pypal-4ve.com", note: "internationalised"}}, nil},
		{"punycode reads as", "xn--tst-bma.evil-two.example", []want{{host: "xn--tst-bma.evil-two.example", note: "reads as tést.evil-two.example"}}, nil},
		{"full-width host", "ｔｅａｍｓ．ｍｉｃｒｏｓｏｆｔ．ｃｏｍ", []want{{host: "teams.microsoft.com", note: "full-width"}}, nil},
		{"full-width address", "１９２.０.２.１", []want{{addr: "192.0.2.1", note: "non-ASCII"}}, nil},
		{"soft hyphen inside is ignored as by a resolver", "micro\u00adsoft.com", []want{{host: "microsoft.com", note: "invisible"}}, nil},
		{"zero-width joiner inside is refused, not split", "micro\u200dsoft.com", nil, []string{"micro\u200dsoft.com"}},
		{"right-to-left override inside is refused", "evil\u202emoc.example", nil, []string{"evil\u202emoc.example"}},
		{"bidi marks at the ends are dropped", "\u200fteams.microsoft.com\u200e", []want{{host: "teams.microsoft.com"}}, nil},
		{"bad punycode", "xn--zz.example", nil, []string{"xn--zz.example"}},
		{"url with an internationalised host", "https://tést.example/x?y=1", []want{{host: "xn--tst-bma.example"}}, nil},
		{"name glued to an address", "tést.example[192.0.2.9]", []want{{host: "xn--tst-bma.example"}, {addr: "192.0.2.9"}}, nil},
		{"bad address in brackets", "host.example[300.1.1.1]", nil, []string{"host.example[300.1.1.1]"}},
		{"brackets without an address are a word", "postfix/smtpd[4711]: kernel[0]: x[]", nil, nil},
		{"words in other scripts", "Привет мир こんにちは 你好 naïve café", nil, nil},
		{"smtp status codes are not addresses", "554 5.7.1 451 4.4.2 250 2.0.0", nil, nil},
		{"still a bad address", "1.2.3 9.9.9", nil, []string{"1.2.3", "9.9.9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := ParseQuery(tc.text)
			checkItems(t, q, tc.items)
			var probs []string
			for _, p := range q.Problems {
				probs = append(probs, p.Input)
			}
			if strings.Join(probs, " | ") != strings.Join(tc.problems, " | ") {
				t.Errorf("problems %q (%+v), want %q", probs, q.Problems, tc.problems)
			}
		})
	}
}

func checkItems(t *testing.T, q Query, items []want) {
	t.Helper()
	if len(q.Items) != len(items) {
		t.Fatalf("got %d items %s, want %d %+v", len(q.Items), itemsString(q), len(items), items)
	}
	for i, w := range items {
		it := q.Items[i]
		if w.addr != "" && it.Addr != netip.MustParseAddr(w.addr) || w.host != it.Host {
			t.Errorf("item %d = %s, want %+v", i, itemsString(Query{Items: []QueryItem{it}}), w)
		}
		if !strings.Contains(it.Note, w.note) {
			t.Errorf("item %d note %q lacks %q", i, it.Note, w.note)
		}
	}
}
