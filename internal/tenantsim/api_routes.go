package tenantsim

import (
	"net/http"
	"strings"
)

// Application permissions per call, as ../shared/GRAPH.md's table "Application permissions per
// call" lists them from Graph's v1.0 pages: any one permission of a list suffices, and nothing
// else does (a permission that sounds broader but is not listed is refused, as Graph refuses it).
var (
	permsSKURead   = []string{"LicenseAssignment.Read.All", "Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All", "Directory.ReadWrite.All"}
	permsUserRead  = []string{"User.Read.All", "Directory.Read.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
	permsGroupRead = []string{"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
	permsAudit     = []string{"AuditLog.Read.All"}
	// reprocessLicenseAssignment: LicenseAssignment.ReadWrite.All is NOT listed for this call.
	permsReprocess = []string{"User.ReadWrite.All", "Directory.ReadWrite.All"}
	permsUserLic   = []string{"LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
	permsGroupLic  = []string{"LicenseAssignment.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
	permsGroupNew  = []string{"Group.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
	// GET /users/{id}/memberOf is not in GRAPH.md's table (tenantdesk does not call it); Graph's
	// page for it lists only Directory.Read.All and Directory.ReadWrite.All for applications
	// reading another user's memberships, so that is what the simulator asks for.
	permsMemberOf = []string{"Directory.Read.All", "Directory.ReadWrite.All"}
	// "List directoryRoles" and "List members of a directory role": GRAPH.md's row. Microsoft's
	// pages also name the two ReadWrite permissions; the simulator holds to the row, the most
	// conservative reading.
	permsDirRoles = []string{"RoleManagement.Read.Directory", "Directory.Read.All"}
)

// route is one Graph operation the simulator serves.
type route struct {
	method   string
	template string // the path below /v1.0, "{id}" for keys: "/groups/{id}/members/$count"
	// perms are the application permissions of which any one suffices; nil means a valid token
	// is enough ($batch: each part is checked on its own).
	perms   []string
	handler func(*API, *request) error
}

// Key names the route in request statistics: "GET /groups/{id}/members/$count".
func (rt route) Key() string { return rt.method + " " + rt.template }

// memberCasts are the type-cast segments Graph accepts below /members, by lower-case name, with
// the object type they select and their canonical spelling.
var memberCasts = map[string]struct{ typ, name string }{
	"microsoft.graph.user":       {TypeUser, "microsoft.graph.user"},
	"microsoft.graph.group":      {TypeGroup, "microsoft.graph.group"},
	"microsoft.graph.device":     {TypeDevice, "microsoft.graph.device"},
	"microsoft.graph.orgcontact": {TypeContact, "microsoft.graph.orgContact"},
}

// apiRoutes is every operation of the simulated Graph: the route table that matchRoute resolves
// requests to and the permission test walks. routeIndex finds them by template, then method.
// Both are set in init: the handlers reach matchRoute again through $batch.
var (
	apiRoutes  []route
	routeIndex map[string]map[string]route
)

func init() {
	apiRoutes = buildRoutes()
	routeIndex = map[string]map[string]route{}
	for _, rt := range apiRoutes {
		if routeIndex[rt.template] == nil {
			routeIndex[rt.template] = map[string]route{}
		}
		routeIndex[rt.template][rt.method] = rt
	}
}

func buildRoutes() []route {
	rs := []route{
		{"GET", "/subscribedSkus", permsSKURead, (*API).listSKUs},
		{"GET", "/subscribedSkus/{id}", permsSKURead, (*API).getSKU},
		{"GET", "/users", permsUserRead, (*API).listUsers},
		{"GET", "/users/$count", permsUserRead, (*API).countUsers},
		{"GET", "/users/delta", permsUserRead, (*API).deltaUsers},
		{"GET", "/users/{id}", permsUserRead, (*API).getUser},
		{"GET", "/users/{id}/memberOf", permsMemberOf, (*API).userMemberOf},
		{"POST", "/users/{id}/assignLicense", permsUserLic, (*API).assignUserLicense},
		{"POST", "/users/{id}/reprocessLicenseAssignment", permsReprocess, (*API).reprocessUser},
		{"GET", "/groups", permsGroupRead, (*API).listGroups},
		{"POST", "/groups", permsGroupNew, (*API).createGroup},
		{"GET", "/groups/$count", permsGroupRead, (*API).countGroups},
		{"GET", "/groups/delta", permsGroupRead, (*API).deltaGroups},
		{"GET", "/groups/{id}", permsGroupRead, (*API).getGroup},
		{"POST", "/groups/{id}/assignLicense", permsGroupLic, (*API).assignGroupLicense},
		{"GET", "/groups/{id}/members", permsGroupRead, (*API).listMembers},
		{"GET", "/groups/{id}/members/$count", permsGroupRead, (*API).countMembers},
		{"GET", "/groups/{id}/membersWithLicenseErrors", permsGroupRead, (*API).listMembersWithErrors},
		{"DELETE", "/groups/{id}/members/{id}/$ref", permsMemberWrite, (*API).removeMember},
		{"GET", "/auditLogs/directoryAudits", permsAudit, (*API).listAudits},
		{"GET", "/auditLogs/directoryAudits/{id}", permsAudit, (*API).getAudit},
		{"GET", "/directory/subscriptions", permsOrgRead, (*API).listDirectorySubscriptions},
		{"GET", "/directory/subscriptions/{id}", permsOrgRead, (*API).getDirectorySubscription},
		{"GET", "/directoryRoles", permsDirRoles, (*API).listDirectoryRoles},
		{"GET", "/directoryRoles/{id}", permsDirRoles, (*API).getDirectoryRole},
		{"GET", "/directoryRoles/{id}/members", permsDirRoles, (*API).listDirectoryRoleMembers},
		{"GET", "/directoryRoles(roleTemplateId={id})", permsDirRoles, (*API).getDirectoryRole},
		{"GET", "/directoryRoles(roleTemplateId={id})/members", permsDirRoles, (*API).listDirectoryRoleMembers},
		{"POST", "/$batch", nil, (*API).batch},
	}
	for _, c := range []string{"microsoft.graph.user", "microsoft.graph.group", "microsoft.graph.device", "microsoft.graph.orgcontact"} {
		name := memberCasts[c].name
		rs = append(rs,
			route{"GET", "/groups/{id}/members/" + name, permsGroupRead, (*API).listMembers},
			route{"GET", "/groups/{id}/members/" + name + "/$count", permsGroupRead, (*API).countMembers})
	}
	return rs
}

// matchRoute finds the operation for a method and a path below /v1.0. Path segments match case
// insensitively, as Graph's do; params are the {id} values in order, and for members the object
// type of a cast ("" without one).
func matchRoute(method, path string) (route, []string, error) {
	trimmed := strings.TrimPrefix(path, "/")
	if trimmed == "" {
		return route{}, nil, segmentNotFound("v1.0")
	}
	segs := strings.Split(strings.TrimSuffix(trimmed, "/"), "/")
	for _, s := range segs {
		if s == "" {
			return route{}, nil, segmentNotFound("")
		}
	}
	low := make([]string, len(segs))
	for i, s := range segs {
		low[i] = strings.ToLower(s)
	}
	at := func(template string, params ...string) (route, []string, error) {
		rt, ok := routeIndex[template][method]
		if !ok {
			return route{}, nil, methodNotAllowed()
		}
		return rt, params, nil
	}
	n := len(segs)
	if tmpl, ok := roleTemplateKey(segs[0]); ok {
		// The alternate key: /directoryRoles(roleTemplateId='{id}')[/members].
		switch {
		case n == 1:
			return at("/directoryRoles(roleTemplateId={id})", "roleTemplateId="+tmpl)
		case n == 2 && low[1] == "members":
			return at("/directoryRoles(roleTemplateId={id})/members", "roleTemplateId="+tmpl)
		}
		return route{}, nil, segmentNotFound(segs[n-1])
	}
	switch low[0] {
	case "subscribedskus":
		switch n {
		case 1:
			return at("/subscribedSkus")
		case 2:
			return at("/subscribedSkus/{id}", segs[1])
		}
		return route{}, nil, segmentNotFound(segs[2])
	case "users":
		switch {
		case n == 1:
			return at("/users")
		case n == 2 && low[1] == "$count":
			return at("/users/$count")
		case n == 2 && (low[1] == "delta" || low[1] == "delta()"):
			return at("/users/delta")
		case n == 2:
			return at("/users/{id}", segs[1])
		case n == 3 && low[2] == "assignlicense":
			return at("/users/{id}/assignLicense", segs[1])
		case n == 3 && low[2] == "reprocesslicenseassignment":
			return at("/users/{id}/reprocessLicenseAssignment", segs[1])
		case n == 3 && low[2] == "memberof":
			return at("/users/{id}/memberOf", segs[1])
		case n == 3:
			return route{}, nil, segmentNotFound(segs[2])
		}
		return route{}, nil, segmentNotFound(segs[3])
	case "groups":
		switch {
		case n == 1:
			return at("/groups")
		case n == 2 && low[1] == "$count":
			return at("/groups/$count")
		case n == 2 && (low[1] == "delta" || low[1] == "delta()"):
			return at("/groups/delta")
		case n == 2:
			return at("/groups/{id}", segs[1])
		case n == 3 && low[2] == "assignlicense":
			return at("/groups/{id}/assignLicense", segs[1])
		case n == 3 && low[2] == "members":
			return at("/groups/{id}/members", segs[1], "")
		case n == 3 && low[2] == "memberswithlicenseerrors":
			return at("/groups/{id}/membersWithLicenseErrors", segs[1])
		case n == 3:
			return route{}, nil, segmentNotFound(segs[2])
		case low[2] != "members":
			return route{}, nil, segmentNotFound(segs[3])
		case n == 4 && low[3] == "$count":
			return at("/groups/{id}/members/$count", segs[1], "")
		case n == 5 && low[4] == "$ref":
			return at("/groups/{id}/members/{id}/$ref", segs[1], segs[3])
		}
		cast, ok := memberCasts[low[3]]
		switch {
		case !ok:
			return route{}, nil, segmentNotFound(segs[3])
		case n == 4:
			return at("/groups/{id}/members/"+cast.name, segs[1], cast.typ)
		case n == 5 && low[4] == "$count":
			return at("/groups/{id}/members/"+cast.name+"/$count", segs[1], cast.typ)
		}
		return route{}, nil, segmentNotFound(segs[4])
	case "auditlogs":
		switch {
		case n == 1:
			return route{}, nil, segmentNotFound(segs[0])
		case low[1] != "directoryaudits":
			return route{}, nil, segmentNotFound(segs[1])
		case n == 2:
			return at("/auditLogs/directoryAudits")
		case n == 3:
			return at("/auditLogs/directoryAudits/{id}", segs[2])
		}
		return route{}, nil, segmentNotFound(segs[3])
	case "directory":
		switch {
		case n == 1:
			return route{}, nil, segmentNotFound(segs[0])
		case low[1] != "subscriptions":
			return route{}, nil, segmentNotFound(segs[1])
		case n == 2:
			return at("/directory/subscriptions")
		case n == 3:
			return at("/directory/subscriptions/{id}", segs[2])
		}
		return route{}, nil, segmentNotFound(segs[3])
	case "directoryroles":
		switch {
		case n == 1:
			return at("/directoryRoles")
		case n == 2:
			return at("/directoryRoles/{id}", segs[1])
		case n == 3 && low[2] == "members":
			return at("/directoryRoles/{id}/members", segs[1])
		case n == 3:
			return route{}, nil, segmentNotFound(segs[2])
		}
		return route{}, nil, segmentNotFound(segs[3])
	case "$batch":
		if n > 1 {
			return route{}, nil, segmentNotFound(segs[1])
		}
		return at("/$batch")
	}
	return route{}, nil, segmentNotFound(segs[0])
}

// Route names the operation a request is for, such as "GET /groups/{id}/members/$count", for
// statistics; requests that match no operation are "METHOD (unmatched)".
func Route(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, "/v1.0")
	if p == r.URL.Path {
		return r.Method + " (unmatched)"
	}
	rt, _, err := matchRoute(r.Method, p)
	if err != nil {
		return r.Method + " (unmatched)"
	}
	return rt.Key()
}
