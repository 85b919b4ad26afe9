package server

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/licensereport"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// findSKU is the SKU of a /licenses/{sku} route (by part number or id).
func (s *Server) findSKU(r *http.Request) (licensereport.Summary, error) {
	ref := strings.TrimSpace(chi.URLParam(r, "sku"))
	sums, err := s.licenses.Summaries(r.Context())
	if isNotFound(err) {
		return licensereport.Summary{}, errNoData
	}
	if err != nil {
		return licensereport.Summary{}, err
	}
	return licensereport.Find(sums, text.Clip(ref, model.MaxIDLen))
}

// handleLicense serves /licenses/{sku}: one SKU, its use over time and a page of its holders
// with the columns, filters and order of the address.
func (s *Server) handleLicense(w http.ResponseWriter, r *http.Request) error {
	sku, err := s.findSKU(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	l := s.layout(ctx, sku.Name, "licenses")
	hv, err := parseHolderView(r.URL.Query())
	v := s.skuPageView(r, sku, hv)
	if err != nil {
		return onForm(err, func(p *web.FormProblem) templ.Component {
			v.Problem = p
			return web.SKUPage(l, v)
		})
	}
	page, err := s.licenses.Holders(ctx, sku, hv.q)
	if err != nil {
		return err
	}
	// A bookmarked page past the end (fewer holders now) shows the last page.
	if win := pageWindow(page.Total, hv.q.Page, hv.q.PageSize); win.page != hv.q.Page && page.Total > 0 {
		hv.q.Page = win.page
		if page, err = s.licenses.Holders(ctx, sku, hv.q); err != nil {
			return err
		}
		v = s.skuPageView(r, sku, hv)
	}
	v.Total = page.Total
	v.Pager = pageWindow(page.Total, hv.q.Page, hv.q.PageSize).pager(func(n int) string {
		x := hv
		x.q.Page = n
		return withQuery(skuURL(sku), x.values()) + "#holders-section"
	})
	for i := range page.Rows {
		v.Rows = append(v.Rows, holderRow(&page.Rows[i], hv.cols))
	}
	s.render(w, r, http.StatusOK, web.SKUPage(l, v))
	return nil
}

// skuPageView is the page of sku in view hv without its rows: facts, chart, form and headers.
func (s *Server) skuPageView(r *http.Request, sku licensereport.Summary, hv holderView) web.SKUPageView {
	base := skuURL(sku)
	v := web.SKUPageView{SKU: s.skuRow(sku), ListURL: "/licenses", FormAction: base, InError: hv.q.InError,
		PageSizes: pageSizes, PageSize: hv.q.PageSize, ClearURL: base}
	now := s.now()
	v.Chart = web.LineChart(chartPoints(sku.History, now.AddDate(0, 0, -hv.days)), now.AddDate(0, 0, -hv.days), now, 720, 220,
		"Consumed and purchased units of "+sku.Name+", last "+strconv.Itoa(hv.days)+" days")
	for _, d := range []int{30, 90, 365} {
		x := hv
		x.days = d
		v.Ranges = append(v.Ranges, web.RangeLink{Days: d, Href: withQuery(base, x.values()) + "#use", Current: d == hv.days})
	}
	for _, c := range licensereport.Columns() {
		v.Choices = append(v.Choices, web.ColumnChoice{Name: c.Name, Label: c.Label, License: c.License,
			Checked: slices.ContainsFunc(hv.cols, func(x licensereport.Column) bool { return x.Name == c.Name })})
	}
	v.Account = options(hv.q.Account, "Any account", []string{model.AccountEnabled, model.AccountBlocked}, "Enabled", "Blocked")
	v.Source = options(hv.q.Source, "Any way", []string{model.SourceDirect, model.SourceGroup, model.SourceBoth},
		"Directly only", "By group only", "Directly and by group")
	depts, locs, err := s.licenses.FilterValues(r.Context(), sku)
	if err != nil && !isNotFound(err) {
		s.logFailure(r.Context(), "license page: filter values", err, "sku", sku.ID)
	}
	v.Departments = options(hv.q.Department, "Any department", keepChosen(depts, hv.q.Department), depts...)
	v.Locations = options(hv.q.UsageLocation, "Any location", keepChosen(locs, hv.q.UsageLocation), locs...)
	for _, k := range []string{"sort", "dir", "days"} {
		if val := hv.values().Get(k); val != "" {
			v.Hidden = append(v.Hidden, web.Param{Name: k, Value: val})
		}
	}
	x := hv
	x.q.Page = 1
	v.CSVURL = withQuery(base+"/holders.csv", withoutPaging(x.values()))
	for _, c := range hv.cols {
		col := web.Column{Key: c.Name, Label: c.Label, Sorted: hv.q.Sort == c.Name || (hv.q.Sort == "" && c.Name == "displayName"),
			Desc: hv.q.Desc}
		if c.Sortable {
			next := hv
			next.q.Page, next.q.Sort, next.q.Desc = 1, c.Name, false
			if col.Sorted {
				next.q.Desc = !hv.q.Desc
			}
			col.Href = withQuery(base, next.values()) + "#holders-section"
		}
		v.Columns = append(v.Columns, col)
	}
	return v
}

// withoutPaging is v without page and size: a file holds every page.
func withoutPaging(v map[string][]string) map[string][]string {
	delete(v, "page")
	delete(v, "size")
	delete(v, "days")
	return v
}

// keepChosen is values with chosen first when a bookmark names one the data no longer has.
func keepChosen(values []string, chosen string) []string {
	if chosen == "" || slices.Contains(values, chosen) {
		return values
	}
	return append([]string{chosen}, values...)
}

// options are the choices of a select: "" labelled any, then values labelled by labels (the
// values themselves where labels run out), chosen selected.
func options(chosen, any string, values []string, labels ...string) []web.Option {
	out := []web.Option{{Value: "", Label: any, Selected: chosen == ""}}
	for i, val := range values {
		label := val
		if i < len(labels) {
			label = labels[i]
		}
		out = append(out, web.Option{Value: val, Label: label, Selected: strings.EqualFold(val, chosen)})
	}
	return out
}

// holderRow is a holder's cells for the columns, the name linked to the user, the groups linked.
func holderRow(row *licensereport.Row, cols []licensereport.Column) web.HolderRow {
	u := row.Holder.User
	out := web.HolderRow{UserID: u.ID, InError: row.Error != ""}
	for _, c := range cols {
		cell := web.HolderCell{Text: c.Value(row).Display(), Class: "col-" + c.Name}
		switch c.Name {
		case "displayName":
			cell.Text, cell.Href = userDisplayName(u), userURL(u.ID)
		case "assignment":
			if row.Direct {
				cell.Links = append(cell.Links, web.Link{Text: "Direct"})
			}
			for _, g := range row.Groups {
				cell.Links = append(cell.Links, web.Link{Text: displayName(g.Name), Href: groupURL(g.ID), Title: g.ID})
			}
		case "error":
			if cell.Text != "" {
				cell.Class += " err"
			}
		}
		out.Cells = append(out.Cells, cell)
	}
	return out
}

// handleLicenseCSV serves /licenses/{sku}/holders.csv: exactly the rows and columns the SKU
// page shows with the same address, every page.
func (s *Server) handleLicenseCSV(w http.ResponseWriter, r *http.Request) error {
	sku, err := s.findSKU(r)
	if err != nil {
		return err
	}
	hv, err := parseHolderView(r.URL.Query())
	if err != nil {
		return err
	}
	name := "tenantdesk-" + sku.PartNumber + "-" + s.now().Format(dateLayout) + ".csv"
	return s.serveDownload(w, r, name, "text/csv; charset=utf-8", func(out io.Writer) error {
		return s.licenses.WriteCSV(r.Context(), out, []licensereport.Summary{sku},
			licensereport.Options{Columns: hv.cols, Filter: hv.q, BOM: hv.bom})
	})
}
