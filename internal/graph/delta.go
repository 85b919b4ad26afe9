package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// Delta queries and the targeted reads of an incremental refresh, all through the raw-JSON path
// (raw.go): users and their license states decode straight into our types.
//
// Graph documents that /users/delta does NOT track licenseAssignmentStates: a user appears when
// a selected property such as assignedLicenses changes, and then comes with every selected
// property as it is now, license states included; a user whose states changed alone does not
// appear. The incremental refresh (internal/snapshot) reads those states another way, with
// GroupUserMembers and UsersByID.

// maxIDsPerFilter is how many ids one "id in (...)" filter holds: Graph limits the in operator
// to 15 expressions outside advanced queries.
const maxIDsPerFilter = 15

// UsersDelta reads one round of the users delta: from link, the @odata.deltaLink of an earlier
// round, or with link "" from the start, which lists every user (with Prefer:
// odata.maxpagesize, a full read in as many pages as GET /users). fn gets each page's users
// with the properties userSelect names, and the ids Graph reports removed (deleted, or out of
// scope). It returns the round's @odata.deltaLink. A token Graph no longer accepts (410 Gone)
// is model.ErrDeltaExpired.
func (c *Client) UsersDelta(ctx context.Context, link string, fn func(users []model.User, removed []string) error) (string, error) {
	const op = "read users delta"
	first := c.collectionURL("/users/delta", selectOption(userSelect))
	if link != "" {
		if !c.ownLink(link) {
			return "", fmt.Errorf("%s: the stored delta link is not below %s: %w", op, c.baseURL, model.ErrDeltaExpired)
		}
		first = link
	}
	next, err := eachPage(ctx, c, first, c.deltaHeaders(), usersDeltaPage(fn))
	if err != nil {
		return "", deltaError(classifyUnlessCaller(err, op, permissions.ReadUsers()[0]))
	}
	if next == "" {
		return "", &model.GraphError{Kind: model.GraphOther, Op: op, Message: "the round ended without an @odata.deltaLink"}
	}
	return next, nil
}

// usersDeltaFromNowURL asks for a users deltaLink from now ($deltatoken=latest: "sync from
// now", which Graph offers for directory objects: no users, a deltaLink), tracking the
// properties userSelect names, so that a full read of the users by another list (one that
// carries signInActivity, which the delta cannot) still ends with a link the next refresh starts
// from. Asked before that read, the link may replay changes the read already saw (delta entries
// are whole objects as they are now, so applying one twice does no harm) and misses none.
// groupsDeltaFromNowURL is the same for groups, tracking members.
func (c *Client) usersDeltaFromNowURL() string {
	return c.collectionURL("/users/delta", selectOption(userSelect), [2]string{"$deltatoken", "latest"})
}

func (c *Client) groupsDeltaFromNowURL() string {
	return c.collectionURL("/groups/delta", [2]string{"$select", "members"}, [2]string{"$deltatoken", "latest"})
}

// usersDeltaPage hands fn a page of the users delta: its users, and the ids Graph reports
// removed. fn's error is the caller's (callerError).
func usersDeltaPage(fn func(users []model.User, removed []string) error) func([]jsonUser) error {
	return func(p []jsonUser) error {
		var removed []string
		for i := range p {
			if p[i].ID != "" && p[i].Removed != nil {
				removed = append(removed, model.NormalizeID(p[i].ID))
			}
		}
		if err := fn(jsonUsers(p), removed); err != nil {
			return callerError{err}
		}
		return nil
	}
}

// jsonGroupDelta is a group of a groups delta round with members selected.
type jsonGroupDelta struct {
	ID      string `json:"id"`
	Removed *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
	Members []struct {
		Type    string `json:"@odata.type"`
		ID      string `json:"id"`
		Removed *struct {
			Reason string `json:"reason"`
		} `json:"@removed"`
	} `json:"members@delta"`
}

