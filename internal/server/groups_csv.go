package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

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
	err = s.serveCSV(w, r, name, csvHeader, func(emit func([]string) error) error {
		return s.store.EachGroupReportRow(r.Context(), q, func(row model.GroupReportRow) error {
			names := make([]string, len(row.Licenses))
			ids := make([]string, len(row.Licenses))
			for i, l := range row.Licenses {
				names[i], ids[i] = l.Name, l.ID
			}
			return emit([]string{row.ID, row.DisplayName, strconv.Itoa(row.MemberCount), strconv.Itoa(row.UserCount),
				strconv.Itoa(row.ErrorCount), strings.Join(names, "; "), strings.Join(ids, "; "), row.ProcessingState})
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

// csvSafe neutralises formula injection: a spreadsheet runs a cell starting with = + - @ tab
// or carriage return as a formula, so such cells get a leading apostrophe, which spreadsheets
// show as text. Group names come from the tenant, where anyone who can create a group
// chooses them.
func csvSafe(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}
