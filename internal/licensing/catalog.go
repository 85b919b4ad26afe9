// Package licensing is tenantdesk's licensing knowledge, free of I/O except the catalog
// download: Microsoft's product-name catalog (parse, download, refresh), friendly names for SKUs
// and service plans, THE explainer of license assignment errors in plain words (explain.go for
// one state, including the real cause behind an all-or-none "Other"; explainer.go for the names,
// audit messages and refused Graph calls around it), and the capacity rules of subscriptions.
package licensing

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Limits of ParseProductCSV. Microsoft's file is about 1 MiB and 5,500 rows; the limits leave
// room for decades of growth while keeping a hostile or wrong download from eating memory.
const (
	MaxCatalogBytes = 64 << 20 // whole input
	MaxCatalogRows  = 500_000  // data rows, good or bad
	maxFieldLen     = 4096     // longer cells are not names; the row is skipped
)

// Catalog parse errors, for errors.Is.
var (
	ErrCatalogTooLarge   = errors.New("licensing catalog too large")
	ErrCatalogColumns    = errors.New("licensing catalog lacks required columns")
	ErrCatalogNoProducts = errors.New("licensing catalog holds no product")
)

// Column names of the catalog CSV as Microsoft spells them; matched case-insensitively.
const (
	colProductName = "Product_Display_Name"
	colStringID    = "String_Id"
	colGUID        = "GUID"
	colPlanName    = "Service_Plan_Name"
	colPlanID      = "Service_Plan_Id"
	colPlanFriendy = "Service_Plans_Included_Friendly_Names"
)

// catalogStats is what a parse skipped, for tests and logs.
type catalogStats struct {
	Rows        int // data rows read
	SkippedRows int // rows without a usable SKU GUID, malformed or oversized
	BadPlans    int // rows whose service plan id was unusable (the SKU was still kept)
}

// ParseProductCSV parses Microsoft's "Product names and service plan identifiers for licensing"
// CSV into one Product per SKU GUID, in the file's order, with lower-case GUIDs and trimmed
// names. Columns are found by header name, so reordering or new columns do not matter. Rows
// with a bad SKU GUID are skipped; an unusable plan id drops only that plan. It fails when a
// required column is missing, when no product could be read, or when the input exceeds
// MaxCatalogBytes or MaxCatalogRows.
func ParseProductCSV(r io.Reader) ([]model.Product, error) {
	products, _, err := parseProductCSV(r)
	return products, err
}

func parseProductCSV(r io.Reader) ([]model.Product, catalogStats, error) {
	var st catalogStats
	br := bufio.NewReaderSize(&capReader{r: r, left: MaxCatalogBytes}, 64<<10)
	// The file starts with a UTF-8 byte order mark; csv would keep it in the first header.
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // short or long rows are judged by us, not rejected wholesale
	cr.LazyQuotes = true    // a stray quote costs one row at most, not the file
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, ErrCatalogTooLarge) {
			return nil, st, err
		}
		if errors.Is(err, io.EOF) {
			return nil, st, fmt.Errorf("%w: the input is empty", ErrCatalogNoProducts)
		}
		return nil, st, fmt.Errorf("read licensing catalog header: %w", err)
	}
	cols, err := findColumns(header)
	if err != nil {
		return nil, st, err
	}

	var (
		products []model.Product
		index    = make(map[string]int)         // SKU GUID -> products index
		seen     = make(map[[2]string]struct{}) // (SKU, plan) pairs already added
		intern   = make(map[string]string)      // plan names repeat across SKUs
	)
	in := func(s string) string {
		if v, ok := intern[s]; ok {
			return v
		}
		// Clone so that a kept name does not pin the whole record's backing string.
		v := strings.Clone(s)
		intern[v] = v
		return v
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && !errors.Is(err, ErrCatalogTooLarge) {
				st.Rows++
				st.SkippedRows++
				if st.Rows > MaxCatalogRows {
					return nil, st, fmt.Errorf("%w: more than %d rows", ErrCatalogTooLarge, MaxCatalogRows)
				}
				continue
			}
			return nil, st, fmt.Errorf("read licensing catalog: %w", err)
		}
		st.Rows++
		if st.Rows > MaxCatalogRows {
			return nil, st, fmt.Errorf("%w: more than %d rows", ErrCatalogTooLarge, MaxCatalogRows)
		}
		if oversized(rec) {
			st.SkippedRows++
			continue
		}
		skuID, ok := normalizeGUID(cols.field(rec, cols.guid))
		if !ok {
			st.SkippedRows++
			continue
		}
		i, ok := index[skuID]
		if !ok {
			i = len(products)
			index[skuID] = i
			products = append(products, model.Product{SKUID: skuID})
		}
		p := &products[i]
		// The first non-empty name wins: rows of one SKU repeat the same names.
		if p.DisplayName == "" {
			p.DisplayName = strings.Clone(cleanName(cols.field(rec, cols.productName)))
		}
		if p.PartNumber == "" {
			p.PartNumber = strings.Clone(cleanName(cols.field(rec, cols.stringID)))
		}
		raw := cols.field(rec, cols.planID)
		if strings.TrimSpace(raw) == "" {
			continue // a SKU listed without plans is still a name
		}
		planID, ok := normalizeGUID(raw)
		if !ok {
			st.BadPlans++
			continue
		}
		key := [2]string{skuID, planID}
		if _, dup := seen[key]; dup {
			continue // Microsoft's file lists a few plans twice under one SKU
		}
		seen[key] = struct{}{}
		p.Plans = append(p.Plans, model.PlanName{
			PlanID:       in(planID),
			Name:         in(cleanName(cols.field(rec, cols.planName))),
			FriendlyName: in(cleanName(cols.field(rec, cols.planFriendly))),
		})
	}
	if len(products) == 0 {
		return nil, st, fmt.Errorf("%w: %d rows read, none with a valid GUID", ErrCatalogNoProducts, st.Rows)
	}
	return products, st, nil
}

