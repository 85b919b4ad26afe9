package server

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/sspr"
	"github.com/tenantdesk/tenantdesk/web"
)

// SSPRVerifier checks password-reset request mails. *sspr.Verifier implements it.
type SSPRVerifier interface {
	Verify(ctx context.Context, data []byte, name string) (sspr.Report, error)
	Options() sspr.Options
}

// SSPRSamples offers sample notification mails of a simulated tenant: the demo's, nil
// elsewhere.
type SSPRSamples interface {
	SSPRSamples() []sspr.Sample
	SSPRSample(id, variant string) ([]byte, error)
}

// ssprUploadSlack is what a form upload may carry beyond the message itself (field names,
// part headers, boundaries).
const ssprUploadSlack = 64 << 10

// handleSSPR is the verifier's page: the paste box, the file upload and, in the demo, its sample
// mails (?sample=ID&variant=V puts one into the paste box).
func (s *Server) handleSSPR(w http.ResponseWriter, r *http.Request) error {
	v := s.ssprView(r, "")
	if id, variant := r.URL.Query().Get("sample"), r.URL.Query().Get("variant"); id != "" && s.samples != nil {
		b, err := s.samples.SSPRSample(id, variant)
		if err != nil {
			return model.Invalid("No sample mail %q (%s): %v", id, variant, err)
		}
		v.Message = string(b)
	}
	s.render(w, r, http.StatusOK, web.SSPRPage(s.layout(r.Context(), "Password-reset request check", "sspr"), v))
	return nil
}

// handleSSPRVerify checks a pasted or uploaded message and shows the result on the same page.
// The message is never stored or logged; the activity log records who checked which user and
// the verdict.
func (s *Server) handleSSPRVerify(w http.ResponseWriter, r *http.Request) error {
	data, name, pasted, err := s.readSSPRInput(w, r)
	if err == nil {
		var rep sspr.Report
		if rep, err = s.sspr.Verify(r.Context(), data, name); err == nil {
			s.logActivity(r, sspr.Activity(rep))
			v := s.ssprView(r, keepPaste(pasted))
			v.Result = ssprResultView(rep)
			s.render(w, r, http.StatusOK, web.SSPRPage(s.layout(r.Context(), "Password-reset request check: "+rep.Headline, "sspr"), v))
			return nil
		}
	}
	return onForm(err, func(p *web.FormProblem) templ.Component {
		v := s.ssprView(r, keepPaste(pasted))
		v.Problem = p
		return web.SSPRPage(s.layout(r.Context(), "Password-reset request check", "sspr"), v)
	})
}

// handleSSPRAPI is POST /api/sspr/verify: the message as the request body (raw, or a form with
// a "message" or "file" field), the report as JSON. Bad input is a 400, too large a 413.
func (s *Server) handleSSPRAPI(w http.ResponseWriter, r *http.Request) error {
	data, name, _, err := s.readSSPRInput(w, r)
	if err != nil {
		return err
	}
	rep, err := s.sspr.Verify(r.Context(), data, name)
	if err != nil {
		return err
	}
	s.logActivity(r, sspr.Activity(rep))
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// handleSSPRSample downloads one of the demo's sample mails as an .eml file.
func (s *Server) handleSSPRSample(w http.ResponseWriter, r *http.Request) error {
	if s.samples == nil {
		return &model.NotFoundError{What: "sample mail", Detail: "Sample mails exist only in the demo."}
	}
	id, variant := chi.URLParam(r, "id"), strings.TrimSuffix(chi.URLParam(r, "variant"), ".eml")
	b, err := s.samples.SSPRSample(id, variant)
	if err != nil {
		return &model.NotFoundError{What: "sample mail", ID: id, Detail: "No sample mail " + id + " (" + variant + "): " + err.Error()}
	}
	h := w.Header()
	h.Set("Content-Type", "message/rfc822")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "sspr-" + variant + ".eml"}))
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
	return nil
}

// keepPaste is the pasted text to show in the paste box again, unless it is too large to send
// back comfortably.
func keepPaste(s string) string {
	if len(s) > 1<<20 {
		return ""
	}
	return s
}

// readSSPRInput reads the message from a form (a "message" text field or a "file" upload, one
// of them) or, for the API, from the raw body, within the verifier's size limit. pasted is the
// text of the paste box, to show again.
func (s *Server) readSSPRInput(w http.ResponseWriter, r *http.Request) (data []byte, name, pasted string, err error) {
	limit := s.sspr.Options().MaxBytes
	tooLarge := &model.TooLargeError{What: "the message", Limit: limit,
		Hint: "A password-reset notification is a few kilobytes: paste only that message, or upload its .eml or .msg file without attachments"}
	if r.ContentLength > limit+ssprUploadSlack {
		return nil, "", "", tooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+ssprUploadSlack)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	asBad := func(err error) error {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooLarge
		}
		return &model.InputError{Message: "The message could not be read: " + err.Error(), Field: "message"}
	}
	switch mt {
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, "", "", asBad(err)
		}
		var file []byte
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, "", "", asBad(err)
			}
			b, err := io.ReadAll(io.LimitReader(part, limit+1))
			part.Close()
			if err != nil {
				return nil, "", "", asBad(err)
			}
			if int64(len(b)) > limit {
				return nil, "", "", tooLarge
			}
			switch part.FormName() {
			case "message":
				pasted = string(b)
			case "file":
				if len(b) > 0 {
					file, name = b, path.Base(strings.ReplaceAll(part.FileName(), `\`, "/"))
				}
			}
		}
		switch {
		case len(file) > 0 && strings.TrimSpace(pasted) != "":
			return nil, "", pasted, &model.InputError{Message: "Paste the message or choose a file, not both: clear the paste box to check the file.", Field: "message"}
		case len(file) > 0:
			return file, name, "", nil
		}
		return []byte(pasted), "", pasted, nil
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, "", "", asBad(err)
		}
		pasted = r.PostForm.Get("message")
		return []byte(pasted), "", pasted, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, "", "", asBad(err)
	}
	if fn := r.URL.Query().Get("filename"); fn != "" {
		name = path.Base(fn)
	}
	return b, name, "", nil
}
