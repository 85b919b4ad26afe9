package server

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestParseReportQuery(t *testing.T) {
	def := model.GroupReportQuery{Sort: model.GroupSortName, Page: 1, PageSize: defaultPageSize}
	with := func(f func(*model.GroupReportQuery)) model.GroupReportQuery {
		q := def
		f(&q)
		return q
	}
	tests := []struct {
		raw  string
		want model.GroupReportQuery
		bad  []string // parameters the 400 must name
	}{
		{raw: "", want: def},
		{raw: "q=faculty&sort=errors&errors=1&page=3&size=100", want: with(func(q *model.GroupReportQuery) {
			q.Search, q.Sort, q.Desc, q.OnlyErrors, q.Page, q.PageSize = "faculty", "errors", true, true, 3, 100
		})},
		{raw: "sort=errors&dir=asc", want: with(func(q *model.GroupReportQuery) { q.Sort = "errors" })},
		{raw: "sort=name&dir=desc", want: with(func(q *model.GroupReportQuery) { q.Desc = true })},
		{raw: "sort=MEMBERS&dir=DESC", want: with(func(q *model.GroupReportQuery) { q.Sort, q.Desc = "members", true })},
		{raw: "q=++%20faculty%09++", want: with(func(q *model.GroupReportQuery) { q.Search = "faculty" })},
		{raw: "q=a%00b%1bc%7f", want: with(func(q *model.GroupReportQuery) { q.Search = "abc" })},
		{raw: "q=%ff%fe%C3%84rzte", want: with(func(q *model.GroupReportQuery) { q.Search = "Ärzte" })},
		{raw: "q=%27%3B+DROP+TABLE+groups%3B--", want: with(func(q *model.GroupReportQuery) { q.Search = "'; DROP TABLE groups;--" })},
		{raw: "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", want: with(func(q *model.GroupReportQuery) { q.Search = "<script>alert(1)</script>" })},
		{raw: "errors=on", want: with(func(q *model.GroupReportQuery) { q.OnlyErrors = true })},
		{raw: "errors=0", want: def},
		{raw: "errors=", want: def},
		{raw: "page=0", want: def},
		{raw: "page=-7", want: def},
		{raw: "page=%2B4", want: with(func(q *model.GroupReportQuery) { q.Page = 4 })},
		{raw: "page=99999999999999999999999999", want: with(func(q *model.GroupReportQuery) { q.Page = maxPage })},
		{raw: "page=5000000", want: with(func(q *model.GroupReportQuery) { q.Page = maxPage })},
		{raw: "q=first&q=second", want: with(func(q *model.GroupReportQuery) { q.Search = "first" })},
		{raw: "sort=", want: def},
		{raw: "unknown=1&utm_source=mail", want: def},
		{raw: "sort=display_name", bad: []string{"sort"}},
		{raw: "sort=name%3BDROP", bad: []string{"sort"}},
		{raw: "dir=up", bad: []string{"dir"}},
		{raw: "errors=maybe", bad: []string{"errors"}},
		{raw: "page=two", bad: []string{"page"}},
		{raw: "page=1.5", bad: []string{"page"}},
		{raw: "page=-", bad: []string{"page"}},
		{raw: "size=7", bad: []string{"size"}},
		{raw: "size=100000", bad: []string{"size"}},
		{raw: "size=-50", bad: []string{"size"}},
		{raw: "size=abc", bad: []string{"size"}},
		{raw: "q=" + strings.Repeat("x", maxSearchRunes+1), bad: []string{"q"}},
		{raw: "q=" + strings.Repeat("é", maxSearchRunes), want: with(func(q *model.GroupReportQuery) { q.Search = strings.Repeat("é", maxSearchRunes) })},
		{raw: "sort=x&dir=y&errors=z&page=w&size=v", bad: []string{"sort", "dir", "errors", "page", "size"}},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			v, err := url.ParseQuery(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseReportQuery(v)
			if tc.bad != nil {
				var qe *model.InputError
				if !errors.As(err, &qe) {
					t.Fatalf("err = %v, want *model.InputError", err)
				}
				if len(qe.Problems) != len(tc.bad) {
					t.Fatalf("problems = %q, want one for each of %q", qe.Problems, tc.bad)
				}
				for i, p := range tc.bad {
					if !strings.HasPrefix(qe.Problems[i], p+":") {
						t.Errorf("problem %d = %q, want it about %s", i, qe.Problems[i], p)
					}
				}
				checkValidQuery(t, got)
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestReportValuesOmitDefaults(t *testing.T) {
	tests := []struct {
		q    model.GroupReportQuery
		want string
	}{
		{model.GroupReportQuery{Sort: "name", Page: 1, PageSize: defaultPageSize}, ""},
		{model.GroupReportQuery{}, ""},
		{model.GroupReportQuery{Sort: "errors", Desc: true, Page: 1}, "sort=errors"},
		{model.GroupReportQuery{Sort: "errors", Desc: false, Page: 1}, "dir=asc&sort=errors"},
		{model.GroupReportQuery{Sort: "name", Desc: true, OnlyErrors: true, Page: 2, PageSize: 100, Search: "a&b=c"},
			"dir=desc&errors=1&page=2&q=a%26b%3Dc&size=100"},
	}
	for _, tc := range tests {
		if got := reportValues(tc.q).Encode(); got != tc.want {
			t.Errorf("reportValues(%+v) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

// checkValidQuery fails unless q is something the store can run and the page can show.
func checkValidQuery(t *testing.T, q model.GroupReportQuery) {
	t.Helper()
	if _, ok := sortColumns[q.Sort]; !ok {
		t.Errorf("sort %q is not a column", q.Sort)
	}
	if q.Page < 1 || q.Page > maxPage {
		t.Errorf("page %d out of range", q.Page)
	}
	if !slices.Contains(pageSizes, q.PageSize) {
		t.Errorf("page size %d not offered", q.PageSize)
	}
	if !utf8.ValidString(q.Search) || utf8.RuneCountInString(q.Search) > maxSearchRunes ||
		strings.TrimSpace(q.Search) != q.Search || strings.ContainsFunc(q.Search, unicode.IsControl) {
		t.Errorf("search %q not clean", q.Search)
	}
}

// FuzzParseReportQuery: any query string parses without panicking into a valid query or a
// *model.InputError, and a valid query survives its own URL unchanged.
func FuzzParseReportQuery(f *testing.F) {
	for _, seed := range []string{
		"", "q=faculty&sort=errors&errors=1&page=3&size=100", "sort=members&dir=asc",
		"page=99999999999999999999", "q=%ff%00x", "size=7", "dir=sideways", "q=%E2%80%AE%20rtl",
		"page=-1&size=500&sort=LICENSES&dir=DESC&errors=true", "q=" + strings.Repeat("ab", 150),
		"%zz=1", "q=a;b", "errors=1&errors=0",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw) // keeps what it could parse, as net/http does
		q, err := parseReportQuery(v)
		if err != nil {
			var qe *model.InputError
			if !errors.As(err, &qe) || len(qe.Problems) == 0 {
				t.Fatalf("err = %v, want a *model.InputError with problems", err)
			}
			checkValidQuery(t, q) // even a refused query is safe to use
			return
		}
		checkValidQuery(t, q)
		again, err := parseReportQuery(reportValues(q))
		if err != nil {
			t.Fatalf("own URL %q refused: %v", reportValues(q).Encode(), err)
		}
		if again != q {
			t.Fatalf("round trip: %+v -> %q -> %+v", q, reportValues(q).Encode(), again)
		}
	})
}
