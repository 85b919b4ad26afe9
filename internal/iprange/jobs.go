package iprange

import (
	"context"
	"sync"
	"time"
)

// Job is a download or import that a person started, as the IP lookup page shows it afterwards.
type Job struct {
	By       string // who started it
	Running  bool
	Started  time.Time
	Finished time.Time // zero while running
	Report   Report
	Err      error // a failure not tied to one source, or the first of them
}

// jobs remembers the last download and the last import people started.
type jobs struct {
	mu      sync.Mutex
	refresh *Job
	imp     *Job
}

// StartRefresh starts a download of every source in the background on ctx (pass one that
// outlives the request that asked for it), recorded as by's job, and calls done (if not nil)
// with the finished job; it reports false, starting nothing, when a download started this way
// is still running.
func (s *Service) StartRefresh(ctx context.Context, by string, done func(Job)) bool {
	s.jobs.mu.Lock()
	if s.jobs.refresh != nil && s.jobs.refresh.Running {
		s.jobs.mu.Unlock()
		return false
	}
	job := &Job{By: by, Running: true, Started: s.updater.now()}
	s.jobs.refresh = job
	s.jobs.mu.Unlock()
	go func() {
		rep, err := s.Refresh(ctx)
		if err != nil {
			s.updater.logger().Warn("ip range download started from the web failed for some sources", "err", err)
		}
		finished := Job{By: job.By, Started: job.Started, Finished: s.updater.now(), Report: rep, Err: err}
		if done != nil {
			done(finished) // before the page can show it ended: its record is there by then
		}
		s.jobs.mu.Lock()
		s.jobs.refresh = &finished
		s.jobs.mu.Unlock()
	}()
	return true
}

// ImportAs imports files (see Import) as by's job, which Jobs then reports. The import is short
// and must not stop half-way because a browser left: it ignores ctx's cancellation.
func (s *Service) ImportAs(ctx context.Context, by string, files ...ImportFile) (Report, error) {
	start := s.updater.now()
	rep, err := s.Import(context.WithoutCancel(ctx), files...)
	job := Job{By: by, Started: start, Finished: s.updater.now(), Report: rep, Err: err}
	s.jobs.mu.Lock()
	s.jobs.imp = &job
	s.jobs.mu.Unlock()
	return rep, err
}

// Jobs returns copies of the last download and the last import people started (nil when none),
// so a page can render them while a job finishes.
func (s *Service) Jobs() (refresh, imp *Job) {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	if s.jobs.refresh != nil {
		c := *s.jobs.refresh
		refresh = &c
	}
	if s.jobs.imp != nil {
		c := *s.jobs.imp
		imp = &c
	}
	return refresh, imp
}
