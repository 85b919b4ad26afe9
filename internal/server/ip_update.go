package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/tenantdesk/tenantdesk/internal/auth"
	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/text"
	"github.com/tenantdesk/tenantdesk/web"
)

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
// which shows it running and, on reload, how it ended per source. The activity log records the
// download when it has ended, as ok or failed. With downloads off it is refused: the server
// has no way out to the internet, and the button is not offered.
func (s *Server) handleIPRefresh(w http.ResponseWriter, r *http.Request) error {
	if !s.ipOnline {
		s.logActivity(r, model.Activity{Action: model.ActionIPRefresh, Target: "ip ranges", Result: model.ActivityRefused,
			Detail: "downloads are off on this server (TENANTDESK_IP_RANGE_DOWNLOADS=off)"})
		return refusal(http.StatusConflict, "Downloads are off",
			"This server does not download Microsoft's IP range files (TENANTDESK_IP_RANGE_DOWNLOADS is off): import the files on the IP lookup page, or with tenantdesk ip import on the server.", "/ip#ip-update")
	}
	a := model.Activity{Action: model.ActionIPRefresh, Target: "ip ranges"}
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		a.ActorUPN, a.ActorName = p.UPN, p.Name
	}
	a.RemoteIP, a.CorrelationID = s.proxies.ClientIP(r), middleware.GetReqID(r.Context())
	s.ip.StartRefresh(s.bg, principalName(r), func(j iprange.Job) {
		a.At, a.Result, a.Detail = s.now(), model.ActivityOK, ipReportDetail(j.Report)
		if j.Err != nil {
			a.Result = model.ActivityFailed
			a.Detail += "; " + text.Clip(j.Err.Error(), 1000)
		}
		if err := s.activity.AddActivity(context.WithoutCancel(s.bg), a); err != nil {
			s.log.Error("activity log", "action", a.Action, "err", err)
		}
	}) // false when one is running: the page shows it
	http.Redirect(w, r, ipBack(r), http.StatusSeeOther)
	return nil
}

// ipReportDetail counts a download's or import's outcomes per source.
func ipReportDetail(rep iprange.Report) string {
	counts := map[iprange.Outcome]int{}
	for _, res := range rep.Results {
		counts[res.Outcome]++
	}
	return fmt.Sprintf("%d updated, %d unchanged, %d failed", counts[iprange.OutcomeUpdated],
		counts[iprange.OutcomeUnchanged], counts[iprange.OutcomeFailed])
}

// handleIPImport imports uploaded endpoint set and service tags files (air-gapped sites). Each
// file is validated completely before it replaces anything; the outcome per file shows on the
// page after the redirect.
func (s *Server) handleIPImport(w http.ResponseWriter, r *http.Request) error {
	files, err := readIPUpload(w, r)
	if err != nil {
		return onForm(err, func(p *web.FormProblem) templ.Component {
			v := s.ipView(r)
			v.ImportProblem = p
			return web.IPPage(s.layout(r.Context(), "IP lookup", "ip"), v)
		})
	}
	rep, err := s.ip.ImportAs(r.Context(), principalName(r), files...)

	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	result := model.ActivityOK
	if err != nil {
		result = model.ActivityFailed
	}
	s.logActivity(r, model.Activity{Action: model.ActionIPImport, Target: strings.Join(names, ", "), Result: result,
		Detail: ipReportDetail(rep)})
	http.Redirect(w, r, ipBack(r), http.StatusSeeOther)
	return nil
}

// readIPUpload reads the "files" parts of a multipart upload into memory, within ipUploadMax in
// all. A problem is bad input with a message for the person, or a 413 for an upload too large.
func readIPUpload(w http.ResponseWriter, r *http.Request) ([]iprange.ImportFile, error) {
	tooBig := refusal(http.StatusRequestEntityTooLarge, "Import not possible", fmt.Sprintf("The upload is larger than %d MiB. Import fewer files at a time (the largest, the public service tags file, is about 4 MiB), or use 'tenantdesk ip import DIR' on the server.", ipUploadMax>>20), "/ip")
	// Headers and boundaries take a little room beyond the files themselves.
	r.Body = http.MaxBytesReader(w, r.Body, ipUploadMax+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, &model.InputError{Message: "Send the files as a multipart form upload (the Import files form on the IP lookup page)."}
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
				return nil, tooBig
			}
			return nil, &model.InputError{Message: "The upload could not be read: " + err.Error()}
		}
		if part.FormName() != "files" || part.FileName() == "" {
			part.Close()
			continue
		}
		if len(files) == ipUploadMaxFiles {
			return nil, model.Invalid("At most %d files can be imported at once.", ipUploadMaxFiles)
		}
		data, err := io.ReadAll(io.LimitReader(part, left+1))
		part.Close()
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return nil, tooBig
			}
			return nil, &model.InputError{Message: "The upload could not be read: " + err.Error()}
		}
		if int64(len(data)) > left {
			return nil, tooBig
		}
		left -= int64(len(data))
		// Browsers send the bare name; other clients may send a path, which is only shown.
		files = append(files, iprange.ImportFile{Name: path.Base(strings.ReplaceAll(part.FileName(), `\`, "/")), Data: data})
	}
	if len(files) == 0 {
		return nil, &model.InputError{Message: "Choose one or more files to import: endpoint set lists from endpoints.office.com or ServiceTags_*.json files from the Microsoft Download Center."}
	}
	return files, nil
}
