package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// A write that comes while another writer takes write transactions back to back (a sync
// writing its batches) gets in after the one under way, not after the whole run: SQLite alone
// lets it retry only after sleeps, when the lock is almost never free.
func TestWriteWaitsForOneTurnOnly(t *testing.T) {
	st := openTest(t)
	testLateWriteGetsIn(t, st, st, 2)
}

// The same for a write from another process (the CLI while the server syncs): a Store opened
// apart shares no turns with the writer, only the lock file.
func TestWriteFromAnotherProcessWaitsForOneTurnOnly(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("writes queue across processes on Linux only (open file description locks)")
	}
	path := filepath.Join(t.TempDir(), "test.db")
	var stores [2]*Store
	for i := range stores {
		st, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		stores[i] = st
	}
	testLateWriteGetsIn(t, stores[0], stores[1], 3)
}

// testLateWriteGetsIn has writer take write transactions back to back, then writes once
// through late, and checks the late write waited for at most most of them.
func testLateWriteGetsIn(t *testing.T, writer, late *Store, most int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := writer.DB().ExecContext(ctx, `CREATE TABLE turns (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	var turns atomic.Int64
	stop := make(chan struct{})
	looped := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				looped <- nil
				return
			default:
			}
			err := writer.inTx(ctx, func(tx *sql.Tx) error {
				// Holding the lock, as a batch does, long enough that the test's own
				// scheduling is small beside a turn.
				time.Sleep(20 * time.Millisecond)
				_, err := tx.ExecContext(ctx, `INSERT INTO turns (n) VALUES (1)`)
				return err
			})
			if err != nil {
				looped <- err
				return
			}
			turns.Add(1)
		}
	}()
	for turns.Load() < 3 { // the loop is under way
		time.Sleep(time.Millisecond)
	}
	before := turns.Load()
	_, err := late.exec(ctx, `INSERT INTO turns (n) VALUES (2)`)
	after := turns.Load()
	close(stop)
	if lerr := <-looped; lerr != nil {
		t.Fatal(lerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The loop may finish the transaction it had begun and begin one more before the write
	// queues for its turn; from another process, SQLite's busy handler may sleep through one
	// more before it tries again.
	if waited := after - before; waited > most {
		t.Errorf("the write waited for %d of the other writer's transactions, want at most %d", waited, most)
	}
}

// A write waiting for its turn gives up when its context ends.
func TestWriteTurnHonoursContext(t *testing.T) {
	st := openTest(t)
	release, err := st.takeWriteTurn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := st.exec(ctx, `UPDATE snapshots SET saved_at = saved_at`); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("write while another holds the turn: %v, want the context's deadline", err)
	}
}

// A write queued by another process that never gets in (a CLI suspended while it waits) holds
// this Store's writes up briefly, not for the busy timeout each.
func TestStuckQueuedWriteHoldsOthersBriefly(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("writes queue across processes on Linux only (open file description locks)")
	}
	path := filepath.Join(t.TempDir(), "test.db")
	stuck, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dequeue, err := stuck.lock.queueForWrite(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer dequeue()
	start := time.Now()
	for range 3 {
		if _, err := st.exec(context.Background(), `UPDATE snapshots SET saved_at = saved_at`); err != nil {
			t.Fatal(err)
		}
	}
	// Each waited queueWait (250 ms); without the bound each waited 10 s.
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("3 writes behind a stuck queued write took %v", took)
	}
}
