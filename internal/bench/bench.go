// Package bench compares tenantdesk's ways of reading a tenant with the reference strategy (the
// PowerShell tool's) against one simulated tenant, through the same Graph client and HTTP stack:
// requests, bytes, wall and CPU time, peak memory, and the ratios. `tenantdesk bench` runs it
// with the simulator in a child process, so the figures are the client's alone.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/graph"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/snapshot"
	"github.com/tenantdesk/tenantdesk/internal/store"
)

// Tenant is the simulated tenant the benchmark runs against and how it was made.
type Tenant struct {
	Graph                         graph.Config
	Users, Groups, LicensedGroups int
	Latency                       time.Duration
	// WireBytes, if set, is how many response bytes the simulator has sent so far, as they
	// went over the wire (compressed where the client accepted it).
	WireBytes func(ctx context.Context) (int64, error)
	// Change, if set, changes share of the tenant's users with the change set seed picks (the
	// simulator's POST /_sim/changes) and says what it did; the incremental refreshes are
	// measured only with it.
	Change func(ctx context.Context, share float64, seed int64) (string, error)
}

// Options are how the benchmark runs.
type Options struct {
	Runs        int     // repetitions; medians are reported
	ChangeShare float64 // of users changed before each incremental refresh (0 = nothing changed)
	Dir         string  // for the databases (a temporary folder when empty)
	Logger      *slog.Logger
}

// Result is one strategy's median figures.
type Result struct {
	Name            string
	Requests        int64
	Bytes           int64 // decoded response bytes the client read
	WireBytes       int64 // as sent by the server
	Wall, CPU       time.Duration
	PeakRSS, PeakGo uint64 // bytes
	Note            string
}

