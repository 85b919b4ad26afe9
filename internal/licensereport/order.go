package licensereport

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// A SKU's holders by name are a range of the store's own table, however deep the page. Any other
// order sorts every holder the filters select (50,000 of them: 46 ms by department, 227 ms by a
// property such as the office), a filter scans them all to count its matches, and people page
// through such a view and flip its direction. So that order is read once per version of the data (only the user ids) and kept; each view then
// reads just its page's users by id. Both reads say which version of the data they saw, and a
// page is served only when they agree: a change of the data (a sync, a reprocess, a template
// change) makes the next view read the order again, and no view mixes two versions.

const (
	maxOrders   = 16      // orders kept, the least recently used dropped first
	maxOrderIDs = 500_000 // user ids kept across all of them, about 40 bytes each: 20 MB
)

// orderKey is what decides an order: the SKU, the filters and the sort key (not the direction:
// descending is the same list backwards).
type orderKey struct {
	sku, account, source, department, location, sort string
	inError                                          bool
}

func keyOf(q model.HolderQuery) orderKey {
	return orderKey{sku: model.NormalizeID(q.SKUID), account: q.Account, source: q.Source, department: q.Department,
		location: q.UsageLocation, sort: q.Sort, inError: q.InError}
}

// holderOrder is a model.HolderOrder packed: the ids one after another in one string, so that
// 100,000 of them are one allocation of 3.6 MB and an index rather than 100,000 strings.
type holderOrder struct {
	version string
	ids     string
	ends    []uint32 // where each id ends in ids
}

func packOrder(o model.HolderOrder) *holderOrder {
	var b strings.Builder
	n := 0
	for _, id := range o.UserIDs {
		n += len(id)
	}
	b.Grow(n)
	ends := make([]uint32, len(o.UserIDs))
	for i, id := range o.UserIDs {
		b.WriteString(id)
		ends[i] = uint32(b.Len())
	}
	return &holderOrder{version: o.Version, ids: b.String(), ends: ends}
}

func (o *holderOrder) len() int { return len(o.ends) }

func (o *holderOrder) at(i int) string {
	start := uint32(0)
	if i > 0 {
		start = o.ends[i-1]
	}
	return o.ids[start:o.ends[i]]
}

// page is the ids of page number page (1-based, as model.HolderQuery pages) of size ids, the
// list read backwards when desc; size 0 is every id.
func (o *holderOrder) page(page, size int, desc bool) []string {
	from, to := 0, o.len()
	if size > 0 {
		from = min((max(page, 1)-1)*size, o.len())
		to = min(from+size, o.len())
	}
	out := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		if desc {
			out = append(out, o.at(o.len()-1-i))
		} else {
			out = append(out, o.at(i))
		}
	}
	return out
}

// orderCache keeps the orders last read. Its values are never changed once put, so views share
// them.
type orderCache struct {
	mu      sync.Mutex
	entries map[orderKey]*holderOrder
	recent  []orderKey // least recently used first
	ids     int
}

func newOrderCache() *orderCache { return &orderCache{entries: map[orderKey]*holderOrder{}} }

func (c *orderCache) get(k orderKey) (*holderOrder, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.entries[k]
	if ok {
		c.touch(k)
	}
	return o, ok
}

func (c *orderCache) put(k orderKey, o *holderOrder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[k]; ok {
		c.ids -= old.len()
		delete(c.entries, k)
		c.recent = slices.DeleteFunc(c.recent, func(x orderKey) bool { return x == k })
	}
	if o.len() > maxOrderIDs {
		return // read again on each view rather than crowding out every other order
	}
	c.entries[k] = o
	c.recent = append(c.recent, k)
	c.ids += o.len()
	for len(c.recent) > maxOrders || c.ids > maxOrderIDs {
		c.ids -= c.entries[c.recent[0]].len()
		delete(c.entries, c.recent[0])
		c.recent = c.recent[1:]
	}
}

// touch marks k used most recently; the caller holds mu.
func (c *orderCache) touch(k orderKey) {
	if i := slices.Index(c.recent, k); i >= 0 {
		c.recent = append(slices.Delete(c.recent, i, i+1), k)
	}
}

// plain reports whether q is a range of the store's own order: every holder, by name.
func plain(q model.HolderQuery) bool {
	return (q.Sort == "" || q.Sort == "displayName") && q.Account == "" && q.Source == "" && !q.InError &&
		q.Department == "" && q.UsageLocation == ""
}

// keptHolders is the page of holders q asks for (q.SKUID set), for a view that is not plain:
// from the order kept for q's view when the data is still the version it was read at, else
// from the order read again.
func (r *Report) keptHolders(ctx context.Context, q model.HolderQuery) (model.HolderPage, error) {
	key := keyOf(q)
	o, ok := r.orders.get(key)
	for range 2 {
		if !ok {
			ord, err := r.st.SKUHolderOrder(ctx, q)
			if err != nil {
				return model.HolderPage{}, err
			}
			o, ok = packOrder(ord), true
			r.orders.put(key, o)
		}
		rows, version, err := r.st.SKUHoldersByID(ctx, q.SKUID, o.page(q.Page, q.PageSize, q.Desc), q.Properties)
		if err != nil {
			return model.HolderPage{}, err
		}
		if version == o.version {
			return model.HolderPage{Rows: rows, Total: o.len()}, nil
		}
		ok = false // the data changed since the order was read
	}
	// The data changed between every two reads: one read that sees a single version.
	return r.st.SKUHolders(ctx, q)
}
