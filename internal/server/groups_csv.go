package server

import (
	"fmt"
	"net/http"

	"github.com/tenantdesk/tenantdesk/internal/export"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// csvHeader are the columns of the group report CSV.
var csvHeader = []string{"Object id", "Display name", "Members", "User members", "Members in error",
	"Licenses", "License SKU ids", "Processing state"}

// handleGroupReportCSV serves /groups.csv: every row of the report with the same search,
// filter and sort as the page (page and size are ignored).
func (s *Server) handleGroupReportCSV(w http.ResponseWriter, r *http.Request) error {
	q, err := parseReportQuery(r.URL.Query())
	if err != nil {
		return err
	}
	name := "tenantdesk-groups-" + s.now().Format(dateLayout) + ".csv"
	err = s.serveCSV(w, r, name, true, func(c *export.CSV) error {
		if err := c.Write(export.Texts(csvHeader...)...); err != nil {
			return err
		}
		return s.store.EachGroupReportRow(r.Context(), q, func(row model.GroupReportRow) error {
			names := make([]string, len(row.Licenses))
			ids := make([]string, len(row.Licenses))
			for i, l := range row.Licenses {
				names[i], ids[i] = l.Name, l.ID
			}
			return c.Write(export.Text(row.ID), export.Text(row.DisplayName), export.Number(row.MemberCount),
				export.Number(row.UserCount), export.Number(row.ErrorCount), export.List(names), export.List(ids),
				export.Text(row.ProcessingState))
		})
	})
	if isNotFound(err) {
		return errNoData // before the first sync
	}
	if err != nil {
		return fmt.Errorf("group report csv: %w", err)
	}
	return nil
}
