package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/config"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
)

// commandActor names who ran a command, for the activity log.
func commandActor() string {
	if u, err := user.Current(); err == nil {
		return "command line (" + u.Username + ")"
	}
	return "command line"
}

// storeConfig reads the settings a command that only opens the database needs.
func storeConfig(e env, name, argsHelp string, args []string, bind func(fs *flag.FlagSet)) (config.Config, []string, error) {
	cfg, err := config.Load(e.lookupEnv, e.readFile)
	if err != nil {
		return cfg, nil, err
	}
	fs := newFlagSet(e, name, argsHelp)
	cfg.BindFlags(fs)
	if bind != nil {
		bind(fs)
	}
	if err := parseFlags(fs, args); err != nil {
		return cfg, nil, err
	}
	if err := cfg.Validate(config.ModeDemo); err != nil { // nothing of Graph or sign-in is needed
		return cfg, nil, err
	}
	return cfg, fs.Args(), nil
}

// runBackup writes a consistent copy of the database (SQLite's online backup API: a running
// server and its syncs go on) to the file named by -o, which must not exist.
func runBackup(ctx context.Context, e env, args []string) error {
	var out string
	cfg, rest, err := storeConfig(e, "backup", "-o FILE", args, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "the backup file to write (must not exist)")
	})
	if err != nil {
		return err
	}
	if out == "" || len(rest) > 0 {
		fmt.Fprintln(e.stderr, "tenantdesk backup: give the file to write with -o FILE")
		return errUsage
	}
	if _, err := os.Stat(cfg.DBPath()); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("there is no database at %s to back up (set TENANTDESK_DATA_DIR or TENANTDESK_DATABASE)", cfg.DBPath())
	}
	st, err := store.Open(ctx, cfg.DBPath())
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	info, err := st.Backup(ctx, out)
	act := model.Activity{ActorName: commandActor(), Action: model.ActionBackup, Target: out, Result: model.ActivityOK}
	if err != nil {
		act.Result, act.Detail = model.ActivityFailed, err.Error()
	} else {
		act.Detail = fmt.Sprintf("%s: %d activity entries, %d jobs, %d snapshots", model.FormatBytes(info.Bytes), info.Activity, info.Jobs, info.Snapshots)
	}
	if lerr := st.AddActivity(ctx, act); lerr != nil {
		fmt.Fprintln(e.stderr, "tenantdesk backup: the activity log could not be written:", lerr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backup of %s written to %s in %s: %s, %d activity entries, %d jobs, %d snapshots (schema %d)\n",
		cfg.DBPath(), info.Path, time.Since(start).Round(time.Millisecond), model.FormatBytes(info.Bytes), info.Activity, info.Jobs,
		info.Snapshots, info.Migration)
	return nil
}

// runRestore replaces the database with a backup, after checking the backup and keeping a copy
// of the database it replaces. No tenantdesk may have the database open.
func runRestore(ctx context.Context, e env, args []string) error {
	var yes bool
	cfg, rest, err := storeConfig(e, "restore", "[-yes] FILE", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, "replace a database that holds data without asking")
	})
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fmt.Fprintln(e.stderr, "tenantdesk restore: name the backup file to restore")
		return errUsage
	}
	from, dbPath := rest[0], cfg.DBPath()
	info, err := store.InspectBackup(ctx, from)
	if err != nil {
		return err
	}
	if err := store.CheckNotInUse(dbPath); err != nil {
		return err
	}
	kept := ""
	if _, err := os.Stat(dbPath); err == nil {
		cur, err := store.InspectBackup(ctx, dbPath)
		if err == nil && (cur.Activity > 0 || cur.Snapshots > 0) && !yes {
			return fmt.Errorf("%s holds data (%d activity entries, %d jobs, %d snapshots) that the restore replaces: stop tenantdesk, then run again with -yes (a copy of it is kept next to it)",
				dbPath, cur.Activity, cur.Jobs, cur.Snapshots)
		}
		if err == nil {
			kept = filepath.Join(filepath.Dir(dbPath), filepath.Base(dbPath)+".before-restore-"+time.Now().UTC().Format("20060102T150405Z"))
			if err := copyAside(ctx, dbPath, kept); err != nil {
				return err
			}
		}
	}
	if _, err := store.Restore(ctx, dbPath, from); err != nil {
		return err
	}
	st, err := store.Open(ctx, dbPath) // applies this version's newer migrations
	if err != nil {
		return err
	}
	defer st.Close()
	detail := fmt.Sprintf("restored from %s (%d activity entries, %d jobs, %d snapshots); every session ended", from, info.Activity, info.Jobs, info.Snapshots)
	if kept != "" {
		detail += "; the replaced database is kept as " + kept
	}
	if err := st.AddActivity(ctx, model.Activity{ActorName: commandActor(), Action: model.ActionRestore, Target: dbPath,
		Result: model.ActivityOK, Detail: detail}); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, detail+". Everyone signs in again; jobs that were running when the backup was taken are taken up by the next tenantdesk serve.")
	return nil
}

// copyAside backs the database at path up to aside before a restore replaces it.
func copyAside(ctx context.Context, path, aside string) error {
	st, err := store.Open(ctx, path)
	if errors.Is(err, store.ErrInUse) {
		return err
	} else if err != nil {
		return fmt.Errorf("keep a copy of %s: %w", path, err)
	}
	defer st.Close()
	if _, err := st.Backup(ctx, aside); err != nil {
		return fmt.Errorf("keep a copy of %s: %w", path, err)
	}
	return nil
}
