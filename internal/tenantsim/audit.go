package tenantsim

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The directory audit log: the events Entra ID writes for license changes, in the shapes
// GET /auditLogs/directoryAudits returns them. Only the SubscriptionFullException result reason
// and the count and conflict message texts are confirmed from real tenants; the other reasons
// and texts follow the same pattern.

const (
	gblAppName        = "Microsoft Azure AD Group-Based Licensing"
	activityChangeLic = "Change user license"
	activitySetGroup  = "Set group license"
	activityStartGBL  = "Start applying group based license to users"
	activityFinishGBL = "Finish applying group based license to users"
	serviceCore       = "Core Directory"
	detailLicenseMsg  = "Licensing Error Message"
)

// gblInitiator is the group-based licensing service as Entra ID names it in audit events: a
// first-party service principal of the tenant (its id a GUID, stable per tenant), without an
// app id or service principal name.
func (t *Tenant) gblInitiator() AuditInitiator {
	return AuditInitiator{App: &AuditApp{DisplayName: gblAppName, ServicePrincipalID: stableGUID("gbl-service-principal", t.ID)}}
}

// actorInitiator is the app that made a change; its service principal id is its token's oid.
func actorInitiator(by Actor) AuditInitiator {
	sp := by.ServicePrincipalID
	if sp == "" {
		sp = stableGUID("service-principal", strings.ToLower(by.AppID))
	}
	return AuditInitiator{App: &AuditApp{AppID: by.AppID, DisplayName: by.DisplayName, ServicePrincipalID: sp, ServicePrincipalName: by.DisplayName}}
}

// stableGUID is a GUID derived from a kind and a name: the same for the same inputs.
func stableGUID(kind, name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("tenantsim:"+kind+":"+name)).String()
}

// newGUID is a random (version 4 shaped) GUID drawn from the tenant's deterministic rng.
func (t *Tenant) newGUID() string { return guidFrom(t.rng) }

// newAuditID is an id shaped like Entra's directory audit ids.
func (t *Tenant) newAuditID(prefix string) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteByte('_')
	b.WriteString(t.newGUID())
	b.WriteByte('_')
	for range 5 {
		b.WriteByte(alnum[t.rng.IntN(len(alnum))])
	}
	b.WriteByte('_')
	b.WriteString(strconv.Itoa(100000000 + t.rng.IntN(900000000)))
	return b.String()
}

func (t *Tenant) appendAudit(e AuditEvent) {
	if e.ID == "" {
		e.ID = t.newAuditID("Directory")
	}
	if t.auditDelay > 0 {
		// Entra ID writes the event at the change's time but shows it minutes later.
		e.visibleAt = t.now().Add(t.auditDelay)
	}
	t.audits = append(t.audits, e.withEmptyLists())
}

// auditVisible reports whether the event e already shows in the audit log API at now.
func auditVisible(e *AuditEvent, now time.Time) bool { return !now.Before(e.visibleAt) }

// withEmptyLists is e with its absent lists empty, as Graph writes [] and never null there.
func (e AuditEvent) withEmptyLists() AuditEvent {
	if e.TargetResources == nil {
		e.TargetResources = []AuditTarget{}
	}
	for i := range e.TargetResources {
		if e.TargetResources[i].ModifiedProperties == nil {
			e.TargetResources[i].ModifiedProperties = []AuditModifiedProperty{}
		}
	}
	if e.AdditionalDetails == nil {
		e.AdditionalDetails = []AuditKeyValue{}
	}
	return e
}

// licenseText renders a license as the directory's audit values do.
func (t *Tenant) licenseText(l License) string {
	part := l.SKUID
	if s := t.skuByID[l.SKUID]; s != nil {
		part = s.PartNumber
	}
	return "[SkuName=" + part + ", AccountId=" + t.ID + ", SkuId=" + l.SKUID +
		", DisabledPlans=[" + strings.Join(l.DisabledPlans, ",") + "]]"
}

func (t *Tenant) licensesJSON(ls []License) string {
	vals := make([]string, 0, len(ls))
	for _, l := range ls {
		vals = append(vals, t.licenseText(l))
	}
	b, _ := json.Marshal(vals) // a []string always marshals
	return string(b)
}

func userTarget(u *User) AuditTarget {
	return AuditTarget{ID: u.ID, Type: "User", UserPrincipalName: u.UserPrincipalName}
}

func groupTarget(g *Group) AuditTarget {
	return AuditTarget{ID: g.ID, DisplayName: g.DisplayName, Type: "Group"}
}

