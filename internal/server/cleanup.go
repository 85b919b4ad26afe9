package server

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/a-h/templ"

	"github.com/tenantdesk/tenantdesk/internal/health"
	"github.com/tenantdesk/tenantdesk/internal/jobs"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// Cleanup prepares license cleanups. *health.Service implements it.
type Cleanup interface {
	PlanCleanup(ctx context.Context, opts health.Options, kinds []string, groups string) (health.CleanupPlan, error)
	CleanupJob(plan health.CleanupPlan, users []string) (jobs.Spec, error)
}

const cleanupPath = "/health/cleanup"

// cleanupURL is the preview of cleaning up finding kind's licenses.
func cleanupURL(kind, query string) string { return cleanupPath + withParam(query, "finding", kind) }

// cleanupRequest reads what a cleanup form asks for: findings, the group path, thresholds.
func cleanupRequest(q url.Values) (health.Options, []string, string, error) {
	opts, err := healthOptions(q)
	if err != nil {
		return opts, nil, "", err
	}
	kinds, groups, err := health.ParseCleanup(q["finding"], q.Get("groups"))
	return opts, kinds, groups, err
}

// handleCleanup is GET /health/cleanup (LicenseAdmin): the preview of a cleanup.
func (s *Server) handleCleanup(w http.ResponseWriter, r *http.Request) error {
	opts, kinds, groups, err := cleanupRequest(r.URL.Query())
	var plan health.CleanupPlan
	if err == nil {
		plan, err = s.health.PlanCleanup(r.Context(), opts, kinds, groups)
	}
	l := s.layout(r.Context(), "Clean up licenses", "health")
	v := s.cleanupView(r.URL.Query(), plan, opts)
	if isNotFound(err) {
		v.HasData = false
		s.render(w, r, http.StatusOK, web.CleanupPage(l, v))
		return nil
	}
	if err != nil {
		return onForm(err, func(p *web.FormProblem) templ.Component {
			v.Problem = p
			return web.CleanupPage(l, v)
		})
	}
	s.render(w, r, http.StatusOK, web.CleanupPage(l, v))
	return nil
}

func (s *Server) cleanupView(q url.Values, plan health.CleanupPlan, opts health.Options) web.CleanupView {
	v := web.CleanupView{HasData: true, FormURL: cleanupPath, Action: cleanupPath, Groups: q.Get("groups"), Days: opts.InactiveDays,
		HealthURL: healthPath, Monthly: plan.Monthly.String()}
	if v.Days == 0 {
		v.Days = health.DefaultInactiveDays
	}
	titles := map[string]string{health.KindDisabled: "disabled accounts", health.KindInactive: "inactive members",
		health.KindNeverSignedIn: "members who never signed in", health.KindGuests: "guests inactive or never signed in"}
	for _, k := range health.CleanupKinds() {
		v.Findings = append(v.Findings, web.CleanupChoice{Kind: k, Title: titles[k], Chosen: slices.Contains(q["finding"], k)})
	}
	for _, u := range plan.Users {
		uv := web.CleanupUserView{ID: u.UserID, Name: displayName(u.UserName), UPN: u.UPN, Href: userURL(u.UserID),
			Finding: titles[u.Kind], Skipped: u.Skipped, Monthly: u.Monthly.String()}
		for _, st := range u.Steps {
			uv.Steps = append(uv.Steps, health.StepText(st))
			uv.Doable = uv.Doable || !st.Dynamic
		}
		if len(u.Stays) > 0 {
			uv.Skipped = append(slices.Clone(uv.Skipped), "stays: "+strings.Join(u.Stays, ", "))
		}
		v.Users = append(v.Users, uv)
	}
	return v
}

// handleStartCleanup is POST /health/cleanup (LicenseAdmin): the cleanup of the users chosen in
// the preview, as a background job; the browser goes to the job's page.
func (s *Server) handleStartCleanup(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return model.Invalid("The form could not be read: it is too large or malformed.")
	}
	opts, kinds, groups, err := cleanupRequest(r.PostForm)
	var spec jobs.Spec
	if err == nil {
		var plan health.CleanupPlan
		if plan, err = s.health.PlanCleanup(r.Context(), opts, kinds, groups); err == nil {
			users := r.PostForm["user"]
			if len(users) == 0 {
				err = model.Invalid("Choose at least one user to clean up.")
			} else {
				spec, err = s.health.CleanupJob(plan, users)
			}
		}
	}
	if err != nil {
		s.logActivity(r, model.Activity{Action: model.ActionLicenseCleanup, Result: model.ActivityRefused, Detail: err.Error()})
		return onForm(err, func(p *web.FormProblem) templ.Component {
			plan, _ := s.health.PlanCleanup(r.Context(), opts, kinds, groups)
			v := s.cleanupView(r.PostForm, plan, opts)
			v.Problem = p
			return web.CleanupPage(s.layout(r.Context(), "Clean up licenses", "health"), v)
		})
	}
	return s.startJob(w, r, spec)
}
