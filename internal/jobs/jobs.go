// Package jobs runs tenantdesk's long writes in the background: reprocessing hundreds of users,
// re-reading a group's errors, and (after issue 13) template changes and splits. A job and its
// items (users) are stored in SQLite as soon as it is asked for; every item gets exactly one
// outcome, stored batch by batch as the work goes, so a page reload shows the progress, a
// restart loses nothing, and a process that stopped (shutdown, crash, kill -9) leaves its job
// to the next one, which resumes it (kinds safe to repeat) or records the items without an
// outcome as interrupted. The web server and the command line run the same jobs.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tick"
)

// Store is what jobs need of the database. *store.Store implements it.
type Store interface {
	CreateJob(ctx context.Context, j model.Job, items []model.JobItem) (model.Job, error)
	Job(ctx context.Context, id int64) (model.Job, error)
	Jobs(ctx context.Context, q model.JobQuery) ([]model.Job, int, error)
	JobItems(ctx context.Context, id int64, q model.JobItemQuery) (model.JobItemPage, error)
	EachJobItem(ctx context.Context, id int64, fn func(model.JobItem) error) error
	PendingJobItems(ctx context.Context, id int64, limit int) ([]model.JobItem, error)
	RecordJobItems(ctx context.Context, id int64, items []model.JobItem) (int, error)
	StartJob(ctx context.Context, id int64) error
	FinishJob(ctx context.Context, id int64, state model.JobState, summary, errText string) error
	AddJobProblems(ctx context.Context, id int64, problems []string) error
	HeartbeatJobs(ctx context.Context) error
	ReleaseJobs(ctx context.Context) error
	ClaimJobs(ctx context.Context) ([]model.Job, error)
}

// Activity records what jobs did. *store.Store implements it.
type Activity interface {
	AddActivity(ctx context.Context, a model.Activity) error
}

// Kind is a kind of job: how its items are done. Register every kind with New before jobs of
// it are started or resumed.
type Kind struct {
	// Name is stored with each job ("reprocess").
	Name string
	// Action is the model.Action* constant of the activity log entries written when a job of
	// this kind starts and when it ends.
	Action string
	// Noun names an item in summaries: "user" ("users" for several).
	Noun string
	// Resumable kinds are taken up again after a restart, doing the items that have no outcome
	// yet (an item that was under way is done again: the kind's work must be safe to repeat).
	// Other kinds record those items as interrupted instead.
	Resumable bool
	// Waits marks kinds whose jobs spend their time waiting on Microsoft (a template change
	// waits for the group's processing) rather than calling Graph: they do not take one of the
	// slots that bound the jobs running at once, so they never hold up a reprocess.
	Waits bool
	// Batch is how many items one Run gets; their outcomes are stored before the next batch
	// starts. Zero means 50.
	Batch int
	// Run does items (in order, none with an outcome yet) and returns one outcome per item,
	// matched by Seq, each with its Status set. problems are warnings to keep with the job. An
	// error stops the job: the items not done are recorded as not run, with the error.
	Run func(ctx context.Context, job model.Job, items []model.JobItem) (outcomes []model.JobItem, problems []string, err error)
	// Finish, if set, runs once when every item has its outcome (re-read what the items
	// changed together, such as a group's processing state); its problems are kept.
	Finish func(ctx context.Context, job model.Job) (problems []string)
	// OK are the statuses of items that went as asked; a job with items in any other status
	// is recorded as failed in the activity log (its page shows why, item by item).
	OK []string
	// Labels say each status in words for summaries and pages ("now licensed").
	Labels map[string]string
}

// Label is status in words: the kind's label, else the framework's own, else the status.
func (k Kind) Label(status string) string {
	if l, ok := k.Labels[status]; ok {
		return l
	}
	switch status {
	case model.JobItemInterrupted:
		return "interrupted"
	case model.JobItemNotRun:
		return "not done"
	case "":
		return "pending"
	}
	return status
}

// Summary is a job's outcome in one line: "25 users: 20 now licensed, 3 still in error, 2
// refused by Graph".
func (k Kind) Summary(j model.Job) string {
	noun := k.Noun
	if noun == "" {
		noun = "item"
	}
	if j.Total != 1 {
		noun += "s"
	}
	// The kind's own statuses always (0 now licensed says something), the others when some
	// item has them.
	var parts []string
	for _, st := range append(k.Statuses(), "") {
		if n := j.Counts[st]; n > 0 || k.rank(st) < 1000 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k.Label(st)))
		}
	}
	for st, n := range j.Counts {
		if n > 0 && !slices.Contains(k.Statuses(), st) && st != "" {
			parts = append(parts, fmt.Sprintf("%d %s", n, k.Label(st))) // a status the kind no longer names
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d %s", j.Total, noun)
	}
	return fmt.Sprintf("%d %s: %s", j.Total, noun, strings.Join(parts, ", "))
}

