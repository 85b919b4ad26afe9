package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// IPLookup answers the IP lookup pages. *iprange.Service implements it.
type IPLookup interface {
	iprange.Looker
	Refresh(ctx context.Context) (iprange.Report, error)
	Import(ctx context.Context, files ...iprange.ImportFile) (iprange.Report, error)
}

const (
	// ipDetailed is how many addresses of one lookup get a section with full tables; the summary
	// table lists them all. A pasted log of 1,000 addresses in one Microsoft range would
	// otherwise be thousands of identical rows.
	ipDetailed = 100
	// ipUploadMax caps an import upload in all. The public service tags file, the largest,
	// is about 4 MiB.
	ipUploadMax = 32 << 20
	// ipUploadMaxFiles caps the files of one import (7 sources; some slack for retries).
	ipUploadMaxFiles = 20
)

// ipHasData reports whether any source is loaded, and how many known ones are not.
func ipHasData(sources []iprange.SourceStatus) (has bool, missing int) {
	for _, s := range sources {
		if s.FetchedAt.IsZero() {
			missing++
		} else {
			has = true
		}
	}
	return has, missing
}

// ipQueryText is the lookup text of a request: every q parameter, one per line.
func ipQueryText(r *http.Request) string {
	return strings.Join(r.URL.Query()["q"], "\n")
}

// handleIP is the IP lookup page. It is a GET form, so /ip?q=... is a permalink to a lookup.
func (s *Server) handleIP(w http.ResponseWriter, r *http.Request) {
	if s.ip == nil {
		s.ipUnavailable(w, r)
		return
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
		Sources:       ipSourceViews(sources),
	}
	v.HasData, v.Missing = ipHasData(sources)
	v.Refresh, v.Import = s.ipJobs.views()
	if searched {
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
	}
	s.render(w, r, http.StatusOK, web.IPPage(s.layout(r.Context(), "IP lookup", "ip"), v))
}

// ipItemView turns one looked-up item into its view. Rows are built only for detailed items;
// the others need just the service names of the summary table.
func ipItemView(i int, f iprange.LookupItem, detailed bool) web.IPItemView {
	it := web.IPItemView{Anchor: "ip-" + strconv.Itoa(i+1), Input: f.Input, Note: f.Note,
		Subject: f.Subject(), IsHost: f.Address == ""}
	for _, m := range f.Matches {
		matched := m.Pattern
		if m.Prefix.IsValid() {
			matched = m.Prefix.String()
		}
		switch {
		case m.M365 != nil:
			e := m.M365
			name := e.ServiceAreaDisplayName + " (" + e.Instance + " set " + strconv.Itoa(e.ID) + ")"
			it.Summary = appendUnique(it.Summary, name)
			if !detailed {
				it.M365 = append(it.M365, web.IPM365Row{}) // counted, not shown
				continue
			}
			it.M365 = append(it.M365, web.IPM365Row{
				Instance: e.Instance, ServiceArea: e.ServiceAreaDisplayName, SetID: e.ID, Category: e.Category,
				Required: e.Required, ExpressRoute: e.ExpressRoute, Ports: ipPorts(e.TCPPorts, e.UDPPorts),
				URLs: e.URLs, Notes: e.Notes, Matched: matched,
			})
		case m.Azure != nil:
			e := m.Azure
			it.Summary = appendUnique(it.Summary, e.Tag+" ("+e.Cloud+")")
			if !detailed {
				it.Azure = append(it.Azure, web.IPAzureRow{})
				continue
			}
			it.Azure = append(it.Azure, web.IPAzureRow{
				Cloud: e.Cloud, Tag: e.Tag, Region: e.Region, SystemService: e.SystemService,
				Platform: e.Platform, ChangeNumber: e.ChangeNumber, Matched: matched,
			})
		}
	}
	return it
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// ipPorts is "TCP 80, 443; UDP 3478-3481".
func ipPorts(tcp, udp string) string {
	var parts []string
	if tcp != "" {
		parts = append(parts, "TCP "+tcp)
	}
	if udp != "" {
		parts = append(parts, "UDP "+udp)
	}
	return strings.Join(parts, "; ")
}

func ipSourceViews(sources []iprange.SourceStatus) []web.IPSourceView {
	out := make([]web.IPSourceView, len(sources))
	for i, st := range sources {
		out[i] = web.IPSourceView{
			Kind: ipKindLabel(st.Kind), Instance: st.Instance, Version: st.Version,
			FetchedAt: st.FetchedAt, CheckedAt: st.CheckedAt, From: st.URL,
			Entries: st.Entries, Prefixes: st.Prefixes, Error: st.Err,
		}
	}
	return out
}

func ipKindLabel(k iprange.Kind) string {
	switch k {
	case iprange.KindM365:
		return "Microsoft 365"
	case iprange.KindServiceTags:
		return "Azure service tags"
	}
	return string(k)
}

// ipSourceLabel names the source of one refresh or import result.
func ipSourceLabel(r iprange.SourceResult) string {
	var name string
	if r.Instance != "" {
		name = ipKindLabel(r.Kind) + " " + r.Instance
	}
	switch {
	case r.File != "" && name != "":
		return r.File + " → " + name
	case r.File != "":
		return r.File
	case name != "":
		return name
	}
	return "unknown source"
}

func (s *Server) ipUnavailable(w http.ResponseWriter, r *http.Request) {
	const msg = "IP lookup is not available in this server: it was started without the IP range service."
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, http.StatusServiceUnavailable, ipAPIError{Error: msg})
		return
	}
	s.errorPage(w, r, web.ErrorView{Status: http.StatusServiceUnavailable, Heading: "IP lookup unavailable", Message: msg, BackURL: "/"})
}