// Run measures each strategy opts.Runs times and writes the table of medians to out.
func Run(ctx context.Context, t Tenant, opts Options, out io.Writer) ([]Result, error) {
	if opts.Runs < 1 {
		opts.Runs = 1
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	dir := opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "tenantdesk-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	client, err := graph.New(t.Graph)
	if err != nil {
		return nil, err
	}
	var results []Result
	ref, err := repeat(opts.Runs, "reference strategy (PowerShell tool)", func() (string, error) {
		r, err := client.ReferenceScan(ctx)
		return fmt.Sprintf("%d groups, %d licensed, %d members, %d in error", r.Groups, r.LicensedGroups, r.Members, r.MembersInError), err
	}, client, t.WireBytes)
	if err != nil {
		return nil, fmt.Errorf("reference strategy: %w", err)
	}
	results = append(results, ref)

	full, err := repeat(opts.Runs, "tenantdesk full sync", func() (string, error) {
		st, syncer, err := openSyncer(ctx, filepath.Join(dir, "full-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".db"), client, opts.Logger)
		if err != nil {
			return "", err
		}
		defer st.Close()
		run, err := syncer.Run(ctx)
		return fmt.Sprintf("%d users, %d licensed groups", run.Users, run.Groups), err
	}, client, t.WireBytes)
	if err != nil {
		return nil, fmt.Errorf("full sync: %w", err)
	}
	results = append(results, full)
	chain, err := repeat(opts.Runs, "the chain of user pages alone", func() (string, error) {
		pages, err := client.UserPageChain(ctx)
		return fmt.Sprintf("%d pages, fetched for their links only", pages), err
	}, client, t.WireBytes)
	if err != nil {
		return nil, fmt.Errorf("chain of user pages: %w", err)
	}
	var check incrementalCheck
	if t.Change != nil {
		inc, c, err := incremental(ctx, t, opts, filepath.Join(dir, "incremental.db"), client)
		if err != nil {
			return nil, fmt.Errorf("incremental refresh: %w", err)
		}
		results, check = append(results, inc...), c
	}
	writeTable(out, t, opts, results)
	chain.writeChain(out, full)
	check.floor = LatencyFloor(t)
	check.write(out, opts, results)
	return results, nil
}

// incrementalCheck is what part (c) found besides the figures: the database's size, and whether
// the refreshed snapshot equals a full sync of the tenant as it is then.
type incrementalCheck struct {
	sizeAfterFull, sizeAfterRefreshes int64
	refreshes                         int
	differs                           []string // tables whose data differs from the full sync's
	// daily: full syncs over the previous snapshot were measured (the last result); dailyDiffers
	// are the tables where their snapshot differs from a fresh full sync's.
	daily        bool
	dailyDiffers []string
	floor        time.Duration // the full sync's latency floor
}

// incremental measures, on one database holding a full sync, opts.Runs incremental refreshes
// with nothing changed, then opts.Runs each after t.Change changed opts.ChangeShare of the
// users (outside the measurement); then it compares the snapshot with a fresh full sync's.
func incremental(ctx context.Context, t Tenant, opts Options, path string, client *graph.Client) ([]Result, incrementalCheck, error) {
	var check incrementalCheck
	st, syncer, err := openSyncer(ctx, path, client, opts.Logger)
	if err != nil {
		return nil, check, err
	}
	defer st.Close()
	if _, err := syncer.RunMode(ctx, snapshot.Full); err != nil {
		return nil, check, err
	}
	check.sizeAfterFull = dbSize(path)
	refresh := func() (string, error) {
		run, err := syncer.RunMode(ctx, snapshot.Incremental)
		check.refreshes++
		if err == nil && run.Kind != model.SyncIncremental {
			err = fmt.Errorf("ran as a %s sync: %s", run.Kind, run.Note)
		}
		return run.Note, err
	}
	nothing, err := repeat(opts.Runs, "incremental, nothing changed", refresh, client, t.WireBytes)
	if err != nil {
		return nil, check, err
	}
	results := []Result{nothing}
	if opts.ChangeShare > 0 {
		seed, what := int64(0), ""
		changed, err := repeat(opts.Runs, fmt.Sprintf("incremental, %g%% of users changed", opts.ChangeShare*100), func() (string, error) {
			note, err := refresh()
			return what + "; " + note, err
		}, client, t.WireBytes, func() error {
			seed++
			var err error
			what, err = t.Change(ctx, opts.ChangeShare, seed)
			return err
		})
		if err != nil {
			return nil, check, err
		}
		results = append(results, changed)
	}
	check.sizeAfterRefreshes = dbSize(path)
	fresh, fsyncer, err := openSyncer(ctx, path+".full", client, opts.Logger)
	if err != nil {
		return nil, check, err
	}
	defer fresh.Close()
	if check.differs, err = differsFromFullSync(ctx, st, fresh, fsyncer); err != nil {
		return nil, check, err
	}
	if opts.ChangeShare == 0 {
		return results, check, nil
	}
	// The daily full sync: over the snapshot the previous one left (here the fresh one just
	// compared), after the same share of users changed.
	seed, what := int64(1000), ""
	daily, err := repeat(opts.Runs, fmt.Sprintf("full sync over the last, %g%% changed", opts.ChangeShare*100), func() (string, error) {
		run, err := fsyncer.RunMode(ctx, snapshot.Full)
		return fmt.Sprintf("%s; %d users", what, run.Users), err
	}, client, t.WireBytes, func() error {
		// A day apart, the last sync's pruning (in the background) is long over.
		if err := fresh.WaitPruned(); err != nil {
			return err
		}
		seed++
		var err error
		what, err = t.Change(ctx, opts.ChangeShare, seed)
		return err
	})
	if err != nil {
		return nil, check, err
	}
	check.daily = true
	again, asyncer, err := openSyncer(ctx, path+".full2", client, opts.Logger)
	if err != nil {
		return nil, check, err
	}
	defer again.Close()
	if check.dailyDiffers, err = differsFromFullSync(ctx, fresh, again, asyncer); err != nil {
		return nil, check, err
	}
	return append(results, daily), check, nil
}

// differsFromFullSync runs a full sync into the empty store fresh and names the tables where
// the current snapshot of st differs from it.
func differsFromFullSync(ctx context.Context, st, fresh *store.Store, syncer *snapshot.Syncer) ([]string, error) {
	mine, err := st.SnapshotDigest(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := syncer.RunMode(ctx, snapshot.Full); err != nil {
		return nil, err
	}
	theirs, err := fresh.SnapshotDigest(ctx)
	if err != nil {
		return nil, err
	}
	var differs []string
	for _, table := range slices.Sorted(maps.Keys(mine)) {
		if mine[table] != theirs[table] {
			differs = append(differs, table)
		}
	}
	for table := range theirs {
		if _, ok := mine[table]; !ok {
			differs = append(differs, table)
		}
	}
	return differs, nil
}

// dbSize is the size of a SQLite database with its write-ahead log.
func dbSize(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func (c incrementalCheck) write(out io.Writer, opts Options, rs []Result) {
	if c.refreshes == 0 || len(rs) < 3 {
		return
	}
	full := rs[1]
	incremental := rs[2:]
	if c.daily {
		incremental = rs[2 : len(rs)-1]
	}
	for _, r := range incremental {
		fmt.Fprintf(out, "%s: %d requests, %.2f%% of the full sync's %d\n", r.Name, r.Requests,
			100*float64(r.Requests)/float64(max(full.Requests, 1)), full.Requests)
	}
	fmt.Fprintf(out, "database: %.1f MB after the full sync, %.1f MB after %d incremental refreshes\n",
		float64(c.sizeAfterFull)/1e6, float64(c.sizeAfterRefreshes)/1e6, c.refreshes)
	if len(c.differs) == 0 {
		fmt.Fprintln(out, "the refreshed snapshot equals a fresh full sync's of the tenant")
	} else {
		fmt.Fprintf(out, "THE REFRESHED SNAPSHOT DIFFERS from a fresh full sync's in %s\n", strings.Join(c.differs, ", "))
	}
	if !c.daily {
		return
	}
	daily := rs[len(rs)-1]
	fmt.Fprintf(out, "%s vs reference: %.1fx fewer requests, %.1fx less wall time; %.2fx the latency floor; %.2fx the first full sync's wall time\n",
		daily.Name, ratio(rs[0].Requests, daily.Requests), ratio(int64(rs[0].Wall), int64(daily.Wall)),
		float64(daily.Wall)/float64(max(c.floor, 1)), float64(daily.Wall)/float64(max(full.Wall, 1)))
	if len(c.dailyDiffers) == 0 {
		fmt.Fprintln(out, "its snapshot equals a fresh full sync's of the tenant")
	} else {
		fmt.Fprintf(out, "ITS SNAPSHOT DIFFERS from a fresh full sync's in %s\n", strings.Join(c.dailyDiffers, ", "))
	}
}

func openSyncer(ctx context.Context, path string, client *graph.Client, logger *slog.Logger) (*store.Store, *snapshot.Syncer, error) {
	st, err := store.Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	syncer := snapshot.New(client, st, logger)
	syncer.Requests = func() int64 { return client.Stats().Requests }
	return st, syncer, nil
}

// repeat measures fn runs times and returns the medians; each prepare (if any) runs before
// each measurement, outside it.
func repeat(runs int, name string, fn func() (string, error), client *graph.Client, wire func(context.Context) (int64, error), prepare ...func() error) (Result, error) {
	var all []Result
	note := ""
	for range runs {
		for _, p := range prepare {
			if err := p(); err != nil {
				return Result{}, err
			}
		}
		r, n, err := measure(name, fn, client, wire)
		if err != nil {
			return Result{}, err
		}
		all = append(all, r)
		note = n
	}
	med := Result{Name: name, Note: note}
	med.Requests = median(all, func(r Result) int64 { return r.Requests })
	med.Bytes = median(all, func(r Result) int64 { return r.Bytes })
	med.WireBytes = median(all, func(r Result) int64 { return r.WireBytes })
	med.Wall = time.Duration(median(all, func(r Result) int64 { return int64(r.Wall) }))
	med.CPU = time.Duration(median(all, func(r Result) int64 { return int64(r.CPU) }))
	med.PeakRSS = uint64(median(all, func(r Result) int64 { return int64(r.PeakRSS) }))
	med.PeakGo = uint64(median(all, func(r Result) int64 { return int64(r.PeakGo) }))
	return med, nil
}

func median(rs []Result, f func(Result) int64) int64 {
	vs := make([]int64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

// measure runs fn once and takes its figures: the client's requests and bytes, wall time, this
// process's CPU time, its peak resident memory (reset before) and the Go heap's peak.
func measure(name string, fn func() (string, error), client *graph.Client, wire func(context.Context) (int64, error)) (Result, string, error) {
	wire0 := wireBytes(wire)
	runtime.GC()
	resetPeakRSS()
	before := client.Stats()
	cpu0 := cpuTime()
	heap := watchHeap()
	start := time.Now()
	note, err := fn()
	wall := time.Since(start)
	peakGo := heap()
	after := client.Stats()
	r := Result{Name: name, Requests: after.Requests - before.Requests, Bytes: after.Bytes - before.Bytes,
		Wall: wall, CPU: cpuTime() - cpu0, PeakRSS: peakRSS(), PeakGo: peakGo}
	r.WireBytes = wireBytes(wire) - wire0
	return r, note, err
}

func wireBytes(wire func(context.Context) (int64, error)) int64 {
	if wire == nil {
		return 0
	}
	n, _ := wire(context.Background())
	return n
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS makes Linux forget the process's peak resident set (VmHWM), so each run's peak
// is its own; elsewhere it does nothing and the peak is the process's so far.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is VmHWM from /proc/self/status, 0 where there is none.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// watchHeap samples the Go heap every 2 ms until the returned function is called, which gives
// the highest sample.
func watchHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var highest uint64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			highest = max(highest, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		wg.Wait()
		return highest
	}
}

// LatencyFloor is the least wall time a full sync can take at latency, in round trips: one for
// the subscribed SKUs, the licensed groups, the subscriptions and the two deltaLinks from now
// (one $batch); then the chain of user pages (each waits for the previous one's link), 500
// users a page as Graph gives them with signInActivity (the simulated tenant has Entra ID P1 and
// the app AuditLog.Read.All), and beside it the licensed groups' member counts in $batch
// requests of 20, four at a time; then one asking the deltas whether anything changed while
// the users were read; last, one for the nested groups of the groups that have members other
// than users (the simulated tenant always has some).
func LatencyFloor(t Tenant) time.Duration {
	userPages, batches, nested := roundTrips(t)
	return t.Latency * time.Duration(1+max(userPages, int(math.Ceil(float64(batches)/4)))+1+nested)
}

// MinimumRequests is the fewest requests that read what a full sync keeps: the first $batch,
// every page of users, the member counts' batches and the nested groups'.
func MinimumRequests(t Tenant) int {
	userPages, batches, nested := roundTrips(t)
	return 1 + userPages + batches + nested
}

// roundTrips are the pages of users, the $batch requests of member counts and those of nested
// groups a full sync of t needs.
func roundTrips(t Tenant) (userPages, countBatches, nested int) {
	userPages = int(math.Ceil(float64(max(t.Users, 1)) / 500))
	countBatches = int(math.Ceil(float64(t.LicensedGroups) / 20))
	if t.LicensedGroups > 0 {
		nested = 1
	}
	return userPages, countBatches, nested
}

func writeTable(out io.Writer, t Tenant, opts Options, rs []Result) {
	fmt.Fprintf(out, "tenant: %d users, %d groups, %d licensed; latency %v; medians of %d runs\n\n",
		t.Users, t.Groups, t.LicensedGroups, t.Latency, opts.Runs)
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "strategy\trequests\tMB read\tMB on the wire\twall\tCPU\tpeak RSS MB\tpeak heap MB\t")
	for _, r := range rs {
		fmt.Fprintf(w, "%s\t%d\t%.1f\t%.1f\t%v\t%v\t%.0f\t%.0f\t\n", r.Name, r.Requests, float64(r.Bytes)/1e6, float64(r.WireBytes)/1e6,
			r.Wall.Round(time.Millisecond), r.CPU.Round(time.Millisecond), float64(r.PeakRSS)/1e6, float64(r.PeakGo)/1e6)
	}
	w.Flush()
	fmt.Fprintln(out)
	for _, r := range rs {
		if r.Note != "" {
			fmt.Fprintf(out, "%s: %s\n", r.Name, r.Note)
		}
	}
	if len(rs) >= 2 {
		ref, full := rs[0], rs[1]
		fmt.Fprintf(out, "\nfull sync vs reference: %.1fx fewer requests, %.1fx less wall time\n",
			ratio(ref.Requests, full.Requests), ratio(int64(ref.Wall), int64(full.Wall)))
		if least := MinimumRequests(t); least > 0 {
			fmt.Fprintf(out, "full sync requests %d, the fewest that read the same %d: %+.1f%%\n",
				full.Requests, least, 100*(float64(full.Requests)/float64(least)-1))
		}
		if floor := LatencyFloor(t); floor > 0 {
			fmt.Fprintf(out, "full sync latency floor %v: %.2fx of it\n", floor, float64(full.Wall)/float64(floor))
		}
	}
}

// writeChain prints how the full sync compares with the chain of its user pages fetched alone
// (r, measured after the full syncs): what the simulator's latency and its own time to answer
// allow, which the latency floor leaves out. The sync takes longer by its other round trips
// (three in a row besides the chain), the simulator's other answers, and the client's work and
// its contention for the cores that did not overlap the chain.
func (r Result) writeChain(out io.Writer, full Result) {
	fmt.Fprintf(out, "%s (%s): %d requests, %v, %v CPU; the full sync takes %.2fx as long\n", r.Name, r.Note, r.Requests,
		r.Wall.Round(time.Millisecond), r.CPU.Round(time.Millisecond), ratio(int64(full.Wall), int64(r.Wall)))
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return math.Inf(1)
	}
	return float64(a) / float64(b)
}
