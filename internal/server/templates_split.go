package server

import (
	"net/http"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/templates"
	"github.com/tenantdesk/tenantdesk/web"
)

// handleSplit is GET /groups/{id}/split: the split wizard, what it would do and needs, and the
// state of the groups it made.
func (s *Server) handleSplit(w http.ResponseWriter, r *http.Request) error {
	return s.renderSplit(w, r, nil)
}

// handleSplitRun is POST /groups/{id}/split (LicenseAdmin): find or create each license's
// dynamic group and give it the license; the page then shows each step and follows the groups'
// processing. Sending it again is the documented way to finish after a failure.
func (s *Server) handleSplitRun(w http.ResponseWriter, r *http.Request) error {
	id, err := groupIDParam(r)
	if err != nil {
		return err
	}
	work, cancel := detached(r.Context())
	defer cancel()
	_, steps, err := s.tpl.RunSplit(work, s.templateActor(r), id, nil)
	if err != nil {
		return err
	}
	views := make([]web.SplitStepView, 0, len(steps))
	for _, st := range steps {
		sv := web.SplitStepView{Name: st.Name, Did: st.Did, Failed: st.Err != nil}
		if st.Err != nil {
			sv.Error = model.DescribeGraphError(st.Err)
		}
		if st.Group != nil {
			g := groupRef(*st.Group)
			sv.Group = &g
		}
		views = append(views, sv)
	}
	return s.renderSplit(w, r, views)
}

func (s *Server) renderSplit(w http.ResponseWriter, r *http.Request, steps []web.SplitStepView) error {
	id, err := groupIDParam(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	plan, status, err := s.tpl.SplitStatus(ctx, id)
	if err != nil {
		return err
	}
	v := web.SplitView{Group: groupRef(plan.Group), Blocked: plan.Blocked, CanRun: s.can(r, auth.RoleLicenseAdmin),
		RunAction: splitURL(id), Steps: steps, Done: templates.SplitDone(plan, status)}
	if v.Done {
		v.RemoveHref = previewURL(id, templates.Remaining(plan))
	}
	for _, q := range plan.Requirements {
		v.Requirements = append(v.Requirements, web.RequirementView{What: q.What, Detail: q.Detail, Met: q.Met})
	}
	labels := map[templates.PartState]string{
		templates.PartCreate: "to create", templates.PartSetTemplate: "exists; its license is still to set",
		templates.PartReady: "exists with the license", templates.PartNameTaken: "name taken",
	}
	for i, p := range plan.Parts {
		pv := web.SplitPartView{SKU: p.SKU, Disabled: p.Disabled, Name: p.Name, Rule: p.Rule, State: string(p.State),
			StateLabel: labels[p.State], Problem: p.Problem}
		if p.Group != nil {
			g := groupRef(*p.Group)
			pv.Group = &g
			if i < len(status) {
				pv.Members, pv.InError = status[i].Members, status[i].InError
				if status[i].Err != nil {
					pv.Error = model.DescribeGraphError(status[i].Err)
				}
				if p.State == templates.PartReady {
					pr := processingView(status[i].Processing)
					pr.Reload, pr.ReloadURL = true, splitURL(id) // after a run (a POST), load the page, do not resend
					pv.Processing = &pr
				}
			}
		}
		v.Parts = append(v.Parts, pv)
	}
	if d, err := s.store.GroupDetail(ctx, id); err == nil {
		v.SourceUsers = d.UserCount
	}
	s.render(w, r, http.StatusOK, web.SplitPage(s.layout(ctx, "Split "+v.Group.Name, "groups"), v))
	return nil
}
