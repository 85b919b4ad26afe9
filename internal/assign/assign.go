// Package assign runs tenantdesk's licensing operations that write to Microsoft 365: reprocess
// users' license assignments (batched, throttle-aware, exactly one outcome per user) and refresh
// a group's license errors, each followed by a re-read of what changed, which is written into
// the current snapshot so every page shows the new truth at once. The web server and the
// command line (tenantdesk reprocess) call the same operations.
package assign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// Graph is what the operations need of Microsoft Graph. *graph.Client implements it.
type Graph interface {
	// ReprocessUsers returns exactly one outcome per id, in input order.
	ReprocessUsers(ctx context.Context, ids []string, progress func(done int)) []model.ReprocessOutcome
	User(ctx context.Context, id string) (model.User, error)
	Users(ctx context.Context, fn func([]model.User) error) error
	Group(ctx context.Context, id string) (model.Group, error)
	MembersWithLicenseErrors(ctx context.Context, id string) ([]model.DirectoryObject, error)
	GroupMembers(ctx context.Context, id string, fn func([]model.DirectoryObject) error) error
	SubscribedSKUs(ctx context.Context) ([]model.SKU, error)
}

// Store is what the operations read and patch in the current snapshot. *store.Store implements
// it.
type Store interface {
	licensing.ExplainerSource
	UsersInErrorForGroup(ctx context.Context, groupID string) ([]model.User, error)
	UsersByID(ctx context.Context, ids []string) ([]model.User, error)
	Overview(ctx context.Context) (model.Overview, error)
	UpdateUsers(ctx context.Context, users []model.User, groups []model.GroupUpdate) error
	UpdateSKUs(ctx context.Context, skus []model.SKU) error
}

// Guard runs a read of Graph within a page's limits. *live.Guard implements it.
type Guard interface {
	Do(ctx context.Context, read func(ctx context.Context) error) error
}

// Permissions says why the app may not do what needs any one of anyOf, "" when it may.
// *permissions.Checker implements it.
type Permissions interface {
	Missing(ctx context.Context, anyOf ...string) string
}

// Progress gets how many of total users Graph has answered so far; it may be nil.
type Progress func(done, total int)

// MaxUsers bounds the users of one reprocess: a tenant's worst group in error fits, and one
// request cannot queue a whole directory.
const MaxUsers = 5000

// Service runs the operations. It is safe for concurrent use.
type Service struct {
	// Live bounds what preparing a job reads from Graph while the person waits (the members in
	// error of a group), as a page's live reads are bounded (*live.Guard); nil means only a
	// DefaultLiveTimeout. Set it before use.
	Live Guard

	graph Graph
	store Store
	perms Permissions
	now   func() time.Time
	log   *slog.Logger
}

// New returns a Service; every dependency is required (now nil means time.Now, logger nil
// discards).
func New(g Graph, st Store, perms Permissions, now func() time.Time, logger *slog.Logger) (*Service, error) {
	switch {
	case g == nil:
		return nil, errors.New("assign: Microsoft Graph is required")
	case st == nil:
		return nil, errors.New("assign: the store is required")
	case perms == nil:
		return nil, errors.New("assign: the permission checker is required")
	}
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{graph: g, store: st, perms: perms, now: now, log: logger}, nil
}

// ReprocessBlocked says why reprocess cannot run, "" when it can: the app's missing Graph
// permission. Refreshing license errors only reads, so nothing blocks it.
func (s *Service) ReprocessBlocked(ctx context.Context) string {
	return s.perms.Missing(ctx, permissions.Reprocess()...)
}

