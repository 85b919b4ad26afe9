package testkit

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"testing"
	"time"
)

// ReadCSV parses a downloaded CSV as a spreadsheet would: a leading UTF-8 byte order mark is
// skipped, the rest read by the standard RFC 4180 reader. A file that does not parse fails tb.
func ReadCSV(tb testing.TB, file []byte) [][]string {
	tb.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(file, []byte("\ufeff")))).ReadAll()
	if err != nil {
		tb.Fatalf("the CSV does not parse: %v", err)
	}
	if len(recs) == 0 {
		tb.Fatal("the CSV is empty, without even a header row")
	}
	return recs
}

// ZipFile is one file of a ZIP archive.
type ZipFile struct {
	Name     string
	Modified time.Time
	Data     []byte
}

// ZipFiles are the files of a ZIP archive, in the archive's order. An archive that does not
// read fails tb.
func ZipFiles(tb testing.TB, archive []byte) []ZipFile {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		tb.Fatalf("the ZIP does not open: %v", err)
	}
	var out []ZipFile
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatalf("%s in the ZIP: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatalf("%s in the ZIP: %v", f.Name, err)
		}
		out = append(out, ZipFile{Name: f.Name, Modified: f.Modified, Data: b})
	}
	return out
}

// SameElements reports whether a and b hold the same strings, in any order.
func SameElements(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
