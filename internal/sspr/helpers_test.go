package sspr

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/sspr/ssprtest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// The unit tests take their messages and audit log from a generated simulated tenant (no
// server: its data only), so a genuine mail is exactly what the simulator renders for one of
// its flows.

var simNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func newSim(tb testing.TB) *tenantsim.Tenant {
	tb.Helper()
	t, err := tenantsim.New(tenantsim.Config{Seed: 40, Users: 300, Groups: 30, LicensedGroups: 10, Now: func() time.Time { return simNow }})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// contacted returns the simulator's flows that ended in contacting an administrator.
func contacted(tb testing.TB, t *tenantsim.Tenant) []tenantsim.SSPRFlow {
	tb.Helper()
	out := ssprtest.ContactedFlows(t)
	if len(out) == 0 {
		tb.Fatal("the simulated tenant has no contacted-admin flow")
	}
	return out
}

func render(tb testing.TB, t *tenantsim.Tenant, corr, variant string) string {
	tb.Helper()
	b, err := t.RenderSSPREmail(corr, variant)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func eopLooker(tb testing.TB) iprange.Looker {
	tb.Helper()
	l, err := ssprtest.EOPLooker(simNow)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

type env struct {
	sim    *tenantsim.Tenant
	audits *ssprtest.Audits
	roles  *ssprtest.Roles
	ip     iprange.Looker
	opts   Options
	now    time.Time // the verifier's clock; zero means simNow
}

func newEnv(tb testing.TB) *env {
	sim := newSim(tb)
	return &env{sim: sim, audits: &ssprtest.Audits{Tenant: sim}, roles: &ssprtest.Roles{Tenant: sim}, ip: eopLooker(tb)}
}

func (e *env) verifier(tb testing.TB) *Verifier {
	tb.Helper()
	v, err := New(Deps{Users: []UserSource{ssprtest.Users{Tenant: e.sim}}, Audits: e.audits, Roles: e.roles, IP: e.ip,
		TenantID: func(context.Context) (string, error) { return e.sim.ID, nil }, Options: e.opts,
		Now: func() time.Time {
			if e.now.IsZero() {
				return simNow
			}
			return e.now
		}})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func (e *env) verify(tb testing.TB, msg, name string) Report {
	tb.Helper()
	rep, err := e.verifier(tb).Verify(context.Background(), []byte(msg), name)
	if err != nil {
		tb.Fatalf("Verify: %v", err)
	}
	return rep
}

// checkStatus returns a check's status, "" when the report has no such check.
func checkStatus(r Report, id string) Status {
	c, _ := r.Check(id)
	return c.Status
}

// describe is a report in short, for failure messages.
func describe(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "verdict %s: %s\n", r.Verdict, r.Summary)
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %-16s %-4s %s\n", c.ID, c.Status, c.Message)
	}
	for _, m := range r.Missing {
		fmt.Fprintf(&b, "  missing: %s\n", m)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "  warning: %s\n", w)
	}
	for _, f := range r.Flows {
		fmt.Fprintf(&b, "  flow %s %s %v match=%v\n", f.CorrelationID, f.Outcome, f.Ended, f.Matches)
	}
	return b.String()
}

// headerBlock and bodyBlock split a rendered message at its first blank line.
func headerBlock(msg string) string {
	h, _, _ := strings.Cut(msg, "\r\n\r\n")
	return h + "\r\n"
}

func bodyBlock(msg string) string {
	_, b, _ := strings.Cut(msg, "\r\n\r\n")
	return b
}
