package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func activityRows(t *testing.T, st *Store) []model.Activity {
	t.Helper()
	var out []model.Activity
	if err := st.EachActivity(context.Background(), model.ActivityFilter{}, func(a model.Activity) error {
		out = append(out, a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// Refusals from one source in one window are one entry with a count; anonymous sources get a
// bounded number of entries per window in all, and the rest are counted on one more.
func TestAddRefusalIsBounded(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	p := model.RefusalPolicy{Window: 10 * time.Minute, AnonymousRows: 5}
	refuse := func(at time.Time, upn, ip, target string) {
		t.Helper()
		if err := st.AddRefusal(ctx, model.Activity{At: at, ActorUPN: upn, Action: model.ActionRefused, Target: target,
			Result: model.ActivityRefused, RemoteIP: ip, Detail: "cross-origin request"}, p); err != nil {
			t.Fatal(err)
		}
	}
	// One anonymous address, 1,000 refusals over 5 minutes, to different paths: one entry.
	for i := range 1000 {
		refuse(now.Add(time.Duration(i)*300*time.Millisecond), "", "203.0.113.7", fmt.Sprintf("POST /x/%d", i))
	}
	// A signed-in reader refused 500 times: one entry of their own.
	for i := range 500 {
		refuse(now.Add(time.Duration(i)*time.Second), "reader@contoso.example", "198.51.100.2", "GET /activity")
	}
	rows := activityRows(t, st)
	if len(rows) != 2 {
		t.Fatalf("%d entries, want 2: %+v", len(rows), rows)
	}
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.RemoteIP] = r.Count
		if r.RemoteIP == "203.0.113.7" && (r.Target != "POST /x/0" || !r.LastAt.Equal(now.Add(999*300*time.Millisecond))) {
			t.Errorf("anonymous entry keeps the first target and the last time: %+v", r)
		}
	}
	if counts["203.0.113.7"] != 1000 || counts["198.51.100.2"] != 500 {
		t.Errorf("counts %v", counts)
	}

	// Many anonymous addresses: 5 entries of their own, then one counts the rest.
	for i := range 300 {
		refuse(now.Add(time.Minute), "", fmt.Sprintf("192.0.2.%d", i%250), "POST /refresh")
	}
	rows = activityRows(t, st)
	anon, many := 0, 0
	for _, r := range rows {
		switch {
		case r.RemoteIP == ManySources:
			many = r.Count
		case r.ActorUPN == "":
			anon++
		}
	}
	// 203.0.113.7 plus the 4 new ones the budget of 5 allowed (whose repeats at i = 250..253
	// count on their own entries); the overflow entry counts the other 292.
	if anon != 5 || many != 300-4-4 || len(rows) != 7 {
		t.Errorf("%d entries: %d anonymous, the overflow counts %d; want 7, 5, 292", len(rows), anon, many)
	}

	// The next window starts new entries.
	refuse(now.Add(11*time.Minute), "", "203.0.113.7", "POST /y")
	if n := len(activityRows(t, st)); n != 8 {
		t.Errorf("after the window: %d entries, want 8", n)
	}
}

func TestPruneActivity(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 12000 { // more than one delete batch
		a := model.Activity{At: base.Add(time.Duration(i) * time.Hour), Action: model.ActionRefresh, Result: model.ActivityOK}
		if err := st.AddActivity(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	cut := base.Add(11000 * time.Hour)
	n, err := st.PruneActivity(ctx, cut)
	if err != nil || n != 11000 {
		t.Fatalf("pruned %d, %v; want 11000", n, err)
	}
	if c, _ := st.ActivityCount(ctx); c != 1000 {
		t.Errorf("%d left, want 1000", c)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	mk := func(id, ref, oid string, seen time.Time) model.Session {
		return model.Session{ID: id, Ref: ref, ObjectID: oid, UPN: oid + "@contoso.example", Name: "N " + oid,
			Roles: []string{"Operator"}, CreatedAt: t0, SeenAt: seen, CheckedAt: t0, RemoteIP: "192.0.2.1", UserAgent: "Firefox"}
	}
	for _, s := range []model.Session{mk("h1", "r1", "alice", t0.Add(time.Minute)), mk("h2", "r2", "alice", t0.Add(2*time.Minute)), mk("h3", "r3", "bob", t0)} {
		if err := st.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Session(ctx, "h1")
	if err != nil || got.UPN != "alice@contoso.example" || got.Roles[0] != "Operator" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	if err := st.RecheckSession(ctx, "h1", "Alice", nil, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Session(ctx, "h1"); len(got.Roles) != 0 || got.Name != "Alice" || !got.CheckedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after re-check: %+v", got)
	}
	all, err := st.Sessions(ctx, "", time.Time{})
	if err != nil || len(all) != 3 || all[0].Ref != "r1" {
		t.Fatalf("Sessions = %+v, %v", all, err)
	}
	if mine, _ := st.Sessions(ctx, "alice", time.Time{}); len(mine) != 2 {
		t.Errorf("alice has %d sessions", len(mine))
	}
	if s, err := st.DeleteSessionByRef(ctx, "r3"); err != nil || s.ObjectID != "bob" {
		t.Fatalf("end r3: %+v, %v", s, err)
	}
	if _, err := st.DeleteSessionByRef(ctx, "r3"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("ending r3 again: %v", err)
	}
	if n, err := st.DeleteSessionsOf(ctx, "alice"); n != 2 || err != nil {
		t.Errorf("sign out everywhere: %d, %v", n, err)
	}
	if _, err := st.Session(ctx, "h1"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("h1 after sign-out everywhere: %v", err)
	}
	if err := st.TouchSession(ctx, "h1", t0); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("touching an ended session: %v", err)
	}
	st.CreateSession(ctx, mk("h4", "r4", "carol", t0))
	if n, _ := st.PruneSessions(ctx, t0.Add(time.Second), time.Time{}); n != 1 {
		t.Errorf("pruned %d idle sessions", n)
	}
}

func TestJobsRecordEachItemOnce(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	items := make([]model.JobItem, 50)
	for i := range items {
		items[i] = model.JobItem{Key: fmt.Sprintf("user-%02d", i), Name: fmt.Sprintf("User %02d", i), Known: true}
	}
	j, err := st.CreateJob(ctx, model.Job{Kind: "reprocess", Title: "Reprocess 50 users", Target: "g1", ActorUPN: "op@x"}, items)
	if err != nil || j.ID == 0 || j.State != model.JobQueued {
		t.Fatalf("CreateJob = %+v, %v", j, err)
	}
	if err := st.StartJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	pending, err := st.PendingJobItems(ctx, j.ID, 20)
	if err != nil || len(pending) != 20 || pending[0].Seq != 0 || pending[19].Key != "user-19" {
		t.Fatalf("pending = %d, %v", len(pending), err)
	}
	// Two writers record the same outcomes at once: each item keeps exactly one.
	var wg sync.WaitGroup
	stored := make([]int, 2)
	for w := range 2 {
		wg.Go(func() {
			out := make([]model.JobItem, len(pending))
			for i, p := range pending {
				p.Status, p.Summary = "licensed", fmt.Sprintf("writer %d", w)
				out[i] = p
			}
			stored[w], _ = st.RecordJobItems(ctx, j.ID, out)
		})
	}
	wg.Wait()
	if stored[0]+stored[1] != 20 {
		t.Errorf("stored %v: together they must be the 20 items once", stored)
	}
	got, err := st.Job(ctx, j.ID)
	if err != nil || got.Done() != 20 || got.Counts["licensed"] != 20 || got.Counts[""] != 30 || got.State != model.JobRunning {
		t.Fatalf("Job = %+v, %v", got, err)
	}
	page, err := st.JobItems(ctx, j.ID, model.JobItemQuery{Status: "pending", Limit: 5, Offset: 5})
	if err != nil || page.Total != 30 || len(page.Items) != 5 || page.Items[0].Key != "user-25" {
		t.Fatalf("pending page = %+v, %v", page, err)
	}

	// This process stops (releases it); another one claims it and counts a resume.
	if err := st.ReleaseJobs(ctx); err != nil {
		t.Fatal(err)
	}
	other, err := Open(ctx, st.path(t))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	claimed, err := other.ClaimJobs(ctx)
	if err != nil || len(claimed) != 1 || claimed[0].ID != j.ID || claimed[0].Resumes != 1 || claimed[0].Done() != 20 {
		t.Fatalf("claimed %+v, %v", claimed, err)
	}
	if again, _ := st.ClaimJobs(ctx); len(again) != 0 {
		t.Errorf("a job another live process runs was claimed again: %+v", again)
	}
	if ok, _ := other.OwnsJob(ctx, j.ID); !ok {
		t.Error("the claimer does not own the job")
	}
	if err := other.AddJobProblems(ctx, j.ID, []string{"p1"}); err != nil {
		t.Fatal(err)
	}
	if err := other.FinishJob(ctx, j.ID, model.JobDone, "50 users", ""); err != nil {
		t.Fatal(err)
	}
	if err := other.FinishJob(ctx, j.ID, model.JobFailed, "", ""); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("finishing twice: %v", err)
	}
	if jobs, total, err := st.Jobs(ctx, model.JobQuery{Target: "G1"}); err != nil || total != 1 || jobs[0].State != model.JobDone || jobs[0].Problems[0] != "p1" {
		t.Fatalf("Jobs = %+v, %d, %v", jobs, total, err)
	}
	if n, _ := st.PruneJobs(ctx, time.Now().Add(time.Hour)); n != 1 {
		t.Errorf("pruned %d jobs", n)
	}
	if p, _ := st.JobItems(ctx, j.ID, model.JobItemQuery{}); p.Total != 0 {
		t.Errorf("items of a pruned job remain: %d", p.Total)
	}
}

// path is where the test store lives (for a second process's Open).
func (s *Store) path(t *testing.T) string {
	t.Helper()
	var seq int
	var name, file string
	if err := s.db.QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestNewDatabaseIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "tenantdesk.db")
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.AddActivity(context.Background(), model.Activity{Action: model.ActionRefresh, Result: model.ActivityOK}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", p, got, want)
		}
	}

	// An existing file readable by others is made private when opened.
	loose := filepath.Join(t.TempDir(), "loose.db")
	os.WriteFile(loose, nil, 0o644)
	os.Chmod(loose, 0o644)
	st2, err := Open(context.Background(), loose)
	if err != nil {
		t.Fatal(err)
	}
	st2.Close()
	if fi, _ := os.Stat(loose); fi.Mode().Perm() != 0o600 {
		t.Errorf("existing file left %v", fi.Mode().Perm())
	}
}

// A corrupted file fails Ping, even through pools opened before it was damaged.
func TestPingNoticesCorruption(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("healthy database: %v", err)
	}
	// Checkpoint so everything is in the main file, then overwrite its first pages.
	if _, err := st.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 3*4096)
	for i := range junk {
		junk[i] = byte(i*7 + 3)
	}
	f.WriteAt(junk, 0)
	f.Close()
	if err := st.Ping(ctx); err == nil {
		t.Fatal("Ping says a database with a garbage header is fine")
	}
}

