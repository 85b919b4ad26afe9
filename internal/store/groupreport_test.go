package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// hostileGroups have names that would break a naive LIKE or string-built SQL.
var hostileGroups = []string{
	"100% remote", "100 remote", "under_score", "underXscore", `O'Brien "quoted"`, "Ärzte Nord", "ÄRZTE süd",
	`back\slash`, "semi; DROP TABLE snapshot_groups; --", "🎓 graduates", "İstanbul", "  spaced  ", "",
}

// reportTenant is a generated tenant plus hostile names, with its groups' expected error counts.
func reportTenant() (model.Snapshot, map[string]int) {
	snap := genTenant(7, 600, 150)
	for i, name := range hostileGroups {
		g := model.Group{ID: fmt.Sprintf("h%02d-%s", i, []string{"AbC", "xyz"}[i%2]), DisplayName: name,
			ProcessingState: model.ProcessingComplete, AssignedLicenses: []model.AssignedLicense{{SKUID: snap.SKUs[i%3].ID}}}
		snap.Groups = append(snap.Groups, g)
		snap.MemberCounts[g.ID] = model.MemberCounts{All: i % 4, Users: i % 3}
		if i%3 == 0 { // one user in error for every third hostile group
			snap.Users[i].LicenseStates = append(snap.Users[i].LicenseStates, model.LicenseState{
				SKUID: g.AssignedLicenses[0].SKUID, AssignedByGroup: g.ID, State: model.StateError, Error: model.ErrorCountViolation})
		}
	}
	errs := map[string]int{}
	for _, u := range snap.Users {
		groups := map[string]bool{}
		for _, st := range u.LicenseStates {
			if st.AssignedByGroup != "" && st.Error != "" {
				groups[st.AssignedByGroup] = true
			}
		}
		for g := range groups {
			errs[g]++
		}
	}
	return snap, errs
}

// expectedReport is the report computed the slow, obvious way in Go.
func expectedReport(snap model.Snapshot, errs map[string]int, q model.GroupReportQuery) []model.GroupReportRow {
	partNumbers := map[string]string{}
	for _, k := range snap.SKUs {
		partNumbers[k.ID] = k.PartNumber
	}
	licKey := func(g model.Group) string {
		var names []string
		for _, l := range g.AssignedLicenses {
			names = append(names, strings.ToLower(cmp.Or(partNumbers[l.SKUID], l.SKUID)))
		}
		slices.Sort(names)
		return strings.Join(names, "\x1f")
	}
	search := strings.ToLower(strings.TrimSpace(q.Search))
	var rows []model.Group
	for _, g := range snap.Groups {
		if search != "" && !strings.Contains(strings.ToLower(g.DisplayName), search) && strings.ToLower(g.ID) != search {
			continue
		}
		if q.OnlyErrors && errs[g.ID] == 0 {
			continue
		}
		rows = append(rows, g)
	}
	dir := 1
	if q.Desc {
		dir = -1
	}
	slices.SortFunc(rows, func(a, b model.Group) int {
		an, bn := strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)
		var c int
		switch q.Sort {
		case model.GroupSortID:
			return dir * strings.Compare(a.ID, b.ID)
		case model.GroupSortMembers:
			c = cmp.Compare(snap.MemberCounts[a.ID].All, snap.MemberCounts[b.ID].All)
		case model.GroupSortErrors:
			c = cmp.Compare(errs[a.ID], errs[b.ID])
		case model.GroupSortLicenses:
			c = strings.Compare(licKey(a), licKey(b))
		case model.GroupSortProcessing:
			c = strings.Compare(a.ProcessingState, b.ProcessingState)
		default:
			return dir * cmp.Or(strings.Compare(an, bn), strings.Compare(a.ID, b.ID))
		}
		return cmp.Or(dir*c, strings.Compare(an, bn), strings.Compare(a.ID, b.ID))
	})
	out := make([]model.GroupReportRow, len(rows))
	for i, g := range rows {
		out[i] = model.GroupReportRow{ID: g.ID, DisplayName: g.DisplayName, MemberCount: snap.MemberCounts[g.ID].All,
			UserCount: snap.MemberCounts[g.ID].Users, ErrorCount: errs[g.ID], ProcessingState: g.ProcessingState}
	}
	return out
}

func rowKeys(rows []model.GroupReportRow) []string {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = fmt.Sprintf("%s|%s|%d|%d|%d|%s", r.ID, r.DisplayName, r.MemberCount, r.UserCount, r.ErrorCount, r.ProcessingState)
	}
	return keys
}

