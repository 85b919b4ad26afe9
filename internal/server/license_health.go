package server

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/a-h/templ"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/export"
	"github.com/tenantdesk/tenantdesk/internal/health"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// Health is license health and SKU prices. *health.Service implements it.
type Health interface {
	Report(ctx context.Context, opts health.Options) (health.Report, error)
	Prices(ctx context.Context) ([]health.PricedSKU, error)
	SetPrice(ctx context.Context, c health.PriceChange) error
	Cleanup
}

// healthItemsShown is how many items of each finding the page lists; one finding alone
// (?finding=kind) lists up to healthItemsFocused. The CSV has them all.
const (
	healthItemsShown   = 10
	healthItemsFocused = 1000
)

const (
	healthPath = "/health"
	pricesPath = "/health/prices"
)

// healthOptions reads the thresholds from the address: days (inactive after) and horizon.
func healthOptions(q url.Values) (health.Options, error) {
	var o health.Options
	var problems []string
	read := func(name, what string, max int, into *int) {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			problems = append(problems, what+" must be a whole number of days from 1 to "+strconv.Itoa(max)+", not "+strconv.Quote(clip(v)))
			return
		}
		*into = n
	}
	read("days", "Inactive after", health.MaxInactiveDays, &o.InactiveDays)
	read("horizon", "Renewals within", health.MaxHorizonDays, &o.HorizonDays)
	if len(problems) > 0 {
		return health.Options{}, &model.InputError{Message: "These thresholds cannot be used:", Problems: problems}
	}
	return o, nil
}

// handleHealth is GET /health: every finding with its count, cost, items and fix.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := s.layout(ctx, "License health", "health")
	opts, err := healthOptions(r.URL.Query())
	if err != nil {
		return onForm(err, func(p *web.FormProblem) templ.Component {
			return web.HealthPage(l, web.HealthView{HasData: true, FormURL: healthPath, Problem: p,
				InactiveDays: health.DefaultInactiveDays, HorizonDays: health.DefaultHorizonDays})
		})
	}
	rep, err := s.health.Report(ctx, opts)
	if isNotFound(err) {
		s.render(w, r, http.StatusOK, web.HealthPage(l, web.HealthView{}))
		return nil
	}
	if err != nil {
		return err
	}
	v := web.HealthView{HasData: true, FormURL: healthPath, InactiveDays: rep.Options.InactiveDays,
		HorizonDays: rep.Options.HorizonDays, Waste: rep.Waste.String(), Unpriced: rep.UnpricedSKUs}
	if s.can(r, auth.RoleLicenseAdmin) {
		v.PricesURL = pricesPath
	}
	query := healthQuery(opts)
	focus := r.URL.Query().Get("finding")
	if _, ok := rep.Finding(focus); focus != "" && !ok {
		return &model.NotFoundError{What: "finding", ID: focus, Detail: "License health has no finding " + strconv.Quote(clip(focus)) +
			"; the findings are " + strings.Join(health.Kinds(), ", ") + "."}
	}
	for _, f := range rep.Findings {
		limit := healthItemsShown
		if focus != "" {
			limit = healthItemsFocused
			v.Focused = true
		}
		fv := healthFindingView(f, query, limit)
		fv.AllURL = healthPath + withParam(query, "finding", f.Kind) + "#" + f.Kind
		if v.PricesURL != "" && f.Count > 0 && f.Unavailable == "" && slices.Contains(health.CleanupKinds(), f.Kind) {
			fv.CleanupURL = cleanupURL(f.Kind, query)
		}
		v.Summary = append(v.Summary, fv)
		if focus == "" || f.Kind == focus {
			v.Findings = append(v.Findings, fv)
		}
	}
	v.AllFindingsURL = healthPath + query
	s.render(w, r, http.StatusOK, web.HealthPage(l, v))
	return nil
}

