package server

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// The group page's facts — its members in error and with a disabled license, explained, and
// their causes — are worked out once per version of the data and of the audit events read,
// then served to every view: for a group of 33,000 members with 1,000 in error, reading and
// explaining them took most of a view's 50 ms. Entries are values nobody changes once built
// (the explainer is read-only once loaded), so views share them.

// maxGroupFacts bounds how many groups' facts are kept.
const maxGroupFacts = 32

type groupFacts struct {
	version  string // the data's (Store.DataVersion)
	inError  []model.User
	disabled []model.User

	// explained: for the audit events read at auditAt
	explained bool
	auditAt   time.Time
	ex        *licensing.Explainer
	causes    []licensing.Cause
}

type groupFactsCache struct {
	mu      sync.Mutex
	entries map[string]*groupFacts
	order   []string // group ids, least recently built first
}

func newGroupFactsCache() *groupFactsCache {
	return &groupFactsCache{entries: map[string]*groupFacts{}}
}

func (c *groupFactsCache) get(groupID, version string) (*groupFacts, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.entries[groupID]
	if !ok || f.version != version {
		return nil, false
	}
	return f, true
}

func (c *groupFactsCache) put(groupID string, f *groupFacts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[groupID]; ok {
		c.order = slices.DeleteFunc(c.order, func(id string) bool { return id == groupID })
	}
	c.entries[groupID] = f
	c.order = append(c.order, groupID)
	for len(c.order) > maxGroupFacts {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
}

// groupMembersInError are the group's members in error and those with a disabled license from
// it, as the data of version has them.
func (s *Server) groupMembersInError(ctx context.Context, groupID, version string) (*groupFacts, error) {
	if f, ok := s.groupFacts.get(groupID, version); ok {
		return f, nil
	}
	inError, err := s.store.UsersInErrorForGroup(ctx, groupID)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	disabled, err := s.store.UsersDisabledForGroup(ctx, groupID)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	f := &groupFacts{version: version, inError: inError, disabled: disabled}
	if version != "" {
		s.groupFacts.put(groupID, f)
	}
	return f, nil
}

// explainGroup is f with its users explained and their causes, against the audit events read
// at auditAt; a new value when f was explained against other events, f itself is never changed.
func (s *Server) explainGroup(ctx context.Context, g model.GroupDetail, f *groupFacts, events []model.AuditEvent, auditAt time.Time) *groupFacts {
	if f.explained && f.auditAt.Equal(auditAt) {
		return f
	}
	complete := true // what failed to be read is not kept, so the next view tries again
	ex, err := licensing.LoadExplainer(ctx, s.store, append(slices.Clone(f.inError), f.disabled...), events)
	if err != nil {
		complete = false
		s.logFailure(ctx, "group page: names", err, "group", g.ID)
	}
	ex.AddGroup(g.ID, g.DisplayName, g.Template)
	if err := ex.CountDisabledHolders(ctx, s.store); err != nil {
		complete = false
		s.logFailure(ctx, "group page: disabled holders", err, "group", g.ID)
	}
	out := &groupFacts{version: f.version, inError: f.inError, disabled: f.disabled,
		explained: true, auditAt: auditAt, ex: ex, causes: ex.Causes(f.inError, g.ID)}
	if complete && f.version != "" {
		s.groupFacts.put(g.ID, out)
	}
	return out
}