// SelectGroupUsers checks which users a reprocess of groupID may touch: every member in error
// for all, else the requested ids without duplicates. Only members in license error of the group
// in the current snapshot are kept (a crafted request must not reprocess arbitrary users under
// this group's name); the others come back as ignored. An *model.InputError says why nobody is
// left.
func (s *Service) SelectGroupUsers(ctx context.Context, groupID string, all bool, requested []string) (ids, ignored []string, err error) {
	inError, err := s.store.UsersInErrorForGroup(ctx, groupID)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return nil, nil, fmt.Errorf("users in error of group %s: %w", groupID, err)
	}
	if all {
		for _, u := range inError {
			ids = append(ids, u.ID)
		}
		if len(ids) == 0 {
			return nil, nil, model.Invalid("No member of this group is in license error: there is nobody to reprocess.")
		}
		return ids, nil, nil
	}
	requested = uniqueIDs(requested)
	switch {
	case len(requested) == 0:
		return nil, nil, model.Invalid("Select at least one user to reprocess, or reprocess all users in error.")
	case len(requested) > MaxUsers:
		return nil, nil, model.Invalid("More than %d users selected; at most %d can be reprocessed at once.", MaxUsers, MaxUsers)
	}
	members := make(map[string]string, len(inError))
	for _, u := range inError {
		members[model.NormalizeID(u.ID)] = u.ID
	}
	for _, v := range requested {
		if id, ok := members[model.NormalizeID(v)]; ok {
			ids = append(ids, id)
		} else {
			ignored = append(ignored, v)
		}
	}
	if len(ids) == 0 {
		return nil, ignored, model.Invalid("None of the selected users is in license error from this group in the current data: nobody was reprocessed. Reload the group page to see who is.")
	}
	return ids, ignored, nil
}

// uniqueIDs drops repeated ids (in any case), keeping the first spelling and the order.
func uniqueIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	var out []string
	for _, id := range ids {
		if k := model.NormalizeID(id); k != "" && !seen[k] {
			seen[k] = true
			out = append(out, id)
		}
	}
	return out
}

// Selection is which users of a group to reprocess: every member in error, or these.
type Selection struct {
	All   bool
	Users []string
}

// ReprocessGroup reprocesses the selected users of groupID (see SelectGroupUsers; the ones it
// ignores are named in the result's problems), re-reads them, the group and the subscriptions,
// writes the new truth into the current snapshot and reports every user's outcome against this
// group's licenses: now licensed, still in error with the current reason, or refused by Graph
// with its message decoded. Every user gets exactly one outcome, in order. Without the Graph
// permission it is a *model.PermissionError, before anything else is looked at.
func (s *Service) ReprocessGroup(ctx context.Context, groupID string, sel Selection, progress Progress) (Result, error) {
	if why := s.ReprocessBlocked(ctx); why != "" {
		return Result{}, &model.PermissionError{Action: "Reprocess", Why: why}
	}
	ids, ignored, err := s.SelectGroupUsers(ctx, groupID, sel.All, sel.Users)
	if err != nil {
		return Result{}, err
	}
	res, err := s.reprocess(ctx, groupID, ids, progress)
	res.NoteIgnored(ignored)
	return res, err
}

// ReprocessUsers is ReprocessGroup for users of any group (the command line's --user): their
// outcome counts every license they have.
func (s *Service) ReprocessUsers(ctx context.Context, ids []string, progress Progress) (Result, error) {
	ids = uniqueIDs(ids)
	switch {
	case len(ids) == 0:
		return Result{}, model.Invalid("Name at least one user to reprocess.")
	case len(ids) > MaxUsers:
		return Result{}, model.Invalid("At most %d users can be reprocessed at once.", MaxUsers)
	}
	return s.reprocess(ctx, "", ids, progress)
}

func (s *Service) reprocess(ctx context.Context, groupID string, ids []string, progress Progress) (Result, error) {
	res, err := s.reprocessBatch(ctx, groupID, ids, progress)
	if err != nil {
		return res, err
	}
	problems, err := s.rereadGroup(ctx, groupID)
	res.Problems = append(res.Problems, problems...)
	return res, err
}

// reprocessBatch asks Graph to reprocess ids, re-reads the users it accepted, writes them into
// the snapshot and reports one outcome per id, in order. The group and the subscriptions are
// not re-read (rereadGroupAndSKUs does that once for a whole job).
func (s *Service) reprocessBatch(ctx context.Context, groupID string, ids []string, progress Progress) (Result, error) {
	if why := s.ReprocessBlocked(ctx); why != "" {
		return Result{}, &model.PermissionError{Action: "Reprocess", Why: why}
	}
	var report func(int)
	if progress != nil {
		report = func(done int) { progress(done, len(ids)) }
	}
	outcomes := s.graph.ReprocessUsers(ctx, ids, report)
	if len(outcomes) != len(ids) {
		// Graph promises one outcome per id; never report users we did not hear about as done.
		return Result{}, fmt.Errorf("reprocess: %d outcomes for %d users", len(outcomes), len(ids))
	}
	var accepted []string
	for i, o := range outcomes {
		if o.Err == nil {
			accepted = append(accepted, ids[i])
		}
	}
	res := Result{Kind: KindReprocess, GroupID: groupID, At: s.now()}
	fresh, err := s.rereadAndSave(ctx, accepted)
	if err != nil {
		return res, err
	}
	// The units as they are now explain the outcomes ("0 of 500 available" no longer true
	// once someone bought more).
	if res.Problems, err = s.rereadSKUs(ctx); err != nil {
		return res, err
	}
	s.outcomes(ctx, &res, ids, outcomes, fresh)
	return res, nil
}

