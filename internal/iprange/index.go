package iprange

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gaissmai/bart"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// M365Entry describes a matching Microsoft 365 endpoint set.
type M365Entry struct {
	Instance               string   `json:"instance"`
	Version                string   `json:"version,omitempty"`
	ID                     int      `json:"id"`
	ServiceArea            string   `json:"serviceArea"`
	ServiceAreaDisplayName string   `json:"serviceAreaDisplayName"`
	Category               string   `json:"category"`
	Required               bool     `json:"required"`
	ExpressRoute           bool     `json:"expressRoute"`
	TCPPorts               string   `json:"tcpPorts,omitempty"`
	UDPPorts               string   `json:"udpPorts,omitempty"`
	URLs                   []string `json:"urls,omitempty"`
	Notes                  string   `json:"notes,omitempty"`
}

// AzureEntry describes a matching Azure service tag.
type AzureEntry struct {
	Cloud            string   `json:"cloud"`
	Tag              string   `json:"tag"`
	Region           string   `json:"region,omitempty"`
	RegionID         int      `json:"regionId,omitempty"`
	SystemService    string   `json:"systemService,omitempty"`
	Platform         string   `json:"platform,omitempty"`
	ChangeNumber     int      `json:"changeNumber"`     // the tag's own change number
	FileChangeNumber int      `json:"fileChangeNumber"` // the whole file's, i.e. the source version
	NetworkFeatures  []string `json:"networkFeatures,omitempty"`
}

// Match is one entry that matched a lookup. Exactly one of M365 and Azure is set. The entries
// are shared by every lookup of an index: read them, do not modify them.
type Match struct {
	Kind    Kind         `json:"kind"`
	Prefix  netip.Prefix `json:"prefix,omitzero"`   // the matching prefix (address lookups)
	Pattern string       `json:"pattern,omitempty"` // the matching URL pattern (host lookups)
	M365    *M365Entry   `json:"m365,omitempty"`
	Azure   *AzureEntry  `json:"azure,omitempty"`
}

// Matched is what matched, as text: the prefix of an address lookup, the URL pattern of a host.
func (m Match) Matched() string {
	if m.Prefix.IsValid() {
		return m.Prefix.String()
	}
	return m.Pattern
}

// SourceStatus describes one source as loaded into an index, for the status line of a page.
type SourceStatus struct {
	Kind      Kind      `json:"kind"`
	Instance  string    `json:"instance"` // M365 instance or Azure cloud
	Version   string    `json:"version"`
	FetchedAt time.Time `json:"fetchedAt"`
	CheckedAt time.Time `json:"checkedAt"`
	URL       string    `json:"url"`
	Entries   int       `json:"entries"`  // endpoint sets or tags
	Prefixes  int       `json:"prefixes"` // prefix entries, as listed (with repeats across entries)
	// Err is why the stored source could not be loaded (Index) or refreshed (Service), ErrAt
	// when the refresh failed (zero for a source that did not load).
	Err   string    `json:"error,omitempty"`
	ErrAt time.Time `json:"errorAt,omitzero"`
}

// span locates one prefix's entry ids in Index.ids; a small value keeps the table compact.
type span struct{ off, n uint32 }

// Index is an immutable lookup structure over every prefix and URL pattern of a set of sources.
// It is safe for concurrent use.
type Index struct {
	table   bart.Table[span]
	ids     []int32 // entry ids per prefix, ascending, see span
	entries []Match // one per endpoint set or tag, Prefix and Pattern unset
	exact   map[string][]int32
	suffix  map[string][]int32 // "*.example.com" patterns, keyed "example.com"
	globs   []glob             // any other pattern with '*'
	status  []SourceStatus
}

type glob struct {
	pattern string
	ids     []int32
}

// Build parses the stored sources and indexes them. A source that does not parse is left out
// and named in the returned error; the index of the others is returned all the same, so one bad
// row cannot take the lookup down.
func Build(sources []model.IPSource) (*Index, error) {
	b := newBuilder()
	var errs []error
	for _, src := range sources {
		if err := b.add(src); err != nil {
			errs = append(errs, err)
			b.status = append(b.status, SourceStatus{Kind: Kind(src.Kind), Instance: src.Instance, Version: src.Version,
				FetchedAt: src.FetchedAt, CheckedAt: src.CheckedAt, URL: src.URL, Err: err.Error()})
		}
	}
	return b.finish(), errors.Join(errs...)
}

type builder struct {
	idx      *Index
	byPrefix map[netip.Prefix][]int32
	status   []SourceStatus
}

func newBuilder() *builder {
	return &builder{
		idx:      &Index{exact: map[string][]int32{}, suffix: map[string][]int32{}},
		byPrefix: map[netip.Prefix][]int32{},
	}
}

