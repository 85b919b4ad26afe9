package server

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// reportColumns are the report table's columns in display order.
var reportColumns = []struct {
	key, label string
	numeric    bool
}{
	{model.GroupSortID, "Object id", false},
	{model.GroupSortName, "Name", false},
	{model.GroupSortMembers, "Members", true},
	{model.GroupSortErrors, "Errors", true},
	{model.GroupSortLicenses, "Licenses", false},
	{model.GroupSortProcessing, "Processing", false},
}

// handleGroupReport serves /groups: one page of the group license report. Only the page's
// rows are read and rendered, so it stays fast however many groups the tenant has.
func (s *Server) handleGroupReport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := s.layout(ctx, "Group licenses", "groups")
	q, err := parseReportQuery(r.URL.Query())
	if err != nil {
		// The form shows what was typed, with the problem beside it.
		v := reportView(q, model.GroupReportPage{})
		v.HasData = !l.DataAsOf.IsZero()
		return onForm(err, func(p *web.FormProblem) templ.Component {
			v.Problem = p
			return web.GroupReportPage(l, v)
		})
	}
	page, err := s.store.GroupReport(ctx, q)
	if isNotFound(err) {
		s.render(w, r, http.StatusOK, web.GroupReportPage(l, web.GroupReportView{}))
		return nil
	}
	if err != nil {
		return err
	}
	// A bookmarked page past the end (the tenant shrank) shows the last page instead of
	// nothing. The store clamps already and says which page it returned.
	if page.Page >= 1 {
		q.Page = page.Page
	}
	if page.PageSize >= 1 {
		q.PageSize = page.PageSize
	}
	if page.Total > 0 && q.Page > page.Pages() {
		q.Page = page.Pages()
		if page, err = s.store.GroupReport(ctx, q); err != nil {
			return err
		}
	}
	v := reportView(q, page)
	v.HasData = !l.DataAsOf.IsZero() || page.Total > 0
	s.render(w, r, http.StatusOK, web.GroupReportPage(l, v))
	return nil
}

// reportView turns a page of the report into its view model, with every link built from q so
// sorting, filtering and paging keep the rest of the view.
func reportView(q model.GroupReportQuery, page model.GroupReportPage) web.GroupReportView {
	v := web.GroupReportView{
		Search:     q.Search,
		OnlyErrors: q.OnlyErrors,
		Sort:       q.Sort,
		Desc:       q.Desc,
		PageSize:   q.PageSize,
		PageSizes:  pageSizes,
		Total:      page.Total,
		FormAction: "/groups",
	}
	for _, c := range reportColumns {
		next := q
		next.Page = 1
		if q.Sort == c.key {
			next.Desc = !q.Desc
		} else {
			next.Sort, next.Desc = c.key, sortColumns[c.key]
		}
		v.Columns = append(v.Columns, web.Column{
			Key: c.key, Label: c.label, Numeric: c.numeric,
			Href:   reportURL("/groups", next),
			Sorted: q.Sort == c.key, Desc: q.Desc,
		})
	}
	// The filter form submits q, errors and size itself; it carries the sort along.
	sortOnly := reportValues(model.GroupReportQuery{Sort: q.Sort, Desc: q.Desc})
	for _, name := range []string{paramSort, paramDir} {
		if val := sortOnly.Get(name); val != "" {
			v.Hidden = append(v.Hidden, web.Param{Name: name, Value: val})
		}
	}
	clear := q
	clear.Search, clear.OnlyErrors, clear.Page = "", false, 1
	v.ClearURL = reportURL("/groups", clear)
	csv := q
	csv.Page, csv.PageSize = 1, 0
	v.CSVURL = reportURL("/groups.csv", csv)

	v.Rows = make([]web.GroupRow, 0, len(page.Rows))
	for _, row := range page.Rows {
		href := groupURL(row.ID)
		v.Rows = append(v.Rows, web.GroupRow{
			ID: row.ID, Name: displayName(row.DisplayName), Href: href,
			Members: row.MemberCount, Users: row.UserCount,
			Errors: row.ErrorCount, ErrorsHref: href + "#errors",
			Licenses: row.Licenses, ProcessingState: row.ProcessingState,
		})
	}
	v.Pager = pager(q, page)
	return v
}

// pager builds the report's pagination with the same search, filter and sort on every page.
func pager(q model.GroupReportQuery, page model.GroupReportPage) web.Pager {
	return pageWindow(page.Total, q.Page, q.PageSize).pager(func(n int) string {
		x := q
		x.Page = n
		return reportURL("/groups", x)
	})
}
