// Command tenantdesk is the Microsoft 365 licensing dashboard: `tenantdesk demo` runs it on a
// built-in simulated tenant, `tenantdesk serve` against a real tenant, `tenantdesk sim` runs the
// simulated tenant alone, `tenantdesk refresh` takes one snapshot, `tenantdesk reprocess`
// reprocesses license assignments, `tenantdesk group licenses` previews and changes a group's
// licenses and `tenantdesk sspr verify` checks a password-reset request mail from the command
// line.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	// The time zone database in the binary: alert channels' quiet hours name IANA zones, which
	// a host or image without /usr/share/zoneinfo could not load.
	_ "time/tzdata"
)

// env is how commands read the environment; tests replace it.
type env struct {
	stdout, stderr io.Writer
	stdin          io.Reader // nil reads nothing
	lookupEnv      func(string) (string, bool)
	readFile       func(string) ([]byte, error)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"demo", "run the dashboard on a built-in simulated tenant", runDemo},
		{"serve", "run the dashboard against the configured tenant", runServe},
		{"sim", "run the simulated tenant alone and print how to reach it", runSim},
		{"refresh", "take one snapshot of the tenant now, with progress", runRefresh},
		{"reprocess", "reprocess licenses: reprocess -group ID | -user ID...", runReprocess},
		{"group", "change a group's licenses: group licenses GROUP --add SKU[:disable=PLAN,...] --remove SKU --dry-run|--apply", runGroup},
		{"licenses", "manage license names: licenses import FILE | licenses refresh", runLicenses},
		{"export", "export who holds which license: export licenses -sku X | -all | -users", runExport},
		{"ip", "IP lookup data: ip lookup TEXT... | ip refresh | ip import FILE|DIR...", runIP},
		{"sspr", "is a password-reset request mail genuine: sspr verify FILE|- [-json]", runSSPR},
		{"backup", "write a consistent copy of the database while tenantdesk runs: backup -o FILE", runBackup},
		{"restore", "replace the database with a backup (tenantdesk stopped): restore [-yes] FILE", runRestore},
		{"alerts", "alerts: alerts channels | alerts open | alerts test CHANNEL (send a test now)", runAlerts},
		{"health", "license health: waste, renewals, hygiene; exit 3 past -max thresholds", runHealth},
		{"bench", "compare tenantdesk's sync with the reference strategy on a simulated tenant", runBench},
		{"config", "print the configuration reference (Markdown)", runConfigReference},
	}
}

// errUsage marks a mistake in the command line; its message has already been printed.
var errUsage = errors.New("usage")

// gcPercent is the collector's GOGC unless the environment sets GOGC. A sync makes over a
// gigabyte of short-lived garbage per 100,000 users above a live heap of about 50 MB; at Go's
// default of 100 the heap peaks near twice the live one. At 50 a 100,000-user sync peaked at
// 131-133 MB RSS instead of 145-149 (bench, medians of 3, side by side), for the collector
// time it took at 100 before pages and users stopped being held (1.2 s a sync).
const gcPercent = 50

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := env{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, lookupEnv: os.LookupEnv, readFile: os.ReadFile}
	err := run(ctx, e, os.Args[1:])
	stop()
	var ee exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "tenantdesk:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stderr)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "tenantdesk: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return errUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: tenantdesk <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'tenantdesk <command> -h' for a command's flags. Settings also come from")
	fmt.Fprintln(w, "TENANTDESK_* environment variables; 'tenantdesk config' lists them.")
}

// newFlagSet makes a subcommand's flag set that reports errors instead of exiting.
func newFlagSet(e env, name, argsHelp string) *flag.FlagSet {
	fs := flag.NewFlagSet("tenantdesk "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: tenantdesk %s [flags] %s\n\nFlags:\n", name, argsHelp)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning a bad flag into errUsage (flag has printed why).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// printJSON writes v to w as the commands' -json output: indented JSON, one value.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
