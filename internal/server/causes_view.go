package server

import (
	"strconv"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// causeViews maps causes to views: each cause's users named and linked (from users, the users
// the causes were made of), anchored as prefix-1, prefix-2, ...; reprocess offers the users of
// each cause to a "reprocess these" form.
func causeViews(causes []licensing.Cause, users []model.User, prefix string, reprocess bool) []web.CauseView {
	byID := make(map[string]model.User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	out := make([]web.CauseView, len(causes))
	for i, c := range causes {
		v := web.CauseView{Cause: c, ID: prefix + "-" + strconv.Itoa(i+1)}
		for _, id := range c.Users {
			u := byID[id]
			v.Members = append(v.Members, web.UserLink{ID: id, Name: userDisplayName(u), UPN: u.UserPrincipalName, Href: userURL(id)})
		}
		if reprocess && len(c.Users) <= assign.MaxUsers {
			v.ReprocessUsers = c.Users
		}
		v.Then = causeViews(c.Then, users, v.ID+"-then", false)
		out[i] = v
	}
	return out
}
