package tenantsim

import (
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim/odata"
)

// permsOrgRead is GET /directory/subscriptions ("List subscriptions", directory-list-subscriptions):
// not in GRAPH.md's table; Microsoft's page lists Organization.Read.All (least privileged),
// Directory.Read.All and Organization.ReadWrite.All for applications. LicenseAssignment.Read.All,
// which suffices for /subscribedSkus, is not listed and so is refused.
var permsOrgRead = []string{"Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All"}

// maxSignInTop is the largest page of users Graph gives with signInActivity.
const maxSignInTop = 500

// checkSignInActivity refuses a user read that selects signInActivity unless Graph would answer
// it: the app needs AuditLog.Read.All besides its user read permission (GRAPH.md), and the
// tenant needs Entra ID P1 or P2.
func (a *API) checkSignInActivity(rq *request) error {
	q, err := odata.ParseQuery(rq.query)
	if err != nil {
		return nil // the handler reports the bad query
	}
	selected := false
	for _, s := range q.Select {
		if strings.EqualFold(s, "signInActivity") {
			selected = true
		}
	}
	if !selected {
		return nil
	}
	if !hasAnyRole(rq.caller.Roles, permsAudit) {
		return errf(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	}
	a.t.mu.RLock()
	premium := a.t.hasEntraPremium()
	a.t.mu.RUnlock()
	if !premium {
		return errf(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "Neither tenant is B2C or tenant doesn't have premium license")
	}
	// "When signInActivity is selected or filtered on, the maximum page size is 500" (List
	// users, v1.0). The answer to a larger $top is not documented; the simulator refuses it as it
	// refuses a $top past 999, the conservative reading.
	if q.TopSet && q.Top > maxSignInTop {
		return errf(400, odata.CodeRequestBad, "Invalid page size specified: '%d'. Must be between 1 and %d inclusive.", q.Top, maxSignInTop)
	}
	return nil
}

// subscriptionProps is companySubscription as Graph v1.0 returns it. Owner properties are null:
// the simulated tenant buys its own subscriptions.
var subscriptionProps = newPropSet("microsoft.graph.companySubscription", []prop[Subscription]{
	{"commerceSubscriptionId", true, func(s *Subscription) any { return s.CommerceSubscriptionID }},
	{"createdDateTime", true, func(s *Subscription) any { return s.CreatedDateTime }},
	{"id", true, func(s *Subscription) any { return s.ID }},
	{"isTrial", true, func(s *Subscription) any { return s.IsTrial }},
	{"nextLifecycleDateTime", true, func(s *Subscription) any {
		if s.NextLifecycleDateTime.IsZero() {
			return nil
		}
		return s.NextLifecycleDateTime
	}},
	{"ownerId", true, func(s *Subscription) any { return nil }},
	{"ownerTenantId", true, func(s *Subscription) any { return nil }},
	{"ownerType", true, func(s *Subscription) any { return nil }},
	{"serviceStatus", true, func(s *Subscription) any {
		return rawJSON(appendArray(nil, s.ServicePlans, func(b []byte, p ServicePlan) []byte {
			return appendValue(b, planInfoJSON{ServicePlanID: strings.ToLower(p.ID), ServicePlanName: p.Name, ProvisioningStatus: "Success", AppliesTo: p.AppliesTo})
		}))
	}},
	{"skuId", true, func(s *Subscription) any { return s.SKUID }},
	{"skuPartNumber", true, func(s *Subscription) any { return s.SKUPartNumber }},
	{"status", true, func(s *Subscription) any { return s.Status }},
	{"totalLicenses", true, func(s *Subscription) any { return s.TotalLicenses }},
})

// listDirectorySubscriptions serves GET /directory/subscriptions: every subscription in one
// page, $select only (Microsoft's page documents no other query option for it).
func (a *API) listDirectorySubscriptions(rq *request) error {
	q, err := odata.ParseQuery(rq.query)
	if err != nil {
		return err
	}
	if q.Filter != nil || q.Search != nil || q.OrderBy != nil || q.TopSet || q.SkipToken != "" {
		return errf(400, "Request_UnsupportedQuery", "subscriptions supports only $select.")
	}
	sel, err := subscriptionProps.selection(q.Select)
	if err != nil {
		return err
	}
	subs := a.t.Subscriptions()
	items := appendJoined(nil, subs, func(b []byte, s Subscription) []byte {
		return subscriptionProps.appendObject(b, &s, sel, false)
	})
	c := collection{context: rq.base + "/$metadata#directory/subscriptions", count: -1, items: items}
	writeJSON(rq.w, 200, c.bytes())
	return nil
}

// getDirectorySubscription serves GET /directory/subscriptions/{id}: by id or, as Graph's
// alternate key, commerceSubscriptionId.
func (a *API) getDirectorySubscription(rq *request) error {
	sel, err := parseSingle(rq)
	if err != nil {
		return err
	}
	idx, err := subscriptionProps.selection(sel)
	if err != nil {
		return err
	}
	key := strings.ToLower(rq.params[0])
	for _, s := range a.t.Subscriptions() {
		if key == s.ID || key == s.CommerceSubscriptionID {
			writeJSON(rq.w, 200, entity(rq, "directory/subscriptions", subscriptionProps.appendObject(nil, &s, idx, false)))
			return nil
		}
	}
	return resourceNotFound(rq.params[0])
}

// subscriptionIDsOf are the ids of skuID's subscriptions, for subscribedSkus' subscriptionIds.
// The caller holds the read lock.
func (t *Tenant) subscriptionIDsOf(skuID string) []string {
	ids := []string{}
	for _, s := range t.subscriptionsLocked() {
		if strings.EqualFold(s.SKUID, skuID) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}