func (b *builder) add(src model.IPSource) error {
	st := SourceStatus{Kind: Kind(src.Kind), Instance: src.Instance, Version: src.Version,
		FetchedAt: src.FetchedAt, CheckedAt: src.CheckedAt, URL: src.URL}
	switch Kind(src.Kind) {
	case KindM365:
		sets, err := ParseEndpoints(src.Raw)
		if err != nil {
			return fmt.Errorf("m365 %s: %w", src.Instance, err)
		}
		for i := range sets {
			s := &sets[i]
			id := b.addEntry(Match{Kind: KindM365, M365: &M365Entry{
				Instance: src.Instance, Version: src.Version, ID: s.ID, ServiceArea: s.ServiceArea,
				ServiceAreaDisplayName: s.ServiceAreaDisplayName, Category: s.Category, Required: s.Required,
				ExpressRoute: s.ExpressRoute, TCPPorts: s.TCPPorts, UDPPorts: s.UDPPorts, URLs: s.URLs, Notes: s.Notes,
			}})
			b.addPrefixes(id, s.IPs)
			b.addPatterns(id, s.URLs)
			st.Prefixes += len(s.IPs)
		}
		st.Entries = len(sets)
	case KindServiceTags:
		tags, err := ParseServiceTags(src.Raw)
		if err != nil {
			return fmt.Errorf("service tags %s: %w", src.Instance, err)
		}
		for i := range tags.Values {
			t := &tags.Values[i]
			id := b.addEntry(Match{Kind: KindServiceTags, Azure: &AzureEntry{
				Cloud: tags.Cloud, Tag: t.Name, Region: t.Region, RegionID: t.RegionID, SystemService: t.SystemService,
				Platform: t.Platform, ChangeNumber: t.ChangeNumber, FileChangeNumber: tags.ChangeNumber,
				NetworkFeatures: t.NetworkFeatures,
			}})
			b.addPrefixes(id, t.AddressPrefixes)
			st.Prefixes += len(t.AddressPrefixes)
		}
		st.Entries = len(tags.Values)
	default:
		return fmt.Errorf("source %s/%s: unknown kind %q", src.Kind, src.Instance, src.Kind)
	}
	b.status = append(b.status, st)
	return nil
}

func (b *builder) addEntry(m Match) int32 {
	b.idx.entries = append(b.idx.entries, m)
	return int32(len(b.idx.entries) - 1)
}

// appendID appends id unless it is already the last one: entries are added in id order, so a
// prefix or pattern repeated within one entry is recorded once.
func appendID(ids []int32, id int32) []int32 {
	if n := len(ids); n > 0 && ids[n-1] == id {
		return ids
	}
	return append(ids, id)
}

func (b *builder) addPrefixes(id int32, ps []netip.Prefix) {
	for _, p := range ps {
		b.byPrefix[p] = appendID(b.byPrefix[p], id)
	}
}

func (b *builder) addPatterns(id int32, patterns []string) {
	idx := b.idx
	for _, p := range patterns {
		switch {
		case !strings.Contains(p, "*"):
			idx.exact[p] = appendID(idx.exact[p], id)
		case strings.HasPrefix(p, "*.") && !strings.Contains(p[2:], "*"):
			idx.suffix[p[2:]] = appendID(idx.suffix[p[2:]], id)
		default:
			i := slices.IndexFunc(idx.globs, func(g glob) bool { return g.pattern == p })
			if i < 0 {
				idx.globs = append(idx.globs, glob{pattern: p})
				i = len(idx.globs) - 1
			}
			idx.globs[i].ids = appendID(idx.globs[i].ids, id)
		}
	}
}

