package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/export"
	"github.com/tenantdesk/tenantdesk/internal/jobs"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// The pages of background jobs (internal/jobs): the list, one job with its progress and every
// item's outcome (reload- and restart-proof: it is read from the store), its progress as JSON
// for app.js, and its outcomes as CSV.

const (
	jobsPath         = "/jobs"
	jobItemsPageSize = 100
	jobsPageSize     = 50
)

func jobURL(id int64) string { return jobsPath + "/" + strconv.FormatInt(id, 10) }

// startJob starts spec as the request's person's job and sends the browser to its page.
func (s *Server) startJob(w http.ResponseWriter, r *http.Request, spec jobs.Spec) error {
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		spec.ActorUPN, spec.ActorName = p.UPN, p.Name
	}
	spec.RemoteIP, spec.CorrelationID = s.proxies.ClientIP(r), middleware.GetReqID(r.Context())
	j, err := s.jobs.Start(r.Context(), spec)
	if err != nil {
		return err
	}
	http.Redirect(w, r, jobURL(j.ID), http.StatusSeeOther)
	return nil
}

// jobOf is the job of a /jobs/{id} route.
func (s *Server) jobOf(r *http.Request) (model.Job, jobs.Kind, error) {
	raw := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return model.Job{}, jobs.Kind{}, &model.NotFoundError{What: "job", ID: text.Clip(raw, 20), Detail: "Job numbers are whole numbers, as in /jobs/12."}
	}
	j, err := s.jobs.Job(r.Context(), id)
	if err != nil {
		return j, jobs.Kind{}, err
	}
	k, ok := s.jobs.Kind(j.Kind)
	if !ok {
		k = jobs.Kind{Name: j.Kind, Noun: "item"}
	}
	return j, k, nil
}

// handleJob serves /jobs/{id}: ?status= filters the items, ?page= pages them.
func (s *Server) handleJob(w http.ResponseWriter, r *http.Request) error {
	j, k, err := s.jobOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	status := q.Get("status")
	if status != "" && status != "pending" && j.Counts[status] == 0 {
		status = "" // a filter nothing matches (or a made-up one) shows everything
	}
	asked, _ := strconv.Atoi(q.Get("page"))
	total := j.Total
	switch status {
	case "":
	case "pending":
		total = j.Counts[""]
	default:
		total = j.Counts[status]
	}
	win := pageWindow(total, asked, jobItemsPageSize)
	page, err := s.jobs.Items(r.Context(), j.ID, model.JobItemQuery{Status: status, Offset: win.lo, Limit: jobItemsPageSize})
	if err != nil {
		return err
	}
	base := jobURL(j.ID)
	v := web.JobView{ID: j.ID, Title: j.Title, Kind: j.Kind, State: string(j.State), StateLabel: jobStateLabel(j),
		By: jobActor(j), Created: j.CreatedAt, Started: j.StartedAt, Finished: j.FinishedAt, Resumes: j.Resumes,
		Total: j.Total, Done: j.Done(), Summary: text.FirstNonEmpty(j.Summary, k.Summary(j)), Error: j.Error, Problems: j.Problems,
		Noun: jobNoun(j, k), Status: status, FilterURL: base, CSVURL: base + "/outcomes.csv", ProgressURL: base + "/progress"}
	v.BackURL, v.BackLabel = jobTarget(j)
	v.NextURL, v.NextLabel = s.templateJobNext(r, j)
	for _, st := range append(k.Statuses(), "") {
		n := j.Counts[st]
		if n == 0 {
			continue
		}
		key := st
		if st == "" {
			key = "pending"
		}
		v.Counts = append(v.Counts, web.JobCount{Status: key, Label: k.Label(st), Count: n, OK: isOK(k, st),
			URL: base + "?status=" + url.QueryEscape(key), Current: key == status})
	}
	for _, it := range page.Items {
		row := web.JobItemRow{Key: it.Key, Name: text.FirstNonEmpty(it.Name, it.Key), Status: it.Status, StatusLabel: capitalize(k.Label(it.Status)),
			OK: isOK(k, it.Status), Summary: it.Summary, Fix: it.Fix, DoneAt: it.DoneAt}
		row.Href = jobItemURL(j, it)
		v.Items = append(v.Items, row)
	}
	v.Pager = win.pager(func(n int) string {
		u := url.Values{}
		if status != "" {
			u.Set("status", status)
		}
		if n > 1 {
			u.Set("page", strconv.Itoa(n))
		}
		return withQuery(base, u)
	})
	s.render(w, r, http.StatusOK, web.JobPage(s.layout(r.Context(), j.Title, "jobs"), v))
	return nil
}

func isOK(k jobs.Kind, status string) bool {
	for _, ok := range k.OK {
		if ok == status {
			return true
		}
	}
	return false
}

