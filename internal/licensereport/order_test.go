package licensereport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

// countingStore is the real store, counting how often the whole order of holders is read and
// how many such reads run at once; with a gate, each read waits for it to open.
type countingStore struct {
	*store.Store
	orders, running, most atomic.Int32
	gate                  chan struct{}
	fail                  error // every order read fails with it
}

func (c *countingStore) SKUHolderOrder(ctx context.Context, q model.HolderQuery, limit int) (model.HolderOrder, error) {
	c.orders.Add(1)
	n := c.running.Add(1)
	defer c.running.Add(-1)
	for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
	}
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return model.HolderOrder{}, ctx.Err()
		}
	}
	if c.fail != nil {
		return model.HolderOrder{}, c.fail
	}
	return c.Store.SKUHolderOrder(ctx, q, limit)
}

// orderFixture is a report over 300 holders whose offices (30), departments (8) and usage
// locations (3) tie a lot, and the SKU they hold.
func orderFixture(t *testing.T) (*Report, *countingStore, Summary, model.Snapshot) {
	t.Helper()
	return orderFixtureOf(t, storetest.HolderSnapshot(300))
}

// orderFixtureOf is orderFixture over snap, with its first SKU.
func orderFixtureOf(t *testing.T, snap model.Snapshot) (*Report, *countingStore, Summary, model.Snapshot) {
	t.Helper()
	ctx := context.Background()
	st := &countingStore{Store: storetest.Open(t)}
	if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
		t.Fatal(err)
	}
	r, err := New(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := r.Summaries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sku, err := Find(sums, snap.SKUs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return r, st, sku, snap
}

// pageThrough is every holder of view q, a page of size at a time, checking each page's total.
func pageThrough(t *testing.T, r *Report, sku Summary, q model.HolderQuery, size int) []string {
	t.Helper()
	var ids []string
	for p := 1; ; p++ {
		q.Page, q.PageSize = p, size
		page, err := r.Holders(context.Background(), sku, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		for _, row := range page.Rows {
			ids = append(ids, row.Holder.User.ID)
		}
		if len(page.Rows) < size || len(ids) >= page.Total {
			if len(ids) != page.Total {
				t.Errorf("%+v: %d holders on the pages, total %d", q, len(ids), page.Total)
			}
			return ids
		}
	}
}

// Paging through a sorted or filtered view shows each holder once, in exactly the order (ties
// by user id) that one query over every holder gives, the same on every pass.
func TestSortedViewsPageEveryHolderOnce(t *testing.T) {
	r, st, sku, _ := orderFixture(t)
	ctx := context.Background()
	for _, q := range []model.HolderQuery{
		{Sort: "officeLocation"},
		{Sort: "officeLocation", Desc: true},
		{Sort: "department", Desc: true},
		{Sort: "department", InError: true},
		{Sort: "usageLocation", Department: "physics"},
		{Sort: "accountEnabled", Source: model.SourceGroup},
		{Sort: "licenseState", Desc: true, Account: model.AccountEnabled},
		{Sort: "onPremisesSamAccountName", Desc: true}, // empty for half of them
		{Sort: "createdDateTime", UsageLocation: "DE"},
		{Sort: "displayName", Desc: true, Source: model.SourceDirect},
		{InError: true},
		{Department: "Physics", Account: model.AccountEnabled},
		{Source: model.SourceBoth, Account: model.AccountBlocked},
		{Desc: true}, // the plain view, read from the store's own order
	} {
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) {
			q.SKUID = sku.ID
			all, err := st.SKUHolders(ctx, q) // PageSize 0: every holder, one query
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, h := range all.Rows {
				want = append(want, h.User.ID)
			}
			if len(want) < 2 {
				t.Fatalf("the view has %d holders: nothing to page", len(want))
			}
			// The first pass is served by the store's query while the order is read, the
			// second from the order kept.
			for pass := range 2 {
				if got := pageThrough(t, r, sku, q, 7); !slices.Equal(got, want) {
					t.Errorf("pass %d: pages %v,\nwant %v", pass, got, want)
				}
				r.Settle()
				if _, kept := r.orders.get(keyOf(q)); kept == plain(q) {
					t.Errorf("pass %d: order kept %v, for a plain view %v", pass, kept, plain(q))
				}
			}
		})
	}
}

