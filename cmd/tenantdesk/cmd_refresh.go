package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/snapshot"
)

// runRefresh refreshes the snapshot once from the command line (-mode: auto decides full or
// incremental as the scheduled refresh does), drawing a progress bar on a terminal and plain
// progress lines otherwise.
func runRefresh(ctx context.Context, e env, args []string) error {
	cfg, err := config.Load(e.lookupEnv, e.readFile)
	if err != nil {
		return err
	}
	fs := newFlagSet(e, "refresh", "")
	cfg.BindFlags(fs)
	modeFlag := fs.String("mode", "auto", "auto (incremental, or a full sync when one is due: TENANTDESK_FULL_SYNC_INTERVAL), full (read the whole tenant) or incremental (read what changed even if a full sync is due)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	mode, err := snapshot.ParseMode(*modeFlag)
	if err != nil || fs.NArg() > 0 {
		if err != nil {
			fmt.Fprintf(e.stderr, "tenantdesk refresh: %v\n", err)
		} else {
			fmt.Fprintf(e.stderr, "tenantdesk refresh: unexpected argument %q\n", fs.Arg(0))
		}
		fs.Usage()
		return errUsage
	}
	if err := cfg.Validate(config.ModeRefresh); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, newLogger(e, cfg))
	if err != nil {
		return err
	}
	defer a.Close()
	updates, stop := a.Syncer.Subscribe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		drawProgress(e.stderr, isTerminal(e.stderr), updates)
	}()
	run, err := a.Syncer.RunMode(ctx, mode)
	stop()
	<-done
	if err != nil {
		return fmt.Errorf("refresh failed (the previous snapshot stays current): %w", err)
	}
	took := run.FinishedAt.Sub(run.StartedAt).Round(1e7)
	if run.Kind == model.SyncIncremental {
		fmt.Fprintf(e.stdout, "snapshot refreshed incrementally: %d users written, %d licensed groups, %d subscriptions, %d Graph requests in %s\n",
			run.Users, run.Groups, run.SKUs, run.Requests, took)
	} else {
		fmt.Fprintf(e.stdout, "snapshot taken (full sync): %d users, %d licensed groups, %d subscriptions, %d Graph requests in %s\n",
			run.Users, run.Groups, run.SKUs, run.Requests, took)
	}
	if run.Note != "" {
		fmt.Fprintf(e.stdout, "%s\n", run.Note)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// drawProgress renders sync progress until updates closes: a redrawn bar on a terminal, a line
// per phase change elsewhere (logs stay readable).
func drawProgress(w io.Writer, terminal bool, updates <-chan model.SyncProgress) {
	lastPhase := ""
	for p := range updates {
		if !p.Running {
			continue
		}
		if !terminal {
			if p.Phase != lastPhase {
				fmt.Fprintf(w, "refresh: %s\n", p.Phase)
				lastPhase = p.Phase
			}
			continue
		}
		fmt.Fprintf(w, "\r\033[K%s", progressLine(p, 30))
	}
	if terminal {
		fmt.Fprint(w, "\r\033[K")
	}
}

// progressLine is one line like "users       [#########.........]  300/1000  12 requests".
func progressLine(p model.SyncProgress, width int) string {
	bar := strings.Repeat(".", width)
	count := fmt.Sprintf("%d", p.Done)
	if p.Total > 0 {
		filled := min(width, p.Done*width/p.Total)
		bar = strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
		count = fmt.Sprintf("%d/%d", p.Done, p.Total)
	}
	line := fmt.Sprintf("%-13s [%s] %11s", p.Phase, bar, count)
	if p.Requests > 0 {
		line += fmt.Sprintf("  %d requests", p.Requests)
	}
	return line
}