// healthQuery is the thresholds as an address query ("" for the defaults).
func healthQuery(o health.Options) string {
	q := url.Values{}
	if o.InactiveDays > 0 {
		q.Set("days", strconv.Itoa(o.InactiveDays))
	}
	if o.HorizonDays > 0 {
		q.Set("horizon", strconv.Itoa(o.HorizonDays))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// withParam is query ("" or "?a=b") with name=value added.
func withParam(query, name, value string) string {
	q, _ := url.ParseQuery(strings.TrimPrefix(query, "?"))
	q.Set(name, value)
	return "?" + q.Encode()
}

func healthFindingView(f health.Finding, query string, limit int) web.HealthFindingView {
	v := web.HealthFindingView{Kind: f.Kind, Title: f.Title, Count: f.Count, Unit: f.Unit, Monthly: f.Monthly.String(),
		Unpriced: f.Unpriced, Waste: f.Waste, Fix: f.Fix, Unavailable: f.Unavailable,
		CSVURL: healthPath + "/" + url.PathEscape(f.Kind) + ".csv" + query}
	for i, it := range f.Items {
		if i == limit {
			v.More = len(f.Items) - i
			break
		}
		iv := web.HealthItemView{UserName: displayName(it.UserName), UPN: it.UPN, SKUName: it.SKUName, Direct: it.Direct,
			Units: it.Units, Monthly: it.Monthly.String(), Detail: it.Detail, Fix: it.Fix}
		if it.UserID != "" {
			iv.UserHref = userURL(it.UserID)
		}
		if it.SKUID != "" {
			iv.SKUHref = "/licenses/" + url.PathEscape(it.SKUID)
		}
		for _, g := range it.Groups {
			iv.Groups = append(iv.Groups, web.GroupLink{ID: g.ID, Name: displayName(g.Name), Href: groupURL(g.ID)})
		}
		v.Items = append(v.Items, iv)
	}
	return v
}

// handleHealthCSV is GET /health/{kind}.csv: every item of one finding.
func (s *Server) handleHealthCSV(w http.ResponseWriter, r *http.Request) error {
	kind, isCSV := strings.CutSuffix(chi.URLParam(r, "file"), ".csv")
	if !isCSV {
		return &model.NotFoundError{What: "page", ID: r.URL.Path, Detail: "There is no page " + r.URL.Path + ": license health is at " + healthPath + "."}
	}
	opts, err := healthOptions(r.URL.Query())
	if err != nil {
		return err
	}
	rep, err := s.health.Report(r.Context(), opts)
	if err != nil {
		return err
	}
	f, ok := rep.Finding(kind)
	if !ok {
		return &model.NotFoundError{What: "finding", ID: kind, Detail: "License health has no finding " + strconv.Quote(clip(kind)) +
			"; the findings are " + strings.Join(health.Kinds(), ", ") + "."}
	}
	return s.serveCSV(w, r, health.FileName(kind), true, func(c *export.CSV) error { return health.WriteCSV(c, f) })
}

// handlePrices is GET /health/prices: every SKU with its monthly price.
func (s *Server) handlePrices(w http.ResponseWriter, r *http.Request) error {
	v, err := s.pricesView(r.Context())
	if err != nil {
		return err
	}
	v.Saved = r.URL.Query().Get("saved")
	s.render(w, r, http.StatusOK, web.PricesPage(s.layout(r.Context(), "License prices", "health"), v))
	return nil
}

func (s *Server) pricesView(ctx context.Context) (web.PricesView, error) {
	v := web.PricesView{Action: pricesPath, HealthURL: healthPath}
	skus, err := s.health.Prices(ctx)
	if isNotFound(err) {
		return v, nil
	}
	if err != nil {
		return v, err
	}
	v.HasData = true
	for _, p := range skus {
		row := web.PriceRow{SKUID: model.NormalizeID(p.ID), Name: displayName(p.Name), PartNumber: p.PartNumber}
		if p.Priced {
			row.Amount, row.Currency = health.FormatCents(p.Price.AmountCents), p.Price.Currency
			row.Updated = p.Price.UpdatedBy + ", " + web.DateTime(p.Price.UpdatedAt)
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// handleSetPrice is POST /health/prices: set or clear one SKU's price, then back to the list.
func (s *Server) handleSetPrice(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return model.Invalid("The form could not be read: it is too large or malformed.")
	}
	c := health.PriceChange{SKUID: strings.TrimSpace(r.PostForm.Get("sku")), Amount: r.PostForm.Get("amount"),
		Currency: r.PostForm.Get("currency"), Actor: s.actor(r)}
	if err := s.health.SetPrice(r.Context(), c); err != nil {
		return onForm(err, func(p *web.FormProblem) templ.Component {
			v, verr := s.pricesView(r.Context())
			if verr != nil {
				s.log.WarnContext(r.Context(), "prices page after a refused form", "err", verr)
			}
			v.Problem, v.ProblemSKU = p, model.NormalizeID(c.SKUID)
			for i := range v.Rows {
				if v.Rows[i].SKUID == v.ProblemSKU {
					v.Rows[i].Amount, v.Rows[i].Currency = c.Amount, c.Currency
				}
			}
			return web.PricesPage(s.layout(r.Context(), "License prices", "health"), v)
		})
	}
	sku := model.NormalizeID(c.SKUID)
	http.Redirect(w, r, pricesPath+"?saved="+url.QueryEscape(sku)+"#amount-"+url.PathEscape(sku), http.StatusSeeOther)
	return nil
}

// actor is the person and request behind a write a domain package records itself.
func (s *Server) actor(r *http.Request) model.Activity { return s.requestActivity(r, model.Activity{}) }
