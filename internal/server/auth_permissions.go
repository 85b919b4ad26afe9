package server

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// Permission cache lifetimes: granted permissions change rarely (an admin consents in the
// portal), and a failed read is retried sooner.
const (
	permTTL      = 10 * time.Minute
	permErrorTTL = time.Minute
)

// permCache keeps the app's granted Graph permissions for a while.
type permCache struct {
	fetch func(ctx context.Context) ([]string, error)

	mu      sync.Mutex
	granted []string
	err     error
	at      time.Time
}

func (c *permCache) get(ctx context.Context, now time.Time) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ttl := permTTL
	if c.err != nil {
		ttl = permErrorTTL
	}
	if !c.at.IsZero() && now.Sub(c.at) < ttl && now.After(c.at.Add(-time.Minute)) {
		return c.granted, c.err
	}
	c.granted, c.err = c.fetch(ctx)
	c.at = now
	return c.granted, c.err
}

// missingPermission returns the first of perms the app was not granted, "" when all are. When
// the granted list cannot be read the first one is reported: an action must not be offered
// (or run) on a guess. Without Deps.Permissions everything counts as granted.
func (s *Server) missingPermission(ctx context.Context, perms ...string) string {
	if s.perms.fetch == nil || len(perms) == 0 {
		return ""
	}
	granted, err := s.perms.get(ctx, s.now())
	if err != nil {
		s.log.WarnContext(ctx, "granted permissions unknown", "err", err)
		return perms[0]
	}
	for _, p := range perms {
		if !slices.ContainsFunc(granted, func(g string) bool { return strings.EqualFold(g, p) }) {
			return p
		}
	}
	return ""
}
