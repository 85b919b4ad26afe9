package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/user"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/jobs"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// idList is a repeatable flag of object ids.
type idList []string

func (l *idList) String() string { return strings.Join(*l, ",") }

func (l *idList) Set(v string) error {
	for id := range strings.SplitSeq(v, ",") {
		if id = strings.TrimSpace(id); id != "" {
			if !model.ValidObjectID(id) {
				return fmt.Errorf("%q is not a user object id", id)
			}
			*l = append(*l, id)
		}
	}
	return nil
}

// errNotAllLicensed ends a reprocess in which some user is still in error or was refused: the
// exit code tells scripts, the lines above it tell people.
var errNotAllLicensed = errors.New("not every user is licensed now")

// runReprocess reprocesses the license assignments of a group's members in error (-group) or
// of users (-user, repeatable or comma-separated) as the same background job as the group page's
// buttons (internal/jobs): batched, throttle-aware, every user re-read, the snapshot updated and
// each outcome stored as it comes. It runs the job here, draws progress on a terminal, prints
// a line per user that is not licensed now and the summary, and succeeds only when every user
// is. The job's page (/jobs/N) shows the same; a job stopped by Ctrl-C or a crash is taken up
// by the next tenantdesk serve or demo on this database.
func runReprocess(ctx context.Context, e env, args []string) error {
	cfg, err := config.Load(e.lookupEnv, e.readFile)
	if err != nil {
		return err
	}
	fs := newFlagSet(e, "reprocess", "-group ID | -user ID [-user ID...]")
	cfg.BindFlags(fs)
	group := fs.String("group", "", "reprocess every member of this group (object id) in license error from it")
	var users idList
	fs.Var(&users, "user", "reprocess this user (object id); repeat it or separate ids by commas")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*group == "") == (len(users) == 0) || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "tenantdesk reprocess: give either -group ID or one or more -user ID")
		fs.Usage()
		return errUsage
	}
	if *group != "" && !model.ValidObjectID(*group) {
		return fmt.Errorf("%q is not a group object id", *group)
	}
	a, err := openWithSnapshot(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer a.Close()

	var spec jobs.Spec
	if *group != "" {
		g, gerr := a.Store.GroupDetail(ctx, *group)
		if errors.Is(gerr, model.ErrNotFound) {
			return model.GroupNotFound(*group)
		}
		spec, err = a.Assign.ReprocessGroupJob(ctx, *group, g.DisplayName, assign.Selection{All: true})
	} else {
		spec, err = a.Assign.ReprocessUsersJob(ctx, users)
	}
	spec.ActorName = "command line"
	if u, uerr := user.Current(); uerr == nil {
		spec.ActorName = "command line (" + u.Username + ")"
	}
	if err != nil {
		recordRefusal(ctx, e, a, spec, *group, users, err)
		return err
	}
	j, err := a.Jobs.Create(ctx, spec)
	if err != nil {
		return err
	}
	j, err = runJobWithBar(ctx, e, a, j, "reprocess")
	if ctx.Err() != nil {
		fmt.Fprintf(e.stderr, "tenantdesk reprocess: stopped; job %d keeps the outcomes so far and the next 'tenantdesk serve' (or demo) on this database finishes it\n", j.ID)
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	if err := printOutcomes(ctx, e.stdout, a, j); err != nil {
		return err
	}
	if j.State != model.JobDone || j.Counts[string(assign.StatusLicensed)] != j.Total {
		return errNotAllLicensed
	}
	return nil
}

// runJobWithBar runs job j here to its end (or until ctx ends), drawing its progress on a
// terminal under label.
func runJobWithBar(ctx context.Context, e env, a *app.App, j model.Job, label string) (model.Job, error) {
	progress := newProgressBar(e.stderr, isTerminal(e.stderr), label)
	watch, stopWatch := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-watch.Done():
				return
			case <-t.C:
				if cur, err := a.Jobs.Job(watch, j.ID); err == nil {
					progress.update(cur.Done(), cur.Total)
				}
			}
		}
	}()
	out, err := a.Jobs.Execute(ctx, j.ID)
	stopWatch()
	progress.done()
	if out.ID == 0 {
		out = j
	}
	return out, err
}

// openWithSnapshot opens the app for a command that works on the current snapshot and Graph
// (reprocess, group licenses): a snapshot must exist.
func openWithSnapshot(ctx context.Context, e env, cfg config.Config) (*app.App, error) {
	if err := cfg.Validate(config.ModeRefresh); err != nil {
		return nil, err
	}
	a, err := app.New(ctx, cfg, newLogger(e, cfg))
	if err != nil {
		return nil, err
	}
	if _, err := a.Store.CurrentSnapshot(ctx); errors.Is(err, model.ErrNotFound) {
		a.Close()
		return nil, errors.New("there is no snapshot of the tenant yet: run 'tenantdesk refresh' first")
	}
	return a, nil
}

// recordRefusal writes a reprocess the command line refused before it started (bad ids, no
// permission) into the activity log, as the web's are.
func recordRefusal(ctx context.Context, e env, a *app.App, spec jobs.Spec, group string, users []string, err error) {
	target := group
	if target == "" {
		target = strings.Join(users, ", ")
	}
	act := model.Activity{ActorName: spec.ActorName, Action: model.ActionReprocess, Target: target, Result: model.ActivityFailed, Detail: err.Error()}
	if errors.Is(err, model.ErrInvalid) || errors.Is(err, model.ErrForbidden) {
		act.Result = model.ActivityRefused
	}
	if lerr := a.Store.AddActivity(ctx, act); lerr != nil {
		fmt.Fprintln(e.stderr, "tenantdesk reprocess: the activity log could not be written:", lerr)
	}
}

// printOutcomes prints a line per item that did not go as asked (a user not licensed now), the job's warnings, then the summary.
func printOutcomes(ctx context.Context, w io.Writer, a *app.App, j model.Job) error {
	k, _ := a.Jobs.Kind(j.Kind)
	err := a.Jobs.EachItem(ctx, j.ID, func(it model.JobItem) error {
		if slices.Contains(k.OK, it.Status) {
			return nil
		}
		line := fmt.Sprintf("%s (%s): %s: %s", it.Name, it.Key, k.Label(it.Status), it.Summary)
		if it.Fix != "" {
			line += " Fix: " + it.Fix
		}
		fmt.Fprintln(w, line)
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range j.Problems {
		fmt.Fprintln(w, "warning:", p)
	}
	if j.Error != "" {
		fmt.Fprintln(w, "stopped:", j.Error)
	}
	fmt.Fprintf(w, "%s (job %d)\n", j.Summary, j.ID)
	return nil
}

// progressBar draws "done of total" of a long operation: a redrawn bar on a terminal, nothing
// elsewhere (a log gets the summary).
type progressBar struct {
	w        io.Writer
	terminal bool
	label    string
	mu       sync.Mutex
	drawn    bool
}

func newProgressBar(w io.Writer, terminal bool, label string) *progressBar {
	return &progressBar{w: w, terminal: terminal, label: label}
}

func (p *progressBar) update(done, total int) {
	if !p.terminal {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r\033[K%s", progressLine(model.SyncProgress{Phase: p.label, Done: done, Total: total}, 30))
	p.drawn = true
}

func (p *progressBar) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
