package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/jobs"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// handleReprocess is POST /groups/{id}/reprocess: reprocess the selected users (form values
// user=<id>, scope=selected) or every member in error (scope=all) as a background job, and
// send the browser to the job's page, which shows every user's outcome as it comes. While a
// reprocess of the group runs, a second one is not started: the running one is shown.
func (s *Server) handleReprocess(w http.ResponseWriter, r *http.Request) error {
	g, err := s.groupDetail(r)
	if err != nil {
		return err
	}
	sel, err := parseReprocessForm(w, r)
	if err == nil {
		if j, running, aerr := s.jobs.Active(r.Context(), assign.JobReprocess, g.ID); aerr == nil && running {
			http.Redirect(w, r, jobURL(j.ID), http.StatusSeeOther)
			return nil
		}
		var spec jobs.Spec
		if spec, err = s.ops.ReprocessGroupJob(r.Context(), g.ID, g.DisplayName, sel); err == nil {
			return s.startJob(w, r, spec)
		}
	}
	return s.refuseGroupWrite(w, r, g, model.Activity{Action: model.ActionReprocess}, err)
}

// handleRefreshErrors is POST /groups/{id}/refresh-errors: re-read this group's members in
// error (as Graph lists them now, and as the snapshot has them) without a full sync, as a
// background job.
func (s *Server) handleRefreshErrors(w http.ResponseWriter, r *http.Request) error {
	g, err := s.groupDetail(r)
	if err != nil {
		return err
	}
	if j, running, aerr := s.jobs.Active(r.Context(), assign.JobRefreshErrors, g.ID); aerr == nil && running {
		http.Redirect(w, r, jobURL(j.ID), http.StatusSeeOther)
		return nil
	}
	spec, err := s.ops.RefreshErrorsJob(r.Context(), g.ID, g.DisplayName)
	if err == nil {
		return s.startJob(w, r, spec)
	}
	return s.refuseGroupWrite(w, r, g, model.Activity{Action: model.ActionRefreshErrors}, err)
}

// refuseGroupWrite records a group write that could not start and answers it: bad input and
// missing permissions on the group page's form, anything else through serveError.
func (s *Server) refuseGroupWrite(w http.ResponseWriter, r *http.Request, g model.GroupDetail, a model.Activity, err error) error {
	a.Target, a.TargetName = g.ID, g.DisplayName
	return s.refuseWrite(r, a, err, func(p *web.FormProblem) templ.Component {
		v, verr := s.groupView(r, g)
		if verr != nil {
			s.logFailure(r.Context(), "group page after a refused form", verr, "group", g.ID)
		}
		v.Problem = p
		return web.GroupPage(s.layout(r.Context(), g.DisplayName, "groups"), v)
	})
}

// refuseWrite records a write that could not start (refused for bad input or a missing
// permission, else failed) and answers it: bad input and missing permissions on the form that
// page draws, anything else through serveError.
func (s *Server) refuseWrite(r *http.Request, a model.Activity, err error, page func(*web.FormProblem) templ.Component) error {
	a.Result, a.Detail = model.ActivityFailed, err.Error()
	if errors.Is(err, model.ErrInvalid) || errors.Is(err, model.ErrForbidden) {
		a.Result = model.ActivityRefused
	}
	s.logActivity(r, a)
	return onForm(err, page)
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
