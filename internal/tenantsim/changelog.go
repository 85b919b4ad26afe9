package tenantsim

import (
	"slices"
	"time"
)

// The change log is what delta queries read: every change to a user's or a group's properties,
// every object created or deleted and every membership change, in order, each with a sequence
// number. The engine writes it where it changes the directory; GET /users/delta and
// /groups/delta report what was logged after a token's sequence number.
//
// What is logged follows Graph's documentation of delta queries:
//   - users: every property the engine changes, by its Graph name, EXCEPT licenseAssignmentStates
//     ("Changes to the licenseAssignmentStates property are currently not tracked", user: delta).
//     A user whose license states change because a group was processed, units were bought or a
//     reprocess resolved an error is not in the next delta unless assignedLicenses changed too;
//   - groups: properties (assignedLicenses, licenseProcessingState, ...) and membership
//     ("members@delta"), each member added or removed.

// changeKind says what a change log entry records.
type changeKind uint8

const (
	changeProps         changeKind = iota // properties of the object changed
	changeCreated                         // the object was created
	changeRemoved                         // the object was deleted
	changeMemberAdded                     // a member joined the group
	changeMemberRemoved                   // a member left the group
)

// change is one entry of the change log.
type change struct {
	seq  int64
	typ  string // TypeUser or TypeGroup
	id   string
	kind changeKind
	// props are the Graph names of the properties that changed (changeProps).
	props []string
	// member and memberType name the member of a membership change (its type is kept because
	// a deleted member is gone from the directory when the change is read).
	member, memberType string
}

// maxLogEntries bounds the change log; past it the oldest half is dropped, and delta tokens
// from before what is left answer 410 (resync), as an expired token does in Graph.
const maxLogEntries = 1 << 21

// changeLog is the tenant's change log. Its epoch changes when the tenant is reset, which makes
// every token issued before unusable.
type changeLog struct {
	on      bool // off while the tenant is generated: a new tenant has no history
	epoch   string
	seq     int64
	entries []change // in seq order
	trimmed int64    // entries up to this seq were dropped
}

// record appends an entry; the caller holds t.mu for writing.
func (t *Tenant) record(c change) {
	l := &t.changes
	if !l.on {
		return
	}
	l.seq++
	c.seq = l.seq
	l.entries = append(l.entries, c)
	if len(l.entries) > maxLogEntries {
		half := len(l.entries) / 2
		l.trimmed = l.entries[half-1].seq
		l.entries = slices.Clone(l.entries[half:])
	}
}

// changedProps logs that properties of an object changed.
func (t *Tenant) changedProps(typ, id string, props ...string) {
	if len(props) > 0 {
		t.record(change{typ: typ, id: id, kind: changeProps, props: props})
	}
}

// memberChanged logs that member joined (added) or left group g.
func (t *Tenant) memberChanged(g *Group, member string, added bool) {
	kind := changeMemberRemoved
	if added {
		kind = changeMemberAdded
	}
	t.record(change{typ: TypeGroup, id: g.ID, kind: kind, member: member, memberType: t.objectType[member]})
}

// startLog turns logging on with a fresh epoch, once the tenant is generated.
func (t *Tenant) startLog() {
	t.changes = changeLog{on: true, epoch: newGUID()[:8]}
}

// logPosition is the current sequence number and the epoch; the caller holds t.mu.
func (t *Tenant) logPosition() (seq int64, epoch string) { return t.changes.seq, t.changes.epoch }

// changesAfter calls fn with every entry after since up to upto; the caller holds t.mu.
func (t *Tenant) changesAfter(since, upto int64, fn func(c *change)) {
	es := t.changes.entries
	i, _ := slices.BinarySearchFunc(es, since+1, func(c change, seq int64) int {
		switch {
		case c.seq < seq:
			return -1
		case c.seq > seq:
			return 1
		}
		return 0
	})
	for ; i < len(es) && es[i].seq <= upto; i++ {
		fn(&es[i])
	}
}

// tracked reports whether a properties entry concerns the selection: every property when sel
// is nil (no $select), else one of the selected ones (Graph tracks only those, "If a change
// occurs to a property that is not selected, the resource ... does not appear").
func (c *change) tracked(sel []string) bool {
	if sel == nil {
		return true
	}
	for _, p := range c.props {
		if containsFold(sel, p) {
			return true
		}
	}
	return false
}

// deltaTokenLifetime is how long a delta token stays valid: "For directory objects, the limit
// is seven days" (delta query overview, token duration).
const deltaTokenLifetime = 7 * 24 * time.Hour
