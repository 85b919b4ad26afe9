package server

import (
	"bytes"
	"encoding/csv"
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
// filter and sort as the page (page and size are ignored). The file is built in memory first
// so a failure half-way is a clean error instead of a silently truncated download.
func (s *Server) handleGroupReportCSV(w http.ResponseWriter, r *http.Request) {
	q, err := parseReportQuery(r.URL.Query())
	if err != nil {
		s.badQuery(w, r, err)
		return
	}
	ctx := r.Context()
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // BOM: Excel reads the file as UTF-8 only with it
	cw := csv.NewWriter(&buf)
	if err := cw.Write(csvHeader); err != nil {
		s.serverError(w, r, fmt.Errorf("group report csv: %w", err))
		return
	}
	record := make([]string, len(csvHeader))
	err = s.store.EachGroupReportRow(ctx, q, func(row model.GroupReportRow) error {
		names := make([]string, len(row.Licenses))
		ids := make([]string, len(row.Licenses))
		for i, l := range row.Licenses {
			names[i], ids[i] = l.Name, l.ID
		}
		record[0] = row.ID
		record[1] = row.DisplayName
		record[2] = strconv.Itoa(row.MemberCount)
		record[3] = strconv.Itoa(row.UserCount)
		record[4] = strconv.Itoa(row.ErrorCount)
		record[5] = strings.Join(names, "; ")
		record[6] = strings.Join(ids, "; ")
		record[7] = row.ProcessingState
		for i := range record {
			record[i] = csvSafe(record[i])
		}
		return cw.Write(record)
	})
	if isNotFound(err) {
		s.errorPage(w, r, noDataView())
		return
	}
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err != nil {
		s.serverError(w, r, fmt.Errorf("group report csv: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="tenantdesk-groups-%s.csv"`, s.now().Format("2006-01-02")))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
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
