package iprange

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"
)

type want struct {
	addr, host, note string // note: substring
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		items    []want
		problems []string // inputs
	}{
		{"single v4", "52.112.0.1", []want{{addr: "52.112.0.1"}}, nil},
		{"single v6", "2603:1063::1", []want{{addr: "2603:1063::1"}}, nil},
		{"list with odd separators", "1.1.1.1,2.2.2.2;3.3.3.3\t4.4.4.4|5.5.5.5\r\n(6.6.6.6) <7.7.7.7> {8.8.8.8} '9.9.9.9' \"10.0.0.1\"",
			[]want{{addr: "1.1.1.1"}, {addr: "2.2.2.2"}, {addr: "3.3.3.3"}, {addr: "4.4.4.4"}, {addr: "5.5.5.5"}, {addr: "6.6.6.6"}, {addr: "7.7.7.7"}, {addr: "8.8.8.8"}, {addr: "9.9.9.9"}, {addr: "10.0.0.1"}}, nil},
		{"repeats once", "1.1.1.1 1.1.1.1 ::ffff:1.1.1.1", []want{{addr: "1.1.1.1"}}, nil},
		{"zone", "fe80::1%eth0", []want{{addr: "fe80::1", note: `zone "%eth0" removed`}}, nil},
		{"mapped", "::ffff:52.112.0.1", []want{{addr: "52.112.0.1", note: "IPv4-mapped"}}, nil},
		{"v6 with port", "[2603:1063::1]:443", []want{{addr: "2603:1063::1", note: "port 443"}}, nil},
		{"v6 zone in brackets with port", "[fe80::1%25en0]:8080", []want{{addr: "fe80::1", note: "zone"}}, nil},
		{"v4 with port", "52.112.0.1:3478", []want{{addr: "52.112.0.1", note: "port 3478"}}, nil},
		{"cidr", "52.112.0.0/14 2603:1063::/38", []want{{addr: "52.112.0.0", note: "/14"}, {addr: "2603:1063::", note: "/38"}}, nil},
		{"sentence end", "The address was 52.112.0.1. Then 2603:1063::.", []want{{addr: "52.112.0.1"}, {addr: "2603:1063::"}}, nil},
		{"firewall log", "2026-07-20T10:11:12Z DENY TCP src=10.1.2.3:51515 dst=52.112.0.1:443 host=teams.microsoft.com",
			[]want{{addr: "10.1.2.3"}, {addr: "52.112.0.1"}, {host: "teams.microsoft.com"}}, nil},
		{"received header", "Received: from BN8PR12MB1234.namprd12.prod.outlook.com (2603:10b6:408:70::12) by SN6PR12MB5678.namprd12.prod.outlook.com ([fe80::aaaa%4]) with Microsoft SMTP Server; Mon, 20 Jul 2026 10:11:12 +0000\nReceived: from mail.example.com ([203.0.113.5]) by mx.example.net",
			[]want{{host: "bn8pr12mb1234.namprd12.prod.outlook.com"}, {addr: "2603:10b6:408:70::12"}, {host: "sn6pr12mb5678.namprd12.prod.outlook.com"}, {addr: "fe80::aaaa", note: "zone"}, {host: "mail.example.com"}, {addr: "203.0.113.5"}, {host: "mx.example.net"}}, nil},
		{"labelled", "client_ip:52.112.0.1 ip:[2603:1063::1]:443", []want{{addr: "52.112.0.1"}, {addr: "2603:1063::1"}}, nil},
		{"urls", "see https://outlook.office365.com/owa/?a=1 and http://[2603:1063::1]:8080/x and https://user@teams.microsoft.com:443/",
			[]want{{host: "outlook.office365.com"}, {addr: "2603:1063::1"}, {host: "teams.microsoft.com"}}, nil},
		{"bad addresses", "300.1.1.1 1.2.3 010.1.1.1 1.2.3.4:99999 2001:db8::zz::1 1.2.3.4/40 2001:db8:::1",
			nil, []string{"300.1.1.1", "1.2.3", "010.1.1.1", "1.2.3.4:99999", "1.2.3.4/40", "2001:db8:::1"}},
		{"words ignored", "hello world e.g. 12:34:56 00:1a:2b:3c:4d:5e version=2 [INFO] ::: [] user@contoso.com", nil, nil},
		{"empty", "", nil, nil},
		{"only separators", ",,,;;;\t\t\n", nil, nil},
		{"unicode separators", "52.112.0.1\u00a052.112.0.2\u200b52.112.0.3…52.112.0.4", []want{{addr: "52.112.0.1"}, {addr: "52.112.0.2"}, {addr: "52.112.0.3"}, {addr: "52.112.0.4"}}, nil},
		{"invalid utf8", "52.112.0.1\xff\xfe52.112.0.2", []want{{addr: "52.112.0.1"}, {addr: "52.112.0.2"}}, nil},
		{"host with port and trailing dot", "Teams.Microsoft.com.:443", []want{{host: "teams.microsoft.com"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := ParseQuery(tt.text)
			if q.Truncated {
				t.Errorf("truncated: %v", q.Notes)
			}
			if len(q.Items) != len(tt.items) {
				t.Fatalf("got %d items %s, want %d", len(q.Items), itemsString(q), len(tt.items))
			}
			for i, w := range tt.items {
				it := q.Items[i]
				if w.addr != "" && it.Addr != netip.MustParseAddr(w.addr) || w.host != it.Host {
					t.Errorf("item %d = %s, want %+v", i, itemsString(Query{Items: []QueryItem{it}}), w)
				}
				if !strings.Contains(it.Note, w.note) {
					t.Errorf("item %d note %q lacks %q", i, it.Note, w.note)
				}
				if it.Addr.Zone() != "" || it.Addr.Is4In6() {
					t.Errorf("item %d address %s not normalised", i, it.Addr)
				}
			}
			var probs []string
			for _, p := range q.Problems {
				probs = append(probs, p.Input)
				if !strings.HasPrefix(p.Message, "not an address") {
					t.Errorf("problem %q: message %q", p.Input, p.Message)
				}
			}
			if strings.Join(probs, " ") != strings.Join(tt.problems, " ") {
				t.Errorf("problems %q, want %q", probs, tt.problems)
			}
		})
	}
}

