package iprange

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// indexLooker serves lookups from one index, with the index's sources as status.
type indexLooker struct{ *Index }

func (l indexLooker) Status() []SourceStatus { return l.Sources() }

func TestLookupText(t *testing.T) {
	l := indexLooker{realIndex(t)}
	text := "Blocked 52.112.0.1:3478 and fe80::1%eth0, then api.teams.microsoft.com, 192.0.2.7 and 999.1.2.3; 52.112.0.1 again"
	res := LookupText(l, text)

	if res.Query != text || !res.HasData || res.Truncated || len(res.Sources) != len(realFiles) {
		t.Fatalf("query %q hasData %v truncated %v sources %d", res.Query, res.HasData, res.Truncated, len(res.Sources))
	}
	var subjects []string
	for _, it := range res.Items {
		subjects = append(subjects, it.Subject())
		if (it.Address == "") == (it.Host == "") {
			t.Errorf("%q: want exactly one of address and host, got %q and %q", it.Input, it.Address, it.Host)
		}
		if it.Microsoft != (len(it.Matches) > 0) || it.Matches == nil {
			t.Errorf("%q: microsoft %v with %d matches (nil %v)", it.Input, it.Microsoft, len(it.Matches), it.Matches == nil)
		}
	}
	want := []string{"52.112.0.1", "fe80::1", "api.teams.microsoft.com", "192.0.2.7"}
	if !slices.Equal(subjects, want) {
		t.Fatalf("subjects = %q, want %q", subjects, want)
	}
	teams := res.Items[0]
	if teams.Input != "52.112.0.1:3478" || hasM365(teams.Matches, InstanceWorldwide, 11) == nil {
		t.Errorf("teams address: input %q, matches %v", teams.Input, describe(teams.Matches))
	}
	if res.Items[1].Note == "" || res.Items[1].Microsoft {
		t.Errorf("link-local address: %+v", res.Items[1])
	}
	host := res.Items[2]
	if !host.Microsoft || hasM365(host.Matches, InstanceWorldwide, 12) == nil {
		t.Errorf("teams host: %v", describe(host.Matches))
	}
	if res.Items[3].Microsoft {
		t.Errorf("documentation address matched: %v", describe(res.Items[3].Matches))
	}
	if len(res.Problems) != 1 || res.Problems[0].Input != "999.1.2.3" {
		t.Errorf("problems = %+v", res.Problems)
	}
}

// TestLookupTextJSON pins the wire shape of /api/ip and `ip lookup -json`: clients parse it.
func TestLookupTextJSON(t *testing.T) {
	empty, _ := Build(nil)
	never := fakeLooker{status: []SourceStatus{{Kind: KindM365, Instance: InstanceWorldwide}}}
	tests := []struct {
		name string
		l    Looker
		text string
		want string
	}{
		{"no data", never, "192.0.2.1 example.com", `{"query":"192.0.2.1 example.com","items":[` +
			`{"input":"192.0.2.1","address":"192.0.2.1","microsoft":false,"matches":[]},` +
			`{"input":"example.com","host":"example.com","microsoft":false,"matches":[]}],` +
			`"problems":[],"truncated":false,"sources":SOURCES,"hasData":false}`},
		{"nothing found", indexLooker{empty}, "hello world", `{"query":"hello world","items":[],"problems":[],"truncated":false,"sources":SOURCES,"hasData":false}`},
		{"problem and match", fakeLooker{
			status: []SourceStatus{{Kind: KindM365, Instance: InstanceWorldwide, FetchedAt: time.Unix(1, 0).UTC()}},
			match:  Match{Kind: KindM365, Prefix: netip.MustParsePrefix("52.112.0.0/14"), M365: &M365Entry{Instance: InstanceWorldwide, ID: 11}},
		}, "1.2.3.4.5 [52.112.0.1]", `{"query":"1.2.3.4.5 [52.112.0.1]","items":[` +
			`{"input":"[52.112.0.1]","address":"52.112.0.1","microsoft":true,"matches":[{"kind":"m365","prefix":"52.112.0.0/14",` +
			`"m365":{"instance":"Worldwide","id":11,"serviceArea":"","serviceAreaDisplayName":"","category":"","required":false,"expressRoute":false}}]}],` +
			`"problems":[{"input":"1.2.3.4.5","message":"` + ParseQuery("1.2.3.4.5").Problems[0].Message + `"}],"truncated":false,` +
			`"sources":SOURCES,"hasData":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(LookupText(tt.l, tt.text))
			if err != nil {
				t.Fatal(err)
			}
			// SourceStatus has its own shape; only its place in the answer is pinned here.
			src, err := json.Marshal(LookupText(tt.l, "").Sources)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Replace(tt.want, "SOURCES", string(src), 1); string(b) != want {
				t.Errorf("got  %s\nwant %s", b, want)
			}
		})
	}
}

// fakeLooker matches every address with one match and no host name.
type fakeLooker struct {
	status []SourceStatus
	match  Match
}

func (f fakeLooker) Lookup(netip.Addr) []Match {
	if f.match.Kind == "" {
		return nil
	}
	return []Match{f.match}
}
func (f fakeLooker) LookupHost(string) []Match { return nil }
func (f fakeLooker) Status() []SourceStatus    { return f.status }

func TestLookupTextTruncated(t *testing.T) {
	text := strings.Repeat("192.0.2.1 ", MaxQueryBytes/10+100)
	res := LookupText(fakeLooker{}, text)
	if !res.Truncated || len(res.Query) != MaxQueryBytes || len(res.Notes) == 0 || len(res.Items) != 1 {
		t.Errorf("truncated %v, query %d bytes, notes %q, items %d", res.Truncated, len(res.Query), res.Notes, len(res.Items))
	}
	if res.Sources == nil || res.Problems == nil {
		t.Errorf("nil slices: sources %v problems %v", res.Sources, res.Problems)
	}
}

func FuzzLookupText(f *testing.F) {
	for _, s := range []string{"", "52.112.0.1", "a.teams.microsoft.com, 2603:1063::1%1", "1.2.3.4.5 [::1]:443", "\xff\x00 http://x/"} {
		f.Add(s)
	}
	l := fakeLooker{match: Match{Kind: KindServiceTags, Azure: &AzureEntry{Cloud: "Public", Tag: "AzureCloud"}}}
	f.Fuzz(func(t *testing.T, text string) {
		res := LookupText(l, text)
		if res.Items == nil || res.Problems == nil || len(res.Query) > MaxQueryBytes {
			t.Fatalf("items %v problems %v query %d bytes", res.Items, res.Problems, len(res.Query))
		}
		for _, it := range res.Items {
			if (it.Address == "") == (it.Host == "") || it.Microsoft != (it.Address != "") {
				t.Fatalf("item %+v", it)
			}
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatal(err)
		}
	})
}