func TestGroupReportQueries(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	snap, errs := reportTenant()
	mustSave(t, st, 0, snap)

	var queries []model.GroupReportQuery
	for _, sort := range []string{"", model.GroupSortName, model.GroupSortID, model.GroupSortMembers, model.GroupSortErrors,
		model.GroupSortLicenses, model.GroupSortProcessing} {
		for _, desc := range []bool{false, true} {
			for _, onlyErrors := range []bool{false, true} {
				queries = append(queries, model.GroupReportQuery{Sort: sort, Desc: desc, OnlyErrors: onlyErrors, PageSize: 7})
			}
		}
	}
	for _, search := range []string{"%", "_", "'", `"`, `\`, "ärz", "ÄRZ", "ärzte nord", "🎓", "; drop table", "--",
		"students", "STUDENTS", "xyz", "h0", "-0000-4000-8000-", "  spaced  ", "   ", "i̇stanbul", "zzz no match", "\x00", "%_%"} {
		queries = append(queries,
			model.GroupReportQuery{Search: search},
			model.GroupReportQuery{Search: search, Sort: model.GroupSortErrors, Desc: true, OnlyErrors: true})
	}
	for _, q := range queries {
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) {
			want := rowKeys(expectedReport(snap, errs, q))
			var got []string
			pageSize := cmp.Or(q.PageSize, DefaultPageSize)
			for page := 1; ; page++ {
				q.Page = page
				p, err := st.GroupReport(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if p.Total != len(want) || p.PageSize != pageSize {
					t.Fatalf("page %d: total %d size %d, want %d, %d", page, p.Total, p.PageSize, len(want), pageSize)
				}
				if page > p.Pages() {
					// past the end: clamped to the last page
					if p.Page != p.Pages() {
						t.Errorf("page %d of %d answered as page %d", page, p.Pages(), p.Page)
					}
					break
				}
				if len(p.Rows) > pageSize {
					t.Fatalf("%d rows on a page of %d", len(p.Rows), pageSize)
				}
				got = append(got, rowKeys(p.Rows)...)
			}
			if !slices.Equal(got, want) {
				t.Errorf("paged rows differ:\n got %q\nwant %q", got, want)
			}
			var all []model.GroupReportRow
			if err := st.EachGroupReportRow(ctx, q, func(r model.GroupReportRow) error { all = append(all, r); return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rowKeys(all), want) {
				t.Errorf("EachGroupReportRow differs:\n got %q\nwant %q", rowKeys(all), want)
			}
			for _, r := range all {
				if len(r.Licenses) == 0 {
					t.Errorf("row %s has no licenses", r.ID)
				}
			}
		})
	}
}

func TestGroupReportPaging(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	mustSave(t, st, 0, genTenant(3, 100, 1200))
	cases := []struct {
		q                model.GroupReportQuery
		page, size, rows int
	}{
		{model.GroupReportQuery{}, 1, 50, 50},
		{model.GroupReportQuery{Page: -3, PageSize: -1}, 1, 50, 50},
		{model.GroupReportQuery{Page: 24}, 24, 50, 50},
		{model.GroupReportQuery{Page: 25}, 24, 50, 50}, // clamped
		{model.GroupReportQuery{Page: 1 << 40}, 24, 50, 50},
		{model.GroupReportQuery{PageSize: 1000}, 1, 500, 500},
		{model.GroupReportQuery{PageSize: 500, Page: 3}, 3, 500, 200},
		{model.GroupReportQuery{Search: "nothing like this"}, 1, 50, 0},
		{model.GroupReportQuery{Search: "nothing like this", Page: 9}, 1, 50, 0},
	}
	for _, tc := range cases {
		p, err := st.GroupReport(ctx, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Page != tc.page || p.PageSize != tc.size || len(p.Rows) != tc.rows {
			t.Errorf("%+v: page %d size %d rows %d, want %d %d %d", tc.q, p.Page, p.PageSize, len(p.Rows), tc.page, tc.size, tc.rows)
		}
		if p.Rows == nil {
			t.Errorf("%+v: nil rows", tc.q)
		}
	}
	// fn's error stops the iteration and comes back
	stop := fmt.Errorf("stop")
	n := 0
	err := st.EachGroupReportRow(ctx, model.GroupReportQuery{}, func(model.GroupReportRow) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("EachGroupReportRow = %v after %d rows, want stop after 3", err, n)
	}
}

// FuzzGroupReportSearch: any search text is answered, and every row it returns contains it in
// its name or is the group with that id.
func FuzzGroupReportSearch(f *testing.F) {
	for _, s := range []string{"", "%", "_", "'", `"`, `\`, "ärz", "🎓", "' OR 1=1 --", "\x00", "\xff\xfe", "ǅ", "ß", "h1"} {
		f.Add(s, false)
	}
	st := openTest(f)
	ctx := context.Background()
	snap, _ := reportTenant()
	if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, search string, onlyErrors bool) {
		p, err := st.GroupReport(ctx, model.GroupReportQuery{Search: search, OnlyErrors: onlyErrors, PageSize: MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		needle := strings.ToLower(strings.TrimSpace(search))
		for _, r := range p.Rows {
			if !strings.Contains(strings.ToLower(r.DisplayName), needle) && strings.ToLower(r.ID) != needle {
				t.Errorf("search %q returned %q (%s)", search, r.DisplayName, r.ID)
			}
			if onlyErrors && r.ErrorCount == 0 {
				t.Errorf("only errors returned %s", r.ID)
			}
		}
		if needle == "" && p.Total != len(snap.Groups) && !onlyErrors {
			t.Errorf("empty search: %d groups, want %d", p.Total, len(snap.Groups))
		}
	})
}
