package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/export"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// A Reader opens the license report, goes to one SKU, sees its use chart, picks columns and
// filters, and finds them in the address and after a reload; the CSV the page offers has
// exactly the table's columns and every row of every page of it.
func TestLicenseReportInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	signIn(t, ctx, d, "reader")

	do(t, ctx, "open the license report", chromedp.Navigate(d.URL+"/licenses"))
	waitURL(t, ctx, "/licenses")
	if n := count(t, ctx, "#licenses tbody tr"); n < 5 {
		t.Fatalf("the report lists %d SKUs", n)
	}
	if n := count(t, ctx, "#licenses svg.spark"); n == 0 {
		t.Error("no sparkline of use on the report")
	}
	screenshot(t, ctx, "licenses")
	do(t, ctx, "open A1 for students", chromedp.Click(chromedp.CSS(`#licenses a[href="/licenses/STANDARDWOFFPACK_STUDENT"]`)))
	waitURL(t, ctx, "/licenses/STANDARDWOFFPACK_STUDENT")

	// The chart is there, and says what it shows to a screen reader.
	if count(t, ctx, `#use-chart svg[role="img"] polyline.consumed`) != 1 {
		t.Fatal("no use chart")
	}
	title := eval[string](t, ctx, `document.querySelector('#use-chart svg title').textContent`)
	desc := eval[string](t, ctx, `document.querySelector('#use-chart svg desc').textContent`)
	labelled := eval[string](t, ctx, `document.querySelector('#use-chart svg').getAttribute('aria-labelledby')`)
	if title == "" || !strings.Contains(desc, "consumed units") || labelled != "chart-title chart-desc" {
		t.Errorf("chart title %q, description %q, labelled by %q", title, desc, labelled)
	}

	// Pick columns (department and disabled plans in, account enabled and UPN out) and filters
	// (in error, 25 a page), then apply.
	do(t, ctx, "open the column picker", chromedp.Click(chromedp.CSS("#column-picker summary")))
	for _, name := range []string{"department", "disabledPlans", "accountEnabled", "userPrincipalName"} {
		do(t, ctx, "toggle column "+name, chromedp.Click(chromedp.CSS(`#column-picker input[value="`+name+`"]`)))
	}
	do(t, ctx, "only holders in error", chromedp.Click(chromedp.CSS(`#holder-filter input[name="errors"]`)))
	do(t, ctx, "25 a page", chromedp.SetValue(chromedp.CSS("#size"), "25"))
	do(t, ctx, "apply", chromedp.Click(chromedp.CSS(`#holder-filter button[type="submit"]`)))
	loc := waitURL(t, ctx, "errors=1")
	for _, want := range []string{"size=25", "department", "disabledPlans"} {
		if !strings.Contains(loc, want) {
			t.Errorf("the address %s lacks %s", loc, want)
		}
	}
	if strings.Contains(loc, "accountEnabled") || strings.Contains(loc, "userPrincipalName") {
		t.Errorf("the address %s keeps a column taken out", loc)
	}
	wantCols := []string{"displayName", "assignment", "licenseState", "department", "disabledPlans"}
	cols := headers(t, ctx)
	if !testkit.SameElements(cols, wantCols) {
		t.Fatalf("table columns %q, want %q", cols, wantCols)
	}
	first := tableRows(t, ctx)
	screenshot(t, ctx, "license-sku-filtered")

	// A reload keeps everything: address, columns, filters, rows.
	do(t, ctx, "reload", chromedp.Reload())
	waitURL(t, ctx, "errors=1")
	if again := headers(t, ctx); !slices.Equal(again, cols) {
		t.Errorf("after a reload the columns are %q, were %q", again, cols)
	}
	if !eval[bool](t, ctx, `document.querySelector('#holder-filter input[name="errors"]').checked`) ||
		eval[string](t, ctx, `document.querySelector('#size').value`) != "25" {
		t.Error("after a reload the filters are not as picked")
	}
	if again := tableRows(t, ctx); !slices.EqualFunc(again, first, slices.Equal[[]string]) {
		t.Errorf("after a reload %d rows, were %d", len(again), len(first))
	}

	// Every page of the view, through the pager.
	all := first
	for page := 2; count(t, ctx, `.pager a[rel="next"]`) > 0; page++ {
		do(t, ctx, "next page", chromedp.Click(chromedp.CSS(`.pager a[rel="next"]`)))
		waitURL(t, ctx, "page="+strconv.Itoa(page))
		all = append(all, tableRows(t, ctx)...)
	}
	summary := text(t, ctx, "#holder-summary")
	if len(all) < 26 || !strings.HasPrefix(summary, strconv.Itoa(len(all))+" ") {
		t.Fatalf("%d rows over the pages; the page says %q (want more than one page)", len(all), summary)
	}

	t.Logf("%d holders in error over the pages, columns %q", len(all), cols)

	// The CSV of this view, downloaded by the browser.
	dir := t.TempDir()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	do(t, ctx, "download the CSV", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptr(true)})
		return err
	}), chromedp.Click(chromedp.CSS("#holders-csv")))
	file := ""
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			break
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\ufeff")) || !bytes.Contains(b, []byte("\r\n")) {
		t.Error("the CSV lacks the BOM or CRLF line ends")
	}
	recs := testkit.ReadCSV(t, b)
	if !slices.Equal(recs[0], cols) {
		t.Errorf("CSV columns %q, the table's %q", recs[0], cols)
	}
	if len(recs)-1 != len(all) {
		t.Fatalf("the CSV has %d rows, the table %d", len(recs)-1, len(all))
	}
	for i, row := range all {
		for j, cell := range row {
			if got := recs[i+1][j]; got != export.Neutralise(cell) {
				t.Errorf("row %d, %s: CSV %q, table %q", i+1, cols[j], got, cell)
			}
		}
	}
}

// headers are the holder table's column names (data-col).
func headers(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return eval[[]string](t, ctx, `[...document.querySelectorAll('#holders thead th')].map(th => th.dataset.col)`)
}

// tableRows are the holder table's cells as text, exactly as in the document (white space and
// all), with the "; " between linked group names as the page writes it.
func tableRows(t *testing.T, ctx context.Context) [][]string {
	t.Helper()
	rows := eval[[][]string](t, ctx, `[...document.querySelectorAll('#holders tbody tr:not(.empty-row)')].map(tr =>
		[...tr.cells].map(td => td.querySelectorAll('a').length > 1
			? [...td.querySelectorAll('a')].map(a => a.textContent).join('; ')
			: (td.querySelector('a') || td).textContent))`)
	return rows
}

func ptr[T any](v T) *T { return &v }
