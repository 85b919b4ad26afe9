package tenantsim

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim/odata"
)

// Delta queries (GET /users/delta, /groups/delta), as Graph documents them (user: delta,
// group: delta, "Use delta query to track changes in Microsoft Graph data"):
//   - A round without a token returns every object (and, as Graph may, users deleted before as
//     @removed), page by page with @odata.nextLink, and ends with @odata.deltaLink. A round
//     with a $deltatoken returns what changed after the token: objects created, deleted
//     (@removed {"reason": "changed"}: soft-deleted, restorable) or whose TRACKED properties
//     changed, with every selected property at its current value (the documented default; the
//     simulator does not implement Prefer: return=minimal). $deltatoken=latest returns no
//     objects, only a deltaLink from now ("sync from now").
//   - With $select, only the selected properties are tracked. licenseAssignmentStates is never
//     tracked (see changelog.go).
//   - Groups with members selected (or no $select) carry members@delta: in an initial round
//     every member, afterwards the members added ({"@odata.type","id"}) and removed
//     ({"@odata.type","id","@removed":{"reason":"deleted"}}). A group with many members is
//     split over several occurrences of the same group object, possibly on several pages, as
//     Graph documents for large groups, so a client must merge them.
//   - Query options go on the first request only and travel inside the tokens. $top, $orderby,
//     $search, $count and $expand are refused; page size follows Prefer: odata.maxpagesize.
//     Graph also accepts "$filter=id eq '...'" scoping filters, which the simulator does not.
//   - A token from before a reset answers 410 resyncRequired; one older than seven days (the
//     documented lifetime for directory objects) or older than what the change log still holds
//     answers 410 syncStateNotFound. Both carry a Location header with the initial request.

const (
	deltaPageSize = 100 // without Prefer: odata.maxpagesize; Graph documents no default
	maxRounds     = 64  // rounds whose skip tokens are kept
	// memberChunk is how many members@delta entries one group object carries at most; more
	// continue on further occurrences of the group. Graph documents the splitting, not its
	// size.
	memberChunk = 500
)

// deltaItem is one object of a round: an id, and for groups the slice of members@delta this
// occurrence carries.
type deltaItem struct {
	id      string
	members []memberDelta // nil: no members@delta on this occurrence
}

// memberDelta is one entry of members@delta.
type memberDelta struct {
	id, typ string
	removed bool
}

// deltaRound is one round of delta requests: its objects are fixed when it starts, so its
// pages are stable; objects are written as they are when their page is read.
type deltaRound struct {
	kind        string
	sel         []string // nil: no $select
	withMembers bool
	items       []deltaItem
	upto        int64 // the change log position the round's deltaLink continues from
}

// deltaTracker keeps the rounds under way, so their skip tokens work.
type deltaTracker struct {
	mu     sync.Mutex
	rounds map[string]*deltaRound
	order  []string
	next   int64
}

func newDeltaTracker() *deltaTracker { return &deltaTracker{rounds: map[string]*deltaRound{}} }

func (d *deltaTracker) add(r *deltaRound) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.next++
	key := strconv.FormatInt(d.next, 10)
	d.rounds[key] = r
	d.order = append(d.order, key)
	if len(d.order) > maxRounds {
		delete(d.rounds, d.order[0])
		d.order = d.order[1:]
	}
	return key
}

func (d *deltaTracker) round(key string) (*deltaRound, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.rounds[key]
	return r, ok
}

// ResetDelta makes every delta and skip token issued so far answer 410 resyncRequired, as
// Graph does after "internal maintenance or migration of the target tenant"; the control API's
// reset calls it after regenerating the tenant.
func (a *API) ResetDelta() {
	a.t.mu.Lock()
	a.t.changes.epoch = newGUID()[:8]
	a.t.mu.Unlock()
	a.delta.mu.Lock()
	defer a.delta.mu.Unlock()
	a.delta.rounds, a.delta.order = map[string]*deltaRound{}, nil
}

