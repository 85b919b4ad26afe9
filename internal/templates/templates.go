// Package templates manages groups' license templates: the editor's data, the preview of a
// change with its consequences member by member (licensing.Predict over the snapshot), applying
// it in one assignLicense call after checking that nobody changed the template meanwhile, the
// processing that follows, copying a template from a user or another group, the same change to
// many groups at once, and splitting a group into one dynamic group per license. The web pages
// and `tenantdesk group licenses` call the same operations; every write is recorded in the
// activity log here, with its request body.
//
// Long operations (apply and wait, bulk, split) report progress through a callback and are safe
// to run again after a failure: they re-read what Graph has and do only what is still missing.
// The same operations are background job kinds of internal/jobs (jobs.go), which is how the web
// and `tenantdesk group licenses --apply` run them: resumed after a restart for that reason.
package templates

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
	"github.com/tenantdesk/tenantdesk/internal/text"
)

// Graph is what template management needs of Microsoft Graph. *graph.Client implements it.
type Graph interface {
	Group(ctx context.Context, id string) (model.Group, error)
	GroupMembers(ctx context.Context, id string, fn func([]model.DirectoryObject) error) error
	AssignGroupLicenses(ctx context.Context, id string, add []model.AssignedLicense, remove []string) (model.Group, error)
	CreateDynamicGroup(ctx context.Context, g model.NewGroup) (model.Group, error)
	GroupsNamed(ctx context.Context, name string) ([]model.Group, error)
	User(ctx context.Context, idOrUPN string) (model.User, error)
	MemberCounts(ctx context.Context, ids []string, countUsers func(id string) bool, progress func(done int)) (map[string]model.MemberCounts, error)
	MembersWithLicenseErrors(ctx context.Context, id string) ([]model.DirectoryObject, error)
}

// Store is what it reads of the current snapshot and writes back into it. *store.Store
// implements it.
type Store interface {
	licensing.ExplainerSource
	LicensedGroups(ctx context.Context) ([]model.Group, error)
	UsersByID(ctx context.Context, ids []string) ([]model.User, error)
	User(ctx context.Context, idOrUPN string) (model.User, error)
	SaveGroupTemplate(ctx context.Context, g model.Group, counts *model.MemberCounts) error
}

// Members re-reads a group's members after its processing and says how each came out.
// *assign.Service implements it.
type Members interface {
	RefreshGroupMembers(ctx context.Context, groupID string) (assign.Result, error)
}

// ActivityLog records the writes. *store.Store implements it.
type ActivityLog interface {
	AddActivity(ctx context.Context, a model.Activity) error
}

// Permissions says why the app may not do what needs any one of anyOf, "" when it may.
type Permissions interface {
	Missing(ctx context.Context, anyOf ...string) string
}

// Actor is who makes a write, for the activity log: a signed-in person or the command line.
type Actor struct {
	UPN, Name     string
	RemoteIP      string
	CorrelationID string
}

// Bounds of the operations.
const (
	// MaxFreshUsers is how many members missing from the snapshot a preview reads from Graph
	// one by one; beyond that it asks for a refresh.
	MaxFreshUsers = 200
	// MaxBulkGroups bounds one bulk change (Microsoft's admin center takes 20 at a time).
	MaxBulkGroups = 1000
	// workers bounds concurrent reads of one operation; the Graph client shares a throttle gate.
	workers = 4
)

// Service runs template management. It is safe for concurrent use.
type Service struct {
	graph    Graph
	store    Store
	members  Members
	activity ActivityLog
	perms    Permissions
	now      func() time.Time
	log      *slog.Logger
	// Poll is how often WaitProcessed asks Graph for a group's processing state.
	Poll time.Duration

	// settled are the groups whose members were re-read into the snapshot since they were
	// last changed here and processed (see settleOnce).
	settledMu sync.Mutex
	settled   map[string]bool
}

