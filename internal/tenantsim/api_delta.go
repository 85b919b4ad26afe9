package tenantsim

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim/odata"
)

// Delta queries. The engine keeps no change log, so the tracker notices changes itself: at the
// start of every delta round it fingerprints each object and stamps those whose fingerprint
// changed (or that appeared or vanished) with a new sequence number. A delta token is the
// sequence number of the scan that ended a round; the next round returns what was stamped
// later. A round's object list is frozen when it starts, so its pages are stable.

const (
	deltaPageSize = 100
	maxRounds     = 64
)

type objState struct {
	fp      uint64
	seq     int64
	removed bool
}

type deltaRound struct {
	kind string
	sel  []string
	ids  []string // sorted
	upto int64
}

type deltaTracker struct {
	mu      sync.Mutex
	epoch   string
	seq     int64
	objs    map[string]map[string]*objState // kind -> id -> state
	rounds  map[string]*deltaRound
	order   []string
	roundNo int64
}

func newDeltaTracker() *deltaTracker {
	d := &deltaTracker{}
	d.reset()
	return d
}

// reset forgets everything; tokens issued before no longer work (410, resync).
func (d *deltaTracker) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.epoch = newGUID()[:8]
	d.seq = 0
	d.objs = map[string]map[string]*objState{TypeUser: {}, TypeGroup: {}}
	d.rounds = map[string]*deltaRound{}
	d.order = nil
}

// ResetDelta invalidates every delta and skip token of delta rounds, as after a tenant reset.
func (a *API) ResetDelta() { a.delta.reset() }

// fingerprints hashes every object of kind with all its properties; the caller holds t.mu.
func (a *API) fingerprints(kind string) map[string]uint64 {
	out := map[string]uint64{}
	var buf []byte
	all := func(n int) []int {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	switch kind {
	case TypeUser:
		idx := all(len(userProps.props))
		for _, u := range a.t.users {
			buf = userProps.appendObject(buf[:0], u, idx, false)
			h := fnv.New64a()
			h.Write(buf)
			out[u.ID] = h.Sum64()
		}
	case TypeGroup:
		idx := all(len(groupProps.props))
		for _, g := range a.t.groups {
			buf = groupProps.appendObject(buf[:0], g, idx, false)
			for _, m := range g.Members {
				buf = append(buf, m...)
			}
			h := fnv.New64a()
			h.Write(buf)
			out[g.ID] = h.Sum64()
		}
	}
	return out
}

// startRound scans for changes and freezes the list of objects changed after since.
func (a *API) startRound(kind string, since int64, sel []string) (string, *deltaRound) {
	d := a.delta
	d.mu.Lock()
	defer d.mu.Unlock()
	a.t.Tick()
	a.t.mu.RLock()
	fps := a.fingerprints(kind)
	a.t.mu.RUnlock()
	d.seq++
	states := d.objs[kind]
	for id, fp := range fps {
		s, ok := states[id]
		switch {
		case !ok:
			states[id] = &objState{fp: fp, seq: d.seq}
		case s.removed || s.fp != fp:
			s.fp, s.seq, s.removed = fp, d.seq, false
		}
	}
	for id, s := range states {
		if _, ok := fps[id]; !ok && !s.removed {
			s.removed, s.seq = true, d.seq
		}
	}
	r := &deltaRound{kind: kind, sel: sel, upto: d.seq}
	for id, s := range states {
		if s.seq > since && !(since == 0 && s.removed) {
			r.ids = append(r.ids, id)
		}
	}
	sort.Strings(r.ids)
	d.roundNo++
	key := strconv.FormatInt(d.roundNo, 10)
	d.rounds[key] = r
	d.order = append(d.order, key)
	if len(d.order) > maxRounds {
		delete(d.rounds, d.order[0])
		d.order = d.order[1:]
	}
	return key, r
}

func (a *API) round(key string) (*deltaRound, bool) {
	a.delta.mu.Lock()
	defer a.delta.mu.Unlock()
	r, ok := a.delta.rounds[key]
	return r, ok
}

func (d *deltaTracker) currentEpoch() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.epoch
}

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

func errResync() *apiError {
	return errf(http.StatusGone, "resyncRequired", "The delta token is no longer valid. Start a new round of delta queries without a token.")
}

