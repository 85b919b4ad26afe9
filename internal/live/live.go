// Package live reads from Microsoft Graph, while a page is being shown, what the snapshot
// deliberately does not hold: a group's direct members (reading every member of every licensed
// group on each sync would cost members x groups) and recent directory audit events of a group's
// members or of one user. Members are kept in memory for a short while, so paging, searching and
// filtering a group's member list are served without asking Graph again; the tenant's licensing
// events, which every group page filters, are read once per change of the data (see AuditRead).
package live

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Graph is what live reads need of Microsoft Graph. *graph.Client implements it.
type Graph interface {
	GroupMembers(ctx context.Context, id string, fn func([]model.DirectoryObject) error) error
	DirectoryAudits(ctx context.Context, q model.AuditQuery) ([]model.AuditEvent, error)
}

// Bounds of live reads (how long a page waits is the Guard's: TENANTDESK_GRAPH_LIVE_TIMEOUT).
const (
	// AuditWindow is how far back audit events are read.
	AuditWindow = 30 * 24 * time.Hour
	// AuditMax is how many audit events one page view reads at most.
	AuditMax = 500
)

// LicenseActivity is the audit activity of group-based licensing's per-user changes.
const LicenseActivity = "Change user license"

// ssprService is loggedByService of self-service password reset events.
const ssprService = "Self-service Password Management"

// Reader does the live reads. It is safe for concurrent use.
type Reader struct {
	graph   Graph
	now     func() time.Time
	members *memberCache
	guard   *Guard

	auditMu    sync.Mutex
	audit      map[string]*auditEntry // reads of audit events for group pages, by what they read
	auditOrder []string               // their keys, oldest first
}

// New returns a Reader over g with the default limits (see SetLimits); now nil means time.Now.
func New(g Graph, now func() time.Time) (*Reader, error) {
	if g == nil {
		return nil, errors.New("live: Microsoft Graph is required")
	}
	if now == nil {
		now = time.Now
	}
	return &Reader{graph: g, now: now, members: newMemberCache(), guard: NewGuard(0, 0, now)}, nil
}

// SetLimits sets how long a page waits for each read and how long pages stop asking after
// Graph did not answer (0: the defaults). Call it before the Reader is used.
func (r *Reader) SetLimits(timeout, pause time.Duration) { r.guard = NewGuard(timeout, pause, r.now) }

// Guard is the reader's guard, for other reads a page makes of Graph (the password-reset
// check's), so that they share what it knows of Graph answering.
func (r *Reader) Guard() *Guard { return r.guard }

// Group is what Graph says now about one group's members.
type Group struct {
	Members    []model.DirectoryObject // direct members sorted by name
	MembersAt  time.Time               // when they were read
	MembersErr error
	index      *memberIndex // of Members, when they were read
	// Events are recent "Change user license" events about the group's members, newest first.
	Events     []model.AuditEvent
	AuditSince time.Time
	AuditAt    time.Time // when the events were read from Graph
	AuditErr   error
	// GroupEvents are the events about the group itself ("Set group license", processing),
	// newest first, for its license timeline.
	GroupEvents   []model.AuditEvent
	GroupAuditErr error
}