// New returns a Service; every dependency is required (now nil means time.Now, logger nil
// discards).
func New(g Graph, st Store, members Members, activity ActivityLog, perms Permissions, now func() time.Time, logger *slog.Logger) (*Service, error) {
	var missing []string
	for _, d := range []struct {
		name string
		ok   bool
	}{{"Graph", g != nil}, {"store", st != nil}, {"members", members != nil}, {"activity log", activity != nil}, {"permissions", perms != nil}} {
		if !d.ok {
			missing = append(missing, d.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("templates: %s required", strings.Join(missing, ", "))
	}
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{graph: g, store: st, members: members, activity: activity, perms: perms, now: now, log: logger, Poll: 2 * time.Second}, nil
}

// ApplyBlocked says why template changes cannot be written, "" when they can: the app's missing
// Graph permission.
func (s *Service) ApplyBlocked(ctx context.Context) string {
	return s.perms.Missing(ctx, permissions.ChangeTemplates()...)
}

// tenant is what every operation reads first: names, the subscriptions, the licensed groups.
type tenant struct {
	names  *licensing.Names
	skus   []model.SKU
	groups []model.Group
}

func (s *Service) tenant(ctx context.Context) (tenant, error) {
	var t tenant
	usage, err := s.store.SKUs(ctx)
	if err != nil {
		return t, fmt.Errorf("subscriptions: %w", err)
	}
	for _, u := range usage {
		t.skus = append(t.skus, u.SKU)
	}
	products, err := s.store.ProductCatalog(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "license names", "err", err) // names fall back to part numbers
	}
	t.names = licensing.NewNames(products, t.skus)
	if t.groups, err = s.store.LicensedGroups(ctx); err != nil {
		return t, fmt.Errorf("licensed groups: %w", err)
	}
	return t, nil
}

// sku is the tenant's subscribed SKU id, if any.
func (t tenant) sku(id string) (model.SKU, bool) {
	i := slices.IndexFunc(t.skus, func(s model.SKU) bool { return model.SameID(s.ID, id) })
	if i < 0 {
		return model.SKU{}, false
	}
	return t.skus[i], true
}

// userSKUs are the subscriptions a group can assign: those that apply to users.
func (t tenant) userSKUs() []model.SKU {
	var out []model.SKU
	for _, s := range t.skus {
		if s.AppliesTo == "" || strings.EqualFold(s.AppliesTo, "User") {
			out = append(out, s)
		}
	}
	return out
}

// check validates a proposed template: every license one of the tenant's subscriptions for
// users, every disabled plan one of its plans. The result is canonical.
func (t tenant) check(tpl []model.AssignedLicense) ([]model.AssignedLicense, error) {
	tpl = licensing.CanonicalTemplate(tpl)
	var problems []string
	for _, l := range tpl {
		sku, ok := t.sku(l.SKUID)
		if !ok {
			problems = append(problems, "The tenant has no subscription "+l.SKUID+".")
			continue
		}
		if sku.AppliesTo != "" && !strings.EqualFold(sku.AppliesTo, "User") {
			problems = append(problems, t.names.SKU(l.SKUID)+" applies to the company, not to users: a group cannot assign it.")
		}
		for _, p := range l.DisabledPlans {
			if !slices.ContainsFunc(sku.ServicePlans, func(sp model.ServicePlan) bool { return model.SameID(sp.ID, p) }) {
				problems = append(problems, fmt.Sprintf("%s has no service plan %s.", t.names.SKU(l.SKUID), p))
			}
		}
	}
	if len(problems) > 0 {
		return nil, &model.InputError{Message: "The template cannot be used:", Problems: problems}
	}
	return tpl, nil
}

// groupTemplates are the licensed groups as the consequence engine needs them.
func (t tenant) groupTemplates() []licensing.GroupTemplate {
	out := make([]licensing.GroupTemplate, 0, len(t.groups))
	for _, g := range t.groups {
		out = append(out, licensing.GroupTemplate{ID: g.ID, Name: g.DisplayName, Template: g.AssignedLicenses, Created: g.CreatedAt})
	}
	return out
}

// groupName names a group id from the snapshot, else the id.
func (t tenant) groupName(id string) string {
	for _, g := range t.groups {
		if model.SameID(g.ID, id) {
			return text.FirstNonEmpty(g.DisplayName, id)
		}
	}
	return id
}

// freshGroup reads the group from Graph: its template and processing state now.
func (s *Service) freshGroup(ctx context.Context, id string) (model.Group, error) {
	if !model.ValidObjectID(id) {
		return model.Group{}, model.GroupNotFound(text.Clip(id, model.MaxIDLen))
	}
	g, err := s.graph.Group(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		return g, &model.NotFoundError{What: "group", ID: id, Detail: "Microsoft 365 has no group with object id " + id + ": it may have been deleted."}
	}
	return g, err
}

// record writes an activity entry; a failure to record is logged, never returned: the write
// itself has happened.
func (s *Service) record(ctx context.Context, by Actor, a model.Activity) {
	a.ActorUPN, a.ActorName, a.RemoteIP, a.CorrelationID = by.UPN, by.Name, by.RemoteIP, by.CorrelationID
	if a.At.IsZero() {
		a.At = s.now()
	}
	if err := s.activity.AddActivity(ctx, a); err != nil {
		s.log.ErrorContext(ctx, "activity log", "action", a.Action, "err", err)
	}
}

// resultOf is the activity result of a write that ended with err.
func resultOf(err error) string {
	switch {
	case err == nil:
		return model.ActivityOK
	case errors.Is(err, model.ErrForbidden), errors.Is(err, model.ErrInvalid), errors.Is(err, model.ErrConflict):
		return model.ActivityRefused
	}
	return model.ActivityFailed
}
