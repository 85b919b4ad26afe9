package licensereport

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
)

// BenchmarkExportSKU writes the CSV of a SKU held by 10,000, 50,000 and 100,000 users from a
// real SQLite store (one snapshot of 100,000 users), with the default columns and with every
// column. It prints rows per second and the peak heap while exporting above the heap before: the
// export streams, so the peak must stay flat as the rows grow. Run with -benchtime=3x.
func BenchmarkExportSKU(b *testing.B) {
	ctx := context.Background()
	st := storetest.Open(b)
	sizes := []int{10_000, 50_000, 100_000}
	snap := storetest.HolderSnapshot(sizes...)
	start := time.Now()
	if err := st.SaveSnapshot(ctx, 0, snap); err != nil {
		b.Fatal(err)
	}
	b.Logf("snapshot of %d users saved in %v", len(snap.Users), time.Since(start).Round(time.Millisecond))
	ids := make([]string, len(snap.SKUs))
	for k, s := range snap.SKUs {
		ids[k] = s.ID
	}
	snap = model.Snapshot{} // the heap watched below is the export's, not the fixture's
	r, err := New(st, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	sums, err := r.Summaries(ctx)
	if err != nil {
		b.Fatal(err)
	}
	every := make([]string, 0, len(Columns()))
	for _, c := range Columns() {
		every = append(every, c.Name)
	}
	for _, set := range []struct {
		name  string
		names []string
	}{{"default-columns", nil}, {"all-columns", every}} {
		cols, err := ParseColumns(set.names)
		if err != nil {
			b.Fatal(err)
		}
		for k, n := range sizes {
			sku, err := Find(sums, ids[k])
			if err != nil {
				b.Fatal(err)
			}
			b.Run(set.name+"/"+itoa(n)+"-rows", func(b *testing.B) {
				var out countingWriter
				b.ReportAllocs()
				peak := watchHeap()
				for b.Loop() {
					out = countingWriter{}
					if err := r.WriteCSV(ctx, &out, []Summary{sku}, Options{Columns: cols, BOM: true}); err != nil {
						b.Fatal(err)
					}
				}
				heap := peak()
				if out.lines != n+1 {
					b.Fatalf("%d lines for %d holders", out.lines, n)
				}
				perOp := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(float64(n)/perOp, "rows/s")
				b.ReportMetric(float64(out.bytes)/(1<<20), "csv-MB")
				b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
			})
		}
	}
}

func itoa(n int) string {
	switch n {
	case 10_000:
		return "10k"
	case 50_000:
		return "50k"
	case 100_000:
		return "100k"
	}
	return "n"
}

// countingWriter counts the bytes and lines written to it and keeps none.
type countingWriter struct{ bytes, lines int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.bytes += len(p)
	for _, c := range p {
		if c == '\n' {
			w.lines++
		}
	}
	return len(p), nil
}

// watchHeap samples the live heap every millisecond until the returned function is called,
// which reports the highest sample above the heap at the start.
func watchHeap() func() uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var highest uint64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				highest = max(highest, read())
			}
		}
	}()
	return func() uint64 {
		close(stop)
		wg.Wait()
		if highest < base {
			return 0
		}
		return highest - base
	}
}

// BenchmarkErrorsReport builds /errors for a tenant of 50,000 users of whom every 25th is in
// error (2,000): read them, explain them, sum them up by cause and by group.
func BenchmarkErrorsReport(b *testing.B) {
	ctx := context.Background()
	st := storetest.Open(b)
	if err := st.SaveSnapshot(ctx, 0, storetest.HolderSnapshot(50_000)); err != nil {
		b.Fatal(err)
	}
	for _, f := range []ErrorFilter{{}, {Code: model.ErrorCountViolation}, {Text: "user 0123"}} {
		b.Run("code="+string(f.Code)+",text="+f.Text, func(b *testing.B) {
			for b.Loop() {
				rep, _, err := LoadErrors(ctx, st, f)
				if err != nil || rep.All == 0 {
					b.Fatal(rep.All, err)
				}
				b.ReportMetric(float64(rep.All), "users-in-error")
				b.ReportMetric(float64(len(rep.Causes)), "causes")
			}
		})
	}
}
