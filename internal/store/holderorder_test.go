package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// orderSnapshot is holderSnapshot with 40 more holders whose sort keys tie a lot: three
// departments in two spellings, four offices and none, every state and way of holding.
func orderSnapshot() model.Snapshot {
	snap := holderSnapshot()
	for i := range 40 {
		u := model.User{ID: fmt.Sprintf("t%02d", (i*17)%40), DisplayName: []string{"Sam", "sam", "Zoë", "Al"}[i%4],
			Department: []string{"Maths", "MATHS", "History", ""}[i%4], UsageLocation: []string{"DE", "US"}[i%2],
			AccountEnabled: i%5 != 0, OfficeLocation: []string{"", "B 2", "b 2", "A 1", "C"}[i%5], JobTitle: "Lecturer"}
		st := model.LicenseState{SKUID: skuA1Students, AssignedByGroup: []string{"g-a", "g-b", ""}[i%3], State: model.StateActive}
		if i%6 == 0 {
			st.State, st.Error = model.StateError, model.ErrorCountViolation
		}
		u.LicenseStates = []model.LicenseState{st}
		if i%4 == 1 {
			u.LicenseStates = append(u.LicenseStates, model.LicenseState{SKUID: skuA1Students, State: model.StateDisabled})
		}
		if st.Error == model.ErrorNone {
			u.AssignedLicenses = []model.AssignedLicense{{SKUID: skuA1Students}}
		}
		snap.Users = append(snap.Users, u)
	}
	return snap
}

// The order of every sort key under every filter is exactly the store's own paged query's, its
// reverse the descending one, and the holders read by id are those the query reads.
func TestSKUHolderOrderIsTheQueryOrder(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.SaveSnapshot(ctx, 0, orderSnapshot()); err != nil {
		t.Fatal(err)
	}
	version, err := s.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sorts []string
	for k := range holderSorts {
		sorts = append(sorts, k)
	}
	for k := range propsFields {
		sorts = append(sorts, k)
	}
	slices.Sort(sorts)
	filters := []model.HolderQuery{{}, {InError: true}, {Source: model.SourceGroup}, {Source: model.SourceDirect},
		{Source: model.SourceBoth}, {Account: model.AccountBlocked}, {Department: "maths"}, {UsageLocation: "de", Account: model.AccountEnabled}}
	for _, sort := range sorts {
		for _, f := range filters {
			q := f
			q.SKUID, q.Sort = skuA1Students, sort
			order, err := s.SKUHolderOrder(ctx, q, 0)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			if order.Version != version {
				t.Fatalf("%+v: version %q, want %q", q, order.Version, version)
			}
			// The sort values say the same order in Go as SQLite's ORDER BY did.
			if e := entriesOf(order); !slices.IsSortedFunc(e, model.CompareOrderEntries) {
				t.Errorf("%+v: the order's sort values are not in model.CompareOrderEntries order: %+v", q, e)
			}
			paged := q
			paged.Page, paged.PageSize = 2, 3
			if p, err := s.SKUHolders(ctx, paged); err != nil || p.Total != len(order.UserIDs) {
				t.Errorf("%+v: a page says %d holders in all, the order has %d (%v)", paged, p.Total, len(order.UserIDs), err)
			}
			for _, desc := range []bool{false, true} {
				q.Desc = desc
				want, err := s.SKUHolders(ctx, q) // PageSize 0: every holder in one query
				if err != nil {
					t.Fatal(err)
				}
				ids := slices.Clone(order.UserIDs)
				if desc {
					slices.Reverse(ids)
				}
				var wantIDs []string
				for _, h := range want.Rows {
					wantIDs = append(wantIDs, h.User.ID)
				}
				if !slices.Equal(ids, wantIDs) {
					t.Errorf("%+v: order %v, the query's %v", q, ids, wantIDs)
					continue
				}
				got, v, err := s.SKUHoldersByID(ctx, q.SKUID, ids, nil)
				if err != nil || v != version {
					t.Fatalf("by id: version %q, %v", v, err)
				}
				if !reflect.DeepEqual(got, want.Rows) {
					t.Errorf("%+v: holders by id differ from the query's:\n%+v\n%+v", q, got, want.Rows)
				}
			}
		}
	}
}

