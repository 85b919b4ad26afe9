package server

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/licensereport"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// chartRanges are the periods a SKU's chart offers, in days; the first is the default.
var chartRanges = []int{90, 30, 365}

// holderView is a SKU page's view as its address says: columns, filters, order, page, period.
type holderView struct {
	q    model.HolderQuery
	cols []licensereport.Column
	days int
	bom  bool // files only: with the byte order mark
}

// parseHolderView reads a holder view from its URL parameters; every problem is named, none
// guessed. The result always has columns, a page and a page size from pageSizes.
func parseHolderView(v url.Values) (holderView, error) {
	h := holderView{q: model.HolderQuery{Page: 1, PageSize: defaultPageSize}, days: chartRanges[0], bom: true}
	var bad []string
	cols, err := licensereport.ParseColumns(splitList(v["col"]))
	if err != nil {
		bad = append(bad, "col: "+err.Error())
		cols, _ = licensereport.ParseColumns(nil)
	}
	h.cols = cols
	choose := func(name, val string, allowed ...string) string {
		if val == "" || slices.Contains(allowed, val) {
			return val
		}
		bad = append(bad, fmt.Sprintf("%s: %q is not one of %s", name, clip(val), strings.Join(allowed, ", ")))
		return ""
	}
	h.q.Account = choose("account", v.Get("account"), model.AccountEnabled, model.AccountBlocked)
	h.q.Source = choose("source", v.Get("source"), model.SourceDirect, model.SourceGroup, model.SourceBoth)
	switch e := v.Get("errors"); e {
	case "", "0":
	case "1":
		h.q.InError = true
	default:
		bad = append(bad, fmt.Sprintf("errors: %q is not a yes/no value; use 1 or leave it out", clip(e)))
	}
	for name, dst := range map[string]*string{"dept": &h.q.Department, "loc": &h.q.UsageLocation} {
		val := cleanSearch(v.Get(name))
		if len([]rune(val)) > maxSearchRunes {
			bad = append(bad, fmt.Sprintf("%s: longer than %d characters", name, maxSearchRunes))
			continue
		}
		*dst = val
	}
	if s := v.Get("sort"); s != "" {
		i := slices.IndexFunc(licensereport.Columns(), func(c licensereport.Column) bool { return c.Name == s && c.Sortable })
		if i < 0 {
			bad = append(bad, fmt.Sprintf("sort: %q is not a column holders can be sorted by", clip(s)))
		} else {
			h.q.Sort = s
		}
	}
	switch d := v.Get("dir"); d {
	case "", "asc":
	case "desc":
		h.q.Desc = true
	default:
		bad = append(bad, fmt.Sprintf("dir: %q is not a direction; use asc or desc", clip(d)))
	}
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			bad = append(bad, fmt.Sprintf("page: %q is not a page number", clip(p)))
		} else {
			h.q.Page = min(n, maxPage)
		}
	}
	if sz := v.Get("size"); sz != "" {
		n, err := strconv.Atoi(sz)
		if err != nil || !slices.Contains(pageSizes, n) {
			bad = append(bad, fmt.Sprintf("size: %q is not an offered page size; use one of %s", clip(sz), joinInts(pageSizes)))
		} else {
			h.q.PageSize = n
		}
	}
	if d := v.Get("days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || !slices.Contains(chartRanges, n) {
			bad = append(bad, fmt.Sprintf("days: %q is not an offered period; use one of %s", clip(d), joinInts(chartRanges)))
		} else {
			h.days = n
		}
	}
	switch b := v.Get("bom"); b {
	case "", "1":
	case "0":
		h.bom = false
	default:
		bad = append(bad, fmt.Sprintf("bom: %q is not 0 or 1", clip(b)))
	}
	if len(bad) > 0 {
		return h, &model.InputError{Message: "The address asks for a view of the holders that does not exist. Fix or remove these parameters:", Problems: bad}
	}
	return h, nil
}

// splitList reads repeated and comma-separated values: col=a&col=b or col=a,b.
func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// values is the address of h, leaving defaults out so links stay short.
func (h holderView) values() url.Values {
	v := url.Values{}
	names := make([]string, len(h.cols))
	for i, c := range h.cols {
		names[i] = c.Name
	}
	if !slices.Equal(names, licensereport.DefaultColumns()) {
		v.Set("col", strings.Join(names, ","))
	}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("account", h.q.Account)
	set("source", h.q.Source)
	if h.q.InError {
		v.Set("errors", "1")
	}
	set("dept", h.q.Department)
	set("loc", h.q.UsageLocation)
	set("sort", h.q.Sort)
	if h.q.Desc {
		v.Set("dir", "desc")
	}
	if h.q.Page > 1 {
		v.Set("page", strconv.Itoa(h.q.Page))
	}
	if h.q.PageSize != defaultPageSize {
		v.Set("size", strconv.Itoa(h.q.PageSize))
	}
	if h.days != chartRanges[0] {
		v.Set("days", strconv.Itoa(h.days))
	}
	return v
}

// skuURL is the page of one SKU, by part number when it has one (what people read and type).
func skuURL(s licensereport.Summary) string { return skuPage(s.PartNumber, s.ID) }

// skuPage is the page of the SKU with this part number (or, without one, this id).
func skuPage(partNumber, id string) string {
	ref := partNumber
	if ref == "" {
		ref = id
	}
	return "/licenses/" + url.PathEscape(ref)
}
