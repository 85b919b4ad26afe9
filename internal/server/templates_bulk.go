package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/a-h/templ"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/templates"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

const bulkURL = "/licenses/bulk"

// maxBulkLines bounds the groups typed into the bulk form.
const maxBulkLines = templates.MaxBulkGroups

// handleBulkForm is GET /licenses/bulk: the form of one change to many groups.
func (s *Server) handleBulkForm(w http.ResponseWriter, r *http.Request) error {
	v, err := s.bulkFormView(r, r.URL.Query())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, web.BulkFormPage(s.layout(r.Context(), "One change to many groups", "licenses"), v))
	return nil
}

// handleBulkPreview is GET /licenses/bulk/preview?kind=...: every group's consequence of the
// change; with the LicenseAdmin role the form that applies it to all of them.
func (s *Server) handleBulkPreview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	form, err := s.bulkFormView(r, q)
	if err != nil {
		return err
	}
	page := func(p *web.FormProblem) templ.Component {
		form.Problem = p
		return web.BulkFormPage(s.layout(ctx, "One change to many groups", "licenses"), form)
	}
	sel, err := s.bulkSelection(r, q)
	if err != nil {
		return onForm(err, page)
	}
	op := templates.BulkOp{Kind: templates.BulkKind(q.Get("kind")), SKU: q.Get("sku"), With: q.Get("with"), Plans: q["plan"]}
	bp, err := s.tpl.BulkPreview(ctx, sel, op, nil)
	if err != nil {
		return onForm(err, page)
	}
	v := web.BulkPreviewView{Form: form, Description: bp.Description, Affected: bp.Affected, Members: bp.Members,
		NewlyInError: bp.NewlyInError, FullyLicensed: bp.FullyLicensed}
	var apply web.BulkApplyForm
	for _, it := range bp.Items {
		iv := web.BulkItemView{Group: groupRef(it.Group), Unaffected: it.Unaffected}
		switch {
		case it.Err != nil:
			iv.Error = model.DescribeGraphError(it.Err)
		case it.Preview != nil:
			iv.Diff = it.Preview.Diff.String()
			c := consequenceView(*it.Preview)
			c.Rows = nil
			iv.Consequence = &c
			iv.PreviewHref = previewURL(it.Group.ID, it.Preview.Proposed)
			apply.Groups = append(apply.Groups, web.BulkApplyGroup{ID: it.Group.ID, Base: encodeTemplate(it.Preview.Current), Proposed: encodeTemplate(it.Preview.Proposed)})
		}
		v.Items = append(v.Items, iv)
	}
	if s.can(r, auth.RoleLicenseAdmin) {
		apply.PostTo, apply.Blocked = bulkURL+"/apply", bp.ApplyBlocked
		v.Apply = &apply
	}
	s.render(w, r, http.StatusOK, web.BulkPreviewPage(s.layout(ctx, "Preview: "+bp.Description, "licenses"), v))
	return nil
}

// bulkSelection reads the groups of a bulk change: in=<sku> (every group assigning it) and the
// groups textarea (names or ids, one a line).
func (s *Server) bulkSelection(r *http.Request, q url.Values) (templates.BulkSelection, error) {
	sel := templates.BulkSelection{WithSKU: strings.TrimSpace(q.Get("in"))}
	if sel.WithSKU != "" && !isGUID(sel.WithSKU) {
		return sel, &model.InputError{Message: "Choose the license whose groups to change.", Field: "in"}
	}
	lines := strings.Split(q.Get("groups"), "\n")
	if len(lines) > maxBulkLines {
		return sel, &model.InputError{Message: "More groups than one change takes.", Field: "groups"}
	}
	var problems []string
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		g, err := s.tpl.FindGroup(r.Context(), line)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		sel.Groups = append(sel.Groups, g.ID)
	}
	if len(problems) > 0 {
		return sel, &model.InputError{Message: "Some groups were not found:", Problems: problems, Field: "groups"}
	}
	return sel, nil
}

// bulkFormView is the bulk form with q's choices selected.
func (s *Server) bulkFormView(r *http.Request, q url.Values) (web.BulkFormView, error) {
	skus, err := s.tpl.SKUOptions(r.Context())
	if err != nil {
		return web.BulkFormView{}, err
	}
	v := web.BulkFormView{Action: bulkURL + "/preview", Groups: q.Get("groups"), Disabled: !s.can(r, auth.RoleLicenseAdmin)}
	labels := map[templates.BulkKind]string{
		templates.BulkReplace: "Replace the license with another", templates.BulkDisable: "Switch service plans off",
		templates.BulkEnable: "Switch service plans on", templates.BulkAdd: "Add the license", templates.BulkRemove: "Remove the license",
	}
	for _, k := range templates.BulkKinds() {
		v.Kinds = append(v.Kinds, web.Option{Value: string(k), Label: labels[k], Selected: q.Get("kind") == string(k)})
	}
	picked := q["plan"]
	for _, o := range skus {
		v.SKUs = append(v.SKUs, web.Option{Value: o.SKU.ID, Label: o.SKU.Name, Selected: model.SameID(q.Get("sku"), o.SKU.ID)})
		v.With = append(v.With, web.Option{Value: o.SKU.ID, Label: o.SKU.Name, Selected: model.SameID(q.Get("with"), o.SKU.ID)})
		v.In = append(v.In, web.Option{Value: o.SKU.ID, Label: o.SKU.Name, Selected: model.SameID(q.Get("in"), o.SKU.ID)})
		g := web.BulkPlanGroup{SKU: o.SKU.ID, Name: o.SKU.Name}
		for _, p := range o.Plans {
			g.Plans = append(g.Plans, web.Option{Value: p.Plan.ID, Label: p.Plan.Name,
				Selected: slices.ContainsFunc(picked, func(x string) bool { return model.SameID(x, p.Plan.ID) })})
		}
		v.Plans = append(v.Plans, g)
	}
	return v, nil
}

// handleBulkApply is POST /licenses/bulk/apply (LicenseAdmin): every group's previewed change
// as a background job, each group with its own check that its template did not change
// meanwhile and its own outcome on the job's page, which then leads to the page that follows
// the groups' processing. Sending it again is harmless: groups already changed are "already so".
func (s *Server) handleBulkApply(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 8*maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return model.Invalid("The form could not be read: it is too large or malformed.")
	}
	var changes []templates.BulkChange
	for _, id := range r.PostForm["g"] {
		if !model.ValidObjectID(id) {
			return model.Invalid("%q is not a group id.", clip(id))
		}
		base, proposed, err := applyTemplates(r.PostForm, "-"+id)
		if err != nil {
			return err
		}
		changes = append(changes, templates.BulkChange{GroupID: id, Base: base, Proposed: proposed})
	}
	spec, err := s.tpl.BulkApplyJob(r.Context(), clipText(r.PostForm.Get("what"), 300), changes)
	if err != nil {
		return err
	}
	return s.startJob(w, r, spec)
}

// clipText bounds free text echoed from a form.
func clipText(s string, n int) string { return text.Clip(strings.TrimSpace(s), n) }
