package templates

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/jobs"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// Template changes as background jobs (internal/jobs): an apply waits minutes for Microsoft to
// process the group, a bulk change writes hundreds of groups, a split creates groups; as jobs
// they outlive the request, every step's outcome is stored as it comes, and a restart resumes
// them. What a form must answer at once (bad input, a missing permission, the lost-update
// check, Graph's refusal of an apply) is found before the job is created.

// Job kinds of this package.
const (
	JobApply = "template-apply"
	JobBulk  = "template-bulk"
	JobSplit = "template-split"
)

// TemplateItem is the key of an apply job's first item: the assignLicense call.
const TemplateItem = "assignLicense"

// Statuses of the items of template jobs (members take assign's: licensed, error).
const (
	ItemSent    = "sent"    // assignLicense accepted
	ItemAlready = "already" // the template already was the proposed one: nothing sent
	ItemLeft    = "left"    // a member no longer in the group once it was processed
	ItemApplied = "applied" // a bulk change's group written
	ItemChanged = "changed" // a bulk change's group changed since the preview: not written
	ItemRefused = "refused" // Graph refused the write
	ItemFailed  = "failed"
	ItemCreated = "created" // a split's group created and given its license
	ItemSet     = "set"     // a split's existing group given its license
	ItemReady   = "ready"   // a split's group already had it
	ItemSkipped = "skipped" // a split's group name is another group's
)

// DefaultWait bounds how long an apply job waits for Microsoft to process the group.
const DefaultWait = 30 * time.Minute

// applyParams are an apply job's parameters.
type applyParams struct {
	Group    string                  `json:"group"`
	Base     []model.AssignedLicense `json:"base"`
	Proposed []model.AssignedLicense `json:"proposed"`
	Wait     time.Duration           `json:"wait,omitempty"`
}

// bulkParams are a bulk job's parameters: the distinct templates once, each group's base and
// proposed template by index (a thousand groups share a handful of templates).
type bulkParams struct {
	Templates [][]model.AssignedLicense `json:"templates"`
	Groups    map[string][2]int         `json:"groups"`
}

// splitParams are a split job's parameters.
type splitParams struct {
	Group string `json:"group"`
}

func decode[T any](j model.Job) T {
	var p T
	_ = json.Unmarshal([]byte(j.Params), &p) // written by this package
	return p
}

func encode(v any) string {
	b, _ := json.Marshal(v) // structs of strings, slices and ints always marshal
	return string(b)
}

// actorOf is who asked for job j, as its writes are recorded.
func actorOf(j model.Job) Actor {
	return Actor{UPN: j.ActorUPN, Name: j.ActorName, RemoteIP: j.RemoteIP, CorrelationID: j.CorrelationID}
}

// JobKinds are the kinds of job this package runs. All are resumed after a restart: each step
// re-reads what Graph has and does only what is still missing (see each kind).
func (s *Service) JobKinds() []jobs.Kind {
	memberLabels := map[string]string{string(assign.StatusLicensed): "licensed", string(assign.StatusInError): "in license error",
		ItemLeft: "no longer a member", ItemSent: "change sent", ItemAlready: "already so"}
	return []jobs.Kind{
		{Name: JobApply, Action: model.ActionTemplateJob, Noun: "step", Resumable: true, Waits: true, Batch: jobs.MaxItems,
			OK: []string{ItemSent, ItemAlready, string(assign.StatusLicensed)}, Labels: memberLabels, Run: s.runApply},
		{Name: JobBulk, Action: model.ActionTemplateJob, Noun: "group", Resumable: true, Batch: workers,
			OK:     []string{ItemApplied, ItemAlready},
			Labels: map[string]string{ItemApplied: "applied", ItemAlready: "already so", ItemChanged: "changed meanwhile", ItemRefused: "refused", ItemFailed: "failed"},
			Run:    s.runBulk},
		{Name: JobSplit, Action: model.ActionTemplateJob, Noun: "group", Resumable: true, Batch: 1,
			OK:     []string{ItemCreated, ItemSet, ItemReady},
			Labels: map[string]string{ItemCreated: "created", ItemSet: "license set", ItemReady: "already done", ItemSkipped: "skipped", ItemFailed: "failed"},
			Run:    s.runSplit},
	}
}

// JobGroup is the group an apply or split job works on.
func JobGroup(j model.Job) string {
	if j.Kind == JobSplit {
		return decode[splitParams](j).Group
	}
	return decode[applyParams](j).Group
}

