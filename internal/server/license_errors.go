package server

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/tenantdesk/tenantdesk/internal/licensereport"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// knownErrorCodes are the license errors the /errors filter accepts.
var knownErrorCodes = []model.LicenseError{model.ErrorCountViolation, model.ErrorMutuallyExclusive, model.ErrorDependency,
	model.ErrorUsageLocation, model.ErrorUniqueness, model.ErrorOther}

// handleLicenseErrors serves /errors: every user of the tenant in license error, by cause and by
// group, filtered by ?code=, ?source= (a group id or "direct") and ?q=, a page at a time.
func (s *Server) handleLicenseErrors(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := s.layout(ctx, "Users with license errors", "users")
	f, page, err := parseErrorFilter(r.URL.Query())
	v := web.LicenseErrorsView{FormAction: "/errors", Code: string(f.Code), Source: f.Source, Text: f.Text, HasData: !l.DataAsOf.IsZero()}
	if err != nil {
		return onForm(err, func(p *web.FormProblem) templ.Component {
			v.Problem = p
			return web.LicenseErrorsPage(l, v)
		})
	}
	rep, warn, err := licensereport.LoadErrors(ctx, s.store, f)
	if isNotFound(err) {
		v.HasData = false
		s.render(w, r, http.StatusOK, web.LicenseErrorsPage(l, v))
		return nil
	}
	if err != nil {
		return err
	}
	if warn != nil {
		s.log.WarnContext(ctx, "users in error: names", "err", warn)
	}
	s.render(w, r, http.StatusOK, web.LicenseErrorsPage(l, errorsView(v, rep, f, page)))
	return nil
}

// handleLicenseErrorsCSV serves /errors.csv: the users of /errors with the same filter, one row
// per license in error.
func (s *Server) handleLicenseErrorsCSV(w http.ResponseWriter, r *http.Request) error {
	f, _, err := parseErrorFilter(r.URL.Query())
	if err != nil {
		return err
	}
	rep, warn, err := licensereport.LoadErrors(r.Context(), s.store, f)
	if isNotFound(err) {
		return errNoData
	}
	if err != nil {
		return err
	}
	if warn != nil {
		s.log.WarnContext(r.Context(), "users in error csv: names", "err", warn)
	}
	return s.serveDownload(w, r, "tenantdesk-license-errors-"+s.now().Format(dateLayout)+".csv", "text/csv; charset=utf-8",
		func(out io.Writer) error { return licensereport.WriteErrorsCSV(out, rep, true) })
}

// parseErrorFilter reads the filter and page of /errors; bad values are named in an
// *model.InputError.
func parseErrorFilter(v url.Values) (licensereport.ErrorFilter, int, error) {
	f := licensereport.ErrorFilter{Text: cleanSearch(v.Get("q"))}
	var bad []string
	if utf8.RuneCountInString(f.Text) > maxSearchRunes {
		bad = append(bad, fmt.Sprintf("q: the search text is longer than %d characters", maxSearchRunes))
	}
	if c := strings.TrimSpace(v.Get("code")); c != "" {
		code := model.NormalizeLicenseError(c)
		if !slices.Contains(knownErrorCodes, code) {
			var names []string
			for _, k := range knownErrorCodes {
				names = append(names, string(k))
			}
			bad = append(bad, fmt.Sprintf("code: %q is not a license error; use one of %s", clip(c), strings.Join(names, ", ")))
		}
		f.Code = code
	}
	switch src := strings.TrimSpace(v.Get("source")); {
	case src == "", strings.EqualFold(src, licensereport.SourceDirect):
		f.Source = strings.ToLower(src)
	case model.ValidObjectID(src):
		f.Source = src
	default:
		bad = append(bad, fmt.Sprintf("source: %q is not a group object id or %q", clip(src), licensereport.SourceDirect))
	}
	page := parsePageLenient(v.Get("page"))
	if len(bad) > 0 {
		return f, 1, &model.InputError{Message: "The list cannot be filtered as asked:", Problems: bad}
	}
	return f, page, nil
}

// errorsURL is /errors (or its CSV at path) filtered by f, on page (0 and 1 leave it out).
func errorsURL(path string, f licensereport.ErrorFilter, page int) string {
	q := url.Values{}
	if f.Code != "" {
		q.Set("code", string(f.Code))
	}
	if f.Source != "" {
		q.Set("source", f.Source)
	}
	if f.Text != "" {
		q.Set("q", f.Text)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return withQuery(path, q)
}

// errorsView is the page of rep for filter f, showing page of the users.
func errorsView(v web.LicenseErrorsView, rep licensereport.Errors, f licensereport.ErrorFilter, page int) web.LicenseErrorsView {
	v.HasData, v.All, v.Shown = true, rep.All, len(rep.Users)
	v.CSVURL = errorsURL("/errors.csv", f, 0)
	v.ClearURL = "/errors"
	v.Codes = []web.Option{{Value: "", Label: "Every kind", Selected: f.Code == ""}}
	for _, c := range rep.Codes {
		v.Codes = append(v.Codes, web.Option{Value: string(c), Label: licensing.KindLabel(c), Selected: c == f.Code})
	}
	v.Sources = []web.Option{{Value: "", Label: "Every group and direct", Selected: f.Source == ""}}
	for _, src := range rep.Sources {
		key := src.Key()
		v.Sources = append(v.Sources, web.Option{Value: key, Label: src.Name, Selected: strings.EqualFold(key, f.Source)})
		row := web.ErrorSourceRow{Name: src.Name, Users: src.Users, Active: strings.EqualFold(key, f.Source)}
		if src.ID != "" {
			row.Href = groupURL(src.ID) + "#errors"
		}
		only := f
		only.Source = key
		row.FilterHref = errorsURL("/errors", only, 0)
		v.Groups = append(v.Groups, row)
	}
	var users []model.User
	for _, eu := range rep.Users {
		users = append(users, eu.User)
	}
	v.Causes = causeViews(rep.Causes, users, "cause", false)
	win := pageWindow(len(rep.Users), page, errorPageSize)
	v.Pager = win.pager(func(n int) string { return errorsURL("/errors", f, n) + "#error-users" })
	for _, eu := range rep.Users[win.lo:win.hi] {
		u := eu.User
		ls := licenseViews(rep.Licenses(eu))
		for i := range ls {
			ls[i].ShowSource, ls[i].Compact = true, true
		}
		v.Rows = append(v.Rows, web.ErrorUserRow{ID: u.ID, Name: userDisplayName(u), UPN: u.UserPrincipalName,
			Href: userURL(u.ID), UsageLocation: u.UsageLocation, AccountEnabled: u.AccountEnabled, Licenses: ls})
	}
	return v
}
