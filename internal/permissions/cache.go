package permissions

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Permission cache lifetimes: granted permissions change rarely (an admin consents in the
// portal), and a failed read is retried soon.
const (
	permTTL      = 10 * time.Minute
	permErrorTTL = 30 * time.Second
	// permFetchTimeout bounds one read of the granted permissions. The read runs detached
	// from the request that started it, so its answer serves everyone waiting for it.
	permFetchTimeout = 15 * time.Second
)

// cache keeps the app's granted Graph permissions for a while. At most one read runs at
// a time and the lock is never held across it, so a slow Graph does not queue every page
// behind the mutex.
type cache struct {
	fetch func(ctx context.Context) ([]string, error)

	mu       sync.Mutex
	granted  []string
	err      error     // the last read's failure, kept for permErrorTTL
	at       time.Time // of the last cached read; zero before the first
	inflight *flight
}

// flight is one read of the granted permissions; done is closed once granted and err
// are set.
type flight struct {
	done    chan struct{}
	granted []string
	err     error
}

// fresh reports whether the cached answer may be used at now. Call with mu held.
func (c *cache) fresh(now time.Time) bool {
	ttl := permTTL
	if c.err != nil {
		ttl = permErrorTTL
	}
	return !c.at.IsZero() && now.Sub(c.at) < ttl && now.After(c.at.Add(-time.Minute))
}

// get returns the granted permissions. When they must be read again, the caller joins the
// read in flight (starting one if none runs); a caller that finds a read running while an
// older good answer exists takes that answer instead of waiting. A caller whose context ends
// stops waiting; the read goes on for the others.
func (c *cache) get(ctx context.Context, now time.Time) ([]string, error) {
	c.mu.Lock()
	if c.fresh(now) {
		defer c.mu.Unlock()
		return c.granted, c.err
	}
	var stale []string
	hasStale := !c.at.IsZero() && c.err == nil
	if hasStale {
		stale = c.granted
	}
	f := c.inflight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		c.inflight = f
		go c.read(context.WithoutCancel(ctx), now, f)
	} else if hasStale {
		c.mu.Unlock()
		return stale, nil
	}
	c.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		if hasStale {
			return stale, nil
		}
		return nil, ctx.Err()
	}
	if isContextError(f.err) && hasStale {
		return stale, nil
	}
	return f.granted, f.err
}

// read runs one fetch and caches its answer, unless the answer is a context error: that says
// nothing about the permissions and must not hide them for the error's lifetime.
func (c *cache) read(ctx context.Context, now time.Time, f *flight) {
	ctx, cancel := context.WithTimeout(ctx, permFetchTimeout)
	defer cancel()
	f.granted, f.err = c.fetch(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight = nil
	if !isContextError(f.err) {
		c.granted, c.err, c.at = f.granted, f.err, now
	}
	close(f.done)
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
