package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/jobs"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// Graph is what cleanup writes. *graph.Client implements it.
type Graph interface {
	RemoveUserLicenses(ctx context.Context, userID string, skuIDs []string) error
	RemoveGroupMember(ctx context.Context, groupID, memberID string) error
}

// Rereader reads users again from Graph into the current snapshot, with the subscriptions'
// counts: failed are the users it could not read (GraphNotFound: gone), problems what else it
// could not. *assign.Service implements it.
type Rereader interface {
	Reread(ctx context.Context, ids []string) (failed map[string]error, problems []string, err error)
}

// JobCleanup is the kind of the cleanup job.
const JobCleanup = "license-cleanup"

// Outcomes of a user in a cleanup job.
const (
	CleanupDone    = "done"    // every step went (or had gone already)
	CleanupPartly  = "partly"  // some steps went, some were refused or failed
	CleanupRefused = "refused" // Graph refused every step
	CleanupFailed  = "failed"  // Graph failed (not a refusal): try again
	CleanupSkipped = "skipped" // nothing tenantdesk may do (dynamic groups only)
)

// Group paths: what cleanup does about a license that comes from a group.
const (
	GroupsRemove = "remove" // take the user out of the group
	GroupsKeep   = "keep"   // leave group memberships alone (their licenses stay)
)

// cleanupKinds are the findings cleanup removes licenses for.
var cleanupKinds = []string{KindDisabled, KindInactive, KindNeverSignedIn, KindGuests}

// CleanupKinds are the findings whose licenses cleanup can remove.
func CleanupKinds() []string { return slices.Clone(cleanupKinds) }

// CleanupStep is one write of a user's cleanup: a direct license removed, or the user taken
// out of a group (which removes every license that group gives them).
type CleanupStep struct {
	Op       string   `json:"op"` // "license" or "leave"
	SKUIDs   []string `json:"skus,omitempty"`
	GroupID  string   `json:"group,omitempty"`
	Name     string   `json:"name"`               // the licenses, or the group, named
	Licenses []string `json:"licenses,omitempty"` // for "leave": the licenses the group gives the user
	Dynamic  bool     `json:"dynamic,omitempty"`  // a dynamic group: its members cannot be removed
}

// CleanupUser is what cleanup does for one user.
type CleanupUser struct {
	UserID, UserName, UPN string
	Kind                  string // the finding that lists the user
	Steps                 []CleanupStep
	Skipped               []string // what is left alone, and why
	// Monthly is what the licenses that go cost a month; Stays names those that stay (a
	// dynamic group's, or a group's left alone).
	Monthly Money
	Stays   []string
}

// CleanupPlan is the preview of a cleanup: every user and what will be done for them.
type CleanupPlan struct {
	Kinds   []string
	Groups  string // GroupsRemove or GroupsKeep
	Users   []CleanupUser
	Monthly Money // what the licenses that go cost a month (priced SKUs)
	Options Options
}

// ParseCleanup checks the findings and the group path a cleanup was asked for.
func ParseCleanup(kinds []string, groups string) ([]string, string, error) {
	var out, problems []string
	for _, k := range kinds {
		switch {
		case !slices.Contains(cleanupKinds, k):
			problems = append(problems, fmt.Sprintf("%q is not a finding cleanup can act on (%s)", clip(k), strings.Join(cleanupKinds, ", ")))
		case !slices.Contains(out, k):
			out = append(out, k)
		}
	}
	if len(kinds) == 0 {
		problems = append(problems, "choose at least one finding to clean up")
	}
	if groups == "" {
		groups = GroupsRemove
	}
	if groups != GroupsRemove && groups != GroupsKeep {
		problems = append(problems, fmt.Sprintf("%q is not a choice for licenses from groups (remove or keep)", clip(groups)))
	}
	if len(problems) > 0 {
		return nil, "", &model.InputError{Message: "This cleanup cannot be prepared:", Problems: problems}
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(cleanupKinds, a) - slices.Index(cleanupKinds, b) })
	return out, groups, nil
}