// maxPageSize reads Prefer: odata.maxpagesize=N, the paging control of delta queries.
func maxPageSize(r *http.Request) int {
	for _, p := range strings.Split(r.Header.Get("Prefer"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(k, "odata.maxpagesize") {
			if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= odata.MaxTop {
				return n
			}
		}
	}
	return deltaPageSize
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
	var key string
	var r *deltaRound
	offset := 0
	epoch := a.delta.currentEpoch()
	switch {
	case q.SkipToken != "":
		p := parseDeltaToken(q.SkipToken)
		if len(p) != 4 || p[0] != "s" || p[1] != epoch {
			return errResync()
		}
		var ok bool
		if r, ok = a.round(p[2]); !ok || r.kind != kind {
			return errResync()
		}
		key = p[2]
		if offset, err = strconv.Atoi(p[3]); err != nil || offset < 0 || offset > len(r.ids) {
			return errResync()
		}
	default:
		since := int64(0)
		sel := q.Select
		if q.DeltaToken != "" {
			p := parseDeltaToken(q.DeltaToken)
			if len(p) != 4 || p[0] != "d" || p[1] != epoch {
				return errResync()
			}
			if since, err = strconv.ParseInt(p[2], 10, 64); err != nil {
				return errResync()
			}
			if sel == nil && p[3] != "" {
				sel = strings.Split(p[3], ",")
			}
		}
		if err := checkDeltaSelect(kind, sel); err != nil {
			return err
		}
		key, r = a.startRound(kind, since, sel)
	}

	size := maxPageSize(rq.r)
	end := min(offset+size, len(r.ids))
	withMembers := false
	var propSel []string
	if r.sel != nil {
		propSel = []string{}
		for _, s := range r.sel {
			if strings.EqualFold(s, "members") && kind == TypeGroup {
				withMembers = true
				continue
			}
			propSel = append(propSel, s)
		}
		if !containsFold(propSel, "id") {
			propSel = append(propSel, "id")
		}
	}
	var items []byte
	a.t.mu.RLock()
	for _, id := range r.ids[offset:end] {
		if len(items) > 0 {
			items = append(items, ',')
		}
		items = a.appendDeltaItem(items, kind, id, propSel, withMembers)
	}
	a.t.mu.RUnlock()

	ctx := "users"
	if kind == TypeGroup {
		ctx = "groups"
	}
	b := make([]byte, 0, len(items)+256)
	b = append(b, `{"@odata.context":`...)
	b = appendString(b, rq.base+"/$metadata#"+ctx)
	base := rq.base + "/" + ctx + "/delta"
	if end < len(r.ids) {
		b = append(b, `,"@odata.nextLink":`...)
		b = appendString(b, base+"?$skiptoken="+deltaToken("s", epoch, key, strconv.Itoa(end)))
	} else {
		b = append(b, `,"@odata.deltaLink":`...)
		b = appendString(b, base+"?$deltatoken="+deltaToken("d", epoch, strconv.FormatInt(r.upto, 10), strings.Join(r.sel, ",")))
	}
	b = append(b, `,"value":[`...)
	b = append(b, items...)
	b = append(b, "]}"...)
	writeJSON(rq.w, 200, b)
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func checkDeltaSelect(kind string, sel []string) error {
	for _, s := range sel {
		if kind == TypeGroup && strings.EqualFold(s, "members") {
			continue
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

// appendDeltaItem writes one delta entry; the caller holds t.mu.
func (a *API) appendDeltaItem(b []byte, kind, id string, sel []string, withMembers bool) []byte {
	switch kind {
	case TypeUser:
		if u := a.t.userByID[id]; u != nil {
			idx, _ := userProps.selection(sel)
			return userProps.appendObject(b, u, idx, false)
		}
	case TypeGroup:
		if g := a.t.groupByID[id]; g != nil {
			idx, _ := groupProps.selection(sel)
			obj := groupProps.appendObject(nil, g, idx, false)
			if withMembers {
				obj = obj[:len(obj)-1]
				obj = append(obj, `,"members@delta":`...)
				obj = appendArray(obj, g.Members, func(b []byte, m string) []byte {
					b = fmt.Appendf(b, `{"@odata.type":"#microsoft.graph.%s","id":`, a.t.objectType[m])
					b = appendString(b, m)
					return append(b, '}')
				})
				obj = append(obj, '}')
			}
			return append(b, obj...)
		}
	}
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	return append(b, `,"@removed":{"reason":"deleted"}}`...)
}
