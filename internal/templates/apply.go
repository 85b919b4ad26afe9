package templates

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Applied is what an apply did.
type Applied struct {
	Group    model.Group // as re-read after the write
	Change   licensing.Change
	Diff     licensing.TemplateDiff
	Body     string
	At       time.Time
	NoChange bool // the template was already the proposed one: nothing was written
}

// Apply changes groupID's template from base (the template the change was previewed against)
// to proposed in one assignLicense call. It re-reads the template from Graph first: if it is no
// longer base, nothing is written and the error is a *model.TemplateChangedError with the
// template now (preview again). When the template already is proposed, nothing is written
// either (so running it again after a failure is safe). The write is recorded with its body;
// the group's new template goes into the snapshot, not processed yet (unprocessedInSnapshot;
// Settle stores it processed, with its members). Without the Graph permission it is a
// *model.PermissionError before anything is read.
func (s *Service) Apply(ctx context.Context, by Actor, groupID string, base, proposed []model.AssignedLicense) (Applied, error) {
	if why := s.ApplyBlocked(ctx); why != "" {
		return Applied{}, &model.PermissionError{Action: "Changing licenses", Why: why}
	}
	t, err := s.tenant(ctx)
	if err != nil {
		return Applied{}, err
	}
	if proposed, err = t.check(proposed); err != nil {
		return Applied{}, err
	}
	g, err := s.freshGroup(ctx, groupID)
	if err != nil {
		return Applied{}, err
	}
	return s.apply(ctx, by, t, g, base, proposed)
}

func (s *Service) apply(ctx context.Context, by Actor, t tenant, g model.Group, base, proposed []model.AssignedLicense) (Applied, error) {
	current := licensing.CanonicalTemplate(g.AssignedLicenses)
	a := Applied{Group: g, At: s.now()}
	if licensing.SameTemplate(current, proposed) {
		a.NoChange = true
		return a, nil
	}
	if !licensing.SameTemplate(current, base) {
		return a, &model.TemplateChangedError{GroupID: g.ID, Current: current}
	}
	a.Change = licensing.ChangeBetween(current, proposed)
	a.Diff = t.names.Diff(current, proposed)
	a.Body = a.Change.Body()
	_, err := s.graph.AssignGroupLicenses(ctx, g.ID, a.Change.Add, a.Change.Remove)
	act := model.Activity{Action: model.ActionTemplateChange, Target: g.ID, TargetName: g.DisplayName, Result: resultOf(err),
		Detail: a.Diff.String() + "; body " + a.Body}
	if err != nil {
		act.Detail += "; " + model.DescribeGraphError(err)
		s.record(ctx, by, act)
		return a, err
	}
	s.record(ctx, by, act)
	s.unsettle(g.ID)
	if fresh, err := s.graph.Group(ctx, g.ID); err == nil {
		a.Group = fresh
	} else {
		a.Group.AssignedLicenses, a.Group.ProcessingState = proposed, model.ProcessingQueued
		s.log.WarnContext(ctx, "group not re-read after its template change", "group", g.ID, "err", err)
	}
	if err := s.saveGroup(ctx, unprocessedInSnapshot(a.Group), nil); err != nil {
		s.log.WarnContext(ctx, "new template not saved in the snapshot", "group", g.ID, "err", err)
	}
	return a, nil
}

// unprocessedInSnapshot is g, just re-read after a change of its template, as the snapshot
// keeps it until its members are re-read (Settle): with the new template, but never as
// ProcessingComplete. Graph may have processed the group by the time it is re-read (a small
// group, or the simulated tenant without a processing delay), yet the snapshot's members still
// have their states from before the change. An incremental refresh re-reads a group's members
// only when its stored template or processing state differs from Graph's or either is not
// complete (the users delta does not track licenseAssignmentStates): the new template stored
// as complete would hide the change from it, and members whose licenses stayed the same while
// their errors changed would keep their old states until the next full sync, and the next
// preview would start from them.
func unprocessedInSnapshot(g model.Group) model.Group {
	if g.ProcessingState == model.ProcessingComplete {
		g.ProcessingState = model.ProcessingQueued
	}
	return g
}

