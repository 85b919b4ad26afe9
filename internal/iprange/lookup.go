package iprange

import "net/netip"

// Looker answers lookups and says what is loaded. *Service implements it.
type Looker interface {
	Lookup(addr netip.Addr) []Match
	LookupHost(host string) []Match
	Status() []SourceStatus
}

// LookupResult is one lookup of pasted text: every address and host name found in it and what
// matched each. Its JSON is the answer of /api/ip and of `tenantdesk ip lookup -json`; slices
// are never nil, so clients always get arrays.
type LookupResult struct {
	Query     string         `json:"query"` // the text, as far as it was read
	Items     []LookupItem   `json:"items"`
	Problems  []QueryProblem `json:"problems"`
	Notes     []string       `json:"notes,omitempty"`
	Truncated bool           `json:"truncated"`
	Sources   []SourceStatus `json:"sources"`
	HasData   bool           `json:"hasData"` // some source is loaded, so "no match" means something
}

// LookupItem is one address or host name and every match, most specific first. Exactly one of
// Address and Host is set.
type LookupItem struct {
	Input     string  `json:"input"`
	Address   string  `json:"address,omitempty"`
	Host      string  `json:"host,omitempty"`
	Note      string  `json:"note,omitempty"`
	Microsoft bool    `json:"microsoft"`
	Matches   []Match `json:"matches"`
}

// Subject is the address or host name that was looked up.
func (it LookupItem) Subject() string {
	if it.Address != "" {
		return it.Address
	}
	return it.Host
}

// LookupText parses text with ParseQuery and looks up every address and host name in it. It
// never fails: text without any address gives no Items, and the Problems say why.
func LookupText(l Looker, text string) LookupResult {
	q := ParseQuery(text)
	res := LookupResult{
		Query:     text,
		Items:     make([]LookupItem, len(q.Items)),
		Problems:  q.Problems,
		Notes:     q.Notes,
		Truncated: q.Truncated,
		Sources:   l.Status(),
	}
	if len(res.Query) > MaxQueryBytes {
		res.Query = res.Query[:MaxQueryBytes] // as far as it was read; Notes says so
	}
	if res.Problems == nil {
		res.Problems = []QueryProblem{}
	}
	if res.Sources == nil {
		res.Sources = []SourceStatus{}
	}
	for _, s := range res.Sources {
		res.HasData = res.HasData || !s.FetchedAt.IsZero()
	}
	for i, qi := range q.Items {
		it := LookupItem{Input: qi.Input, Note: qi.Note}
		if qi.Addr.IsValid() {
			it.Address, it.Matches = qi.Addr.String(), l.Lookup(qi.Addr)
		} else {
			it.Host, it.Matches = qi.Host, l.LookupHost(qi.Host)
		}
		it.Microsoft = len(it.Matches) > 0
		if it.Matches == nil {
			it.Matches = []Match{}
		}
		res.Items[i] = it
	}
	return res
}
