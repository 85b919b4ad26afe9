package server

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/licensing"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

// attentionRows is how many groups each "needs attention" list shows before linking on.
const attentionRows = 10

// handleOverview serves /: the tenant's totals and what needs attention.
func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := s.layout(ctx, "Overview", "overview")
	ov, err := s.store.Overview(ctx)
	if isNotFound(err) {
		s.render(w, r, http.StatusOK, web.OverviewPage(l, web.OverviewView{}))
		return nil
	}
	if err != nil {
		return err
	}
	v := web.OverviewView{
		HasData:            true,
		Overview:           ov,
		ReportURL:          "/groups",
		ReportWithErrorURL: reportURL("/groups", model.GroupReportQuery{Sort: model.GroupSortErrors, Desc: true, OnlyErrors: true}),
		UsersURL:           "/users",
		LicensedUsersURL:   "/users?licensed=1",
		ErrorsURL:          "/errors",
		// Processing states sort Complete < InProgress < Queued: descending lists the
		// unfinished groups first.
		NotProcessedURL: reportURL("/groups", model.GroupReportQuery{Sort: model.GroupSortProcessing, Desc: true}),
		LicensesURL:     "/licenses",
	}
	if ov.GroupsWithErrors > 0 {
		page, err := s.store.GroupReport(ctx, model.GroupReportQuery{
			Sort: model.GroupSortErrors, Desc: true, OnlyErrors: true, Page: 1, PageSize: attentionRows})
		if err != nil {
			return err
		}
		for _, row := range page.Rows {
			v.ErrorGroups = append(v.ErrorGroups, groupLink(row))
		}
		if page.Total > len(page.Rows) {
			v.ErrorGroupsMore = v.ReportWithErrorURL
		}
	}
	if ov.GroupsNotProcessed > 0 {
		// Unfinished ones first (see NotProcessedURL); the filter below keeps only those.
		q := model.GroupReportQuery{Sort: model.GroupSortProcessing, Desc: true, Page: 1, PageSize: attentionRows}
		page, err := s.store.GroupReport(ctx, q)
		if err != nil {
			return err
		}
		for _, row := range page.Rows {
			if row.ProcessingState != model.ProcessingComplete {
				v.PendingGroups = append(v.PendingGroups, groupLink(row))
			}
		}
		if ov.GroupsNotProcessed > len(v.PendingGroups) {
			v.PendingGroupsMore = reportURL("/groups", q)
		}
	}
	v.SKUs, v.FullSKUs, v.NearlyFullSKUs, v.WarningSKUs = classifySKUs(ov.SKUs)
	s.render(w, r, http.StatusOK, web.OverviewPage(l, v))
	return nil
}

func groupLink(row model.GroupReportRow) web.GroupLink {
	return web.GroupLink{
		ID: row.ID, Name: displayName(row.DisplayName), Href: groupURL(row.ID),
		Errors: row.ErrorCount, Members: row.MemberCount, ProcessingState: row.ProcessingState,
	}
}

// classifySKUs sorts subscriptions by name and picks those that need attention by the capacity
// rules of internal/licensing: used up, nearly used up, and in warning.
func classifySKUs(in []model.SKUUsage) (all, full, nearly, warning []web.SKUView) {
	for _, u := range in {
		v := web.SKUView{
			ID: u.ID, Name: cmp.Or(u.Name, u.PartNumber, u.ID), PartNumber: u.PartNumber, Status: u.CapabilityStatus,
			Consumed: u.ConsumedUnits, Enabled: u.Prepaid.Enabled, Warning: u.Prepaid.Warning,
			Suspended: u.Prepaid.Suspended, Available: u.Available(), Purchased: licensing.Purchased(u.SKU),
			Href: skuPage(u.PartNumber, u.ID),
		}
		all = append(all, v)
		switch licensing.SKUCapacity(u.SKU) {
		case licensing.CapacityUsedUp:
			full = append(full, v)
		case licensing.CapacityNearlyFull:
			nearly = append(nearly, v)
		}
		if licensing.InWarning(u.SKU) {
			warning = append(warning, v)
		}
	}
	byName := func(a, b web.SKUView) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	}
	for _, l := range [][]web.SKUView{all, full, nearly, warning} {
		slices.SortFunc(l, byName)
	}
	return all, full, nearly, warning
}