// GroupsDelta reads one round of the groups delta with members selected, from link (an
// earlier round's deltaLink): every group whose membership changed since, each member that
// joined or left (the last change per group and member, however Graph split a large group
// over occurrences and pages), and the groups deleted. With link "" it asks for a deltaLink
// from now ($deltatoken=latest) and reports nothing. A token Graph no longer accepts is
// model.ErrDeltaExpired.
func (c *Client) GroupsDelta(ctx context.Context, link string) (model.GroupDelta, string, error) {
	const op = "read groups delta"
	first := c.groupsDeltaFromNowURL()
	if link != "" {
		if !c.ownLink(link) {
			return model.GroupDelta{}, "", fmt.Errorf("%s: the stored delta link is not below %s: %w", op, c.baseURL, model.ErrDeltaExpired)
		}
		first = link
	}
	var m groupDeltaMerge
	next, err := eachPage(ctx, c, first, c.deltaHeaders(), func(p []jsonGroupDelta) error {
		m.add(p)
		return nil
	})
	if err != nil {
		return model.GroupDelta{}, "", deltaError(classify(err, op, permissions.ReadGroups()[0]))
	}
	if next == "" {
		return model.GroupDelta{}, "", &model.GraphError{Kind: model.GraphOther, Op: op, Message: "the round ended without an @odata.deltaLink"}
	}
	return m.out, next, nil
}

// groupDeltaMerge gathers the pages of a groups delta round: Graph may list a group several
// times (a large group's members split over occurrences and pages, or a replay), so a member's
// last entry wins and every (group, member) is reported once.
type groupDeltaMerge struct {
	out          model.GroupDelta
	at           map[[2]string]int // (group, member) -> index in out.Members
	removedGroup map[string]bool
}

func (m *groupDeltaMerge) add(page []jsonGroupDelta) {
	if m.at == nil {
		m.at, m.removedGroup = map[[2]string]int{}, map[string]bool{}
	}
	for _, g := range page {
		gid := model.NormalizeID(g.ID)
		if gid == "" {
			continue
		}
		if g.Removed != nil {
			if !m.removedGroup[gid] {
				m.removedGroup[gid] = true
				m.out.RemovedGroups = append(m.out.RemovedGroups, gid)
			}
			continue
		}
		for _, mem := range g.Members {
			mid := model.NormalizeID(mem.ID)
			if mid == "" {
				continue
			}
			ch := model.MemberChange{GroupID: gid, MemberID: mid, MemberType: strings.TrimPrefix(mem.Type, "#microsoft.graph."), Removed: mem.Removed != nil}
			k := [2]string{gid, mid}
			if i, ok := m.at[k]; ok {
				if ch.MemberType == "" {
					ch.MemberType = m.out.Members[i].MemberType
				}
				m.out.Members[i] = ch
				continue
			}
			m.at[k] = len(m.out.Members)
			m.out.Members = append(m.out.Members, ch)
		}
	}
}

// GroupUserMembers reads a group's direct user members with everything a snapshot keeps of a
// user, license states included (/groups/{id}/members/microsoft.graph.user with userSelect,
// 999 a page), calling fn per page. A group that no longer exists is Graph's 404.
func (c *Client) GroupUserMembers(ctx context.Context, groupID string, fn func([]model.User) error) error {
	op := "read the user members of group " + groupID
	first := c.collectionURL("/groups/"+url.PathEscape(groupID)+"/members/microsoft.graph.user",
		selectOption(userSelect), topOption(c.pageSize))
	_, err := eachPage(ctx, c, first, nil, func(p []jsonUser) error { return userPage(fn, p) })
	return classifyUnlessCaller(err, op, permissions.ReadGroups()[0])
}

// UsersByID reads these users with everything a snapshot keeps of them: 15 ids to an
// "id in (...)" filter, 20 filters to a $batch, batches side by side. fn gets the users of each
// batch (calls never overlap); users that no longer exist are simply not among them. Ids that
// cannot be object ids are an error.
func (c *Client) UsersByID(ctx context.Context, ids []string, fn func([]model.User) error) error {
	return c.usersByID(ctx, ids, userSelect, permissions.ReadUsers()[0], func(p []jsonUser) error { return fn(jsonUsers(p)) })
}

