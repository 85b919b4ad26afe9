// Package health is license health: the money wasted on licenses nobody uses, subscriptions
// about to end, and hygiene problems of group-based licensing, each finding with its count, its
// monthly cost where SKUs are priced, the users or groups it concerns and the fix that works
// for where each license comes from (a direct assignment, or which group). It reads the current
// snapshot only; the /health page and `tenantdesk health` both call it.
package health

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Store is what health reads and writes. *store.Store implements it.
type Store interface {
	licensing.ExplainerSource
	HealthData(ctx context.Context) (model.HealthData, error)
	LicenseSummaries(ctx context.Context) ([]model.SKUSummary, error)
	EachLicensedUser(ctx context.Context, properties []string, fn func(model.User) error) error
	EachGroupReportRow(ctx context.Context, q model.GroupReportQuery, fn func(model.GroupReportRow) error) error
	Prices(ctx context.Context) (map[string]model.Price, error)
	SetPrice(ctx context.Context, p model.Price) (model.Price, bool, error)
	DeletePrice(ctx context.Context, skuID string) (model.Price, bool, error)
}

// ActivityLog records writes. *store.Store implements it.
type ActivityLog interface {
	AddActivity(ctx context.Context, a model.Activity) error
}

// Defaults of Options.
const (
	DefaultInactiveDays = 90
	DefaultHorizonDays  = 90
	// StuckAfter is how long a group may process before it counts as stuck.
	StuckAfter = 24 * time.Hour
)

// Options are the thresholds of a report.
type Options struct {
	// InactiveDays: a user whose last successful sign-in is this many days old or older is
	// inactive (0 means DefaultInactiveDays).
	InactiveDays int
	// HorizonDays: subscriptions that move on within this many days are listed (0 means
	// DefaultHorizonDays).
	HorizonDays int
	// SkipUsers leaves out what needs every licensed user read (the findings about who holds
	// licenses, and so most of the waste), which is most of a report's cost; those findings
	// say they were not computed. The alerts' renewal and processing rules need none of it.
	SkipUsers bool
	// StuckAfter: a group processing this long counts as stuck (0 means StuckAfter); the
	// alerts' rule asks for its own number of hours.
	StuckAfter time.Duration
}

func (o Options) withDefaults() Options {
	if o.InactiveDays <= 0 {
		o.InactiveDays = DefaultInactiveDays
	}
	if o.HorizonDays <= 0 {
		o.HorizonDays = DefaultHorizonDays
	}
	if o.StuckAfter <= 0 {
		o.StuckAfter = StuckAfter
	}
	return o
}

// Limits of Options people may ask for.
const (
	MaxInactiveDays = 3650
	MaxHorizonDays  = 365
)

// Validate says what is wrong with o, as an *model.InputError.
func (o Options) Validate() error {
	var problems []string
	if o.InactiveDays < 0 || o.InactiveDays > MaxInactiveDays {
		problems = append(problems, fmt.Sprintf("inactive days must be between 1 and %d", MaxInactiveDays))
	}
	if o.HorizonDays < 0 || o.HorizonDays > MaxHorizonDays {
		problems = append(problems, fmt.Sprintf("the renewal horizon must be between 1 and %d days", MaxHorizonDays))
	}
	if len(problems) > 0 {
		return &model.InputError{Message: "These thresholds cannot be used:", Problems: problems}
	}
	return nil
}

// Service computes license health and keeps SKU prices. It is safe for concurrent use.
type Service struct {
	st  Store
	log ActivityLog
	now func() time.Time
	// Graph makes cleanup's writes; without it the report and prices still work, cleanup
	// refuses to start.
	Graph Graph
	// Rereader, if set, reads the users a cleanup batch changed again into the snapshot.
	Rereader Rereader
}

// New returns a Service over st, recording price changes in log; now nil means time.Now.
func New(st Store, log ActivityLog, now func() time.Time) (*Service, error) {
	if st == nil || log == nil {
		return nil, errors.New("health: the store and the activity log are required")
	}
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, log: log, now: now}, nil
}