// jobTarget is the page of what a job acts on, and its link text.
func jobTarget(j model.Job) (string, string) {
	switch {
	case j.Target == "":
		return "", ""
	case (j.Kind == assign.JobReprocess || j.Kind == assign.JobRefreshErrors) && assign.JobGroup(j) != "":
		return groupURL(j.Target), "Back to " + text.FirstNonEmpty(j.TargetName, "the group")
	case j.Kind == assign.JobReprocess:
		return userURL(j.Target), "Back to " + text.FirstNonEmpty(j.TargetName, "the user")
	}
	return templateJobTarget(j)
}

func jobActor(j model.Job) string { return text.FirstNonEmpty(j.ActorName, j.ActorUPN, "tenantdesk") }

// jobStateLabel says a job's state in words.
func jobStateLabel(j model.Job) string {
	switch j.State {
	case model.JobQueued:
		return "Waiting"
	case model.JobRunning:
		return "Running"
	case model.JobDone:
		return "Done"
	case model.JobFailed:
		return "Failed"
	case model.JobInterrupted:
		return "Interrupted"
	}
	return string(j.State)
}

// jobProgressJSON is a job's progress as app.js reads it.
type jobProgressJSON struct {
	State    string         `json:"state"`
	Finished bool           `json:"finished"`
	Done     int            `json:"done"`
	Total    int            `json:"total"`
	Counts   map[string]int `json:"counts"`
	Text     string         `json:"text"`
}

// handleJobProgress serves /jobs/{id}/progress.
func (s *Server) handleJobProgress(w http.ResponseWriter, r *http.Request) error {
	j, k, err := s.jobOf(r)
	if err != nil {
		return err
	}
	out := jobProgressJSON{State: string(j.State), Finished: j.State.Finished(), Done: j.Done(), Total: j.Total, Counts: j.Counts}
	if j.State.Finished() {
		out.Text = text.FirstNonEmpty(j.Summary, k.Summary(j))
	} else {
		out.Text = web.Number(j.Done()) + " of " + web.Number(j.Total) + " done. This page follows the job; you may leave it and come back."
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(out)
}

var jobCSVHeader = []string{"User id", "Name", "Outcome", "Reason", "Fix", "When (UTC)"}

// handleJobCSV serves /jobs/{id}/outcomes.csv: every item with its outcome.
func (s *Server) handleJobCSV(w http.ResponseWriter, r *http.Request) error {
	j, k, err := s.jobOf(r)
	if err != nil {
		return err
	}
	return s.serveCSV(w, r, "tenantdesk-job-"+strconv.FormatInt(j.ID, 10)+".csv", true, func(c *export.CSV) error {
		if err := c.Write(export.Texts(jobCSVHeader...)...); err != nil {
			return err
		}
		return s.jobs.EachItem(r.Context(), j.ID, func(it model.JobItem) error {
			return c.Write(append(export.Texts(it.Key, it.Name, k.Label(it.Status), it.Summary, it.Fix), export.Time(it.DoneAt))...)
		})
	})
}

// handleJobs serves /jobs: recent jobs, newest first.
func (s *Server) handleJobs(w http.ResponseWriter, r *http.Request) error {
	asked := parsePageLenient(r.URL.Query().Get("page"))
	_, total, err := s.jobs.Jobs(r.Context(), model.JobQuery{Limit: 1})
	if err != nil {
		return err
	}
	win := pageWindow(total, asked, jobsPageSize)
	list, _, err := s.jobs.Jobs(r.Context(), model.JobQuery{Limit: jobsPageSize, Offset: win.lo})
	if err != nil {
		return err
	}
	v := web.JobsView{Jobs: s.jobRows(list), Pager: win.pager(func(n int) string {
		if n <= 1 {
			return jobsPath
		}
		return jobsPath + "?page=" + strconv.Itoa(n)
	})}
	s.render(w, r, http.StatusOK, web.JobsPage(s.layout(r.Context(), "Jobs", "jobs"), v))
	return nil
}

// jobRows are jobs as lists show them.
func (s *Server) jobRows(list []model.Job) []web.JobRow {
	rows := make([]web.JobRow, len(list))
	for i, j := range list {
		k, ok := s.jobs.Kind(j.Kind)
		if !ok {
			k = jobs.Kind{Noun: "item"}
		}
		rows[i] = web.JobRow{ID: j.ID, URL: jobURL(j.ID), Title: j.Title, StateLabel: jobStateLabel(j), State: string(j.State),
			Done: j.Done(), Total: j.Total, Summary: text.FirstNonEmpty(j.Summary, k.Summary(j)), By: jobActor(j), Created: j.CreatedAt}
		rows[i].Failed = j.State == model.JobFailed || j.State == model.JobInterrupted
		for st, n := range j.Counts {
			if n > 0 && st != "" && !isOK(k, st) {
				rows[i].Failed = true
			}
		}
	}
	return rows
}