// Tokens are opaque to clients; inside: "d|epoch|seq|issued unix seconds|select" for a
// deltaLink, "s|epoch|round|offset" for a nextLink.
func deltaToken(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "|")))
}

func parseDeltaToken(tok string) []string {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil
	}
	return strings.Split(string(raw), "|")
}

// resync is Graph's 410: start again with a full round (the Location header says where).
func resync(rq *request, kind, code, msg string) *apiError {
	e := errf(http.StatusGone, code, "%s", msg)
	e.header = http.Header{"Location": {rq.base + "/" + collectionOf(kind) + "/delta?$deltatoken="}}
	return e
}

func errResync(rq *request, kind string) *apiError {
	return resync(rq, kind, "resyncRequired", "The delta token is no longer valid. Start a new round of delta queries without a token.")
}

func errSyncStateNotFound(rq *request, kind string) *apiError {
	return resync(rq, kind, "syncStateNotFound", "The sync state generation is not found. The delta token is expired and data must be synchronized again.")
}

func collectionOf(kind string) string {
	if kind == TypeGroup {
		return "groups"
	}
	return "users"
}

// maxPageSize reads Prefer: odata.maxpagesize=N, the paging control of delta queries; ok says
// whether the preference was given and applied.
func maxPageSize(r *http.Request) (n int, ok bool) {
	for _, p := range strings.Split(r.Header.Get("Prefer"), ",") {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if found && strings.EqualFold(k, "odata.maxpagesize") {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 1 && n <= odata.MaxTop {
				return n, true
			}
		}
	}
	return deltaPageSize, false
}

func (a *API) deltaUsers(rq *request) error  { return a.deltaQuery(rq, TypeUser) }
func (a *API) deltaGroups(rq *request) error { return a.deltaQuery(rq, TypeGroup) }

func (a *API) deltaQuery(rq *request, kind string) error {
	q, err := odata.ParseQuery(rq.query)
	if err != nil {
		return err
	}
	if q.Filter != nil || q.Search != nil || q.OrderBy != nil || q.Count || q.TopSet {
		return errf(400, "Request_UnsupportedQuery", "Delta queries support $select, $deltatoken and $skiptoken only.")
	}
	a.t.Tick()
	var (
		key    string
		r      *deltaRound
		offset int
	)
	a.t.mu.RLock()
	_, epoch := a.t.logPosition()
	a.t.mu.RUnlock()
	switch {
	case q.SkipToken != "":
		p := parseDeltaToken(q.SkipToken)
		if len(p) != 4 || p[0] != "s" || p[1] != epoch {
			return errResync(rq, kind)
		}
		var ok bool
		if r, ok = a.delta.round(p[2]); !ok || r.kind != kind {
			return errResync(rq, kind)
		}
		key = p[2]
		if offset, err = strconv.Atoi(p[3]); err != nil || offset < 0 || offset > len(r.items) {
			return errResync(rq, kind)
		}
	default:
		sel := q.Select
		since := int64(-1) // no token: every object
		latest := strings.EqualFold(q.DeltaToken, "latest")
		if q.DeltaToken != "" && !latest {
			p := parseDeltaToken(q.DeltaToken)
			if len(p) != 5 || p[0] != "d" || p[1] != epoch {
				return errResync(rq, kind)
			}
			seq, err1 := strconv.ParseInt(p[2], 10, 64)
			issued, err2 := strconv.ParseInt(p[3], 10, 64)
			if err1 != nil || err2 != nil || seq < 0 {
				return errResync(rq, kind)
			}
			if a.t.now().Sub(time.Unix(issued, 0)) > deltaTokenLifetime {
				return errSyncStateNotFound(rq, kind)
			}
			since = seq
			if sel == nil && p[4] != "" {
				sel = strings.Split(p[4], ",")
			}
		}
		if err := checkDeltaSelect(kind, sel); err != nil {
			return err
		}
		var expired bool
		r, expired = a.startRound(kind, since, sel, latest)
		if expired {
			return errSyncStateNotFound(rq, kind)
		}
		key = a.delta.add(r)
	}

	size, applied := maxPageSize(rq.r)
	end := min(offset+size, len(r.items))
	var propSel []string
	if r.sel != nil {
		propSel = []string{}
		for _, s := range r.sel {
			if !(kind == TypeGroup && strings.EqualFold(s, "members")) {
				propSel = append(propSel, s)
			}
		}
		if !containsFold(propSel, "id") {
			propSel = append(propSel, "id")
		}
	}
	var items []byte
	a.t.mu.RLock()
	for _, it := range r.items[offset:end] {
		if len(items) > 0 {
			items = append(items, ',')
		}
		items = a.appendDeltaItem(items, kind, it, propSel, r.withMembers)
	}
	a.t.mu.RUnlock()

	b := make([]byte, 0, len(items)+256)
	b = append(b, `{"@odata.context":`...)
	b = appendString(b, rq.base+"/$metadata#"+selectContext(collectionOf(kind), q.Select))
	base := rq.base + "/" + collectionOf(kind) + "/delta"
	if end < len(r.items) {
		b = append(b, `,"@odata.nextLink":`...)
		b = appendString(b, base+"?$skiptoken="+deltaToken("s", epoch, key, strconv.Itoa(end)))
	} else {
		b = append(b, `,"@odata.deltaLink":`...)
		b = appendString(b, base+"?$deltatoken="+deltaToken("d", epoch, strconv.FormatInt(r.upto, 10),
			strconv.FormatInt(a.t.now().Unix(), 10), strings.Join(r.sel, ",")))
	}
	b = append(b, `,"value":[`...)
	b = append(b, items...)
	b = append(b, "]}"...)
	if applied {
		rq.w.Header().Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(size))
	}
	writeJSON(rq.w, 200, b)
	return nil
}

