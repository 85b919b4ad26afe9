package live

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

const (
	memberTTL        = 2 * time.Minute
	maxCachedGroups  = 64
	maxMembersPerRun = 500_000 // a bound on memory for one group; Graph groups rarely exceed it
	memberReadLimit  = 2 * time.Minute
)

type memberCache struct {
	mu      sync.Mutex
	entries map[string]*memberEntry
}

type memberEntry struct {
	done    chan struct{}
	at      time.Time
	members []model.DirectoryObject
	index   *memberIndex
	err     error
}

// memberIndex is what filtering and searching a group's members need, built once per read of
// them rather than on every page view: the members' normalised ids, and their names and UPNs
// lower-cased.
type memberIndex struct {
	ids    map[string]struct{}
	folded []string // members[i]'s "name\nupn", lower case
}

func newMemberIndex(members []model.DirectoryObject) *memberIndex {
	ix := &memberIndex{ids: make(map[string]struct{}, len(members)), folded: make([]string, len(members))}
	for i, m := range members {
		ix.ids[model.NormalizeID(m.ID)] = struct{}{}
		ix.folded[i] = strings.ToLower(m.DisplayName) + "\n" + strings.ToLower(m.UserPrincipalName)
	}
	return ix
}

func newMemberCache() *memberCache { return &memberCache{entries: map[string]*memberEntry{}} }

// fresh returns the group's members when a read of them finished without error within
// memberTTL.
func (c *memberCache) fresh(groupID string, now func() time.Time) (*memberEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[groupID]
	if !ok {
		return nil, false
	}
	select {
	case <-e.done:
		if e.err == nil && now().Sub(e.at) <= memberTTL {
			return e, true
		}
	default:
	}
	return nil, false
}

// get returns the group's direct members sorted by name, read at most memberTTL ago; readers
// of the same group share one read.
func (c *memberCache) get(ctx context.Context, g Graph, groupID string, now func() time.Time) (*memberEntry, error) {
	c.mu.Lock()
	e, ok := c.entries[groupID]
	if ok {
		select {
		case <-e.done:
			if e.err != nil || now().Sub(e.at) > memberTTL {
				ok = false
			}
		default: // being read: wait for it below
		}
	}
	if !ok {
		e = &memberEntry{done: make(chan struct{})}
		c.entries[groupID] = e
		c.evictLocked(now())
		// The read outlives one request: others may wait for it.
		go c.load(context.WithoutCancel(ctx), g, groupID, e, now)
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *memberCache) load(ctx context.Context, g Graph, groupID string, e *memberEntry, now func() time.Time) {
	ctx, cancel := context.WithTimeout(ctx, memberReadLimit)
	defer cancel()
	var all []model.DirectoryObject
	errTooMany := errors.New("too many members")
	err := g.GroupMembers(ctx, groupID, func(page []model.DirectoryObject) error {
		all = append(all, page...)
		if len(all) > maxMembersPerRun {
			return errTooMany
		}
		return nil
	})
	if errors.Is(err, errTooMany) {
		err = fmt.Errorf("the group has more than %d direct members, too many to list here", maxMembersPerRun)
	}
	slices.SortFunc(all, func(a, b model.DirectoryObject) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)), strings.Compare(a.ID, b.ID))
	})
	e.members, e.index, e.at, e.err = all, newMemberIndex(all), now(), err
	close(e.done)
}

// evictLocked drops expired entries and, past the bound, the oldest finished ones.
func (c *memberCache) evictLocked(now time.Time) {
	if len(c.entries) <= maxCachedGroups {
		return
	}
	var oldest string
	var at time.Time
	for id, e := range c.entries {
		select {
		case <-e.done:
		default:
			continue
		}
		if now.Sub(e.at) > memberTTL {
			delete(c.entries, id)
			continue
		}
		if oldest == "" || e.at.Before(at) {
			oldest, at = id, e.at
		}
	}
	if len(c.entries) > maxCachedGroups && oldest != "" {
		delete(c.entries, oldest)
	}
}
