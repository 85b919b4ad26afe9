package licensing

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// sharedData finds shared/data by walking up from the package directory.
func sharedData(t testing.TB, rel string) string {
	t.Helper()
	return testkit.SharedData(t, rel)
}

func realCatalog(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(sharedData(t, "licensing/product-names-and-service-plan-identifiers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	facultySKU = "94763226-9b3c-4e75-a931-5c89701abe66"
	studentSKU = "314c4481-f395-4525-be8b-2ec4bb1e9d91"
)

func TestParseProductCSVRealFile(t *testing.T) {
	data := realCatalog(t)
	products, st, err := parseProductCSV(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 5457 || st.SkippedRows != 0 || st.BadPlans != 0 {
		t.Errorf("stats = %+v, want 5457 rows, none skipped", st)
	}
	if len(products) != 569 {
		t.Errorf("%d products, want 569", len(products))
	}
	plans := map[string]bool{}
	byID := map[string]int{}
	for i, p := range products {
		if p.SKUID != strings.ToLower(p.SKUID) || !isGUID(p.SKUID) {
			t.Errorf("SKU id %q not a lower-case GUID", p.SKUID)
		}
		if _, dup := byID[p.SKUID]; dup {
			t.Errorf("SKU %s listed twice", p.SKUID)
		}
		byID[p.SKUID] = i
		if p.DisplayName == "" || p.DisplayName != strings.TrimSpace(p.DisplayName) {
			t.Errorf("SKU %s display name %q", p.SKUID, p.DisplayName)
		}
		for _, pl := range p.Plans {
			plans[pl.PlanID] = true
			if pl.Name != strings.TrimSpace(pl.Name) || pl.FriendlyName != strings.TrimSpace(pl.FriendlyName) {
				t.Errorf("untrimmed plan names %q / %q", pl.Name, pl.FriendlyName)
			}
		}
	}
	if len(plans) != 723 {
		t.Errorf("%d distinct plans, want 723", len(plans))
	}
	fac := products[byID[facultySKU]]
	if fac.DisplayName != "Office 365 A1 for faculty" || fac.PartNumber != "STANDARDWOFFPACK_FACULTY" {
		t.Errorf("faculty = %q / %q", fac.DisplayName, fac.PartNumber)
	}
	stu := products[byID[studentSKU]]
	if stu.DisplayName != "Office 365 A1 for students" || stu.PartNumber != "STANDARDWOFFPACK_STUDENT" {
		t.Errorf("students = %q / %q", stu.DisplayName, stu.PartNumber)
	}
	var exch bool
	for _, pl := range fac.Plans {
		if pl.PlanID == "9aaf7827-d63c-4b61-89c3-182f06f82e5c" {
			exch = pl.Name == "EXCHANGE_S_STANDARD" && pl.FriendlyName == "Exchange Online (Plan 1)"
		}
	}
	if !exch {
		t.Errorf("faculty lacks Exchange Online (Plan 1): %+v", fac.Plans)
	}
}

func TestParseProductCSV(t *testing.T) {
	const hdr = "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names\r\n"
	const g1 = "94763226-9B3C-4E75-A931-5C89701ABE66"
	const p1 = "9aaf7827-d63c-4b61-89c3-182f06f82e5c"
	const p2 = "2078e8df-cff6-4290-98cb-5408261a760a"
	row := func(name, sid, guid, pn, pid, pf string) string {
		return name + "," + sid + "," + guid + "," + pn + "," + pid + "," + pf + "\r\n"
	}
	tests := []struct {
		name     string
		in       string
		wantErr  error  // errors.Is target; nil means success
		products int    // on success
		check    string // on success: "name|part|plans" of the first product
		skipped  int
	}{
		{name: "minimal", in: hdr + row("A1 faculty ", "STANDARDWOFFPACK_FACULTY", g1, "EXCHANGE_S_STANDARD", p1, "Exchange Online (Plan 1) "),
			products: 1, check: "A1 faculty|STANDARDWOFFPACK_FACULTY|1"},
		{name: "BOM and LF only", in: "\xEF\xBB\xBF" + strings.ReplaceAll(hdr+row("A", "B", g1, "P", p1, "F"), "\r\n", "\n"),
			products: 1, check: "A|B|1"},
		{name: "columns reordered, lower-case, extra column",
			in:       "guid,extra,service_plan_id,PRODUCT_DISPLAY_NAME,string_id,service_plan_name\n" + g1 + ",x," + p1 + ",Name,PN,PLAN\n",
			products: 1, check: "Name|PN|1"},
		{name: "quoted fields with commas and quotes",
			in:       hdr + `"Office 365 E3 (no Teams), ""special""",E3,` + g1 + `,P,` + p1 + `,"Plan, with comma"` + "\r\n",
			products: 1, check: `Office 365 E3 (no Teams), "special"|E3|1`},
		{name: "grouped rows and duplicate plan", in: hdr + row("A", "B", g1, "P", p1, "F") + row("A", "B", strings.ToLower(g1), "Q", p2, "G") + row("A", "B", g1, "P", p1, "F"),
			products: 1, check: "A|B|2"},
		{name: "bad SKU GUIDs skipped", in: hdr + row("X", "Y", "not-a-guid", "P", p1, "F") + row("X", "Y", g1+"0", "P", p1, "F") +
			row("X", "Y", "{"+g1+"}", "P", p1, "F") + row("A", "B", g1, "P", p1, "F"),
			products: 1, check: "A|B|1", skipped: 3},
		{name: "bad plan id keeps SKU", in: hdr + row("A", "B", g1, "P", "zz", "F"), products: 1, check: "A|B|0"},
		{name: "empty plan id keeps SKU", in: hdr + row("A", "B", g1, "", "", ""), products: 1, check: "A|B|0"},
		{name: "short row", in: hdr + "A,B," + g1 + "\r\n", products: 1, check: "A|B|0"},
		{name: "blank lines", in: hdr + "\r\n\r\n" + row("A", "B", g1, "P", p1, "F") + "\r\n", products: 1, check: "A|B|1"},
		{name: "stray quote in unquoted field", in: hdr + `A "quoted" name,B,` + g1 + ",P," + p1 + ",F\r\n",
			products: 1, check: `A "quoted" name|B|1`},
		{name: "unterminated quote eats the rest", in: hdr + row("A", "B", g1, "P", p1, "F") + `"never closed,B,` + g1 + "\r\nmore",
			products: 1, check: "A|B|1", skipped: 1},
		{name: "huge field skips the row", in: hdr + row(strings.Repeat("x", maxFieldLen+1), "B", g1, "P", p1, "F") + row("A", "B", g1, "P", p1, "F"),
			products: 1, check: "A|B|1", skipped: 1},
		{name: "friendly column optional", in: "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id\n" + "A,B," + g1 + ",P," + p1 + "\n",
			products: 1, check: "A|B|1"},
		{name: "empty input", in: "", wantErr: ErrCatalogNoProducts},
		{name: "only BOM", in: "\xEF\xBB\xBF", wantErr: ErrCatalogNoProducts},
		{name: "header only", in: hdr, wantErr: ErrCatalogNoProducts},
		{name: "all rows bad", in: hdr + row("A", "B", "nope", "P", p1, "F"), wantErr: ErrCatalogNoProducts},
		{name: "missing GUID column", in: "Product_Display_Name,String_Id,Service_Plan_Name,Service_Plan_Id\nA,B,P," + p1 + "\n", wantErr: ErrCatalogColumns},
		{name: "duplicate header", in: "Product_Display_Name,String_Id,GUID,guid,Service_Plan_Name,Service_Plan_Id\n", wantErr: ErrCatalogColumns},
		{name: "HTML page", in: "<!DOCTYPE html>\n<html><body>Moved</body></html>\n", wantErr: ErrCatalogColumns},
		{name: "JSON", in: `{"value":[]}`, wantErr: ErrCatalogColumns},
		{name: "binary", in: "\x00\x01\x02\xff\xfe,\x00", wantErr: ErrCatalogColumns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			products, st, err := parseProductCSV(strings.NewReader(tt.in))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(products) != tt.products {
				t.Fatalf("%d products, want %d: %+v", len(products), tt.products, products)
			}
			p := products[0]
			if p.SKUID != strings.ToLower(g1) {
				t.Errorf("SKU id %q", p.SKUID)
			}
			got := p.DisplayName + "|" + p.PartNumber + "|" + strconv.Itoa(len(p.Plans))
			if got != tt.check {
				t.Errorf("got %q, want %q", got, tt.check)
			}
			if st.SkippedRows != tt.skipped {
				t.Errorf("skipped %d rows, want %d", st.SkippedRows, tt.skipped)
			}
		})
	}
}

func TestParseProductCSVMissingColumnsMessage(t *testing.T) {
	_, err := ParseProductCSV(strings.NewReader("GUID,Name\n94763226-9b3c-4e75-a931-5c89701abe66,x\n"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"Product_Display_Name", "String_Id", "Service_Plan_Id", `"GUID,Name"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// endless yields a valid catalog header and then rows forever.
type endless struct{ sent bool }

func (e *endless) Read(p []byte) (int, error) {
	if !e.sent {
		e.sent = true
		return copy(p, "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id\n"), nil
	}
	const line = "Name,PN,94763226-9b3c-4e75-a931-5c89701abe66,P,9aaf7827-d63c-4b61-89c3-182f06f82e5c\n"
	n := 0
	for n+len(line) <= len(p) {
		n += copy(p[n:], line)
	}
	if n == 0 {
		n = copy(p, line)
	}
	return n, nil
}

func TestParseProductCSVLimits(t *testing.T) {
	t.Run("rows", func(t *testing.T) {
		// Rows are short, so the row cap trips long before the byte cap.
		_, err := ParseProductCSV(&endless{})
		if !errors.Is(err, ErrCatalogTooLarge) || !strings.Contains(err.Error(), "rows") {
			t.Fatalf("err = %v, want row limit", err)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		// One endless quoted field: no row ever ends, so only the byte cap can stop it.
		r := io.MultiReader(strings.NewReader("GUID,Product_Display_Name,String_Id,Service_Plan_Name,Service_Plan_Id\n\""), zeros{})
		_, err := ParseProductCSV(r)
		if !errors.Is(err, ErrCatalogTooLarge) || !strings.Contains(err.Error(), "MiB") {
			t.Fatalf("err = %v, want byte limit", err)
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func FuzzParseProductCSV(f *testing.F) {
	f.Add([]byte("Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names\r\nA,B,94763226-9b3c-4e75-a931-5c89701abe66,P,9aaf7827-d63c-4b61-89c3-182f06f82e5c,F\r\n"))
	f.Add([]byte("\xEF\xBB\xBFGUID,Product_Display_Name,String_Id,Service_Plan_Name,Service_Plan_Id\n\"a\"\"b,c\n"))
	f.Add([]byte("\xEF\xBB\xBF"))
	f.Add([]byte(""))
	f.Add([]byte("GUID,GUID\n"))
	real := realCatalog(f)
	f.Add(real[:4096])
	f.Fuzz(func(t *testing.T, data []byte) {
		products, err := ParseProductCSV(bytes.NewReader(data))
		if err != nil {
			if products != nil {
				t.Fatal("products returned with an error")
			}
			return
		}
		if len(products) == 0 {
			t.Fatal("no products and no error")
		}
		for _, p := range products {
			if !isGUID(p.SKUID) || p.SKUID != strings.ToLower(p.SKUID) {
				t.Fatalf("bad SKU id %q", p.SKUID)
			}
			for _, pl := range p.Plans {
				if !isGUID(pl.PlanID) || pl.PlanID != strings.ToLower(pl.PlanID) {
					t.Fatalf("bad plan id %q", pl.PlanID)
				}
			}
		}
	})
}

func BenchmarkParseProductCSV(b *testing.B) {
	data := realCatalog(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseProductCSV(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
