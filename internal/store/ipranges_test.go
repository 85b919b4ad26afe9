package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

func openIPTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestIPSourcesSaveReplaceList(t *testing.T) {
	ctx := context.Background()
	s := openIPTestStore(t)

	got, err := s.IPSources(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty store: got %v, %v", got, err)
	}

	t0 := time.Date(2026, 7, 20, 10, 0, 0, 123, time.FixedZone("x", 3600))
	a := model.IPSource{Kind: "servicetags", Instance: "Public", Version: "376", FetchedAt: t0, URL: "https://x/a.json", Raw: []byte(`{"a":1}`)}
	b := model.IPSource{Kind: "m365", Instance: "Worldwide", Version: "2025120100", FetchedAt: t0, URL: "https://y", Raw: []byte(`[]`)}
	for _, src := range []model.IPSource{a, b} {
		if err := s.SaveIPSource(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	a2 := a
	a2.Version, a2.Raw, a2.FetchedAt = "377", []byte(`{"a":2}`), t0.Add(time.Hour)
	if err := s.SaveIPSource(ctx, a2); err != nil {
		t.Fatal(err)
	}

	got, err = s.IPSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d sources, want 2 (replace, not add)", len(got))
	}
	if got[0].Kind != "m365" || got[1].Kind != "servicetags" {
		t.Errorf("order: got %s, %s", got[0].Kind, got[1].Kind)
	}
	st := got[1]
	if st.Version != "377" || !bytes.Equal(st.Raw, a2.Raw) || !st.FetchedAt.Equal(a2.FetchedAt) || !st.CheckedAt.Equal(a2.FetchedAt) {
		t.Errorf("replaced source = %+v", st)
	}
}

func TestIPSourceRejectsIncomplete(t *testing.T) {
	ctx := context.Background()
	s := openIPTestStore(t)
	now := time.Now()
	for name, src := range map[string]model.IPSource{
		"no kind":     {Instance: "Public", FetchedAt: now, Raw: []byte("{}")},
		"no instance": {Kind: "m365", FetchedAt: now, Raw: []byte("[]")},
		"no raw":      {Kind: "m365", Instance: "Worldwide", FetchedAt: now},
		"no time":     {Kind: "m365", Instance: "Worldwide", Raw: []byte("[]")},
		"bad kind":    {Kind: "other", Instance: "Worldwide", FetchedAt: now, Raw: []byte("[]")},
	} {
		if err := s.SaveIPSource(ctx, src); err == nil {
			t.Errorf("%s: saved, want error", name)
		}
	}
}

func TestMarkIPSourceChecked(t *testing.T) {
	ctx := context.Background()
	s := openIPTestStore(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.MarkIPSourceChecked(ctx, "m365", "Worldwide", t0); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("missing source: err = %v, want model.ErrNotFound", err)
	}
	if err := s.SaveIPSource(ctx, model.IPSource{Kind: "m365", Instance: "Worldwide", Version: "1", FetchedAt: t0, Raw: []byte("[]")}); err != nil {
		t.Fatal(err)
	}
	t1 := t0.Add(48 * time.Hour)
	if err := s.MarkIPSourceChecked(ctx, "m365", "Worldwide", t1); err != nil {
		t.Fatal(err)
	}
	got, err := s.IPSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].CheckedAt.Equal(t1) || !got[0].FetchedAt.Equal(t0) || got[0].Version != "1" {
		t.Errorf("after check: %+v", got[0])
	}
}

func TestEnsureIPSettingKeepsFirstValue(t *testing.T) {
	ctx := context.Background()
	s := openIPTestStore(t)
	if _, err := s.IPSetting(ctx, "client_request_id"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("err = %v, want model.ErrNotFound", err)
	}
	var wg sync.WaitGroup
	vals := make([]string, 8)
	errs := make([]error, 8)
	for i := range vals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vals[i], errs[i] = s.EnsureIPSetting(ctx, "client_request_id", string(rune('a'+i)))
		}()
	}
	wg.Wait()
	for i := range vals {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if vals[i] != vals[0] {
			t.Errorf("caller %d got %q, caller 0 got %q", i, vals[i], vals[0])
		}
	}
	v, err := s.IPSetting(ctx, "client_request_id")
	if err != nil || v != vals[0] {
		t.Errorf("IPSetting = %q, %v; want %q", v, err, vals[0])
	}
}

// A database from before migration 5 kept IP source times as RFC 3339 text; they survive the
// change to Unix nanoseconds to the nanosecond.
func TestIPSourceTimesMigrated(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db := openAtVersion(t, path, 4)
	fetched := time.Date(2026, 7, 20, 9, 0, 0, 123, time.UTC)
	checked := time.Date(2026, 7, 21, 9, 30, 0, 0, time.UTC)
	for _, r := range []struct {
		kind, instance string
		fetched        time.Time
		checked        time.Time
	}{
		{"m365", "Worldwide", fetched, checked},
		{"servicetags", "Public", checked, fetched.Add(500 * time.Millisecond)},
	} {
		if _, err := db.Exec(`INSERT INTO ip_sources (kind, instance, version, fetched_at, checked_at, url, raw)
			VALUES (?, ?, 'v', ?, ?, 'https://x', x'5b5d')`, r.kind, r.instance,
			r.fetched.Format(time.RFC3339Nano), r.checked.Format(time.RFC3339Nano)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.IPSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].FetchedAt.Equal(fetched) || !got[0].CheckedAt.Equal(checked) ||
		!got[1].FetchedAt.Equal(checked) || !got[1].CheckedAt.Equal(fetched.Add(500*time.Millisecond)) ||
		string(got[0].Raw) != "[]" {
		t.Errorf("after migration: %+v", got)
	}
}
