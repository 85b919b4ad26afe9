package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// writeTimeout bounds a write started from the web: it runs on when the browser gives up, so
// half the users are not left unreported.
const writeTimeout = 15 * time.Minute

// handleReprocess is POST /groups/{id}/reprocess: reprocess the selected users (form values
// user=<id>, scope=selected) or every member in error (scope=all), and show every user's
// outcome on the group page.
func (s *Server) handleReprocess(w http.ResponseWriter, r *http.Request) error {
	g, err := s.groupDetail(r)
	if err != nil {
		return err
	}
	sel, err := parseReprocessForm(w, r)
	var res assign.Result
	if err == nil {
		work, cancel := detached(r.Context())
		defer cancel()
		res, err = s.ops.ReprocessGroup(work, g.ID, sel, nil)
	}
	return s.finishGroupWrite(w, r, g, model.Activity{Action: model.ActionReprocess}, res, err)
}

// handleRefreshErrors is POST /groups/{id}/refresh-errors: re-read this group's members in
// error (as Graph lists them now, and as the snapshot has them) without a full sync.
func (s *Server) handleRefreshErrors(w http.ResponseWriter, r *http.Request) error {
	g, err := s.groupDetail(r)
	if err != nil {
		return err
	}
	work, cancel := detached(r.Context())
	defer cancel()
	res, err := s.ops.RefreshGroupErrors(work, g.ID)
	return s.finishGroupWrite(w, r, g, model.Activity{Action: model.ActionRefreshErrors}, res, err)
}

// detached is the context of a write started from the web: it outlives the request, within
// writeTimeout.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
}

// finishGroupWrite records a group write in the activity log and answers it: the group page
// with the result after a redirect (so a reload does not repeat it), or the failure, bad input
// shown on the group page's form.
func (s *Server) finishGroupWrite(w http.ResponseWriter, r *http.Request, g model.GroupDetail, a model.Activity, res assign.Result, err error) error {
	a.Target, a.TargetName = g.ID, g.DisplayName
	switch {
	case errors.Is(err, model.ErrInvalid), errors.Is(err, model.ErrForbidden):
		a.Result, a.Detail = model.ActivityRefused, err.Error()
	case err != nil:
		a.Result, a.Detail = model.ActivityFailed, err.Error()
	case res.Refused > 0:
		a.Result, a.Detail = model.ActivityFailed, res.Summary()
	default:
		a.Result, a.Detail = model.ActivityOK, res.Summary()
	}
	s.logActivity(r, a)
	if err != nil {
		return onForm(err, func(p *web.FormProblem) templ.Component {
			v, verr := s.groupView(r, g)
			if verr != nil {
				s.logFailure(r.Context(), "group page after a refused form", verr, "group", g.ID)
			}
			v.Problem = p
			return web.GroupPage(s.layout(r.Context(), g.DisplayName, "groups"), v)
		})
	}
	token := s.results.Put(principalUPN(r), res, s.now())
	http.Redirect(w, r, groupURL(g.ID)+"?result="+token+"#reprocess-result", http.StatusSeeOther)
	return nil
}

// parseReprocessForm reads which users a reprocess form selects: scope=all, or user values,
// each of which must look like an object id.
func parseReprocessForm(w http.ResponseWriter, r *http.Request) (assign.Selection, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return assign.Selection{}, model.Invalid("The form could not be read: it is too large or malformed.")
	}
	return reprocessSelection(r.PostForm)
}

// reprocessSelection is the selection of a reprocess form's values.
func reprocessSelection(form url.Values) (assign.Selection, error) {
	if form.Get("scope") == "all" {
		return assign.Selection{All: true}, nil
	}
	var sel assign.Selection
	for _, v := range form["user"] {
		v = strings.TrimSpace(v)
		if !model.ValidObjectID(v) {
			return assign.Selection{}, model.Invalid("%q is not a user object id.", clip(v))
		}
		sel.Users = append(sel.Users, v)
	}
	if len(sel.Users) > assign.MaxUsers {
		return assign.Selection{}, model.Invalid("More than %d users selected; at most %d can be reprocessed at once.", assign.MaxUsers, assign.MaxUsers)
	}
	return sel, nil
}

// resultView is an operation's result with links to the users' pages.
func resultView(res assign.Result) web.ReprocessResultView {
	v := web.ReprocessResultView{Result: res, Rows: make([]web.OutcomeRow, len(res.Outcomes))}
	for i, o := range res.Outcomes {
		v.Rows[i] = web.OutcomeRow{Outcome: o}
		if o.Known {
			v.Rows[i].Href = userURL(o.UserID)
		}
	}
	return v
}
