package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/health"
	"github.com/tenantdesk/tenantdesk/internal/store"
)

const healthUsage = "[-json] [-days N] [-horizon N] [-max KIND=N ...] [-max-waste AMOUNT]"

// healthExceeded is the exit code when a finding passes its threshold.
const healthExceeded = 3

// thresholds are -max KIND=N flags: the most of each finding a scheduled job accepts.
type thresholds map[string]int

func (t thresholds) String() string {
	var parts []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range t {
			if !yield(k) {
				return
			}
		}
	}) {
		parts = append(parts, k+"="+strconv.Itoa(t[k]))
	}
	return strings.Join(parts, ",")
}

func (t thresholds) Set(v string) error {
	for part := range strings.SplitSeq(v, ",") {
		kind, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		max, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err != nil || max < 0 {
			return fmt.Errorf("%q: write KIND=N, N a count from 0", part)
		}
		if !slices.Contains(health.Kinds(), kind) {
			return fmt.Errorf("%q: no finding %q; the findings are %s", part, kind, strings.Join(health.Kinds(), ", "))
		}
		t[kind] = max
	}
	return nil
}

// runHealth prints license health from the current snapshot with the same computation as
// /health, as a summary or (-json) the whole report, and exits 3 when a finding passes a
// threshold given with -max (or the monthly waste passes -max-waste), for scheduled jobs. It
// reads only the database: no Graph call.
func runHealth(ctx context.Context, e env, args []string) error {
	cfg, err := config.Load(e.lookupEnv, e.readFile)
	if err != nil {
		return err
	}
	fs := newFlagSet(e, "health", healthUsage)
	cfg.BindFlags(fs)
	asJSON := fs.Bool("json", false, "print the whole report as JSON (every item of every finding)")
	days := fs.Int("days", health.DefaultInactiveDays, "a user is inactive after this many days without a successful sign-in")
	horizon := fs.Int("horizon", health.DefaultHorizonDays, "list subscriptions that end or renew within this many days")
	max := thresholds{}
	fs.Var(max, "max", "KIND=N: exit 3 when finding KIND counts more than N (repeat, or separate by commas); kinds: "+strings.Join(health.Kinds(), ", "))
	maxWaste := fs.String("max-waste", "", "exit 3 when the monthly waste of priced licenses passes this amount (in each currency)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	wasteLimit, wasteSet, err := health.ParsePrice(*maxWaste)
	if err != nil {
		return fmt.Errorf("-max-waste: %w", err)
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := health.New(st, st, nil)
	if err != nil {
		return err
	}
	rep, err := svc.Report(ctx, health.Options{InactiveDays: *days, HorizonDays: *horizon})
	if err != nil {
		return noSnapshot(err)
	}
	var passed []string
	for _, f := range rep.Findings {
		if n, ok := max[f.Kind]; ok && f.Count > n {
			passed = append(passed, fmt.Sprintf("%s: %d %s, more than %d", f.Kind, f.Count, f.Unit, n))
		}
	}
	if wasteSet {
		for cur, cents := range rep.Waste {
			if cents > wasteLimit {
				passed = append(passed, fmt.Sprintf("monthly waste: %s %s, more than %s", health.FormatCents(cents), cur, health.FormatCents(wasteLimit)))
			}
		}
	}
	slices.Sort(passed)
	if *asJSON {
		err = printHealthJSON(e, rep, passed)
	} else {
		err = printHealth(e, rep, passed)
	}
	if err != nil {
		return err
	}
	if len(passed) > 0 {
		return exitError{healthExceeded}
	}
	return nil
}

var _ health.Store = (*store.Store)(nil)

func printHealth(e env, rep health.Report, passed []string) error {
	fmt.Fprintf(e.stdout, "License health of the snapshot taken %s (inactive after %d days, renewals within %d days)\n\n",
		rep.TakenAt.UTC().Format("2006-01-02 15:04 UTC"), rep.Options.InactiveDays, rep.Options.HorizonDays)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "count\tper month\t\t")
	for _, f := range rep.Findings {
		count := fmt.Sprintf("%d %s", f.Count, f.Unit)
		if f.Unavailable != "" {
			count = "not known"
		}
		fmt.Fprintf(tw, "%s\t%s\t\t%s\n", count, f.Monthly, f.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	for _, f := range rep.Findings {
		if f.Unavailable != "" {
			fmt.Fprintf(e.stdout, "%s: %s\n", f.Kind, f.Unavailable)
		}
	}
	if w := rep.Waste.String(); w != "" {
		fmt.Fprintf(e.stdout, "Licenses nobody uses cost %s a month", w)
		if rep.UnpricedSKUs > 0 {
			fmt.Fprintf(e.stdout, ", not counting %d licenses without a price", rep.UnpricedSKUs)
		}
		fmt.Fprintln(e.stdout, ".")
	} else {
		fmt.Fprintln(e.stdout, "No license has a price: waste is counted in units (set prices on /health/prices).")
	}
	for _, p := range passed {
		fmt.Fprintln(e.stdout, "THRESHOLD PASSED: "+p)
	}
	return nil
}

// healthJSON is the report as `tenantdesk health -json` prints it.
type healthJSON struct {
	TakenAt          string            `json:"takenAt"`
	InactiveDays     int               `json:"inactiveDays"`
	HorizonDays      int               `json:"horizonDays"`
	MonthlyWaste     map[string]string `json:"monthlyWaste"`
	UnpricedSKUs     int               `json:"unpricedSkus"`
	ThresholdsPassed []string          `json:"thresholdsPassed"`
	Findings         []findingJSON     `json:"findings"`
}

type findingJSON struct {
	Kind        string            `json:"kind"`
	Title       string            `json:"title"`
	Count       int               `json:"count"`
	Unit        string            `json:"unit"`
	Monthly     map[string]string `json:"monthly"`
	Unpriced    int               `json:"unpriced"`
	Unavailable string            `json:"unavailable,omitempty"`
	Fix         string            `json:"fix"`
	Items       []itemJSON        `json:"items"`
}

type itemJSON struct {
	UserID            string            `json:"userId,omitempty"`
	UserDisplayName   string            `json:"userDisplayName,omitempty"`
	UserPrincipalName string            `json:"userPrincipalName,omitempty"`
	GroupID           string            `json:"groupId,omitempty"`
	SKUID             string            `json:"skuId,omitempty"`
	License           string            `json:"license,omitempty"`
	Direct            bool              `json:"assignedDirectly"`
	Groups            []string          `json:"groupIds,omitempty"`
	Units             int               `json:"units,omitempty"`
	Monthly           map[string]string `json:"monthly,omitempty"`
	Date              string            `json:"date,omitempty"`
	Detail            string            `json:"detail"`
	Fix               string            `json:"fix"`
}

func moneyJSON(m health.Money) map[string]string {
	out := map[string]string{}
	for c, v := range m {
		out[c] = strings.ReplaceAll(health.FormatCents(v), ",", "")
	}
	return out
}

func printHealthJSON(e env, rep health.Report, passed []string) error {
	out := healthJSON{TakenAt: rep.TakenAt.UTC().Format("2006-01-02T15:04:05Z"), InactiveDays: rep.Options.InactiveDays,
		HorizonDays: rep.Options.HorizonDays, MonthlyWaste: moneyJSON(rep.Waste), UnpricedSKUs: rep.UnpricedSKUs,
		ThresholdsPassed: append([]string{}, passed...)}
	for _, f := range rep.Findings {
		fj := findingJSON{Kind: f.Kind, Title: f.Title, Count: f.Count, Unit: f.Unit, Monthly: moneyJSON(f.Monthly),
			Unpriced: f.Unpriced, Unavailable: f.Unavailable, Fix: f.Fix, Items: []itemJSON{}}
		for _, it := range f.Items {
			ij := itemJSON{UserID: it.UserID, UserDisplayName: it.UserName, UserPrincipalName: it.UPN, GroupID: it.GroupID,
				SKUID: it.SKUID, License: it.SKUName, Direct: it.Direct, Units: it.Units, Detail: it.Detail, Fix: it.Fix}
			if !it.Monthly.Zero() {
				ij.Monthly = moneyJSON(it.Monthly)
			}
			if !it.When.IsZero() {
				ij.Date = it.When.UTC().Format("2006-01-02T15:04:05Z")
			}
			for _, g := range it.Groups {
				ij.Groups = append(ij.Groups, g.ID)
			}
			fj.Items = append(fj.Items, ij)
		}
		out.Findings = append(out.Findings, fj)
	}
	return printJSON(e.stdout, out)
}
