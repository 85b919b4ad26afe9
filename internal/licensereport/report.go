// Package licensereport is the license assignment report: every subscribed SKU with its units
// as Microsoft counts them, its warnings, the groups that assign it, its holders by path and its
// use over time; who holds each SKU, one row per user with the columns people pick; and the CSV
// and ZIP exports of exactly that, streamed. Pages and `tenantdesk export licenses` use it alike.
package licensereport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/export"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Store is what the report reads from the current snapshot. *store.Store implements it.
type Store interface {
	licensing.ExplainerSource
	LicenseSummaries(ctx context.Context) ([]model.SKUSummary, error)
	SKUHolders(ctx context.Context, q model.HolderQuery) (model.HolderPage, error)
	SKUHolderOrder(ctx context.Context, q model.HolderQuery, limit int) (model.HolderOrder, error)
	SKUHolderOrderChanges(ctx context.Context, q model.HolderQuery, since string, limit int) (model.HolderOrderChanges, bool, error)
	SKUHoldersByID(ctx context.Context, skuID string, ids, properties []string) ([]model.Holder, string, error)
	DataVersion(ctx context.Context) (string, error)
	EachSKUHolder(ctx context.Context, q model.HolderQuery, fn func(model.Holder) error) error
	EachLicensedUser(ctx context.Context, properties []string, fn func(model.User) error) error
	SKUHistory(ctx context.Context, since time.Time) (map[string][]model.SKUHistoryPoint, error)
	HolderValues(ctx context.Context, skuID string) (departments, locations []string, err error)
}

// Report reads and writes the license report. It is safe for concurrent use.
type Report struct {
	st     Store
	now    func() time.Time
	orders *orderCache // sorted views of holders, while the data stays the same (order.go)
	// Log gets what goes wrong in the background (reading a sorted view's order); nil: nothing.
	Log *slog.Logger
}

// New returns a report over st; now nil means time.Now.
func New(st Store, now func() time.Time) (*Report, error) {
	if st == nil {
		return nil, errors.New("license report: the store is required")
	}
	if now == nil {
		now = time.Now
	}
	return &Report{st: st, now: now, orders: newOrderCache()}, nil
}

// Summary is one subscribed SKU of the report.
type Summary struct {
	model.SKUSummary
	Purchased   int // enabled + in grace, as Microsoft counts them
	Available   int // purchased minus consumed, never negative
	PercentUsed int
	Warnings    []licensing.SKUWarning
	History     []model.SKUHistoryPoint // oldest first
}

// HistoryDays is how far back the report's charts reach.
const HistoryDays = 365

// Summaries are every subscribed SKU by name with its history of the last HistoryDays days.
// model.ErrNotFound before the first sync.
func (r *Report) Summaries(ctx context.Context) ([]Summary, error) {
	sums, err := r.st.LicenseSummaries(ctx)
	if err != nil {
		return nil, err
	}
	hist, err := r.st.SKUHistory(ctx, r.now().AddDate(0, 0, -HistoryDays))
	if err != nil {
		return nil, err
	}
	out := make([]Summary, len(sums))
	for i, s := range sums {
		out[i] = summarize(s, hist[model.NormalizeID(s.ID)])
	}
	return out, nil
}

func summarize(s model.SKUSummary, hist []model.SKUHistoryPoint) Summary {
	x := Summary{SKUSummary: s, Purchased: licensing.Purchased(s.SKU), Warnings: licensing.Warnings(s.SKU), History: hist}
	x.Available = max(0, x.Purchased-s.ConsumedUnits)
	if x.Purchased > 0 {
		x.PercentUsed = s.ConsumedUnits * 100 / x.Purchased
	}
	if x.Name == "" {
		x.Name = x.PartNumber
	}
	return x
}

// Find is the SKU that ref names, by id or part number (any case), in sums; an unknown one is a
// *model.NotFoundError that lists the SKUs there are.
func Find(sums []Summary, ref string) (Summary, error) {
	ref = strings.TrimSpace(ref)
	for _, s := range sums {
		if model.SameID(s.ID, ref) || (s.PartNumber != "" && strings.EqualFold(s.PartNumber, ref)) {
			return s, nil
		}
	}
	var known []string
	for _, s := range sums {
		known = append(known, s.PartNumber+" ("+s.Name+")")
	}
	return Summary{}, &model.NotFoundError{What: "license", ID: ref, Detail: fmt.Sprintf(
		"The tenant subscribes to no SKU %q (by id or part number). Its SKUs are: %s.", ref, strings.Join(known, ", "))}
}

