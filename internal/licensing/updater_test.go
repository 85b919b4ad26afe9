package licensing

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// fakeStore is a CatalogStore in memory.
type fakeStore struct {
	mu        sync.Mutex
	products  []model.Product
	source    string
	fetchedAt time.Time
	replaced  int
	ageErr    error
	saveErr   error
}

func (s *fakeStore) ReplaceProductCatalog(_ context.Context, p []model.Product, source string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saveErr != nil {
		return s.saveErr
	}
	s.products, s.source, s.fetchedAt = p, source, at
	s.replaced++
	return nil
}

func (s *fakeStore) ProductCatalogAge(context.Context) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetchedAt, s.replaced > 0 || !s.fetchedAt.IsZero(), s.ageErr
}

func (s *fakeStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replaced
}

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newUpdater(url string, st CatalogStore) *CatalogUpdater {
	return &CatalogUpdater{
		URL:    url,
		Store:  st,
		Now:    func() time.Time { return testNow },
		Logger: slog.New(slog.DiscardHandler),
	}
}

func TestRefresh(t *testing.T) {
	data := realCatalog(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(data)
	}))
	defer srv.Close()
	st := &fakeStore{}
	u := newUpdater(srv.URL+"/catalog.csv", st)
	if err := u.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(st.products) != 569 || st.source != srv.URL+"/catalog.csv" || !st.fetchedAt.Equal(testNow) {
		t.Fatalf("stored %d products from %q at %v", len(st.products), st.source, st.fetchedAt)
	}

	// Fresh: no download.
	if err := u.RefreshIfStale(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 {
		t.Fatalf("%d downloads, want 1 (catalog is fresh)", hits.Load())
	}
	// Eight days later: stale, downloaded again.
	u.Now = func() time.Time { return testNow.Add(8 * 24 * time.Hour) }
	if err := u.RefreshIfStale(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 2 || st.count() != 2 {
		t.Fatalf("%d downloads, %d replaces, want 2 each", hits.Load(), st.count())
	}
}

func TestRefreshFailuresKeepStoredCatalog(t *testing.T) {
	data := realCatalog(t)
	cut := data[:bytes.IndexByte(data[20000:], '\n')+20001] // whole lines, about 100 SKUs short
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, "404"},
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, "500"},
		{"HTML page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<!DOCTYPE html><html><body>Download moved</body></html>")
		}, "HTML"},
		{"HTML as octet-stream", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			io.WriteString(w, "<!DOCTYPE html><html><body>Download moved</body></html>")
		}, "lacks required columns"},
		{"body cut short", func(w http.ResponseWriter, r *http.Request) {
			// Promise the whole file, send half, drop the connection.
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data[:len(data)/2])
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, "unexpected EOF"},
		{"valid but partial file", func(w http.ResponseWriter, r *http.Request) { w.Write(cut) }, "only"},
		{"too large announced", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(MaxCatalogBytes+1))
			w.WriteHeader(200)
		}, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			good := []model.Product{{SKUID: facultySKU, DisplayName: "kept"}}
			st := &fakeStore{products: good, source: "old", fetchedAt: testNow.Add(-30 * 24 * time.Hour)}
			u := newUpdater(srv.URL, st)
			err := u.RefreshIfStale(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if st.count() != 0 || st.source != "old" || len(st.products) != 1 {
				t.Fatalf("stored catalog replaced after a failed download: %d replaces", st.count())
			}
		})
	}
}

func TestRefreshUnreachableAndCancelled(t *testing.T) {
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	st := &fakeStore{}
	if err := newUpdater("http://"+addr+"/x.csv", st).Refresh(context.Background()); err == nil {
		t.Fatal("no error for an unreachable server")
	}

	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := newUpdater(srv.URL, st).Refresh(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if st.count() != 0 {
		t.Fatal("stored after failure")
	}
}

func TestRefreshStoreErrors(t *testing.T) {
	data := realCatalog(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(data) }))
	defer srv.Close()
	st := &fakeStore{saveErr: errors.New("disk full")}
	if err := newUpdater(srv.URL, st).Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	st = &fakeStore{ageErr: errors.New("db locked")}
	if err := newUpdater(srv.URL, st).RefreshIfStale(context.Background()); err == nil || !strings.Contains(err.Error(), "db locked") {
		t.Fatalf("err = %v", err)
	}
}

func TestImportFile(t *testing.T) {
	st := &fakeStore{}
	u := newUpdater("http://127.0.0.1:1/unused", st)
	path := sharedData(t, "licensing/product-names-and-service-plan-identifiers.csv")
	if err := u.ImportFile(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if len(st.products) != 569 || st.source != "file:"+path {
		t.Fatalf("imported %d products from %q", len(st.products), st.source)
	}

	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("<html></html>"), 0o600)
	if err := u.ImportFile(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "bad.csv") {
		t.Fatalf("err = %v", err)
	}
	if err := u.ImportFile(context.Background(), filepath.Join(t.TempDir(), "missing.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
	if st.count() != 1 {
		t.Fatalf("%d replaces, want 1", st.count())
	}
}

func TestRun(t *testing.T) {
	data := realCatalog(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(data)
	}))
	defer srv.Close()

	t.Run("refreshes when empty, then stops with ctx", func(t *testing.T) {
		st := &fakeStore{}
		u := newUpdater(srv.URL, st)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { u.Run(ctx); close(done) }()
		deadline := time.Now().Add(10 * time.Second)
		for st.count() == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if st.count() != 1 {
			t.Fatal("Run did not refresh an empty catalog")
		}
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	})
	t.Run("fresh catalog is left alone", func(t *testing.T) {
		before := hits.Load()
		st := &fakeStore{fetchedAt: testNow.Add(-time.Hour), products: []model.Product{{SKUID: facultySKU}}}
		u := newUpdater(srv.URL, st)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		u.Run(ctx) // returns when ctx ends
		if hits.Load() != before || st.count() != 0 {
			t.Fatal("Run downloaded a fresh catalog")
		}
	})
}

// With no catalog stored, the built-in table is, dated as its CSV so that the first refresh
// replaces it; a stored catalog is never overwritten by it.
func TestSeedBuiltin(t *testing.T) {
	st := &fakeStore{}
	u := newUpdater("http://127.0.0.1:1/unused", st)
	ctx := context.Background()
	if err := u.SeedBuiltin(ctx); err != nil {
		t.Fatal(err)
	}
	if st.count() != 1 || len(st.products) != len(builtinProducts) || st.source != BuiltinSource ||
		st.fetchedAt.Format(time.DateOnly) != BuiltinCatalogDate {
		t.Fatalf("seeded %d products from %q at %v", len(st.products), st.source, st.fetchedAt)
	}
	if at, ok, _ := st.ProductCatalogAge(ctx); !ok || testNow.Sub(at) < DefaultCatalogMaxAge {
		t.Errorf("the built-in table is not stale at once (%v)", at)
	}
	if err := u.SeedBuiltin(ctx); err != nil || st.count() != 1 {
		t.Errorf("a second seed replaced the stored catalog (%d replaces, %v)", st.count(), err)
	}
	if err := newUpdater("", &fakeStore{ageErr: errors.New("disk on fire")}).SeedBuiltin(ctx); err == nil {
		t.Error("an unreadable catalog age was ignored")
	}
}
