package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tenantdesk/tenantdesk/internal/alerts"
	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

const alertsUsage = "channels | open | test CHANNEL"

// runAlerts looks at the alerts from the command line: the channels (secrets masked), the open
// alerts, and `test CHANNEL`, which sends a channel (by name or number) a test now and says
// whether it went (exit 1 with why when not), recorded in the activity log as the dashboard's
// button is.
func runAlerts(ctx context.Context, e env, args []string) error {
	cfg, rest, err := storeConfig(e, "alerts", alertsUsage, args, nil)
	if err != nil {
		return err
	}
	if len(rest) == 0 || (rest[0] == "test") != (len(rest) == 2) || len(rest) > 2 ||
		(rest[0] != "channels" && rest[0] != "open" && rest[0] != "test") {
		fmt.Fprintf(e.stderr, "Usage: tenantdesk alerts [flags] %s\n", alertsUsage)
		return errUsage
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	engine, err := app.NewAlerts(ctx, cfg, st, nil, slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: cfg.LogLevel})))
	if err != nil {
		return err
	}
	switch rest[0] {
	case "channels":
		chs, err := st.AlertChannels(ctx)
		if err != nil {
			return err
		}
		if len(chs) == 0 {
			fmt.Fprintln(e.stdout, "No alert channels: add one on /alerts, or set TENANTDESK_ALERT_WEBHOOK or TENANTDESK_ALERT_SMTP_HOST.")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tname\tstate\tsends to\tquiet hours")
		for _, c := range chs {
			state := "on"
			if !c.Enabled {
				state = "off"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", c.ID, c.Name, state, alerts.Destination(c), c.Quiet)
		}
		return tw.Flush()
	case "open":
		open, err := st.OpenAlerts(ctx)
		if err != nil {
			return err
		}
		if len(open) == 0 {
			fmt.Fprintln(e.stdout, "No open alerts.")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "since\trule\talert")
		for _, a := range open {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", a.StartedAt.UTC().Format("2006-01-02 15:04 UTC"), a.Rule, a.Title)
		}
		return tw.Flush()
	}
	chs, err := st.AlertChannels(ctx)
	if err != nil {
		return err
	}
	// The exact name or number first; else the one name that matches ignoring case.
	var ch *model.AlertChannel
	folded := 0
	for i, c := range chs {
		switch {
		case c.Name == rest[1] || strconv.FormatInt(c.ID, 10) == rest[1]:
			ch, folded = &chs[i], -1
		case folded >= 0 && strings.EqualFold(c.Name, rest[1]):
			if folded == 0 {
				ch = &chs[i]
			}
			folded++
		}
	}
	if folded > 1 {
		ch = nil
	}
	if ch == nil {
		var names []string
		for _, c := range chs {
			names = append(names, fmt.Sprintf("%q", c.Name))
		}
		if len(names) == 0 {
			return fmt.Errorf("no alert channel %q: there are none", rest[1])
		}
		return fmt.Errorf("no alert channel %q; the channels are %s", rest[1], strings.Join(names, ", "))
	}
	cfgr, err := alerts.NewConfigurator(st, st, engine)
	if err != nil {
		return err
	}
	d, err := cfgr.SendTest(ctx, ch.ID, model.Activity{ActorName: commandActor()})
	if err != nil {
		return err
	}
	if d.Status != "sent" {
		return fmt.Errorf("the test to %s (%s) did not go: %s", ch.Name, alerts.Destination(*ch), d.Error)
	}
	fmt.Fprintf(e.stdout, "Sent a test to %s (%s).\n", ch.Name, alerts.Destination(*ch))
	return nil
}