// Filter is the members of type typ ("" for any) whose name or UPN contains search (case
// folded) or whose object id is search; without either it is Members itself.
func (g Group) Filter(search, typ string) []model.DirectoryObject {
	if search == "" && typ == "" {
		return g.Members
	}
	needle := strings.ToLower(search)
	var out []model.DirectoryObject
	for i, m := range g.Members {
		if typ != "" && m.Type != typ {
			continue
		}
		if needle != "" {
			folded := ""
			if g.index != nil {
				folded = g.index.folded[i]
			} else {
				folded = strings.ToLower(m.DisplayName) + "\n" + strings.ToLower(m.UserPrincipalName)
			}
			if !strings.Contains(folded, needle) && !strings.EqualFold(m.ID, search) {
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

// AuditRead says which audit events a group page may be shown. The licensing events of the
// whole tenant are read once and kept (Graph cannot filter them by group, and a big tenant's
// are a megabyte) while Generation stays the same — the caller passes what changes when the
// data does, such as the snapshot's version — for at most AuditMaxAge; Fresh reads them again
// (asked for, or just after tenantdesk changed licenses, whose events come minutes late).
type AuditRead struct {
	Generation string
	Fresh      bool
	MaxAge     time.Duration // 0: AuditMaxAge
}

// AuditMaxAge is how long licensing audit events read for group pages are shown without being
// read again, however long the data stays the same.
const AuditMaxAge = 10 * time.Minute

// Group reads the group's members and the recent licensing audit events at the same time (or
// takes them from what was read moments ago), and keeps the events about its members (Graph
// cannot filter events by group membership) or about the users in inError. Failures are
// returned per part; neither waits longer than the guard's timeout, and while Graph is not
// answering neither waits at all.
func (r *Reader) Group(ctx context.Context, groupID string, inError []model.User, audit AuditRead) Group {
	g := Group{}
	var events []model.AuditEvent
	var wg sync.WaitGroup
	wg.Go(func() {
		events, g.AuditSince, g.AuditAt, g.AuditErr = r.events(ctx, "licensing", model.AuditQuery{Activity: LicenseActivity, Max: AuditMax}, audit)
	})
	wg.Go(func() {
		// The group's own events ("Set group license", ...) for its license timeline.
		g.GroupEvents, _, _, g.GroupAuditErr = r.events(ctx, "group:"+groupID, model.AuditQuery{TargetID: groupID, Max: AuditMax}, audit)
	})
	if e, ok := r.members.fresh(groupID, r.now); ok {
		g.Members, g.MembersAt, g.index = e.members, e.at, e.index // read moments ago: no need to ask Graph
	} else {
		g.MembersErr = r.guard.Do(ctx, func(ctx context.Context) error {
			e, err := r.members.get(ctx, r.graph, groupID, r.now)
			if e != nil {
				g.Members, g.MembersAt, g.index = e.members, e.at, e.index
			}
			return err
		})
	}
	wg.Wait()
	if g.AuditErr != nil {
		return g
	}
	inErr := make(map[string]struct{}, len(inError))
	for _, u := range inError {
		inErr[model.NormalizeID(u.ID)] = struct{}{}
	}
	for _, e := range events {
		for _, t := range e.Targets {
			if g.has(t.ID) {
				g.Events = append(g.Events, e)
				break
			}
			if _, ok := inErr[model.NormalizeID(t.ID)]; ok {
				g.Events = append(g.Events, e)
				break
			}
		}
	}
	return g
}

// has reports whether id is one of the group's members as read.
func (g Group) has(id string) bool {
	if g.MembersErr != nil || g.index == nil {
		return false
	}
	_, ok := g.index.ids[model.NormalizeID(id)]
	return ok
}

// events are the audit events q selects from AuditWindow ago, kept under key: those read for
// the same generation within the read's maximum age unless a fresh read is asked for;
// concurrent views share one read. A failed read is not kept.
func (r *Reader) events(ctx context.Context, key string, q model.AuditQuery, audit AuditRead) ([]model.AuditEvent, time.Time, time.Time, error) {
	r.auditMu.Lock()
	e := r.audit[key]
	if e != nil {
		select {
		case <-e.done:
			maxAge := cmp.Or(audit.MaxAge, AuditMaxAge)
			if e.err != nil || audit.Fresh || e.generation != audit.Generation || r.now().Sub(e.at) > maxAge {
				e = nil
			}
		default: // being read: share it
		}
	}
	if e == nil {
		e = &auditEntry{done: make(chan struct{}), generation: audit.Generation, since: r.now().Add(-AuditWindow)}
		r.keepEvents(key, e)
		q.Since = e.since
		go func() {
			// The read outlives the request that started it (others may wait for it); the guard
			// bounds it.
			e.err = r.guard.Do(context.WithoutCancel(ctx), func(ctx context.Context) error {
				var err error
				e.events, err = r.graph.DirectoryAudits(ctx, q)
				return err
			})
			e.at = r.now()
			close(e.done)
		}()
	}
	r.auditMu.Unlock()
	select {
	case <-e.done:
		return e.events, e.since, e.at, e.err
	case <-ctx.Done():
		return nil, e.since, time.Time{}, ctx.Err()
	}
}

// maxKeptReads bounds how many reads of audit events are kept (one per group viewed, and the
// tenant's licensing events).
const maxKeptReads = 64

// keepEvents keeps e under key, dropping the oldest other read past maxKeptReads; the caller
// holds auditMu.
func (r *Reader) keepEvents(key string, e *auditEntry) {
	if r.audit == nil {
		r.audit = map[string]*auditEntry{}
	}
	r.audit[key] = e
	r.auditOrder = append(slices.DeleteFunc(r.auditOrder, func(k string) bool { return k == key }), key)
	for len(r.auditOrder) > maxKeptReads {
		delete(r.audit, r.auditOrder[0])
		r.auditOrder = r.auditOrder[1:]
	}
}

// auditEntry is one read of the tenant's licensing audit events.
type auditEntry struct {
	done       chan struct{}
	generation string
	since, at  time.Time
	events     []model.AuditEvent
	err        error
}

// User is what the audit log says now about one user.
type User struct {
	Licensing     []model.AuditEvent // licensing events, newest first
	PasswordReset []model.AuditEvent // self-service password reset events
	All           []model.AuditEvent // every event read, for explanations
	Since         time.Time
	Err           error
}

// User reads the user's recent audit events (targetResources/any filter) and splits them into
// licensing and password reset events.
func (r *Reader) User(ctx context.Context, userID string) User {
	u := User{Since: r.now().Add(-AuditWindow)}
	u.Err = r.guard.Do(ctx, func(ctx context.Context) error {
		var err error
		u.All, err = r.graph.DirectoryAudits(ctx, model.AuditQuery{TargetID: userID, Since: u.Since, Max: AuditMax})
		return err
	})
	for _, e := range u.All {
		if IsLicensingEvent(e) {
			u.Licensing = append(u.Licensing, e)
		}
		if IsPasswordResetEvent(e) {
			u.PasswordReset = append(u.PasswordReset, e)
		}
	}
	return u
}

// IsLicensingEvent reports whether e is about licenses ("Change user license", "Set group
// license", ...).
func IsLicensingEvent(e model.AuditEvent) bool {
	return strings.Contains(strings.ToLower(e.Activity), "license")
}

// IsPasswordResetEvent reports whether e is a self-service password reset event.
func IsPasswordResetEvent(e model.AuditEvent) bool {
	return strings.EqualFold(e.LoggedByService, ssprService) ||
		strings.Contains(strings.ToLower(e.Activity), "password reset")
}