// startRound fixes the objects of a new round: every object when since < 0, none for latest,
// else those with tracked changes logged after since. expired says the log no longer reaches
// back to since.
func (a *API) startRound(kind string, since int64, sel []string, latest bool) (*deltaRound, bool) {
	t := a.t
	t.mu.RLock()
	defer t.mu.RUnlock()
	upto, _ := t.logPosition()
	r := &deltaRound{kind: kind, sel: sel, upto: upto,
		withMembers: kind == TypeGroup && (sel == nil || containsFold(sel, "members"))}
	switch {
	case latest:
		return r, false
	case since < 0:
		r.items = a.everything(kind, r.withMembers)
		return r, false
	case since < t.changes.trimmed:
		return nil, true
	}
	// Objects in the order their first change was logged; members by group, last change wins.
	var order []string
	seen := map[string]bool{}
	members := map[string][]string{} // group -> member ids in first-change order
	last := map[[2]string]*change{}  // (group, member) -> its latest change
	t.changesAfter(since, upto, func(c *change) {
		if c.typ != kind {
			return
		}
		relevant := c.kind == changeCreated || c.kind == changeRemoved || c.kind == changeProps && c.tracked(sel)
		if c.kind == changeMemberAdded || c.kind == changeMemberRemoved {
			if !r.withMembers {
				return
			}
			k := [2]string{c.id, c.member}
			if last[k] == nil {
				members[c.id] = append(members[c.id], c.member)
			}
			last[k] = c
			relevant = true
		}
		if relevant && !seen[c.id] {
			seen[c.id] = true
			order = append(order, c.id)
		}
	})
	for _, id := range order {
		var md []memberDelta
		for _, m := range members[id] {
			c := last[[2]string{id, m}]
			md = append(md, memberDelta{id: m, typ: c.memberType, removed: c.kind == changeMemberRemoved})
		}
		r.items = append(r.items, chunkMembers(id, md)...)
	}
	return r, false
}

