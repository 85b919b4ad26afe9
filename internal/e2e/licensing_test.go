package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// licSignIn signs the browser in as a demo account ("reader", "operator") with the auth
// helper's signIn, then opens path.
func licSignIn(t *testing.T, ctx context.Context, d *app.Demo, account, path string) {
	t.Helper()
	signIn(t, ctx, d, account)
	do(t, ctx, "open "+path, chromedp.Navigate(d.URL+path))
	waitURL(t, ctx, d.URL+path)
}

// A helpdesk Reader opens the A1 students/faculty group: every member in error shows
// CountViolation on faculty and "Other" on students explained as blocked by faculty, and no
// reprocess control; a crafted POST is refused. The conflict group names both plans and the
// licenses they come from. Then faculty licenses are bought, an Operator reprocesses all users
// in error, and the page shows each of them licensed and the error count at 0.
func TestLicenseErrorsAndReprocessInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	sc := d.Sim.Tenant.Scenarios
	a1 := "/groups/" + sc.A1Group

	licSignIn(t, ctx, d, "reader", a1)
	do(t, ctx, "open the A1 group", chromedp.WaitVisible(chromedp.CSS("#error-users")))
	screenshot(t, ctx, "a1-errors")
	users := eval[int](t, ctx, `document.querySelectorAll('#error-users tbody tr').length`)
	if users == 0 {
		t.Fatal("the A1 group lists nobody in error")
	}
	faculty := eval[[]string](t, ctx, `[...document.querySelectorAll('#error-users li[data-sku="`+sc.FacultySKU+`"]')].map(li => li.dataset.error + ' | ' + li.querySelector('.summary').textContent)`)
	students := eval[[]string](t, ctx, `[...document.querySelectorAll('#error-users li[data-sku="`+sc.StudentSKU+`"]')].map(li => li.dataset.error + ' | ' + li.querySelector('.summary').textContent)`)
	if len(faculty) != users || len(students) != users {
		t.Fatalf("%d users, %d faculty and %d students states shown", users, len(faculty), len(students))
	}
	for i := range faculty {
		if !strings.HasPrefix(faculty[i], "CountViolation | Not enough licenses: Office 365 A1 for faculty has 0 of ") {
			t.Errorf("faculty state %q", faculty[i])
		}
		if !strings.HasPrefix(students[i], "Other | Blocked by all-or-none: Office 365 A1 for faculty failed: not enough licenses, 0 of ") {
			t.Errorf("students state %q", students[i])
		}
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#reprocess-form, #refresh-errors-form, input[name=user]').length`); n != 0 {
		t.Errorf("a Reader sees %d reprocess controls", n)
	}
	// A crafted POST from the Reader's own page: refused with 403, nothing reprocessed.
	eval[any](t, ctx, `(() => {
		const f = document.createElement('form'); f.method = 'post'; f.action = '`+a1+`/reprocess';
		const i = document.createElement('input'); i.name = 'scope'; i.value = 'all'; f.appendChild(i);
		document.body.appendChild(f); f.submit(); return null })()`)
	waitURL(t, ctx, a1+"/reprocess")
	if got := text(t, ctx, ".error-page"); !strings.Contains(got, "Not allowed") || !strings.Contains(got, "HTTP 403") {
		t.Errorf("crafted POST page: %q", got)
	}

	// The conflict scenario names both plans and where the other one comes from.
	do(t, ctx, "open the conflict group", chromedp.Navigate(d.URL+"/groups/"+sc.ConflictGroup), chromedp.WaitVisible(chromedp.CSS("#error-users")))
	screenshot(t, ctx, "conflict")
	conflicts := eval[[]string](t, ctx, `[...document.querySelectorAll('#error-users li[data-error="MutuallyExclusiveViolation"] .summary')].map(p => p.textContent)`)
	if len(conflicts) == 0 {
		t.Fatal("the conflict group shows no MutuallyExclusiveViolation")
	}
	for _, c := range conflicts {
		if !strings.Contains(c, "Conflicting service plans: ") || !strings.Contains(c, " conflicts with ") ||
			!strings.Contains(c, "Office 365 A1 for students") || !strings.Contains(c, "assigned directly") {
			t.Errorf("conflict explanation %q lacks both plans and their licenses", c)
		}
	}

	// Buy faculty licenses through the simulator's control API, then reprocess as an Operator.
	// Graph is slowed so the job is seen running: its page follows it and shows every outcome
	// when it ends, without a reload by hand.
	buyLicenses(t, d, sc.FacultySKU, 100_000)
	licSignIn(t, ctx, d, "operator", a1)
	d.Sim.SetKnobs(tenantsim.Knobs{Latency: 700 * time.Millisecond})
	do(t, ctx, "reprocess all in error", chromedp.WaitVisible(chromedp.CSS("#reprocess-all")), chromedp.Click(chromedp.CSS("#reprocess-all")))
	waitURL(t, ctx, "/jobs/")
	if state := eval[string](t, ctx, `document.getElementById('job').dataset.state`); state == "running" || state == "queued" {
		screenshotWidths(t, ctx, "job-running")
		if got := text(t, ctx, "#job-progress-text"); !strings.Contains(got, "done") {
			t.Errorf("a running job's page says %q", got)
		}
	}
	d.Sim.SetKnobs(tenantsim.Knobs{})
	do(t, ctx, "wait for the job to end", chromedp.WaitVisible(chromedp.CSS(`#job[data-state="done"]`)))
	screenshotWidths(t, ctx, "job-done")
	if got := text(t, ctx, "#job-progress-text"); !strings.Contains(got, "now licensed, 0 still in error, 0 refused by Graph") {
		t.Errorf("the finished job says %q", got)
	}
	statuses := eval[[]string](t, ctx, `[...document.querySelectorAll('#outcomes tbody tr')].map(tr => tr.dataset.status)`)
	if len(statuses) != users {
		t.Errorf("%d outcomes for %d users in error", len(statuses), users)
	}
	for i, s := range statuses {
		if s != "licensed" {
			t.Errorf("outcome %d: %q, want licensed", i, s)
		}
	}
	user := eval[string](t, ctx, `document.querySelector('#outcomes tbody tr a').getAttribute('href')`)
	do(t, ctx, "back to the group", chromedp.Click(chromedp.CSS("#job-back")))
	waitURL(t, ctx, a1)
	if got := text(t, ctx, "#error-count"); got != "0" {
		t.Errorf("error count after reprocess %q, want 0", got)
	}
	if got := text(t, ctx, "#errors p"); got != "No member of this group is in license error." {
		t.Errorf("errors section %q", got)
	}
	if n := count(t, ctx, "#group-jobs-table tbody tr"); n != 1 {
		t.Errorf("the group page lists %d jobs, want its reprocess", n)
	}
	screenshotWidths(t, ctx, "a1-reprocessed")
	do(t, ctx, "open the jobs list", chromedp.Navigate(d.URL+"/jobs"), chromedp.WaitVisible(chromedp.CSS("#jobs")))
	if n := count(t, ctx, `#jobs tbody tr[data-state="done"]`); n != 1 {
		t.Errorf("the jobs list shows %d finished jobs, want 1", n)
	}
	screenshotWidths(t, ctx, "jobs")

	// The user page of a reprocessed user shows faculty assigned, with the group named.
	do(t, ctx, "open a reprocessed user", chromedp.Navigate(d.URL+user), chromedp.WaitVisible(chromedp.CSS("#license-table")))
	if n := eval[int](t, ctx, `document.querySelectorAll('#license-table tr[data-error]:not([data-error=""])').length`); n != 0 {
		t.Errorf("reprocessed user still shows %d licenses in error", n)
	}
	if got := text(t, ctx, "#group-list"); got == "" {
		t.Error("the user page names no license-assigning group")
	}
}