type ipAPIError struct {
	Error    string                 `json:"error"`
	Problems []iprange.QueryProblem `json:"problems,omitempty"`
	Notes    []string               `json:"notes,omitempty"`
}

// handleIPAPI is /api/ip?q=...: the lookup as JSON. Input it cannot use gets a 400 with a
// message; it never answers 500 for input.
func (s *Server) handleIPAPI(w http.ResponseWriter, r *http.Request) {
	if s.ip == nil {
		s.ipUnavailable(w, r)
		return
	}
	text := ipQueryText(r)
	if strings.TrimSpace(text) == "" {
		writeJSON(w, http.StatusBadRequest, ipAPIError{Error: "q is required: one or more IP addresses or host names, or any text with them in it, e.g. /api/ip?q=52.112.0.1"})
		return
	}
	res := iprange.LookupText(s.ip, text)
	if len(res.Items) == 0 {
		writeJSON(w, http.StatusBadRequest, ipAPIError{
			Error:    "no IP address or host name found in q",
			Problems: res.Problems, Notes: res.Notes,
		})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// writeJSON writes v as indented JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil { // only our own types get here; they always marshal
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// ipJobs remembers the last download and the last import started from the web, so the page can
// show how they went after the redirect.
type ipJobs struct {
	mu      sync.Mutex
	refresh *web.IPJobView
	imp     *web.IPJobView
}

// startRefresh records a running download; it reports false when one is running already.
func (j *ipJobs) startRefresh(by string, at time.Time) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.refresh != nil && j.refresh.Running {
		return false
	}
	j.refresh = &web.IPJobView{By: by, Running: true, Started: at}
	return true
}

func (j *ipJobs) finishRefresh(rep iprange.Report, err error, at time.Time) {
	v := ipJobView(rep, err)
	j.mu.Lock()
	defer j.mu.Unlock()
	v.By, v.Started, v.Finished = j.refresh.By, j.refresh.Started, at
	j.refresh = &v
}

func (j *ipJobs) setImport(v web.IPJobView) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.imp = &v
}

// views returns copies, so rendering never races with a finishing job.
func (j *ipJobs) views() (refresh, imp *web.IPJobView) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.refresh != nil {
		c := *j.refresh
		refresh = &c
	}
	if j.imp != nil {
		c := *j.imp
		imp = &c
	}
	return refresh, imp
}

// ipJobView turns a report into rows; an error not tied to one result is shown on its own.
func ipJobView(rep iprange.Report, err error) web.IPJobView {
	var v web.IPJobView
	covered := false
	for _, r := range rep.Results {
		rv := web.IPResultView{Source: ipSourceLabel(r), Outcome: string(r.Outcome), Version: r.Version, Previous: r.PreviousVersion}
		if r.Err != nil {
			rv.Error = r.Err.Error()
			covered = true
		}
		v.Results = append(v.Results, rv)
	}
	if err != nil && !covered {
		v.Error = err.Error()
	}
	return v
}

// principalName is who is acting, for the job lines; "" without sign-in.
func principalName(r *http.Request) string {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		return ""
	}
	if p.Name != "" {
		return p.Name
	}
	return p.UPN
}

// ipBack is where a download or import sends the browser: the IP page it came from (keeping the
// lookup), at the update section.
func ipBack(r *http.Request) string {
	back := backTo(r)
	if back != "/ip" && !strings.HasPrefix(back, "/ip?") {
		back = "/ip"
	}
	return back + "#ip-update"
}

