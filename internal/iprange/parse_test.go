package iprange

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseEndpointsRealFiles(t *testing.T) {
	for _, f := range realFiles {
		if f.kind != KindM365 {
			continue
		}
		sets, err := ParseEndpoints(readData(t, f.file))
		if err != nil {
			t.Fatalf("%s: %v", f.file, err)
		}
		if got := GuessInstance(sets); got != f.instance {
			t.Errorf("%s: instance guessed %s, want %s", f.file, got, f.instance)
		}
		for _, s := range sets {
			if s.ServiceArea == "" || s.Category == "" {
				t.Errorf("%s: set %d incomplete: %+v", f.file, s.ID, s)
			}
		}
		if f.instance == InstanceWorldwide && len(sets) != 79 {
			t.Errorf("worldwide: %d sets, README says 79", len(sets))
		}
		if f.instance == InstanceChina {
			for _, s := range sets {
				if s.ID == 26 && s.UDPPorts != "" {
					t.Errorf(`china set 26: "udpPorts": "" parsed as %q`, s.UDPPorts)
				}
			}
		}
	}
}

func TestParseEndpointsHostile(t *testing.T) {
	base := `{"id":1,"serviceArea":"Exchange","serviceAreaDisplayName":"Exchange Online","expressRoute":true,"category":"Allow","required":true`
	tests := []struct {
		name, doc, wantErr string
	}{
		{"empty", ``, "document starts with nothing"},
		{"object", `{}`, "want a JSON array"},
		{"empty list", `[]`, "list is empty"},
		{"truncated", `[` + base, "unexpected end"},
		{"trailing garbage", `[` + base + `}] x`, "invalid character"},
		{"missing id", `[{"serviceArea":"Exchange","serviceAreaDisplayName":"x","expressRoute":true,"category":"Allow","required":true}]`, `"id" is missing`},
		{"missing required", `[{"id":1,"serviceArea":"Exchange","serviceAreaDisplayName":"x","expressRoute":true,"category":"Allow"}]`, `"required" is missing`},
		{"zero id", `[{"id":0,"serviceArea":"Exchange","serviceAreaDisplayName":"x","expressRoute":true,"category":"Allow","required":true}]`, "not a positive"},
		{"duplicate id", `[` + base + `},` + base + `}]`, "appears twice"},
		{"bad category", `[{"id":1,"serviceArea":"Exchange","serviceAreaDisplayName":"x","expressRoute":true,"category":"Block","required":true}]`, "not Optimize"},
		{"string bool", `[{"id":1,"serviceArea":"Exchange","serviceAreaDisplayName":"x","expressRoute":"true","category":"Allow","required":true}]`, "cannot unmarshal"},
		{"numeric port", `[` + base + `,"tcpPorts":443}]`, "cannot unmarshal"},
		{"port out of range", `[` + base + `,"tcpPorts":"80,70000"}]`, "out of range"},
		{"port zero", `[` + base + `,"tcpPorts":"0"}]`, "out of range"},
		{"port words", `[` + base + `,"udpPorts":"https"}]`, "not a port"},
		{"port range backwards", `[` + base + `,"udpPorts":"500-400"}]`, "backwards"},
		{"bad prefix", `[` + base + `,"ips":["13.107.6.152/33"]}]`, "not a CIDR prefix"},
		{"zone prefix", `[` + base + `,"ips":["fe80::%eth0/64"]}]`, "not a CIDR prefix"},
		{"mapped prefix", `[` + base + `,"ips":["::ffff:1.2.3.0/120"]}]`, "IPv4-mapped"},
		{"ips not list", `[` + base + `,"ips":"1.2.3.0/24"}]`, "cannot unmarshal"},
		{"url script", `[` + base + `,"urls":["<script>.example.com"]}]`, "not a host name pattern"},
		{"url with path", `[` + base + `,"urls":["example.com/x"]}]`, "not a host name pattern"},
		{"url only star", `[` + base + `,"urls":["*.*"]}]`, "not a host name pattern"},
		{"url too long", `[` + base + `,"urls":["` + strings.Repeat("a", 300) + `.com"]}]`, "length"},
		{"control char in notes", `[` + base + `,"notes":"a\u0000b"}]`, "control character"},
		{"huge notes", `[` + base + `,"notes":"` + strings.Repeat("x", 5000) + `"}]`, "limit"},
		{"bad service area", `[{"id":1,"serviceArea":"Ex<change","serviceAreaDisplayName":"x","expressRoute":true,"category":"Allow","required":true}]`, "character"},
		{"null element", `[null]`, `"id" is missing`},
		{"deep nesting", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sets, err := ParseEndpoints([]byte(tt.doc))
			if err == nil {
				t.Fatalf("parsed: %+v", sets)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q lacks %q", err, tt.wantErr)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
	big := make([]byte, MaxDocumentBytes+1)
	big[0] = '['
	if _, err := ParseEndpoints(big); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized: %v", err)
	}
}

func TestParseEndpointsQuirks(t *testing.T) {
	doc := "\xef\xbb\xbf" + `[{"id":26,"serviceArea":"Common","serviceAreaDisplayName":"Microsoft 365 Common and Office Online",
		"urls":["*.Teams.Microsoft.com."],"ips":["13.107.6.153/31"],"tcpPorts":"143, 587,993 ,995","udpPorts":"",
		"expressRoute":false,"category":"Default","required":false,"futureField":{"x":1}}]`
	sets, err := ParseEndpoints([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	s := sets[0]
	if s.TCPPorts != "143, 587, 993, 995" || s.UDPPorts != "" || s.URLs[0] != "*.teams.microsoft.com" ||
		s.IPs[0] != netip.MustParsePrefix("13.107.6.152/31") || s.Notes != "" {
		t.Errorf("got %+v", s)
	}
}

func TestParseM365Version(t *testing.T) {
	v, err := ParseM365Version([]byte(`{"instance":"Worldwide","latest":"2025120100"}`))
	if err != nil || v.Instance != InstanceWorldwide || v.Latest != "2025120100" {
		t.Fatalf("got %+v, %v", v, err)
	}
	for _, doc := range []string{``, `[]`, `{"instance":"Worldwide"}`, `{"instance":"Mars","latest":"2025120100"}`,
		`{"instance":"Worldwide","latest":"20251201x0"}`, `{"instance":"Worldwide","latest":2025120100}`, `{"instance":"Worldwide","latest":""}`} {
		if _, err := ParseM365Version([]byte(doc)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v", doc, err)
		}
	}
}

func TestParseServiceTagsRealFiles(t *testing.T) {
	want := map[string]struct{ tags, change int }{"Public": {3041, 376}, "AzureGovernment": {299, 402}, "China": {327, 405}}
	for _, f := range realFiles {
		if f.kind != KindServiceTags {
			continue
		}
		st, err := ParseServiceTags(readData(t, f.file))
		if err != nil {
			t.Fatalf("%s: %v", f.file, err)
		}
		w := want[f.instance]
		if st.Cloud != f.instance || len(st.Values) != w.tags || st.ChangeNumber != w.change {
			t.Errorf("%s: cloud %s, %d tags, change %d; want %+v", f.file, st.Cloud, len(st.Values), st.ChangeNumber, w)
		}
	}
	st, err := ParseServiceTags(readData(t, "ServiceTags_Public_20251103.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v4, v6 int
	uniq := map[netip.Prefix]bool{}
	for _, tag := range st.Values {
		for _, p := range tag.AddressPrefixes {
			if p.Addr().Is4() {
				v4++
			} else {
				v6++
			}
			uniq[p] = true
		}
	}
	if v4 != 71348 || v6 != 24475 || len(uniq) != 39638+13948 {
		t.Errorf("public: %d IPv4, %d IPv6, %d unique; README says 71348, 24475, %d", v4, v6, len(uniq), 39638+13948)
	}
}

func TestParseServiceTagsHostile(t *testing.T) {
	tag := `{"name":"Storage","id":"Storage","properties":{"changeNumber":1,"region":"","regionId":0,"platform":"Azure","systemService":"AzureStorage","addressPrefixes":["1.2.3.0/24"],"networkFeatures":null}}`
	doc := func(values string) string { return `{"changeNumber":5,"cloud":"Public","values":[` + values + `]}` }
	tests := []struct{ name, doc, wantErr string }{
		{"empty", ``, "starts with nothing"},
		{"array", `[]`, "want a JSON object"},
		{"no change number", `{"cloud":"Public","values":[` + tag + `]}`, "changeNumber"},
		{"negative change number", `{"changeNumber":-1,"cloud":"Public","values":[` + tag + `]}`, "changeNumber"},
		{"float change number", `{"changeNumber":1.5,"cloud":"Public","values":[` + tag + `]}`, "cannot unmarshal"},
		{"no cloud", `{"changeNumber":1,"values":[` + tag + `]}`, `"cloud" is missing`},
		{"bad cloud", `{"changeNumber":1,"cloud":"Pub lic\n","values":[` + tag + `]}`, "character"},
		{"no values", `{"changeNumber":1,"cloud":"Public"}`, "values"},
		{"truncated", doc(tag)[:200], "unexpected end"},
		{"duplicate tag", doc(tag + "," + tag), "appears twice"},
		{"no properties", doc(`{"name":"A","id":"A"}`), `"properties" is missing`},
		{"no prefixes", doc(`{"name":"A","id":"A","properties":{"changeNumber":1,"region":"","platform":"Azure","systemService":""}}`), "addressPrefixes"},
		{"bad prefix", doc(strings.Replace(tag, "1.2.3.0/24", "1.2.3.0/", 1)), "not a CIDR prefix"},
		{"prefix not string", doc(strings.Replace(tag, `"1.2.3.0/24"`, `123`, 1)), "cannot unmarshal"},
		{"bad feature", doc(strings.Replace(tag, `null`, `["N SG;"]`, 1)), "character"},
		{"empty name", doc(strings.Replace(tag, `"name":"Storage"`, `"name":""`, 1)), `"name" is empty`},
		{"name with html", doc(strings.Replace(tag, `"name":"Storage"`, `"name":"<b>x</b>"`, 1)), "character"},
		{"negative region id", doc(strings.Replace(tag, `"regionId":0`, `"regionId":-3`, 1)), "negative"},
		{"trailing data", doc(tag) + `{}`, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := ParseServiceTags([]byte(tt.doc))
			if err == nil {
				t.Fatalf("parsed: %+v", st)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q: want ErrInvalid and %q", err, tt.wantErr)
			}
		})
	}
	if _, err := ParseServiceTags([]byte(doc(tag))); err != nil {
		t.Errorf("valid minimal document: %v", err)
	}
}

func TestDetectKind(t *testing.T) {
	for _, f := range realFiles {
		k, err := DetectKind(readData(t, f.file))
		if err != nil || k != f.kind {
			t.Errorf("%s: %s, %v", f.file, k, err)
		}
	}
	for _, doc := range []string{``, `<html>`, `{"instance":"Worldwide","latest":"2025120100"}`, "\x00\x01"} {
		if _, err := DetectKind([]byte(doc)); err == nil {
			t.Errorf("%q: detected", doc)
		}
	}
}

func FuzzParseEndpoints(f *testing.F) {
	f.Add([]byte(`[{"id":1,"serviceArea":"Exchange","serviceAreaDisplayName":"Exchange Online","urls":["*.a.com"],"ips":["1.2.3.0/24","2603::/16"],"tcpPorts":"80, 443","udpPorts":"","expressRoute":true,"category":"Optimize","required":true,"notes":"n"}]`))
	f.Add([]byte(`[{"id":1}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"id":1,"serviceArea":"x","serviceAreaDisplayName":"x","expressRoute":true,"category":"Allow","required":true,"tcpPorts":"1-65535"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sets, err := ParseEndpoints(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		for _, s := range sets {
			if s.ID <= 0 {
				t.Fatalf("id %d", s.ID)
			}
			for _, p := range s.IPs {
				if !p.IsValid() || p != p.Masked() {
					t.Fatalf("prefix %v", p)
				}
			}
			for _, u := range s.URLs {
				if _, err := normalizePattern(u); err != nil {
					t.Fatalf("stored pattern %q does not validate: %v", u, err)
				}
			}
			if again, err := normalizePorts(s.TCPPorts); err != nil || again != s.TCPPorts {
				t.Fatalf("ports %q not canonical: %q %v", s.TCPPorts, again, err)
			}
		}
		// An index over any accepted document answers lookups without panicking.
		idx := newBuilder()
		for i := range sets {
			id := idx.addEntry(Match{Kind: KindM365, M365: &M365Entry{ID: sets[i].ID}})
			idx.addPrefixes(id, sets[i].IPs)
			idx.addPatterns(id, sets[i].URLs)
		}
		x := idx.finish()
		for _, s := range sets {
			for _, p := range s.IPs {
				if len(x.Lookup(p.Addr())) == 0 {
					t.Fatalf("own prefix %v not found", p)
				}
			}
			for _, u := range s.URLs {
				x.LookupHost(strings.ReplaceAll(u, "*", "x"))
			}
		}
	})
}

func FuzzParseServiceTags(f *testing.F) {
	f.Add([]byte(`{"changeNumber":5,"cloud":"Public","values":[{"name":"A","id":"A","properties":{"changeNumber":1,"region":"westeurope","regionId":18,"platform":"Azure","systemService":"S","addressPrefixes":["1.2.3.0/24","2603:1000::/25"],"networkFeatures":["API","NSG"]}}]}`))
	f.Add([]byte(`{"changeNumber":1,"cloud":"China","values":[]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseServiceTags(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if st.ChangeNumber <= 0 || st.Cloud == "" || len(st.Values) == 0 {
			t.Fatalf("accepted %+v", st)
		}
		names := map[string]bool{}
		for _, v := range st.Values {
			if v.Name == "" || names[v.Name] {
				t.Fatalf("tag name %q", v.Name)
			}
			names[v.Name] = true
			for _, p := range v.AddressPrefixes {
				if !p.IsValid() || p != p.Masked() || p.Addr().Zone() != "" {
					t.Fatalf("prefix %v", p)
				}
			}
		}
		if _, err := json.Marshal(st); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzFindServiceTagsLink(f *testing.F) {
	f.Add([]byte(`<a href="https://download.microsoft.com/download/7/1/D/ServiceTags_Public_20251103.json">x</a>`), "Public")
	f.Add([]byte(`{"url":"https:\/\/download.microsoft.com\/x\/ServiceTags_China_20260720.json"}`), "China")
	f.Add([]byte(`href="/dl/ServiceTags_Public_20259999.json"`), "Public")
	f.Fuzz(func(t *testing.T, page []byte, cloud string) {
		link, err := FindServiceTagsLink(page, "https://www.microsoft.com/en-us/download/details.aspx?id=56519", cloud)
		if err != nil {
			return
		}
		if !strings.HasPrefix(link, "https://") && !strings.HasPrefix(link, "http://") {
			t.Fatalf("link %q", link)
		}
		if !strings.Contains(link, "ServiceTags_"+cloud+"_") {
			t.Fatalf("link %q is not for %q", link, cloud)
		}
	})
}