// ApplyJob makes the change as Apply does (the permission, the proposed template and the
// lost-update check first; Graph's refusal is its error, and no job is made) and returns the
// job that follows it: its first item is the assignLicense call with its outcome already, the
// others are the group's direct user members (read from Graph before the write), each of whom
// gets their outcome once Microsoft has processed the group. wait bounds that (0: DefaultWait).
func (s *Service) ApplyJob(ctx context.Context, by Actor, groupID string, base, proposed []model.AssignedLicense, wait time.Duration) (jobs.Spec, Applied, error) {
	if why := s.ApplyBlocked(ctx); why != "" {
		return jobs.Spec{}, Applied{}, &model.PermissionError{Action: "Changing licenses", Why: why}
	}
	t, err := s.tenant(ctx)
	if err != nil {
		return jobs.Spec{}, Applied{}, err
	}
	if proposed, err = t.check(proposed); err != nil {
		return jobs.Spec{}, Applied{}, err
	}
	g, err := s.freshGroup(ctx, groupID)
	if err != nil {
		return jobs.Spec{}, Applied{}, err
	}
	members, problems, err := s.memberItems(ctx, g.ID)
	if err != nil {
		return jobs.Spec{}, Applied{}, err
	}
	a, err := s.apply(ctx, by, t, g, base, proposed)
	if err != nil {
		return jobs.Spec{}, a, err
	}
	first := model.JobItem{Key: TemplateItem, Name: "The change (assignLicense)"}
	if a.NoChange {
		first.Status, first.Summary = ItemAlready, "The group already has this template: nothing was sent."
	} else {
		first.Status = ItemSent
		first.Summary = capitalize(a.Diff.String()) + ". Microsoft 365 accepted it and processes the group; each member's outcome follows once it is done."
	}
	title := "Change the licenses of " + g.DisplayName
	spec := jobs.Spec{Kind: JobApply, Title: title, Target: g.ID, TargetName: g.DisplayName,
		Params: encode(applyParams{Group: g.ID, Base: licensing.CanonicalTemplate(base), Proposed: proposed, Wait: wait}),
		Items:  append([]model.JobItem{first}, members...), Problems: problems}
	return spec, a, nil
}

// memberItems are groupID's direct user members as job items, named from the snapshot.
func (s *Service) memberItems(ctx context.Context, groupID string) ([]model.JobItem, []string, error) {
	ids, _, err := s.memberIDs(ctx, groupID)
	if err != nil {
		return nil, nil, err
	}
	var problems []string
	if max := jobs.MaxItems - 1; len(ids) > max {
		problems = append(problems, fmt.Sprintf("The group has %d members; the job follows the first %d, the group's page shows the others.", len(ids), max))
		ids = ids[:max]
	}
	known := map[string]model.User{}
	if users, err := s.store.UsersByID(ctx, ids); err == nil {
		for _, u := range users {
			known[model.NormalizeID(u.ID)] = u
		}
	} else if !errors.Is(err, model.ErrNotFound) {
		return nil, nil, fmt.Errorf("names of the members: %w", err)
	}
	items := make([]model.JobItem, len(ids))
	for i, id := range ids {
		items[i] = model.JobItem{Key: model.NormalizeID(id), Name: id}
		if u, ok := known[model.NormalizeID(id)]; ok {
			items[i].Name, items[i].Known = text.FirstNonEmpty(u.DisplayName, u.UserPrincipalName, id), true
		}
	}
	return items, problems, nil
}

// runApply does an apply job's items: the assignLicense call when it has no outcome yet, then
// waits for the processing and gives each member the outcome Microsoft left them with.
//
// The call normally has its outcome before the job exists (ApplyJob). Should a process have
// stopped between the call and storing its outcome, the call is made again only through apply,
// which re-reads the template first: when it already is the proposed one nothing is sent (what
// this relies on: Graph returns a group's assignedLicenses as written once assignLicense has
// answered). Were it sent twice anyway, assignLicense with the same addLicenses and
// removeLicenses is idempotent for a group: the template becomes the same one again.
func (s *Service) runApply(ctx context.Context, j model.Job, items []model.JobItem) ([]model.JobItem, []string, error) {
	p := decode[applyParams](j)
	var out []model.JobItem
	members := items
	if len(items) > 0 && items[0].Key == TemplateItem {
		first, err := s.applyAgain(ctx, j, p)
		if err != nil {
			return nil, nil, err
		}
		out, members = append(out, first), items[1:]
	}
	if len(members) == 0 {
		return out, nil, nil
	}
	wait := p.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	res, err := s.WaitProcessed(wctx, p.Group, nil)
	if err != nil {
		return nil, res.Problems, err
	}
	byID := make(map[string]assign.Outcome, len(res.Outcomes))
	for _, o := range res.Outcomes {
		byID[model.NormalizeID(o.UserID)] = o
	}
	for _, it := range members {
		o, ok := byID[model.NormalizeID(it.Key)]
		delete(byID, model.NormalizeID(it.Key))
		if !ok {
			out = append(out, model.JobItem{Seq: it.Seq, Status: ItemLeft,
				Summary: "No longer a direct member of the group once Microsoft had processed it."})
			continue
		}
		out = append(out, model.JobItem{Seq: it.Seq, Name: o.Name, Known: o.Known, Status: string(o.Status), Summary: o.Summary, Fix: o.Fix})
	}
	problems := res.Problems
	if len(byID) > 0 {
		var names []string
		for _, o := range byID {
			names = append(names, o.Name)
		}
		problems = append(problems, fmt.Sprintf("%d members joined the group meanwhile (%s); the group's page shows how they stand.",
			len(names), text.Clip(strings.Join(names, ", "), 300)))
	}
	return out, problems, nil
}

