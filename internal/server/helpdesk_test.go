package server

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tenantdesk/tenantdesk/internal/live"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

var operator = http.Header{"X-Test-Role": {"operator"}}

// The group page leads with its causes, each once with its count, fix and members; an
// Operator's "reprocess these" sends exactly a cause's members.
func TestGroupPageLeadsWithCauses(t *testing.T) {
	e := newLicEnv(t, true)
	d := do(t, e.h, "GET", "/groups/"+groupLT, http.Header{"X-Test-Role": {"reader"}}).doc(t)
	causes := d.Find("#causes li.cause")
	var heads []string
	for i := range causes.Length() {
		heads = append(heads, strings.TrimSpace(causes.Eq(i).Find(".headline").First().Text()))
	}
	want := []string{
		"1 member cannot get Office 365 A1 for faculty: 0 of 500 available",
		"1 member holds Exchange Online (Plan 1) from Office 365 E3 (assigned directly), which conflicts with Exchange Online (Plan 2) in Microsoft 365 E5",
		"1 member has no usage location",
		"1 member has a proxy address another object already uses",
		"1 member is blocked by all-or-none, but the current data shows no failing license",
	}
	if !testkit.SameElements(heads, want) {
		t.Errorf("causes\n %q\nwant\n %q", heads, want)
	}
	if n := d.Find("#causes form").Length(); n != 0 {
		t.Errorf("a Reader sees %d reprocess forms in the causes", n)
	}
	// The causes come before the members one by one.
	if html, _ := d.Find("#errors").Html(); strings.Index(html, `id="causes"`) > strings.Index(html, `id="error-users"`) {
		t.Error("the members come before their causes")
	}

	d = do(t, e.h, "GET", "/groups/"+groupLT, operator).doc(t)
	count := d.Find(`#causes li.cause[data-code="CountViolation"]`)
	users := count.Find(`form input[name="user"]`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("value", "") })
	if !slices.Equal(users, []string{uCount}) || strings.TrimSpace(count.Find("form button").Text()) != "Reprocess these 1" {
		t.Fatalf("the count cause's form sends %v (%q)", users, count.Find("form button").Text())
	}
	res := postForm(t, e.h, "/groups/"+groupLT+"/reprocess", url.Values{"scope": {"selected"}, "user": users}, "operator")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reprocess these: %d %s", res.StatusCode, res.body)
	}
	waitJob(t, e.h, res.Header.Get("Location"), "operator")
	if len(e.dir.Reprocessed) != 1 || !slices.Equal(e.dir.Reprocessed[0], []string{uCount}) {
		t.Errorf("Graph reprocessed %v", e.dir.Reprocessed)
	}
}

// /errors: every user in error of the tenant, filtered, as CSV; bad filters are said on the form.
func TestLicenseErrorsPage(t *testing.T) {
	e := newLicEnv(t, false)
	d := do(t, e.h, "GET", "/errors", nil).doc(t)
	if got := strings.TrimSpace(d.Find("#errors-summary").Text()); !strings.HasPrefix(got, "6 users are in license error") {
		t.Errorf("summary %q", got)
	}
	if n := d.Find("#error-users tbody tr").Length(); n != 6 {
		t.Errorf("%d users listed, want 6", n)
	}
	if got := texts(d.Find("#error-sources tbody td:first-child")); !slices.Equal(got, []string{"Defender add-on", "LT Students and Faculty"}) {
		t.Errorf("groups %q", got)
	}
	d = do(t, e.h, "GET", "/errors?source="+groupDef, nil).doc(t)
	if got := texts(d.Find("#error-users tbody td.col-user a")); !slices.Equal(got, []string{"Dora Dependency"}) {
		t.Errorf("filtered to the Defender group: %q", got)
	}
	for _, bad := range []string{"/errors?code=Nonsense", "/errors?source=not%20an%20id", "/errors?q=" + strings.Repeat("x", 300)} {
		res := do(t, e.h, "GET", bad, nil)
		if res.StatusCode != http.StatusBadRequest || res.doc(t).Find("#errors-filter #form-problem").Length() != 1 {
			t.Errorf("%s: %d, want 400 on the filter form", bad, res.StatusCode)
		}
	}
	res := do(t, e.h, "GET", "/errors.csv?code=CountViolation", nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	recs := testkit.ReadCSV(t, []byte(res.body))
	// Carla's three licenses in error: faculty, and students and E5 blocked by it.
	if len(recs) != 4 || recs[1][0] != uCount {
		t.Errorf("csv rows %q", recs)
	}
	if res := do(t, e.h, "GET", "/errors.csv?code=Nonsense", nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad csv filter: %d", res.StatusCode)
	}
}

// Reprocess from the user page: Operators only, a job of that one user whose page shows the
// outcome, recorded; the user page lists every plan of each license.
func TestUserPageReprocess(t *testing.T) {
	e := newLicEnv(t, true)
	d := do(t, e.h, "GET", "/users/"+uConflict, http.Header{"X-Test-Role": {"reader"}}).doc(t)
	if d.Find("#user-reprocess").Length() != 0 {
		t.Error("a Reader is offered to reprocess")
	}
	if res := postForm(t, e.h, "/users/"+uConflict+"/reprocess", nil, "reader"); res.StatusCode != http.StatusForbidden {
		t.Errorf("Reader's POST: %d", res.StatusCode)
	}
	plans := texts(d.Find(`#license-table tr[data-sku="` + skuE5 + `"] ul.plan-states li`))
	if len(plans) != 2 || !strings.Contains(strings.Join(plans, " "), "(on)") {
		t.Errorf("E5's plans %q", plans)
	}

	e.dir.UserByID[uConflict] = fixedUser(uConflict, "Conny Conflict", model.LicenseState{SKUID: skuE5, AssignedByGroup: groupLT, State: model.StateActive})
	res := postForm(t, e.h, "/users/"+uConflict+"/reprocess", nil, "operator")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reprocess: %d %s", res.StatusCode, res.body)
	}
	loc := waitJob(t, e.h, res.Header.Get("Location"), "operator")
	if len(e.dir.Reprocessed) != 1 || !slices.Equal(e.dir.Reprocessed[0], []string{uConflict}) {
		t.Fatalf("Graph reprocessed %v", e.dir.Reprocessed)
	}
	d = do(t, e.h, "GET", loc, operator).doc(t)
	if got := strings.TrimSpace(d.Find("h1").First().Text()); !strings.Contains(got, "Reprocess Conny Conflict") {
		t.Errorf("job title %q", got)
	}
	rows := d.Find("#outcomes tbody tr")
	if rows.Length() != 1 || rows.AttrOr("data-id", "") != uConflict || rows.AttrOr("data-status", "") != "licensed" {
		t.Errorf("outcomes: %d rows, %q %q", rows.Length(), rows.AttrOr("data-id", ""), rows.AttrOr("data-status", ""))
	}
	if got := e.act.actions(); !slices.Contains(got, "reprocess:ok") {
		t.Errorf("activity %v", got)
	}
	if a := e.act.list(); a[len(a)-1].Target != uConflict || a[len(a)-1].TargetName != "Conny Conflict" {
		t.Errorf("activity target %+v", a[len(a)-1])
	}
}

