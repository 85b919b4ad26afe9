package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/templates"
	"github.com/tenantdesk/tenantdesk/web"
)

// handleTemplateApply is POST /groups/{id}/licenses/apply (LicenseAdmin): the previewed change,
// written in one call unless the template changed since the preview (then the page is the new
// preview, 409) or Microsoft refuses it (the preview again with the refusal in plain words and
// Graph's own message). Done, it leads to the page of the job that follows the processing and
// then gives each member's outcome.
func (s *Server) handleTemplateApply(w http.ResponseWriter, r *http.Request) error {
	id, err := groupIDParam(r)
	if err != nil {
		return err
	}
	base, proposed, err := parseApplyForm(w, r, "")
	if err != nil {
		return err
	}
	if !s.jobs.Running() {
		return errors.New("background jobs are not running (the server is shutting down): nothing was changed")
	}
	// The write itself is one call, made within the request so that its refusal is answered
	// here; it must not end half-way when the browser goes away.
	work, cancel := detached(r.Context())
	defer cancel()
	spec, _, err := s.tpl.ApplyJob(work, s.templateActor(r), id, base, proposed, 0)
	var changed *model.TemplateChangedError
	var ge *model.GraphError
	switch {
	case err == nil:
		return s.startJob(w, r.WithContext(work), spec)
	case errors.As(err, &changed):
		return s.previewAgain(w, r, id, proposed, http.StatusConflict, func(v *web.TemplatePreviewView) { v.Changed = true })
	case errors.As(err, &ge) && ge.Kind != model.GraphTransient && ge.Kind != model.GraphThrottled && ge.Kind != model.GraphUnauthorized:
		status := graphErrorView(r, ge).Status
		return s.previewAgain(w, r, id, proposed, status, func(v *web.TemplatePreviewView) { v.Refusal = graphRefusal(ge) })
	}
	return err
}

// graphRefusal says a refusal of Microsoft's in plain words, keeping its own message.
func graphRefusal(ge *model.GraphError) *web.Refusal {
	return &web.Refusal{
		Message:  "Microsoft 365 refused the change; nothing was changed. " + model.DescribeGraphError(ge),
		Original: "HTTP " + strconv.Itoa(ge.Status) + " " + ge.Code + ": " + ge.Message,
	}
}

// previewAgain renders the preview of proposed for group id with status, adjusted by edit.
func (s *Server) previewAgain(w http.ResponseWriter, r *http.Request, id string, proposed []model.AssignedLicense, status int, edit func(*web.TemplatePreviewView)) error {
	p, err := s.tpl.Preview(r.Context(), id, proposed)
	if err != nil {
		return err
	}
	v := s.previewView(r, p)
	edit(&v)
	s.render(w, r, status, web.TemplatePreviewPage(s.layout(r.Context(), "Preview: licenses of "+v.Group.Name, "groups"), v))
	return nil
}

// parseApplyForm reads an apply form: the base template (based=1 marks it present, as it may
// be empty) and the proposed one, under keys suffixed with suffix (bulk forms: "-<group id>").
func parseApplyForm(w http.ResponseWriter, r *http.Request, suffix string) (base, proposed []model.AssignedLicense, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, nil, model.Invalid("The form could not be read: it is too large or malformed.")
	}
	return applyTemplates(r.PostForm, suffix)
}

func applyTemplates(form url.Values, suffix string) (base, proposed []model.AssignedLicense, err error) {
	if form.Get("based"+suffix) != "1" {
		return nil, nil, model.Invalid("The form does not say which template it was previewed against: open the preview again.")
	}
	if base, err = parseTemplate(form["base"+suffix], "base"); err != nil {
		return nil, nil, err
	}
	if proposed, err = parseTemplate(form["lic"+suffix], "lic"); err != nil {
		return nil, nil, err
	}
	return base, proposed, nil
}

// handleTemplateApplied is GET /groups/{id}/licenses/applied (Operator): the last change
// tenantdesk made to the group, its processing (followed live by app.js), and when Microsoft is
// done, every member re-read with their state.
func (s *Server) handleTemplateApplied(w http.ResponseWriter, r *http.Request) error {
	id, err := groupIDParam(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	st, err := s.tpl.Status(ctx, id)
	if err != nil {
		return err
	}
	v := web.TemplateAppliedView{Group: groupRef(model.Group{ID: st.GroupID, DisplayName: st.Name}),
		Processing: processingView(st), EditHref: templateURL(id)}
	v.Processing.Reload = true
	if a, ok := s.lastActivity(r, model.ActionTemplateChange, id); ok {
		v.Change = &a
	}
	if st.Done() {
		work, cancel := detached(ctx)
		defer cancel()
		res, err := s.tpl.Settle(work, id)
		if err != nil {
			v.Problem = "The members could not be re-read: " + model.DescribeGraphError(err)
		} else {
			rv := resultView(res)
			rv.Heading = "Members after processing"
			v.Result = &rv
		}
	}
	s.render(w, r, http.StatusOK, web.TemplateAppliedPage(s.layout(ctx, "Licenses of "+v.Group.Name+" changed", "groups"), v))
	return nil
}

// lastActivity is the newest entry of action on target in the activity log.
func (s *Server) lastActivity(r *http.Request, action, target string) (model.Activity, bool) {
	page, err := s.activity.ListActivity(r.Context(), model.ActivityFilter{Action: action, Text: target, Limit: 10})
	if err != nil {
		s.log.WarnContext(r.Context(), "activity of a group", "group", target, "err", err)
		return model.Activity{}, false
	}
	for _, a := range page.Entries {
		if model.SameID(a.Target, target) {
			return a, true
		}
	}
	return model.Activity{}, false
}

func processingView(p templates.Processing) web.ProcessingView {
	return web.ProcessingView{GroupID: p.GroupID, State: p.State, Step: p.Step(), StatusURL: templateStatusURL(p.GroupID)}
}

// statusJSON is a group's processing state as app.js reads it.
type statusJSON struct {
	State string `json:"state"`
	Label string `json:"label"`
	Step  int    `json:"step"`
	Done  bool   `json:"done"`
}

// handleTemplateStatus is GET /groups/{id}/licenses/status: the processing state now, polled by
// app.js on the pages that follow a change.
func (s *Server) handleTemplateStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := groupIDParam(r)
	if err != nil {
		return err
	}
	st, err := s.tpl.Status(r.Context(), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(statusJSON{State: st.State, Label: web.ProcessingLabel(st.State), Step: st.Step(), Done: st.Done()})
}

// writeTimeout bounds a template write started from the web and the processing it follows.
const writeTimeout = 15 * time.Minute

// detached is the context of a write started from the web: it outlives the request, within
// writeTimeout.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
}

// resultView is a template change's outcome, member by member, each linked to the user's page
// when the snapshot has the user.
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
