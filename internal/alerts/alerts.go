// Package alerts tells the helpdesk when licensing breaks, before users call: after every
// refresh (full or incremental) its rules look at the snapshot and the sync runs, and an alert
// fires once when a condition starts, is told again at most every Repeat while it lasts and is
// "resolved" when it ends. Notifications go through an outbox in the store: written with the
// alert in one transaction, delivered to each channel (webhooks: Teams Adaptive Card, Slack,
// generic JSON) with retries and backoff, every attempt recorded, so nothing is lost while a
// channel is down.
package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/health"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Data is what the rules read of the snapshot and the sync runs. *store.Store implements it.
type Data interface {
	SKUs(ctx context.Context) ([]model.SKUUsage, error)
	EachGroupReportRow(ctx context.Context, q model.GroupReportQuery, fn func(model.GroupReportRow) error) error
	RecentSyncRuns(ctx context.Context, limit int) ([]model.SyncRun, error)
}

// Store keeps the alerts, their settings and the outbox. *store.Store implements it.
type Store interface {
	OpenAlerts(ctx context.Context) ([]model.OpenAlert, error)
	RecordAlerts(ctx context.Context, changes []model.AlertChange) error
	AlertRuleSettings(ctx context.Context) (map[string]model.AlertRuleSettings, error)
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]model.AlertDelivery, error)
	AlertDelivery(ctx context.Context, id int64) (model.AlertDelivery, error)
	ClaimDelivery(ctx context.Context, id int64, now, until time.Time) (bool, error)
	ReleaseDeliveries(ctx context.Context, channelID int64, now time.Time) error
	RecordAttempt(ctx context.Context, id int64, at time.Time, statusCode int, errText string, next time.Time) error
	PostponeDeliveries(ctx context.Context, channelID int64, until time.Time) error
}

// runsRead is how many sync runs the rules see: more than any "failed in a row" threshold
// allows, counting cancelled ones in between.
const runsRead = 200

// Engine evaluates the rules and delivers the notifications. It is safe for concurrent use.
type Engine struct {
	data Data
	st   Store
	log  *slog.Logger
	// Now is the clock.
	Now func() time.Time
	// Repeat is how often a lasting alert is told again (0 means DefaultRepeat; negative never).
	Repeat time.Duration
	// BaseURL is the dashboard's public address, for the links in notifications.
	BaseURL string
	// Sender delivers to channels (nil means a Sender with its defaults).
	Sender *Sender
	// Errors reads the users in error for the cause rule (nil: it does not run).
	Errors Errors
	// Health computes the license health report for the health rules (nil: they do not run).
	Health Health
	// Backoff is the wait before the next attempt after n failed ones (nil means DefaultBackoff).
	Backoff func(n int) time.Duration

	evalMu    sync.Mutex // one evaluation at a time: two would fire the same alert twice
	deliverMu sync.Mutex
	running   sync.WaitGroup // AfterSync and Run, for Wait
}

