package live

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/graphtest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

var transient = &model.GraphError{Kind: model.GraphTransient, Status: 503, Code: "ServiceUnavailable", Message: "try later"}

func TestGuardOpensWhenGraphDoesNotAnswer(t *testing.T) {
	clock := testkit.NewClock(testNow)
	g := NewGuard(50*time.Millisecond, 30*time.Second, clock.Now)
	ctx := context.Background()
	calls := 0
	read := func(err error) func(context.Context) error {
		return func(context.Context) error { calls++; return err }
	}
	hang := func(ctx context.Context) error { calls++; <-ctx.Done(); return ctx.Err() }

	// Graph's own answers, errors included, keep it closed.
	for _, err := range []error{nil, &model.NotFoundError{What: "group"}, &model.GraphError{Kind: model.GraphForbidden, Status: 403}} {
		if got := g.Do(ctx, read(err)); !errors.Is(got, err) && got != err {
			t.Fatalf("answer %v came back as %v", err, got)
		}
	}
	// No answer within the timeout: a clear error, and the guard opens.
	start := time.Now()
	err := g.Do(ctx, hang)
	var na *model.NotAnsweringError
	if !errors.As(err, &na) || !errors.Is(err, model.ErrUnavailable) || !strings.Contains(err.Error(), "Microsoft Graph is not answering") {
		t.Fatalf("timeout: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the read was not cut at the timeout: %v", took)
	}
	calls = 0
	for range 5 {
		if err := g.Do(ctx, read(nil)); !errors.As(err, &na) {
			t.Fatalf("open guard let a read through: %v", err)
		}
	}
	if calls != 0 {
		t.Fatalf("%d reads reached Graph while it was not answering", calls)
	}
	// After the pause one read tries again; while it runs, the others still fail at once.
	clock.Add(31 * time.Second)
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := g.Do(ctx, func(context.Context) error { close(started); <-release; return nil }); err != nil {
			t.Errorf("trial read: %v", err)
		}
	})
	<-started
	if err := g.Do(ctx, read(nil)); !errors.As(err, &na) {
		t.Errorf("a second read during the trial: %v", err)
	}
	close(release)
	wg.Wait()
	if err := g.Do(ctx, read(nil)); err != nil {
		t.Errorf("after Graph answered the trial: %v", err)
	}
	// 5xx and throttling past the retries open it too.
	for _, err := range []error{transient, &model.GraphError{Kind: model.GraphThrottled, Status: 429}} {
		g := NewGuard(time.Second, time.Minute, clock.Now)
		if got := g.Do(ctx, read(err)); !errors.As(got, &na) {
			t.Errorf("%v: %v", err, got)
		}
		if got := g.Do(ctx, read(nil)); !errors.As(got, &na) {
			t.Errorf("after %v the guard is closed", err)
		}
	}
	// A page that goes away says nothing about Graph.
	g = NewGuard(time.Second, time.Minute, clock.Now)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	g.Do(cctx, hang)
	if err := g.Do(ctx, read(nil)); err != nil {
		t.Errorf("a cancelled page opened the guard: %v", err)
	}
}

// With Graph failing, a group page's live parts cost one timeout, then nothing: members and
// audit events say Graph is not answering, and the members read moments ago are still shown.
func TestGroupWithGraphNotAnswering(t *testing.T) {
	dir := graphtest.New()
	dir.Members = []model.DirectoryObject{{ID: "m1", Type: model.ObjectUser, DisplayName: "Ann"}}
	clock := testkit.NewClock(testNow)
	r, err := New(dir, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	r.SetLimits(100*time.Millisecond, time.Minute)
	ctx := context.Background()
	if g := r.Group(ctx, "g1", nil, AuditRead{}); g.MembersErr != nil || len(g.Members) != 1 {
		t.Fatalf("healthy: %+v", g)
	}
	dir.AuditErr = transient
	g := r.Group(ctx, "g1", nil, AuditRead{Fresh: true}) // kept events would not ask Graph
	if !errors.Is(g.AuditErr, model.ErrUnavailable) || g.MembersErr != nil || len(g.Members) != 1 {
		t.Fatalf("audit failing, members cached: %+v", g)
	}
	clock.Add(5 * time.Minute) // the cached members are stale and the pause over
	dir.MembersErr = transient
	if g := r.Group(ctx, "g1", nil, AuditRead{}); !errors.Is(g.MembersErr, model.ErrUnavailable) {
		t.Fatalf("members failing: %+v", g.MembersErr)
	}
	start := time.Now()
	for range 20 {
		if u := r.User(ctx, "u1"); !errors.Is(u.Err, model.ErrUnavailable) || !strings.Contains(model.DescribeGraphError(u.Err), "not answering") {
			t.Fatalf("user page while Graph is down: %v", u.Err)
		}
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("20 user pages took %v while the guard was open", took)
	}
}
