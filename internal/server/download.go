package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/tenantdesk/tenantdesk/internal/export"
)

// heldBack is how much of a download is kept before the first byte goes out: a failure within
// it is still a clean error page.
const heldBack = 64 << 10

// download is the body of a download: held back until heldBack bytes, then streamed.
type download struct {
	w       http.ResponseWriter
	header  func()
	held    []byte
	started bool
}

func (d *download) Write(p []byte) (int, error) {
	if d.started {
		return d.w.Write(p)
	}
	d.held = append(d.held, p...)
	if len(d.held) < heldBack {
		return len(p), nil
	}
	d.started = true
	d.header()
	if _, err := d.w.Write(d.held); err != nil {
		return 0, err
	}
	d.held = nil
	return len(p), nil
}

// serveDownload answers with a file named filename of contentType that write produces, streamed
// so memory stays flat however large it is. A failure before heldBack bytes is returned (a clean
// error page); a failure after the file has started aborts the response, so the browser reports
// a failed download instead of keeping a file that silently misses rows.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request, filename, contentType string, write func(io.Writer) error) error {
	d := &download{w: w, header: func() {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, export.FileName(filename)))
		h.Set("Cache-Control", "no-store")
	}}
	if err := write(d); err != nil {
		if !d.started {
			return err
		}
		if errors.Is(err, context.Canceled) || r.Context().Err() != nil {
			s.log.DebugContext(r.Context(), "download stopped: the client went away", "file", filename)
		} else {
			s.log.ErrorContext(r.Context(), "download failed after it started; aborting it", "file", filename, "err", err)
		}
		panic(http.ErrAbortHandler) // net/http's way to end a response as failed
	}
	if !d.started {
		d.header()
		w.Header().Set("Content-Length", strconv.Itoa(len(d.held)))
		_, _ = w.Write(d.held)
	}
	return nil
}

// serveCSV is serveDownload of a CSV that rows writes (the header row first), with the byte
// order mark unless bom is false.
func (s *Server) serveCSV(w http.ResponseWriter, r *http.Request, filename string, bom bool, rows func(c *export.CSV) error) error {
	return s.serveDownload(w, r, filename, "text/csv; charset=utf-8", func(out io.Writer) error {
		c, err := export.NewCSV(out, bom)
		if err != nil {
			return err
		}
		if err := rows(c); err != nil {
			return err
		}
		return c.Flush()
	})
}