// Row is one holder of one SKU, explained.
type Row struct {
	Holder     model.Holder
	SKU        model.NamedSKU
	PartNumber string
	Direct     bool
	Groups     []model.GroupRef // the groups that assign the SKU to the user
	StateLabel string
	Error      string // the error of the SKU in one line, "" when none
	ErrorCode  model.LicenseError
	// DisabledPlans are the SKU's service plans switched off for the user, named.
	DisabledPlans []model.NamedPlan
}

// Assignment says how the SKU came: "Direct", the groups' names, or both, "; " between.
func (r *Row) Assignment() string {
	var parts []string
	if r.Direct {
		parts = append(parts, "Direct")
	}
	for _, g := range r.Groups {
		parts = append(parts, g.Name)
	}
	return strings.Join(parts, "; ")
}

// rows explains holders of one SKU.
type rows struct {
	ex  *licensing.Explainer
	sku Summary
}

// explainer loads names and every licensed group (names and templates), so any holder's
// sources and errors are named without a read per row.
func (r *Report) explainer(ctx context.Context, sums []Summary) (*licensing.Explainer, error) {
	ex, err := licensing.LoadExplainer(ctx, r.st, nil, nil)
	if err != nil {
		return ex, err
	}
	var ids []string
	for _, s := range sums {
		for _, g := range s.Groups {
			if !slices.Contains(ids, g.ID) {
				ids = append(ids, g.ID)
			}
		}
	}
	if len(ids) > 0 {
		groups, err := r.st.Groups(ctx, ids)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return ex, err
		}
		ex.AddGroups(groups)
	}
	return ex, nil
}

func (b rows) row(h model.Holder) Row {
	row := Row{Holder: h, SKU: model.NamedSKU{ID: b.sku.ID, Name: b.sku.Name}, PartNumber: b.sku.PartNumber}
	code := model.ErrorNone
	for _, l := range b.ex.SKULicenses(h.User, b.sku.ID) {
		if l.Direct {
			row.Direct = true
		} else if !slices.ContainsFunc(row.Groups, func(g model.GroupRef) bool { return g.ID == l.GroupID }) {
			row.Groups = append(row.Groups, model.GroupRef{ID: l.GroupID, Name: l.GroupName})
		}
		if l.InError() && row.Error == "" { // errors come first, real ones before Other
			row.Error, code = l.Summary, l.Code
		}
		if row.DisabledPlans == nil {
			row.DisabledPlans = l.DisabledPlans
		}
	}
	for _, a := range h.User.AssignedLicenses { // what the user really holds wins
		if model.SameID(a.SKUID, b.sku.ID) {
			row.DisabledPlans = row.DisabledPlans[:0:0]
			for _, p := range a.DisabledPlans {
				row.DisabledPlans = append(row.DisabledPlans, b.ex.Names().NamedPlan(p))
			}
		}
	}
	row.ErrorCode = code
	row.StateLabel = licensing.ExplainedLicense{State: h.State, Code: code}.StateLabel()
	return row
}

// Page is one page of a SKU's holders, explained.
type Page struct {
	Rows  []Row
	Total int
}

// Holders is the page of sku's holders that q asks for (q.SKUID is set from sku).
func (r *Report) Holders(ctx context.Context, sku Summary, q model.HolderQuery) (Page, error) {
	q.SKUID = sku.ID
	var p model.HolderPage
	var err error
	if plain(q) {
		p, err = r.st.SKUHolders(ctx, q)
	} else {
		p, err = r.keptHolders(ctx, q)
	}
	if err != nil {
		return Page{}, err
	}
	ex, err := licensing.LoadExplainer(ctx, r.st, holderUsers(p.Rows), nil)
	if err != nil {
		return Page{}, err
	}
	b := rows{ex: ex, sku: sku}
	out := Page{Total: p.Total, Rows: make([]Row, len(p.Rows))}
	for i, h := range p.Rows {
		out.Rows[i] = b.row(h)
	}
	return out, nil
}

func holderUsers(hs []model.Holder) []model.User {
	us := make([]model.User, len(hs))
	for i, h := range hs {
		us[i] = h.User
	}
	return us
}

// FilterValues are the departments and usage locations among sku's holders.
func (r *Report) FilterValues(ctx context.Context, sku Summary) (departments, locations []string, err error) {
	return r.st.HolderValues(ctx, sku.ID)
}

// Options are how a file of the report is written.
type Options struct {
	Columns []Column
	Filter  model.HolderQuery // paging is ignored: a file holds every matching holder
	BOM     bool
}