// RefreshGroupErrors re-reads the members in error of a group, those Graph lists now and those
// the snapshot has (they may be fixed), and saves what it finds.
func (s *Service) RefreshGroupErrors(ctx context.Context, groupID string) (Result, error) {
	ids, problems, err := s.refreshErrorIDs(ctx, groupID, func(ctx context.Context, read func(context.Context) error) error {
		return read(ctx)
	})
	if err != nil {
		return Result{Kind: KindRefresh, GroupID: groupID, At: s.now()}, err
	}
	res, err := s.refreshBatch(ctx, groupID, ids)
	res.Problems = append(problems, res.Problems...)
	if err != nil {
		return res, err
	}
	more, err := s.rereadGroup(ctx, groupID)
	res.Problems = append(res.Problems, more...)
	return res, err
}

// refreshErrorIDs are the users a refresh of a group's errors re-reads: those Graph lists in
// error now, and those the snapshot has in error (they may be fixed). When Graph's list cannot
// be read, the snapshot's are re-read and a problem says so.
func (s *Service) refreshErrorIDs(ctx context.Context, groupID string, within func(context.Context, func(context.Context) error) error) ([]string, []string, error) {
	var ids, problems []string
	var live []model.DirectoryObject
	err := within(ctx, func(ctx context.Context) error {
		var err error
		live, err = s.graph.MembersWithLicenseErrors(ctx, groupID)
		return err
	})
	if err != nil {
		problems = append(problems, "Graph's list of members in error could not be read ("+
			model.DescribeGraphError(err)+"); re-read the users the snapshot has in error only.")
	}
	for _, o := range live {
		if o.Type == model.ObjectUser || o.Type == "" {
			ids = append(ids, o.ID)
		}
	}
	old, err := s.store.UsersInErrorForGroup(ctx, groupID)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return nil, problems, fmt.Errorf("users in error of group %s: %w", groupID, err)
	}
	for _, u := range old {
		ids = append(ids, u.ID)
	}
	return uniqueIDs(ids), problems, nil
}

// refreshBatch re-reads ids, writes them into the snapshot and reports one outcome each.
func (s *Service) refreshBatch(ctx context.Context, groupID string, ids []string) (Result, error) {
	res := Result{Kind: KindRefresh, GroupID: groupID, At: s.now()}
	fresh, err := s.rereadAndSave(ctx, ids)
	if err != nil {
		return res, err
	}
	if res.Problems, err = s.rereadSKUs(ctx); err != nil {
		return res, err
	}
	outcomes := make([]model.ReprocessOutcome, len(ids))
	for i, id := range ids {
		outcomes[i].UserID = id
	}
	s.outcomes(ctx, &res, ids, outcomes, fresh)
	return res, nil
}

