package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/graphtest"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

var testNow = time.Date(2026, 3, 4, 10, 5, 0, 0, time.UTC)

func event(id, activity, target string) model.AuditEvent {
	return model.AuditEvent{ID: id, Activity: activity, Targets: []model.AuditTarget{{ID: target, Type: "User"}}}
}

func TestGroupKeepsEventsOfItsMembers(t *testing.T) {
	g := graphtest.New()
	g.Members = []model.DirectoryObject{
		{ID: "m2", Type: model.ObjectUser, DisplayName: "zoe"},
		{ID: "M1", Type: model.ObjectUser, DisplayName: "Adam"},
		{ID: "d1", Type: model.ObjectDevice, DisplayName: "adam's laptop"},
	}
	g.Audits = []model.AuditEvent{
		event("e1", LicenseActivity, "m1"), // a member, in another case
		event("e2", LicenseActivity, "stranger"),
		event("e3", LicenseActivity, "u-in-error"), // in error, no longer a member
		event("e4", "Update user", "m2"),           // not a licensing event: Graph filters it out
	}
	r, err := New(g, func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	got := r.Group(context.Background(), "g1", []model.User{{ID: "u-in-error"}}, AuditRead{})
	if got.MembersErr != nil || got.AuditErr != nil {
		t.Fatalf("errors: %v, %v", got.MembersErr, got.AuditErr)
	}
	var names []string
	for _, m := range got.Members {
		names = append(names, m.DisplayName)
	}
	if !slices.Equal(names, []string{"Adam", "adam's laptop", "zoe"}) {
		t.Errorf("members not sorted by name: %v", names)
	}
	var ids []string
	for _, e := range got.Events {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []string{"e1", "e3"}) {
		t.Errorf("events %v, want those of members and of users in error", ids)
	}
	licensing := slices.IndexFunc(g.AuditQueries, func(q model.AuditQuery) bool { return q.TargetID == "" })
	if licensing < 0 {
		t.Fatalf("no query of the tenant's licensing events: %+v", g.AuditQueries)
	}
	if q := g.AuditQueries[licensing]; q.Activity != LicenseActivity || q.Max != AuditMax || !q.Since.Equal(testNow.Add(-AuditWindow)) || !got.AuditSince.Equal(q.Since) {
		t.Errorf("audit query %+v", q)
	}
	if !got.MembersAt.Equal(testNow) {
		t.Errorf("members read at %v", got.MembersAt)
	}
}

func TestGroupFailuresArePerPart(t *testing.T) {
	g := graphtest.New()
	g.MembersErr = &model.GraphError{Kind: model.GraphForbidden, Status: 403, Permission: "GroupMember.Read.All"}
	g.Audits = []model.AuditEvent{event("e1", LicenseActivity, "u1"), event("e2", LicenseActivity, "m1")}
	r, _ := New(g, nil)
	got := r.Group(context.Background(), "g1", []model.User{{ID: "u1"}}, AuditRead{})
	if !errors.Is(got.MembersErr, model.ErrForbidden) || got.AuditErr != nil {
		t.Fatalf("errors: %v, %v", got.MembersErr, got.AuditErr)
	}
	if len(got.Events) != 1 || got.Events[0].ID != "e1" {
		t.Errorf("without members the events of users in error are still shown: %+v", got.Events)
	}

	g = graphtest.New()
	g.AuditErr = errors.New("connection reset")
	r, _ = New(g, nil)
	got = r.Group(context.Background(), "g1", nil, AuditRead{})
	if got.AuditErr == nil || got.Events != nil || got.MembersErr != nil {
		t.Errorf("audit failure: %+v", got)
	}
}

// countingGraph counts member reads and can hold them until released.
type countingGraph struct {
	*graphtest.Graph
	mu      sync.Mutex
	reads   int
	release chan struct{}
}

func (c *countingGraph) GroupMembers(ctx context.Context, id string, fn func([]model.DirectoryObject) error) error {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	if c.release != nil {
		<-c.release
	}
	return c.Graph.GroupMembers(ctx, id, fn)
}

func TestMembersAreReadOnceAndKeptBriefly(t *testing.T) {
	clock := testkit.NewClock(testNow)
	g := &countingGraph{Graph: graphtest.New(), release: make(chan struct{})}
	for i := range 120 {
		g.Members = append(g.Members, model.DirectoryObject{ID: fmt.Sprintf("m%03d", i), DisplayName: fmt.Sprintf("Member %03d", i)})
	}
	r, _ := New(g, clock.Now)
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if e, err := r.members.get(context.Background(), g, "g1", clock.Now); err != nil || len(e.members) != 120 || len(e.index.ids) != 120 {
				t.Errorf("members %+v, %v", e, err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond) // let them all wait on the one read
	close(g.release)
	wg.Wait()
	if g.reads != 1 {
		t.Errorf("%d reads for 5 concurrent pages, want 1", g.reads)
	}
	clock.Add(memberTTL - time.Second)
	r.members.get(context.Background(), g, "g1", clock.Now)
	if g.reads != 1 {
		t.Errorf("re-read within %v", memberTTL)
	}
	clock.Add(2 * time.Second)
	r.members.get(context.Background(), g, "g1", clock.Now)
	if g.reads != 2 {
		t.Errorf("%d reads after the members expired, want 2", g.reads)
	}
}

func TestMembersWaiterGivesUpWithItsContext(t *testing.T) {
	g := &countingGraph{Graph: graphtest.New(), release: make(chan struct{})}
	defer close(g.release)
	r, _ := New(g, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := r.members.get(ctx, g, "g1", time.Now); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want the caller's deadline", err)
	}
}

func TestUserSplitsLicensingAndPasswordResetEvents(t *testing.T) {
	g := graphtest.New()
	sspr := event("p1", "Self-service password reset flow activity progress", "u1")
	sspr.LoggedByService = ssprService
	g.Audits = []model.AuditEvent{event("l1", "Change user license", "u1"), sspr, event("o1", "Update user", "u1"),
		event("x1", "Change user license", "u2")}
	r, _ := New(g, func() time.Time { return testNow })
	u := r.User(context.Background(), "u1")
	if u.Err != nil || len(u.All) != 3 || len(u.Licensing) != 1 || u.Licensing[0].ID != "l1" ||
		len(u.PasswordReset) != 1 || u.PasswordReset[0].ID != "p1" {
		t.Errorf("user events: %+v", u)
	}
	if q := g.AuditQueries[0]; q.TargetID != "u1" || q.Max != AuditMax || !q.Since.Equal(testNow.Add(-AuditWindow)) {
		t.Errorf("query %+v", q)
	}
	for _, tc := range []struct {
		e             model.AuditEvent
		license, sspr bool
	}{
		{model.AuditEvent{Activity: "Set group license"}, true, false},
		{model.AuditEvent{Activity: "Reset password (self-service)", LoggedByService: "Self-service Password Management"}, false, true},
		{model.AuditEvent{Activity: "Blocked from self-service password reset"}, false, true},
		{model.AuditEvent{Activity: "Update user"}, false, false},
	} {
		if IsLicensingEvent(tc.e) != tc.license || IsPasswordResetEvent(tc.e) != tc.sspr {
			t.Errorf("%q: licensing %v, sspr %v", tc.e.Activity, IsLicensingEvent(tc.e), IsPasswordResetEvent(tc.e))
		}
	}
}

func TestNewNeedsGraph(t *testing.T) {
	if _, err := New(nil, nil); err == nil {
		t.Error("a reader without Graph was built")
	}
}

// The tenant's licensing events are read once for every group page while the data stays the
// same, again when it changes, when asked, or past their age; members are filtered by the
// index built when they were read.
func TestLicensingEventsAreKeptPerGeneration(t *testing.T) {
	clock := testkit.NewClock(testNow)
	g := graphtest.New()
	g.Members = []model.DirectoryObject{{ID: "M1", Type: model.ObjectUser, DisplayName: "Ada Lovelace", UserPrincipalName: "ada@contoso.example"},
		{ID: "d1", Type: model.ObjectDevice, DisplayName: "Ada's laptop"}, {ID: "m2", Type: model.ObjectUser, DisplayName: "Bob"}}
	g.Audits = []model.AuditEvent{event("e1", LicenseActivity, "m1"), event("e2", LicenseActivity, "stranger")}
	r, _ := New(g, clock.Now)
	reads := func() int { // of the tenant's licensing events (each group page also reads its group's)
		n := 0
		for _, q := range g.AuditQueries {
			if q.Activity == LicenseActivity {
				n++
			}
		}
		return n
	}

	first := r.Group(context.Background(), "g1", nil, AuditRead{Generation: "1"})
	if first.AuditErr != nil || len(first.Events) != 1 || first.Events[0].ID != "e1" || !first.AuditAt.Equal(testNow) {
		t.Fatalf("first view: %+v", first)
	}
	r.Group(context.Background(), "g2", nil, AuditRead{Generation: "1"})
	r.Group(context.Background(), "g1", nil, AuditRead{Generation: "1"})
	if reads() != 1 {
		t.Errorf("%d audit reads for three group pages of the same data, want 1", reads())
	}
	var groupReads []string
	for _, q := range g.AuditQueries {
		if q.TargetID != "" {
			groupReads = append(groupReads, q.TargetID)
		}
	}
	if !slices.Equal(groupReads, []string{"g1", "g2"}) && !slices.Equal(groupReads, []string{"g2", "g1"}) {
		t.Errorf("the groups' own events were read for %v, want once for each group", groupReads)
	}
	r.Group(context.Background(), "g1", nil, AuditRead{Generation: "2"})
	if reads() != 2 {
		t.Errorf("new data: %d reads, want 2", reads())
	}
	r.Group(context.Background(), "g1", nil, AuditRead{Generation: "2", Fresh: true})
	if reads() != 3 {
		t.Errorf("asked to read again: %d reads, want 3", reads())
	}
	clock.Add(AuditMaxAge + time.Second)
	r.Group(context.Background(), "g1", nil, AuditRead{Generation: "2"})
	if reads() != 4 {
		t.Errorf("past AuditMaxAge: %d reads, want 4", reads())
	}
	clock.Add(time.Minute)
	if r.Group(context.Background(), "g1", nil, AuditRead{Generation: "2", MaxAge: 30 * time.Second}); reads() != 5 {
		t.Errorf("past a shorter MaxAge: %d reads, want 5", reads())
	}
	g.AuditErr = errors.New("connection reset")
	r.Group(context.Background(), "g1", nil, AuditRead{Generation: "3"})
	g.AuditErr = nil
	if got := r.Group(context.Background(), "g1", nil, AuditRead{Generation: "3"}); got.AuditErr != nil || reads() != 7 {
		t.Errorf("a failed read is kept: %v, %d reads", got.AuditErr, reads())
	}

	for _, tc := range []struct {
		search, typ string
		want        []string
	}{
		{"", "", []string{"M1", "d1", "m2"}},
		{"ADA", "", []string{"M1", "d1"}},
		{"ada", model.ObjectUser, []string{"M1"}},
		{"contoso.example", "", []string{"M1"}},
		{"m2", "", []string{"m2"}}, // a whole id
		{"", model.ObjectDevice, []string{"d1"}},
		{"nobody", "", nil},
	} {
		var ids []string
		for _, m := range first.Filter(tc.search, tc.typ) {
			ids = append(ids, m.ID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("Filter(%q, %q) = %v, want %v", tc.search, tc.typ, ids, tc.want)
		}
	}
}