// auditLicenseChange writes a successful "Change user license".
func (t *Tenant) auditLicenseChange(u *User, old, cur []License, at time.Time, by AuditInitiator, corr string) {
	tr := userTarget(u)
	tr.ModifiedProperties = []AuditModifiedProperty{
		{DisplayName: "AssignedLicense", OldValue: t.licensesJSON(old), NewValue: t.licensesJSON(cur)},
		{DisplayName: "Included Updated Properties", OldValue: "", NewValue: `"AssignedLicense"`},
	}
	t.appendAudit(AuditEvent{
		Category: "UserManagement", CorrelationID: corr, Result: "success",
		ActivityDisplayName: activityChangeLic, ActivityDateTime: at, LoggedByService: serviceCore,
		OperationType: "Update", InitiatedBy: by, TargetResources: []AuditTarget{tr},
	})
}

// auditLicenseFailure writes a failed "Change user license" with the licensing error message.
func (t *Tenant) auditLicenseFailure(u *User, v violation, at time.Time, by AuditInitiator, corr string) {
	t.appendAudit(AuditEvent{
		Category: "UserManagement", CorrelationID: corr, Result: "failure", ResultReason: v.reason,
		ActivityDisplayName: activityChangeLic, ActivityDateTime: at, LoggedByService: serviceCore,
		OperationType: "Update", InitiatedBy: by, TargetResources: []AuditTarget{userTarget(u)},
		AdditionalDetails: []AuditKeyValue{{Key: detailLicenseMsg, Value: v.message}},
	})
}

// auditEvaluation writes what one evaluation of u changed. Failures are written when a
// source's outcome changed, and for every failing group source when focus is "*" (a reprocess)
// or for the group being processed when focus is its id.
func (t *Tenant) auditEvaluation(u *User, res evalResult, at time.Time, by AuditInitiator, corr, focus string) {
	if res.licensesChanged() {
		t.auditLicenseChange(u, res.oldAssigned, res.newAssigned, at, by, corr)
	}
	for _, oc := range res.outcomes {
		if !oc.failed {
			continue
		}
		if oc.changed || focus == "*" && oc.group != "" || focus != "" && oc.group == focus {
			init := by
			if oc.group != "" {
				init = t.gblInitiator()
			}
			t.auditLicenseFailure(u, oc.first, at, init, corr)
		}
	}
}

func (t *Tenant) auditDirectFailure(u *User, v directViolation, at time.Time, by Actor) {
	t.auditLicenseFailure(u, v.violation, at, actorInitiator(by), t.newGUID())
}

func (t *Tenant) auditGroupProcessing(g *Group, activity string, at time.Time) {
	t.appendAudit(AuditEvent{
		Category: "GroupManagement", CorrelationID: t.newGUID(), Result: "success",
		ActivityDisplayName: activity, ActivityDateTime: at, LoggedByService: serviceCore,
		OperationType: "Update", InitiatedBy: t.gblInitiator(), TargetResources: []AuditTarget{groupTarget(g)},
	})
}

func (t *Tenant) auditSetGroupLicense(g *Group, old []License, at time.Time, by Actor) {
	tr := groupTarget(g)
	tr.ModifiedProperties = []AuditModifiedProperty{
		{DisplayName: "AssignedLicense", OldValue: t.licensesJSON(old), NewValue: t.licensesJSON(g.Licenses)},
		{DisplayName: "Included Updated Properties", OldValue: "", NewValue: `"AssignedLicense"`},
	}
	t.appendAudit(AuditEvent{
		Category: "GroupManagement", CorrelationID: t.newGUID(), Result: "success",
		ActivityDisplayName: activitySetGroup, ActivityDateTime: at, LoggedByService: serviceCore,
		OperationType: "Assign", InitiatedBy: actorInitiator(by), TargetResources: []AuditTarget{tr},
	})
}

func (t *Tenant) auditAddGroup(g *Group, at time.Time, by Actor) {
	tr := groupTarget(g)
	if g.MembershipRule != "" {
		tr.ModifiedProperties = []AuditModifiedProperty{{DisplayName: "MembershipRule", NewValue: strconv.Quote(g.MembershipRule)}}
	}
	t.appendAudit(AuditEvent{
		Category: "GroupManagement", CorrelationID: t.newGUID(), Result: "success",
		ActivityDisplayName: "Add group", ActivityDateTime: at, LoggedByService: serviceCore,
		OperationType: "Add", InitiatedBy: actorInitiator(by), TargetResources: []AuditTarget{tr},
	})
}

// sortAudits orders the log oldest first (stable, so same-second events keep their order).
func (t *Tenant) sortAudits() {
	slices.SortStableFunc(t.audits, func(a, b AuditEvent) int { return a.ActivityDateTime.Compare(b.ActivityDateTime) })
}

// AuditLog returns a copy of the directory audit log, oldest first.
func (t *Tenant) AuditLog() []AuditEvent {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Clone(t.audits)
}