// WriteCSV writes every holder of skus that opts.Filter selects as one CSV: a header row of
// column names, then a row per holder (per SKU: a holder of two SKUs has two rows). With more
// than one SKU the rows start with the SKU's part number and name.
func (r *Report) WriteCSV(ctx context.Context, w io.Writer, skus []Summary, opts Options) error {
	c, err := export.NewCSV(w, opts.BOM)
	if err != nil {
		return err
	}
	cols := opts.Columns
	if len(skus) > 1 {
		cols = append(skuColumns(), cols...)
	}
	if err := writeHeader(c, cols); err != nil {
		return err
	}
	ex, err := r.explainer(ctx, skus)
	if err != nil {
		return err
	}
	for _, sku := range skus {
		if err := r.writeRows(ctx, c, ex, sku, opts.Filter, cols); err != nil {
			return err
		}
	}
	return c.Flush()
}

// WriteZIP writes one CSV per SKU (named after its part number) into a ZIP archive.
func (r *Report) WriteZIP(ctx context.Context, w io.Writer, skus []Summary, opts Options) error {
	ex, err := r.explainer(ctx, skus)
	if err != nil {
		return err
	}
	z := export.NewZip(w, r.now())
	for _, sku := range skus {
		c, err := z.CSV(export.FileName(sku.PartNumber), opts.BOM)
		if err != nil {
			return err
		}
		if err := writeHeader(c, opts.Columns); err != nil {
			return err
		}
		if err := r.writeRows(ctx, c, ex, sku, opts.Filter, opts.Columns); err != nil {
			return err
		}
	}
	return z.Close()
}

func writeHeader(c *export.CSV, cols []Column) error {
	return c.Write(export.Texts(columnNames(cols)...)...)
}

// columnNames are the names of cols, never nil (nil would ask the store for every property).
func columnNames(cols []Column) []string {
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.Name
	}
	return names
}

func (r *Report) writeRows(ctx context.Context, c *export.CSV, ex *licensing.Explainer, sku Summary, q model.HolderQuery, cols []Column) error {
	q.SKUID = sku.ID
	q.Properties = columnNames(cols)
	b := rows{ex: ex, sku: sku}
	cells := make([]export.Cell, len(cols))
	return r.st.EachSKUHolder(ctx, q, func(h model.Holder) error {
		row := b.row(h)
		for i, col := range cols {
			cells[i] = col.Value(&row).Cell()
		}
		return c.Write(cells...)
	})
}

// WriteUsersCSV writes one row per licensed user (for true-ups): the user columns of cols and
// then "licenses", every license the user holds with its source and, in error, its error code,
// "; " between them.
func (r *Report) WriteUsersCSV(ctx context.Context, w io.Writer, opts Options) error {
	sums, err := r.Summaries(ctx)
	if err != nil {
		return err
	}
	ex, err := r.explainer(ctx, sums)
	if err != nil {
		return err
	}
	var cols []Column
	for _, col := range opts.Columns {
		if !col.License {
			cols = append(cols, col)
		}
	}
	c, err := export.NewCSV(w, opts.BOM)
	if err != nil {
		return err
	}
	names := columnNames(cols)
	if err := c.Write(export.Texts(append(names[:len(names):len(names)], "licenseCount", "licenses")...)...); err != nil {
		return err
	}
	cells := make([]export.Cell, len(cols)+2)
	err = r.st.EachLicensedUser(ctx, names, func(u model.User) error {
		row := Row{Holder: model.Holder{User: u}}
		for i, col := range cols {
			cells[i] = col.Value(&row).Cell()
		}
		licenses := userLicenses(ex, u)
		cells[len(cols)], cells[len(cols)+1] = export.Number(len(licenses)), export.List(licenses)
		return c.Write(cells...)
	})
	if err != nil {
		return err
	}
	return c.Flush()
}

// userLicenses are "Name (Direct; Group A)" for every SKU u holds, "[CountViolation]" after one in
// error.
func userLicenses(ex *licensing.Explainer, u model.User) []string {
	var out []string
	for _, h := range u.Holdings() {
		var sources []string
		code := model.ErrorNone
		for _, l := range ex.SKULicenses(u, h.SKUID) {
			src := "Direct"
			if !l.Direct {
				src = l.GroupName
			}
			if !slices.Contains(sources, src) {
				sources = append(sources, src)
			}
			if l.InError() && code == model.ErrorNone {
				code = l.Code
			}
		}
		s := ex.Names().SKU(h.SKUID) + " (" + strings.Join(sources, ", ") + ")"
		if code != model.ErrorNone {
			s += " [" + string(code) + "]"
		}
		out = append(out, s)
	}
	return out
}
