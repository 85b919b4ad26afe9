package tick

import (
	"context"
	"testing"
	"time"
)

// Every calls f at its interval and returns when the context ends.
func TestEvery(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := make(chan struct{}, 10)
	done := make(chan struct{})
	go func() {
		Every(ctx, time.Millisecond, func() { calls <- struct{}{} })
		close(done)
	}()
	for range 3 {
		select {
		case <-calls:
		case <-time.After(10 * time.Second):
			t.Fatal("f was not called")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Every did not return when the context ended")
	}
}