func (b *builder) finish() *Index {
	idx := b.idx
	// Insert in a fixed order so the index is the same whatever the map order.
	prefixes := make([]netip.Prefix, 0, len(b.byPrefix))
	total := 0
	for p, ids := range b.byPrefix {
		prefixes = append(prefixes, p)
		total += len(ids)
	}
	slices.SortFunc(prefixes, comparePrefix)
	idx.ids = make([]int32, 0, total)
	for _, p := range prefixes {
		ids := b.byPrefix[p]
		idx.table.Insert(p, span{off: uint32(len(idx.ids)), n: uint32(len(ids))})
		idx.ids = append(idx.ids, ids...)
	}
	// Longer literal text first: the more specific pattern is listed first.
	slices.SortStableFunc(idx.globs, func(a, b glob) int {
		return cmp.Compare(len(strings.ReplaceAll(b.pattern, "*", "")), len(strings.ReplaceAll(a.pattern, "*", "")))
	})
	idx.status = b.status
	return idx
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

// Lookup returns every entry with a prefix containing addr, most specific prefix first; entries
// under the same prefix keep source order (Microsoft 365 before service tags). An entry matched
// by several of its prefixes is listed once, under the most specific. Zones are ignored and
// IPv4-mapped IPv6 addresses are looked up as IPv4. It returns nil when nothing matches.
func (x *Index) Lookup(addr netip.Addr) []Match {
	if x == nil || !addr.IsValid() {
		return nil
	}
	addr = addr.WithZone("").Unmap()
	var out []Match
	for pfx, sp := range x.table.Supernets(netip.PrefixFrom(addr, addr.BitLen())) {
		for _, id := range x.ids[sp.off : sp.off+sp.n] {
			if containsEntry(out, x.entries[id]) {
				continue
			}
			m := x.entries[id]
			m.Prefix = pfx
			out = append(out, m)
		}
	}
	return out
}

// containsEntry reports whether out already holds entry e; matches are few, a scan is cheapest.
func containsEntry(out []Match, e Match) bool {
	for i := range out {
		if out[i].M365 == e.M365 && out[i].Azure == e.Azure {
			return true
		}
	}
	return false
}

// LookupHost returns every endpoint set whose URL patterns match host: exact names first, then
// "*.domain" patterns from the longest domain, then other wildcard patterns. host may be a URL
// or carry a port; a host that is an IP address literal is looked up as an address.
func (x *Index) LookupHost(host string) []Match {
	if x == nil {
		return nil
	}
	hp, ok := normalizeHost(host)
	if !ok {
		return nil
	}
	if hp.addr.IsValid() {
		return x.Lookup(hp.addr)
	}
	h := hp.host
	var out []Match
	add := func(ids []int32, pattern string) {
		for _, id := range ids {
			if containsEntry(out, x.entries[id]) {
				continue
			}
			m := x.entries[id]
			m.Pattern = pattern
			out = append(out, m)
		}
	}
	add(x.exact[h], h)
	for i := 0; i < len(h); i++ {
		if h[i] == '.' {
			if ids, ok := x.suffix[h[i+1:]]; ok {
				add(ids, "*."+h[i+1:])
			}
		}
	}
	for _, g := range x.globs {
		// Patterns hold only [a-z0-9._*-], so path.Match's '*' (any run of non-'/' bytes) is
		// the PAC-file meaning of '*' and the pattern can never be malformed.
		if ok, _ := path.Match(g.pattern, h); ok {
			add(g.ids, g.pattern)
		}
	}
	return out
}

// Sources describes the sources in the index (and those that failed to load), in load order.
func (x *Index) Sources() []SourceStatus {
	if x == nil {
		return nil
	}
	return slices.Clone(x.status)
}

// Len returns the number of distinct prefixes and the number of entries (sets and tags).
func (x *Index) Len() (prefixes, entries int) {
	if x == nil {
		return 0, 0
	}
	return x.table.Size(), len(x.entries)
}

// hostParse is what normalizeHost found.
type hostParse struct {
	host    string     // lower-case ASCII host name, "" for an address
	addr    netip.Addr // set when the host is an IP literal
	note    string     // what was changed to look it up (an internationalised name's ASCII form)
	problem string     // set when the text is written as a host name that IDNA refuses
}

// normalizeHost turns a host name, host:port or URL into a lower-case ASCII host name without a
// trailing dot (internationalised names by their IDNA form), or an address when the host is an
// IP literal. ok is false for anything that is neither; problem then says why a name that
// looked like one is not.
func normalizeHost(s string) (hostParse, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2048 {
		return hostParse{}, false
	}
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
		if j := strings.IndexAny(s, "/?#"); j >= 0 {
			s = s[:j]
		}
		if j := strings.LastIndexByte(s, '@'); j >= 0 {
			s = s[j+1:]
		}
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return hostParse{addr: a}, true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return hostParse{addr: ap.Addr()}, true
	}
	if h, port, found := strings.Cut(s, ":"); found {
		if _, err := parsePort(port); err != nil {
			return hostParse{}, false
		}
		s = h
	}
	var note string
	if !isASCII(s) || hasPunycode(s) {
		h, a, n, err := idnHost(s)
		if err != nil {
			if strings.ContainsAny(s, "."+idnaDots) {
				return hostParse{problem: err.Error()}, false
			}
			return hostParse{}, false
		}
		if a.IsValid() {
			return hostParse{addr: a, note: n}, true
		}
		s, note = h, n
	}
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	if !validHostName(s) {
		return hostParse{}, false
	}
	return hostParse{host: s, note: note}, true
}

// validHostName reports whether s is a DNS name with at least two labels (letters, digits,
// hyphens, underscores; no label longer than 63 bytes) and a top-level label that is not
// all digits (so "1.2.3" is not a host).
func validHostName(s string) bool {
	if len(s) == 0 || len(s) > maxHostLen {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.Trim(tld, "0123456789") != ""
}