// A sorted view reads the whole order once per version of the data, whichever page and
// direction is looked at, and again once the data changes; the view right after the change
// shows it, and so do those served from the order read again.
func TestSortedViewFollowsTheData(t *testing.T) {
	r, st, sku, snap := orderFixture(t)
	ctx := context.Background()
	q := model.HolderQuery{Sort: "officeLocation", Page: 1, PageSize: 10}
	first, err := r.Holders(ctx, sku, q)
	if err != nil {
		t.Fatal(err)
	}
	r.Settle()
	for _, p := range []int{1, 2, 30, 1} {
		for _, desc := range []bool{false, true} {
			q.Page, q.Desc = p, desc
			page, err := r.Holders(ctx, sku, q)
			if err != nil {
				t.Fatal(err)
			}
			if p == 1 && !desc && !slices.EqualFunc(page.Rows, first.Rows, sameHolder) {
				t.Errorf("the first page from the kept order differs from the store's")
			}
		}
	}
	if n := st.orders.Load(); n != 1 {
		t.Errorf("9 views read the order %d times, want once", n)
	}
	// The last holder by office moves to the front; the first loses the license.
	last := pageThrough(t, r, sku, model.HolderQuery{Sort: "officeLocation"}, 100)
	moved, gone := userOf(snap, last[len(last)-1]), userOf(snap, first.Rows[0].Holder.User.ID)
	moved.OfficeLocation = "Annex"
	gone.LicenseStates, gone.AssignedLicenses = nil, nil
	if err := st.UpdateUsers(ctx, []model.User{moved, gone}, nil); err != nil {
		t.Fatal(err)
	}
	q.Page, q.Desc = 1, false
	for _, when := range []string{"right after the change", "from the order carried across it"} {
		after, err := r.Holders(ctx, sku, q)
		if err != nil {
			t.Fatal(err)
		}
		if after.Total != first.Total-1 || after.Rows[0].Holder.User.ID != moved.ID || after.Rows[0].Holder.User.OfficeLocation != "Annex" ||
			slices.ContainsFunc(after.Rows, func(row Row) bool { return row.Holder.User.ID == gone.ID }) {
			t.Errorf("%s: %d holders (was %d), first %+v", when, after.Total, first.Total, after.Rows[0].Holder.User)
		}
		r.Settle()
	}
	if n := st.orders.Load(); n != 1 {
		t.Errorf("the order was read %d times, want once (carried across the change)", n)
	}
	// A new snapshot is another version no order is carried to: the order is read again.
	if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		after, err := r.Holders(ctx, sku, q)
		if err != nil {
			t.Fatal(err)
		}
		if after.Total != first.Total || !slices.EqualFunc(after.Rows, first.Rows, sameHolder) {
			t.Errorf("after a new snapshot: %d holders, want %d as first read", after.Total, first.Total)
		}
		r.Settle()
	}
	if n := st.orders.Load(); n != 2 {
		t.Errorf("the order was read %d times, want twice (again for the new snapshot)", n)
	}
}