func TestParseQueryProblemMessages(t *testing.T) {
	for text, want := range map[string]string{
		"300.1.1.1":     "300 is more than 255",
		"010.1.1.1":     "leading zero",
		"1.2.3":         "has 4 numbers, this has 3",
		"1.2.3.4:0":     "out of range",
		"1.2.3.4/40":    "/40 is not a valid prefix length",
		"[::1]x":        "unexpected text after ']'",
		"2001:db8:::1":  "not a valid IPv4 or IPv6 address",
		"[::1]:http":    "not a port",
		"999.999.999.9": "more than 255",
	} {
		q := ParseQuery(text)
		if len(q.Problems) != 1 || !strings.Contains(q.Problems[0].Message, want) {
			t.Errorf("%q: problems %+v, want %q", text, q.Problems, want)
		}
	}
}

func TestParseQueryLimits(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 200<<10; i++ {
		fmt.Fprintf(&b, "10.%d.%d.%d, ", i>>16&255, i>>8&255, i&255)
	}
	q := ParseQuery(b.String())
	if !q.Truncated || len(q.Items) != MaxQueryItems {
		t.Fatalf("truncated=%v items=%d", q.Truncated, len(q.Items))
	}
	notes := strings.Join(q.Notes, " ")
	if !strings.Contains(notes, "only the first 64 KiB was read") || !strings.Contains(notes, "first 1000 addresses") {
		t.Errorf("notes: %q", notes)
	}

	// A cut never splits a token: the last item read is a whole address.
	long := strings.Repeat("x", MaxQueryBytes-5) + " 52.112.0.1"
	q = ParseQuery(long)
	if !q.Truncated || len(q.Items) != 0 || len(q.Problems) != 0 {
		t.Errorf("cut token: %+v", q)
	}

	// One giant token is refused quietly, not echoed.
	q = ParseQuery(strings.Repeat("1", 60000))
	for _, p := range q.Problems {
		if len(p.Input) > 100 {
			t.Errorf("problem echoes %d bytes", len(p.Input))
		}
	}

	// Many bad tokens: the list is capped and the rest counted.
	q = ParseQuery(strings.Repeat("300.1.1.1 ", 500))
	if len(q.Problems) != maxQueryProblems || !strings.Contains(strings.Join(q.Notes, " "), "400 more") {
		t.Errorf("%d problems, notes %q", len(q.Problems), q.Notes)
	}
}