// A Reader sees every license state in words on the group pages of the seeded scenarios: the
// architects' Office 365 E3 "Active with error", blocked by Visio Plan 2's "Error", and the
// pilot's Power Automate "Disabled" in its own section, explained.
func TestLicenseStatesInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	sc := d.Sim.Tenant.Scenarios

	licSignIn(t, ctx, d, "reader", "/groups/"+sc.ActiveWithErrorGroup)
	do(t, ctx, "open the architects' group", chromedp.WaitVisible(chromedp.CSS("#error-users")))
	screenshotWidths(t, ctx, "state-active-with-error")
	labels := eval[[]string](t, ctx, `[...document.querySelectorAll('#error-users .badge[data-state]')].map(b => b.dataset.state + ' | ' + b.textContent.trim())`)
	if !slices.Contains(labels, "ActiveWithError | Active with error") || !slices.Contains(labels, "Error | Error") {
		t.Errorf("architects' states %v", labels)
	}
	if got := text(t, ctx, "#error-users .license-state[data-error=Other] .summary"); !strings.HasPrefix(got, "Still active, but blocked by all-or-none: Visio Plan 2 failed") {
		t.Errorf("active with error explained as %q", got)
	}

	do(t, ctx, "open the pilot group", chromedp.Navigate(d.URL+"/groups/"+sc.DisabledGroup), chromedp.WaitVisible(chromedp.CSS("#disabled-users")))
	screenshotWidths(t, ctx, "state-disabled")
	if got := text(t, ctx, "#disabled-h"); got != "Disabled licenses" {
		t.Errorf("disabled section heading %q", got)
	}
	disabled := eval[[]string](t, ctx, `[...document.querySelectorAll('#disabled-users .license-state')].map(li => li.querySelector('.badge').textContent.trim() + ' | ' + li.querySelector('.summary').textContent.trim())`)
	if len(disabled) == 0 {
		t.Fatal("no disabled license listed")
	}
	for _, s := range disabled {
		if s != "Disabled | Microsoft Power Automate Free is assigned but disabled: the subscription is suspended" {
			t.Errorf("disabled license shown as %q", s)
		}
	}

	// The pilot's own page says the same.
	do(t, ctx, "open a pilot's page", chromedp.Click(chromedp.CSS("#disabled-users tbody tr a")), chromedp.WaitVisible(chromedp.CSS("#license-table")))
	screenshotWidths(t, ctx, "state-disabled-user")
	if got := eval[[]string](t, ctx, `[...document.querySelectorAll('#license-table .badge[data-state]')].map(b => b.textContent.trim())`); !slices.Contains(got, "Disabled") {
		t.Errorf("the pilot's page shows states %v", got)
	}
}
