package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// simFlags binds the simulated tenant's knobs to fs; demo and sim share them.
func simFlags(fs *flag.FlagSet, o *tenantsim.Options) {
	fs.Int64Var(&o.Config.Seed, "seed", 1, "seed of the generated tenant (same seed, same tenant)")
	fs.IntVar(&o.Config.Users, "users", tenantsim.DefaultUsers, "number of users")
	fs.IntVar(&o.Config.Groups, "groups", tenantsim.DefaultGroups, "number of groups, licensed ones included")
	fs.IntVar(&o.Config.LicensedGroups, "licensed-groups", tenantsim.DefaultLicensedGroups, "number of groups that assign licenses")
	fs.DurationVar(&o.Config.ProcessingDelay, "processing-delay", 20*time.Second, "how long group license processing takes")
	fs.DurationVar(&o.Config.AuditDelay, "audit-delay", 5*time.Second, "how long a directory audit event takes to appear after the change (minutes in Entra ID)")
	fs.DurationVar(&o.Latency, "latency", 0, "added latency per Graph request")
	fs.IntVar(&o.ThrottleRequests, "throttle-requests", 0, "answer 429 past this many requests per window and app (0 = off)")
	fs.DurationVar(&o.ThrottleWindow, "throttle-window", time.Second, "throttling window")
	fs.Float64Var(&o.FaultRate, "fault-rate", 0, "share of Graph requests answered with a 5xx (0..1)")
	fs.Float64Var(&o.DropRate, "drop-rate", 0, "share of Graph requests whose connection is dropped (0..1)")
}

// runSim runs the simulated tenant alone and prints ONE JSON line telling any client (curl,
// another SDK, `tenantdesk serve`) how to reach it. Logs go to stderr.
func runSim(ctx context.Context, e env, args []string) error {
	var opts tenantsim.Options
	fs := newFlagSet(e, "sim", "")
	simFlags(fs, &opts)
	fs.StringVar(&opts.Addr, "addr", "127.0.0.1:8443", "address to listen on (loopback TLS)")
	fs.StringVar(&opts.Dir, "dir", "", "folder for ca.pem and client.pem (default: a temporary folder)")
	fs.StringVar(&opts.BrowserAddr, "browser-addr", "", "also serve the sign-in pages over plain http on this loopback address (no certificate warning in a browser)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts.Logger = slog.New(slog.NewTextHandler(e.stderr, nil))
	srv, err := tenantsim.Start(ctx, opts)
	if err != nil {
		return err
	}
	line, err := json.Marshal(srv.Info())
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, string(line))
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Close(shutdown)
}