// UsersWithSignInsByID reads these users as UsersByID does with each one's signInActivity, as
// UsersWithSignIns gives it.
func (c *Client) UsersWithSignInsByID(ctx context.Context, ids []string, fn func([]model.User, []model.SignIn) error) error {
	return c.usersByID(ctx, ids, userSignInSelect(), permissions.ReadSignIns()[0],
		func(p []jsonUser) error { return fn(jsonUsers(p), jsonSignIns(p)) })
}

// usersByID reads these users with the properties sel names, in the way UsersByID describes;
// perm is the permission named when Graph refuses.
func (c *Client) usersByID(ctx context.Context, ids []string, sel []string, perm string, fn func([]jsonUser) error) error {
	const op = "read users by id"
	for _, id := range ids {
		if !validGUID(id) {
			return &model.GraphError{Kind: model.GraphBadRequest, Op: op, Message: fmt.Sprintf("%q is not an object id", id)}
		}
	}
	var filters [][]string
	for i := 0; i < len(ids); i += maxIDsPerFilter {
		filters = append(filters, ids[i:min(i+maxIDsPerFilter, len(ids))])
	}
	var fnMu sync.Mutex
	return forEachChunk(ctx, filters, maxBatch, func(ctx context.Context, chunk [][]string) error {
		reqs := make([]batchRequest, len(chunk))
		for i, part := range chunk {
			quoted := make([]string, len(part))
			for j, id := range part {
				quoted[j] = "'" + id + "'"
			}
			reqs[i] = batchRequest{ID: strconv.Itoa(i), Method: "GET", URL: relativeURL("/users",
				[2]string{"$filter", "id in (" + strings.Join(quoted, ",") + ")"}, selectOption(sel))}
		}
		res, err := c.runBatch(ctx, reqs)
		if err != nil {
			return classify(err, op, perm)
		}
		var users []jsonUser
		for i := range chunk {
			r, err := batchAnswer(res[strconv.Itoa(i)], op, perm)
			if err != nil {
				return err
			}
			var p jsonPage[jsonUser]
			if err := decodePage(r.Body, &p); err != nil {
				return &model.GraphError{Kind: model.GraphOther, Op: op, Message: "unreadable answer: " + err.Error(), Status: r.Status}
			}
			users = append(users, p.Value...)
			// 15 users fit any page; follow a nextLink all the same rather than lose users.
			for next := p.NextLink; next != ""; {
				body, err := c.getJSON(ctx, next, nil)
				if err != nil {
					return classify(err, op, perm)
				}
				var more jsonPage[jsonUser]
				if err := decodePage(body, &more); err != nil {
					return &model.GraphError{Kind: model.GraphOther, Op: op, Message: "unreadable answer: " + err.Error()}
				}
				users = append(users, more.Value...)
				next = more.NextLink
			}
		}
		fnMu.Lock()
		defer fnMu.Unlock()
		return fn(users)
	})
}

// deltaHeaders asks for the largest pages: delta queries take no $top.
func (c *Client) deltaHeaders() map[string]string {
	return map[string]string{"Prefer": "odata.maxpagesize=" + strconv.Itoa(int(c.pageSize))}
}

// ownLink reports whether a stored link points below this client's Graph base, so a database
// that was tampered with or copied from another tenant's setup cannot send requests elsewhere.
func (c *Client) ownLink(link string) bool {
	return strings.HasPrefix(link, c.baseURL+"/") && !strings.ContainsAny(link, " \r\n")
}

// deltaError marks the failures that mean "start over with a full read": 410 Gone, and the
// codes Graph documents for expired or invalid sync state.
func deltaError(err error) error {
	var ge *model.GraphError
	if errors.As(err, &ge) {
		switch {
		case ge.Status == 410, strings.EqualFold(ge.Code, "syncStateNotFound"), strings.EqualFold(ge.Code, "resyncRequired"),
			strings.EqualFold(ge.Code, "syncStateInvalid"):
			return fmt.Errorf("%w: %w", model.ErrDeltaExpired, err)
		}
	}
	return err
}

// validGUID reports whether s is a GUID in its 36-character text form.
func validGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return true
}
