package live

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Defaults of a Guard (the settings TENANTDESK_GRAPH_LIVE_TIMEOUT and _RETRY).
const (
	DefaultTimeout = 2 * time.Second
	DefaultPause   = 30 * time.Second
)

// Guard bounds what pages wait for Microsoft Graph. Each read gets Timeout; when Graph does not
// answer one (the timeout, 5xx, throttling past the client's retries, a dropped connection), the
// guard opens: for Pause every read fails at once with a *model.NotAnsweringError, so a failing
// Graph costs a page at most one Timeout and the pages after it nothing, then one read is let
// through to try again (a circuit breaker). Answers that are Graph's own (not found,
// forbidden, bad request) keep it closed. The zero value is not usable: use NewGuard. It is
// safe for concurrent use.
type Guard struct {
	timeout, pause time.Duration
	now            func() time.Time

	mu        sync.Mutex
	openUntil time.Time // reads fail at once before this
	since     time.Time // when Graph last failed to answer
	trial     bool      // a read is trying again after the pause
}

// NewGuard returns a guard with the limits (0 means the defaults) and clock (nil: time.Now).
func NewGuard(timeout, pause time.Duration, now func() time.Time) *Guard {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if pause <= 0 {
		pause = DefaultPause
	}
	if now == nil {
		now = time.Now
	}
	return &Guard{timeout: timeout, pause: pause, now: now}
}

// Timeout is the limit of one read.
func (g *Guard) Timeout() time.Duration { return g.timeout }

// Do runs read within the guard: at once a *model.NotAnsweringError while it is open, else
// read with a deadline of Timeout, whose failure to answer opens it.
func (g *Guard) Do(ctx context.Context, read func(ctx context.Context) error) error {
	if err := g.enter(); err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	err := read(rctx)
	if ctx.Err() != nil {
		g.leave(outcomeUnknown) // the page went away: says nothing about Graph
		return err
	}
	notAnswering := errors.Is(err, context.DeadlineExceeded) || rctx.Err() != nil || unanswered(err)
	if notAnswering {
		g.leave(outcomeNotAnswering)
	} else {
		g.leave(outcomeAnswered)
	}
	if notAnswering {
		return &model.NotAnsweringError{Timeout: g.timeout, Since: g.now(), RetryAt: g.now().Add(g.pause)}
	}
	return err
}

// unanswered reports whether err is Graph not answering (rather than answering no).
func unanswered(err error) bool {
	var ge *model.GraphError
	if !errors.As(err, &ge) {
		return false
	}
	return ge.Kind == model.GraphTransient || ge.Kind == model.GraphThrottled
}

func (g *Guard) enter() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if now.Before(g.openUntil) {
		return &model.NotAnsweringError{Since: g.since, RetryAt: g.openUntil}
	}
	if !g.openUntil.IsZero() {
		if g.trial { // one read tries again; the others wait for its answer
			return &model.NotAnsweringError{Since: g.since, RetryAt: now.Add(g.timeout)}
		}
		g.trial = true
	}
	return nil
}

// outcome is what a read said about Graph.
type outcome int

const (
	outcomeUnknown      outcome = iota // the page went away first
	outcomeAnswered                    // Graph answered, even if with an error of its own
	outcomeNotAnswering                // Graph did not answer
)

func (g *Guard) leave(o outcome) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.trial = false
	switch o {
	case outcomeNotAnswering:
		g.since = g.now()
		g.openUntil = g.since.Add(g.pause)
	case outcomeAnswered:
		g.openUntil = time.Time{}
	}
}