func TestSKUHoldersByID(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if _, err := s.SKUHolderOrder(ctx, model.HolderQuery{SKUID: skuA1Students, Sort: "department"}, 0); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("before the first sync: %v, want ErrNotFound", err)
	}
	if _, _, err := s.SKUHoldersByID(ctx, skuA1Students, []string{"u1"}, nil); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("before the first sync: %v, want ErrNotFound", err)
	}
	snap := holderSnapshot()
	if err := s.SaveSnapshot(ctx, 0, snap); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []model.HolderQuery{{Sort: "nope"}, {Sort: "props') --"}, {Sort: "businessPhones"}, {Account: "x"}, {Source: "x"}} {
		bad.SKUID = skuA1Students
		if _, err := s.SKUHolderOrder(ctx, bad, 0); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}
	// In the order asked; Finn holds nothing and "nobody" is nobody; Éve's license has no state.
	got, v1, err := s.SKUHoldersByID(ctx, skuA1Students, []string{"u5", "u6", "u2", "nobody", "u4"}, []string{"displayName"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range got {
		ids = append(ids, h.User.ID)
	}
	if !slices.Equal(ids, []string{"u5", "u2", "u4"}) {
		t.Fatalf("holders %v", ids)
	}
	if h := got[0]; !h.Direct || h.ViaGroups != 0 || h.InError || h.State != model.StateActive {
		t.Errorf("Éve: %+v", h)
	}
	if h := got[1]; h.Direct || h.ViaGroups != 2 || h.User.OfficeLocation != "" {
		t.Errorf("Ben, without the report-only properties: %+v", h)
	}
	if h := got[2]; h.Direct || !h.InError || h.State != model.StateError {
		t.Errorf("Dan: %+v", h)
	}
	// A patch of the data moves the version the reads report.
	ben := snap.Users[1]
	ben.OfficeLocation = "Z 9"
	if err := s.UpdateUsers(ctx, []model.User{ben}, nil); err != nil {
		t.Fatal(err)
	}
	got, v2, err := s.SKUHoldersByID(ctx, skuA1Students, []string{"u2"}, nil)
	if err != nil || v2 == v1 || len(got) != 1 || got[0].User.OfficeLocation != "Z 9" {
		t.Errorf("after a patch: version %q (was %q), %+v, %v", v2, v1, got, err)
	}
	if o, err := s.SKUHolderOrder(ctx, model.HolderQuery{SKUID: skuA1Students, Sort: "officeLocation"}, 0); err != nil || o.Version != v2 ||
		o.UserIDs[len(o.UserIDs)-1] != "u2" {
		t.Errorf("order after a patch: %+v, %v", o, err)
	}
}

func entriesOf(o model.HolderOrder) []model.HolderOrderEntry {
	out := make([]model.HolderOrderEntry, len(o.UserIDs))
	for i, id := range o.UserIDs {
		out[i] = model.HolderOrderEntry{UserID: id, Key: o.Keys[i]}
	}
	return out
}

// SQLite and model.CompareSortKeys order any mix of NULLs, integers, reals and text (ASCII in
// both cases, other letters, which NOCASE leaves alone) the same, with and without NOCASE.
func TestSortKeysCompareAsSQLite(t *testing.T) {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE v (id TEXT PRIMARY KEY, x)`); err != nil {
		t.Fatal(err)
	}
	texts := []string{"", "a", "A", "ab", "aB", "Ab", "b", "Z", "z", "_", "[", "é", "É", "Ä", "ä", "ß", "ss", "a b", "a\x00b", "A\x00", "\x00", "\u00ff", "\xff", "\xc3", "日本"}
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 600 {
		var x any
		switch r.IntN(5) {
		case 0:
			x = nil
		case 1:
			x = r.Int64N(21) - 10
		case 2:
			x = float64(r.IntN(41)-20) / 4 // some are whole: 2.0 ties with 2
		default:
			x = texts[r.IntN(len(texts))] + texts[r.IntN(len(texts))]
		}
		if _, err := db.Exec(`INSERT INTO v (id, x) VALUES (?, ?)`, fmt.Sprintf("u%04d", r.IntN(10000)*1000+i), x); err != nil {
			t.Fatal(err)
		}
	}
	for _, collate := range []string{"BINARY", "NOCASE"} {
		rows, err := db.Query(`SELECT id, x FROM v ORDER BY x COLLATE ` + collate + `, id`)
		if err != nil {
			t.Fatal(err)
		}
		var got []model.HolderOrderEntry
		for rows.Next() {
			e, err := scanOrderEntry(rows, "x COLLATE "+collate)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, e)
		}
		rows.Close()
		for i := 1; i < len(got); i++ {
			if model.CompareOrderEntries(got[i-1], got[i]) >= 0 {
				t.Errorf("%s: SQLite puts %+v before %+v, Go does not", collate, got[i-1], got[i])
			}
		}
	}
}

// patchUsers changes a few random holders of snap the ways a reprocess can (an office, a
// department in another spelling, an account blocked, a license lost or in error, a name) and
// writes them as UpdateUsers does; snap keeps the changes.
func patchUsers(t *testing.T, s *Store, r *rand.Rand, snap *model.Snapshot) {
	t.Helper()
	var put []model.User
	for range 1 + r.IntN(5) {
		i := r.IntN(len(snap.Users))
		u := snap.Users[i]
		u.LicenseStates, u.AssignedLicenses = slices.Clone(u.LicenseStates), slices.Clone(u.AssignedLicenses)
		switch r.IntN(7) {
		case 0:
			u.OfficeLocation = []string{"", "b 2", "B 2", "A 1", "Annex", "ä"}[r.IntN(6)]
		case 1:
			u.Department = []string{"Maths", "MATHS", "History", "", "Physics"}[r.IntN(5)]
		case 2:
			u.AccountEnabled = !u.AccountEnabled
		case 3:
			u.LicenseStates, u.AssignedLicenses = nil, nil
		case 4:
			if len(u.LicenseStates) > 0 {
				u.LicenseStates[0].State, u.LicenseStates[0].Error = model.StateError, model.ErrorCountViolation
			}
		case 5:
			u.DisplayName = []string{"Al", "al", "Zoë", "Bo"}[r.IntN(4)]
		case 6:
			u.CreatedAt = time.Date(2020+r.IntN(5), 1, 1, 0, 0, 0, 0, time.UTC)
		}
		snap.Users[i] = u
		put = append(put, u)
	}
	if err := s.UpdateUsers(context.Background(), put, nil); err != nil {
		t.Fatal(err)
	}
}

// carryOrder is o brought to ch as simply as it can be said: the changed out, the entries in,
// everything sorted again.
func carryOrder(o model.HolderOrder, ch model.HolderOrderChanges) []model.HolderOrderEntry {
	out := slices.DeleteFunc(entriesOf(o), func(e model.HolderOrderEntry) bool { return slices.Contains(ch.Changed, e.UserID) })
	out = append(out, ch.Entries...)
	slices.SortFunc(out, model.CompareOrderEntries)
	return out
}

// An order of any view carried across any run of patches (one round or several at once, and
// patches that change no user) is the order read afresh at the new version.
func TestHolderOrderCarriedAcrossPatches(t *testing.T) {
	ctx := context.Background()
	sorts := []string{"", "officeLocation", "department", "accountEnabled", "createdDateTime", "licenseState",
		"assignment", "userPrincipalName", "onPremisesLastSyncDateTime"}
	filters := []model.HolderQuery{{}, {InError: true}, {Source: model.SourceDirect}, {Account: model.AccountBlocked},
		{Department: "maths"}}
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 14))
			s := openTest(t)
			snap := orderSnapshot()
			if err := s.SaveSnapshot(ctx, 0, snap); err != nil {
				t.Fatal(err)
			}
			read := func(q model.HolderQuery) model.HolderOrder {
				o, err := s.SKUHolderOrder(ctx, q, 0)
				if err != nil {
					t.Fatal(err)
				}
				return o
			}
			var views []model.HolderQuery
			kept := map[int]model.HolderOrder{}
			for _, sort := range sorts {
				for _, f := range filters {
					q := f
					q.SKUID, q.Sort = skuA1Students, sort
					kept[len(views)] = read(q)
					views = append(views, q)
				}
			}
			for round := range 6 {
				if round == 2 {
					if err := s.UpdateSKUs(ctx, snap.SKUs); err != nil { // moves the version, changes no user
						t.Fatal(err)
					}
				} else {
					patchUsers(t, s, r, &snap)
				}
				for i, q := range views {
					ch, ok, err := s.SKUHolderOrderChanges(ctx, q, kept[i].Version, 100)
					if err != nil || !ok {
						t.Fatalf("round %d %+v: not carried (%v)", round, q, err)
					}
					fresh := read(q)
					if ch.Version != fresh.Version {
						t.Fatalf("round %d: changes to version %s, the data is at %s", round, ch.Version, fresh.Version)
					}
					if got, want := carryOrder(kept[i], ch), entriesOf(fresh); !reflect.DeepEqual(got, want) {
						t.Fatalf("round %d %+v: carried order\n%+v\nread afresh\n%+v", round, q, got, want)
					}
					if (round+i)%2 == 0 { // the others are carried across several rounds at once
						kept[i] = fresh
					}
				}
			}
		})
	}
}

// An order is not carried when more changed than the caller would carry, or what changed stamped
// no user (an incremental refresh), or another snapshot is current, or its version is no version.
func TestHolderOrderNotCarried(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	snap := orderSnapshot()
	if err := s.SaveSnapshot(ctx, 0, snap); err != nil {
		t.Fatal(err)
	}
	q := model.HolderQuery{SKUID: skuA1Students, Sort: "officeLocation"}
	before, err := s.SKUHolderOrder(ctx, q, 0)
	if err != nil {
		t.Fatal(err)
	}
	notCarried := func(what, since string, limit int) {
		t.Helper()
		if ch, ok, err := s.SKUHolderOrderChanges(ctx, q, since, limit); err != nil || ok {
			t.Errorf("%s: carried (%+v, %v)", what, ch, err)
		}
	}
	notCarried("no version", "", 10)
	notCarried("not a version", "1.2.x.4", 10)
	if err := s.UpdateUsers(ctx, snap.Users[:3], nil); err != nil {
		t.Fatal(err)
	}
	notCarried("three users changed, two carried", before.Version, 2)
	if _, ok, err := s.SKUHolderOrderChanges(ctx, q, before.Version, 3); err != nil || !ok {
		t.Errorf("three users changed, three carried: not carried (%v)", err)
	}
	patched, err := s.SKUHolderOrder(ctx, q, 0)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := s.BeginRefresh(ctx, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	u := userByID(snap, patched.UserIDs[len(patched.UserIDs)/2])
	u.OfficeLocation = "Moved by a refresh"
	if err := ref.PutUsers(ctx, []model.User{u}); err != nil {
		t.Fatal(err)
	}
	if _, err := ref.Commit(ctx, snap.SKUs, snap.Groups, nil, model.DeltaLinks{Users: "u", Groups: "g"}); err != nil {
		t.Fatal(err)
	}
	notCarried("an incremental refresh", patched.Version, 100)
	refreshed, err := s.SKUHolderOrder(ctx, q, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(refreshed.Keys, func(k model.SortKey) bool { return k.Text == strings.ToLower(u.OfficeLocation) }) {
		t.Errorf("the refreshed office is not in the order: %+v", refreshed.Keys)
	}
	if err := s.SaveSnapshot(ctx, 0, snap); err != nil {
		t.Fatal(err)
	}
	notCarried("another snapshot", refreshed.Version, 100)
}

func userByID(snap model.Snapshot, id string) model.User {
	i := slices.IndexFunc(snap.Users, func(u model.User) bool { return u.ID == id })
	return snap.Users[i]
}
