package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// handleUserSearch serves /users?q=...: users of the current snapshot that q finds (a part of a
// name, user principal name or mail; a whole object id, proxy address or employee id), a page
// at a time (?page=); without q every user; licensed=1 keeps those who hold a license.
func (s *Server) handleUserSearch(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := s.layout(ctx, "Users", "users")
	v := web.UserSearchView{FormAction: "/users", HasData: !l.DataAsOf.IsZero()}
	q, licensed, page, err := parseUserSearch(r.URL.Query())
	v.Query, v.Licensed = q, licensed
	if err != nil {
		return onForm(err, func(p *web.FormProblem) templ.Component {
			v.Problem = p
			return web.UserSearchPage(l, v)
		})
	}
	var res model.UserSearchResult
	if licensed {
		res, err = s.store.SearchLicensedUsers(ctx, q, (page-1)*userPageSize, userPageSize)
	} else {
		res, err = s.store.SearchUsers(ctx, q, (page-1)*userPageSize, userPageSize)
	}
	switch {
	case isNotFound(err):
		v.HasData = false
	case err != nil:
		return err
	default:
		v.HasData = true
		v.Total = res.Total
		for _, u := range res.Users {
			v.Rows = append(v.Rows, web.UserRow{ID: u.ID, Name: u.DisplayName, UPN: u.UserPrincipalName, Mail: u.Mail,
				Href: userURL(u.ID), Licensed: u.Licensed, InError: u.InError, AccountEnabled: u.AccountEnabled})
		}
		v.Pager = pageWindow(res.Total, page, userPageSize).pager(func(n int) string {
			x := url.Values{}
			if q != "" {
				x.Set("q", q)
			}
			if licensed {
				x.Set("licensed", "1")
			}
			if n > 1 {
				x.Set("page", strconv.Itoa(n))
			}
			return withQuery("/users", x)
		})
	}
	s.render(w, r, http.StatusOK, web.UserSearchPage(l, v))
	return nil
}

// parseUserSearch reads the search text, the licensed filter and the page of /users; a text too
// long, a page that is not a number or a filter that is not yes/no is refused with a message.
func parseUserSearch(v url.Values) (q string, licensed bool, page int, err error) {
	q, page = cleanSearch(v.Get("q")), 1
	var problems []string
	if utf8.RuneCountInString(q) > maxSearchRunes {
		problems = append(problems, fmt.Sprintf("q: the search text is longer than %d characters", maxSearchRunes))
	}
	if p := v.Get("page"); p != "" {
		n, perr := strconv.Atoi(p)
		if perr != nil || n < 1 || n > maxPage {
			problems = append(problems, fmt.Sprintf("page: %q is not a page number from 1 to %d", clip(p), maxPage))
		} else {
			page = n
		}
	}
	switch l := strings.ToLower(strings.TrimSpace(v.Get("licensed"))); l {
	case "", "0", "false", "off":
	case "1", "true", "on":
		licensed = true
	default:
		problems = append(problems, fmt.Sprintf("licensed: %q is not a yes/no value; use 1 or leave it out", clip(l)))
	}
	if len(problems) > 0 {
		return q, licensed, 1, &model.InputError{Message: "The search cannot be run as asked:", Problems: problems}
	}
	return q, licensed, page, nil
}
