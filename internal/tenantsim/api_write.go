package tenantsim

import (
	"strings"
)

// assignLicenseBody is the body of assignLicense on users and groups.
type assignLicenseBody struct {
	AddLicenses    *[]assignedLicenseJSON `json:"addLicenses"`
	RemoveLicenses *[]string              `json:"removeLicenses"`
}

type assignedLicenseJSON struct {
	SKUID         string   `json:"skuId"`
	DisabledPlans []string `json:"disabledPlans"`
}

func actor(c Caller) Actor { return Actor{AppID: c.AppID, DisplayName: c.AppName} }

// parseAssign validates an assignLicense body as Graph does: both lists are required (empty is
// fine) and every id must be a GUID.
func parseAssign(body []byte) (add []License, remove []string, err error) {
	var b assignLicenseBody
	if err := decodeJSON(body, &b); err != nil {
		return nil, nil, err
	}
	if b.AddLicenses == nil {
		return nil, nil, errf(400, "Request_BadRequest", "Invalid value specified for property 'addLicenses' of resource 'User'.")
	}
	if b.RemoveLicenses == nil {
		return nil, nil, errf(400, "Request_BadRequest", "Invalid value specified for property 'removeLicenses' of resource 'User'.")
	}
	for _, l := range *b.AddLicenses {
		if !isGUID(l.SKUID) {
			return nil, nil, errf(400, "Request_BadRequest", "Invalid value specified for property 'skuId' of resource 'AssignedLicense'.")
		}
		plans := make([]string, 0, len(l.DisabledPlans))
		for _, p := range l.DisabledPlans {
			if !isGUID(p) {
				return nil, nil, errf(400, "Request_BadRequest", "Invalid value specified for property 'disabledPlans' of resource 'AssignedLicense'.")
			}
			plans = append(plans, strings.ToLower(p))
		}
		add = append(add, License{SKUID: strings.ToLower(l.SKUID), DisabledPlans: plans})
	}
	for _, r := range *b.RemoveLicenses {
		if !isGUID(r) {
			return nil, nil, errf(400, "Request_BadRequest", "Invalid value specified for property 'removeLicenses' of resource 'User'.")
		}
		remove = append(remove, strings.ToLower(r))
	}
	return add, remove, nil
}

// userID resolves a user key (id or UPN) to the id under a short read lock.
func (a *API) userID(key string) (string, error) {
	a.t.mu.RLock()
	defer a.t.mu.RUnlock()
	u, err := a.findUser(key)
	if err != nil {
		return "", err
	}
	return u.ID, nil
}

func (a *API) groupID(key string) (string, error) {
	a.t.mu.RLock()
	defer a.t.mu.RUnlock()
	g, err := a.findGroup(key)
	if err != nil {
		return "", err
	}
	return g.ID, nil
}

func (a *API) writeUser(rq *request, status int, u User) {
	writeJSON(rq.w, status, entity(rq, "users", userProps.appendObject(nil, &u, userProps.defaults, false)))
}

func (a *API) assignUserLicense(rq *request) error {
	id, err := a.userID(rq.params[0])
	if err != nil {
		return err
	}
	add, remove, err := parseAssign(rq.body)
	if err != nil {
		return err
	}
	u, err := a.t.AssignUserLicenses(id, add, remove, actor(rq.caller))
	if err != nil {
		return err
	}
	a.writeUser(rq, 200, u)
	return nil
}

func (a *API) reprocessUser(rq *request) error {
	id, err := a.userID(rq.params[0])
	if err != nil {
		return err
	}
	u, err := a.t.ReprocessUser(id, actor(rq.caller))
	if err != nil {
		return err
	}
	a.writeUser(rq, 200, u)
	return nil
}

func (a *API) assignGroupLicense(rq *request) error {
	id, err := a.groupID(rq.params[0])
	if err != nil {
		return err
	}
	add, remove, err := parseAssign(rq.body)
	if err != nil {
		return err
	}
	g, err := a.t.AssignGroupLicenses(id, add, remove, actor(rq.caller))
	if err != nil {
		return err
	}
	// Graph answers 202: the template is saved, members are processed asynchronously.
	rq.w.Header().Set("Location", rq.base+"/groups/"+g.ID)
	writeJSON(rq.w, 202, entity(rq, "groups", groupProps.appendObject(nil, &g, groupProps.defaults, false)))
	return nil
}

// createGroupBody is what POST /groups accepts.
type createGroupBody struct {
	DisplayName                   *string               `json:"displayName"`
	Description                   string                `json:"description"`
	MailNickname                  *string               `json:"mailNickname"`
	MailEnabled                   *bool                 `json:"mailEnabled"`
	SecurityEnabled               *bool                 `json:"securityEnabled"`
	GroupTypes                    []string              `json:"groupTypes"`
	MembershipRule                string                `json:"membershipRule"`
	MembershipRuleProcessingState string                `json:"membershipRuleProcessingState"`
	AssignedLicenses              []assignedLicenseJSON `json:"assignedLicenses"`
}

func invalidGroupProp(name string) *apiError {
	return errf(400, "Request_BadRequest", "Invalid value specified for property '%s' of resource 'Group'.", name)
}

func (a *API) createGroup(rq *request) error {
	var b createGroupBody
	if err := decodeJSON(rq.body, &b); err != nil {
		return err
	}
	switch {
	case b.DisplayName == nil || strings.TrimSpace(*b.DisplayName) == "" || len(*b.DisplayName) > 256:
		return invalidGroupProp("displayName")
	case b.MailNickname == nil || *b.MailNickname == "" || len(*b.MailNickname) > 64 || strings.ContainsAny(*b.MailNickname, " @()\\[]\";:<>,"):
		return invalidGroupProp("mailNickname")
	case b.MailEnabled == nil:
		return invalidGroupProp("mailEnabled")
	case b.SecurityEnabled == nil:
		return invalidGroupProp("securityEnabled")
	}
	dynamic := false
	for _, t := range b.GroupTypes {
		switch {
		case strings.EqualFold(t, "Unified"), strings.EqualFold(t, "DynamicMembership"):
			dynamic = dynamic || strings.EqualFold(t, "DynamicMembership")
		default:
			return invalidGroupProp("groupTypes")
		}
	}
	if dynamic != (b.MembershipRule != "") {
		return invalidGroupProp("membershipRule")
	}
	spec := GroupSpec{
		DisplayName: *b.DisplayName, Description: b.Description, MailNickname: *b.MailNickname,
		MailEnabled: *b.MailEnabled, SecurityEnabled: *b.SecurityEnabled, GroupTypes: b.GroupTypes,
		MembershipRule: b.MembershipRule,
	}
	for _, l := range b.AssignedLicenses {
		if !isGUID(l.SKUID) {
			return invalidGroupProp("assignedLicenses")
		}
		spec.Licenses = append(spec.Licenses, License{SKUID: strings.ToLower(l.SKUID), DisabledPlans: l.DisabledPlans})
	}
	g, err := a.t.CreateGroup(spec, actor(rq.caller))
	if err != nil {
		return err
	}
	rq.w.Header().Set("Location", rq.base+"/groups/"+g.ID)
	writeJSON(rq.w, 201, entity(rq, "groups", groupProps.appendObject(nil, &g, groupProps.defaults, false)))
	return nil
}
