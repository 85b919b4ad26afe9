package iprange

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func hasM365(ms []Match, instance string, id int) *Match {
	for i := range ms {
		if m := ms[i].M365; m != nil && m.Instance == instance && m.ID == id {
			return &ms[i]
		}
	}
	return nil
}

func hasTag(ms []Match, cloud, tag string) *Match {
	for i := range ms {
		if a := ms[i].Azure; a != nil && a.Cloud == cloud && a.Tag == tag {
			return &ms[i]
		}
	}
	return nil
}

func TestLookupTeamsAddress(t *testing.T) {
	idx := realIndex(t)
	for _, addr := range []string{"52.112.0.1", "52.115.255.254", "2603:1063::1", "2603:1063:3ff:ffff:ffff:ffff:ffff:ffff"} {
		ms := idx.Lookup(netip.MustParseAddr(addr))
		opt, allow := hasM365(ms, InstanceWorldwide, 11), hasM365(ms, InstanceWorldwide, 12)
		if opt == nil || allow == nil {
			t.Fatalf("%s: want Worldwide sets 11 and 12, got %v", addr, describe(ms))
		}
		if opt.M365.Category != "Optimize" || allow.M365.Category != "Allow" || !opt.M365.Required || !allow.M365.Required {
			t.Errorf("%s: set 11 = %+v, set 12 = %+v", addr, *opt.M365, *allow.M365)
		}
		if opt.M365.ServiceAreaDisplayName != "Microsoft Teams" || opt.M365.UDPPorts != "3478, 3479, 3480, 3481" || !opt.M365.ExpressRoute {
			t.Errorf("%s: set 11 = %+v", addr, *opt.M365)
		}
		if !slices.Contains(allow.M365.URLs, "*.teams.microsoft.com") || allow.M365.TCPPorts != "80, 443" {
			t.Errorf("%s: set 12 = %+v", addr, *allow.M365)
		}
		want := "52.112.0.0/14"
		if strings.Contains(addr, ":") {
			want = "2603:1063::/38"
		}
		if opt.Prefix.String() != want {
			t.Errorf("%s: set 11 matched by %s, want %s", addr, opt.Prefix, want)
		}
		checkOrder(t, addr, ms)
	}
}

func TestLookupStorageWestEurope(t *testing.T) {
	idx := realIndex(t)
	var st ServiceTags
	for _, src := range loadRealSources(t) {
		if src.Instance == "Public" {
			p, err := ParseServiceTags(src.Raw)
			if err != nil {
				t.Fatal(err)
			}
			st = *p
		}
	}
	var v4, v6 netip.Prefix
	for _, tag := range st.Values {
		if tag.Name != "Storage.WestEurope" {
			continue
		}
		for _, p := range tag.AddressPrefixes {
			if p.Addr().Is4() && !v4.IsValid() {
				v4 = p
			}
			if p.Addr().Is6() && !v6.IsValid() {
				v6 = p
			}
		}
	}
	if !v4.IsValid() || !v6.IsValid() {
		t.Fatalf("Storage.WestEurope has no IPv4 or IPv6 prefix: %v %v", v4, v6)
	}
	for _, p := range []netip.Prefix{v4, v6} {
		addr := p.Addr().Next()
		ms := idx.Lookup(addr)
		storage, region, cloud := hasTag(ms, "Public", "Storage.WestEurope"), hasTag(ms, "Public", "AzureCloud.westeurope"), hasTag(ms, "Public", "AzureCloud")
		if storage == nil || region == nil || cloud == nil {
			t.Fatalf("%s: want Storage.WestEurope, AzureCloud.westeurope, AzureCloud; got %v", addr, describe(ms))
		}
		if storage.Prefix != p || storage.Azure.Region != "westeurope" || storage.Azure.SystemService != "AzureStorage" ||
			storage.Azure.FileChangeNumber != 376 || storage.Azure.Platform != "Azure" {
			t.Errorf("%s: storage match = %+v %+v", addr, storage, *storage.Azure)
		}
		if storage.Prefix.Bits() < cloud.Prefix.Bits() {
			t.Errorf("%s: AzureCloud prefix %s more specific than Storage %s", addr, cloud.Prefix, storage.Prefix)
		}
		checkOrder(t, addr.String(), ms)
	}
}

func TestLookupMisses(t *testing.T) {
	idx := realIndex(t)
	for _, a := range []string{"192.0.2.1", "10.1.2.3", "127.0.0.1", "::1", "2001:db8::1", "0.0.0.0", "255.255.255.255"} {
		if ms := idx.Lookup(netip.MustParseAddr(a)); len(ms) != 0 {
			t.Errorf("%s: want no match, got %v", a, describe(ms))
		}
	}
	if ms := idx.Lookup(netip.Addr{}); ms != nil {
		t.Errorf("zero address: %v", ms)
	}
	var nilIdx *Index
	if ms := nilIdx.Lookup(netip.MustParseAddr("52.112.0.1")); ms != nil {
		t.Errorf("nil index: %v", ms)
	}
}