// PlanCleanup is the preview of cleaning up the licenses of findings kinds: for each user, a
// direct license is removed from them, a license from a group by taking them out of the group
// (groups GroupsRemove) or not at all (GroupsKeep) — never a direct removal of a group's
// license, which Graph refuses.
func (s *Service) PlanCleanup(ctx context.Context, opts Options, kinds []string, groups string) (CleanupPlan, error) {
	kinds, groups, err := ParseCleanup(kinds, groups)
	if err != nil {
		return CleanupPlan{}, err
	}
	rep, err := s.Report(ctx, opts)
	if err != nil {
		return CleanupPlan{}, err
	}
	isDynamic := func(id string) bool { return rep.dynamic[id] }
	plan := CleanupPlan{Kinds: kinds, Groups: groups, Monthly: Money{}, Options: rep.Options}
	for _, k := range kinds {
		f, _ := rep.Finding(k)
		if f.Unavailable != "" {
			continue
		}
		byUser := map[string]*CleanupUser{}
		var order []string
		for _, it := range f.Items {
			cu, ok := byUser[it.UserID]
			if !ok {
				cu = &CleanupUser{UserID: it.UserID, UserName: it.UserName, UPN: it.UPN, Kind: k, Monthly: Money{}}
				byUser[it.UserID] = cu
				order = append(order, it.UserID)
			}
			// The license goes only when every source of it goes.
			goes := len(it.Groups) == 0 || groups == GroupsRemove
			for _, g := range it.Groups {
				goes = goes && !isDynamic(g.ID)
			}
			if goes {
				cu.Monthly.Plus(it.Monthly)
			} else {
				cu.Stays = append(cu.Stays, it.SKUName)
			}
			if it.Direct {
				cu.addLicense(it.SKUID, it.SKUName)
			}
			for _, g := range it.Groups {
				switch {
				case groups == GroupsKeep:
					cu.Skipped = append(cu.Skipped, it.SKUName+" from "+g.Name+": group memberships are left alone")
				default:
					cu.leave(g, it.SKUName, isDynamic(g.ID))
				}
			}
		}
		for _, id := range order {
			cu := byUser[id]
			if len(cu.Steps) == 0 && len(cu.Skipped) == 0 {
				continue
			}
			plan.Monthly.Plus(cu.Monthly)
			plan.Users = append(plan.Users, *cu)
		}
	}
	return plan, nil
}

func (cu *CleanupUser) addLicense(sku, name string) {
	for i := range cu.Steps {
		if cu.Steps[i].Op == "license" {
			if !slices.Contains(cu.Steps[i].SKUIDs, sku) {
				cu.Steps[i].SKUIDs = append(cu.Steps[i].SKUIDs, sku)
				cu.Steps[i].Name += ", " + name
			}
			return
		}
	}
	cu.Steps = append(cu.Steps, CleanupStep{Op: "license", SKUIDs: []string{sku}, Name: name})
}

func (cu *CleanupUser) leave(g model.GroupRef, license string, dynamic bool) {
	for i := range cu.Steps {
		if cu.Steps[i].Op == "leave" && cu.Steps[i].GroupID == g.ID {
			if !slices.Contains(cu.Steps[i].Licenses, license) {
				cu.Steps[i].Licenses = append(cu.Steps[i].Licenses, license)
			}
			return
		}
	}
	cu.Steps = append(cu.Steps, CleanupStep{Op: "leave", GroupID: g.ID, Name: g.Name, Licenses: []string{license}, Dynamic: dynamic})
}

// StepText says a step in words, for the preview and the outcome.
func StepText(st CleanupStep) string {
	if st.Op == "license" {
		return "remove " + st.Name + " (assigned directly)"
	}
	s := "take out of group " + st.Name + " (its " + strings.Join(st.Licenses, ", ") + " goes once the group is processed)"
	if st.Dynamic {
		s = "group " + st.Name + " has dynamic membership: change its rule to leave the user out (tenantdesk cannot)"
	}
	return s
}

