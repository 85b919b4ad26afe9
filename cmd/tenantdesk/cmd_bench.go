package main

import (
	"bufio"
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
	change := fs.Float64("change", 0.01, "share of users changed before each incremental refresh")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (the client) to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
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
		WireBytes: simWireBytes(info),
	}
	fmt.Fprintf(e.stderr, "simulated tenant ready (%d users); running each strategy %d times...\n", *users, *runs)
	_, err = bench.Run(ctx, t, bench.Options{Runs: *runs, ChangeShare: *change,
		Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}, e.stdout)
	return err
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
		pem, err := os.ReadFile(info.CAFile)
		if err != nil {
			return 0, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}, Timeout: 10 * time.Second}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, info.ControlURL+"/stats", nil)
		if err != nil {
			return 0, err
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		var st tenantsim.StatsSnapshot
		if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
			return 0, err
		}
		return st.Total.Bytes, nil
	}
}
