package assign

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// Results keeps recent results for the page shown after the form that ran them, so that a
// reload of that page does not repeat the operation. A result is shown only to the person who
// ran it (it names users and Graph's messages, and its token travels in a URL that may be shared
// or logged) and only for ResultTTL; beyond MaxResults the oldest go first. The zero value is
// ready to use and safe for concurrent use.
type Results struct {
	mu    sync.Mutex
	m     map[string]storedResult
	order []string // tokens, oldest first
}

type storedResult struct {
	owner string // the UPN of who ran it
	at    time.Time
	res   Result
}

// Bounds of Results.
const (
	MaxResults = 200
	ResultTTL  = 30 * time.Minute
)

// Put stores res, run by owner at now, and returns its token.
func (rs *Results) Put(owner string, res Result, now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	token := hex.EncodeToString(b[:])
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.m == nil {
		rs.m = map[string]storedResult{}
	}
	rs.m[token] = storedResult{owner: owner, at: now, res: res}
	rs.order = append(rs.order, token)
	for len(rs.order) > 0 {
		oldest, ok := rs.m[rs.order[0]]
		if ok && len(rs.order) <= MaxResults && !expired(oldest, now) {
			break
		}
		delete(rs.m, rs.order[0])
		rs.order = rs.order[1:]
	}
	return token
}

// expired reports whether r is too old at now; a clock that went back also ends it.
func expired(r storedResult, now time.Time) bool {
	return now.Sub(r.at) > ResultTTL || now.Before(r.at.Add(-time.Minute))
}

// Get returns the result stored under token for groupID, when owner ran it and it has not
// expired at now.
func (rs *Results) Get(groupID, owner, token string, now time.Time) (Result, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	r, ok := rs.m[token]
	if !ok || r.res.GroupID != groupID || !strings.EqualFold(r.owner, owner) || expired(r, now) {
		return Result{}, false
	}
	return r.res, true
}