// everything is the objects of an initial round; the caller holds t.mu.
func (a *API) everything(kind string, withMembers bool) []deltaItem {
	t := a.t
	var out []deltaItem
	switch kind {
	case TypeUser:
		out = make([]deltaItem, 0, len(t.users)+len(t.deletedUsers))
		for _, u := range t.users {
			out = append(out, deltaItem{id: u.ID})
		}
		for _, id := range t.deletedUsers {
			out = append(out, deltaItem{id: id}) // written as @removed
		}
	case TypeGroup:
		for _, g := range t.groups {
			if !withMembers {
				out = append(out, deltaItem{id: g.ID})
				continue
			}
			md := make([]memberDelta, len(g.Members))
			for i, m := range g.Members {
				md[i] = memberDelta{id: m, typ: t.objectType[m]}
			}
			out = append(out, chunkMembers(g.ID, md)...)
		}
	}
	return out
}

// chunkMembers is a group's occurrences in a round: one per memberChunk members@delta entries
// (one without members@delta when there are none).
func chunkMembers(id string, md []memberDelta) []deltaItem {
	if len(md) == 0 {
		return []deltaItem{{id: id}}
	}
	var out []deltaItem
	for i := 0; i < len(md); i += memberChunk {
		out = append(out, deltaItem{id: id, members: md[i:min(i+memberChunk, len(md))]})
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// checkDeltaSelect refuses a delta $select of a property the round cannot carry. signInActivity
// is such a property of users: the user: delta page says $select works "as in any GET request",
// but Graph answers /users/delta?$select=id,signInActivity with 400 BadRequest "Invalid request
// for delta query: for this entity set, $expand/$select is not supported for the following
// properties: signInActivity" (microsoftgraph/microsoft-graph-explorer-v4#3189). Undocumented,
// so the simulator models the refusal, the conservative reading: a client must read sign-ins
// with GET /users.
func checkDeltaSelect(kind string, sel []string) error {
	for _, s := range sel {
		if kind == TypeGroup && strings.EqualFold(s, "members") {
			continue
		}
		if kind == TypeUser && strings.EqualFold(s, "signInActivity") {
			return errf(400, "BadRequest", "Invalid request for delta query: for this entity set, $expand/$select is not supported for the following properties: signInActivity")
		}
		var err error
		if kind == TypeUser {
			_, err = userProps.selection([]string{s})
		} else {
			_, err = groupProps.selection([]string{s})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// appendDeltaItem writes one delta entry as the object is now; the caller holds t.mu.
func (a *API) appendDeltaItem(b []byte, kind string, it deltaItem, sel []string, withMembers bool) []byte {
	var obj []byte
	switch kind {
	case TypeUser:
		if u := a.t.userByID[it.id]; u != nil {
			idx, _ := userProps.selection(sel)
			obj = userProps.appendObject(nil, u, idx, false)
		}
	case TypeGroup:
		if g := a.t.groupByID[it.id]; g != nil {
			idx, _ := groupProps.selection(sel)
			obj = groupProps.appendObject(nil, g, idx, false)
		}
	}
	if obj == nil {
		b = append(b, `{"id":`...)
		b = appendString(b, it.id)
		return append(b, `,"@removed":{"reason":"changed"}}`...)
	}
	if withMembers && it.members != nil {
		obj = obj[:len(obj)-1]
		obj = append(obj, `,"members@delta":`...)
		obj = appendArray(obj, it.members, func(b []byte, m memberDelta) []byte {
			b = append(b, `{"@odata.type":"#microsoft.graph.`...)
			b = append(b, m.typ...)
			b = append(b, `","id":`...)
			b = appendString(b, m.id)
			if m.removed {
				b = append(b, `,"@removed":{"reason":"deleted"}`...)
			}
			return append(b, '}')
		})
		obj = append(obj, '}')
	}
	return append(b, obj...)
}