func TestLookupMappedAndZoned(t *testing.T) {
	idx := realIndex(t)
	plain := idx.Lookup(netip.MustParseAddr("52.112.0.1"))
	mapped := idx.Lookup(netip.MustParseAddr("::ffff:52.112.0.1"))
	if len(plain) == 0 || !slices.EqualFunc(plain, mapped, sameMatch) {
		t.Errorf("mapped lookup differs: %v vs %v", describe(mapped), describe(plain))
	}
	z := idx.Lookup(netip.MustParseAddr("2603:1063::1%eth0"))
	if hasM365(z, InstanceWorldwide, 11) == nil {
		t.Errorf("zoned lookup: %v", describe(z))
	}
}

func TestLookupHost(t *testing.T) {
	idx := realIndex(t)
	tests := []struct {
		host    string
		set     int
		pattern string
	}{
		{"teams.microsoft.com", 12, "teams.microsoft.com"},
		{"x.y.teams.microsoft.com", 12, "*.teams.microsoft.com"},
		{"https://Foo.Teams.Microsoft.com./path?q=1", 12, "*.teams.microsoft.com"},
		{"foo.teams.microsoft.com:443", 12, "*.teams.microsoft.com"},
		{"outlook.office365.com", 1, "outlook.office365.com"},
		{"autodiscover.contoso.onmicrosoft.com", 0, "autodiscover.*.onmicrosoft.com"},
		{"abccdn.onenote.net", 0, "*cdn.onenote.net"},
	}
	for _, tt := range tests {
		ms := idx.LookupHost(tt.host)
		found := false
		for _, m := range ms {
			if m.M365 != nil && m.M365.Instance == InstanceWorldwide && (tt.set == 0 || m.M365.ID == tt.set) && m.Pattern == tt.pattern {
				found = true
			}
			if m.Prefix.IsValid() {
				t.Errorf("%s: host match with a prefix: %+v", tt.host, m)
			}
		}
		if !found {
			t.Errorf("%s: want Worldwide set %d via %q, got %v", tt.host, tt.set, tt.pattern, describe(ms))
		}
	}
	// Exact matches come before wildcards.
	ms := idx.LookupHost("teams.microsoft.com")
	if len(ms) == 0 || strings.Contains(ms[0].Pattern, "*") {
		t.Errorf("teams.microsoft.com: first match %v", describe(ms))
	}
	for _, h := range []string{"microsoft.com.evil.example", "teamsXmicrosoft.com", "", "not a host", "lync.com", "a..b", strings.Repeat("a.", 300) + "com"} {
		if ms := idx.LookupHost(h); len(ms) != 0 {
			t.Errorf("%q: want nothing, got %v", h, describe(ms))
		}
	}
	// An IP literal is looked up as an address.
	if hasM365(idx.LookupHost("https://[2603:1063::1]:443/x"), InstanceWorldwide, 11) == nil {
		t.Error("IP literal URL not looked up as an address")
	}
}

func TestMatchJSON(t *testing.T) {
	ms := realIndex(t).Lookup(netip.MustParseAddr("52.112.0.1"))
	b, err := json.Marshal(ms)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"kind":"m365"`, `"prefix":"52.112.0.0/14"`, `"category":"Optimize"`, `"required":true`, `"serviceAreaDisplayName":"Microsoft Teams"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s: %.300s", want, s)
		}
	}
	if strings.Contains(s, `"pattern"`) || strings.Contains(s, `"azure":null`) {
		t.Errorf("JSON has empty fields: %.300s", s)
	}
}

func TestSourcesStatus(t *testing.T) {
	st := realIndex(t).Sources()
	if len(st) != len(realFiles) {
		t.Fatalf("got %d sources", len(st))
	}
	for _, s := range st {
		if s.Err != "" || s.Entries == 0 || s.Prefixes == 0 || s.FetchedAt.IsZero() {
			t.Errorf("status %+v", s)
		}
		if s.Kind == KindServiceTags && s.Instance == "Public" && (s.Entries != 3041 || s.Prefixes != 71348+24475) {
			t.Errorf("public: %d tags, %d prefixes; README says 3041 and %d", s.Entries, s.Prefixes, 71348+24475)
		}
	}
}

