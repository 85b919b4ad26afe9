package tenantsim

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim/odata"
)

// listQuery is a validated query on a directory collection.
type listQuery struct {
	odata.Query
	filter   odata.Expr
	usage    odata.Usage
	advanced bool // ConsistencyLevel: eventual and $count=true
	// limited writes only @odata.type and id of each directory object: Graph's answer to an app
	// that may read the relationship but not the objects' type (documented "limited information").
	limited bool
}

// searchable lists the properties $search accepts per resource.
var (
	userSearchable  = map[string]string{"displayname": "displayName", "mail": "mail", "userprincipalname": "userPrincipalName", "givenname": "givenName", "surname": "surname", "mailnickname": "mailNickname"}
	groupSearchable = map[string]string{"displayname": "displayName", "description": "description", "mail": "mail", "mailnickname": "mailNickname"}
)

// Graph's texts when a filter needs an advanced query it was not sent as: without the
// ConsistencyLevel header, and with it but without $count=true.
const (
	advancedNoHeader = "Operator '%s' is not supported because the 'ConsistencyLevel:eventual' header is missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
	advancedNoCount  = "Operator '%s' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
)

// parseList reads and validates the query options of a directory collection request and
// applies Graph's advanced-query rules; orderable says which properties $orderby takes.
func parseList(rq *request, schema *odata.Schema, searchable map[string]string, orderable func(string) bool) (listQuery, error) {
	q, err := odata.ParseQuery(rq.query)
	if err != nil {
		return listQuery{}, err
	}
	lq := listQuery{Query: q, advanced: rq.eventual && q.Count}
	if q.Filter != nil {
		if schema == nil {
			return lq, errf(400, "Request_UnsupportedQuery", "$filter is not supported on this collection.")
		}
		lq.filter, lq.usage, err = schema.Validate(q.Filter)
		if err != nil {
			return lq, err
		}
	}
	for i, c := range q.Search {
		name, ok := searchable[strings.ToLower(c.Property)]
		if !ok {
			return lq, errf(400, "Request_UnsupportedQuery", "Unsupported query. Property '%s' is not supported in $search.", c.Property)
		}
		lq.Search[i].Property = name
	}
	if len(q.Search) > 0 && !rq.eventual {
		return lq, errf(400, "Request_UnsupportedQuery", "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'")
	}
	if q.OrderBy != nil {
		if orderable == nil || !orderable(q.OrderBy.Property) || schema == nil {
			return lq, errf(400, "Request_UnsupportedQuery", "Order by '%s' is not supported.", q.OrderBy.Property)
		}
		if (q.Filter != nil || len(q.Search) > 0) && !lq.advanced {
			return lq, errf(400, "Request_UnsupportedQuery", "Sorting not supported for current query.")
		}
	}
	if lq.usage.Advanced && !lq.advanced {
		msg := advancedNoHeader
		if rq.eventual {
			msg = advancedNoCount
		}
		return lq, errf(400, "Request_UnsupportedQuery", msg, lq.usage.AdvancedOp)
	}
	// hasMembersWithLicenseErrors is served by the non-advanced store only.
	if lq.usage.Uses("hasMembersWithLicenseErrors") && rq.eventual {
		return lq, errf(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'hasMembersWithLicenseErrors' of resource 'Group'.")
	}
	return lq, nil
}

// searchMatch is $search on one property: Graph tokenises values into words and matches a term
// against word prefixes, case-insensitively.
func searchMatch(value, term string) bool {
	v, t := strings.ToLower(value), strings.ToLower(term)
	if t == "" || strings.HasPrefix(v, t) {
		return true
	}
	if strings.ContainsAny(t, " .@_-") {
		return strings.Contains(v, t)
	}
	for _, w := range strings.FieldsFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	}) {
		if strings.HasPrefix(w, t) {
			return true
		}
	}
	return false
}

func (lq *listQuery) matches(acc odata.Accessor) bool {
	if lq.filter != nil && !odata.Eval(lq.filter, acc) {
		return false
	}
	if len(lq.Search) == 0 {
		return true
	}
	for _, c := range lq.Search {
		s, _ := acc.Property(c.Property).(string)
		m := searchMatch(s, c.Term)
		if m && !lq.SearchAnd {
			return true
		}
		if !m && lq.SearchAnd {
			return false
		}
	}
	return lq.SearchAnd
}