// columns holds the index of each known column; -1 when absent (optional columns only).
type columns struct {
	productName, stringID, guid, planName, planID, planFriendly int
}

func (c columns) field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return rec[i]
}

func findColumns(header []string) (columns, error) {
	c := columns{-1, -1, -1, -1, -1, -1}
	targets := []struct {
		name string
		dst  *int
	}{
		{colProductName, &c.productName},
		{colStringID, &c.stringID},
		{colGUID, &c.guid},
		{colPlanName, &c.planName},
		{colPlanID, &c.planID},
		{colPlanFriendy, &c.planFriendly},
	}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		for _, t := range targets {
			if !strings.EqualFold(h, t.name) {
				continue
			}
			if *t.dst >= 0 {
				return c, fmt.Errorf("%w: column %s appears twice (columns %d and %d)",
					ErrCatalogColumns, t.name, *t.dst+1, i+1)
			}
			*t.dst = i
		}
	}
	// The friendly plan names are nice to have; without the rest the file is not the catalog.
	var missing []string
	for _, t := range targets[:5] {
		if *t.dst < 0 {
			missing = append(missing, t.name)
		}
	}
	if len(missing) > 0 {
		first := firstLine(header, 80)
		return c, fmt.Errorf("%w: %s (is this Microsoft's licensing CSV? its first line reads %q)",
			ErrCatalogColumns, strings.Join(missing, ", "), first)
	}
	return c, nil
}

// firstLine rebuilds the start of a header line for an error message, at most max bytes.
func firstLine(rec []string, max int) string {
	var b strings.Builder
	for i, f := range rec {
		if i > 0 {
			b.WriteByte(',')
		}
		if b.Len()+len(f) > max {
			if room := max - b.Len(); room > 0 {
				b.WriteString(f[:room])
			}
			b.WriteString("...")
			break
		}
		b.WriteString(f)
	}
	return b.String()
}

func oversized(rec []string) bool {
	for _, f := range rec {
		if len(f) > maxFieldLen {
			return true
		}
	}
	return false
}

// cleanName trims the spaces and stray control characters some cells carry.
func cleanName(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' || r == '\uFEFF' || r == '\u00A0' })
}

// normalizeGUID is s in model.NormalizeID form if it is a GUID in the 8-4-4-4-12 form.
func normalizeGUID(s string) (string, bool) {
	s = model.NormalizeID(s)
	return s, isGUID(s)
}

// isGUID reports whether s is exactly a GUID: 36 characters, hex digits, dashes at 8, 13, 18, 23.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// capReader fails with ErrCatalogTooLarge once more than left bytes were asked of it, so that a
// huge input stops the parse instead of being silently cut (which could look like a catalog).
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, fmt.Errorf("%w: more than %d MiB", ErrCatalogTooLarge, MaxCatalogBytes>>20)
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, fmt.Errorf("%w: more than %d MiB", ErrCatalogTooLarge, MaxCatalogBytes>>20)
	}
	return n, err
}
