package server

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/tenantdesk/tenantdesk/web"
)

// userPageSize is the number of users on a page of search results.
const userPageSize = 50

// handleUserSearch serves /users?q=...: users of the current snapshot whose name, user
// principal name or mail contains q, a page at a time (?page=).
func (s *Server) handleUserSearch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := cleanSearch(r.URL.Query().Get("q"))
	if len(q) > 256 {
		s.badRequest(w, r, "The search text is too long (at most 256 characters).", nil)
		return
	}
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			s.badRequest(w, r, "page must be a whole number from 1.", []string{"page=" + clip(p)})
			return
		}
		page = n
	}
	v := web.UserSearchView{Query: q, FormAction: "/users"}
	if s.lic.store == nil {
		s.notFound(w, r)
		return
	}
	if q != "" {
		res, err := s.lic.store.SearchUsers(ctx, q, (page-1)*userPageSize, userPageSize)
		switch {
		case isNotFound(err):
		case err != nil:
			s.serverError(w, r, err)
			return
		default:
			v.HasData = true
			v.Total = res.Total
			for _, u := range res.Users {
				v.Rows = append(v.Rows, web.UserRow{ID: u.ID, Name: u.DisplayName, UPN: u.UserPrincipalName, Mail: u.Mail,
					Href: userURL(u.ID), Licensed: u.Licensed, InError: u.InError, AccountEnabled: u.AccountEnabled})
			}
			pages := max(1, (res.Total+userPageSize-1)/userPageSize)
			v.Pager = pagerAt(min(page, pages), pages, res.Total, userPageSize, func(n int) string {
				x := url.Values{"q": {q}}
				if n > 1 {
					x.Set("page", strconv.Itoa(n))
				}
				return withQuery("/users", x)
			})
		}
	} else if _, err := s.store.CurrentSnapshot(ctx); err == nil {
		v.HasData = true
	}
	l := s.layout(ctx, "Users", "users")
	s.render(w, r, http.StatusOK, web.UserSearchPage(l, v))
}