// /users without a search lists everybody, or the licensed; the favicon is served.
func TestUserListAndFavicon(t *testing.T) {
	e := newLicEnv(t, false)
	if n := do(t, e.h, "GET", "/users", nil).doc(t).Find("#users tbody tr").Length(); n != 7 {
		t.Errorf("/users lists %d users, want all 7", n)
	}
	d := do(t, e.h, "GET", "/users?licensed=1", nil).doc(t)
	if got := texts(d.Find("#users tbody td:first-child")); !slices.Equal(got, []string{"Conny Conflict", "Fiona Fine"}) {
		t.Errorf("licensed users %q", got)
	}
	if res := do(t, e.h, "GET", "/users?licensed=maybe", nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("licensed=maybe: %d", res.StatusCode)
	}
	res := do(t, e.h, "GET", "/favicon.ico", nil)
	icon := res.Header.Get("Location")
	if res.StatusCode != http.StatusMovedPermanently || !strings.HasSuffix(icon, "/favicon.svg") {
		t.Fatalf("favicon: %d %q", res.StatusCode, icon)
	}
	if res := do(t, e.h, "GET", icon, nil); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("icon: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.Contains(do(t, e.h, "GET", "/", nil).body, `rel="icon" type="image/svg+xml" href="`+icon+`"`) {
		t.Error("pages do not link the icon")
	}
}

// The group page reads the tenant's licensing audit events once while the data stays the same,
// again when asked ("read again") and after the data changed (a reprocess patched a user).
func TestGroupPageKeepsAuditEventsPerDataVersion(t *testing.T) {
	e := newLicEnv(t, false)
	licensingReads := func() int {
		n := 0
		for _, q := range e.dir.AuditQueries {
			if q.Activity == live.LicenseActivity {
				n++
			}
		}
		return n
	}
	d := do(t, e.h, "GET", "/groups/"+groupLT, nil).doc(t)
	do(t, e.h, "GET", "/groups/"+groupLT+"?epage=1", nil)
	do(t, e.h, "GET", "/groups/"+groupDef, nil)
	if n := licensingReads(); n != 1 {
		t.Errorf("%d reads of the licensing events for three views of the same data, want 1", n)
	}
	again, ok := d.Find("#audit-read-again").Attr("href")
	if !ok {
		t.Fatal("no 'read again' link in the audit section")
	}
	again, _, _ = strings.Cut(again, "#") // a browser does not send the fragment
	do(t, e.h, "GET", again, nil)
	if n := licensingReads(); n != 2 {
		t.Errorf("after 'read again': %d reads, want 2", n)
	}
	u, err := e.st.User(context.Background(), uCount)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.UpdateUsers(context.Background(), []model.User{u}, nil); err != nil {
		t.Fatal(err)
	}
	do(t, e.h, "GET", "/groups/"+groupLT, nil)
	if n := licensingReads(); n != 3 {
		t.Errorf("after the data changed: %d reads, want 3", n)
	}
}