// Statuses are the statuses a job's items may have, in the order pages list them: OK ones,
// the kind's other labelled ones, then the framework's.
func (k Kind) Statuses() []string {
	out := slices.Clone(k.OK)
	var others []string
	for st := range k.Labels {
		if !slices.Contains(out, st) {
			others = append(others, st)
		}
	}
	slices.Sort(others)
	return append(append(out, others...), model.JobItemInterrupted, model.JobItemNotRun)
}

// rank sorts statuses: OK ones in their order, the kind's others, then the framework's.
func (k Kind) rank(st string) int {
	if i := slices.Index(k.OK, st); i >= 0 {
		return i
	}
	switch st {
	case model.JobItemInterrupted:
		return 1000
	case model.JobItemNotRun:
		return 1001
	case "":
		return 1002
	}
	return 100
}

// failed reports whether a finished job counts as failed in the activity log.
func (k Kind) failed(j model.Job) bool {
	if j.State != model.JobDone {
		return true
	}
	for st, n := range j.Counts {
		if n > 0 && !slices.Contains(k.OK, st) {
			return true
		}
	}
	return false
}

// Spec is a job to start.
type Spec struct {
	Kind       string
	Title      string // for people: "Reprocess 25 users in error of LIC-O365-E3"
	Target     string // what it acts on (a group's object id), "" when several things
	TargetName string
	Params     string // the kind's own parameters (JSON)
	// Items are what the job does, in order; each needs a Key. An item with its Status set was
	// done before the job was created (a write whose refusal its form showed at once): its
	// outcome is stored with the job, and Run never gets it.
	Items []model.JobItem
	// Problems are warnings found while preparing it (users asked for but left out).
	Problems []string
	// Who asked, as the activity log records it.
	ActorUPN, ActorName, RemoteIP, CorrelationID string
}

// Defaults of a Manager.
const (
	// DefaultBatch is a Kind's Batch when it sets none.
	DefaultBatch = 50
	// heartbeatEvery is how often a running job says it is alive; the store takes a job whose
	// heartbeat is a minute old for dead.
	heartbeatEvery = 10 * time.Second
	// claimEvery is how often Run looks for jobs whose process died (a command line killed).
	claimEvery = 30 * time.Second
	// maxRunning bounds the jobs one process runs at once; the others wait, queued.
	maxRunning = 2
	// MaxItems bounds the items of one job.
	MaxItems = 10000
)

// Manager starts, runs and resumes jobs. Create it with New; it is safe for concurrent use.
type Manager struct {
	store    Store
	activity Activity
	log      *slog.Logger
	kinds    map[string]Kind
	slots    chan struct{}

	mu      sync.Mutex
	base    context.Context // set by Run: jobs started from the web run on it
	cancels map[int64]context.CancelFunc
	wg      sync.WaitGroup
	// claimed is closed once Run has first taken up the jobs nobody runs (see Claimed).
	claimed     chan struct{}
	claimedOnce sync.Once
}

