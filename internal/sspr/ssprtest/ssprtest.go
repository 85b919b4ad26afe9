// Package ssprtest serves the password-reset verifier's sources from a generated simulated
// tenant's data, without a server, for unit tests of sspr and of the pages that call it: the
// directory (as the store would answer), the audit log (filtered as Graph's $filter would),
// directory roles (members with limited information, as Graph gives an app that may not read
// users), and Exchange Online Protection's published address ranges. Integration tests use the
// simulated tenant through the real Graph client instead. Only tests import it.
package ssprtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// Users answers user look-ups from the simulated directory.
type Users struct{ Tenant *tenantsim.Tenant }

// User finds a user by object id or user principal name.
func (s Users) User(_ context.Context, key string) (model.User, error) {
	u, ok := s.Tenant.LookupUser(key)
	if !ok {
		return model.User{}, fmt.Errorf("user %q: %w", key, model.ErrNotFound)
	}
	return model.User{ID: u.ID, DisplayName: u.DisplayName, UserPrincipalName: u.UserPrincipalName, Mail: u.Mail,
		GivenName: u.GivenName, Surname: u.Surname, AccountEnabled: u.AccountEnabled}, nil
}

// Audits filters the simulated audit log as Graph's $filter would.
type Audits struct {
	Tenant *tenantsim.Tenant
	Err    error // every read fails with it
	None   bool  // the log holds nothing

	mu      sync.Mutex
	queries []model.AuditQuery
}

// DirectoryAudits answers one query.
func (s *Audits) DirectoryAudits(_ context.Context, q model.AuditQuery) ([]model.AuditEvent, error) {
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()
	if s.Err != nil || s.None {
		return nil, s.Err
	}
	var out []model.AuditEvent
	for _, e := range s.Tenant.AuditLog() {
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

// Queries returns what was asked so far.
func (s *Audits) Queries() []model.AuditQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]model.AuditQuery(nil), s.queries...)
}

// Roles reads the simulated tenant's directory roles.
type Roles struct {
	Tenant *tenantsim.Tenant
	Err    error // every read fails with it
}

// DirectoryRoles lists the activated roles.
func (s *Roles) DirectoryRoles(context.Context) ([]model.DirectoryRole, error) {
	if s.Err != nil {
		return nil, s.Err
	}
	var out []model.DirectoryRole
	for _, r := range s.Tenant.DirectoryRoles() {
		out = append(out, model.DirectoryRole{ID: r.ID, DisplayName: r.DisplayName, TemplateID: r.TemplateID})
	}
	return out, nil
}

// DirectoryRoleMembers lists a role's members with limited information: only ids.
func (s *Roles) DirectoryRoleMembers(_ context.Context, id string) ([]model.DirectoryObject, error) {
	for _, r := range s.Tenant.DirectoryRoles() {
		if r.ID == id {
			var out []model.DirectoryObject
			for _, m := range r.Members {
				out = append(out, model.DirectoryObject{ID: m, Type: model.ObjectUser})
			}
			return out, nil
		}
	}
	return nil, &model.GraphError{Kind: model.GraphNotFound, Op: "list members of directory role " + id}
}

// eopEndpoints is the part of Microsoft's Worldwide endpoint list the verifier looks at:
// Exchange Online Protection (sets 9 and 10) and Exchange Online's client endpoints (set 1).
const eopEndpoints = `[
 {"id":1,"serviceArea":"Exchange","serviceAreaDisplayName":"Exchange Online","urls":["outlook.office.com","outlook.office365.com"],"ips":["13.107.6.152/31","40.96.0.0/13","52.96.0.0/14"],"tcpPorts":"80,443","expressRoute":true,"category":"Optimize","required":true},
 {"id":9,"serviceArea":"Exchange","serviceAreaDisplayName":"Exchange Online","urls":["*.protection.outlook.com"],"ips":["40.92.0.0/15","40.107.0.0/16","52.100.0.0/14","104.47.0.0/17"],"tcpPorts":"443","expressRoute":false,"category":"Allow","required":true},
 {"id":10,"serviceArea":"Exchange","serviceAreaDisplayName":"Exchange Online","urls":["*.mail.protection.outlook.com","*.mx.microsoft"],"ips":["40.92.0.0/15","40.107.0.0/16","52.100.0.0/14","104.47.0.0/17"],"tcpPorts":"25","expressRoute":false,"category":"Allow","required":true}
]`

// indexLooker serves lookups from an index, as iprange.Service does.
type indexLooker struct{ *iprange.Index }

func (l indexLooker) Status() []iprange.SourceStatus { return l.Sources() }

// EOPLooker looks addresses up in Exchange Online's part of the Worldwide endpoint list, as if
// it had been downloaded at fetched.
func EOPLooker(fetched time.Time) (iprange.Looker, error) {
	idx, err := iprange.Build([]model.IPSource{{Kind: string(iprange.KindM365), Instance: iprange.InstanceWorldwide,
		Version: "2025120100", FetchedAt: fetched, CheckedAt: fetched, URL: "test", Raw: []byte(eopEndpoints)}})
	if err != nil {
		return nil, err
	}
	return indexLooker{idx}, nil
}

// EmptyLooker has no data loaded, as a new installation without downloads.
func EmptyLooker() iprange.Looker {
	idx, _ := iprange.Build(nil)
	return indexLooker{idx}
}

// ContactedFlows are the simulated tenant's flows that ended in contacting an administrator.
func ContactedFlows(t *tenantsim.Tenant) []tenantsim.SSPRFlow {
	var out []tenantsim.SSPRFlow
	for _, f := range t.SSPRFlows() {
		if f.Outcome == "contacted-admin" {
			out = append(out, f)
		}
	}
	return out
}