// applyAgain makes an apply job's change whose outcome was not stored (see runApply).
func (s *Service) applyAgain(ctx context.Context, j model.Job, p applyParams) (model.JobItem, error) {
	t, err := s.tenant(ctx)
	if err != nil {
		return model.JobItem{}, err
	}
	g, err := s.freshGroup(ctx, p.Group)
	if err != nil {
		return model.JobItem{}, err
	}
	a, err := s.apply(ctx, actorOf(j), t, g, p.Base, p.Proposed)
	if err != nil {
		return model.JobItem{}, err
	}
	it := model.JobItem{Seq: 0, Status: ItemSent, Summary: capitalize(a.Diff.String()) + ". Microsoft 365 accepted it."}
	if a.NoChange {
		it.Status, it.Summary = ItemAlready, "The group has this template (written before tenantdesk stopped, or already so): nothing was sent again."
	}
	return it, nil
}

// BulkApplyJob is the job that applies each group's previewed change (BulkApply's checks
// first: the permission and the number of groups); each group is one item, described by what.
func (s *Service) BulkApplyJob(ctx context.Context, what string, changes []BulkChange) (jobs.Spec, error) {
	if why := s.ApplyBlocked(ctx); why != "" {
		return jobs.Spec{}, &model.PermissionError{Action: "Changing licenses", Why: why}
	}
	switch {
	case len(changes) == 0:
		return jobs.Spec{}, model.Invalid("No group to change: open the preview again.")
	case len(changes) > MaxBulkGroups:
		return jobs.Spec{}, model.Invalid("%d groups; one change takes at most %d.", len(changes), MaxBulkGroups)
	}
	t, err := s.tenant(ctx)
	if err != nil {
		return jobs.Spec{}, err
	}
	p := bulkParams{Groups: map[string][2]int{}}
	index := func(tpl []model.AssignedLicense) int {
		tpl = licensing.CanonicalTemplate(tpl)
		for i, x := range p.Templates {
			if licensing.SameTemplate(x, tpl) {
				return i
			}
		}
		p.Templates = append(p.Templates, tpl)
		return len(p.Templates) - 1
	}
	var items []model.JobItem
	for _, c := range changes {
		id := model.NormalizeID(c.GroupID)
		if _, dup := p.Groups[id]; dup {
			continue
		}
		p.Groups[id] = [2]int{index(c.Base), index(c.Proposed)}
		items = append(items, model.JobItem{Key: id, Name: t.groupName(id)})
	}
	what = text.FirstNonEmpty(strings.TrimSpace(what), "one change")
	return jobs.Spec{Kind: JobBulk, Title: fmt.Sprintf("%s: %d groups", capitalize(what), len(items)), Params: encode(p), Items: items}, nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// runBulk applies a batch of a bulk job's groups, a few at a time. Each apply re-reads the
// group's template first, so a group written before a restart is "already so", never written
// twice.
func (s *Service) runBulk(ctx context.Context, j model.Job, items []model.JobItem) ([]model.JobItem, []string, error) {
	p := decode[bulkParams](j)
	t, err := s.tenant(ctx)
	if err != nil {
		return nil, nil, err
	}
	tpl := func(i int) []model.AssignedLicense {
		if i < 0 || i >= len(p.Templates) {
			return nil
		}
		return p.Templates[i]
	}
	out := make([]model.JobItem, len(items))
	s.each(len(items), func(i int) {
		it := items[i]
		c, ok := p.Groups[it.Key]
		if !ok {
			out[i] = model.JobItem{Seq: it.Seq, Status: ItemFailed, Summary: "The job does not say what to change in this group."}
			return
		}
		o := s.bulkOne(ctx, actorOf(j), t, BulkChange{GroupID: it.Key, Base: tpl(c[0]), Proposed: tpl(c[1])})
		out[i] = bulkItem(it.Seq, o, j.Resumes > 0)
	})
	return out, nil, nil
}

// bulkItem is a bulk group's outcome as a job item.
func bulkItem(seq int, o BulkOutcome, resumed bool) model.JobItem {
	it := model.JobItem{Seq: seq, Name: text.FirstNonEmpty(o.Name, o.GroupID), Known: true}
	switch {
	case o.Err == nil && o.Applied.NoChange:
		it.Status, it.Summary = ItemAlready, "The group already has the new template: nothing was sent."
		if resumed {
			it.Summary = "The group has the new template (written before tenantdesk stopped, or already so): nothing was sent again."
		}
	case o.Err == nil:
		it.Status, it.Summary = ItemApplied, capitalize(o.Applied.Diff.String())+". Microsoft 365 accepted it and processes the group."
	case errors.Is(o.Err, model.ErrConflict):
		it.Status, it.Summary, it.Fix = ItemChanged, "Its template changed since the preview: nothing was written.", "Preview the change again."
	case errors.Is(o.Err, model.ErrInvalid), errors.Is(o.Err, model.ErrForbidden), errors.Is(o.Err, model.ErrNotFound):
		it.Status, it.Summary = ItemRefused, "Refused; nothing was changed. "+model.DescribeGraphError(o.Err)
	default:
		it.Status, it.Summary = ItemFailed, "Failed; nothing was changed. "+model.DescribeGraphError(o.Err)
	}
	return it
}

// SplitJob is the job that runs the split of groupID: one item per license, each making (or
// finding) that license's dynamic group and giving it the license. It is refused (a
// *model.PermissionError) when a requirement is not met, as RunSplit is.
func (s *Service) SplitJob(ctx context.Context, groupID string) (jobs.Spec, error) {
	p, err := s.PlanSplit(ctx, groupID)
	if err != nil {
		return jobs.Spec{}, err
	}
	if p.Blocked != "" {
		return jobs.Spec{}, &model.PermissionError{Action: "Splitting the group", Why: p.Blocked}
	}
	items := make([]model.JobItem, len(p.Parts))
	for i, part := range p.Parts {
		items[i] = model.JobItem{Key: part.License.SKUID, Name: part.Name}
	}
	return jobs.Spec{Kind: JobSplit, Title: "Split " + p.Group.DisplayName + " into one group per license", Target: p.Group.ID,
		TargetName: p.Group.DisplayName, Params: encode(splitParams{Group: p.Group.ID}), Items: items}, nil
}

// runSplit does one part of a split job from a fresh plan: a group made before a restart is
// found again by its name and rule and not made twice. (Graph's directory is eventually
// consistent: a group created in the second before a crash might not be listed yet; the
// conservative answer would be to wait, and PlanSplit sorts duplicates by creation so a second
// one is never used; the split page shows every group of the name.)
func (s *Service) runSplit(ctx context.Context, j model.Job, items []model.JobItem) ([]model.JobItem, []string, error) {
	p, err := s.PlanSplit(ctx, decode[splitParams](j).Group)
	if err != nil {
		return nil, nil, err
	}
	if p.Blocked != "" {
		return nil, nil, &model.PermissionError{Action: "Splitting the group", Why: p.Blocked}
	}
	t, err := s.tenant(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make([]model.JobItem, 0, len(items))
	for _, it := range items {
		i := -1
		for k, part := range p.Parts {
			if model.SameID(part.License.SKUID, it.Key) {
				i = k
			}
		}
		if i < 0 {
			out = append(out, model.JobItem{Seq: it.Seq, Status: ItemSkipped, Summary: "The group no longer assigns this license: there is nothing to split off."})
			continue
		}
		out = append(out, splitItem(it.Seq, s.splitStep(ctx, actorOf(j), t, p, i)))
	}
	return out, nil, nil
}

// splitItem is a split step as a job item.
func splitItem(seq int, st SplitStep) model.JobItem {
	it := model.JobItem{Seq: seq, Name: st.Name}
	switch st.Did {
	case "created":
		it.Status, it.Summary = ItemCreated, "Created the dynamic group and gave it the license."
	case "template set":
		it.Status, it.Summary = ItemSet, "The group existed; gave it the license."
	case "already done":
		it.Status, it.Summary = ItemReady, "The group exists with the license: nothing to do."
	case "skipped":
		it.Status, it.Summary = ItemSkipped, model.DescribeGraphError(st.Err)
	default:
		it.Status, it.Summary = ItemFailed, "Failed: "+model.DescribeGraphError(st.Err)
		it.Fix = "Run the split again: it does only what is missing."
	}
	return it // the split's page links to each group
}
