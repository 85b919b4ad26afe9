package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/jobs"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/templates"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// Templates manages groups' license templates. *templates.Service implements it.
type Templates interface {
	ApplyBlocked(ctx context.Context) string
	SKUOptions(ctx context.Context) ([]templates.SKUOption, error)
	Editor(ctx context.Context, groupID string) (templates.Editor, error)
	Preview(ctx context.Context, groupID string, proposed []model.AssignedLicense) (templates.Preview, error)
	ApplyJob(ctx context.Context, by templates.Actor, groupID string, base, proposed []model.AssignedLicense, wait time.Duration) (jobs.Spec, templates.Applied, error)
	Status(ctx context.Context, groupID string) (templates.Processing, error)
	Settle(ctx context.Context, groupID string) (assign.Result, error)
	CopyFromUser(ctx context.Context, ref string) (templates.Source, error)
	CopyFromGroup(ctx context.Context, ref string) (templates.Source, error)
	FindGroup(ctx context.Context, ref string) (model.Group, error)
	BulkPreview(ctx context.Context, sel templates.BulkSelection, op templates.BulkOp, progress func(done, total int)) (templates.BulkPreview, error)
	BulkApplyJob(ctx context.Context, what string, changes []templates.BulkChange) (jobs.Spec, error)
	PlanSplit(ctx context.Context, groupID string) (templates.SplitPlan, error)
	SplitJob(ctx context.Context, groupID string) (jobs.Spec, error)
	SplitStatus(ctx context.Context, groupID string) (templates.SplitPlan, []templates.PartStatus, error)
	GroupsStatus(ctx context.Context, ids []string) ([]templates.GroupStatus, error)
}

// URLs of template management.
func templateURL(id string) string       { return groupURL(id) + "/licenses" }
func templateStatusURL(id string) string { return templateURL(id) + "/status" }
func splitURL(id string) string          { return groupURL(id) + "/split" }

// previewURL is the bookmarkable address of a proposed template for group id.
func previewURL(id string, tpl []model.AssignedLicense) string {
	return templateURL(id) + "/preview?" + licQuery(tpl)
}

// editorURL is the editor with tpl in its form (from a preview: edit again).
func editorURL(id string, tpl []model.AssignedLicense) string {
	return templateURL(id) + "?" + licQuery(tpl)
}

// licQuery is a template as lic parameters, written readably (ids, ":" and "," need no
// escaping in a query); "none=1" for a template without licenses.
func licQuery(tpl []model.AssignedLicense) string {
	if len(tpl) == 0 {
		return "none=1"
	}
	parts := encodeTemplate(tpl)
	for i, p := range parts {
		parts[i] = "lic=" + p
	}
	return strings.Join(parts, "&")
}

// groupIDParam is the {id} of a group route: an object id, else a 404.
func groupIDParam(r *http.Request) (string, error) {
	id := strings.TrimSpace(chi.URLParam(r, "id"))
	if !model.ValidObjectID(id) {
		return "", model.GroupNotFound(text.Clip(id, model.MaxIDLen))
	}
	return id, nil
}

// templateActor is who makes a template write from the web, for the activity log.
func (s *Server) templateActor(r *http.Request) templates.Actor {
	a := s.actor(r)
	return templates.Actor{UPN: a.ActorUPN, Name: a.ActorName, RemoteIP: a.RemoteIP, CorrelationID: a.CorrelationID}
}

// handleTemplateEditor is GET /groups/{id}/licenses: the editor, with the group's template, a
// copied one (?from-user=, ?from-group=) or one from the address (?lic=, from a preview).
func (s *Server) handleTemplateEditor(w http.ResponseWriter, r *http.Request) error {
	id, err := groupIDParam(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ed, err := s.tpl.Editor(ctx, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := s.editorView(r, ed, ed.Template)
	v.FromUser, v.FromGroup = text.Clip(q.Get("from-user"), 256), text.Clip(q.Get("from-group"), 256)
	var src templates.Source
	switch {
	case q.Get("from-user") != "":
		src, err = s.tpl.CopyFromUser(ctx, q.Get("from-user"))
	case q.Get("from-group") != "":
		src, err = s.tpl.CopyFromGroup(ctx, q.Get("from-group"))
	case len(q["lic"]) > 0 || q.Get("none") == "1":
		src.Template, err = parseTemplate(q["lic"], "lic")
		src.Kind = "address"
	}
	if err != nil {
		return onForm(err, func(p *web.FormProblem) templ.Component {
			v.Problem = p
			return web.TemplateEditorPage(s.layout(ctx, "Licenses of "+v.Group.Name, "groups"), v)
		})
	}
	if src.Kind != "" {
		v = s.editorView(r, ed, src.Template)
		v.FromUser, v.FromGroup = text.Clip(q.Get("from-user"), 256), text.Clip(q.Get("from-group"), 256)
		switch src.Kind {
		case "user":
			v.Source = "Copied from user " + src.Name + ": the licenses they hold, with the plans they have off."
		case "group":
			v.Source = "Copied from group " + src.Name + "."
		}
	}
	s.render(w, r, http.StatusOK, web.TemplateEditorPage(s.layout(ctx, "Licenses of "+v.Group.Name, "groups"), v))
	return nil
}

// handleTemplateForm is POST /groups/{id}/licenses: the editor's ticks, turned into the
// preview's address.
func (s *Server) handleTemplateForm(w http.ResponseWriter, r *http.Request) error {
	id, err := groupIDParam(r)
	if err != nil {
		return err
	}
	ed, err := s.tpl.Editor(r.Context(), id)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	var tpl []model.AssignedLicense
	if err = r.ParseForm(); err != nil {
		err = model.Invalid("The form could not be read: it is too large or malformed.")
	} else {
		tpl, err = parseEditorForm(r.PostForm, ed.SKUs)
	}
	if err != nil {
		return onForm(err, func(p *web.FormProblem) templ.Component {
			v := s.editorView(r, ed, ed.Template)
			v.Problem = p
			return web.TemplateEditorPage(s.layout(r.Context(), "Licenses of "+v.Group.Name, "groups"), v)
		})
	}
	http.Redirect(w, r, previewURL(id, tpl), http.StatusSeeOther)
	return nil
}

// handleTemplatePreview is GET /groups/{id}/licenses/preview?lic=...: the proposed template's
// diff, request and consequence; with the LicenseAdmin role the form that applies it.
func (s *Server) handleTemplatePreview(w http.ResponseWriter, r *http.Request) error {
	id, err := groupIDParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if len(q["lic"]) == 0 && q.Get("none") != "1" {
		http.Redirect(w, r, templateURL(id), http.StatusSeeOther)
		return nil
	}
	proposed, err := parseTemplate(q["lic"], "lic")
	if err != nil {
		return err
	}
	p, err := s.tpl.Preview(r.Context(), id, proposed)
	if err != nil {
		return err
	}
	v := s.previewView(r, p)
	s.render(w, r, http.StatusOK, web.TemplatePreviewPage(s.layout(r.Context(), "Preview: licenses of "+v.Group.Name, "groups"), v))
	return nil
}
