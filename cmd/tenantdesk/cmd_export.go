package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/licensereport"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

const exportUsage = "licenses -sku PART_NUMBER|GUID [-sku ...] | -all | -users [-columns a,b,...] [-format csv|zip] [-o FILE]"

// skuList is a repeatable flag of SKUs by part number or id.
type skuList []string

func (l *skuList) String() string { return strings.Join(*l, ",") }

func (l *skuList) Set(v string) error {
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// runExport writes the license report from the current snapshot, exactly as the /licenses
// pages download it: the holders of SKUs (one CSV, or a ZIP of one CSV per SKU) or one row per
// licensed user, to a file or standard output. It reads only the database: no Graph call.
func runExport(ctx context.Context, e env, args []string) error {
	cfg, err := config.Load(e.lookupEnv, e.readFile)
	if err != nil {
		return err
	}
	fs := newFlagSet(e, "export", exportUsage)
	cfg.BindFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 || fs.Arg(0) != "licenses" {
		fs.Usage()
		return errUsage
	}
	sub := newFlagSet(e, "export licenses", exportUsage)
	cfg.BindFlags(sub)
	var skus skuList
	sub.Var(&skus, "sku", "a SKU by part number or GUID; repeat it or separate by commas")
	all := sub.Bool("all", false, "every subscribed SKU")
	users := sub.Bool("users", false, "one row per licensed user with every license and its source, instead of holders per SKU")
	columns := sub.String("columns", strings.Join(licensereport.DefaultColumns(), ","), "columns, comma-separated: "+strings.Join(licensereport.ColumnNames(), ", "))
	format := sub.String("format", "", "csv (one file; several SKUs get a SKU column) or zip (one CSV per SKU); default from -o's extension, else csv")
	out := sub.String("o", "", "write to this file instead of standard output")
	noBOM := sub.Bool("no-bom", false, "leave out the UTF-8 byte order mark (Excel needs it to read accents right)")
	if err := parseFlags(sub, fs.Args()[1:]); err != nil {
		return err
	}
	picked := 0
	for _, on := range []bool{len(skus) > 0, *all, *users} {
		if on {
			picked++
		}
	}
	if picked != 1 || sub.NArg() > 0 {
		fmt.Fprintln(e.stderr, "tenantdesk export licenses: give exactly one of -sku, -all or -users")
		sub.Usage()
		return errUsage
	}
	cols, err := licensereport.ParseColumns(strings.Split(*columns, ","))
	if err != nil {
		return err
	}
	if *format == "" {
		*format = "csv"
		if strings.EqualFold(filepath.Ext(*out), ".zip") {
			*format = "zip"
		}
	}
	if *format != "csv" && *format != "zip" {
		return fmt.Errorf("-format %q: use csv or zip", *format)
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	report, err := licensereport.New(st, nil)
	if err != nil {
		return err
	}
	opts := licensereport.Options{Columns: cols, BOM: !*noBOM}
	write := func(w io.Writer) error { return report.WriteUsersCSV(ctx, w, opts) }
	if !*users {
		sums, err := report.Summaries(ctx)
		if err != nil {
			return noSnapshot(err)
		}
		chosen := sums
		if !*all {
			chosen = nil
			for _, ref := range skus {
				s, err := licensereport.Find(sums, ref)
				if err != nil {
					var nf *model.NotFoundError
					if errors.As(err, &nf) {
						return errors.New(nf.Detail)
					}
					return err
				}
				chosen = append(chosen, s)
			}
		}
		write = func(w io.Writer) error { return report.WriteCSV(ctx, w, chosen, opts) }
		if *format == "zip" {
			write = func(w io.Writer) error { return report.WriteZIP(ctx, w, chosen, opts) }
		}
	}
	return noSnapshot(writeOutput(e, *out, write))
}

// noSnapshot says what to do before the first snapshot.
func noSnapshot(err error) error {
	if errors.Is(err, model.ErrNotFound) {
		return errors.New("there is no snapshot of the tenant yet: run 'tenantdesk refresh' first")
	}
	return err
}

// writeOutput runs write on standard output, or on a file at path that appears only when write
// succeeded (a failed export leaves no half file behind).
func writeOutput(e env, path string, write func(io.Writer) error) error {
	if path == "" {
		return write(e.stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