// Sorted and filtered views carried across any run of reprocesses page exactly as the store's
// own query over every holder does, in both directions, and are read only once each.
func TestSortedViewsCarriedAcrossReprocesses(t *testing.T) {
	r, st, sku, snap := orderFixture(t)
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(3, 14))
	views := []model.HolderQuery{{Sort: "officeLocation"}, {Sort: "department", Desc: true}, {Sort: "accountEnabled"},
		{Sort: "licenseState", InError: true}, {Department: "Physics"}, {Sort: "createdDateTime", Source: model.SourceDirect}}
	offices := []string{"", "Annex", "annex", "Building 3", "ZZ top"}
	for round := range 8 {
		for _, q := range views {
			got := pageThrough(t, r, sku, q, 37)
			all := q
			all.SKUID = sku.ID
			want, err := st.SKUHolders(ctx, all)
			if err != nil {
				t.Fatal(err)
			}
			var wantIDs []string
			for _, h := range want.Rows {
				wantIDs = append(wantIDs, h.User.ID)
			}
			if !slices.Equal(got, wantIDs) {
				t.Fatalf("round %d %+v: the pages list\n%v\nthe store's query\n%v", round, q, got, wantIDs)
			}
			r.Settle()
		}
		var put []model.User
		for range 1 + rnd.IntN(4) {
			u := snap.Users[rnd.IntN(len(snap.Users))]
			switch rnd.IntN(4) {
			case 0:
				u.OfficeLocation = offices[rnd.IntN(len(offices))]
			case 1:
				u.Department = []string{"Physics", "physics", "Finance"}[rnd.IntN(3)]
			case 2:
				u.AccountEnabled = !u.AccountEnabled
			case 3:
				u.LicenseStates, u.AssignedLicenses = nil, nil
			}
			put = append(put, u)
		}
		if err := st.UpdateUsers(ctx, put, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.orders.Load(); int(n) != len(views) {
		t.Errorf("%d views over 8 versions read their orders %d times, want once each", len(views), n)
	}
}

// Views of many filters at once start at most maxOrderReads background reads; each view is
// served all the same, and a view after the reads ends starts its own.
func TestOrderReadsAreBounded(t *testing.T) {
	r, st, sku, _ := orderFixture(t)
	ctx := context.Background()
	st.gate = make(chan struct{})
	depts := []string{"Admissions", "Finance", "IT", "Library", "History", "Physics"}
	for _, d := range depts {
		page, err := r.Holders(ctx, sku, model.HolderQuery{Department: d, Sort: "officeLocation", Page: 1, PageSize: 10})
		if err != nil || page.Total == 0 {
			t.Fatalf("%s: %d holders, %v", d, page.Total, err)
		}
	}
	close(st.gate)
	r.Settle()
	if n, most := st.orders.Load(), st.most.Load(); n != maxOrderReads || most > maxOrderReads {
		t.Errorf("%d views started %d reads, at most %d at once; want %d", len(depts), n, most, maxOrderReads)
	}
	q := model.HolderQuery{SKUID: sku.ID, Department: depts[len(depts)-1], Sort: "officeLocation", Page: 1, PageSize: 10}
	if _, err := r.Holders(ctx, sku, q); err != nil {
		t.Fatal(err)
	}
	r.Settle()
	if _, kept := r.orders.get(keyOf(q)); !kept {
		t.Error("a view after the reads ended read no order")
	}
}

func sameHolder(a, b Row) bool {
	return a.Holder.User.ID == b.Holder.User.ID && a.Holder.State == b.Holder.State
}

func userOf(snap model.Snapshot, id string) model.User {
	for _, u := range snap.Users {
		if u.ID == id {
			return u
		}
	}
	panic("no user " + id)
}

func TestHolderOrderPages(t *testing.T) {
	o := packOrder(model.HolderOrder{Version: "v", UserIDs: []string{"a", "bb", "c", "dddd", "e"}}, maxOrderIDs)
	for _, tc := range []struct {
		page, size int
		desc       bool
		want       []string
	}{
		{1, 2, false, []string{"a", "bb"}},
		{2, 2, false, []string{"c", "dddd"}},
		{3, 2, false, []string{"e"}},
		{4, 2, false, []string{}},
		{1, 2, true, []string{"e", "dddd"}},
		{3, 2, true, []string{"a"}},
		{0, 3, false, []string{"a", "bb", "c"}},
		{1, 0, true, []string{"e", "dddd", "c", "bb", "a"}},
	} {
		if got := o.page(tc.page, tc.size, tc.desc); !slices.Equal(got, tc.want) {
			t.Errorf("page %d of %d (desc %v): %v, want %v", tc.page, tc.size, tc.desc, got, tc.want)
		}
	}
	if empty := packOrder(model.HolderOrder{}, maxOrderIDs); empty.len() != 0 || len(empty.page(1, 10, true)) != 0 {
		t.Errorf("empty order: %d", empty.len())
	}
}

func TestOrderCacheBounds(t *testing.T) {
	c := newOrderCache()
	order := func(n int) *holderOrder {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprint(i)
		}
		return packOrder(model.HolderOrder{UserIDs: ids}, maxOrderIDs)
	}
	key := func(i int) orderKey { return orderKey{sku: "s", sort: fmt.Sprint(i)} }
	for i := range maxOrders + 3 {
		c.put(key(i), order(10))
		if i == maxOrders-1 {
			c.get(key(0)) // used again: kept longer than the next ones
		}
	}
	if len(c.entries) != maxOrders || c.ids != 10*maxOrders {
		t.Errorf("%d orders of %d ids kept", len(c.entries), c.ids)
	}
	if _, ok := c.get(key(0)); !ok {
		t.Error("the order used again was dropped")
	}
	if _, ok := c.get(key(1)); ok {
		t.Error("the least recently used order was kept")
	}
	c.put(key(0), order(maxOrderIDs-20)) // replaces its own, and crowds out all but two others
	if _, ok := c.get(key(0)); !ok || c.ids != maxOrderIDs || len(c.entries) != 3 {
		t.Errorf("%d orders of %d ids kept, at most %d ids", len(c.entries), c.ids, maxOrderIDs)
	}
	c.put(key(99), order(maxOrderIDs+1))
	if o, ok := c.get(key(99)); !ok || !o.tooLong || o.len() != 0 || c.ids > maxOrderIDs {
		t.Errorf("an order over the bound was kept with its ids (%d ids kept), or not marked too long", c.ids)
	}
}

