package assign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/jobs"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// The licensing operations as background jobs (internal/jobs): a reprocess of hundreds of
// users, or of a few under Graph faults, takes longer than a request may; as a job it runs
// batch by batch, every user's outcome stored as it comes, and survives a restart.

// Job kinds of this package.
const (
	JobReprocess     = "reprocess"
	JobRefreshErrors = "refresh-errors"
)

// DefaultLiveTimeout bounds the live read of RefreshErrorsJob when Service.Live is not set.
const DefaultLiveTimeout = 2 * time.Second

// jobParams are a licensing job's own parameters.
type jobParams struct {
	Group string `json:"group,omitempty"` // the group whose users these are; "" for users of any group
}

// jobBatch is how many users one batch of a licensing job reprocesses and re-reads: 50 is
// three $batch requests, and progress moves every few seconds under throttling.
const jobBatch = 50

// JobKinds are the kinds of job this package runs. Both are safe to repeat (reprocessing a
// user again, re-reading a user again), so a job stopped by a restart is resumed.
func (s *Service) JobKinds() []jobs.Kind {
	labels := map[string]string{string(StatusLicensed): "now licensed", string(StatusInError): "still in error",
		string(StatusRefused): "refused by Graph"}
	return []jobs.Kind{
		{Name: JobReprocess, Action: model.ActionReprocess, Noun: "user", Resumable: true, Batch: jobBatch,
			OK: []string{string(StatusLicensed)}, Labels: labels,
			Run: func(ctx context.Context, j model.Job, items []model.JobItem) ([]model.JobItem, []string, error) {
				p := params(j)
				res, err := s.reprocessBatch(ctx, p.Group, itemKeys(items), nil)
				return jobOutcomes(items, res), res.Problems, err
			},
			Finish: s.finishJob},
		{Name: JobRefreshErrors, Action: model.ActionRefreshErrors, Noun: "user", Resumable: true, Batch: jobBatch,
			OK:     []string{string(StatusLicensed), string(StatusInError)},
			Labels: map[string]string{string(StatusLicensed): labels[string(StatusLicensed)], string(StatusInError): labels[string(StatusInError)]},
			Run: func(ctx context.Context, j model.Job, items []model.JobItem) ([]model.JobItem, []string, error) {
				res, err := s.refreshBatch(ctx, params(j).Group, itemKeys(items))
				return jobOutcomes(items, res), res.Problems, err
			},
			Finish: s.finishJob},
	}
}

// finishJob re-reads the group's processing state once every user has an outcome.
func (s *Service) finishJob(ctx context.Context, j model.Job) []string {
	problems, err := s.rereadGroup(ctx, params(j).Group)
	if err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

// JobGroup is the group a reprocess or refresh job works on, "" for a job of users from any
// group.
func JobGroup(j model.Job) string { return params(j).Group }

func params(j model.Job) jobParams {
	var p jobParams
	_ = json.Unmarshal([]byte(j.Params), &p) // written by this package; an empty one means no group
	return p
}

func itemKeys(items []model.JobItem) []string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.Key
	}
	return ids
}

// jobOutcomes are a batch's outcomes as job items: res has one outcome per item, in order.
func jobOutcomes(items []model.JobItem, res Result) []model.JobItem {
	if len(res.Outcomes) != len(items) {
		return nil // the job records each item as having no outcome
	}
	out := make([]model.JobItem, len(items))
	for i, o := range res.Outcomes {
		out[i] = model.JobItem{Seq: items[i].Seq, Key: items[i].Key, Name: o.Name, Known: o.Known, Status: string(o.Status),
			Summary: o.Summary, Fix: o.Fix}
	}
	return out
}