func TestBuildSkipsBadSource(t *testing.T) {
	srcs := slices.Clone(loadRealSources(t)[:1])
	srcs = append(srcs, model.IPSource{Kind: "servicetags", Instance: "Public", Version: "1", Raw: []byte(`{"changeNumber":1`)})
	idx, err := Build(srcs)
	if err == nil || !strings.Contains(err.Error(), "Public") {
		t.Fatalf("err = %v", err)
	}
	if hasM365(idx.Lookup(netip.MustParseAddr("52.112.0.1")), srcs[0].Instance, 11) == nil && srcs[0].Instance == InstanceWorldwide {
		t.Error("good source lost")
	}
	var bad int
	for _, s := range idx.Sources() {
		if s.Err != "" {
			bad++
		}
	}
	if bad != 1 {
		t.Errorf("%d sources with an error, want 1", bad)
	}
}

// checkOrder asserts most-specific-first and that no entry is listed twice.
func checkOrder(t *testing.T, addr string, ms []Match) {
	t.Helper()
	seen := map[string]bool{}
	for i, m := range ms {
		if i > 0 && m.Prefix.Bits() > ms[i-1].Prefix.Bits() {
			t.Errorf("%s: match %d (%s) more specific than match %d (%s)", addr, i, m.Prefix, i-1, ms[i-1].Prefix)
		}
		k := entryKey(m)
		if seen[k] {
			t.Errorf("%s: %s listed twice", addr, k)
		}
		seen[k] = true
	}
}

func entryKey(m Match) string {
	if m.M365 != nil {
		return fmt.Sprintf("m365/%s/%d", m.M365.Instance, m.M365.ID)
	}
	return fmt.Sprintf("tag/%s/%s", m.Azure.Cloud, m.Azure.Tag)
}

func sameMatch(a, b Match) bool { return entryKey(a) == entryKey(b) && a.Prefix == b.Prefix }

func describe(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, entryKey(m)+"@"+m.Prefix.String()+m.Pattern)
	}
	return out
}

// refEntry is one (entry, prefix) pair of the reference data, parsed independently of the index.
type refEntry struct {
	key    string
	order  int
	prefix netip.Prefix
}

