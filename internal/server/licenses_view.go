package server

import (
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// licenseViews are explained licenses with links to their groups.
func licenseViews(ls []licensing.ExplainedLicense) []web.LicenseView {
	out := make([]web.LicenseView, len(ls))
	for i, l := range ls {
		out[i] = web.LicenseView{ExplainedLicense: l}
		if !l.Direct {
			out[i].GroupHref = groupURL(l.GroupID)
			if l.InError() && strings.Contains(l.Fix, "template") { // the fix is a template change: the editor
				out[i].TemplateHref = templateURL(l.GroupID)
			}
		}
	}
	return out
}

// auditView lists events read live from Graph since since, explained, users linked; err is why
// they could not be read.
func auditView(ex *licensing.Explainer, events []model.AuditEvent, since time.Time, err error) web.AuditView {
	v := web.AuditView{Since: since}
	if err != nil {
		v.Error = "The audit log could not be read: " + model.DescribeGraphError(err)
		return v
	}
	entries, more := ex.AuditEntries(events, auditShown)
	v.More = more
	for _, e := range entries {
		row := web.AuditRow{AuditEntry: e}
		if e.TargetUser {
			row.TargetHref = userURL(e.TargetID)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}
