package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/user"
	"strings"
	"sync"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/config"
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
// of users (-user, repeatable or comma-separated) with the same operation as the group page's
// buttons: batched, throttle-aware, every user re-read and the snapshot updated. It draws
// progress on a terminal, prints a line per user that is not licensed now and the summary, and
// succeeds only when every user is.
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

	progress := newProgressBar(e.stderr, isTerminal(e.stderr), "reprocess")
	var res assign.Result
	target, targetName := *group, ""
	if *group != "" {
		if g, err := a.Store.GroupDetail(ctx, *group); err == nil {
			targetName = g.DisplayName
		} else if errors.Is(err, model.ErrNotFound) {
			return model.GroupNotFound(*group)
		}
		res, err = a.Assign.ReprocessGroup(ctx, *group, assign.Selection{All: true}, progress.update)
	} else {
		target = strings.Join(users, ", ")
		res, err = a.Assign.ReprocessUsers(ctx, users, progress.update)
	}
	progress.done()
	recordReprocess(ctx, e, a, target, targetName, res, err)
	if err != nil {
		return err
	}
	printOutcomes(e.stdout, res)
	if !res.AllLicensed() {
		return errNotAllLicensed
	}
	return nil
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

// recordReprocess writes the reprocess into the activity log, as the web's are: who ran it
// (the operating system's user, on the command line), on what, and how it ended.
func recordReprocess(ctx context.Context, e env, a *app.App, target, name string, res assign.Result, err error) {
	act := model.Activity{ActorName: "command line", Action: model.ActionReprocess, Target: target, TargetName: name,
		Result: model.ActivityOK, Detail: res.Summary()}
	if u, uerr := user.Current(); uerr == nil {
		act.ActorName = "command line (" + u.Username + ")"
	}
	switch {
	case err != nil:
		act.Result, act.Detail = model.ActivityFailed, err.Error()
	case res.Refused > 0:
		act.Result = model.ActivityFailed
	}
	if lerr := a.Store.AddActivity(ctx, act); lerr != nil {
		fmt.Fprintln(e.stderr, "tenantdesk reprocess: the activity log could not be written:", lerr)
	}
}

// printOutcomes prints a line per user not licensed now, then the summary.
func printOutcomes(w io.Writer, res assign.Result) {
	for _, o := range res.Outcomes {
		if o.Status == assign.StatusLicensed {
			continue
		}
		line := fmt.Sprintf("%s (%s): %s: %s", o.Name, o.UserID, o.Status.Label(), o.Summary)
		if o.Fix != "" {
			line += " Fix: " + o.Fix
		}
		fmt.Fprintln(w, line)
	}
	for _, p := range res.Problems {
		fmt.Fprintln(w, "warning:", p)
	}
	fmt.Fprintln(w, res.Summary())
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
