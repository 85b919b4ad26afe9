package permissions

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// blockingFetch is a permission read that waits for release and counts its calls.
type blockingFetch struct {
	calls   atomic.Int32
	release chan struct{}
	granted []string
}

func (b *blockingFetch) fetch(ctx context.Context) ([]string, error) {
	b.calls.Add(1)
	select {
	case <-b.release:
		return b.granted, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// testNow is the clock of these tests.
var testNow = time.Date(2026, 3, 4, 10, 5, 0, 0, time.UTC)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPermCacheOneReadAtATime(t *testing.T) {
	b := &blockingFetch{release: make(chan struct{}), granted: []string{"Group.Read.All"}}
	c := &cache{fetch: b.fetch}
	var wg sync.WaitGroup
	results := make([][]string, 5)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = c.get(context.Background(), testNow)
		}()
	}
	waitFor(t, "the read to start", func() bool { return b.calls.Load() >= 1 })
	time.Sleep(20 * time.Millisecond) // let the other callers arrive while it runs
	close(b.release)
	wg.Wait()
	if n := b.calls.Load(); n != 1 {
		t.Errorf("%d reads for 5 concurrent callers, want 1", n)
	}
	for i, r := range results {
		if !slices.Equal(r, b.granted) {
			t.Errorf("caller %d got %v", i, r)
		}
	}
}

func TestPermCacheStaleAnswerDoesNotWaitForTheRead(t *testing.T) {
	b := &blockingFetch{release: make(chan struct{}), granted: []string{"New.All"}}
	c := &cache{fetch: b.fetch, granted: []string{"Old.All"}, at: testNow}
	later := testNow.Add(permTTL + time.Minute)
	first := make(chan []string, 1)
	go func() {
		g, _ := c.get(context.Background(), later)
		first <- g
	}()
	waitFor(t, "the read to start", func() bool { return b.calls.Load() == 1 })
	// The lock is not held across the read: another caller gets the older answer at once.
	second := make(chan []string, 1)
	go func() {
		g, _ := c.get(context.Background(), later)
		second <- g
	}()
	select {
	case g := <-second:
		if !slices.Equal(g, []string{"Old.All"}) {
			t.Errorf("second caller got %v, want the stale answer", g)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a second caller waited for the slow read (lock held across the fetch?)")
	}
	close(b.release)
	if g := <-first; !slices.Equal(g, []string{"New.All"}) {
		t.Errorf("the caller that started the read got %v", g)
	}
	if g, _ := c.get(context.Background(), later); !slices.Equal(g, []string{"New.All"}) || b.calls.Load() != 1 {
		t.Errorf("after the read: %v, %d reads", g, b.calls.Load())
	}
}

func TestPermCacheIgnoresTheCallersCancellation(t *testing.T) {
	var calls atomic.Int32
	var deadline time.Duration
	c := &cache{fetch: func(ctx context.Context) ([]string, error) {
		calls.Add(1)
		if d, ok := ctx.Deadline(); ok {
			deadline = time.Until(d)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return []string{"Group.Read.All"}, nil
	}}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	// The browser went away: this caller may get its own context's error, but the read runs
	// detached and its answer is kept for the next one.
	if g, err := c.get(gone, testNow); err != nil && !errors.Is(err, context.Canceled) || err == nil && len(g) != 1 {
		t.Errorf("cancelled caller: %v, %v", g, err)
	}
	waitFor(t, "the read to finish", func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.inflight == nil && calls.Load() == 1 })
	g, err := c.get(context.Background(), testNow)
	if err != nil || !slices.Equal(g, []string{"Group.Read.All"}) || calls.Load() != 1 {
		t.Errorf("next caller: %v, %v, %d reads", g, err, calls.Load())
	}
	if deadline <= 0 || deadline > permFetchTimeout {
		t.Errorf("the read's deadline is %v away, want at most %v", deadline, permFetchTimeout)
	}
}

func TestPermCacheNeverCachesAContextError(t *testing.T) {
	var calls atomic.Int32
	c := &cache{fetch: func(context.Context) ([]string, error) {
		if calls.Add(1) == 1 {
			return nil, context.DeadlineExceeded
		}
		return []string{"Group.Read.All"}, nil
	}}
	if _, err := c.get(context.Background(), testNow); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("first read: %v", err)
	}
	if g, err := c.get(context.Background(), testNow); err != nil || len(g) != 1 || calls.Load() != 2 {
		t.Errorf("a timed-out read was cached: %v, %v, %d reads", g, err, calls.Load())
	}
}

func TestPermCacheWaiterGivesUpWithItsContext(t *testing.T) {
	b := &blockingFetch{release: make(chan struct{})}
	defer close(b.release)
	c := &cache{fetch: b.fetch}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.get(ctx, testNow)
		done <- err
	}()
	waitFor(t, "the read to start", func() bool { return b.calls.Load() == 1 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the caller kept waiting after its context ended")
	}
}