// Each part of a view's key keeps an order of its own: two views differing in one filter, the
// sort or the SKU, looked at in turn with their orders kept, each show their own holders.
func TestKeptOrdersAreOfTheirOwnView(t *testing.T) {
	ctx := context.Background()
	snap := storetest.HolderSnapshot(300)
	// A second SKU, held directly by every third user.
	second := snap.SKUs[0]
	second.ID, second.PartNumber = "0c0c0c0c-0000-4000-8000-000000000002", "SECOND_SKU"
	snap.SKUs = append(snap.SKUs, second)
	for i := range snap.Users {
		if i%3 == 0 {
			snap.Users[i].AssignedLicenses = append(snap.Users[i].AssignedLicenses, model.AssignedLicense{SKUID: second.ID})
		}
	}
	r, st, sku, _ := orderFixtureOf(t, snap)
	sums, err := r.Summaries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Find(sums, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	base := model.HolderQuery{Sort: "officeLocation", PageSize: 7, Page: 2}
	with := func(f func(*model.HolderQuery)) model.HolderQuery { q := base; f(&q); return q }
	pairs := []struct {
		name string
		a, b model.HolderQuery
		skuB Summary
	}{
		{"sku", base, base, other},
		{"account", with(func(q *model.HolderQuery) { q.Account = model.AccountEnabled }), with(func(q *model.HolderQuery) { q.Account = model.AccountBlocked }), sku},
		{"source", with(func(q *model.HolderQuery) { q.Source = model.SourceGroup }), with(func(q *model.HolderQuery) { q.Source = model.SourceDirect }), sku},
		{"department", with(func(q *model.HolderQuery) { q.Department = "Physics" }), with(func(q *model.HolderQuery) { q.Department = "Finance" }), sku},
		{"location", with(func(q *model.HolderQuery) { q.UsageLocation = "US" }), with(func(q *model.HolderQuery) { q.UsageLocation = "GB" }), sku},
		{"errors", base, with(func(q *model.HolderQuery) { q.InError = true }), sku},
		{"sort", base, with(func(q *model.HolderQuery) { q.Sort = "department" }), sku},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			for round := range 3 { // the first views read the orders; the later ones page through them
				for _, v := range []struct {
					q   model.HolderQuery
					sku Summary
				}{{p.a, sku}, {p.b, p.skuB}} {
					got, err := r.Holders(ctx, v.sku, v.q)
					if err != nil {
						t.Fatal(err)
					}
					q := v.q
					q.SKUID = v.sku.ID
					want, err := st.SKUHolders(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					if got.Total != want.Total || len(got.Rows) != len(want.Rows) {
						t.Fatalf("round %d, %+v: %d of %d holders, the store says %d of %d", round, q, len(got.Rows), got.Total, len(want.Rows), want.Total)
					}
					for i := range want.Rows {
						if got.Rows[i].Holder.User.ID != want.Rows[i].User.ID {
							t.Fatalf("round %d, %+v: row %d is %s, the store says %s", round, q, i, got.Rows[i].Holder.User.ID, want.Rows[i].User.ID)
						}
					}
				}
				r.Settle()
			}
		})
	}
}