// New returns a Manager over st that records in act and runs jobs of kinds.
func New(st Store, act Activity, logger *slog.Logger, kinds ...Kind) (*Manager, error) {
	if st == nil || act == nil {
		return nil, errors.New("jobs: a store and an activity log are required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{store: st, activity: act, log: logger, kinds: map[string]Kind{}, slots: make(chan struct{}, maxRunning),
		cancels: map[int64]context.CancelFunc{}, claimed: make(chan struct{})}
	for _, k := range kinds {
		if k.Name == "" || k.Action == "" || k.Run == nil {
			return nil, fmt.Errorf("jobs: kind %q needs a name, an activity action and Run", k.Name)
		}
		if !slices.Contains(model.ActivityActions(), k.Action) {
			return nil, fmt.Errorf("jobs: kind %q records action %q, which the activity filter does not offer: add it to model.ActivityActions", k.Name, k.Action)
		}
		if _, dup := m.kinds[k.Name]; dup {
			return nil, fmt.Errorf("jobs: kind %q registered twice", k.Name)
		}
		if k.Batch <= 0 {
			k.Batch = DefaultBatch
		}
		m.kinds[k.Name] = k
	}
	return m, nil
}

// Kind returns the registered kind name.
func (m *Manager) Kind(name string) (Kind, bool) {
	k, ok := m.kinds[name]
	return k, ok
}

// Create stores a new job (queued, owned by this process) and records its start in the
// activity log. Run it with Execute, or use Start.
func (m *Manager) Create(ctx context.Context, s Spec) (model.Job, error) {
	k, ok := m.kinds[s.Kind]
	if !ok {
		return model.Job{}, fmt.Errorf("jobs: unknown kind %q", s.Kind)
	}
	switch {
	case len(s.Items) == 0:
		return model.Job{}, model.Invalid("There is nothing to do: the job has no %ss.", k.Noun)
	case len(s.Items) > MaxItems:
		return model.Job{}, model.Invalid("A job may have at most %d %ss; this one has %d.", MaxItems, k.Noun, len(s.Items))
	}
	j, err := m.store.CreateJob(ctx, model.Job{Kind: s.Kind, Title: s.Title, Target: s.Target, TargetName: s.TargetName,
		Params: s.Params, ActorUPN: s.ActorUPN, ActorName: s.ActorName, RemoteIP: s.RemoteIP, CorrelationID: s.CorrelationID}, s.Items)
	if err != nil {
		return model.Job{}, err
	}
	if err := m.store.AddJobProblems(ctx, j.ID, s.Problems); err != nil {
		return model.Job{}, err
	}
	var done []model.JobItem
	for i, it := range s.Items {
		if it.Status != "" {
			it.Seq = i
			done = append(done, it)
		}
	}
	if len(done) > 0 {
		if _, err := m.store.RecordJobItems(ctx, j.ID, done); err != nil {
			return model.Job{}, err
		}
		if j, err = m.store.Job(ctx, j.ID); err != nil {
			return model.Job{}, err
		}
	}
	j.Problems = s.Problems
	m.record(ctx, k, j, model.ActivityOK, fmt.Sprintf("job %d started: %s", j.ID, j.Title))
	return j, nil
}

// Start creates a job and runs it in the background, on the context Run was given (it
// outlives the request that asked for it). It fails when Run is not running.
func (m *Manager) Start(ctx context.Context, s Spec) (model.Job, error) {
	m.mu.Lock()
	base := m.base
	m.mu.Unlock()
	if base == nil || base.Err() != nil {
		return model.Job{}, errors.New("jobs: not running (the server is shutting down)")
	}
	j, err := m.Create(ctx, s)
	if err != nil {
		return model.Job{}, err
	}
	m.spawn(base, j)
	return j, nil
}

// spawn runs job j in a goroutine on ctx.
func (m *Manager) spawn(ctx context.Context, j model.Job) {
	ctx, cancel := context.WithCancel(ctx)
	m.mu.Lock()
	m.cancels[j.ID] = cancel
	m.wg.Add(1)
	m.mu.Unlock()
	go func() {
		defer m.wg.Done()
		defer func() {
			m.mu.Lock()
			delete(m.cancels, j.ID)
			m.mu.Unlock()
			cancel()
		}()
		if _, err := m.Execute(ctx, j.ID); err != nil && ctx.Err() == nil {
			m.log.Error("job failed", "job", j.ID, "kind", j.Kind, "err", err)
		}
	}()
}

// Execute runs job id to its end in this goroutine and returns it as it ended. When ctx ends
// first, the job stops between batches and is left unfinished for the next process to take
// up (the command line's Ctrl-C, a server's shutdown).
func (m *Manager) Execute(ctx context.Context, id int64) (model.Job, error) {
	j, err := m.store.Job(ctx, id)
	if err != nil {
		return model.Job{}, err
	}
	if k, ok := m.kinds[j.Kind]; !ok || !k.Waits {
		select {
		case m.slots <- struct{}{}:
		case <-ctx.Done():
			return model.Job{}, ctx.Err()
		}
		defer func() { <-m.slots }()
	}
	j, err = m.store.Job(ctx, id)
	if err != nil {
		return model.Job{}, err
	}
	if j.State.Finished() {
		return j, nil
	}
	k, ok := m.kinds[j.Kind]
	if !ok {
		return m.interrupt(ctx, j, "this tenantdesk does not know jobs of kind "+j.Kind)
	}
	if err := m.store.StartJob(ctx, id); err != nil {
		return j, err
	}
	beat, stopBeat := context.WithCancel(ctx)
	defer stopBeat()
	go m.heartbeat(beat)

	runErr := m.runItems(ctx, k, j)
	if ctx.Err() != nil {
		return m.store.Job(context.WithoutCancel(ctx), id)
	}
	state, errText := model.JobDone, ""
	if runErr != nil {
		state, errText = model.JobFailed, runErr.Error()
		if err := m.recordRest(ctx, j, model.JobItemNotRun, "Not done: the job stopped before it got here ("+errText+")."); err != nil {
			return j, err
		}
	}
	if k.Finish != nil {
		if err := m.store.AddJobProblems(ctx, id, k.Finish(ctx, j)); err != nil {
			return j, err
		}
		if ctx.Err() != nil {
			return m.store.Job(context.WithoutCancel(ctx), id)
		}
	}
	return m.finish(ctx, k, j, state, errText)
}

// runItems does the job's items batch by batch until none is left, ctx ends or Run fails.
func (m *Manager) runItems(ctx context.Context, k Kind, j model.Job) error {
	for ctx.Err() == nil {
		items, err := m.store.PendingJobItems(ctx, j.ID, k.Batch)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		out, problems, err := k.Run(ctx, j, items)
		if ctx.Err() != nil {
			return nil // stopped: a cancelled batch's outcomes are not trusted; it is done again
		}
		if err := m.store.AddJobProblems(ctx, j.ID, problems); err != nil {
			return err
		}
		if err != nil {
			return err
		}
		if _, err := m.store.RecordJobItems(ctx, j.ID, completeOutcomes(items, out)); err != nil {
			return err
		}
	}
	return nil
}

// completeOutcomes keeps one outcome per item of the batch, in its order: the kind's, or, for
// an item it gave none, a not-run one saying so.
func completeOutcomes(items, out []model.JobItem) []model.JobItem {
	bySeq := make(map[int]model.JobItem, len(out))
	for _, o := range out {
		if _, dup := bySeq[o.Seq]; !dup && o.Status != "" {
			bySeq[o.Seq] = o
		}
	}
	res := make([]model.JobItem, len(items))
	for i, it := range items {
		o, ok := bySeq[it.Seq]
		if !ok {
			o = it
			o.Status, o.Summary = model.JobItemNotRun, "Not done: the job reported no outcome for it."
		}
		o.Seq, o.Key = it.Seq, it.Key
		if o.Name == "" {
			o.Name, o.Known = it.Name, it.Known
		}
		res[i] = o
	}
	return res
}

// recordRest gives every item still without an outcome the status and summary.
func (m *Manager) recordRest(ctx context.Context, j model.Job, status, summary string) error {
	for {
		items, err := m.store.PendingJobItems(ctx, j.ID, 1000)
		if err != nil || len(items) == 0 {
			return err
		}
		for i := range items {
			items[i].Status, items[i].Summary, items[i].Fix = status, summary, ""
		}
		if _, err := m.store.RecordJobItems(ctx, j.ID, items); err != nil {
			return err
		}
	}
}

// finish records how job j ended: its state and summary, and the activity log's entry.
func (m *Manager) finish(ctx context.Context, k Kind, j model.Job, state model.JobState, errText string) (model.Job, error) {
	cur, err := m.store.Job(ctx, j.ID)
	if err != nil {
		return j, err
	}
	cur.State = state
	summary := k.Summary(cur)
	if err := m.store.FinishJob(ctx, j.ID, state, summary, errText); err != nil {
		return cur, err
	}
	result := model.ActivityOK
	if k.failed(cur) {
		result = model.ActivityFailed
	}
	detail := fmt.Sprintf("job %d %s: %s", j.ID, state, summary)
	if errText != "" {
		detail += "; " + errText
	}
	if len(cur.Problems) > 0 {
		detail += "; " + strings.Join(cur.Problems, "; ")
	}
	m.record(ctx, k, cur, result, detail)
	return m.store.Job(ctx, j.ID)
}

// interrupt ends job j without doing its remaining items: they are recorded as interrupted.
func (m *Manager) interrupt(ctx context.Context, j model.Job, why string) (model.Job, error) {
	if err := m.recordRest(ctx, j, model.JobItemInterrupted, "Interrupted: "+why+". Nothing more was done for it; check its page and run it again if needed."); err != nil {
		return j, err
	}
	k, ok := m.kinds[j.Kind]
	if !ok {
		k = Kind{Name: j.Kind, Action: model.ActionJob, Noun: "item"}
	}
	return m.finish(ctx, k, j, model.JobInterrupted, why)
}

func (m *Manager) record(ctx context.Context, k Kind, j model.Job, result, detail string) {
	err := m.activity.AddActivity(context.WithoutCancel(ctx), model.Activity{ActorUPN: j.ActorUPN, ActorName: j.ActorName,
		Action: k.Action, Target: j.Target, TargetName: j.TargetName, Result: result, Detail: detail,
		CorrelationID: j.CorrelationID, RemoteIP: j.RemoteIP})
	if err != nil {
		m.log.Error("activity log", "job", j.ID, "err", err)
	}
}

func (m *Manager) heartbeat(ctx context.Context) {
	tick.Every(ctx, heartbeatEvery, func() {
		if err := m.store.HeartbeatJobs(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("job heartbeat", "err", err)
		}
	})
}

// Run takes up the jobs nobody runs (a previous process stopped or died with them: resumed, or
// their remaining items recorded as interrupted) now and every 30 seconds, and runs the jobs
// Start is given, until ctx ends. Then it stops them between batches, waits for them, and
// releases them for the next process.
func (m *Manager) Run(ctx context.Context) {
	m.mu.Lock()
	m.base = ctx
	m.mu.Unlock()
	t := time.NewTicker(claimEvery)
	defer t.Stop()
	for {
		m.claim(ctx)
		m.claimedOnce.Do(func() { close(m.claimed) })
		select {
		case <-ctx.Done():
			m.mu.Lock()
			for _, cancel := range m.cancels {
				cancel()
			}
			m.mu.Unlock()
			m.wg.Wait()
			if err := m.store.ReleaseJobs(context.WithoutCancel(ctx)); err != nil {
				m.log.Warn("release jobs", "err", err)
			}
			return
		case <-t.C:
		}
	}
}

// Claimed is closed once Run has first taken up the unfinished jobs nobody runs (whether or
// not that succeeded), so a server can serve its first page only after: a job page reloaded
// after a restart then already says the job was taken up again.
func (m *Manager) Claimed() <-chan struct{} { return m.claimed }

// Running reports whether Run is running (Start works).
func (m *Manager) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.base != nil && m.base.Err() == nil
}

