package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/sspr"
)

const ssprUsage = "verify [-json] FILE|-   (an .eml or .msg file, or the message on stdin)"

// exitBadInput is the exit status of `sspr verify` for input it cannot use; the verdicts have
// 0 to 3 (sspr.Verdict.ExitCode).
const exitBadInput = 4

// exitError ends the command with a status of its own; its message, if any, has been printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// runSSPR checks a password-reset request mail from the command line with the same verifier
// as the /sspr page, prints the verdict, what to do and every finding (or the report as
// JSON), records the check in the activity log, and exits 0 genuine, 1 suspicious, 2 spoofed,
// 3 cannot tell, 4 bad input.
func runSSPR(ctx context.Context, e env, args []string) error {
	cfg, err := config.Load(e.lookupEnv, e.readFile)
	if err != nil {
		return err
	}
	fs := newFlagSet(e, "sspr", ssprUsage)
	cfg.BindFlags(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON (the answer of POST /api/sspr/verify)")
	// Flags may come before or after the file: "verify FILE -json" as well as "verify -json FILE".
	var rest []string
	for len(args) > 0 {
		if err := parseFlags(fs, args); err != nil {
			return badUsage(err)
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 2 || rest[0] != "verify" {
		fs.Usage()
		return exitError{exitBadInput}
	}
	if err := cfg.Validate(config.ModeRefresh); err != nil {
		return err
	}
	name, data, err := readMessage(e, rest[1], cfg.SSPRMaxBytes)
	if err != nil {
		fmt.Fprintln(e.stderr, "tenantdesk sspr:", err)
		return exitError{exitBadInput}
	}
	a, err := app.New(ctx, cfg, newLogger(e, cfg))
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := a.SSPR.Verify(ctx, data, name)
	if errors.Is(err, model.ErrInvalid) {
		fmt.Fprintln(e.stderr, "tenantdesk sspr:", err)
		return exitError{exitBadInput}
	}
	if err != nil {
		return err
	}
	act := sspr.Activity(rep)
	act.ActorName = "command line"
	if u, uerr := user.Current(); uerr == nil {
		act.ActorName = "command line (" + u.Username + ")"
	}
	if lerr := a.Store.AddActivity(ctx, act); lerr != nil {
		fmt.Fprintln(e.stderr, "tenantdesk sspr: the activity log could not be written:", lerr)
	}
	if *asJSON {
		if err := printJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		printReport(e.stdout, rep, cfg.BaseURL())
	}
	if code := rep.Verdict.ExitCode(); code != 0 {
		return exitError{code}
	}
	return nil
}

// badUsage turns a flag mistake into the bad-input exit status (2 is "spoofed" here).
func badUsage(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return exitError{exitBadInput}
}

// readMessage reads the message from a file or, for "-", from stdin, at most max+1 bytes (the
// verifier refuses more with the limit in its message).
func readMessage(e env, arg string, max int64) (string, []byte, error) {
	var r io.Reader
	name := ""
	if arg == "-" {
		r = e.in()
	} else {
		f, err := os.Open(arg)
		if err != nil {
			return "", nil, err
		}
		defer f.Close()
		r, name = f, filepath.Base(arg)
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return "", nil, fmt.Errorf("read %s: %w", arg, err)
	}
	return name, b, nil
}

// printReport writes the report for people: verdict, summary, what to do, the user, the flows
// and the checks.
func printReport(w io.Writer, r sspr.Report, baseURL string) {
	fmt.Fprintf(w, "%s\n%s\n", strings.ToUpper(r.Headline), r.Summary)
	if len(r.Missing) > 0 {
		fmt.Fprintln(w, "\nMissing to decide:")
		for _, m := range r.Missing {
			fmt.Fprintln(w, "  -", m)
		}
	}
	fmt.Fprintln(w, "\nWhat to do:")
	for i, s := range r.NextSteps {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s)
	}
	if u := r.User; u != nil {
		if u.Found {
			state := "enabled"
			if !u.Enabled {
				state = "DISABLED"
			}
			fmt.Fprintf(w, "\nUser: %s (%s), account %s\n  %s/users/%s\n", u.DisplayName, u.UPN, state, baseURL, url.PathEscape(u.ID))
		} else {
			fmt.Fprintf(w, "\nUser: %s is not a user of this tenant\n", u.UPN)
		}
	}
	if !r.Window.From.IsZero() && r.User != nil && r.User.Found {
		fmt.Fprintf(w, "\nPassword-reset activity %s to %s UTC (around %s):\n", r.Window.From.Format("2 Jan 2006 15:04"), r.Window.To.Format("2 Jan 2006 15:04"), r.Window.Basis)
		if len(r.Flows) == 0 {
			fmt.Fprintln(w, "  none")
		}
		for _, f := range r.Flows {
			mark := ""
			if f.Matches {
				mark = "  <- explains this mail"
			}
			fmt.Fprintf(w, "  %s to %s from %s (%s): %s%s\n", f.Started.UTC().Format("2 Jan 15:04:05"), f.Ended.UTC().Format("15:04:05"),
				f.IPAddress, f.Where, f.OutcomeText, mark)
			for _, s := range f.Steps {
				fmt.Fprintf(w, "      %s  %-7s  %s\n", s.At.UTC().Format("15:04:05"), s.Result, s.Words)
			}
		}
	}
	fmt.Fprintln(w, "\nChecks:")
	for _, c := range r.Checks {
		fmt.Fprintf(w, "  %-4s  %-36s %s\n", c.Status, c.Title, c.Message)
		if c.Source != "" {
			fmt.Fprintf(w, "        %-36s from %s\n", "", c.Source)
		}
	}
	if len(r.Ignored) > 0 {
		fmt.Fprintln(w, "\nNot trusted:")
		for _, i := range r.Ignored {
			fmt.Fprintf(w, "  %s (field %d): %s\n", i.Name, i.Index, i.Reason)
		}
	}
	for _, n := range r.Message.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	for _, x := range r.Warnings {
		fmt.Fprintln(w, "warning:", x)
	}
}