func itemsString(q Query) string {
	var parts []string
	for _, it := range q.Items {
		if it.Addr.IsValid() {
			parts = append(parts, it.Addr.String()+"("+it.Note+")")
		} else {
			parts = append(parts, "host:"+it.Host)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"52.112.0.1", "[2603:1063::1]:443", "fe80::1%eth0", "::ffff:1.2.3.4", "1.2.3.4/24", "a.b.com:443",
		"https://[::1]:80/x", "src=1.2.3.4:5 dst=[::1]", "300.1.1.1", "x:y:z", "[[[::]]]", "%%%", "::",
		"Received: from a.b (c.d [1.2.3.4]) by e.f", "http://", "://x", "[", "]:", "1.2.3.4.", "a..b",
		"tést.evil-two.example", "host[40.107.243.40]", "unknown[2001:db8::1]:25", "[IPv6:::1]", "micro\u200dsoft.com",
		"pаypal.com", "ｔｅａｍｓ．ｍｉｃｒｏｓｏｆｔ．ｃｏｍ", "１９２.０.２.１", "xn--tst-bma.example", "evil\u202emoc.example", "5.7.1",
	} {
		f.Add(s)
	}
	for _, l := range realLogLines {
		f.Add(l.line) // Postfix, Exim, sendmail, Received, IIS, Apache, Azure Firewall, Palo Alto, Windows events
	}
	f.Fuzz(func(t *testing.T, text string) {
		q := ParseQuery(text)
		if len(q.Items) > MaxQueryItems || len(q.Problems) > maxQueryProblems {
			t.Fatalf("%d items, %d problems", len(q.Items), len(q.Problems))
		}
		seen := map[string]bool{}
		for _, it := range q.Items {
			if it.Addr.IsValid() == (it.Host != "") {
				t.Fatalf("item %+v must be an address or a host", it)
			}
			if it.Addr.IsValid() && (it.Addr.Zone() != "" || it.Addr.Is4In6()) {
				t.Fatalf("address %s not normalised", it.Addr)
			}
			if it.Host != "" && !validHostName(it.Host) {
				t.Fatalf("host %q invalid", it.Host)
			}
			key := it.Host + it.Addr.String()
			if seen[key] {
				t.Fatalf("%s listed twice", key)
			}
			seen[key] = true
			if len(it.Input) > 200 || !utf8.ValidString(it.Input) && utf8.ValidString(text) {
				t.Fatalf("input echo %q", it.Input)
			}
		}
		// One token with letters beyond ASCII is one name: looked up whole, by its IDNA form,
		// never as a shorter name cut out of it.
		if !strings.ContainsFunc(text, isSeparator) && !isASCII(text) {
			for _, it := range q.Items {
				if it.Host != "" && !strings.Contains(text, "[") && !strings.Contains(text, "://") && it.Note == "" {
					t.Fatalf("%q: host %q found without saying it was converted", text, it.Host)
				}
			}
		}
		// Whatever was found is reproducible: parsing an item's own input finds it again.
		for _, it := range q.Items {
			if strings.HasSuffix(it.Input, "…") {
				continue
			}
			again := ParseQuery(it.Input)
			if len(again.Items) == 0 || again.Items[0].Addr != it.Addr || again.Items[0].Host != it.Host {
				t.Fatalf("%q: first parse %+v, again %+v", it.Input, it, again.Items)
			}
		}
	})
}
