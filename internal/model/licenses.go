package model

import (
	"cmp"
	"strings"
	"time"
)

// SKUHistoryPoint is a subscribed SKU's units at one moment (one snapshot).
type SKUHistoryPoint struct {
	At       time.Time
	Consumed int
	Prepaid  PrepaidUnits
}

// GroupRef is a group named, for links.
type GroupRef struct {
	ID   string
	Name string
}

// SKUHolders counts the holders of one SKU by how they got it. A holder is a user with the SKU
// assigned, or with a license state for it (an error included: such a user counts as holder
// and as in error, but not toward consumedUnits, as Graph counts).
type SKUHolders struct {
	Holders    int
	Direct     int // assigned directly only
	FromGroups int // from one or more groups only
	Both       int // directly and from groups
	InError    int
}

// SKUSummary is one subscribed SKU of the license report.
type SKUSummary struct {
	SKUUsage
	SKUHolders
	Groups []GroupRef // licensed groups whose template has it, by name
}

// Assignment paths a holder query can ask for.
const (
	SourceDirect = "direct" // directly only
	SourceGroup  = "group"  // from groups only
	SourceBoth   = "both"   // directly and from groups
)

// Account states a holder query can ask for.
const (
	AccountEnabled = "enabled"
	AccountBlocked = "blocked"
)

// HolderQuery selects, orders and pages the holders of one SKU. Every field travels in the page's
// address, so a view can be bookmarked.
type HolderQuery struct {
	SKUID         string
	Account       string // "", AccountEnabled or AccountBlocked
	Source        string // "", SourceDirect, SourceGroup or SourceBoth
	InError       bool
	Department    string // exact, case-insensitive; "" for any
	UsageLocation string // exact, case-insensitive; "" for any
	// Sort is a store sort key (see the store's holder sort keys); "" is the display name.
	Sort     string
	Desc     bool
	Page     int // 1-based
	PageSize int // 0 means every holder (exports)
	// Properties are the user properties (Graph names) the caller reads; nil reads them all.
	// A file of a few columns then skips the rest, most of the cost of a row.
	Properties []string
}

// Holder is one user holding a SKU: the user with every license and state (so an error can be
// explained against the user's other licenses), and how this SKU came.
type Holder struct {
	User      User
	Direct    bool
	ViaGroups int
	InError   bool
	State     string // the worst of the user's states for the SKU
}

// HolderOrder is every holder of a SKU that a HolderQuery's filters select, as the users' ids
// in the query's sort ascending, the user id breaking ties (so descending is the same list
// backwards), and the data version (the store's DataVersion) the list is of.
type HolderOrder struct {
	Version string
	UserIDs []string
	Keys    []SortKey // each user's value of the sort, parallel to UserIDs
}

// HolderOrderChanges are what became of a HolderOrder's view between the version it was read
// at and Version: Changed are the users whose data changed (each leaves the order), Entries
// those of them the view selects now, with their values of the sort (each goes back in at its
// place). Applying them to the order gives the order of Version.
type HolderOrderChanges struct {
	Version string
	Changed []string
	Entries []HolderOrderEntry
}

// HolderOrderEntry is one user's place in a HolderOrder.
type HolderOrderEntry struct {
	UserID string
	Key    SortKey
}

// SortKey is a value a view sorts by, as the store's database orders it (SQLite): NULL before
// numbers before text, numbers by value, text by its bytes. A case-insensitive sort's text is
// kept folded (ASCII letters lower-cased, as SQLite's NOCASE does), so it compares by bytes too.
type SortKey struct {
	Class SortClass
	Int   int64
	Real  float64 // a number that is not an integer
	Text  string
}

// SortClass is what kind of value a SortKey is, in the order the classes sort.
type SortClass uint8

const (
	SortNull SortClass = iota
	SortInt
	SortReal
	SortText
)

// CompareSortKeys orders a and b as the database does: -1, 0 or +1.
func CompareSortKeys(a, b SortKey) int {
	ca, cb := a.Class, b.Class
	if ca == SortReal || ca == SortInt {
		ca = SortInt // numbers compare with numbers by value
	}
	if cb == SortReal || cb == SortInt {
		cb = SortInt
	}
	switch {
	case ca != cb:
		return cmp.Compare(ca, cb)
	case ca == SortNull:
		return 0
	case ca == SortText:
		return strings.Compare(a.Text, b.Text)
	case a.Class == SortInt && b.Class == SortInt:
		return cmp.Compare(a.Int, b.Int)
	}
	return cmp.Compare(a.number(), b.number())
}

func (k SortKey) number() float64 {
	if k.Class == SortInt {
		return float64(k.Int)
	}
	return k.Real
}

// CompareOrderEntries orders entries as a HolderOrder lists them: by key, then by user id.
func CompareOrderEntries(a, b HolderOrderEntry) int {
	if c := CompareSortKeys(a.Key, b.Key); c != 0 {
		return c
	}
	return strings.Compare(a.UserID, b.UserID)
}

// HolderPage is one page of holders and how many match in all.
type HolderPage struct {
	Rows  []Holder
	Total int
}

// Holding is how a user holds one SKU.
type Holding struct {
	SKUID     string // normalised
	Direct    bool
	ViaGroups int
	InError   bool
	State     string // the worst of the user's states for the SKU
}

// stateRank orders license states from fine to worst.
func stateRank(s string) int {
	switch s {
	case StateError:
		return 4
	case StateActiveWithError:
		return 3
	case StateDisabled:
		return 2
	case StateActive:
		return 1
	}
	return 0
}

// WorseState is the worse of two license states (Error, ActiveWithError, Disabled, Active).
func WorseState(a, b string) string {
	if stateRank(b) > stateRank(a) {
		return b
	}
	return a
}

// Holdings are the SKUs the user holds, in the order they first appear: one per SKU from its
// license states (one per source) and its assigned licenses (an assigned license without a state
// counts as direct and active).
func (u User) Holdings() []Holding {
	var out []Holding
	index := map[string]int{}
	at := func(sku string) *Holding {
		id := NormalizeID(sku)
		i, ok := index[id]
		if !ok {
			i = len(out)
			index[id] = i
			out = append(out, Holding{SKUID: id})
		}
		return &out[i]
	}
	for _, st := range u.LicenseStates {
		h := at(st.SKUID)
		if st.Direct() {
			h.Direct = true
		} else {
			h.ViaGroups++
		}
		h.InError = h.InError || st.InError()
		h.State = WorseState(h.State, st.State)
	}
	for _, l := range u.AssignedLicenses {
		if _, ok := index[NormalizeID(l.SKUID)]; ok {
			continue
		}
		h := at(l.SKUID)
		h.Direct, h.State = true, StateActive
	}
	return out
}
