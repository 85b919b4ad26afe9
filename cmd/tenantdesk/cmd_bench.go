package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/bench"
	"github.com/tenantdesk/tenantdesk/internal/graph"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// runBench compares tenantdesk's reads with the reference strategy on a simulated tenant that
// runs in a child process (`tenantdesk sim`), so CPU and memory figures are this process's.
func runBench(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "bench", "")
	users := fs.Int("users", 50_000, "users of the simulated tenant")
	groups := fs.Int("groups", 2_000, "groups, licensed ones included")
	licensed := fs.Int("licensed-groups", 400, "groups that assign licenses")
	seed := fs.Int64("seed", 1, "seed of the generated tenant")
	latency := fs.Duration("latency", 20*time.Millisecond, "latency the simulator adds to every Graph request")
	throttle := fs.Int("throttle-requests", 0, "the simulator answers 429 past this many requests per second and app (0 = off)")
	runs := fs.Int("runs", 3, "repetitions of each strategy; medians are printed")
	change := fs.Float64("change", 0.01, "share of users changed (through the simulator's POST /_sim/changes) before each measured incremental refresh; 0 measures only the refresh with nothing changed")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (the client) to this file")
	traceFile := fs.String("trace", "", "write an execution trace of this process to this file (`go tool trace`; Graph pages, their decoding and the snapshot's batch writes are regions)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	stopProfile, err := recordTo(*cpuProfile, pprof.StartCPUProfile, pprof.StopCPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	stopTrace, err := recordTo(*traceFile, trace.Start, trace.Stop)
	if err != nil {
		return err
	}
	defer stopTrace()
	if *runs < 1 || *users < 1 || *change < 0 || *change > 1 {
		fmt.Fprintln(e.stderr, "tenantdesk bench: -runs and -users must be at least 1, -change between 0 and 1")
		return errUsage
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	info, stop, err := startSimProcess(ctx, e, "-users", strconv.Itoa(*users), "-groups", strconv.Itoa(*groups),
		"-licensed-groups", strconv.Itoa(*licensed), "-seed", strconv.FormatInt(*seed, 10), "-latency", latency.String(),
		"-throttle-requests", strconv.Itoa(*throttle), "-processing-delay", "0s", "-audit-delay", "0s")
	if err != nil {
		return err
	}
	defer stop()
	t := bench.Tenant{
		Graph: graph.Config{TenantID: info.TenantID, ClientID: info.ClientID, ClientSecret: info.ClientSecret,
			GraphURL: info.GraphURL, AuthorityURL: info.AuthorityURL, CAFile: info.CAFile, MaxRetries: 10},
		Users: *users, Groups: *groups, LicensedGroups: *licensed, Latency: *latency,
		WireBytes: simWireBytes(info), Change: simChange(info),
	}
	fmt.Fprintf(e.stderr, "simulated tenant ready (%d users); running each strategy %d times...\n", *users, *runs)
	_, err = bench.Run(ctx, t, bench.Options{Runs: *runs, ChangeShare: *change,
		Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}, e.stdout)
	return err
}

// recordTo starts a recording of this process (a CPU profile, an execution trace) into the file
// at path; the returned function stops it and closes the file. No path, no recording.
func recordTo(path string, start func(io.Writer) error, stop func()) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		stop()
		f.Close()
	}, nil
}

// startSimProcess runs `tenantdesk sim` with args on a free loopback port and waits for the line
// telling how to reach it; stop ends the process.
func startSimProcess(ctx context.Context, e env, args ...string) (tenantsim.Info, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return tenantsim.Info{}, nil, err
	}
	cmd := exec.CommandContext(ctx, self, append([]string{"sim", "-addr", "127.0.0.1:0"}, args...)...)
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return tenantsim.Info{}, nil, err
	}
	if err := cmd.Start(); err != nil {
		return tenantsim.Info{}, nil, fmt.Errorf("start the simulated tenant: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	line, err := bufio.NewReader(out).ReadBytes('\n')
	var info tenantsim.Info
	if err == nil {
		err = json.Unmarshal(line, &info)
	}
	if err != nil || info.GraphURL == "" {
		stop()
		return tenantsim.Info{}, nil, errors.Join(errors.New("the simulated tenant did not say how to reach it"), err)
	}
	return info, stop, nil
}

// simWireBytes reads the simulator's count of response bytes sent, from its control API.
func simWireBytes(info tenantsim.Info) func(ctx context.Context) (int64, error) {
	return func(ctx context.Context) (int64, error) {
		var st tenantsim.StatsSnapshot
		if err := simControl(ctx, info, http.MethodGet, "/stats", nil, &st); err != nil {
			return 0, err
		}
		return st.Total.Bytes, nil
	}
}

// simChange changes a share of the simulated tenant's users with a seeded change set
// (POST /_sim/changes) and says what it changed.
func simChange(info tenantsim.Info) func(ctx context.Context, share float64, seed int64) (string, error) {
	return func(ctx context.Context, share float64, seed int64) (string, error) {
		var cs tenantsim.ChangeSet
		if err := simControl(ctx, info, http.MethodPost, "/changes", tenantsim.ChangesJSON{Share: &share, Seed: seed}, &cs); err != nil {
			return "", err
		}
		return fmt.Sprintf("changed %d users: %d attribute edits, %d licenses added, %d removed, %d refused, %d joins, %d leaves, %d deleted, a template %s, %d units bought",
			cs.Users, cs.AttributeEdits, cs.LicensesAdded, cs.LicensesRemoved, cs.LicensesRefused, cs.Joins, cs.Leaves, cs.Deletions,
			cs.TemplateChange, cs.UnitsBought), nil
	}
}

// simControl calls the simulator's control API: body (if any) sent as JSON, the answer
// decoded into out.
func simControl(ctx context.Context, info tenantsim.Info, method, path string, body, out any) error {
	pem, err := os.ReadFile(info.CAFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}, Timeout: 60 * time.Second}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, info.ControlURL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return fmt.Errorf("simulator %s %s: %s: %s", method, path, res.Status, bytes.TrimSpace(msg))
	}
	return json.NewDecoder(res.Body).Decode(out)
}
