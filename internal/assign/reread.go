package assign

import (
	"context"
	"errors"
	"sync"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// reread is a user as re-read from Graph, or why that failed.
type reread struct {
	user model.User
	err  error
}

// rereadWorkers bounds concurrent single-user reads; the Graph client shares one throttle gate.
const rereadWorkers = 8

// usersPerPage is how many users one page of GET /users returns at most ($top=999).
const usersPerPage = 999

// reread reads users from Graph, keyed by normalised id. Few users are read one by one; many
// are picked from one pass over all users (999 a page), which costs fewer requests than one read
// each once there are more users than a handful of pages.
func (s *Service) reread(ctx context.Context, ids []string) map[string]reread {
	out := make(map[string]reread, len(ids))
	if len(ids) == 0 {
		return out
	}
	pages := 1
	if o, err := s.store.Overview(ctx); err == nil {
		pages = o.Users/usersPerPage + 1
	}
	if len(ids) > max(16, 2*pages) {
		return s.rereadByScan(ctx, ids)
	}
	var mu sync.Mutex
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range min(rereadWorkers, len(ids)) {
		wg.Go(func() {
			for id := range jobs {
				u, err := s.graph.User(ctx, id)
				mu.Lock()
				out[model.NormalizeID(id)] = reread{user: u, err: err}
				mu.Unlock()
			}
		})
	}
	for _, id := range ids {
		jobs <- id
	}
	close(jobs)
	wg.Wait()
	return out
}

// rereadByScan picks the users from one pass over every user of the tenant.
func (s *Service) rereadByScan(ctx context.Context, ids []string) map[string]reread {
	out := make(map[string]reread, len(ids))
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[model.NormalizeID(id)] = true
	}
	err := s.graph.Users(ctx, func(page []model.User) error {
		for _, u := range page {
			if k := model.NormalizeID(u.ID); want[k] {
				out[k] = reread{user: u}
			}
		}
		return nil
	})
	gone := errors.New("the user is no longer in the directory")
	for k := range want {
		if _, ok := out[k]; ok {
			continue
		}
		if err != nil {
			out[k] = reread{err: err}
		} else {
			out[k] = reread{err: gone}
		}
	}
	return out
}
