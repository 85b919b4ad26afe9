package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// maxIDLen bounds the object id in /groups/{id}; directory ids are 36-character GUIDs.
const maxIDLen = 128

// Group page sizes and windows.
const (
	errorPageSize = 100
	auditWindow   = 30 * 24 * time.Hour
	auditMax      = 500 // events read per page view
	auditShown    = 50
)

// handleGroup serves /groups/{id}: one licensed group from the current snapshot, its members in
// error with every error explained, and, live from Graph, its members and their recent
// licensing audit events. ?result=<token> shows the outcome of a reprocess just done.
func (s *Server) handleGroup(w http.ResponseWriter, r *http.Request) {
	id, ok := groupIDParam(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	g, err := s.store.GroupDetail(ctx, id)
	if isNotFound(err) {
		s.groupNotFound(w, r, id)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	g.DisplayName = displayName(g.DisplayName)
	kind := model.Group{GroupTypes: g.GroupTypes, SecurityEnabled: g.SecurityEnabled, MailEnabled: g.MailEnabled}
	v := web.GroupView{
		Group:               g,
		Kind:                kind.Kind(),
		Dynamic:             kind.Dynamic(),
		ReportURL:           "/groups",
		CanReprocess:        s.lic.store != nil && s.can(r, auth.RoleOperator),
		ReprocessAction:     groupURL(id) + "/reprocess",
		RefreshErrorsAction: groupURL(id) + "/refresh-errors",
	}
	if v.CanReprocess {
		v.ReprocessBlocked = s.reprocessBlocked(ctx)
		v.RefreshBlocked = s.refreshBlocked()
	}
	if tok := r.URL.Query().Get("result"); tok != "" {
		if res, ok := s.lic.results.get(id, principalUPN(r), tok, s.now()); ok {
			v.Result = &res
		}
	}

	var inError []model.User
	if s.lic.store != nil {
		inError, err = s.lic.store.UsersInErrorForGroup(ctx, id)
		if err != nil && !isNotFound(err) {
			s.serverError(w, r, err)
			return
		}
	}
	q := r.URL.Query()
	members, audit := s.groupLive(ctx, id, inError, q)
	v.Members, v.Audit = members.view, audit.view

	ex, err := s.newExplainer(ctx, inError, auditDetails(audit.events))
	if err != nil {
		s.log.WarnContext(ctx, "group page: names", "group", id, "err", err)
	}
	ex.addGroup(id, g.DisplayName, g.Template)
	if v.Audit.Loaded {
		v.Audit.Rows, v.Audit.More = ex.auditRows(audit.events, auditShown)
	}

	pages := max(1, (len(inError)+errorPageSize-1)/errorPageSize)
	cur := 1
	if n, err := strconv.Atoi(q.Get("epage")); err == nil && n > 0 {
		cur = min(n, pages)
	}
	v.ErrorPager = pagerAt(cur, pages, len(inError), errorPageSize, func(n int) string {
		u := url.Values{}
		for _, k := range []string{"mq", "mtype", "mpage"} {
			if x := q.Get(k); x != "" {
				u.Set(k, x)
			}
		}
		if n > 1 {
			u.Set("epage", strconv.Itoa(n))
		}
		return withQuery(groupURL(id), u) + "#errors"
	})
	for _, u := range inError[min((cur-1)*errorPageSize, len(inError)):min(cur*errorPageSize, len(inError))] {
		v.ErrorUsers = append(v.ErrorUsers, web.ErrorUserRow{
			ID: u.ID, Name: displayName(firstNonEmpty(u.DisplayName, u.UserPrincipalName)), UPN: u.UserPrincipalName,
			Href: userURL(u.ID), UsageLocation: u.UsageLocation, AccountEnabled: u.AccountEnabled,
			Licenses: ex.groupLicenses(u, id),
		})
	}
	l := s.layout(ctx, g.DisplayName, "groups")
	s.render(w, r, http.StatusOK, web.GroupPage(l, v))
}

func (s *Server) groupNotFound(w http.ResponseWriter, r *http.Request, id string) {
	s.errorPage(w, r, web.ErrorView{
		Status:  http.StatusNotFound,
		Heading: "Group not found",
		Message: "No licensed group with object id " + id + " is in the current data. It may have been deleted, stopped assigning licenses, or be newer than the data: refresh to read the tenant again.",
		BackURL: "/groups",
	})
}

type liveMembers struct {
	view web.MembersView
	ids  map[string]bool // lower-case ids of every member, when read
}

type liveAudit struct {
	view   web.AuditView
	events []model.AuditEvent // of the group's members, newest first
}

// groupLive reads the group's members and the recent "Change user license" events from Graph at
// the same time. Failures become messages on the page; the rest of it does not wait longer
// than liveTimeout.
func (s *Server) groupLive(ctx context.Context, id string, inError []model.User, q url.Values) (liveMembers, liveAudit) {
	var m liveMembers
	var a liveAudit
	if s.lic.dir == nil {
		return m, a
	}
	ctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	since := s.now().Add(-auditWindow)
	var events []model.AuditEvent
	var auditErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		events, auditErr = s.lic.dir.DirectoryAudits(ctx, AuditQuery{Activity: "Change user license", Since: since, Max: auditMax})
	}()
	all, at, err := s.lic.members.get(ctx, s.lic.dir, id, s.now)
	if err != nil {
		m.view.Error = "The members could not be read from Microsoft Graph: " + liveErrorText(err)
	} else {
		m.view = membersView(id, all, at, parseMemberQuery(q), q)
		m.ids = make(map[string]bool, len(all))
		for _, o := range all {
			m.ids[strings.ToLower(o.ID)] = true
		}
	}
	wg.Wait()
	a.view.Since = since
	if auditErr != nil {
		a.view.Error = "The audit log could not be read from Microsoft Graph: " + liveErrorText(auditErr)
		return m, a
	}
	a.view.Loaded = true
	// Graph cannot filter events by group membership: keep those about this group's members.
	mine := map[string]bool{}
	for _, u := range inError {
		mine[strings.ToLower(u.ID)] = true
	}
	for _, e := range events {
		for _, t := range e.Targets {
			k := strings.ToLower(t.ID)
			if mine[k] || m.ids[k] {
				a.events = append(a.events, e)
				break
			}
		}
	}
	return m, a
}

// liveErrorText explains a failed live read.
func liveErrorText(err error) string {
	if err == context.DeadlineExceeded || strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
		return "Microsoft Graph did not answer in time. Reload the page to try again."
	}
	return err.Error()
}

// userURL is the page of one user.
func userURL(id string) string { return "/users/" + url.PathEscape(id) }

// noDataView is the page for what needs a snapshot before the first one exists.
func noDataView() web.ErrorView {
	return web.ErrorView{
		Status:  http.StatusServiceUnavailable,
		Heading: "No data yet",
		Message: "tenantdesk has not taken a snapshot of the tenant yet. Refresh, wait for it to finish, and try again.",
		BackURL: "/",
	}
}
