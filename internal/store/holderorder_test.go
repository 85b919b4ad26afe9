package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

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
