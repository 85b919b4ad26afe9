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
)

// runRefresh takes one snapshot from the command line, drawing a progress bar on a terminal
// and plain progress lines otherwise.
func runRefresh(ctx context.Context, e env, args []string) error {
	cfg, _, err := loadConfig(e, "refresh", config.ModeRefresh, args)
	if err != nil {
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
	run, err := a.Syncer.Run(ctx)
	stop()
	<-done
	if err != nil {
		return fmt.Errorf("refresh failed (the previous snapshot stays current): %w", err)
	}
	fmt.Fprintf(e.stdout, "snapshot taken: %d users, %d licensed groups, %d subscriptions, %d Graph requests in %s\n",
		run.Users, run.Groups, run.SKUs, run.Requests, run.FinishedAt.Sub(run.StartedAt).Round(1e7))
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
