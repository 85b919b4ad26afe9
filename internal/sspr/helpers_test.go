package sspr

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/model"
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
	var out []tenantsim.SSPRFlow
	for _, f := range t.SSPRFlows() {
		if f.Outcome == "contacted-admin" {
			out = append(out, f)
		}
	}
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

// simUsers answers user look-ups from the simulated directory, as the store would.
type simUsers struct{ t *tenantsim.Tenant }

func (s simUsers) User(_ context.Context, key string) (model.User, error) {
	u, ok := s.t.LookupUser(key)
	if !ok {
		return model.User{}, fmt.Errorf("user %q: %w", key, model.ErrNotFound)
	}
	return model.User{ID: u.ID, DisplayName: u.DisplayName, UserPrincipalName: u.UserPrincipalName, Mail: u.Mail,
		GivenName: u.GivenName, Surname: u.Surname, AccountEnabled: u.AccountEnabled}, nil
}

// simAudits filters the simulated audit log as Graph's $filter would.
type simAudits struct {
	t    *tenantsim.Tenant
	err  error
	none bool // the log holds nothing
	// queries records what was asked.
	queries []model.AuditQuery
}

func (s *simAudits) DirectoryAudits(_ context.Context, q model.AuditQuery) ([]model.AuditEvent, error) {
	s.queries = append(s.queries, q)
	if s.err != nil || s.none {
		return nil, s.err
	}
	var out []model.AuditEvent
	for _, e := range s.t.AuditLog() {
		if q.LoggedByService != "" && e.LoggedByService != q.LoggedByService ||
			!q.Since.IsZero() && e.ActivityDateTime.Before(q.Since) || !q.Until.IsZero() && e.ActivityDateTime.After(q.Until) {
			continue
		}
		if q.TargetID != "" && (len(e.TargetResources) == 0 || !strings.EqualFold(e.TargetResources[0].ID, q.TargetID)) {
			continue
		}
		me := model.AuditEvent{ID: e.ID, Category: e.Category, CorrelationID: e.CorrelationID, Result: e.Result,
			ResultReason: e.ResultReason, Activity: e.ActivityDisplayName, At: e.ActivityDateTime, LoggedByService: e.LoggedByService}
		if u := e.InitiatedBy.User; u != nil {
			me.InitiatedByUser = &model.AuditUser{ID: u.ID, DisplayName: u.DisplayName, UserPrincipalName: u.UserPrincipalName, IPAddress: u.IPAddress}
		}
		out = append(out, me)
	}
	return out, nil
}

// simRoles reads the simulated tenant's directory roles.
type simRoles struct {
	t   *tenantsim.Tenant
	err error
}

func (s simRoles) DirectoryRoles(context.Context) ([]model.DirectoryRole, error) {
	if s.err != nil {
		return nil, s.err
	}
	var out []model.DirectoryRole
	for _, r := range s.t.DirectoryRoles() {
		out = append(out, model.DirectoryRole{ID: r.ID, DisplayName: r.DisplayName, TemplateID: r.TemplateID})
	}
	return out, nil
}

func (s simRoles) DirectoryRoleMembers(_ context.Context, id string) ([]model.DirectoryObject, error) {
	for _, r := range s.t.DirectoryRoles() {
		if r.ID == id {
			var out []model.DirectoryObject
			for _, m := range r.Members {
				// Limited information, as Graph gives an app that may not read users: only ids.
				out = append(out, model.DirectoryObject{ID: m, Type: model.ObjectUser})
			}
			return out, nil
		}
	}
	return nil, &model.GraphError{Kind: model.GraphNotFound, Op: "role members"}
}

// eopEndpoints is the part of Microsoft's Worldwide endpoint list the checks look at: Exchange
// Online Protection (sets 9 and 10) and Exchange Online's client endpoints (set 1).
const eopEndpoints = `[
 {"id":1,"serviceArea":"Exchange","serviceAreaDisplayName":"Exchange Online","urls":["outlook.office.com","outlook.office365.com"],"ips":["13.107.6.152/31","40.96.0.0/13","52.96.0.0/14"],"tcpPorts":"80,443","expressRoute":true,"category":"Optimize","required":true},
 {"id":9,"serviceArea":"Exchange","serviceAreaDisplayName":"Exchange Online","urls":["*.protection.outlook.com"],"ips":["40.92.0.0/15","40.107.0.0/16","52.100.0.0/14","104.47.0.0/17"],"tcpPorts":"443","expressRoute":false,"category":"Allow","required":true},
 {"id":10,"serviceArea":"Exchange","serviceAreaDisplayName":"Exchange Online","urls":["*.mail.protection.outlook.com","*.mx.microsoft"],"ips":["40.92.0.0/15","40.107.0.0/16","52.100.0.0/14","104.47.0.0/17"],"tcpPorts":"25","expressRoute":false,"category":"Allow","required":true}
]`

// indexLooker serves lookups from an index, as iprange.Service does.
type indexLooker struct{ *iprange.Index }

func (l indexLooker) Status() []iprange.SourceStatus { return l.Sources() }

func eopLooker(tb testing.TB) iprange.Looker {
	tb.Helper()
	idx, err := iprange.Build([]model.IPSource{{Kind: string(iprange.KindM365), Instance: iprange.InstanceWorldwide,
		Version: "2025120100", FetchedAt: simNow, CheckedAt: simNow, URL: "test", Raw: []byte(eopEndpoints)}})
	if err != nil {
		tb.Fatal(err)
	}
	return indexLooker{idx}
}

func emptyLooker(tb testing.TB) iprange.Looker {
	tb.Helper()
	idx, _ := iprange.Build(nil)
	return indexLooker{idx}
}

type env struct {
	sim    *tenantsim.Tenant
	audits *simAudits
	roles  *simRoles
	ip     iprange.Looker
	opts   Options
	now    time.Time // the verifier's clock; zero means simNow
}

func newEnv(tb testing.TB) *env {
	sim := newSim(tb)
	return &env{sim: sim, audits: &simAudits{t: sim}, roles: &simRoles{t: sim}, ip: eopLooker(tb)}
}

func (e *env) verifier(tb testing.TB) *Verifier {
	tb.Helper()
	v, err := New(Deps{Users: []UserSource{simUsers{e.sim}}, Audits: e.audits, Roles: e.roles, IP: e.ip,
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
