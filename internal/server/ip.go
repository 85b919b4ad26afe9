package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// IPLookup answers the IP lookup pages. *iprange.Service implements it.
type IPLookup interface {
	iprange.Looker
	StartRefresh(ctx context.Context, by string, done func(iprange.Job)) bool
	ImportAs(ctx context.Context, by string, files ...iprange.ImportFile) (iprange.Report, error)
	Jobs() (refresh, imp *iprange.Job)
	// ReloadIfChanged picks up sources another process stored (tenantdesk ip import).
	ReloadIfChanged(ctx context.Context) (bool, error)
}

// ipDetailed is how many addresses of one lookup get a section with full tables; the summary
// table lists them all. A pasted log of 1,000 addresses in one Microsoft range would otherwise
// be thousands of identical rows.
const ipDetailed = 100

// ipQueryText is the lookup text of a request: every q parameter, one per line.
func ipQueryText(r *http.Request) string {
	return strings.Join(r.URL.Query()["q"], "\n")
}

// handleIP is the IP lookup page. It is a GET form, so /ip?q=... is a permalink to a lookup.
func (s *Server) handleIP(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, web.IPPage(s.layout(r.Context(), "IP lookup", "ip"), s.ipView(r)))
	return nil
}

// ipView is the IP lookup page of r: its lookup, the sources and the last jobs.
func (s *Server) ipView(r *http.Request) web.IPView {
	if _, err := s.ip.ReloadIfChanged(r.Context()); err != nil {
		s.log.WarnContext(r.Context(), "ip lookup: cannot check the store for new sources", "err", err)
	}
	text := ipQueryText(r)
	searched := strings.TrimSpace(text) != ""
	var res iprange.LookupResult
	var sources []iprange.SourceStatus
	if searched {
		res = iprange.LookupText(s.ip, text)
		sources = res.Sources
	} else {
		sources = s.ip.Status()
	}
	v := web.IPView{
		Query:         text,
		FormAction:    "/ip",
		CanUpdate:     s.can(r, auth.RoleOperator),
		RefreshAction: "/ip/refresh",
		ImportAction:  "/ip/import",
		MaxUploadMiB:  ipUploadMax >> 20,
		Sources:       ipSourceViews(sources, s.can(r, auth.RoleOperator)),
		DownloadsOff:  !s.ipOnline,
	}
	v.HasData, v.Missing = ipHasData(sources)
	refresh, imp := s.ip.Jobs()
	v.Refresh, v.Import = ipJobView(refresh), ipJobView(imp)
	if !searched {
		return v
	}
	v.Searched = true
	v.APIURL = "/api/ip?q=" + url.QueryEscape(text)
	v.Truncated, v.Notes = res.Truncated, res.Notes
	for _, p := range res.Problems {
		v.Problems = append(v.Problems, web.IPProblemView{Input: p.Input, Message: p.Message})
	}
	v.Items = make([]web.IPItemView, len(res.Items))
	for i, f := range res.Items {
		v.Items[i] = ipItemView(i, f, i < ipDetailed)
		if v.Items[i].Matched() {
			v.Matched++
		}
	}
	v.Detailed = min(len(v.Items), ipDetailed)
	return v
}

// ipNotFound is the API's answer to text without an address or host name in it: a 400 that
// says what the parser saw, in the same shape as a result.
type ipNotFound struct {
	Error    string                 `json:"error"`
	Problems []iprange.QueryProblem `json:"problems,omitempty"`
	Notes    []string               `json:"notes,omitempty"`
}

// handleIPAPI is /api/ip?q=...: the lookup as JSON. Input it cannot use gets a 400 with a
// message; it never answers 500 for input.
func (s *Server) handleIPAPI(w http.ResponseWriter, r *http.Request) error {
	text := ipQueryText(r)
	if strings.TrimSpace(text) == "" {
		return model.Invalid("q is required: one or more IP addresses or host names, or any text with them in it, e.g. /api/ip?q=52.112.0.1")
	}
	res := iprange.LookupText(s.ip, text)
	if !s.can(r, auth.RoleOperator) {
		for i := range res.Sources {
			res.Sources[i].Err = ipFailureText(res.Sources[i])
		}
	}
	if len(res.Items) == 0 {
		writeJSON(w, http.StatusBadRequest, ipNotFound{Error: "no IP address or host name found in q",
			Problems: res.Problems, Notes: res.Notes})
		return nil
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
