package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/iprange"
)

const ipUsage = "lookup [-json] TEXT... | lookup -json - (text on stdin) | refresh | import FILE|DIR..."

// runIP looks addresses up in the stored Microsoft 365 endpoints and Azure service tags,
// downloads them now, or imports downloaded files (air-gapped sites), on the configured
// database.
func runIP(ctx context.Context, e env, args []string) error {
	cfg, err := config.Load(e.lookupEnv, e.readFile)
	if err != nil {
		return err
	}
	fs := newFlagSet(e, "ip", ipUsage)
	cfg.BindFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return errUsage
	}
	// The subcommand has its own flags; the settings may come after it too.
	sub := newFlagSet(e, "ip "+rest[0], ipUsage)
	cfg.BindFlags(sub)
	asJSON := sub.Bool("json", false, "print JSON (the same shape as /api/ip)")
	if err := parseFlags(sub, rest[1:]); err != nil {
		return err
	}
	subArgs := sub.Args()
	switch {
	case rest[0] == "lookup" && len(subArgs) > 0:
	case rest[0] == "refresh" && len(subArgs) == 0:
	case rest[0] == "import" && len(subArgs) > 0:
	default:
		fs.Usage()
		return errUsage
	}

	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	svc, err := app.NewIPService(ctx, st, logger)
	if err != nil {
		return err
	}
	switch rest[0] {
	case "lookup":
		text := strings.Join(subArgs, "\n")
		if len(subArgs) == 1 && subArgs[0] == "-" {
			b, err := io.ReadAll(io.LimitReader(e.in(), iprange.MaxQueryBytes+1))
			if err != nil {
				return fmt.Errorf("read stdin: %w", err)
			}
			text = string(b)
		}
		return ipLookup(e, svc, text, *asJSON)
	case "refresh":
		rep, err := svc.Refresh(ctx)
		if perr := printIPReport(e.stdout, rep, *asJSON); perr != nil {
			return perr
		}
		noteStored(e, cfg, rep)
		if err != nil {
			return fmt.Errorf("download failed for some sources (their previous data is kept): %w", err)
		}
		return nil
	default: // import
		var files []iprange.ImportFile
		for _, p := range subArgs {
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			if fi.IsDir() {
				dirFiles, err := iprange.ReadImportDir(p)
				if err != nil {
					return err
				}
				files = append(files, dirFiles...)
				continue
			}
			data, err := readFileCapped(p, iprange.MaxDocumentBytes)
			if err != nil {
				return err
			}
			files = append(files, iprange.ImportFile{Name: filepath.Base(p), Data: data})
		}
		rep, err := svc.Import(ctx, files...)
		if perr := printIPReport(e.stdout, rep, *asJSON); perr != nil {
			return perr
		}
		noteStored(e, cfg, rep)
		if err != nil {
			return fmt.Errorf("import failed for some files (nothing of theirs was stored): %w", err)
		}
		return nil
	}
}

// noteStored says on standard error which database a refresh or import wrote to, and that a
// server on it shows the new data without a restart.
func noteStored(e env, cfg config.Config, rep iprange.Report) {
	if !rep.Changed() {
		fmt.Fprintf(e.stderr, "tenantdesk: nothing new stored in %s\n", cfg.DBPath())
		return
	}
	fmt.Fprintf(e.stderr, "tenantdesk: stored in %s; a tenantdesk server on this database serves it within %s, without a restart\n",
		cfg.DBPath(), app.IPWatchInterval)
}

func readFileCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB: not an endpoint set list or service tags file", path, limit>>20)
	}
	return data, nil
}

// ipLookup prints what matched every address and host name in text; -json prints the same
// JSON as /api/ip.
func ipLookup(e env, svc iprange.Looker, text string, asJSON bool) error {
	out := iprange.LookupText(svc, text)
	if !out.HasData {
		fmt.Fprintln(e.stderr, "tenantdesk: no IP range data loaded yet, so nothing can match: run 'tenantdesk ip refresh', or 'tenantdesk ip import FILE|DIR' without internet access")
	}
	if asJSON {
		if err := printJSON(e.stdout, out); err != nil {
			return err
		}
	} else {
		printIPLookup(e.stdout, out)
	}
	for _, p := range out.Problems {
		fmt.Fprintf(e.stderr, "not an address: %s: %s\n", p.Input, p.Message)
	}
	for _, n := range out.Notes {
		fmt.Fprintln(e.stderr, "note:", n)
	}
	if len(out.Items) == 0 {
		return errors.New("no IP address or host name found in the text")
	}
	return nil
}

