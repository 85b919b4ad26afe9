package tenantsim

import (
	"encoding/json"
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

func actor(c Caller) Actor {
	return Actor{AppID: c.AppID, DisplayName: c.AppName, ServicePrincipalID: c.ServicePrincipalID}
}

// parseAssign validates an assignLicense body as Graph does: both lists are required (empty is
// fine) and every id must be a GUID. resource is "User" or "Group", the object the errors name.
func parseAssign(body []byte, resource string) (add []License, remove []string, err error) {
	var b assignLicenseBody
	if err := decodeJSON(body, &b); err != nil {
		return nil, nil, err
	}
	if b.AddLicenses == nil {
		return nil, nil, errf(400, "Request_BadRequest", "Invalid value specified for property 'addLicenses' of resource '%s'.", resource)
	}
	if b.RemoveLicenses == nil {
		return nil, nil, errf(400, "Request_BadRequest", "Invalid value specified for property 'removeLicenses' of resource '%s'.", resource)
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
			return nil, nil, errf(400, "Request_BadRequest", "Invalid value specified for property 'removeLicenses' of resource '%s'.", resource)
		}
		remove = append(remove, strings.ToLower(r))
	}
	return add, remove, nil
}

// objectID resolves the path's key (an id, or a userPrincipalName for users) to the object's
// id under a short read lock: the tenant's write calls take the write lock themselves.
func objectID[T any](a *API, c directoryCollection[T], key string) (string, error) {
	a.t.mu.RLock()
	defer a.t.mu.RUnlock()
	obj, err := c.find(a, key)
	if err != nil {
		return "", err
	}
	return c.id(obj), nil
}

// writeWritten answers a write with the object's default properties, as Graph does.
func writeWritten[T any](rq *request, status int, c directoryCollection[T], obj *T) {
	writeJSON(rq.w, status, entity(rq, c.name, c.props.appendObject(nil, obj, c.props.defaults, false)))
}

// assignLicense is POST /users/{id}/assignLicense and /groups/{id}/assignLicense up to the
// answer: assign is the tenant's call for that kind of object.
func assignLicense[T any](a *API, rq *request, c directoryCollection[T], assign func(id string, add []License, remove []string, by Actor) (T, error)) (T, error) {
	var none T
	id, err := objectID(a, c, rq.params[0])
	if err != nil {
		return none, err
	}
	add, remove, err := parseAssign(rq.body, c.schema.Resource)
	if err != nil {
		return none, err
	}
	return assign(id, add, remove, actor(rq.caller))
}

func (a *API) assignUserLicense(rq *request) error {
	u, err := assignLicense(a, rq, userCollection, a.t.AssignUserLicenses)
	if err != nil {
		return err
	}
	writeWritten(rq, 200, userCollection, &u)
	return nil
}

func (a *API) reprocessUser(rq *request) error {
	id, err := objectID(a, userCollection, rq.params[0])
	if err != nil {
		return err
	}
	u, err := a.t.ReprocessUser(id, actor(rq.caller))
	if err != nil {
		return err
	}
	writeWritten(rq, 200, userCollection, &u)
	return nil
}

func (a *API) assignGroupLicense(rq *request) error {
	g, err := assignLicense(a, rq, groupCollection, a.t.AssignGroupLicenses)
	if err != nil {
		return err
	}
	// Graph answers 202: the template is saved, members are processed asynchronously. The
	// Location is the directory object's, as Graph's page shows it.
	rq.w.Header().Set("Location", directoryObjectURL(rq, a.t.ID, g.ID, "Group"))
	writeWritten(rq, 202, groupCollection, &g)
	return nil
}

// createGroupBody is what POST /groups accepts.
type createGroupBody struct {
	DisplayName                   *string         `json:"displayName"`
	Description                   string          `json:"description"`
	MailNickname                  *string         `json:"mailNickname"`
	MailEnabled                   *bool           `json:"mailEnabled"`
	SecurityEnabled               *bool           `json:"securityEnabled"`
	GroupTypes                    []string        `json:"groupTypes"`
	MembershipRule                string          `json:"membershipRule"`
	MembershipRuleProcessingState string          `json:"membershipRuleProcessingState"`
	AssignedLicenses              json.RawMessage `json:"assignedLicenses"`
}

func invalidGroupProp(name string) *apiError {
	return errf(400, "Request_BadRequest", "Invalid value specified for property '%s' of resource 'Group'.", name)
}

// createGroup is POST /groups: the four required properties (displayName at most 256
// characters; mailNickname 1-64 characters of ASCII without @ ( ) \ [ ] " ; : . < > , and
// space), groupTypes "Unified" and "DynamicMembership", a membership rule exactly for dynamic
// groups, membershipRuleProcessingState On or Paused. assignedLicenses is read-only on a group
// (licenses come with assignLicense): Graph's page does not say how a create that sets it
// fails, the simulator refuses it, the conservative reading.
func (a *API) createGroup(rq *request) error {
	var b createGroupBody
	if err := decodeJSON(rq.body, &b); err != nil {
		return err
	}
	switch {
	case b.DisplayName == nil || strings.TrimSpace(*b.DisplayName) == "" || len(*b.DisplayName) > 256:
		return invalidGroupProp("displayName")
	case b.MailNickname == nil || !validMailNickname(*b.MailNickname):
		return invalidGroupProp("mailNickname")
	case b.MailEnabled == nil:
		return invalidGroupProp("mailEnabled")
	case b.SecurityEnabled == nil:
		return invalidGroupProp("securityEnabled")
	case len(b.AssignedLicenses) > 0 && string(b.AssignedLicenses) != "null":
		return errf(400, "Request_BadRequest", "Property 'assignedLicenses' is read-only and cannot be set.")
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
		MembershipRule: b.MembershipRule, ProcessingState: b.MembershipRuleProcessingState,
	}
	g, err := a.t.CreateGroup(spec, actor(rq.caller))
	if err != nil {
		return err
	}
	rq.w.Header().Set("Location", rq.base+"/groups/"+g.ID)
	writeWritten(rq, 201, groupCollection, &g)
	return nil
}

// directoryObjectURL is the Location Graph gives a written directory object:
// https://<host>/v2/<tenant id>/directoryObjects/<id>/Microsoft.DirectoryServices.<kind>.
func directoryObjectURL(rq *request, tenantID, id, kind string) string {
	root := strings.TrimSuffix(rq.base, "/v1.0")
	return root + "/v2/" + tenantID + "/directoryObjects/" + id + "/Microsoft.DirectoryServices." + kind
}
