package server

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/live"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// memberTypes are the member type filter's choices.
var memberTypes = []struct{ value, label string }{
	{"", "All types"},
	{model.ObjectUser, "Users"},
	{model.ObjectGroup, "Groups"},
	{model.ObjectDevice, "Devices"},
	{model.ObjectContact, "Contacts"},
}

func memberTypeLabel(t string) string {
	switch t {
	case model.ObjectUser:
		return "User"
	case model.ObjectGroup:
		return "Group"
	case model.ObjectDevice:
		return "Device"
	case model.ObjectContact:
		return "Contact"
	case "":
		return "Directory object"
	}
	return t
}

// memberQuery is the member list's state in the group page's URL.
type memberQuery struct {
	Search string
	Type   string
	Page   int
}

// parseMemberQuery reads the member list's state leniently: it only narrows a list, so what
// cannot be meant (an unknown type, a bad page) falls back to the default.
func parseMemberQuery(v url.Values) memberQuery {
	q := memberQuery{Search: strings.TrimSpace(text.Truncate(cleanSearch(v.Get("mq")), maxMemberSearch)),
		Page: parsePageLenient(v.Get("mpage"))}
	for _, t := range memberTypes {
		if v.Get("mtype") == t.value {
			q.Type = t.value
		}
	}
	return q
}

// membersView filters and pages the members Graph listed for the group page.
func membersView(groupID string, lg live.Group, q memberQuery, params url.Values) web.MembersView {
	if lg.MembersErr != nil {
		return web.MembersView{Error: "The members could not be read: " + model.DescribeGraphError(lg.MembersErr)}
	}
	all := lg.Members
	v := web.MembersView{ReadAt: lg.MembersAt, Search: q.Search, Type: q.Type, All: len(all),
		FormAction: groupURL(groupID)}
	for _, t := range memberTypes {
		v.Types = append(v.Types, web.Option{Value: t.value, Label: t.label, Selected: t.value == q.Type})
	}
	if x := params.Get("epage"); x != "" {
		v.Hidden = append(v.Hidden, web.Param{Name: "epage", Value: x})
	}
	match := lg.Filter(q.Search, q.Type)
	v.Total = len(match)
	win := pageWindow(len(match), q.Page, memberPageSize)
	v.Pager = win.pager(func(n int) string {
		u := keep(params, "epage")
		if q.Search != "" {
			u.Set("mq", q.Search)
		}
		if q.Type != "" {
			u.Set("mtype", q.Type)
		}
		if n > 1 {
			u.Set("mpage", strconv.Itoa(n))
		}
		return withQuery(groupURL(groupID), u) + "#members"
	})
	for _, m := range match[win.lo:win.hi] {
		row := web.MemberRow{ID: m.ID, Name: displayName(m.DisplayName), UPN: m.UserPrincipalName, TypeLabel: memberTypeLabel(m.Type)}
		if m.Type == model.ObjectUser {
			row.Href = userURL(m.ID)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// withQuery is path with query v.
func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}