func referencePairs(t testing.TB) []refEntry {
	t.Helper()
	var out []refEntry
	order := 0
	for _, src := range loadRealSources(t) {
		switch Kind(src.Kind) {
		case KindM365:
			sets, err := ParseEndpoints(src.Raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sets {
				for _, p := range s.IPs {
					out = append(out, refEntry{fmt.Sprintf("m365/%s/%d", src.Instance, s.ID), order, p})
				}
				order++
			}
		case KindServiceTags:
			st, err := ParseServiceTags(src.Raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, tag := range st.Values {
				for _, p := range tag.AddressPrefixes {
					out = append(out, refEntry{fmt.Sprintf("tag/%s/%s", st.Cloud, tag.Name), order, p})
				}
				order++
			}
		}
	}
	return out
}

// linearLookup is the reference answer: scan every pair, keep each entry's most specific
// matching prefix, order by prefix length (longest first), then source order.
func linearLookup(pairs []refEntry, addr netip.Addr) []refEntry {
	best := map[string]refEntry{}
	for _, p := range pairs {
		if p.prefix.Contains(addr) {
			if b, ok := best[p.key]; !ok || p.prefix.Bits() > b.prefix.Bits() {
				best[p.key] = p
			}
		}
	}
	out := make([]refEntry, 0, len(best))
	for _, b := range best {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b refEntry) int {
		if c := cmp.Compare(b.prefix.Bits(), a.prefix.Bits()); c != 0 {
			return c
		}
		return cmp.Compare(a.order, b.order)
	})
	return out
}

// randomInPrefix returns a random address inside p.
func randomInPrefix(r *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		if r.IntN(2) == 1 {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func randomAddr(r *rand.Rand) netip.Addr {
	if r.IntN(2) == 0 {
		var b [4]byte
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	// Keep most IPv6 addresses near Microsoft's space so some of them match.
	if r.IntN(4) != 0 {
		b[0], b[1] = 0x26, 0x03
	}
	return netip.AddrFrom16(b)
}

// TestLookupMatchesLinearScan is the property test: for seeded random addresses, half of them
// drawn from inside known prefixes, the index answers exactly what a linear scan answers.
func TestLookupMatchesLinearScan(t *testing.T) {
	idx := realIndex(t)
	pairs := referencePairs(t)
	r := rand.New(rand.NewPCG(42, 2026))
	n := 3000
	if testing.Short() {
		n = 300
	}
	matched := 0
	for i := range n {
		var addr netip.Addr
		if i%2 == 0 {
			addr = randomAddr(r)
		} else {
			p := pairs[r.IntN(len(pairs))].prefix
			addr = randomInPrefix(r, p)
			if i%6 == 1 { // the edges of a prefix
				addr = p.Masked().Addr()
			}
		}
		got := idx.Lookup(addr)
		want := linearLookup(pairs, addr)
		if len(got) > 0 {
			matched++
		}
		if len(got) != len(want) {
			t.Fatalf("%s: index %d matches %v, linear %d", addr, len(got), describe(got), len(want))
		}
		for j := range want {
			if entryKey(got[j]) != want[j].key || got[j].Prefix != want[j].prefix {
				t.Fatalf("%s: match %d: index %s@%s, linear %s@%s", addr, j, entryKey(got[j]), got[j].Prefix, want[j].key, want[j].prefix)
			}
		}
	}
	if matched < n/2 {
		t.Errorf("only %d of %d addresses matched anything; the test is not exercising the index", matched, n)
	}
}

// linearIndex is the baseline of the benchmark: the same distinct prefixes and entry lists as
// the index, scanned one by one.
type linearIndex struct {
	prefixes []netip.Prefix
	spans    []span
	x        *Index
}

func newLinear(x *Index) *linearIndex {
	l := &linearIndex{x: x}
	for p, sp := range x.table.All() {
		l.prefixes = append(l.prefixes, p)
		l.spans = append(l.spans, sp)
	}
	return l
}

func (l *linearIndex) lookup(addr netip.Addr) []Match {
	var out []Match
	for i, p := range l.prefixes {
		if p.Contains(addr) {
			sp := l.spans[i]
			for _, id := range l.x.ids[sp.off : sp.off+sp.n] {
				m := l.x.entries[id]
				m.Prefix = p
				out = append(out, m)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Match) int { return cmp.Compare(b.Prefix.Bits(), a.Prefix.Bits()) })
	return out
}

func benchAddrs(tb testing.TB, n int) []netip.Addr {
	pairs := referencePairs(tb)
	r := rand.New(rand.NewPCG(7, 7))
	addrs := make([]netip.Addr, n)
	for i := range addrs {
		if i%2 == 0 {
			addrs[i] = randomAddr(r)
		} else {
			addrs[i] = randomInPrefix(r, pairs[r.IntN(len(pairs))].prefix)
		}
	}
	return addrs
}

// BenchmarkLookup prints single lookups per second and the time for 10,000 addresses for the
// index and for a linear scan over the same prefixes, their ratio, and the index's memory.
func BenchmarkLookup(b *testing.B) {
	idx := realIndex(b)
	lin := newLinear(idx)
	addrs := benchAddrs(b, 10_000)

	b.Run("index/single", func(b *testing.B) {
		i := 0
		for b.Loop() {
			idx.Lookup(addrs[i%len(addrs)])
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
	b.Run("linear/single", func(b *testing.B) {
		i := 0
		for b.Loop() {
			lin.lookup(addrs[i%len(addrs)])
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
	b.Run("10k", func(b *testing.B) {
		var tIdx, tLin time.Duration
		for b.Loop() {
			start := time.Now()
			for _, a := range addrs {
				idx.Lookup(a)
			}
			tIdx += time.Since(start)
			start = time.Now()
			for _, a := range addrs {
				lin.lookup(a)
			}
			tLin += time.Since(start)
		}
		n := float64(b.N)
		b.ReportMetric(tIdx.Seconds()*1000/n, "index-ms/10k")
		b.ReportMetric(tLin.Seconds()*1000/n, "linear-ms/10k")
		b.ReportMetric(tLin.Seconds()/tIdx.Seconds(), "speedup")
	})
	b.Run("memory", func(b *testing.B) {
		srcs := loadRealSources(b)
		var heap uint64
		for b.Loop() {
			heap = indexHeap(srcs)
		}
		pfx, entries := idx.Len()
		b.ReportMetric(float64(heap)/(1<<20), "index-MiB")
		b.ReportMetric(float64(pfx), "prefixes")
		b.ReportMetric(float64(entries), "entries")
	})
}

// indexHeap measures the live heap an index of srcs keeps (the raw JSON excluded).
func indexHeap(srcs []model.IPSource) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	idx, _ := Build(srcs)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(idx)
	return after.HeapAlloc - before.HeapAlloc
}

func TestIndexMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	srcs := loadRealSources(t)
	heap := indexHeap(srcs)
	pfx, entries := realIndex(t).Len()
	t.Logf("index of %d distinct prefixes, %d entries: %.1f MiB live heap", pfx, entries, float64(heap)/(1<<20))
	if heap > 256<<20 {
		t.Errorf("index takes %d MiB", heap>>20)
	}
}
