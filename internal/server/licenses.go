package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/licensereport"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// LicenseReport is the license assignment report. *licensereport.Report implements it.
type LicenseReport interface {
	Summaries(ctx context.Context) ([]licensereport.Summary, error)
	Holders(ctx context.Context, sku licensereport.Summary, q model.HolderQuery) (licensereport.Page, error)
	FilterValues(ctx context.Context, sku licensereport.Summary) (departments, locations []string, err error)
	WriteCSV(ctx context.Context, w io.Writer, skus []licensereport.Summary, opts licensereport.Options) error
	WriteZIP(ctx context.Context, w io.Writer, skus []licensereport.Summary, opts licensereport.Options) error
	WriteUsersCSV(ctx context.Context, w io.Writer, opts licensereport.Options) error
}

// sparkDays is the period of the list's sparklines.
const sparkDays = 90

// handleLicenses serves /licenses: every subscribed SKU.
func (s *Server) handleLicenses(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := s.layout(ctx, "Licenses", "licenses")
	sums, err := s.licenses.Summaries(ctx)
	if isNotFound(err) {
		s.render(w, r, http.StatusOK, web.LicensesPage(l, web.LicensesView{}))
		return nil
	}
	if err != nil {
		return err
	}
	v := web.LicensesView{HasData: true, CSVURL: "/licenses/export?format=csv", ZipURL: "/licenses/export?format=zip",
		UsersURL: "/licenses/users.csv"}
	for _, sum := range sums {
		v.Rows = append(v.Rows, s.skuRow(sum))
	}
	s.render(w, r, http.StatusOK, web.LicensesPage(l, v))
	return nil
}

// skuRow is a SKU as the list and its own page show it.
func (s *Server) skuRow(sum licensereport.Summary) web.SKURow {
	row := web.SKURow{ID: sum.ID, Name: displayName(sum.Name), PartNumber: sum.PartNumber, Href: skuURL(sum),
		Status: sum.CapabilityStatus, Enabled: sum.Prepaid.Enabled, Warning: sum.Prepaid.Warning,
		Suspended: sum.Prepaid.Suspended, LockedOut: sum.Prepaid.LockedOut, Purchased: sum.Purchased,
		Consumed: sum.ConsumedUnits, Available: sum.Available, Percent: sum.PercentUsed,
		Holders: sum.Holders, Direct: sum.Direct, FromGroups: sum.FromGroups, Both: sum.Both, InError: sum.InError}
	for _, w := range sum.Warnings {
		row.Warnings = append(row.Warnings, web.SKUWarningView{Kind: w.Kind, Text: w.Text})
	}
	for _, g := range sum.Groups {
		row.Groups = append(row.Groups, web.GroupLink{ID: g.ID, Name: displayName(g.Name), Href: groupURL(g.ID)})
	}
	points := chartPoints(sum.History, s.now().AddDate(0, 0, -sparkDays))
	row.Spark = web.Sparkline(points, 120, 28)
	if len(points) > 0 {
		row.SparkTitle = fmt.Sprintf("Consumed units over the last %d days: %s now", sparkDays, web.Number(sum.ConsumedUnits))
	}
	return row
}

// chartPoints are the history points since since.
func chartPoints(hist []model.SKUHistoryPoint, since time.Time) []web.ChartPoint {
	var out []web.ChartPoint
	for _, p := range hist {
		if p.At.Before(since) {
			continue
		}
		out = append(out, web.ChartPoint{At: p.At, Consumed: p.Consumed, Purchased: p.Prepaid.Enabled + p.Prepaid.Warning})
	}
	return out
}

// handleLicensesExport serves /licenses/export?sku=...&format=csv|zip: the holders of the SKUs
// named (every SKU without sku), with the columns and filters of a SKU page, in one CSV with a
// SKU column or a ZIP of one CSV per SKU.
func (s *Server) handleLicensesExport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	hv, err := parseHolderView(q)
	if err != nil {
		return err
	}
	format := q.Get("format")
	if format != "" && format != "csv" && format != "zip" {
		return model.Invalid("format: %q is not csv or zip.", clip(format))
	}
	sums, err := s.licenses.Summaries(r.Context())
	if isNotFound(err) {
		return errNoData
	}
	if err != nil {
		return err
	}
	skus := sums
	if refs := splitList(q["sku"]); len(refs) > 0 {
		skus = nil
		for _, ref := range refs {
			sku, err := licensereport.Find(sums, ref)
			if err != nil {
				return err
			}
			skus = append(skus, sku)
		}
	}
	opts := licensereport.Options{Columns: hv.cols, Filter: hv.q, BOM: hv.bom}
	date := s.now().Format(dateLayout)
	if format == "zip" {
		return s.serveDownload(w, r, "tenantdesk-licenses-"+date+".zip", "application/zip", func(out io.Writer) error {
			return s.licenses.WriteZIP(r.Context(), out, skus, opts)
		})
	}
	return s.serveDownload(w, r, "tenantdesk-licenses-"+date+".csv", "text/csv; charset=utf-8", func(out io.Writer) error {
		return s.licenses.WriteCSV(r.Context(), out, skus, opts)
	})
}

// handleLicenseUsersCSV serves /licenses/users.csv: one row per licensed user with every license
// and its source (?col= picks the user columns, ?bom=0 leaves the byte order mark out).
func (s *Server) handleLicenseUsersCSV(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if len(q["col"]) == 0 {
		q = cloneValues(q)
		q.Set("col", "displayName,userPrincipalName,accountEnabled,department,usageLocation")
	}
	hv, err := parseHolderView(q)
	if err != nil {
		return err
	}
	name := "tenantdesk-license-users-" + s.now().Format(dateLayout) + ".csv"
	err = s.serveDownload(w, r, name, "text/csv; charset=utf-8", func(out io.Writer) error {
		return s.licenses.WriteUsersCSV(r.Context(), out, licensereport.Options{Columns: hv.cols, BOM: hv.bom})
	})
	if isNotFound(err) {
		return errNoData
	}
	return err
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
