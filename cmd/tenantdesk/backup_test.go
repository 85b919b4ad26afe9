package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
)

func activityByID(t *testing.T, st *store.Store) map[int64]model.Activity {
	t.Helper()
	out := map[int64]model.Activity{}
	if err := st.EachActivity(context.Background(), model.ActivityFilter{}, func(a model.Activity) error {
		out[a.ID] = a
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// `tenantdesk backup` while a sync is writing a new snapshot produces a file that `tenantdesk
// restore` brings back with every activity entry; restore refuses a database in use or one
// that holds data unless told, and keeps a copy of what it replaces.
func TestBackupDuringASyncAndRestore(t *testing.T) {
	ctx := context.Background()
	sim := simtest.Start(t, tenantsim.Options{Config: tenantsim.Config{Seed: 9, Users: 3000, Groups: 80, LicensedGroups: 40}, Logger: discardLogger()})
	dataDir := t.TempDir()
	vars := simVars(info(sim), dataDir)
	vars["TENANTDESK_LOG_LEVEL"] = "error"
	cli := func(vars map[string]string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, testEnv(vars, &out, &errOut), args)
		return out.String() + errOut.String(), err
	}
	if out, err := cli(vars, "refresh"); err != nil {
		t.Fatalf("first refresh: %v\n%s", err, out)
	}
	dbPath := filepath.Join(dataDir, "tenantdesk.db")
	st := storetest.OpenAt(t, dbPath)
	for i := range 3000 {
		if err := st.AddActivity(ctx, model.Activity{ActorUPN: fmt.Sprintf("user%d@contoso.example", i%17), Action: model.ActionReprocess,
			Target: fmt.Sprintf("group-%d", i%40), Result: model.ActivityOK, Detail: fmt.Sprintf("entry %d", i)}); err != nil {
			t.Fatal(err)
		}
	}

	// A slow second full sync (an incremental one would be over at once); the backup runs
	// while it writes.
	sim.SetKnobs(tenantsim.Knobs{Latency: 60 * time.Millisecond})
	syncDone := make(chan error, 1)
	go func() { _, err := cli(vars, "refresh", "-mode", "full"); syncDone <- err }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if run, err := st.LatestSyncRun(ctx); err == nil && run.Status == model.SyncRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second sync never started")
		}
	}
	time.Sleep(300 * time.Millisecond) // well into reading users
	before := activityByID(t, st)
	bak := filepath.Join(t.TempDir(), "tenantdesk.bak")
	out, err := cli(vars, "backup", "-o", bak)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if run, err := st.LatestSyncRun(ctx); err != nil || run.Status != model.SyncRunning {
		t.Errorf("the sync was not running when the backup ended: %+v %v (the test proves nothing)", run, err)
	}
	t.Logf("%s", strings.TrimSpace(out))
	if err := <-syncDone; err != nil {
		t.Fatalf("the sync failed: %v", err)
	}

	// Restore into a new database: every entry of the moment of the backup comes back.
	restored := filepath.Join(t.TempDir(), "restored.db")
	rvars := map[string]string{"TENANTDESK_DATABASE": restored, "TENANTDESK_DATA_DIR": dataDir, "TENANTDESK_LOG_LEVEL": "error"}
	if out, err := cli(rvars, "restore", bak); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	back := storetest.OpenAt(t, restored)
	got := activityByID(t, back)
	for id, a := range before {
		if g, ok := got[id]; !ok || g.Detail != a.Detail || g.Action != a.Action || !g.At.Equal(a.At) || g.ActorUPN != a.ActorUPN {
			t.Fatalf("entry %d %+v came back as %+v (%v)", id, a, g, ok)
		}
	}
	extra := 0
	for id, a := range got {
		if _, ok := before[id]; !ok && a.Action != model.ActionRestore {
			t.Errorf("entry %d %+v was not in the database at the backup", id, a)
		}
		if !has(before, id) {
			extra++
		}
	}
	if extra != 1 || len(before) < 3000 {
		t.Errorf("%d entries before, %d restored, %d new (want only the restore's)", len(before), len(got), extra)
	}
	if ov, err := back.Overview(ctx); err != nil || ov.Users != 3000 {
		t.Errorf("restored snapshot: %d users, %v", ov.Users, err)
	}
	if n, _ := st.ActivityCount(ctx); n != len(before)+1 {
		t.Errorf("the live database has %d entries, want %d and the backup's own", n, len(before))
	}

	// The live database is open (st): restore refuses it. A database with data needs -yes,
	// and what it replaces is kept.
	if out, err := cli(vars, "restore", bak); !errors.Is(err, store.ErrInUse) {
		t.Errorf("restore into a database in use: %v\n%s", err, out)
	}
	back.Close()
	if out, err := cli(rvars, "restore", bak); err == nil || !strings.Contains(err.Error(), "-yes") {
		t.Errorf("restore over data without -yes: %v\n%s", err, out)
	}
	if out, err := cli(rvars, "restore", "-yes", bak); err != nil || !strings.Contains(out, "kept as") {
		t.Errorf("restore -yes: %v\n%s", err, out)
	}
	kept, _ := filepath.Glob(restored + ".before-restore-*")
	if len(kept) != 1 {
		t.Errorf("copies kept: %v", kept)
	}
	junk := filepath.Join(t.TempDir(), "junk.bak")
	os.WriteFile(junk, []byte("no database"), 0o600)
	if _, err := cli(rvars, "restore", "-yes", junk); err == nil {
		t.Error("restored a file that is no database")
	}
}

func has(m map[int64]model.Activity, id int64) bool { _, found := m[id]; return found }

func info(s *tenantsim.Server) tenantsim.Info { return s.Info() }
