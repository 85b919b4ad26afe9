package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// Group members are not in the snapshot: reading every member of every licensed group on each
// sync would cost what the snapshot's design avoids (members x groups). The group page reads
// one group's members live from Graph instead (999 per request) and keeps the list for a
// short while, so paging, searching and filtering by type are served from memory.

const (
	memberTTL        = 2 * time.Minute
	maxCachedGroups  = 64
	maxMembersPerRun = 500_000 // a bound on memory for one group; Graph groups rarely exceed it
	memberPageSize   = 50
	maxMemberSearch  = 200 // bytes of the member search kept
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
	err     error
}

func newMemberCache() *memberCache { return &memberCache{entries: map[string]*memberEntry{}} }

// get returns the group's direct members sorted by name, read at most memberTTL ago; readers
// of the same group share one read.
func (c *memberCache) get(ctx context.Context, dir Directory, groupID string, now func() time.Time) ([]model.DirectoryObject, time.Time, error) {
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
		go c.load(context.WithoutCancel(ctx), dir, groupID, e, now)
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.members, e.at, e.err
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	}
}

func (c *memberCache) load(ctx context.Context, dir Directory, groupID string, e *memberEntry, now func() time.Time) {
	ctx, cancel := context.WithTimeout(ctx, memberReadLimit)
	defer cancel()
	var all []model.DirectoryObject
	errTooMany := errors.New("too many members")
	err := dir.GroupMembers(ctx, groupID, func(page []model.DirectoryObject) error {
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
	e.members, e.at, e.err = all, now(), err
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

// memberTypes are the member type filter's choices.
var memberTypes = []struct{ value, label string }{
	{"", "All types"},
	{model.ObjectUser, "Users"},
	{model.ObjectGroup, "Groups"},
	{model.ObjectDevice, "Devices"},
	{model.ObjectContact, "Contacts"},
}

func memberTypeLabel(t string) string {
	switch t {
	case model.ObjectUser:
		return "User"
	case model.ObjectGroup:
		return "Group"
	case model.ObjectDevice:
		return "Device"
	case model.ObjectContact:
		return "Contact"
	case "":
		return "Directory object"
	}
	return t
}

// memberQuery is the member list's state in the group page's URL.
type memberQuery struct {
	Search string
	Type   string
	Page   int
}

// parseMemberQuery reads the member list's state leniently: it only narrows a list, so what
// cannot be meant (an unknown type, a bad page) falls back to the default.
func parseMemberQuery(v url.Values) memberQuery {
	q := memberQuery{Search: strings.TrimSpace(truncate(cleanSearch(v.Get("mq")), maxMemberSearch)), Page: 1}
	for _, t := range memberTypes {
		if v.Get("mtype") == t.value {
			q.Type = t.value
		}
	}
	if n, err := strconv.Atoi(v.Get("mpage")); err == nil && n > 0 {
		q.Page = min(n, maxPage) // the view clamps to the last page; this keeps arithmetic small
	}
	return q
}

// membersView filters and pages members for the group page.
func membersView(groupID string, all []model.DirectoryObject, at time.Time, q memberQuery, keep url.Values) web.MembersView {
	v := web.MembersView{Loaded: true, ReadAt: at, Search: q.Search, Type: q.Type, All: len(all),
		FormAction: groupURL(groupID)}
	for _, t := range memberTypes {
		v.Types = append(v.Types, web.Option{Value: t.value, Label: t.label, Selected: t.value == q.Type})
	}
	for _, k := range []string{"epage"} {
		if x := keep.Get(k); x != "" {
			v.Hidden = append(v.Hidden, web.Param{Name: k, Value: x})
		}
	}
	needle := strings.ToLower(q.Search)
	var match []model.DirectoryObject
	for _, m := range all {
		if q.Type != "" && m.Type != q.Type {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(m.DisplayName), needle) &&
			!strings.Contains(strings.ToLower(m.UserPrincipalName), needle) && !strings.EqualFold(m.ID, q.Search) {
			continue
		}
		match = append(match, m)
	}
	v.Total = len(match)
	pages := max(1, (len(match)+memberPageSize-1)/memberPageSize)
	cur := min(max(q.Page, 1), pages)
	at2 := func(n int) string {
		u := url.Values{}
		if x := keep.Get("epage"); x != "" {
			u.Set("epage", x)
		}
		if q.Search != "" {
			u.Set("mq", q.Search)
		}
		if q.Type != "" {
			u.Set("mtype", q.Type)
		}
		if n > 1 {
			u.Set("mpage", strconv.Itoa(n))
		}
		return withQuery(groupURL(groupID), u) + "#members"
	}
	v.Pager = pagerAt(cur, pages, len(match), memberPageSize, at2)
	for _, m := range match[min((cur-1)*memberPageSize, len(match)):min(cur*memberPageSize, len(match))] {
		row := web.MemberRow{ID: m.ID, Name: displayName(m.DisplayName), UPN: m.UserPrincipalName, TypeLabel: memberTypeLabel(m.Type)}
		if m.Type == model.ObjectUser {
			row.Href = userURL(m.ID)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// withQuery is path with query v.
func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// pagerAt builds a pager for page cur of pages, with at giving each page's URL.
func pagerAt(cur, pages, total, size int, at func(int) string) web.Pager {
	p := web.Pager{Page: cur, Pages: pages, Total: total}
	if total > 0 {
		p.First = (cur-1)*size + 1
		p.Last = min(cur*size, total)
	}
	if cur > 1 {
		p.PrevHref = at(cur - 1)
	}
	if cur < pages {
		p.NextHref = at(cur + 1)
	}
	const around = 2
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < cur-around || n > cur+around) {
			continue
		}
		if last != 0 && n > last+1 {
			p.Links = append(p.Links, web.PageLink{Gap: true})
		}
		p.Links = append(p.Links, web.PageLink{Page: n, Href: at(n), Current: n == cur})
		last = n
	}
	return p
}
