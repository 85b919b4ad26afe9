package licensereport

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// A SKU's holders by name are a range of the store's own table, however deep the page. Any other
// order sorts every holder the filters select (50,000 of them: 46 ms by department, 227 ms by a
// property such as the office), a filter scans them all to count its matches, and people page
// through such a view and flip its direction. So the whole order of such a view (only the user
// ids) is read once per version of the data and kept; each view then reads just its page's users
// by id. Both reads say which version of the data they saw, and a page is served from a kept
// order only when they agree: after a change of the data (a sync, a reprocess, a template
// change) no view mixes two versions.
//
// A change of a few users (a reprocess) does not make the order read again: the store says which
// users changed and where they go now (SKUHolderOrderChanges), and the kept order is carried to
// the new version, so the first view after a reprocess by office takes a few milliseconds, not
// the 227 ms of a sort. Only after a sync, or a change of many users, is it read again.
//
// Reading a whole order costs more than one page of it (by department 60 ms against 19 ms for
// the first page), so the view that finds no order kept for its data is served by the store's
// own query, its sort bounded by its page, as before, and the order is read in the background
// for the views that follow: no view waits longer than it did without the orders.

const (
	maxOrders        = 16          // orders kept, the least recently used dropped first
	maxOrderIDs      = 500_000     // user ids kept across all of them, with their sort values about 80 bytes each: 40 MB
	orderReadTimeout = time.Minute // a background read of an order gives up after this
	maxOrderReads    = 2           // background reads at once; a view finding them busy reads none
	// maxCarried is how many changed users an order is carried across; after more (a sync's
	// worth) it is read again, which then costs little more than the changes would.
	maxCarried = 5_000
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
	ends    []uint32        // where each id ends in ids
	keys    []model.SortKey // each id's value of the sort, to carry the order across a change
	// tooLong marks a view whose order has more than maxOrderIDs ids at version: it is served
	// by the store's own query and not read again while the data stays at that version.
	tooLong bool
}

// packOrder packs o, or marks it too long when it has more than max ids.
func packOrder(o model.HolderOrder, max int) *holderOrder {
	if len(o.UserIDs) > max {
		return &holderOrder{version: o.Version, tooLong: true}
	}
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
	return &holderOrder{version: o.Version, ids: b.String(), ends: ends, keys: o.Keys}
}

// carry is o brought to ch.Version: the changed users out, those the view still selects back in
// at their place (o's entries and ch's are in model.CompareOrderEntries order), or an order
// marked too long when it has grown past max ids.
func (o *holderOrder) carry(ch model.HolderOrderChanges, max int) *holderOrder {
	if len(ch.Changed) == 0 { // nothing of the holders changed: share o's lists
		return &holderOrder{version: ch.Version, ids: o.ids, ends: o.ends, keys: o.keys}
	}
	n := o.len() + len(ch.Entries)
	if n-len(ch.Changed) > max { // too long even if every changed user was in o
		return &holderOrder{version: ch.Version, tooLong: true}
	}
	gone := slices.Contains[[]string, string]
	if len(ch.Changed) > 8 { // a few are found faster in a list than in a map
		set := make(map[string]bool, len(ch.Changed))
		for _, id := range ch.Changed {
			set[id] = true
		}
		gone = func(_ []string, id string) bool { return set[id] }
	}
	in := slices.Clone(ch.Entries)
	slices.SortFunc(in, model.CompareOrderEntries)
	out := &holderOrder{version: ch.Version, ends: make([]uint32, 0, n), keys: make([]model.SortKey, 0, n)}
	var b strings.Builder
	b.Grow(len(o.ids) + len(in)*36) // ids are GUIDs
	add := func(id string, key model.SortKey) {
		b.WriteString(id)
		out.ends, out.keys = append(out.ends, uint32(b.Len())), append(out.keys, key)
	}
	for i := range o.len() {
		e := model.HolderOrderEntry{UserID: o.at(i), Key: o.keys[i]}
		if gone(ch.Changed, e.UserID) {
			continue
		}
		for len(in) > 0 && model.CompareOrderEntries(in[0], e) < 0 {
			add(in[0].UserID, in[0].Key)
			in = in[1:]
		}
		add(e.UserID, e.Key)
	}
	for _, e := range in {
		add(e.UserID, e.Key)
	}
	out.ids = b.String()
	if out.len() > max {
		return &holderOrder{version: ch.Version, tooLong: true}
	}
	return out
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
	reading map[orderKey]bool // orders being read in the background
	reads   sync.WaitGroup    // those reads
	// base is the context of background reads: not a view's, which ends with its response;
	// Close cancels it.
	base   context.Context
	cancel context.CancelFunc
	closed bool
	maxIDs int // maxOrderIDs; lower in tests
}

