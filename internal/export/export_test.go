package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"\nx", "'\nx"},
		{"\x00x", "'\x00x"},
		{"＝1+1", "'＝1+1"},
		{"＋1", "'＋1"},
		{" =1", "' =1"},
		{"\u00a0\u3000=1", "'\u00a0\u3000=1"}, // no-break and ideographic spaces
		{"\u200b=1", "'\u200b=1"},             // zero-width space
		{"\ufeff@x", "'\ufeff@x"},
		{"   ", "   "},
		{"a=1", "a=1"},
		{"Müller, \"Hans\"", "Müller, \"Hans\""},
		{"שלום", "שלום"},
		{"山田 太郎", "山田 太郎"},
		{"🎉 team", "🎉 team"},
		{"\xff=", "\xff="},
	} {
		if got := Neutralise(tc.in); got != tc.want {
			t.Errorf("Neutralise(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzNeutralise(f *testing.F) {
	for _, s := range []string{"", "=1", " +x", "\u200b@", "＝", "ok", "\xff\xfe", "\t", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Neutralise(s)
		if got != s && got != "'"+s {
			t.Fatalf("Neutralise(%q) = %q: only a leading apostrophe may be added", s, got)
		}
		if got == s {
			for _, r := range s {
				if formulaStart(r) {
					t.Fatalf("%q left as it is, but a spreadsheet would read a formula", s)
				}
				if !invisible(r) {
					break
				}
			}
		}
	})
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