// cleanupParams are a cleanup job's parameters: each user's steps, by user id.
type cleanupParams struct {
	Kinds  []string                 `json:"kinds"`
	Groups string                   `json:"groups"`
	Steps  map[string][]CleanupStep `json:"steps"`
}

// CleanupJob is the job that carries out plan for the users of keys (user ids; nil means every
// user of the plan). Users asked for that the plan no longer holds are left out and named in
// its problems.
func (s *Service) CleanupJob(plan CleanupPlan, keys []string) (jobs.Spec, error) {
	if s.Graph == nil {
		return jobs.Spec{}, errors.New("license cleanup: no Graph client")
	}
	p := cleanupParams{Kinds: plan.Kinds, Groups: plan.Groups, Steps: map[string][]CleanupStep{}}
	var items []model.JobItem
	var problems []string
	want := map[string]bool{}
	for _, k := range keys {
		want[model.NormalizeID(k)] = true
	}
	found := map[string]bool{}
	for _, u := range plan.Users {
		id := model.NormalizeID(u.UserID)
		if keys != nil && !want[id] || found[id] || len(u.Steps) == 0 {
			continue
		}
		found[id] = true
		p.Steps[u.UserID] = u.Steps
		items = append(items, model.JobItem{Key: u.UserID, Name: text.FirstNonEmpty(u.UserName, u.UPN, u.UserID), Known: true})
	}
	for k := range want {
		if !found[k] {
			problems = append(problems, "user "+k+" has nothing to clean up any more: left out")
		}
	}
	slices.Sort(problems)
	if len(items) == 0 {
		return jobs.Spec{}, model.Invalid("There is nothing to clean up: no selected user has a license to remove.")
	}
	b, err := json.Marshal(p)
	if err != nil {
		return jobs.Spec{}, err
	}
	return jobs.Spec{Kind: JobCleanup, Title: fmt.Sprintf("Clean up the licenses of %d users (%s)", len(items), strings.Join(plan.Kinds, ", ")),
		Params: string(b), Items: items, Problems: problems}, nil
}

// JobKinds are the job kinds of license health: the cleanup. Its steps are safe to repeat (a
// license already removed, a member already gone count as done), so it is resumed after a
// restart.
func (s *Service) JobKinds() []jobs.Kind {
	return []jobs.Kind{{
		Name: JobCleanup, Action: model.ActionLicenseCleanup, Noun: "user", Resumable: true, Batch: 20,
		OK: []string{CleanupDone},
		Labels: map[string]string{CleanupDone: "cleaned up", CleanupPartly: "partly cleaned up", CleanupRefused: "refused by Graph",
			CleanupFailed: "failed", CleanupSkipped: "nothing tenantdesk may do"},
		Run: s.runCleanup,
	}}
}

func (s *Service) runCleanup(ctx context.Context, j model.Job, items []model.JobItem) ([]model.JobItem, []string, error) {
	var p cleanupParams
	if err := json.Unmarshal([]byte(j.Params), &p); err != nil {
		return nil, nil, fmt.Errorf("cleanup job %d: its parameters cannot be read: %w", j.ID, err)
	}
	if s.Graph == nil {
		return nil, nil, errors.New("license cleanup: no Graph client")
	}
	out := make([]model.JobItem, 0, len(items))
	var changed []string
	names := map[string]string{}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return out, nil, err
		}
		o := s.cleanUser(ctx, it, p.Steps[it.Key])
		if o.Status == CleanupDone || o.Status == CleanupPartly {
			changed = append(changed, it.Key)
			names[it.Key] = text.FirstNonEmpty(it.Name, it.Key)
		}
		out = append(out, o)
	}
	if len(changed) == 0 || s.Rereader == nil {
		return out, nil, nil
	}
	// The pages show the users as they are now, not as the last sync saw them.
	failed, problems, err := s.Rereader.Reread(context.WithoutCancel(ctx), changed)
	if err != nil {
		problems = append(problems, "The cleanup's changes could not be written into the snapshot (the next sync shows them): "+err.Error())
	}
	return out, append(problems, rereadProblems(changed, names, failed)...), nil
}