// A background read outlives the view that started it (whose context ends with its response),
// a failed read keeps nothing and says why, and Close stops a read under way.
func TestOrderReadLifetime(t *testing.T) {
	q := model.HolderQuery{Sort: "department", Page: 1, PageSize: 10}
	t.Run("outlives the view", func(t *testing.T) {
		r, st, sku, _ := orderFixture(t)
		viewCtx, cancel := context.WithCancel(context.Background())
		st.gate = make(chan struct{})
		if _, err := r.Holders(viewCtx, sku, q); err != nil {
			t.Fatal(err)
		}
		cancel() // the response is written
		close(st.gate)
		r.Settle()
		key := q
		key.SKUID = sku.ID
		if o, ok := r.orders.get(keyOf(key)); !ok || o.len() == 0 {
			t.Fatal("the order read for a view that ended was not kept")
		}
	})
	t.Run("a failed read", func(t *testing.T) {
		r, st, sku, _ := orderFixture(t)
		var logged strings.Builder
		r.Log = slog.New(slog.NewTextHandler(&logged, nil))
		st.fail = errors.New("disk on fire")
		for range 2 {
			if _, err := r.Holders(context.Background(), sku, q); err != nil {
				t.Fatal(err)
			}
			r.Settle()
		}
		if n := st.orders.Load(); n != 2 {
			t.Errorf("%d reads for 2 views after failures, want 2 (nothing kept)", n)
		}
		if !strings.Contains(logged.String(), "disk on fire") {
			t.Errorf("the failure was not logged: %q", logged.String())
		}
	})
	t.Run("too long to keep", func(t *testing.T) {
		r, st, sku, _ := orderFixture(t)
		r.orders.maxIDs = 50 // the fixture's SKU has 300 holders
		for range 3 {
			if _, err := r.Holders(context.Background(), sku, q); err != nil {
				t.Fatal(err)
			}
			r.Settle()
		}
		if n := st.orders.Load(); n != 1 {
			t.Errorf("%d reads of an order too long to keep, want 1 while the data stays the same", n)
		}
	})
	t.Run("close", func(t *testing.T) {
		r, st, sku, _ := orderFixture(t)
		st.gate = make(chan struct{}) // never opens: the read waits until it is cancelled
		if _, err := r.Holders(context.Background(), sku, q); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { r.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Close did not stop the read under way")
		}
		if _, err := r.Holders(context.Background(), sku, q); err != nil {
			t.Fatal(err)
		}
		r.Settle()
		if n := st.orders.Load(); n != 1 {
			t.Errorf("%d reads: a view after Close started one", n)
		}
	})
}

// Carrying an order merges the changed users back at their places (ties by id), leaves out those
// the view no longer selects, shares the lists when no user changed, and marks an order that
// grew past the bound too long.
func TestCarryOrder(t *testing.T) {
	key := func(s string) model.SortKey { return model.SortKey{Class: model.SortText, Text: s} }
	o := packOrder(model.HolderOrder{Version: "v1", UserIDs: []string{"a", "b", "c", "d"},
		Keys: []model.SortKey{{}, key("x"), key("x"), key("y")}}, 10)
	ch := model.HolderOrderChanges{Version: "v2", Changed: []string{"b", "d", "e", "z"},
		Entries: []model.HolderOrderEntry{{UserID: "e", Key: key("x")}, {UserID: "b", Key: model.SortKey{Class: model.SortInt, Int: 3}}, {UserID: "z", Key: key("x")}}}
	got := o.carry(ch, 10)
	if got.version != "v2" || !slices.Equal(got.page(1, 0, false), []string{"a", "b", "c", "e", "z"}) {
		t.Errorf("carried: %s %v", got.version, got.page(1, 0, false))
	}
	if !slices.Equal(got.page(1, 2, true), []string{"z", "e"}) {
		t.Errorf("carried, backwards: %v", got.page(1, 2, true))
	}
	if same := o.carry(model.HolderOrderChanges{Version: "v3"}, 10); same.version != "v3" || same.ids != o.ids || same.len() != 4 {
		t.Errorf("no change: %+v", same)
	}
	if long := o.carry(ch, 4); !long.tooLong || long.version != "v2" {
		t.Errorf("five ids kept under a bound of four: %+v", long)
	}
}
