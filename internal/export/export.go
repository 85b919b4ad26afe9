// Package export writes the files people download and open in spreadsheets: CSV as RFC 4180 with
// CRLF line ends and a header row, UTF-8 with a byte order mark (so Excel reads accents right)
// unless asked without, every text cell safe against formula injection, booleans as TRUE/FALSE,
// times in ISO 8601 UTC, lists joined with "; ", and ZIP archives of several CSVs. The pages'
// downloads and the command line write through it, so a file looks the same from both.
//
// A line feed inside a value is kept (the value is quoted); a lone carriage return inside a value
// is not: with CRLF line ends it cannot be told from a line end, and CSV readers drop it.
package export

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// BOM is the UTF-8 byte order mark.
const BOM = "\ufeff"

// Cell is one value of a row: text (neutralised against formulas when written) or a number
// (written as it is, so a negative number stays a number).
type Cell struct {
	Text    string
	Numeric bool
}

// Text is a text cell.
func Text(s string) Cell { return Cell{Text: s} }

// Number is a numeric cell.
func Number(n int) Cell { return Cell{Text: strconv.Itoa(n), Numeric: true} }

// Bool is TRUE or FALSE, as spreadsheets write them.
func Bool(b bool) Cell {
	if b {
		return Cell{Text: "TRUE"}
	}
	return Cell{Text: "FALSE"}
}

// Time is t in ISO 8601 UTC to the second, "" for the zero time.
func Time(t time.Time) Cell {
	if t.IsZero() {
		return Cell{}
	}
	return Cell{Text: t.UTC().Format("2006-01-02T15:04:05Z")}
}

// List is a multi-valued property, its values joined with "; ".
func List(vs []string) Cell { return Cell{Text: strings.Join(vs, "; ")} }

// Texts are text cells.
func Texts(ss ...string) []Cell {
	out := make([]Cell, len(ss))
	for i, s := range ss {
		out[i] = Text(s)
	}
	return out
}

// CSV writes one CSV file.
type CSV struct {
	cw   *csv.Writer
	rec  []string
	rows int
}

// NewCSV starts a CSV on w, with the byte order mark when bom is set.
func NewCSV(w io.Writer, bom bool) (*CSV, error) {
	if bom {
		if _, err := io.WriteString(w, BOM); err != nil {
			return nil, err
		}
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &CSV{cw: cw}, nil
}

// Write writes one record (the header first). Text cells are neutralised.
func (c *CSV) Write(cells ...Cell) error {
	c.rec = c.rec[:0]
	for _, cell := range cells {
		if cell.Numeric {
			c.rec = append(c.rec, cell.Text)
		} else {
			c.rec = append(c.rec, Neutralise(cell.Text))
		}
	}
	c.rows++
	return c.cw.Write(c.rec)
}

// Rows is how many records were written, the header included.
func (c *CSV) Rows() int { return c.rows }

// Flush writes what is buffered and reports the first error of any write.
func (c *CSV) Flush() error {
	c.cw.Flush()
	return c.cw.Error()
}

// formulaStart reports whether a spreadsheet starts a formula (or a command) at r: = + - @, tab,
// carriage return, line feed and NUL (OWASP's list and ASVS 5.0's NUL), and every other form that
// compatibility normalisation (NFKC, as spreadsheets and their input methods apply it) turns into
// one of = + - @: full-width ＝ ＋ － ＠, small ﹦ ﹢ ﹣ ﹫, super- and subscript ⁺ ⁼ ₊ ₌ and so on.
func formulaStart(r rune) bool {
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\n', 0:
		return true
	}
	if r < utf8.RuneSelf {
		return false
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	folded := norm.NFKC.Bytes(buf[:n])
	if len(folded) == 0 || folded[0] >= utf8.RuneSelf {
		return false
	}
	switch folded[0] {
	case '=', '+', '-', '@':
		return true
	}
	return false
}

// invisible reports whether r is white space (no-break and ideographic spaces included) or a
// zero-width or other format character, which spreadsheets may skip before reading a formula.
func invisible(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u180e', '\u034f':
		return true
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zs, r)
}

// Neutralise makes text safe to open in a spreadsheet: text that starts with a formula
// character, possibly after white space or zero-width characters, gets a leading apostrophe,
// which spreadsheets show as text and do not evaluate. Anything else is unchanged, so parsed
// back a value equals the original apart from that documented prefix. Names come from the
// tenant, where anyone who can create a group or edit a profile chooses them. Numbers written
// with Number are cells of their own and never pass here: a count of -2 stays a number.
func Neutralise(s string) string {
	for _, r := range s {
		if formulaStart(r) {
			return "'" + s
		}
		if !invisible(r) {
			return s
		}
	}
	return s
}

// Zip writes CSV files into one ZIP archive.
type Zip struct {
	zw       *zip.Writer
	names    map[string]int
	open     *CSV
	modified time.Time
}

// NewZip starts a ZIP archive on w whose files are dated modified (what an archive tool shows;
// without a date it shows 1980).
func NewZip(w io.Writer, modified time.Time) *Zip {
	return &Zip{zw: zip.NewWriter(w), names: map[string]int{}, modified: modified}
}

// CSV starts the next file of the archive, named from name (made safe and unique, ".csv"
// added); the previous one ends.
func (z *Zip) CSV(name string, bom bool) (*CSV, error) {
	if err := z.endFile(); err != nil {
		return nil, err
	}
	base := FileName(name)
	z.names[base]++
	if n := z.names[base]; n > 1 {
		base = fmt.Sprintf("%s-%d", base, n)
	}
	f, err := z.zw.CreateHeader(&zip.FileHeader{Name: base + ".csv", Method: zip.Deflate, Modified: z.modified})
	if err != nil {
		return nil, err
	}
	c, err := NewCSV(f, bom)
	if err != nil {
		return nil, err
	}
	z.open = c
	return c, nil
}

func (z *Zip) endFile() error {
	if z.open == nil {
		return nil
	}
	err := z.open.Flush()
	z.open = nil
	return err
}

// Close ends the last file and the archive.
func (z *Zip) Close() error {
	if err := z.endFile(); err != nil {
		return err
	}
	return z.zw.Close()
}

// FileName is s as a safe file name: letters, digits, '.', '_' and '-' only (others become
// '_'), no leading dot, at most 100 bytes, "export" when nothing is left.
func FileName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-'):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 100 {
			break
		}
	}
	out := strings.TrimLeft(b.String(), ".")
	if strings.Trim(out, "_") == "" {
		return "export"
	}
	return out
}
