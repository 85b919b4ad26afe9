package iprange

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/tick"
)

// Service serves lookups from the current index and replaces it, atomically, after a refresh or
// import changed the stored sources. Lookups never wait for a refresh.
type Service struct {
	updater *Updater
	idx     atomic.Pointer[Index]
	stamp   atomic.Pointer[string] // the store's IPSourcesStamp when idx was built

	mu      sync.Mutex         // serialises Refresh, Import and Reload
	errMu   sync.Mutex         // guards lastErr
	lastErr map[string]failure // last refresh failure per source key, cleared on success

	jobs jobs // started by people, for the page
}

// NewService loads the stored sources into an index. Sources that do not parse are logged and
// left out (their status carries the error); only a failure to read the store is an error.
func NewService(ctx context.Context, u *Updater) (*Service, error) {
	if u == nil || u.Store == nil {
		return nil, errors.New("ip range service: an updater with a store is required")
	}
	s := &Service{updater: u, lastErr: map[string]failure{}}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload rebuilds the index from the store and swaps it in.
func (s *Service) Reload(ctx context.Context) error {
	// The stamp first: a source saved between the two reads is seen again next time.
	stamp, err := s.updater.Store.IPSourcesStamp(ctx)
	if err != nil {
		return fmt.Errorf("load ip ranges: %w", err)
	}
	srcs, err := s.updater.Store.IPSources(ctx)
	if err != nil {
		return fmt.Errorf("load ip ranges: %w", err)
	}
	s.stamp.Store(&stamp)
	idx, err := Build(srcs)
	if err != nil {
		// Keep serving what did parse; the status shows the rest.
		s.updater.logger().Warn("some stored ip range sources could not be loaded", "err", err)
	}
	s.idx.Store(idx)
	return nil
}

// ReloadIfChanged rebuilds the index when the stored sources changed since it was built: by
// another process on the same database (`tenantdesk ip import` into a running server's data
// directory). It reports whether it did. One small query when nothing changed.
func (s *Service) ReloadIfChanged(ctx context.Context) (bool, error) {
	stamp, err := s.updater.Store.IPSourcesStamp(ctx)
	if err != nil {
		return false, err
	}
	if p := s.stamp.Load(); p != nil && *p == stamp {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.stamp.Load(); p != nil && *p == stamp { // another caller got here first
		return false, nil
	}
	if err := s.Reload(ctx); err != nil {
		return false, err
	}
	s.updater.logger().Info("ip range sources changed in the store; index rebuilt")
	return true, nil
}

// Watch calls ReloadIfChanged every interval until ctx ends, so data another process stored
// is served without a restart.
func (s *Service) Watch(ctx context.Context, interval time.Duration) {
	tick.Every(ctx, interval, func() {
		if _, err := s.ReloadIfChanged(ctx); err != nil && ctx.Err() == nil {
			s.updater.logger().Warn("ip range sources: cannot check the store for new data", "err", err)
		}
	})
}

// Index returns the current index (never nil after NewService).
func (s *Service) Index() *Index { return s.idx.Load() }

// Lookup looks addr up in the current index; see Index.Lookup.
func (s *Service) Lookup(addr netip.Addr) []Match { return s.idx.Load().Lookup(addr) }

// LookupHost looks host up in the current index; see Index.LookupHost.
func (s *Service) LookupHost(host string) []Match { return s.idx.Load().LookupHost(host) }

// Refresh downloads what changed (see Updater.Refresh) and swaps in a new index if anything did.
func (s *Service) Refresh(ctx context.Context) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep, err := s.updater.Refresh(ctx)
	s.recordErrors(rep)
	return rep, s.reloadIfChanged(ctx, rep, err)
}

// Import imports files (see Updater.Import) and swaps in a new index if anything changed.
func (s *Service) Import(ctx context.Context, files ...ImportFile) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep, err := s.updater.Import(ctx, files...)
	return rep, s.reloadIfChanged(ctx, rep, err)
}

// ImportDir imports the *.json files of a folder.
func (s *Service) ImportDir(ctx context.Context, dir string) (Report, error) {
	files, err := ReadImportDir(dir)
	if err != nil {
		return Report{}, err
	}
	return s.Import(ctx, files...)
}

func (s *Service) reloadIfChanged(ctx context.Context, rep Report, err error) error {
	if rep.Changed() {
		if rerr := s.Reload(ctx); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

func (s *Service) recordErrors(rep Report) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	for _, r := range rep.Results {
		key := sourceKey(r.Kind, r.Instance)
		if r.Err != nil {
			s.lastErr[key] = failure{msg: r.Err.Error(), at: s.updater.now()}
		} else {
			delete(s.lastErr, key)
		}
	}
}

// failure is a refresh that failed for one source.
type failure struct {
	msg string
	at  time.Time
}

// Status lists every known source (the four Microsoft 365 instances, then the three Azure
// clouds) and any other loaded one. A source never downloaded has a zero FetchedAt; Err holds
// the last refresh failure, or why the stored copy could not be loaded.
func (s *Service) Status() []SourceStatus {
	loaded := s.idx.Load().Sources()
	byKey := make(map[string]SourceStatus, len(loaded))
	for _, st := range loaded {
		byKey[sourceKey(st.Kind, st.Instance)] = st
	}
	var out []SourceStatus
	add := func(k Kind, instance string) {
		key := sourceKey(k, instance)
		st, ok := byKey[key]
		if !ok {
			st = SourceStatus{Kind: k, Instance: instance}
		}
		delete(byKey, key)
		s.errMu.Lock()
		if e, ok := s.lastErr[key]; ok {
			st.Err, st.ErrAt = e.msg, e.at
		}
		s.errMu.Unlock()
		out = append(out, st)
	}
	for _, inst := range M365Instances {
		add(KindM365, inst)
	}
	for _, c := range Clouds {
		add(KindServiceTags, c.Name)
	}
	for _, st := range loaded {
		if _, ok := byKey[sourceKey(st.Kind, st.Instance)]; ok {
			add(st.Kind, st.Instance)
		}
	}
	return out
}

// Run refreshes every interval until ctx ends, starting at once when the data is older than
// interval or missing. Failures are logged; the previous data stays in use. Intervals under an
// hour are raised to an hour: endpoints.office.com asks clients not to check more often.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	interval = max(interval, time.Hour)
	log := s.updater.logger()
	if s.stale(interval) {
		s.refreshLogged(ctx, log)
	}
	tick.Every(ctx, interval, func() { s.refreshLogged(ctx, log) })
}

func (s *Service) stale(interval time.Duration) bool {
	now := s.updater.now()
	for _, st := range s.Status() {
		if st.CheckedAt.IsZero() || now.Sub(st.CheckedAt) >= interval {
			return true
		}
	}
	return false
}

func (s *Service) refreshLogged(ctx context.Context, log *slog.Logger) {
	rep, err := s.Refresh(ctx)
	if err != nil && ctx.Err() == nil {
		log.Warn("ip range refresh failed for some sources; previous data kept", "err", err)
	}
	if rep.Changed() {
		log.Info("ip range index rebuilt")
	}
}
