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
	return s.renderSplit(w, r)
}

// handleSplitRun is POST /groups/{id}/split (LicenseAdmin): find or create each license's
// dynamic group and give it the license, as a background job whose page shows each step; the
// split page follows the groups' processing. While a split of the group runs, the running one
// is shown. Sending it again is the documented way to finish after a failure.
func (s *Server) handleSplitRun(w http.ResponseWriter, r *http.Request) error {
	id, err := groupIDParam(r)
	if err != nil {
		return err
	}
	if j, running, aerr := s.jobs.Active(r.Context(), templates.JobSplit, id); aerr == nil && running {
		http.Redirect(w, r, jobURL(j.ID), http.StatusSeeOther)
		return nil
	}
	spec, err := s.tpl.SplitJob(r.Context(), id)
	if err != nil {
		return err
	}
	return s.startJob(w, r, spec)
}

func (s *Server) renderSplit(w http.ResponseWriter, r *http.Request) error {
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
		RunAction: splitURL(id), Done: templates.SplitDone(plan, status)}
	s.lastSplitRun(r, id, &v)
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

// lastSplitRun adds the newest split job of group id, step by step, to v.
func (s *Server) lastSplitRun(r *http.Request, id string, v *web.SplitView) {
	list, _, err := s.jobs.Jobs(r.Context(), model.JobQuery{Kind: templates.JobSplit, Target: id, Limit: 1})
	if err != nil || len(list) == 0 {
		if err != nil {
			s.log.WarnContext(r.Context(), "split jobs of a group", "group", id, "err", err)
		}
		return
	}
	j := list[0]
	k, _ := s.jobs.Kind(j.Kind)
	page, err := s.jobs.Items(r.Context(), j.ID, model.JobItemQuery{Limit: 100})
	if err != nil {
		s.log.WarnContext(r.Context(), "split job's steps", "job", j.ID, "err", err)
		return
	}
	v.RunJob, v.RunRunning = jobURL(j.ID), !j.State.Finished()
	for _, it := range page.Items {
		sv := web.SplitStepView{Name: it.Name, Did: k.Label(it.Status)}
		if it.Status != "" && !isOK(k, it.Status) {
			sv.Failed, sv.Error = true, it.Summary
		}
		v.Steps = append(v.Steps, sv)
	}
}