// claim takes over the jobs nobody runs.
func (m *Manager) claim(ctx context.Context) {
	claimed, err := m.store.ClaimJobs(ctx)
	if err != nil {
		if ctx.Err() == nil {
			m.log.Warn("claim jobs", "err", err)
		}
		return
	}
	for _, j := range claimed {
		k, ok := m.kinds[j.Kind]
		switch {
		case !ok:
			if _, err := m.interrupt(ctx, j, "this tenantdesk does not know jobs of kind "+j.Kind); err != nil {
				m.log.Warn("interrupt job", "job", j.ID, "err", err)
			}
		case !k.Resumable:
			if _, err := m.interrupt(ctx, j, "tenantdesk stopped (restart or crash) while the job ran"); err != nil {
				m.log.Warn("interrupt job", "job", j.ID, "err", err)
			}
		default:
			m.log.Info("resuming job", "job", j.ID, "kind", j.Kind, "done", j.Done(), "total", j.Total)
			m.record(ctx, k, j, model.ActivityOK, fmt.Sprintf("job %d resumed after tenantdesk stopped: %d of %d %ss had their outcome",
				j.ID, j.Done(), j.Total, k.Noun))
			m.spawn(ctx, j)
		}
	}
}

// Job returns job id.
func (m *Manager) Job(ctx context.Context, id int64) (model.Job, error) { return m.store.Job(ctx, id) }

// Jobs lists jobs, newest first.
func (m *Manager) Jobs(ctx context.Context, q model.JobQuery) ([]model.Job, int, error) {
	return m.store.Jobs(ctx, q)
}

// Items is a page of job id's items.
func (m *Manager) Items(ctx context.Context, id int64, q model.JobItemQuery) (model.JobItemPage, error) {
	return m.store.JobItems(ctx, id, q)
}

// EachItem calls fn for every item of job id, in order.
func (m *Manager) EachItem(ctx context.Context, id int64, fn func(model.JobItem) error) error {
	return m.store.EachJobItem(ctx, id, fn)
}

// Active returns the newest unfinished job of kind on target, if any: a second reprocess of a
// group while one runs shows the running one instead of starting another.
func (m *Manager) Active(ctx context.Context, kind, target string) (model.Job, bool, error) {
	list, _, err := m.store.Jobs(ctx, model.JobQuery{Kind: kind, Target: target, Limit: 5})
	if err != nil {
		return model.Job{}, false, err
	}
	for _, j := range list {
		if !j.State.Finished() {
			return j, true, nil
		}
	}
	return model.Job{}, false, nil
}
