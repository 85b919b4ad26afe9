package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/live"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// auditShown is how many audit events a page lists.
const auditShown = 50

// handleGroup serves /groups/{id}: one licensed group from the current snapshot, its members in
// error with every error explained, and, live from Graph, its members and their recent
// licensing audit events. ?result=<token> shows the outcome of a reprocess just done.
func (s *Server) handleGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.groupDetail(r)
	if err != nil {
		return err
	}
	v, err := s.groupView(r, g)
	if err != nil {
		return err
	}
	if s.can(r, auth.RoleOperator) {
		if list, _, err := s.jobs.Jobs(r.Context(), model.JobQuery{Target: g.ID, Limit: 3}); err == nil {
			v.Jobs = s.jobRows(list)
		} else {
			s.logFailure(r.Context(), "group page: jobs", err, "group", g.ID)
		}
	}
	s.render(w, r, http.StatusOK, web.GroupPage(s.layout(r.Context(), g.DisplayName, "groups"), v))
	return nil
}

// groupDetail is the snapshot's group of a /groups/{id} route.
func (s *Server) groupDetail(r *http.Request) (model.GroupDetail, error) {
	id := strings.TrimSpace(chi.URLParam(r, "id"))
	if !model.ValidObjectRef(id) {
		id = text.Clip(id, model.MaxIDLen)
		return model.GroupDetail{}, &model.NotFoundError{What: "group", ID: id,
			Detail: fmt.Sprintf("%q is not a group object id (a GUID such as 6f2c9a10-…): the link is mistyped or cut short.", id)}
	}
	g, err := s.store.GroupDetail(r.Context(), id)
	if isNotFound(err) {
		return g, model.GroupNotFound(id)
	}
	g.DisplayName = displayName(g.DisplayName)
	return g, err
}

// groupView builds the group page: the snapshot's group and members in error, explained, and
// what Graph says now of its members and their licensing events. Live failures become messages
// on the page, never its failure.
func (s *Server) groupView(r *http.Request, g model.GroupDetail) (web.GroupView, error) {
	ctx := r.Context()
	id := g.ID
	kind := model.Group{GroupTypes: g.GroupTypes, SecurityEnabled: g.SecurityEnabled, MailEnabled: g.MailEnabled}
	v := web.GroupView{
		Group:               g,
		Kind:                kind.Kind(),
		Dynamic:             kind.Dynamic(),
		ReportURL:           "/groups",
		TemplateHref:        templateURL(id),
		SplitHref:           splitURL(id),
		CanReprocess:        s.can(r, auth.RoleOperator),
		ReprocessAction:     groupURL(id) + "/reprocess",
		RefreshErrorsAction: groupURL(id) + "/refresh-errors",
	}
	if v.CanReprocess {
		v.ReprocessBlocked = s.ops.ReprocessBlocked(ctx)
	}
	version, err := s.store.DataVersion(ctx)
	if err != nil && !isNotFound(err) {
		s.logFailure(ctx, "group page: data version", err, "group", id)
		version = "" // nothing is kept
	}
	f, err := s.groupMembersInError(ctx, id, version)
	if err != nil {
		return v, err
	}
	q := r.URL.Query()
	recent := s.recentWrite(ctx, id)
	audit := live.AuditRead{Generation: version, Fresh: q.Get("audit") == "now"}
	if !recent.IsZero() {
		audit.MaxAge = recentAuditAge // the write's events are on their way: look again soon
	}
	lg := s.live.Group(ctx, id, f.inError, audit)
	v.Members = membersView(id, lg, parseMemberQuery(q), q)

	f = s.explainGroup(ctx, g, f, lg.Events, lg.AuditAt)
	ex, inError, disabled := f.ex, f.inError, f.disabled
	v.Audit = auditView(ex, lg.Events, lg.AuditSince, lg.AuditErr)
	v.Audit.RecentWrite, v.Audit.ReadAt, v.Audit.ReadAgainURL = recent, lg.AuditAt, groupURL(id)+"?audit=now#audit"
	v.Causes = causeViews(f.causes, inError, "cause", v.CanReprocess)
	v.Timeline = timelineView(ex.Timeline(lg.GroupEvents, nil), lg.AuditSince, lg.GroupAuditErr)

	v.ErrorUsers, v.ErrorPager = licenseRows(ex, id, inError, q, "epage", "#errors")
	v.DisabledUsers, v.DisabledPager = licenseRows(ex, id, disabled, q, "dpage", "#disabled")
	v.DisabledCount = len(disabled)
	return v, nil
}

// licenseRows is the page of users that the query parameter param asks for, each with the
// licenses group id gives them explained; its pager's links keep the members' view and end in
// anchor.
func licenseRows(ex *licensing.Explainer, id string, users []model.User, q url.Values, param, anchor string) ([]web.ErrorUserRow, web.Pager) {
	win := pageWindow(len(users), parsePageLenient(q.Get(param)), errorPageSize)
	pager := win.pager(func(n int) string {
		u := keep(q, "mq", "mtype", "mpage")
		if n > 1 {
			u.Set(param, strconv.Itoa(n))
		}
		return withQuery(groupURL(id), u) + anchor
	})
	var rows []web.ErrorUserRow
	for _, u := range users[win.lo:win.hi] {
		rows = append(rows, web.ErrorUserRow{
			ID: u.ID, Name: userDisplayName(u), UPN: u.UserPrincipalName,
			Href: userURL(u.ID), UsageLocation: u.UsageLocation, AccountEnabled: u.AccountEnabled,
			Licenses: licenseViews(ex.GroupLicenses(u, id)),
		})
	}
	return rows, pager
}

// auditLag is how long after a write the group page says that its audit events may still be on
// their way: Entra ID shows them minutes after the change, now and then later.
const auditLag = 15 * time.Minute

// recentAuditAge is how long the group page shows audit events without reading them again
// while a write through tenantdesk is within auditLag.
const recentAuditAge = 30 * time.Second

// recentWrite is when the newest reprocess or template change of the group within auditLag was
// done through tenantdesk (the activity log knows; a write that was refused wrote nothing),
// zero if none.
func (s *Server) recentWrite(ctx context.Context, groupID string) time.Time {
	var newest time.Time
	for _, action := range []string{model.ActionReprocess, model.ActionTemplateChange} {
		page, err := s.activity.ListActivity(ctx, model.ActivityFilter{Action: action, Text: groupID,
			Since: s.now().Add(-auditLag), Limit: 5})
		if err != nil {
			s.logFailure(ctx, "group page: recent writes", err, "group", groupID)
			continue
		}
		for _, a := range page.Entries {
			if a.Target == groupID && a.Result != model.ActivityRefused && a.At.After(newest) {
				newest = a.At
			}
		}
	}
	return newest
}

// keep is the parameters names of q that are set, for links that change one part of a view.
func keep(q url.Values, names ...string) url.Values {
	u := url.Values{}
	for _, k := range names {
		if x := q.Get(k); x != "" {
			u.Set(k, x)
		}
	}
	return u
}

// userURL is the page of one user.
func userURL(id string) string { return "/users/" + url.PathEscape(id) }

// groupURL is the page of one group.
func groupURL(id string) string { return "/groups/" + url.PathEscape(id) }

// displayName never leaves a link without text.
func displayName(name string) string {
	if strings.TrimSpace(name) == "" {
		return "(no name)"
	}
	return name
}

// userDisplayName is a user's name, else UPN, for links.
func userDisplayName(u model.User) string {
	return displayName(text.FirstNonEmpty(u.DisplayName, u.UserPrincipalName))
}
