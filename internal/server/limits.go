package server

import (
	"strconv"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// Input limits: everything the dashboard accepts from an address or a form is bounded here, so
// the pages agree and a hostile request cannot make one of them slow or large.
const (
	// maxFormBytes bounds a posted form (reprocess: up to assign.MaxUsers ids).
	maxFormBytes = 1 << 20
	// maxSearchRunes bounds a search text (group report, user search).
	maxSearchRunes = 200
	// maxMemberSearch bounds the member search of a group page, in bytes; longer text is cut,
	// not refused, because it only narrows a list.
	maxMemberSearch = 200
	// maxFilterLen bounds each activity filter field, in bytes.
	maxFilterLen = 256
	// maxPage bounds page numbers so offsets cannot overflow; pages past the last one are
	// clamped to it.
	maxPage = 1_000_000
	// ipUploadMax caps an IP range import upload in all. The public service tags file, the
	// largest, is about 4 MiB.
	ipUploadMax = 32 << 20
	// ipUploadMaxFiles caps the files of one import (7 sources; some slack for retries).
	ipUploadMaxFiles = 20
)

// Page sizes of the lists.
const (
	defaultPageSize  = 50 // group report, unless the address picks one of pageSizes
	errorPageSize    = 100
	memberPageSize   = 50
	userPageSize     = 50
	activityPageSize = 50
)

// pageSizes are the group report's page sizes; others are refused so the page stays fast.
var pageSizes = []int{25, 50, 100, 200, 500}

// window is one page of a list of total rows: the page shown (the asked one, clamped to the
// list) and the bounds of its rows.
type window struct {
	page, pages int
	lo, hi      int // rows [lo, hi) are on the page
	total, size int
}

// pageWindow is page asked of a list of total rows, size a page.
func pageWindow(total, asked, size int) window {
	pages := model.Pages(total, size)
	cur := min(max(asked, 1), pages)
	lo := min((cur-1)*size, total)
	return window{page: cur, pages: pages, lo: lo, hi: min(lo+size, total), total: total, size: size}
}

// pager builds the pagination of w, with at giving each page's URL.
func (w window) pager(at func(page int) string) web.Pager {
	p := web.Pager{Page: w.page, Pages: w.pages, Total: w.total}
	if w.total > 0 {
		p.First, p.Last = w.lo+1, w.hi
	}
	if w.page > 1 {
		p.PrevHref = at(w.page - 1)
	}
	if w.page < w.pages {
		p.NextHref = at(w.page + 1)
	}
	const around = 2
	last := 0
	for n := 1; n <= w.pages; n++ {
		if n != 1 && n != w.pages && (n < w.page-around || n > w.page+around) {
			continue
		}
		if last != 0 && n > last+1 {
			p.Links = append(p.Links, web.PageLink{Gap: true})
		}
		p.Links = append(p.Links, web.PageLink{Page: n, Href: at(n), Current: n == w.page})
		last = n
	}
	return p
}

// parsePageLenient reads a page number that only moves through a list: what cannot be meant
// (not a number, below 1) is page 1, and numbers past maxPage are maxPage.
func parsePageLenient(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxPage)
}
