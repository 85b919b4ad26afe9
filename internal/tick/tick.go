// Package tick runs background work at an interval: the periodic refresh, the alerts'
// deliveries, the jobs' heartbeat, the IP range downloads and reloads share this one loop.
package tick

import (
	"context"
	"time"
)

// Every calls f every interval until ctx ends; the first call is one interval after the start.
func Every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}