// New returns an Engine reading data and keeping its state in st; logger may be nil.
func New(data Data, st Store, logger *slog.Logger) (*Engine, error) {
	if data == nil || st == nil {
		return nil, errors.New("alerts: the snapshot data and the store are required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{data: data, st: st, log: logger, Now: time.Now}, nil
}

func (e *Engine) link(path string) string { return joinURL(e.BaseURL, path) }

// Wait returns when no AfterSync or Run is working: a server shutting down waits for it before
// it closes the store, so what was sent is recorded.
func (e *Engine) Wait() { e.running.Wait() }

// joinURL is path on the dashboard at base ("" gives the path alone).
func joinURL(base, path string) string { return strings.TrimRight(base, "/") + path }

// AfterSync is the Syncer's hook: it evaluates the rules after a run, whatever its outcome (a
// failed one counts towards "refresh failing"), then delivers what is due. Failures are logged:
// a refresh is never failed by its alerts.
func (e *Engine) AfterSync(ctx context.Context, run model.SyncRun) {
	e.running.Add(1)
	defer e.running.Done()
	ctx = context.WithoutCancel(ctx) // a cancelled sync still counts, and its alerts are told
	if _, err := e.Evaluate(ctx); err != nil {
		e.log.Error("alerts not evaluated", "run", run.ID, "err", err)
	}
	if _, err := e.Deliver(ctx); err != nil {
		e.log.Error("alerts not delivered", "err", err)
	}
}

// Evaluate runs every rule that is on over the current data and records what changed; it
// returns the changes. Alerts of a rule switched off are resolved; those of a rule whose data
// could not be read (no snapshot yet) are left as they are.
func (e *Engine) Evaluate(ctx context.Context) ([]model.AlertChange, error) {
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	stored, err := e.st.AlertRuleSettings(ctx)
	if err != nil {
		return nil, err
	}
	in := &Input{BaseURL: e.BaseURL}
	haveSnapshot := true
	if in.SKUs, err = e.data.SKUs(ctx); errors.Is(err, model.ErrNotFound) {
		haveSnapshot = false
	} else if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	if haveSnapshot {
		err = e.data.EachGroupReportRow(ctx, model.GroupReportQuery{}, func(r model.GroupReportRow) error {
			in.Groups = append(in.Groups, r)
			return nil
		})
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return nil, fmt.Errorf("alerts: %w", err)
		}
	}
	if in.Runs, err = e.data.RecentSyncRuns(ctx, runsRead); err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	settings := map[string]Settings{}
	rules := Rules()
	needHealth, needUsers, horizon, stuckHours := false, false, 0, 0
	for _, r := range rules {
		s := r.Defaults()
		if st, ok := stored[r.Name]; ok {
			if _, err := r.ParseSettings(st); err != nil {
				e.log.Warn("alert rule settings partly unreadable; the rest in force", "rule", r.Name, "err", err)
			}
			s = r.StoredSettings(st)
		}
		settings[r.Name] = s
		needHealth = needHealth || (s.Enabled && r.Health)
		if r.Name == RuleSubscriptions && s.Enabled {
			horizon = s.Thresholds["days"]
		}
		needUsers = needUsers || (s.Enabled && r.Name == RuleWaste)
		if r.Name == RuleStuck && s.Enabled {
			stuckHours = s.Thresholds["hours"]
		}
	}
	now := e.Now()
	in.Now = now
	if needHealth && haveSnapshot && e.Health != nil {
		// Without the waste rule, the report skips reading every licensed user: at 50,000 users
		// that is 1.2 s of an evaluation's 1.3 s (BenchmarkEvaluate).
		rep, err := e.Health.Report(ctx, health.Options{HorizonDays: horizon, SkipUsers: !needUsers,
			StuckAfter: time.Duration(stuckHours) * time.Hour})
		if err != nil {
			// The other rules still run; the health rules' alerts stay as they are.
			e.log.Warn("license health not computed for alerts", "err", err)
		} else {
			in.Health = &rep
		}
	}
	if s := settings[RuleErrorCause]; s.Enabled && haveSnapshot && e.Errors != nil {
		if in.Causes, in.UserNames, err = loadCauses(ctx, e.Errors); err != nil {
			in.Causes = nil
			e.log.Warn("users in error not read for alerts", "err", err)
		}
	}
	evaluated := map[string]bool{}
	var holding []model.AlertCondition
	for _, r := range rules {
		s, ok := settings[r.Name]
		switch {
		case !ok:
			continue
		case !s.Enabled:
			evaluated[r.Name] = true // nothing holds: its open alerts are resolved
			continue
		case r.Snapshot && !haveSnapshot, r.Health && in.Health == nil, r.usable != nil && !r.usable(in):
			continue // its data could not be read: its alerts stay as they are
		}
		evaluated[r.Name] = true
		holding = append(holding, r.eval(in, s.Thresholds)...)
	}
	open, err := e.st.OpenAlerts(ctx)
	if err != nil {
		return nil, err
	}
	repeat := e.Repeat
	if repeat == 0 {
		repeat = DefaultRepeat
	}
	changes := Step(open, holding, evaluated, now, repeat)
	for i, c := range changes {
		if s := settings[c.Message.Rule]; c.Message.Kind == model.AlertResolved && !s.Enabled {
			// Not resolved: no longer watched. Say so rather than "no longer holds".
			r, _ := RuleByName(c.Message.Rule)
			changes[i].Message.Title = "No longer watched: " + strings.TrimPrefix(c.Message.Title, "Resolved: ")
			changes[i].Message.Summary = "The rule " + r.Title + " was switched off, so tenantdesk no longer tells whether this still holds."
		}
	}
	if err := e.st.RecordAlerts(ctx, changes); err != nil {
		return nil, err
	}
	for _, c := range changes {
		e.log.Info("alert", "kind", c.Message.Kind, "rule", c.Message.Rule, "subject", c.Message.Subject, "title", c.Message.Title)
	}
	return changes, nil
}
