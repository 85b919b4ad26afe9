package tenantsim

import (
	"net/http"
	"strings"
)

// Application permissions per kind of call; any one of the list suffices, as in Graph's
// permission tables (a ReadWrite permission includes the Read one).
var (
	rolesSKURead   = []string{"Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All", "Directory.ReadWrite.All"}
	rolesGroupRead = []string{"Group.Read.All", "Directory.Read.All", "GroupMember.Read.All", "Group.ReadWrite.All", "GroupMember.ReadWrite.All", "Directory.ReadWrite.All"}
	rolesUserRead  = []string{"User.Read.All", "Directory.Read.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
	rolesAudit     = []string{"AuditLog.Read.All"}
	rolesUserLic   = []string{"LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
	rolesGroupLic  = []string{"LicenseAssignment.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
	rolesGroupNew  = []string{"Group.ReadWrite.All", "Group.Create", "Directory.ReadWrite.All"}
	// "List directoryRoles" and "List members of a directory role" (Graph v1.0 docs, least
	// privileged first).
	rolesDirRoles = []string{"RoleManagement.Read.Directory", "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.ReadWrite.All"}
	// $batch itself needs only a valid token; each part is checked on its own.
	rolesAny = []string{"*"}
)

// route is one Graph operation the simulator serves.
type route struct {
	template string // "GET /groups/{id}/members/$count": the key of request statistics
	roles    []string
	handler  func(*API, *request) error
}

// memberCasts are the type-cast segments Graph accepts below /members.
var memberCasts = map[string]string{
	"microsoft.graph.user":       TypeUser,
	"microsoft.graph.group":      TypeGroup,
	"microsoft.graph.device":     TypeDevice,
	"microsoft.graph.orgcontact": TypeContact,
}

// matchRoute finds the operation for a method and a path below /v1.0. Path segments match case
// insensitively, as Graph's do; params are the {id} values in order.
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
	one := func(m string, rt route, params ...string) (route, []string, error) {
		if method != m {
			return route{}, nil, methodNotAllowed()
		}
		rt.template = m + " " + rt.template
		return rt, params, nil
	}
	n := len(segs)
	if tmpl, ok := roleTemplateKey(segs[0]); ok {
		// The alternate key: /directoryRoles(roleTemplateId='{id}')[/members].
		switch {
		case n == 1:
			return one("GET", route{"/directoryRoles(roleTemplateId={id})", rolesDirRoles, (*API).getDirectoryRole}, "roleTemplateId="+tmpl)
		case n == 2 && low[1] == "members":
			return one("GET", route{"/directoryRoles(roleTemplateId={id})/members", rolesDirRoles, (*API).listDirectoryRoleMembers}, "roleTemplateId="+tmpl)
		}
		return route{}, nil, segmentNotFound(segs[n-1])
	}
	switch low[0] {
	case "subscribedskus":
		switch n {
		case 1:
			return one("GET", route{"/subscribedSkus", rolesSKURead, (*API).listSKUs})
		case 2:
			return one("GET", route{"/subscribedSkus/{id}", rolesSKURead, (*API).getSKU}, segs[1])
		}
		return route{}, nil, segmentNotFound(segs[2])
	case "users":
		switch {
		case n == 1:
			return one("GET", route{"/users", rolesUserRead, (*API).listUsers})
		case n == 2 && low[1] == "$count":
			return one("GET", route{"/users/$count", rolesUserRead, (*API).countUsers})
		case n == 2 && (low[1] == "delta" || low[1] == "delta()"):
			return one("GET", route{"/users/delta", rolesUserRead, (*API).deltaUsers})
		case n == 2:
			return one("GET", route{"/users/{id}", rolesUserRead, (*API).getUser}, segs[1])
		case n == 3 && low[2] == "assignlicense":
			return one("POST", route{"/users/{id}/assignLicense", rolesUserLic, (*API).assignUserLicense}, segs[1])
		case n == 3 && low[2] == "reprocesslicenseassignment":
			return one("POST", route{"/users/{id}/reprocessLicenseAssignment", rolesUserLic, (*API).reprocessUser}, segs[1])
		case n == 3 && low[2] == "memberof":
			return one("GET", route{"/users/{id}/memberOf", rolesUserRead, (*API).userMemberOf}, segs[1])
		case n == 3:
			return route{}, nil, segmentNotFound(segs[2])
		}
		return route{}, nil, segmentNotFound(segs[3])
	case "groups":
		switch {
		case n == 1 && method == "POST":
			return one("POST", route{"/groups", rolesGroupNew, (*API).createGroup})
		case n == 1:
			return one("GET", route{"/groups", rolesGroupRead, (*API).listGroups})
		case n == 2 && low[1] == "$count":
			return one("GET", route{"/groups/$count", rolesGroupRead, (*API).countGroups})
		case n == 2 && (low[1] == "delta" || low[1] == "delta()"):
			return one("GET", route{"/groups/delta", rolesGroupRead, (*API).deltaGroups})
		case n == 2:
			return one("GET", route{"/groups/{id}", rolesGroupRead, (*API).getGroup}, segs[1])
		case n == 3 && low[2] == "assignlicense":
			return one("POST", route{"/groups/{id}/assignLicense", rolesGroupLic, (*API).assignGroupLicense}, segs[1])
		case n == 3 && low[2] == "members":
			return one("GET", route{"/groups/{id}/members", rolesGroupRead, (*API).listMembers}, segs[1], "")
		case n == 3 && low[2] == "memberswithlicenseerrors":
			return one("GET", route{"/groups/{id}/membersWithLicenseErrors", rolesGroupRead, (*API).listMembersWithErrors}, segs[1])
		case n == 3:
			return route{}, nil, segmentNotFound(segs[2])
		case low[2] != "members":
			return route{}, nil, segmentNotFound(segs[3])
		case n == 4 && low[3] == "$count":
			return one("GET", route{"/groups/{id}/members/$count", rolesGroupRead, (*API).countMembers}, segs[1], "")
		}
		cast, ok := memberCasts[low[3]]
		switch {
		case !ok:
			return route{}, nil, segmentNotFound(segs[3])
		case n == 4:
			return one("GET", route{"/groups/{id}/members/" + segs[3], rolesGroupRead, (*API).listMembers}, segs[1], cast)
		case n == 5 && low[4] == "$count":
			return one("GET", route{"/groups/{id}/members/" + low[3] + "/$count", rolesGroupRead, (*API).countMembers}, segs[1], cast)
		}
		return route{}, nil, segmentNotFound(segs[4])
	case "auditlogs":
		switch {
		case n == 1:
			return route{}, nil, segmentNotFound(segs[0])
		case low[1] != "directoryaudits":
			return route{}, nil, segmentNotFound(segs[1])
		case n == 2:
			return one("GET", route{"/auditLogs/directoryAudits", rolesAudit, (*API).listAudits})
		case n == 3:
			return one("GET", route{"/auditLogs/directoryAudits/{id}", rolesAudit, (*API).getAudit}, segs[2])
		}
		return route{}, nil, segmentNotFound(segs[3])
	case "directoryroles":
		switch {
		case n == 1:
			return one("GET", route{"/directoryRoles", rolesDirRoles, (*API).listDirectoryRoles})
		case n == 2:
			return one("GET", route{"/directoryRoles/{id}", rolesDirRoles, (*API).getDirectoryRole}, segs[1])
		case n == 3 && low[2] == "members":
			return one("GET", route{"/directoryRoles/{id}/members", rolesDirRoles, (*API).listDirectoryRoleMembers}, segs[1])
		case n == 3:
			return route{}, nil, segmentNotFound(segs[2])
		}
		return route{}, nil, segmentNotFound(segs[3])
	case "$batch":
		if n > 1 {
			return route{}, nil, segmentNotFound(segs[1])
		}
		return one("POST", route{"/$batch", rolesAny, (*API).batch})
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
	return rt.template
}
