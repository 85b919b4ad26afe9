package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/sspr"
	"github.com/tenantdesk/tenantdesk/web"
)

// ssprView is the verifier's page around message (the paste box's text) for r.
func (s *Server) ssprView(r *http.Request, message string) web.SSPRView {
	v := web.SSPRView{FormAction: "/sspr", APIPath: "/api/sspr/verify", Message: message,
		MaxSize: model.FormatBytes(s.sspr.Options().MaxBytes)}
	if s.samples == nil {
		return v
	}
	for _, smp := range s.samples.SSPRSamples() {
		sv := web.SSPRSampleView{User: smp.User, At: smp.At}
		for _, x := range smp.Variants {
			q := url.Values{"sample": {smp.ID}, "variant": {x.Key}}
			sv.Variants = append(sv.Variants, web.SSPRSampleLink{Key: x.Key, Label: x.Label, Description: x.Description,
				PasteHref: "/sspr?" + q.Encode() + "#sspr-form",
				EMLHref:   "/sspr/samples/" + url.PathEscape(smp.ID) + "/" + url.PathEscape(x.Key) + ".eml"})
		}
		v.Samples = append(v.Samples, sv)
	}
	return v
}

// ssprResultView is a report as the page shows it.
func ssprResultView(rep sspr.Report) *web.SSPRResultView {
	v := &web.SSPRResultView{Verdict: string(rep.Verdict), Headline: rep.Headline, Summary: rep.Summary,
		NextSteps: rep.NextSteps, Missing: rep.Missing, Warnings: rep.Warnings, Window: ssprWindow(rep.Window)}
	if u := rep.User; u != nil {
		v.User = &web.SSPRUserView{UPN: u.UPN, Name: u.DisplayName, Found: u.Found, Enabled: u.Enabled,
			NamedAs: u.NamedAs, NameMatches: u.NameMatches}
		if u.Found {
			v.User.Href = "/users/" + url.PathEscape(u.ID)
		}
	}
	for _, f := range rep.Flows {
		fv := web.SSPRFlowView{CorrelationID: f.CorrelationID, Started: f.Started, Ended: f.Ended, IPAddress: f.IPAddress,
			Where: f.Where, Microsoft: f.Microsoft, Outcome: string(f.Outcome), OutcomeText: f.OutcomeText, Matches: f.Matches}
		for _, st := range f.Steps {
			fv.Steps = append(fv.Steps, web.SSPRStepView{At: st.At, Activity: st.Activity, Result: st.Result, Reason: st.Reason, Words: st.Words})
		}
		v.Flows = append(v.Flows, fv)
	}
	for _, c := range rep.Checks {
		v.Checks = append(v.Checks, web.SSPRCheckView{ID: c.ID, Title: c.Title, Status: string(c.Status), Message: c.Message, Source: c.Source, Value: c.Value})
	}
	for _, i := range rep.Ignored {
		v.Ignored = append(v.Ignored, web.SSPRIgnoredView{Name: i.Name, Index: i.Index, Value: i.Value, Reason: i.Reason})
	}
	m := rep.Message
	v.Message = web.SSPRMessageView{Format: m.Format, From: m.From, Subject: m.Subject, To: m.To, Date: m.Date, ReceivedAt: m.ReceivedAt, Notes: m.Notes}
	return v
}

// ssprWindow says which time span the audit log was read for.
func ssprWindow(w sspr.Window) string {
	if w.From.IsZero() {
		return ""
	}
	const layout = "2 Jan 2006 15:04"
	to := w.To.UTC().Format(layout)
	if w.From.UTC().Format("2 Jan 2006") == w.To.UTC().Format("2 Jan 2006") {
		to = w.To.UTC().Format("15:04")
	}
	return "from " + w.From.UTC().Format(layout) + " to " + to + " UTC, around " + strings.TrimSpace(w.Basis)
}