// ReprocessGroupJob is the job that reprocesses the selected users of group groupID (named
// name): see SelectGroupUsers for who is kept; those left out are named in its problems. Without
// the Graph permission it is a *model.PermissionError.
func (s *Service) ReprocessGroupJob(ctx context.Context, groupID, name string, sel Selection) (jobs.Spec, error) {
	if why := s.ReprocessBlocked(ctx); why != "" {
		return jobs.Spec{}, &model.PermissionError{Action: "Reprocess", Why: why}
	}
	ids, ignored, err := s.SelectGroupUsers(ctx, groupID, sel.All, sel.Users)
	if err != nil {
		return jobs.Spec{}, err
	}
	var r Result
	r.NoteIgnored(ignored)
	what := "selected users"
	if sel.All {
		what = "users in license error"
	}
	return s.spec(ctx, JobReprocess, groupID, name, fmt.Sprintf("Reprocess %d %s of %s", len(ids), what, name), ids, r.Problems)
}

// ReprocessUsersJob is the job that reprocesses users of any group (the command line's -user);
// their outcome counts every license they have.
func (s *Service) ReprocessUsersJob(ctx context.Context, ids []string) (jobs.Spec, error) {
	if why := s.ReprocessBlocked(ctx); why != "" {
		return jobs.Spec{}, &model.PermissionError{Action: "Reprocess", Why: why}
	}
	ids = uniqueIDs(ids)
	switch {
	case len(ids) == 0:
		return jobs.Spec{}, model.Invalid("Name at least one user to reprocess.")
	case len(ids) > MaxUsers:
		return jobs.Spec{}, model.Invalid("At most %d users can be reprocessed at once.", MaxUsers)
	}
	spec, err := s.spec(ctx, JobReprocess, "", "", fmt.Sprintf("Reprocess %d users", len(ids)), ids, nil)
	if err == nil && len(ids) == 1 {
		// One user: the job and its activity entry name that user.
		it := spec.Items[0]
		spec.Title, spec.Target, spec.TargetName = "Reprocess "+it.Name, it.Key, it.Name
	}
	return spec, err
}

// RefreshErrorsJob is the job that re-reads group groupID's members in error: those Graph lists
// now (read within the Live guard, as a page reads: when Graph does not answer, a problem says
// so and the snapshot's are re-read) and those the snapshot has.
func (s *Service) RefreshErrorsJob(ctx context.Context, groupID, name string) (jobs.Spec, error) {
	within := func(ctx context.Context, read func(context.Context) error) error {
		if s.Live != nil {
			return s.Live.Do(ctx, read)
		}
		rctx, cancel := context.WithTimeout(ctx, DefaultLiveTimeout)
		defer cancel()
		return read(rctx)
	}
	ids, problems, err := s.refreshErrorIDs(ctx, groupID, within)
	if err != nil {
		return jobs.Spec{}, err
	}
	if len(ids) == 0 {
		return jobs.Spec{}, model.Invalid("No member of this group is in license error, in Graph's list or in the snapshot: there is nothing to re-read.")
	}
	return s.spec(ctx, JobRefreshErrors, groupID, name, fmt.Sprintf("Re-read %d users in license error of %s", len(ids), name), ids, problems)
}

// spec builds a licensing job of ids, named from the snapshot.
func (s *Service) spec(ctx context.Context, kind, groupID, name, title string, ids, problems []string) (jobs.Spec, error) {
	known := map[string]model.User{}
	users, err := s.store.UsersByID(ctx, ids)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return jobs.Spec{}, fmt.Errorf("names of the users: %w", err)
	}
	for _, u := range users {
		known[model.NormalizeID(u.ID)] = u
	}
	items := make([]model.JobItem, len(ids))
	for i, id := range ids {
		items[i] = model.JobItem{Key: id, Name: id}
		if u, ok := known[model.NormalizeID(id)]; ok {
			items[i].Name, items[i].Known = userName(u, id), true
		}
	}
	b, _ := json.Marshal(jobParams{Group: groupID}) // a struct of strings always marshals
	return jobs.Spec{Kind: kind, Title: title, Target: groupID, TargetName: name, Params: string(b), Items: items,
		Problems: problems}, nil
}
