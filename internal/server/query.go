package server

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// The group report's URL parameters. Every part of a view travels in the query string so a
// view can be bookmarked and shared.
const (
	paramSearch = "q"
	paramSort   = "sort"
	paramDir    = "dir"
	paramErrors = "errors"
	paramPage   = "page"
	paramSize   = "size"
)

// sortColumns are the report's sortable columns with the direction a first click sorts in:
// counts start with the largest, text from A.
var sortColumns = map[string]bool{ // column -> sorts descending by default
	model.GroupSortName:       false,
	model.GroupSortID:         false,
	model.GroupSortMembers:    true,
	model.GroupSortErrors:     true,
	model.GroupSortLicenses:   false,
	model.GroupSortProcessing: false,
}

// parseReportQuery reads a report view from URL parameters. Values with an obvious meaning are
// normalised (blank means default, page 0 means 1, a too-high page is clamped later, invalid
// UTF-8 and control characters in the search are dropped); anything else is a *model.InputError
// naming each bad parameter, so the user gets a 400 saying what to fix. The result always has
// a known Sort, Page >= 1 and a PageSize from pageSizes.
func parseReportQuery(v url.Values) (model.GroupReportQuery, error) {
	q := model.GroupReportQuery{Sort: model.GroupSortName, Page: 1, PageSize: defaultPageSize}
	var bad []string

	search := cleanSearch(v.Get(paramSearch))
	if utf8.RuneCountInString(search) > maxSearchRunes {
		bad = append(bad, fmt.Sprintf("q: the search text is longer than %d characters", maxSearchRunes))
	} else {
		q.Search = search
	}

	if s := strings.ToLower(strings.TrimSpace(v.Get(paramSort))); s != "" {
		if _, ok := sortColumns[s]; ok {
			q.Sort = s
		} else {
			bad = append(bad, fmt.Sprintf("sort: %q is not a column; use one of %s", clip(s), strings.Join(sortNames(), ", ")))
		}
	}

	q.Desc = sortColumns[q.Sort]
	switch d := strings.ToLower(strings.TrimSpace(v.Get(paramDir))); d {
	case "":
	case "asc":
		q.Desc = false
	case "desc":
		q.Desc = true
	default:
		bad = append(bad, fmt.Sprintf("dir: %q is not a direction; use asc or desc", clip(d)))
	}

	switch e := strings.ToLower(strings.TrimSpace(v.Get(paramErrors))); e {
	case "", "0", "false", "off":
	case "1", "true", "on":
		q.OnlyErrors = true
	default:
		bad = append(bad, fmt.Sprintf("errors: %q is not a yes/no value; use 1 or leave it out", clip(e)))
	}

	if p := strings.TrimSpace(v.Get(paramPage)); p != "" {
		n, err := strconv.Atoi(p)
		switch {
		case err != nil && isDigits(p):
			q.Page = maxPage // a number too big for int: the last page
		case err != nil:
			bad = append(bad, fmt.Sprintf("page: %q is not a page number", clip(p)))
		case n < 1:
			q.Page = 1
		default:
			q.Page = min(n, maxPage)
		}
	}

	if sz := strings.TrimSpace(v.Get(paramSize)); sz != "" {
		n, err := strconv.Atoi(sz)
		if err != nil || !slices.Contains(pageSizes, n) {
			bad = append(bad, fmt.Sprintf("size: %q is not an offered page size; use one of %s", clip(sz), joinInts(pageSizes)))
		} else {
			q.PageSize = n
		}
	}

	if len(bad) > 0 {
		return q, &model.InputError{Message: "The address asks for a view of the report that does not exist. Fix or remove these parameters:", Problems: bad}
	}
	return q, nil
}

// reportValues is the inverse of parseReportQuery: the URL parameters of a view, leaving out
// every parameter at its default so URLs stay short.
func reportValues(q model.GroupReportQuery) url.Values {
	v := url.Values{}
	if q.Search != "" {
		v.Set(paramSearch, q.Search)
	}
	sort := q.Sort
	if sort == "" {
		sort = model.GroupSortName
	}
	if sort != model.GroupSortName {
		v.Set(paramSort, sort)
	}
	if q.Desc != sortColumns[sort] {
		if q.Desc {
			v.Set(paramDir, "desc")
		} else {
			v.Set(paramDir, "asc")
		}
	}
	if q.OnlyErrors {
		v.Set(paramErrors, "1")
	}
	if q.Page > 1 {
		v.Set(paramPage, strconv.Itoa(q.Page))
	}
	if q.PageSize != 0 && q.PageSize != defaultPageSize {
		v.Set(paramSize, strconv.Itoa(q.PageSize))
	}
	return v
}

// reportURL is path with the view's parameters.
func reportURL(path string, q model.GroupReportQuery) string {
	if enc := reportValues(q).Encode(); enc != "" {
		return path + "?" + enc
	}
	return path
}

// cleanSearch trims the search text and drops what cannot be meant: invalid UTF-8 and
// control characters.
func cleanSearch(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// clip shortens a bad value for an error message.
func clip(s string) string { return text.Clip(s, 40) }

func isDigits(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func sortNames() []string {
	return []string{model.GroupSortName, model.GroupSortID, model.GroupSortMembers,
		model.GroupSortErrors, model.GroupSortLicenses, model.GroupSortProcessing}
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
