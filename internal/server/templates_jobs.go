package server

import (
	"net/http"

	"github.com/tenantdesk/tenantdesk/internal/jobs"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/templates"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

// The job pages of template changes (internal/templates' job kinds): where they lead back to,
// what each item links to, and what follows a bulk change.

// templateJobTarget is the page a template job acts on, and its link text.
func templateJobTarget(j model.Job) (string, string) {
	switch {
	case j.Kind == templates.JobApply && j.Target != "":
		return templateURL(j.Target), "Back to the licenses of " + text.FirstNonEmpty(j.TargetName, "the group")
	case j.Kind == templates.JobSplit && j.Target != "":
		return splitURL(j.Target), "Back to the split of " + text.FirstNonEmpty(j.TargetName, "the group")
	}
	return "", ""
}

// jobNoun names what a job's items are, for the heading of their column.
func jobNoun(j model.Job, k jobs.Kind) string {
	if j.Kind == templates.JobApply {
		return "change or member" // the assignLicense call, then each member
	}
	return k.Noun
}

// jobItemURL is the page of a job's item: a user's, or a group's for a bulk change.
func jobItemURL(j model.Job, it model.JobItem) string {
	switch {
	case j.Kind == templates.JobBulk && model.ValidObjectID(it.Key):
		return groupURL(it.Key)
	case it.Known:
		return userURL(it.Key)
	}
	return ""
}

// templateJobNext is what follows a bulk change once its job ended: the page that follows the
// processing of the groups it wrote.
func (s *Server) templateJobNext(r *http.Request, j model.Job) (string, string) {
	if j.Kind != templates.JobBulk || j.Counts[templates.ItemApplied] == 0 {
		return "", ""
	}
	var ids []string
	err := s.jobs.EachItem(r.Context(), j.ID, func(it model.JobItem) error {
		if it.Status == templates.ItemApplied {
			ids = append(ids, it.Key)
		}
		return nil
	})
	if err != nil {
		s.log.WarnContext(r.Context(), "groups of a bulk job", "job", j.ID, "err", err)
		return "", ""
	}
	return bulkOutcomeURL(j.Title, ids), "Follow the processing of the " + web.Number(len(ids)) + " changed " + web.Plural(len(ids), "group", "groups")
}