func newOrderCache() *orderCache {
	base, cancel := context.WithCancel(context.Background())
	return &orderCache{entries: map[orderKey]*holderOrder{}, reading: map[orderKey]bool{}, base: base, cancel: cancel,
		maxIDs: maxOrderIDs}
}

// drop forgets k's order o (read at a version the data has left), unless another replaced it.
func (c *orderCache) drop(k orderKey, o *holderOrder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[k] == o {
		c.ids -= o.len()
		delete(c.entries, k)
		c.recent = slices.DeleteFunc(c.recent, func(x orderKey) bool { return x == k })
	}
}

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
	c.putLocked(k, o)
}

// putLocked is put for a caller holding mu.
func (c *orderCache) putLocked(k orderKey, o *holderOrder) {
	if old, ok := c.entries[k]; ok {
		c.ids -= old.len()
		delete(c.entries, k)
		c.recent = slices.DeleteFunc(c.recent, func(x orderKey) bool { return x == k })
	}
	c.entries[k] = o
	c.recent = append(c.recent, k)
	c.ids += o.len()
	for len(c.recent) > maxOrders || c.ids > c.maxIDs {
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
// from the order kept for q's view when the data is still the version it was read at, else from
// the store's own query while the order is read again in the background.
func (r *Report) keptHolders(ctx context.Context, q model.HolderQuery) (model.HolderPage, error) {
	key := keyOf(q)
	tooLong := false
	if kept, ok := r.orders.get(key); ok {
		o, ok, err := r.currentOrder(ctx, key, q, kept)
		if err != nil {
			return model.HolderPage{}, err
		}
		switch {
		case !ok:
		case o.tooLong:
			tooLong = true
		default:
			rows, version, err := r.st.SKUHoldersByID(ctx, q.SKUID, o.page(q.Page, q.PageSize, q.Desc), q.Properties)
			if err != nil {
				return model.HolderPage{}, err
			}
			if version == o.version {
				return model.HolderPage{Rows: rows, Total: o.len()}, nil
			}
			r.orders.drop(key, o) // the data changed again meanwhile
		}
	}
	page, err := r.st.SKUHolders(ctx, q)
	if err == nil && !tooLong { // after this view's own query, so that the two do not compete for the CPU
		r.readOrder(key, q)
	}
	return page, err
}

// currentOrder is kept, the order of key's view q, at the version the data is at now: kept
// itself, or kept carried across the change (and kept instead of it), or nil when it cannot be
// carried (false: it is forgotten).
func (r *Report) currentOrder(ctx context.Context, key orderKey, q model.HolderQuery, kept *holderOrder) (*holderOrder, bool, error) {
	version, err := r.st.DataVersion(ctx)
	if err != nil {
		return nil, false, err
	}
	if version == kept.version {
		return kept, true, nil
	}
	r.orders.drop(key, kept)
	if kept.tooLong {
		return nil, false, nil
	}
	ch, ok, err := r.st.SKUHolderOrderChanges(ctx, q, kept.version, maxCarried)
	if err != nil || !ok {
		return nil, false, err
	}
	o := kept.carry(ch, r.orders.maxIDs)
	r.orders.put(key, o)
	return o, true, nil
}

// readOrder reads the order of q's view in the background and keeps it, unless it is being read
// already or maxOrderReads are (views of many filters at once, a department typed in the
// address each time, must not start a read each). A failed read keeps nothing: the next view
// tries again.
func (r *Report) readOrder(key orderKey, q model.HolderQuery) {
	c := r.orders
	c.mu.Lock()
	defer c.mu.Unlock()
	// An order kept meanwhile (read while this view ran its own query) is not read again.
	if _, kept := c.entries[key]; kept || c.closed || c.reading[key] || len(c.reading) >= maxOrderReads {
		return
	}
	c.reading[key] = true
	c.reads.Add(1)
	go func() {
		defer c.reads.Done()
		ctx, cancel := context.WithTimeout(c.base, orderReadTimeout)
		defer cancel()
		ord, err := r.st.SKUHolderOrder(ctx, q, c.maxIDs+1) // one more tells it is too long
		if err != nil && c.base.Err() == nil && r.Log != nil {
			r.Log.Warn("license report: reading a sorted view's order failed; its views use the slower query",
				"sku", q.SKUID, "sort", q.Sort, "error", err)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.reading, key)
		if err == nil {
			c.putLocked(key, packOrder(ord, c.maxIDs))
		}
	}()
}

// Close stops the orders being read in the background and waits for them; views after it read
// none. A server closes the report before the store.
func (r *Report) Close() {
	c := r.orders
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.reads.Wait()
}

// Settle waits until the orders being read in the background are kept: for tests and
// benchmarks, which look at what a view finds kept (a server never needs to wait). Call it
// only while no view is being served.
func (r *Report) Settle() { r.orders.reads.Wait() }
