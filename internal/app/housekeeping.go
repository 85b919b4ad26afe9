package app

import (
	"context"
	"fmt"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// HousekeepingInterval is how often old activity entries, finished jobs and ended sessions
// are deleted.
const HousekeepingInterval = time.Hour

// housekeeping keeps the database from growing without bound until ctx ends: at start, then
// every HousekeepingInterval.
func (a *App) housekeeping(ctx context.Context) {
	t := time.NewTicker(HousekeepingInterval)
	defer t.Stop()
	for {
		if err := a.Prune(ctx); err != nil && ctx.Err() == nil {
			a.Logger.Warn("housekeeping", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Prune deletes activity entries and finished jobs older than TENANTDESK_ACTIVITY_RETENTION
// (recording how many in the activity log), and sessions past their idle or absolute timeout.
func (a *App) Prune(ctx context.Context) error {
	now := time.Now()
	cut := now.Add(-a.Config.ActivityRetention)
	entries, err := a.Store.PruneActivity(ctx, cut)
	if err != nil {
		return err
	}
	jobs, err := a.Store.PruneJobs(ctx, cut)
	if err != nil {
		return err
	}
	if entries > 0 || jobs > 0 {
		detail := fmt.Sprintf("%d activity entries and %d finished jobs older than %s (before %s) deleted",
			entries, jobs, retention(a.Config.ActivityRetention), cut.UTC().Format(time.DateOnly))
		if err := a.Store.AddActivity(ctx, model.Activity{ActorName: "tenantdesk (retention)", Action: model.ActionActivityPrune,
			Result: model.ActivityOK, Detail: detail}); err != nil {
			return err
		}
		a.Logger.Info("housekeeping: pruned", "activity", entries, "jobs", jobs)
	}
	if _, err := a.Store.PruneSessions(ctx, now.Add(-a.Config.SessionIdle), now.Add(-a.Config.SessionMaxAge)); err != nil {
		return err
	}
	return nil
}

// retention is a retention period in words: "400 days".
func retention(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