// handleIPRefresh starts a download of every source in the background, on the server's base
// context (the request's ends with the redirect), and sends the browser back to the page,
// which shows it running and, on reload, how it ended per source.
func (s *Server) handleIPRefresh(w http.ResponseWriter, r *http.Request) {
	if s.ip == nil {
		s.ipUnavailable(w, r)
		return
	}
	if !s.ipJobs.startRefresh(principalName(r), s.now()) {
		http.Redirect(w, r, ipBack(r), http.StatusSeeOther) // one is running; the page shows it
		return
	}
	s.logActivity(r, model.Activity{Action: ActionIPRefresh, Target: "ip ranges", Result: model.ActivityOK,
		Detail: "download of the Microsoft 365 endpoints and Azure service tags started"})
	go func() {
		rep, err := s.ip.Refresh(s.bg)
		if err != nil {
			s.log.Warn("ip range download from the web failed for some sources", "err", err)
		}
		s.ipJobs.finishRefresh(rep, err, s.now())
	}()
	http.Redirect(w, r, ipBack(r), http.StatusSeeOther)
}

// handleIPImport imports uploaded endpoint set and service tags files (air-gapped sites). Each
// file is validated completely before it replaces anything; the outcome per file shows on the
// page after the redirect.
func (s *Server) handleIPImport(w http.ResponseWriter, r *http.Request) {
	if s.ip == nil {
		s.ipUnavailable(w, r)
		return
	}
	files, status, msg := readIPUpload(w, r)
	if status != 0 {
		s.errorPage(w, r, web.ErrorView{Status: status, Heading: "Import not possible", Message: msg, BackURL: "/ip"})
		return
	}
	// The import is short and must not stop half-way because the browser left.
	rep, err := s.ip.Import(context.WithoutCancel(r.Context()), files...)
	v := ipJobView(rep, err)
	v.By, v.Started, v.Finished = principalName(r), s.now(), s.now()
	s.ipJobs.setImport(v)

	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	counts := map[iprange.Outcome]int{}
	for _, res := range rep.Results {
		counts[res.Outcome]++
	}
	result := model.ActivityOK
	if err != nil {
		result = model.ActivityFailed
	}
	s.logActivity(r, model.Activity{Action: ActionIPImport, Target: strings.Join(names, ", "), Result: result,
		Detail: fmt.Sprintf("%d updated, %d unchanged, %d failed", counts[iprange.OutcomeUpdated],
			counts[iprange.OutcomeUnchanged], counts[iprange.OutcomeFailed])})
	http.Redirect(w, r, ipBack(r), http.StatusSeeOther)
}

// readIPUpload reads the "files" parts of a multipart upload into memory, within ipUploadMax in
// all. On a problem it returns the status and a message for the person.
func readIPUpload(w http.ResponseWriter, r *http.Request) ([]iprange.ImportFile, int, string) {
	tooBig := fmt.Sprintf("The upload is larger than %d MiB. Import fewer files at a time (the largest, the public service tags file, is about 4 MiB), or use 'tenantdesk ip import DIR' on the server.", ipUploadMax>>20)
	// Headers and boundaries take a little room beyond the files themselves.
	r.Body = http.MaxBytesReader(w, r.Body, ipUploadMax+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, http.StatusBadRequest, "Send the files as a multipart form upload (the Import files form on the IP lookup page)."
	}
	var files []iprange.ImportFile
	left := int64(ipUploadMax)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return nil, http.StatusRequestEntityTooLarge, tooBig
			}
			return nil, http.StatusBadRequest, "The upload could not be read: " + err.Error()
		}
		if part.FormName() != "files" || part.FileName() == "" {
			part.Close()
			continue
		}
		if len(files) == ipUploadMaxFiles {
			return nil, http.StatusBadRequest, fmt.Sprintf("At most %d files can be imported at once.", ipUploadMaxFiles)
		}
		data, err := io.ReadAll(io.LimitReader(part, left+1))
		part.Close()
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return nil, http.StatusRequestEntityTooLarge, tooBig
			}
			return nil, http.StatusBadRequest, "The upload could not be read: " + err.Error()
		}
		if int64(len(data)) > left {
			return nil, http.StatusRequestEntityTooLarge, tooBig
		}
		left -= int64(len(data))
		// Browsers send the bare name; other clients may send a path, which is only shown.
		files = append(files, iprange.ImportFile{Name: path.Base(strings.ReplaceAll(part.FileName(), `\`, "/")), Data: data})
	}
	if len(files) == 0 {
		return nil, http.StatusBadRequest, "Choose one or more files to import: endpoint set lists from endpoints.office.com or ServiceTags_*.json files from the Microsoft Download Center."
	}
	return files, 0, ""
}
