package server

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
)

// serveCSV answers with a CSV download (UTF-8 with BOM, every cell through csvSafe). rows
// calls emit once per record; the file is built in memory first so a failure half-way is a
// clean error page instead of a silently truncated download.
func (s *Server) serveCSV(w http.ResponseWriter, r *http.Request, filename string, header []string, rows func(emit func([]string) error) error) error {
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // BOM: Excel reads the file as UTF-8 only with it
	cw := csv.NewWriter(&buf)
	safe := make([]string, 0, len(header))
	emit := func(rec []string) error {
		safe = safe[:0]
		for _, c := range rec {
			safe = append(safe, csvSafe(c))
		}
		return cw.Write(safe)
	}
	if err := emit(header); err != nil {
		return fmt.Errorf("csv %s: %w", filename, err)
	}
	if err := rows(emit); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("csv %s: %w", filename, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, filename))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
	return nil
}