// rereadProblems says, by name, which cleaned-up users could not be read again.
func rereadProblems(ids []string, names map[string]string, failed map[string]error) []string {
	var gone, unread []string
	var why error
	for _, id := range ids {
		err, ok := failed[id]
		if !ok {
			continue
		}
		var ge *model.GraphError
		if errors.As(err, &ge) && ge.Kind == model.GraphNotFound {
			gone = append(gone, names[id])
			continue
		}
		unread = append(unread, names[id])
		if why == nil {
			why = err
		}
	}
	var out []string
	if len(gone) > 0 {
		out = append(out, "Gone from the directory, still shown until the next sync: "+strings.Join(gone, ", ")+".")
	}
	if len(unread) > 0 {
		out = append(out, "Could not be read again ("+model.DescribeGraphError(why)+"); the next sync shows them as they are: "+
			strings.Join(unread, ", ")+".")
	}
	return out
}

// cleanUser does one user's steps and says how it went.
func (s *Service) cleanUser(ctx context.Context, it model.JobItem, steps []CleanupStep) model.JobItem {
	var done, refused, failed, skipped int
	var said, fixes []string
	for _, st := range steps {
		if st.Dynamic {
			skipped++
			said = append(said, StepText(st))
			continue
		}
		var err error
		if st.Op == "license" {
			err = s.Graph.RemoveUserLicenses(ctx, it.Key, st.SKUIDs)
		} else {
			err = s.Graph.RemoveGroupMember(ctx, st.GroupID, it.Key)
		}
		word, kind, fix := stepOutcome(st, err)
		said = append(said, word)
		if fix != "" {
			fixes = append(fixes, fix)
		}
		switch kind {
		case CleanupDone:
			done++
		case CleanupRefused:
			refused++
		default:
			failed++
		}
	}
	status := CleanupDone
	switch {
	case done == 0 && refused == 0 && failed == 0:
		status = CleanupSkipped
	case refused+failed+skipped > 0 && done > 0:
		status = CleanupPartly
	case failed > 0:
		status = CleanupFailed
	case refused > 0:
		status = CleanupRefused
	}
	return model.JobItem{Seq: it.Seq, Key: it.Key, Name: it.Name, Known: it.Known, Status: status,
		Summary: strings.Join(said, "; "), Fix: strings.Join(fixes, " ")}
}

// stepOutcome is one step's outcome in words, its kind (CleanupDone, CleanupRefused or
// CleanupFailed) and, when it did not go, what to do.
func stepOutcome(st CleanupStep, err error) (string, string, string) {
	if err == nil {
		if st.Op == "license" {
			return st.Name + " removed", CleanupDone, ""
		}
		return "taken out of " + st.Name + " (its licenses go once the group is processed)", CleanupDone, ""
	}
	var ge *model.GraphError
	if errors.As(err, &ge) {
		msg := strings.ToLower(ge.Message)
		switch {
		case ge.Kind == model.GraphNotFound:
			if st.Op == "license" {
				return st.Name + ": the user is gone", CleanupDone, ""
			}
			return "no longer a member of " + st.Name, CleanupDone, ""
		case ge.Kind == model.GraphBadRequest && strings.Contains(msg, "does not have a corresponding license"):
			return st.Name + " was removed already", CleanupDone, ""
		case ge.Kind == model.GraphBadRequest && strings.Contains(msg, "inherited from a group"):
			return st.Name + ": Graph says it comes from a group now", CleanupRefused,
				"Refresh and clean up again: the license's path changed since the snapshot."
		case ge.Kind == model.GraphForbidden:
			return StepText(st) + ": refused by Graph", CleanupRefused, model.DescribeGraphError(err)
		case ge.Kind == model.GraphBadRequest:
			return StepText(st) + ": refused by Graph (" + ge.Message + ")", CleanupRefused, ""
		}
	}
	return StepText(st) + ": failed (" + model.DescribeGraphError(err) + ")", CleanupFailed, "Run the cleanup again once Microsoft Graph answers."
}
