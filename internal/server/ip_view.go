package server

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/web"
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

// ipItemView turns one looked-up item into its view. Rows are built only for detailed items;
// the others need just the service names of the summary table.
func ipItemView(i int, f iprange.LookupItem, detailed bool) web.IPItemView {
	it := web.IPItemView{Anchor: "ip-" + strconv.Itoa(i+1), Input: f.Input, Note: f.Note,
		Subject: f.Subject(), IsHost: f.Address == ""}
	for _, m := range f.Matches {
		matched := m.Matched()
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

// ipSourceViews are the sources as the page lists them: everyone reads when a download failed
// and which data is in use; an Operator also reads why (a resolver's message names internal
// addresses, so nobody else does).
func ipSourceViews(sources []iprange.SourceStatus, detail bool) []web.IPSourceView {
	out := make([]web.IPSourceView, len(sources))
	for i, st := range sources {
		out[i] = web.IPSourceView{
			Kind: ipKindLabel(st.Kind), Instance: st.Instance, Version: st.Version,
			FetchedAt: st.FetchedAt, CheckedAt: st.CheckedAt, From: st.URL,
			Entries: st.Entries, Prefixes: st.Prefixes, Error: ipFailureText(st),
		}
		if detail {
			out[i].Reason = st.Err
		}
	}
	return out
}

// ipFailureText says that a source's last download failed, without why: "The last download
// failed at 2 May 2026 10:04 UTC; data from 1 May 2026 06:00 UTC is in use."
func ipFailureText(st iprange.SourceStatus) string {
	if st.Err == "" {
		return ""
	}
	msg := "The last download failed"
	if !st.ErrAt.IsZero() {
		msg += " at " + web.DateTime(st.ErrAt.UTC())
	}
	if st.FetchedAt.IsZero() {
		return msg + "; there is no data from it yet."
	}
	return msg + "; data from " + web.DateTime(st.FetchedAt.UTC()) + " is in use."
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

// ipJobView turns a job into its rows; an error not tied to one result is shown on its own.
func ipJobView(j *iprange.Job) *web.IPJobView {
	if j == nil {
		return nil
	}
	v := &web.IPJobView{By: j.By, Running: j.Running, Started: j.Started, Finished: j.Finished}
	covered := false
	for _, r := range j.Report.Results {
		rv := web.IPResultView{Source: ipSourceLabel(r), Outcome: string(r.Outcome), Version: r.Version, Previous: r.PreviousVersion}
		if r.Err != nil {
			rv.Error = r.Err.Error()
			covered = true
		}
		v.Results = append(v.Results, rv)
	}
	if j.Err != nil && !covered {
		v.Error = j.Err.Error()
	}
	return v
}