// Processing is where a group's license processing stands.
type Processing struct {
	GroupID string
	Name    string
	State   string // QueuedForProcessing, ProcessingInProgress, ProcessingComplete ("" unknown)
	At      time.Time
}

// Done reports whether Microsoft finished processing the group.
func (p Processing) Done() bool { return p.State == model.ProcessingComplete }

// Step is the processing state as a step of three: 1 queued, 2 in progress, 3 complete.
func (p Processing) Step() int {
	switch p.State {
	case model.ProcessingQueued:
		return 1
	case model.ProcessingInProgress:
		return 2
	case model.ProcessingComplete:
		return 3
	}
	return 0
}

// Status reads the group's license processing state from Graph now.
func (s *Service) Status(ctx context.Context, groupID string) (Processing, error) {
	g, err := s.freshGroup(ctx, groupID)
	if err != nil {
		return Processing{GroupID: groupID}, err
	}
	return Processing{GroupID: g.ID, Name: g.DisplayName, State: g.ProcessingState, At: s.now()}, nil
}

// Settle re-reads the group and every member after processing, writes them into the snapshot
// and says how each member came out: licensed, or in error with the reason and the fix.
func (s *Service) Settle(ctx context.Context, groupID string) (assign.Result, error) {
	g, err := s.freshGroup(ctx, groupID)
	if err != nil {
		return assign.Result{}, err
	}
	var counts *model.MemberCounts
	if mc, err := s.memberCounts(ctx, g.ID); err == nil {
		if c, ok := mc[g.ID]; ok {
			counts = &c
		}
	}
	// Processed only once the members are re-read: if that fails, the group stays unprocessed
	// in the snapshot and the next refresh re-reads them (see unprocessedInSnapshot).
	if err := s.saveGroup(ctx, unprocessedInSnapshot(g), counts); err != nil {
		return assign.Result{}, err
	}
	res, err := s.members.RefreshGroupMembers(ctx, g.ID)
	if err != nil || g.ProcessingState != model.ProcessingComplete {
		return res, err
	}
	return res, s.saveGroup(ctx, g, counts)
}

// saveGroup stores g's template, processing state and counts (if any) in the snapshot; none
// yet is no error.
func (s *Service) saveGroup(ctx context.Context, g model.Group, counts *model.MemberCounts) error {
	if err := s.store.SaveGroupTemplate(ctx, g, counts); err != nil && !errors.Is(err, model.ErrNotFound) {
		return fmt.Errorf("save group %s: %w", g.ID, err)
	}
	return nil
}

// WaitProcessed polls the group's processing state every Poll until it is complete (progress,
// if not nil, gets each state read), then settles it. ctx bounds the wait.
func (s *Service) WaitProcessed(ctx context.Context, groupID string, progress func(Processing)) (assign.Result, error) {
	for {
		p, err := s.Status(ctx, groupID)
		if err != nil {
			return assign.Result{}, err
		}
		if progress != nil {
			progress(p)
		}
		if p.Done() {
			return s.Settle(ctx, groupID)
		}
		select {
		case <-ctx.Done():
			return assign.Result{}, fmt.Errorf("waiting for group %s to be processed (%s): %w", groupID, p.State, ctx.Err())
		case <-time.After(s.Poll):
		}
	}
}

// memberCounts counts the direct members and user members of the groups of ids. Template
// pages show the users a group has now, so Graph counts them even where the snapshot would
// derive them from license states.
func (s *Service) memberCounts(ctx context.Context, ids ...string) (map[string]model.MemberCounts, error) {
	return s.graph.MemberCounts(ctx, ids, func(string) bool { return true }, nil)
}