// Skip tokens are opaque to clients; inside they carry the scan position and a hash of the
// query they belong to, so a token replayed on another query is refused like an expired one.
func queryHash(rq *request) uint32 {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(rq.path)))
	keys := make([]string, 0, len(rq.query))
	for k := range rq.query {
		if !strings.EqualFold(k, "$skiptoken") && !strings.EqualFold(k, "$top") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%q;", k, rq.query[k])
	}
	return h.Sum32()
}

func encodeSkip(rq *request, pos int) string {
	return "X" + base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "p1|%d|%08x", pos, queryHash(rq)))
}

func errExpiredToken() *apiError {
	return errf(400, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
}

func decodeSkip(rq *request, tok string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "X"))
	if err != nil || !strings.HasPrefix(tok, "X") {
		return 0, errExpiredToken()
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != "p1" || parts[2] != fmt.Sprintf("%08x", queryHash(rq)) {
		return 0, errExpiredToken()
	}
	pos, err := strconv.Atoi(parts[1])
	if err != nil || pos < 0 {
		return 0, errExpiredToken()
	}
	return pos, nil
}

// link is the absolute URL of this request's path with the query changed: set replaces or adds
// options, drop removes them. '$' stays literal, as in Graph's links.
func link(rq *request, set map[string]string, drop ...string) string {
	q := url.Values{}
	for k, v := range rq.query {
		q[k] = v
	}
	for _, d := range drop {
		for k := range q {
			if strings.EqualFold(k, d) {
				delete(q, k)
			}
		}
	}
	for k, v := range set {
		for old := range q {
			if strings.EqualFold(old, k) {
				delete(q, old)
			}
		}
		q[k] = []string{v}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(rq.base)
	b.WriteString(rq.path)
	sep := byte('?')
	for _, k := range keys {
		for _, v := range q[k] {
			b.WriteByte(sep)
			sep = '&'
			b.WriteString(strings.ReplaceAll(url.QueryEscape(k), "%24", "$"))
			b.WriteByte('=')
			b.WriteString(strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	return b.String()
}

// collection writes the standard collection envelope around already-encoded items.
type collection struct {
	context  string
	count    int // -1: no @odata.count
	nextLink string
	items    []byte // comma-separated objects
}

func (c collection) bytes() []byte {
	b := make([]byte, 0, len(c.items)+256)
	b = append(b, `{"@odata.context":`...)
	b = appendString(b, c.context)
	if c.count >= 0 {
		b = append(b, `,"@odata.count":`...)
		b = strconv.AppendInt(b, int64(c.count), 10)
	}
	if c.nextLink != "" {
		b = append(b, `,"@odata.nextLink":`...)
		b = appendString(b, c.nextLink)
	}
	b = append(b, `,"value":[`...)
	b = append(b, c.items...)
	return append(b, "]}"...)
}

// scan pages through n candidates: it collects up to top matching positions from pos and
// returns the position of the next match (-1 when there is none), so a nextLink never leads to
// an empty page.
func scan(n, pos, top int, match func(i int) bool) (hits []int, next int) {
	i := pos
	for ; i < n && len(hits) < top; i++ {
		if match(i) {
			hits = append(hits, i)
		}
	}
	for ; i < n; i++ {
		if match(i) {
			return hits, i
		}
	}
	return hits, -1
}

func countMatches(n int, match func(i int) bool) int {
	c := 0
	for i := 0; i < n; i++ {
		if match(i) {
			c++
		}
	}
	return c
}

// byKey sorts items by key (case-insensitively), id breaking ties.
func byKey[T any](items []T, key func(T) string, id func(T) string, desc bool) []T {
	out := make([]T, len(items))
	copy(out, items)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := strings.ToLower(key(out[i])), strings.ToLower(key(out[j]))
		if a == b {
			return id(out[i]) < id(out[j])
		}
		if desc {
			return a > b
		}
		return a < b
	})
	return out
}

func (a *API) writePage(rq *request, ctx string, lq listQuery, total int, next int, items []byte) error {
	c := collection{context: rq.base + "/$metadata#" + ctx, count: -1, items: items}
	if lq.advanced {
		c.count = total
	}
	if next >= 0 {
		c.nextLink = link(rq, map[string]string{"$skiptoken": encodeSkip(rq, next)})
	}
	writeJSON(rq.w, 200, c.bytes())
	return nil
}

func selectContext(name string, sel []string) string {
	if sel == nil {
		return name
	}
	return name + "(" + strings.Join(sel, ",") + ")"
}

// directoryCollection is what GET /users and GET /groups, their $count and their /{id} differ
// in; the handlers below serve both from it.
type directoryCollection[T any] struct {
	name       string // path segment and @odata.context name
	schema     *odata.Schema
	searchable map[string]string
	props      *propSet[T]
	// all lists the tenant's objects in directory order and find resolves one key; the caller
	// of either holds the read lock.
	all  func(*Tenant) []*T
	find func(*API, string) (*T, error)
	// orderBy are the properties $orderby takes, by lower-case name, each with its sort key;
	// id breaks ties.
	orderBy map[string]func(*T) string
	id      func(*T) string
	// accessor returns the $filter view of one object for the query lq; the caller holds the read
	// lock.
	accessor func(a *API, lq *listQuery) func(*T) odata.Accessor
}

var (
	userCollection = directoryCollection[User]{
		name: "users", schema: userSchema, searchable: userSearchable, props: userProps,
		all:  func(t *Tenant) []*User { return t.users },
		find: (*API).findUser,
		// Graph sorts users by these two without an advanced query.
		orderBy: map[string]func(*User) string{
			"displayname":       func(u *User) string { return u.DisplayName },
			"userprincipalname": func(u *User) string { return u.UserPrincipalName },
		},
		id: func(u *User) string { return u.ID },
		accessor: func(*API, *listQuery) func(*User) odata.Accessor {
			return func(u *User) odata.Accessor { return userAcc{u} }
		},
	}
	groupCollection = directoryCollection[Group]{
		name: "groups", schema: groupSchema, searchable: groupSearchable, props: groupProps,
		all:     func(t *Tenant) []*Group { return t.groups },
		find:    (*API).findGroup,
		orderBy: map[string]func(*Group) string{"displayname": func(g *Group) string { return g.DisplayName }},
		id:      func(g *Group) string { return g.ID },
		accessor: func(a *API, lq *listQuery) func(*Group) odata.Accessor {
			// Finding the groups with license errors walks every user: only when filtered on.
			var errGroups map[string]bool
			if lq.usage.Uses("hasMembersWithLicenseErrors") {
				errGroups = a.errorGroups()
			}
			return func(g *Group) odata.Accessor { return groupAcc{g, errGroups} }
		},
	}
)

// orderable reports whether $orderby takes the property name.
func (c directoryCollection[T]) orderable(name string) bool {
	_, ok := c.orderBy[strings.ToLower(name)]
	return ok
}

// listObjects filters, orders, pages, counts and renders one page of a collection.
func listObjects[T any](a *API, rq *request, c directoryCollection[T]) error {
	lq, err := parseList(rq, c.schema, c.searchable, c.orderable)
	if err != nil {
		return err
	}
	sel, err := c.props.selection(lq.Select)
	if err != nil {
		return err
	}
	pos, err := decodeSkip(rq, lq.SkipToken)
	if err != nil {
		return err
	}
	return withMatching(a, c, &lq, func(objs []*T, match func(i int) bool) error {
		hits, next := scan(len(objs), pos, lq.Top, match)
		total := -1
		if lq.advanced {
			total = countMatches(len(objs), match)
		}
		items := appendJoined(make([]byte, 0, len(hits)*(128+64*len(sel))), hits, func(b []byte, i int) []byte {
			return c.props.appendObject(b, objs[i], sel, false)
		})
		return a.writePage(rq, selectContext(c.name, lq.Select), lq, total, next, items)
	})
}

// withMatching calls use under the read lock with the collection's objects in the order lq asks
// for and a test of whether the i-th of them matches lq.
func withMatching[T any](a *API, c directoryCollection[T], lq *listQuery, use func(objs []*T, match func(i int) bool) error) error {
	a.t.Tick()
	a.t.mu.RLock()
	defer a.t.mu.RUnlock()
	acc := c.accessor(a, lq)
	objs := c.all(a.t)
	if lq.OrderBy != nil {
		objs = byKey(objs, c.orderBy[strings.ToLower(lq.OrderBy.Property)], c.id, lq.OrderBy.Desc)
	}
	return use(objs, func(i int) bool { return lq.matches(acc(objs[i])) })
}

// countObjects serves /$count, which Graph offers only to advanced queries.
func countObjects[T any](a *API, rq *request, c directoryCollection[T]) error {
	if !rq.eventual {
		return errCountUnsupported()
	}
	rq.query.Set("$count", "true")
	lq, err := parseList(rq, c.schema, c.searchable, c.orderable)
	if err != nil {
		return err
	}
	return withMatching(a, c, &lq, func(objs []*T, match func(i int) bool) error {
		writeCount(rq, countMatches(len(objs), match))
		return nil
	})
}

// getObject serves /{id} with $select.
func getObject[T any](a *API, rq *request, c directoryCollection[T]) error {
	selNames, err := parseSingle(rq)
	if err != nil {
		return err
	}
	sel, err := c.props.selection(selNames)
	if err != nil {
		return err
	}
	return withObject(a, rq, c, func(obj *T) error {
		writeJSON(rq.w, 200, entity(rq, selectContext(c.name, selNames), c.props.appendObject(nil, obj, sel, false)))
		return nil
	})
}

// withObject resolves the object the request's path names and calls use with it, both under
// the read lock.
func withObject[T any](a *API, rq *request, c directoryCollection[T], use func(obj *T) error) error {
	a.t.Tick()
	a.t.mu.RLock()
	defer a.t.mu.RUnlock()
	obj, err := c.find(a, rq.params[0])
	if err != nil {
		return err
	}
	return use(obj)
}

// Users.

func (a *API) listUsers(rq *request) error {
	if err := a.checkSignInActivity(rq); err != nil {
		return err
	}
	return listObjects(a, rq, userCollection)
}
func (a *API) countUsers(rq *request) error { return countObjects(a, rq, userCollection) }
func (a *API) getUser(rq *request) error {
	if err := a.checkSignInActivity(rq); err != nil {
		return err
	}
	return getObject(a, rq, userCollection)
}

func errCountUnsupported() *apiError {
	return errf(400, "Request_BadRequest", "$count is not currently supported.")
}

func writeCount(rq *request, n int) {
	writeRaw(rq.w, 200, "text/plain", strconv.AppendInt(nil, int64(n), 10))
}

// findUser resolves an id or a userPrincipalName; the caller holds the read lock.
func (a *API) findUser(key string) (*User, error) {
	if u, ok := a.t.userByID[strings.ToLower(key)]; ok {
		return u, nil
	}
	if u, ok := a.t.userByID[key]; ok {
		return u, nil
	}
	if strings.Contains(key, "@") {
		for _, u := range a.t.users {
			if strings.EqualFold(u.UserPrincipalName, key) {
				return u, nil
			}
		}
	}
	return nil, resourceNotFound(key)
}

func (a *API) findGroup(key string) (*Group, error) {
	if !isGUID(key) {
		return nil, errf(400, "Request_BadRequest", "Invalid object identifier '%s'.", key)
	}
	if g, ok := a.t.groupByID[strings.ToLower(key)]; ok {
		return g, nil
	}
	if g, ok := a.t.groupByID[key]; ok {
		return g, nil
	}
	return nil, resourceNotFound(key)
}

// parseSingle reads the options a single-entity GET accepts: $select only.
func parseSingle(rq *request) ([]string, error) {
	q, err := odata.ParseQuery(rq.query)
	if err != nil {
		return nil, err
	}
	if q.Filter != nil || q.TopSet || q.OrderBy != nil || q.Search != nil || q.SkipToken != "" {
		return nil, errf(400, "Request_BadRequest", "Only $select is supported when reading a single object.")
	}
	return q.Select, nil
}

func entity(rq *request, ctx string, obj []byte) []byte {
	b := make([]byte, 0, len(obj)+128)
	b = append(b, `{"@odata.context":`...)
	b = appendString(b, rq.base+"/$metadata#"+ctx+"/$entity")
	if len(obj) > 2 {
		b = append(b, ',')
	}
	return append(b, obj[1:]...)
}

// appendDirectoryObject writes any directory object with its @odata.type; sel nil = defaults.
// The caller holds the read lock. ok is false for ids the directory does not know.
func (a *API) appendDirectoryObject(b []byte, id string, sel []string) ([]byte, bool) {
	switch a.t.objectType[id] {
	case TypeUser:
		return appendTyped(b, a.t.userByID[id], userProps, sel)
	case TypeGroup:
		return appendTyped(b, a.t.groupByID[id], groupProps, sel)
	case TypeDevice:
		return appendTyped(b, a.t.devices[id], deviceProps, sel)
	case TypeContact:
		return appendTyped(b, a.t.contacts[id], contactProps, sel)
	}
	return b, false
}

// appendTyped writes obj, if there is one, with the names of sel its type has.
func appendTyped[T any](b []byte, obj *T, props *propSet[T], sel []string) ([]byte, bool) {
	if obj == nil {
		return b, false
	}
	return props.appendObject(b, obj, props.lenientSelection(sel), true), true
}

// checkMixedSelect refuses $select names that no directory object type has.
func checkMixedSelect(sel []string) error {
	for _, s := range sel {
		if !userProps.has(s) && !groupProps.has(s) && !deviceProps.has(s) && !contactProps.has(s) {
			return errf(400, "BadRequest", "Parsing OData Select and Expand failed: Could not find a property named '%s' on type 'microsoft.graph.directoryObject'.", s)
		}
	}
	return nil
}

// parseRefList validates options on navigation collections (members, memberOf,
// membersWithLicenseErrors): $select, $top, $count and paging; no $filter, $search or $orderby.
func parseRefList(rq *request) (listQuery, error) {
	q, err := odata.ParseQuery(rq.query)
	if err != nil {
		return listQuery{}, err
	}
	if q.Filter != nil || q.Search != nil || q.OrderBy != nil {
		return listQuery{}, errf(400, "Request_UnsupportedQuery", "The simulated tenant supports only $select, $top and $count on this collection.")
	}
	if err := checkMixedSelect(q.Select); err != nil {
		return listQuery{}, err
	}
	return listQuery{Query: q, advanced: rq.eventual && q.Count}, nil
}

// writeRefPage pages through ids (all directory objects) for a navigation collection.
func (a *API) writeRefPage(rq *request, ctx string, lq listQuery, ids []string, keep func(id string) bool) error {
	pos, err := decodeSkip(rq, lq.SkipToken)
	if err != nil {
		return err
	}
	match := func(i int) bool { return keep(ids[i]) }
	hits, next := scan(len(ids), pos, lq.Top, match)
	total := -1
	if lq.advanced {
		total = countMatches(len(ids), match)
	}
	var items []byte
	for _, i := range hits {
		if len(items) > 0 {
			items = append(items, ',')
		}
		if lq.limited {
			items = append(items, `{"@odata.type":"#microsoft.graph.`...)
			items = append(items, a.t.objectType[ids[i]]...)
			items = append(items, `","id":`...)
			items = append(appendString(items, ids[i]), '}')
			continue
		}
		items, _ = a.appendDirectoryObject(items, ids[i], lq.Select)
	}
	return a.writePage(rq, ctx, lq, total, next, items)
}

// navigation serves a collection below one object (memberOf, members...): it validates the
// query and hands it to serve with the object, under the read lock.
func navigation[T any](a *API, rq *request, c directoryCollection[T], serve func(lq listQuery, obj *T) error) error {
	lq, err := parseRefList(rq)
	if err != nil {
		return err
	}
	return withObject(a, rq, c, func(obj *T) error { return serve(lq, obj) })
}

func (a *API) userMemberOf(rq *request) error {
	return navigation(a, rq, userCollection, func(lq listQuery, u *User) error {
		return a.writeRefPage(rq, "directoryObjects", lq, a.t.memberOf[u.ID], func(id string) bool { _, ok := a.t.groupByID[id]; return ok })
	})
}

// Groups.

// errorGroups is the set of groups with at least one member in license error for that group's
// licenses; the caller holds the read lock.
func (a *API) errorGroups() map[string]bool {
	out := map[string]bool{}
	for _, u := range a.t.users {
		for _, s := range u.LicenseStates {
			if s.AssignedByGroup != "" && isLicenseError(s.Error) {
				out[s.AssignedByGroup] = true
			}
		}
	}
	return out
}

func isLicenseError(e string) bool { return e != "" && !strings.EqualFold(e, "None") }

func (a *API) listGroups(rq *request) error  { return listObjects(a, rq, groupCollection) }
func (a *API) countGroups(rq *request) error { return countObjects(a, rq, groupCollection) }
func (a *API) getGroup(rq *request) error    { return getObject(a, rq, groupCollection) }

// memberContext is @odata.context of a members listing, by cast.
func memberContext(cast string) string {
	switch cast {
	case TypeUser:
		return "users"
	case TypeGroup:
		return "groups"
	case TypeDevice:
		return "devices"
	case TypeContact:
		return "contacts"
	}
	return "directoryObjects"
}

func (a *API) listMembers(rq *request) error {
	cast := rq.params[1]
	return navigation(a, rq, groupCollection, func(lq listQuery, g *Group) error {
		return a.writeRefPage(rq, memberContext(cast), lq, g.Members, func(id string) bool {
			return cast == "" || a.t.objectType[id] == cast
		})
	})
}

func (a *API) countMembers(rq *request) error {
	if !rq.eventual {
		return errCountUnsupported()
	}
	cast := rq.params[1]
	return navigation(a, rq, groupCollection, func(_ listQuery, g *Group) error {
		n := 0
		for _, id := range g.Members {
			if cast == "" || a.t.objectType[id] == cast {
				n++
			}
		}
		writeCount(rq, n)
		return nil
	})
}

func (a *API) listMembersWithErrors(rq *request) error {
	return navigation(a, rq, groupCollection, func(lq listQuery, g *Group) error {
		return a.writeRefPage(rq, "directoryObjects", lq, g.Members, func(id string) bool {
			u := a.t.userByID[id]
			if u == nil {
				return false
			}
			for _, s := range u.LicenseStates {
				if s.AssignedByGroup == g.ID && isLicenseError(s.Error) {
					return true
				}
			}
			return false
		})
	})
}

// Subscribed SKUs.

type skuJSON struct {
	AccountID        string         `json:"accountId"`
	AccountName      string         `json:"accountName"`
	AppliesTo        string         `json:"appliesTo"`
	CapabilityStatus string         `json:"capabilityStatus"`
	ConsumedUnits    int            `json:"consumedUnits"`
	ID               string         `json:"id"`
	SKUID            string         `json:"skuId"`
	SKUPartNumber    string         `json:"skuPartNumber"`
	SubscriptionIDs  []string       `json:"subscriptionIds"`
	PrepaidUnits     prepaidJSON    `json:"prepaidUnits"`
	ServicePlans     []planInfoJSON `json:"servicePlans"`
}

type prepaidJSON struct {
	Enabled   int `json:"enabled"`
	Suspended int `json:"suspended"`
	Warning   int `json:"warning"`
	LockedOut int `json:"lockedOut"`
}

type planInfoJSON struct {
	ServicePlanID      string `json:"servicePlanId"`
	ServicePlanName    string `json:"servicePlanName"`
	ProvisioningStatus string `json:"provisioningStatus"`
	AppliesTo          string `json:"appliesTo"`
}

// skuInfos snapshots the SKUs under the read lock; consumed units come from the engine after.
func (a *API) skuInfos() []skuJSON {
	a.t.Tick()
	a.t.mu.RLock()
	tenantID := strings.ToLower(a.t.ID)
	out := make([]skuJSON, 0, len(a.t.skus))
	for _, s := range a.t.skus {
		j := skuJSON{
			AccountID: tenantID, AccountName: a.t.DisplayName, AppliesTo: s.AppliesTo,
			CapabilityStatus: s.CapabilityStatus, ID: tenantID + "_" + strings.ToLower(s.ID),
			SKUID: strings.ToLower(s.ID), SKUPartNumber: s.PartNumber, SubscriptionIDs: a.t.subscriptionIDsOf(s.ID),
			PrepaidUnits: prepaidJSON(s.Prepaid), ServicePlans: make([]planInfoJSON, 0, len(s.Plans)),
		}
		for _, p := range s.Plans {
			j.ServicePlans = append(j.ServicePlans, planInfoJSON{
				ServicePlanID: strings.ToLower(p.ID), ServicePlanName: p.Name, ProvisioningStatus: "Success", AppliesTo: p.AppliesTo,
			})
		}
		out = append(out, j)
	}
	a.t.mu.RUnlock()
	for i := range out {
		out[i].ConsumedUnits = a.t.ConsumedUnits(out[i].SKUID)
	}
	return out
}

func (a *API) listSKUs(rq *request) error {
	q, err := odata.ParseQuery(rq.query)
	if err != nil {
		return err
	}
	if q.Filter != nil || q.Search != nil || q.OrderBy != nil || q.TopSet {
		return errf(400, "Request_UnsupportedQuery", "subscribedSkus supports only $select.")
	}
	skus := a.skuInfos()
	items := appendJoined(nil, skus, func(b []byte, s skuJSON) []byte { return appendValue(b, s) })
	c := collection{context: rq.base + "/$metadata#subscribedSkus", count: -1, items: items}
	writeJSON(rq.w, 200, c.bytes())
	return nil
}

func (a *API) getSKU(rq *request) error {
	key := strings.ToLower(rq.params[0])
	for _, s := range a.skuInfos() {
		if key == s.ID || key == s.SKUID {
			b := appendValue(nil, s)
			writeJSON(rq.w, 200, entity(rq, "subscribedSkus", b))
			return nil
		}
	}
	return resourceNotFound(rq.params[0])
}
