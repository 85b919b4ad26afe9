// Package live reads from Microsoft Graph, while a page is being shown, what the snapshot
// deliberately does not hold: a group's direct members (reading every member of every licensed
// group on each sync would cost members x groups) and recent directory audit events of a group's
// members or of one user. Members are kept in memory for a short while, so paging, searching and
// filtering a group's member list are served without asking Graph again.
package live

import (
	"context"
	"errors"
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
	// Events are recent "Change user license" events about the group's members, newest first.
	Events     []model.AuditEvent
	AuditSince time.Time
	AuditErr   error
}

// Group reads the group's members and the recent licensing audit events at the same time, and
// keeps the events about its members (Graph cannot filter events by group membership) or about
// the users in inError. Failures are returned per part; neither waits longer than the guard's
// timeout, and while Graph is not answering neither waits at all.
func (r *Reader) Group(ctx context.Context, groupID string, inError []model.User) Group {
	g := Group{AuditSince: r.now().Add(-AuditWindow)}
	var events []model.AuditEvent
	var wg sync.WaitGroup
	wg.Go(func() {
		g.AuditErr = r.guard.Do(ctx, func(ctx context.Context) error {
			var err error
			events, err = r.graph.DirectoryAudits(ctx, model.AuditQuery{Activity: LicenseActivity, Since: g.AuditSince, Max: AuditMax})
			return err
		})
	})
	if members, at, ok := r.members.fresh(groupID, r.now); ok {
		g.Members, g.MembersAt = members, at // read moments ago: no need to ask Graph
	} else {
		g.MembersErr = r.guard.Do(ctx, func(ctx context.Context) error {
			var err error
			g.Members, g.MembersAt, err = r.members.get(ctx, r.graph, groupID, r.now)
			return err
		})
	}
	wg.Wait()
	if g.AuditErr != nil {
		return g
	}
	mine := map[string]bool{}
	for _, u := range inError {
		mine[model.NormalizeID(u.ID)] = true
	}
	if g.MembersErr == nil {
		for _, o := range g.Members {
			mine[model.NormalizeID(o.ID)] = true
		}
	}
	for _, e := range events {
		for _, t := range e.Targets {
			if mine[model.NormalizeID(t.ID)] {
				g.Events = append(g.Events, e)
				break
			}
		}
	}
	return g
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
