package tenantsim

import "strings"

// roleJSON is a directoryRole as Graph writes it.
type roleJSON struct {
	ID              string `json:"id"`
	DeletedDateTime any    `json:"deletedDateTime"`
	Description     string `json:"description"`
	DisplayName     string `json:"displayName"`
	RoleTemplateID  string `json:"roleTemplateId"`
}

func toRoleJSON(r *DirectoryRole) roleJSON {
	return roleJSON{ID: r.ID, Description: r.Description, DisplayName: r.DisplayName, RoleTemplateID: r.TemplateID}
}

// roleTemplateKey reads the alternate key segment "directoryRoles(roleTemplateId='{id}')".
func roleTemplateKey(seg string) (string, bool) {
	low := strings.ToLower(seg)
	const prefix = "directoryroles(roletemplateid="
	if !strings.HasPrefix(low, prefix) || !strings.HasSuffix(low, ")") {
		return "", false
	}
	return strings.Trim(seg[len(prefix):len(seg)-1], "'"), true
}

// listDirectoryRoles serves GET /directoryRoles: the activated roles, one page. Graph documents
// that this method supports no OData query parameters; the simulator refuses them rather than
// guess what Graph would do with them.
func (a *API) listDirectoryRoles(rq *request) error {
	for k := range rq.query {
		if strings.HasPrefix(k, "$") {
			return errf(400, "Request_UnsupportedQuery", "The query parameter '%s' is not supported on directoryRoles.", k)
		}
	}
	a.t.Tick()
	a.t.mu.RLock()
	roles := make([]roleJSON, len(a.t.roles))
	for i, r := range a.t.roles {
		roles[i] = toRoleJSON(r)
	}
	a.t.mu.RUnlock()
	items := appendJoined(nil, roles, func(b []byte, r roleJSON) []byte { return appendValue(b, r) })
	writeJSON(rq.w, 200, collection{context: rq.base + "/$metadata#directoryRoles", count: -1, items: items}.bytes())
	return nil
}

// withRole resolves the role the path names (object id, or roleTemplateId=... from the
// alternate key) and calls use with it under the read lock.
func (a *API) withRole(rq *request, use func(r *DirectoryRole) error) error {
	a.t.Tick()
	a.t.mu.RLock()
	defer a.t.mu.RUnlock()
	key := rq.params[0]
	var r *DirectoryRole
	if tmpl, ok := strings.CutPrefix(key, "roleTemplateId="); ok {
		r = a.t.findRoleByTemplate(tmpl)
	} else {
		if !isGUID(key) {
			return errf(400, "Request_BadRequest", "Invalid object identifier '%s'.", key)
		}
		r = a.t.findRole(key)
	}
	if r == nil {
		return resourceNotFound(strings.TrimPrefix(key, "roleTemplateId="))
	}
	return use(r)
}

func (a *API) getDirectoryRole(rq *request) error {
	if _, err := parseSingle(rq); err != nil {
		return err
	}
	return a.withRole(rq, func(r *DirectoryRole) error {
		writeJSON(rq.w, 200, entity(rq, "directoryRoles", appendValue(nil, toRoleJSON(r))))
		return nil
	})
}

// listDirectoryRoleMembers serves GET /directoryRoles/{id}/members. Without a permission to read
// users the members come back with limited information (only @odata.type and id), as Graph
// documents for directoryObject relationships.
func (a *API) listDirectoryRoleMembers(rq *request) error {
	lq, err := parseRefList(rq)
	if err != nil {
		return err
	}
	lq.limited = !hasAnyRole(rq.caller.Roles, permsUserRead)
	return a.withRole(rq, func(r *DirectoryRole) error {
		return a.writeRefPage(rq, "directoryObjects", lq, r.Members, func(string) bool { return true })
	})
}
