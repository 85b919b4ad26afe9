package export

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

func TestNeutralise(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Ada Lovelace", "Ada Lovelace"},
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"+1", "'+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(1)", "'@SUM(1)"},
		// The list: NUL, LF, CR, TAB, space, no-break space, zero-width space and the
		// full-width forms at the start, possibly after white space or zero-width characters.
		{"\x00x", "'\x00x"},
		{"\x00", "'\x00"},
		{"\nx", "'\nx"},
		{"\rx", "'\rx"},
		{"\tx", "'\tx"},
		{" =1", "' =1"},
		{"  \t @x", "'  \t @x"},
		{"\u00a0=1", "'\u00a0=1"},
		{"\u00a0\u3000=1", "'\u00a0\u3000=1"}, // no-break and ideographic spaces
		{"\u200b=1", "'\u200b=1"},             // zero-width space
		{"\u200b\u200c\u200d\u2060+1", "'\u200b\u200c\u200d\u2060+1"},
		{"\ufeff@x", "'\ufeff@x"},
		{"\u202e=1", "'\u202e=1"}, // right-to-left override (format character)
		{"\u00ad-1", "'\u00ad-1"}, // soft hyphen
		{"＝1+1", "'＝1+1"},
		{"＋1", "'＋1"},
		{"－1", "'－1"},
		{"＠SUM(A1)", "'＠SUM(A1)"},
		{"\u3000＝1", "'\u3000＝1"},
		{"\u200b＠x", "'\u200b＠x"},
		// Other compatibility forms of = + - @ (NFKC folds them).
		{"﹦1", "'﹦1"}, {"﹢1", "'﹢1"}, {"﹣1", "'﹣1"}, {"﹫x", "'﹫x"},
		{"⁺1", "'⁺1"}, {"₌1", "'₌1"},
		// Not formulas.
		{"   ", "   "},
		{"\u200b", "\u200b"},
		{"a=1", "a=1"},
		{"x\x00", "x\x00"},
		{"Müller, \"Hans\"", "Müller, \"Hans\""},
		{"שלום", "שלום"},
		{"山田 太郎", "山田 太郎"},
		{"🎉 team", "🎉 team"},
		{"\xff=", "\xff="},
		{"−5", "−5"}, // U+2212 MINUS SIGN has no compatibility form: text, as typed
		{"'=1", "'=1"},
	} {
		if got := Neutralise(tc.in); got != tc.want {
			t.Errorf("Neutralise(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// spreadsheetReadsFormula is an oracle written apart from Neutralise: what a cautious
// spreadsheet does with a cell's text. It skips leading white space and invisible characters
// (anything unicode calls space, a format character or default-ignorable), folds the first
// visible character to its compatibility form and starts a formula or command on = + - @, and
// on NUL, tab, CR and LF anywhere in that leading run.
func spreadsheetReadsFormula(s string) bool {
	for _, r := range s {
		switch r {
		case 0, '\t', '\r', '\n':
			return true
		}
		if unicode.IsSpace(r) || unicode.In(r, unicode.Cf, unicode.Zs) || r == '\u200b' || r == '\u034f' || r == '\u180e' {
			continue
		}
		f := norm.NFKC.String(string(r))
		return f != "" && strings.ContainsRune("=+-@", rune(f[0]))
	}
	return false
}

func FuzzNeutralise(f *testing.F) {
	for _, s := range []string{"", "=1", " +x", "\u200b@", "＝", "ok", "\xff\xfe", "\t", "a\nb", "\x00", "\u00a0-1",
		"﹢", "⁼", "\u3000\u200b＠"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Neutralise(s)
		if got != s && got != "'"+s {
			t.Fatalf("Neutralise(%q) = %q: only a leading apostrophe may be added", s, got)
		}
		if got == s && spreadsheetReadsFormula(s) {
			t.Fatalf("%q left as it is, but a spreadsheet would read a formula", s)
		}
		if got != s && !spreadsheetReadsFormula(s) {
			t.Fatalf("%q prefixed, but no spreadsheet reads a formula in it", s)
		}
		if spreadsheetReadsFormula(got) && !strings.HasPrefix(got, "'") {
			t.Fatalf("Neutralise(%q) = %q still reads as a formula", s, got)
		}
		// Written and read back, the cell is the neutralised text exactly.
		var buf bytes.Buffer
		c, err := NewCSV(&buf, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Write(Text(s), Number(-len(s))); err != nil {
			t.Fatal(err)
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsRune(s, '\r') || !utf8.ValidString(s) {
			return // a lone CR cannot survive CRLF files (documented); invalid UTF-8 reads back as is
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(recs) != 1 || len(recs[0]) != 2 {
			t.Fatalf("%q read back as %q (%v)", s, recs, err)
		}
		if recs[0][0] != got || recs[0][1] != strconv.Itoa(-len(s)) {
			t.Fatalf("%q read back as %q, want %q and %d", s, recs[0], got, -len(s))
		}
	})
}

// A number in a numeric column stays a number a spreadsheet sums, negative or not; the same
// text in a text column is neutralised.
func TestNumbersStayNumbers(t *testing.T) {
	var buf bytes.Buffer
	c, err := NewCSV(&buf, false)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(Number(-3), Number(0), Number(1234567), Text("-3"))
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "-3,0,1234567,'-3\r\n" {
		t.Errorf("row = %q", got)
	}
}

func TestCSVRoundTripsHostileValues(t *testing.T) {
	hostile := []string{"=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(1)", "\tlead", "＝full", "a,b", `say "hi"`,
		"two\nlines", "عربي", "עברית", "中文", "😀", ""}
	var buf bytes.Buffer
	c, err := NewCSV(&buf, true)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(Texts("name", "n", "on", "at", "list")...)
	for _, h := range hostile {
		c.Write(Text(h), Number(-2), Bool(true), Time(time.Date(2026, 3, 4, 5, 6, 7, 8, time.FixedZone("x", 3600))), List([]string{h, "b"}))
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, BOM) || !strings.Contains(out, "\r\n") || strings.Count(out, "\r\n") < len(hostile)+1 {
		t.Fatalf("not BOM + CRLF: %q", out[:40])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(hostile)+1 || c.Rows() != len(recs) {
		t.Fatalf("%d records", len(recs))
	}
	for i, h := range hostile {
		r := recs[i+1]
		if strings.TrimPrefix(r[0], "'") != h || (r[0] != h && Neutralise(h) == h) {
			t.Errorf("%q came back as %q", h, r[0])
		}
		if r[1] != "-2" || r[2] != "TRUE" || r[3] != "2026-03-04T04:06:07Z" || r[4] != Neutralise(h+"; b") {
			t.Errorf("row %d: %q", i, r)
		}
	}
}

func TestZipHasOneSafeCSVPerName(t *testing.T) {
	var buf bytes.Buffer
	z := NewZip(&buf, time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC))
	for _, name := range []string{"SPE_E5", "../../etc/passwd", "SPE_E5", "Ö365 A1 (students)", ".hidden", ""} {
		c, err := z.CSV(name, false)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(Texts("x")...)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range testkit.ZipFiles(t, buf.Bytes()) {
		names = append(names, f.Name)
		if string(f.Data) != "x\r\n" || !f.Modified.Equal(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: %q, dated %v", f.Name, f.Data, f.Modified)
		}
	}
	want := []string{"SPE_E5.csv", "_.._etc_passwd.csv", "SPE_E5-2.csv", "_365_A1__students_.csv", "hidden.csv", "export.csv"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("names %v, want %v", names, want)
	}
	for _, n := range names {
		if !utf8.ValidString(n) || strings.ContainsAny(n, `/\`) || strings.HasPrefix(n, ".") {
			t.Errorf("unsafe name %q", n)
		}
	}
}

func FuzzFileName(f *testing.F) {
	for _, s := range []string{"SPE_E5", "../x", "", "...", "a/b\\c", strings.Repeat("é", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := FileName(s)
		if n == "" || len(n) > 100 || strings.HasPrefix(n, ".") || strings.ContainsAny(n, "/\\:\x00") {
			t.Fatalf("FileName(%q) = %q", s, n)
		}
		for _, r := range n {
			if r >= utf8.RuneSelf {
				t.Fatalf("FileName(%q) = %q keeps %q", s, n, r)
			}
		}
	})
}