func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, filepath.Join(dir, "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		st.AddActivity(ctx, model.Activity{Action: model.ActionRefresh, Result: model.ActivityOK, Detail: fmt.Sprint(i)})
	}
	st.CreateSession(ctx, model.Session{ID: "h", Ref: "r", ObjectID: "o", CreatedAt: time.Now(), SeenAt: time.Now(), CheckedAt: time.Now()})

	// A writer keeps adding entries while the backup runs: the copy is one consistent state.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			st.AddActivity(ctx, model.Activity{Action: model.ActionReprocess, Result: model.ActivityOK, Detail: fmt.Sprint(i)})
		}
	})
	bak := filepath.Join(dir, "tenantdesk.bak")
	info, err := st.Backup(ctx, bak)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if info.Activity < 100 || info.Pages == 0 {
		t.Fatalf("backup info %+v", info)
	}
	if fi, _ := os.Stat(bak); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v", fi.Mode().Perm())
	}
	if _, err := st.Backup(ctx, bak); err == nil {
		t.Error("a second backup overwrote the first")
	}

	// Restore refuses while a store has the target open.
	target := filepath.Join(dir, "restored.db")
	busy, err := Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, target, bak); !errors.Is(err, ErrInUse) {
		t.Errorf("restore into an open database: %v", err)
	}
	busy.Close()
	got, err := Restore(ctx, target, bak)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	n, _ := back.ActivityCount(ctx)
	if n != info.Activity || got.Activity != info.Activity {
		t.Errorf("restored %d entries (inspected %d), the backup had %d", n, got.Activity, info.Activity)
	}
	if all, _ := back.Sessions(ctx, "", time.Time{}); len(all) != 0 {
		t.Errorf("the backup's sessions came back: %+v", all)
	}
	st.Close()

	// Not a backup: refused with a reason.
	junk := filepath.Join(dir, "junk.bak")
	os.WriteFile(junk, []byte("not a database at all, just text"), 0o600)
	if _, err := Restore(ctx, target, junk); err == nil {
		t.Error("restored a text file")
	}
}