// Reread re-reads users from Graph into the current snapshot, and the subscriptions' counts:
// after another writer (a license cleanup) changed them. failed are the users that could not be
// re-read, with why (a *model.GraphError of kind GraphNotFound for one gone from the
// directory); problems what else could not be; an error is a failure to save.
func (s *Service) Reread(ctx context.Context, ids []string) (failed map[string]error, problems []string, err error) {
	fresh, err := s.rereadAndSave(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	failed = map[string]error{}
	for _, id := range ids {
		if f, ok := fresh[model.NormalizeID(id)]; ok && f.err != nil {
			failed[id] = f.err
		}
	}
	problems, err = s.rereadSKUs(ctx)
	return failed, problems, err
}

// rereadAndSave re-reads users from Graph and writes them into the current snapshot. Users
// that cannot be re-read are reported in their outcomes, not as an error.
func (s *Service) rereadAndSave(ctx context.Context, ids []string) (map[string]reread, error) {
	fresh := s.reread(ctx, ids)
	var users []model.User
	for _, id := range ids {
		if f, ok := fresh[model.NormalizeID(id)]; ok && f.err == nil {
			users = append(users, f.user)
		}
	}
	if err := s.store.UpdateUsers(ctx, users, nil); err != nil {
		return nil, fmt.Errorf("save re-read users: %w", err)
	}
	return fresh, nil
}

// rereadGroup re-reads the group's processing state after a write (groupID "" skips it) and
// saves it. A failure to re-read is a problem, not an error: the users' outcomes stand.
func (s *Service) rereadGroup(ctx context.Context, groupID string) ([]string, error) {
	if groupID == "" {
		return nil, nil
	}
	var problems []string
	up := model.GroupUpdate{ID: groupID}
	if g, err := s.graph.Group(ctx, groupID); err == nil {
		up.ProcessingState = g.ProcessingState
	} else {
		problems = append(problems, "The group could not be re-read: "+model.DescribeGraphError(err))
	}
	if err := s.store.UpdateUsers(ctx, nil, []model.GroupUpdate{up}); err != nil {
		return problems, fmt.Errorf("save the group: %w", err)
	}
	return problems, nil
}

// rereadSKUs re-reads the subscriptions' counts and saves them; a failure to re-read is a
// problem, a failure to save an error.
func (s *Service) rereadSKUs(ctx context.Context) ([]string, error) {
	skus, err := s.graph.SubscribedSKUs(ctx)
	if err != nil {
		return []string{"License counts could not be re-read: " + model.DescribeGraphError(err)}, nil
	}
	if err := s.store.UpdateSKUs(ctx, skus); err != nil {
		return nil, fmt.Errorf("save subscriptions: %w", err)
	}
	return nil, nil
}

// outcomes turns Graph's answers and the re-read users into one outcome per id, in order.
func (s *Service) outcomes(ctx context.Context, res *Result, ids []string, answers []model.ReprocessOutcome, fresh map[string]reread) {
	var users []model.User
	for _, f := range fresh {
		if f.err == nil {
			users = append(users, f.user)
		}
	}
	ex, err := licensing.LoadExplainer(ctx, s.store, users, nil)
	if err != nil {
		res.Problems = append(res.Problems, "License names could not be read: "+err.Error())
	}
	// Names of users Graph refused come from the snapshot.
	known := map[string]model.User{}
	if old, err := s.store.UsersByID(ctx, ids); err == nil {
		for _, u := range old {
			known[model.NormalizeID(u.ID)] = u
		}
	}
	firstError := func(u model.User) (licensing.ExplainedLicense, bool) {
		if res.GroupID != "" {
			return ex.FirstGroupError(u, res.GroupID)
		}
		return ex.FirstError(u)
	}
	res.Total = len(ids)
	res.Outcomes = make([]Outcome, 0, len(ids))
	for i, id := range ids {
		k := model.NormalizeID(id)
		o := Outcome{UserID: id, Name: id}
		if u, ok := known[k]; ok {
			o.Name, o.Known = userName(u, id), true
		}
		f, read := fresh[k]
		switch {
		case answers[i].Err != nil:
			o.Status, o.Summary = StatusRefused, ex.DecodeError(answers[i].Err)
		case !read || f.err != nil:
			why := errors.New("not read")
			if read {
				why = f.err
			}
			o.Status = StatusInError
			o.Summary = "Reprocessed, but the user could not be re-read (" + ex.DecodeError(why) +
				"): the state is not known yet. Refresh license errors in a moment."
		default:
			o.Name, o.Known = userName(f.user, o.Name), true
			if lic, ok := firstError(f.user); ok {
				o.Status, o.Summary, o.Fix = StatusInError, lic.Summary, lic.Fix
			} else {
				o.Status, o.Summary = StatusLicensed, "Every license from this group is assigned."
				if res.GroupID == "" {
					o.Summary = "Every license is assigned."
				}
			}
		}
		res.count(o.Status)
		res.Outcomes = append(res.Outcomes, o)
	}
}

// userName is how a user is named in outcomes: display name, else UPN, else fallback.
func userName(u model.User, fallback string) string {
	return text.FirstNonEmpty(u.DisplayName, u.UserPrincipalName, fallback)
}