// printIPLookup writes one block per address: a heading line, then one line per match, most
// specific first.
func printIPLookup(w io.Writer, out iprange.LookupResult) {
	for i, it := range out.Items {
		if i > 0 {
			fmt.Fprintln(w)
		}
		subject := it.Subject()
		fmt.Fprint(w, subject)
		if it.Input != subject {
			fmt.Fprintf(w, "  (from %q)", it.Input)
		}
		if it.Note != "" {
			fmt.Fprintf(w, "  [%s]", it.Note)
		}
		fmt.Fprintln(w)
		switch {
		case !out.HasData:
			fmt.Fprintln(w, "  cannot tell: no IP range data loaded")
			continue
		case len(it.Matches) == 0 && it.Host != "":
			fmt.Fprintln(w, "  not a Microsoft 365 host name (no endpoint set URL matches)")
			continue
		case len(it.Matches) == 0:
			fmt.Fprintln(w, "  not a Microsoft address")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, m := range it.Matches {
			matched := m.Matched()
			switch {
			case m.M365 != nil:
				x := m.M365
				flags := x.Category
				if x.Required {
					flags += ", required"
				}
				if x.ExpressRoute {
					flags += ", ExpressRoute"
				}
				fmt.Fprintf(tw, "  M365 %s\tset %d\t%s\t%s\t%s\t%s\n", x.Instance, x.ID, x.ServiceAreaDisplayName, flags, ipPortsText(x.TCPPorts, x.UDPPorts), matched)
			case m.Azure != nil:
				x := m.Azure
				region := x.Region
				if region == "" {
					region = "global"
				}
				fmt.Fprintf(tw, "  Azure %s\t%s\t%s\t%s\tchange %d\t%s\n", x.Cloud, x.Tag, region, x.SystemService, x.ChangeNumber, matched)
			}
		}
		tw.Flush()
	}
	if len(out.Items) > 0 {
		fmt.Fprintln(w)
	}
	printIPSources(w, out.Sources)
}

func ipPortsText(tcp, udp string) string {
	var parts []string
	if tcp != "" {
		parts = append(parts, "TCP "+tcp)
	}
	if udp != "" {
		parts = append(parts, "UDP "+udp)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

// printIPSources writes the version and age of every source.
func printIPSources(w io.Writer, sources []iprange.SourceStatus) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "source\tversion\tfetched\tfrom")
	for _, s := range sources {
		name := "M365 " + s.Instance
		if s.Kind == iprange.KindServiceTags {
			name = "Azure " + s.Instance
		}
		fetched, version := "never", s.Version
		if !s.FetchedAt.IsZero() {
			fetched = s.FetchedAt.UTC().Format(time.DateTime) + " UTC"
		}
		if version == "" {
			version = "-"
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s", name, version, fetched, s.URL)
		if s.Err != "" {
			line += "\terror: " + s.Err
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// printIPReport writes the outcome per source or file of a refresh or import.
func printIPReport(w io.Writer, rep iprange.Report, asJSON bool) error {
	if asJSON {
		for i := range rep.Results {
			if rep.Results[i].Err != nil {
				rep.Results[i].Error = rep.Results[i].Err.Error()
			}
		}
		return printJSON(w, rep)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rep.Results {
		name := r.File
		if r.Instance != "" {
			src := "M365 " + r.Instance
			if r.Kind == iprange.KindServiceTags {
				src = "Azure " + r.Instance
			}
			if name != "" {
				name += " -> "
			}
			name += src
		}
		line := fmt.Sprintf("%s\t%s\t%s", name, r.Outcome, r.Version)
		if r.PreviousVersion != "" && r.PreviousVersion != r.Version {
			line += " (was " + r.PreviousVersion + ")"
		}
		if r.Err != nil {
			line += "\t" + r.Err.Error()
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

// in is standard input; an env without one (tests) reads nothing.
func (e env) in() io.Reader {
	if e.stdin == nil {
		return strings.NewReader("")
	}
	return e.stdin
}
