package e2e

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenantdesk/tenantdesk/internal/app"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

const (
	planYammerEdu = "2078e8df-cff6-4290-98cb-5408261a760a" // Yammer for Academic, in both A1 SKUs
	planSway      = "a23b959c-7ce8-4e57-9140-b90eb88a9e97"
	planTeams     = "57ff2da0-773e-42df-b2af-ffb7a2317929"
	planSkypeP2   = "0feaeb32-d00e-4d66-bd5a-43b5b83db82c"
	skuAudioConf  = "0c266dff-15dd-4b49-8397-2bb16070ed52"
	skuE3         = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	planYammerEnt = "7547a3fe-08ee-4ccb-b430-5077c5041653"
)

var simActor = tenantsim.Actor{AppID: "e2e", DisplayName: "someone else"}

// waitFor polls js until it is true.
func waitFor(t *testing.T, ctx context.Context, what, js string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !evalQuiet(ctx, js) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// evalQuiet evaluates js, false when it fails (a page being replaced by a reload).
func evalQuiet(ctx context.Context, js string) bool {
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	return err == nil && v
}

// A LicenseAdmin edits the A1 group's template in the browser: faculty (no units left) out,
// Yammer for Academic off. The preview shows the diff, the body and every member fixed; someone
// changes the template meanwhile, so the first apply writes nothing and shows the new diff; the
// second applies, and the page follows Microsoft's processing (queued, in progress, complete)
// until every member is shown licensed. A change Microsoft refuses shows its refusal.
func TestTemplateEditPreviewApplyInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1, ProcessingDelay: 6 * time.Second})
	sc := d.Sim.Tenant.Scenarios
	licSignIn(t, ctx, d, "licenseadmin", "/groups/"+sc.A1Group)
	do(t, ctx, "open the editor from the group page", chromedp.Click(chromedp.CSS("#edit-template")), chromedp.WaitVisible(chromedp.CSS("#template-form")))
	screenshotWidths(t, ctx, "template-editor")

	// Copying from a template user ticks exactly what they hold; nothing is written.
	found, err := d.App.Store.SearchUsers(context.Background(), "@", 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	var tplUser model.UserHit
	for _, h := range found.Users {
		if u, err := d.App.Store.User(context.Background(), h.ID); err == nil && len(u.AssignedLicenses) > 1 {
			tplUser, tplUser.AssignedLicenses = h, u.AssignedLicenses
			break
		}
	}
	if tplUser.ID == "" {
		t.Fatal("no user holds two licenses")
	}
	do(t, ctx, "copy from a user", chromedp.SendKeys(chromedp.CSS("#from-user"), tplUser.UserPrincipalName),
		chromedp.Submit(chromedp.CSS("#from-user")), chromedp.WaitVisible(chromedp.CSS("#copied-from")))
	ticked := eval[[]string](t, ctx, `[...document.querySelectorAll('#template-form input[name=sku]:checked')].map(i => i.value)`)
	var held []string
	for _, l := range tplUser.AssignedLicenses {
		held = append(held, l.SKUID)
	}
	slices.Sort(ticked)
	slices.Sort(held)
	if !slices.Equal(ticked, held) {
		t.Errorf("copied from %s: ticked %v, the user holds %v", tplUser.UserPrincipalName, ticked, held)
	}
	do(t, ctx, "back to the group's template", chromedp.Navigate(d.URL+"/groups/"+sc.A1Group+"/licenses"), chromedp.WaitVisible(chromedp.CSS("#template-form")))
	if n := count(t, ctx, `#template-form input[name=sku]:checked`); n != 2 {
		t.Fatalf("%d licenses ticked, want the template's 2", n)
	}
	// Ticks by script: a click at the checkbox's place may land on the sticky action bar.
	eval[any](t, ctx, `(() => {
		document.querySelector('input[name=sku][value="`+sc.FacultySKU+`"]').click();
		document.querySelector('input[name="on-`+sc.StudentSKU+`"][value="`+planYammerEdu+`"]').click();
		return null })()`)
	if n := count(t, ctx, `#template-form input[name=sku]:checked`); n != 1 {
		t.Fatalf("%d licenses ticked after unticking faculty", n)
	}
	do(t, ctx, "preview", chromedp.Click(chromedp.CSS("#preview-button")))
	waitURL(t, ctx, "/licenses/preview?lic="+sc.StudentSKU+":"+planYammerEdu)
	screenshotWidths(t, ctx, "template-preview")
	if got := text(t, ctx, "#diff"); !strings.Contains(got, "Remove Office 365 A1 for faculty") || !strings.Contains(got, "switch off Yammer for Academic") {
		t.Errorf("diff %q", got)
	}
	if got := text(t, ctx, "#request-body"); !strings.Contains(got, `"removeLicenses": [`) || !strings.Contains(got, sc.FacultySKU) {
		t.Errorf("body %q", got)
	}
	members, _ := strconv.Atoi(text(t, ctx, "#c-members"))
	if fixed := text(t, ctx, "#c-fixed"); members == 0 || fixed != strconv.Itoa(members) || text(t, ctx, "#c-new-errors") != "0" {
		t.Errorf("consequence: %d members, %s fixed, %s newly in error", members, fixed, text(t, ctx, "#c-new-errors"))
	}

	// Someone switches Sway off meanwhile: the apply writes nothing and shows the change against
	// the template as it is now.
	if _, err := d.Sim.Tenant.AssignGroupLicenses(sc.A1Group, []tenantsim.License{{SKUID: sc.StudentSKU, DisabledPlans: []string{planSway}}}, nil, simActor); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "apply", chromedp.Click(chromedp.CSS("#apply-button")))
	waitURL(t, ctx, "/licenses/apply")
	do(t, ctx, "the template changed meanwhile", chromedp.WaitVisible(chromedp.CSS("#changed")))
	screenshotWidths(t, ctx, "template-changed-meanwhile")
	if got := text(t, ctx, "#diff"); !strings.Contains(got, "switch on Sway") || !strings.Contains(got, "switch off Yammer for Academic") {
		t.Errorf("new diff %q", got)
	}
	if g := d.Sim.Tenant.LicensedGroupTruth(); !slices.ContainsFunc(g, func(x tenantsim.GroupTruth) bool {
		return x.ID == sc.A1Group && slices.Contains(x.Licenses, sc.FacultySKU)
	}) {
		t.Fatal("the refused apply wrote the template")
	}
	do(t, ctx, "apply again", chromedp.Click(chromedp.CSS("#apply-button")))
	waitURL(t, ctx, "/jobs/")
	screenshotWidths(t, ctx, "template-processing")
	// The job's first step is the call, with its outcome at once; each member follows once
	// Microsoft has processed the group (app.js follows the job and reloads when it ends).
	if got := text(t, ctx, "#outcomes tbody tr:first-child"); !strings.Contains(got, "Change sent") || !strings.Contains(got, "Remove Office 365 A1 for faculty; ") {
		t.Errorf("the change's step: %q", got)
	}
	waitFor(t, ctx, "processing complete, every member's outcome", `document.querySelector('#job')?.dataset.state === 'done'`, 60*time.Second)
	screenshotWidths(t, ctx, "template-processed")
	statuses := eval[[]string](t, ctx, `[...document.querySelectorAll('#outcomes tbody tr')].map(tr => tr.dataset.status)`)
	if len(statuses) != members+1 || statuses[0] != "sent" {
		t.Fatalf("%d steps after processing (%v), want the change and %d members", len(statuses), statuses, members)
	}
	for _, s := range statuses[1:] {
		if s != "licensed" {
			t.Errorf("member %s after processing", s)
			break
		}
	}
	if got := text(t, ctx, "#job-progress-text"); !strings.HasPrefix(got, strconv.Itoa(members+1)+" steps: 1 change sent, 0 already so, "+strconv.Itoa(members)+" licensed, 0 in license error") {
		t.Errorf("summary %q", got)
	}
	do(t, ctx, "back to the group's licenses", chromedp.Click(chromedp.CSS("#job-back")))
	waitURL(t, ctx, "/groups/"+sc.A1Group+"/licenses")
	page, err := d.App.Store.ListActivity(context.Background(), model.ActivityFilter{Action: model.ActionTemplateChange})
	if err != nil || page.Total != 1 || page.Entries[0].Result != model.ActivityOK || !strings.HasPrefix(page.Entries[0].ActorUPN, "licenseadmin@") {
		t.Errorf("activity %+v, %v", page.Entries, err)
	}

	// Audio conferencing without Teams in the same template: Microsoft refuses; the preview
	// says so first, and the refusal is shown in plain words with Graph's message.
	refused := "/groups/" + sc.A1Group + "/licenses/preview?lic=" + sc.StudentSKU + ":" + planTeams + "," + planSkypeP2 + "&lic=" + skuAudioConf
	do(t, ctx, "preview an add-on without its prerequisite", chromedp.Navigate(d.URL+refused), chromedp.WaitVisible(chromedp.CSS("#template-problems")))
	do(t, ctx, "apply it", chromedp.Click(chromedp.CSS("#apply-button")))
	do(t, ctx, "the refusal", chromedp.WaitVisible(chromedp.CSS("#refusal")))
	screenshotWidths(t, ctx, "template-refused")
	if got := text(t, ctx, "#refusal"); !strings.Contains(got, "Microsoft 365 refused the change; nothing was changed.") {
		t.Errorf("refusal %q", got)
	}
	if raw := eval[string](t, ctx, `document.querySelector('#refusal code.raw').textContent`); !strings.Contains(raw, "License operation failed.") || !strings.Contains(raw, "Request_BadRequest") {
		t.Errorf("original message %q", raw)
	}
}

// A Reader opens the editor read-only and a preview without the apply form; a crafted POST is
// refused and changes nothing.
func TestTemplateEditorReadOnlyForAReader(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1})
	sc := d.Sim.Tenant.Scenarios
	path := "/groups/" + sc.A1Group + "/licenses"
	licSignIn(t, ctx, d, "reader", path)
	do(t, ctx, "the editor", chromedp.WaitVisible(chromedp.CSS("#read-only")))
	screenshotWidths(t, ctx, "template-editor-reader")
	if !eval[bool](t, ctx, `document.querySelector('fieldset.licenses-editor').disabled`) || count(t, ctx, "#preview-button") != 0 {
		t.Error("a Reader can edit")
	}
	do(t, ctx, "a preview", chromedp.Navigate(d.URL+path+"/preview?lic="+sc.StudentSKU), chromedp.WaitVisible(chromedp.CSS("#consequence")))
	if count(t, ctx, "#apply-form") != 0 {
		t.Error("a Reader sees the apply form")
	}
	eval[any](t, ctx, `(() => {
		const f = document.createElement('form'); f.method = 'post'; f.action = '`+path+`/apply';
		for (const [n, v] of [['based', '1'], ['base', '`+sc.FacultySKU+`'], ['base', '`+sc.StudentSKU+`'], ['lic', '`+sc.StudentSKU+`']]) {
			const i = document.createElement('input'); i.name = n; i.value = v; f.appendChild(i);
		}
		document.body.appendChild(f); f.submit(); return null })()`)
	waitURL(t, ctx, path+"/apply")
	if got := text(t, ctx, ".error-page"); !strings.Contains(got, "Not allowed") || !strings.Contains(got, "HTTP 403") {
		t.Errorf("crafted POST page: %q", got)
	}
	if g := d.Sim.Tenant.LicensedGroupTruth(); !slices.ContainsFunc(g, func(x tenantsim.GroupTruth) bool {
		return x.ID == sc.A1Group && len(x.Licenses) == 2
	}) {
		t.Error("the Reader's POST changed the template")
	}
}

// The split wizard on the A1 students/faculty group: one dynamic group per license, created
// and given its license, processed; then students are licensed for the members (from the new
// group) while faculty is still short, and the wizard offers to remove both from the original.
// Running it again creates nothing twice.
func TestSplitWizardInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 1, ProcessingDelay: 4 * time.Second})
	sc := d.Sim.Tenant.Scenarios
	licSignIn(t, ctx, d, "licenseadmin", "/groups/"+sc.A1Group)
	do(t, ctx, "open the split wizard", chromedp.Click(chromedp.CSS("#split-group")), chromedp.WaitVisible(chromedp.CSS("#split-parts")))
	screenshotWidths(t, ctx, "split-plan")
	if unmet := count(t, ctx, "#requirements li.unmet"); unmet != 0 {
		t.Fatalf("%d requirements unmet: %s", unmet, text(t, ctx, "#requirements"))
	}
	if names := eval[[]string](t, ctx, `[...document.querySelectorAll('#split-parts tbody td:nth-child(2)')].map(td => td.textContent.trim())`); !slices.Equal(names,
		[]string{"LIC-A1-Teaching-Assistants - Office 365 A1 for students", "LIC-A1-Teaching-Assistants - Office 365 A1 for faculty"}) {
		t.Errorf("parts %v", names)
	}
	do(t, ctx, "create the groups", chromedp.Click(chromedp.CSS("#split-run")))
	splitJob(t, ctx, "created", "split-job")
	screenshotWidths(t, ctx, "split-run")
	if steps := eval[[]string](t, ctx, `[...document.querySelectorAll('#split-steps li')].map(li => li.textContent)`); len(steps) != 2 ||
		!strings.Contains(steps[0], ": created") || !strings.Contains(steps[1], ": created") {
		t.Fatalf("steps %v", steps)
	}
	waitFor(t, ctx, "every group processed", `!!document.querySelector('#split-done')`, 30*time.Second)
	screenshotWidths(t, ctx, "split-done")
	if got := eval[[]string](t, ctx, `[...document.querySelectorAll('#split-parts .part-outcome')].map(d => d.textContent.trim())`); len(got) != 2 ||
		got[0] != "Every member has the license." || !strings.Contains(got[1], "in license error from it") {
		t.Errorf("outcomes of the split groups: %q", got)
	}

	// The truth: students from the new group for every member, faculty still short.
	var students, faculty string
	for _, g := range d.Sim.Tenant.LicensedGroupTruth() {
		switch g.DisplayName {
		case "LIC-A1-Teaching-Assistants - Office 365 A1 for students":
			students = g.ID
		case "LIC-A1-Teaching-Assistants - Office 365 A1 for faculty":
			faculty = g.ID
		}
	}
	checkSplit(t, d, sc.A1Group, students, faculty)

	// Again: found by name and rule, nothing created twice.
	do(t, ctx, "run again", chromedp.Navigate(d.URL+"/groups/"+sc.A1Group+"/split"), chromedp.Click(chromedp.CSS("#split-run")))
	splitJob(t, ctx, "ready", "")
	if steps := text(t, ctx, "#split-steps"); strings.Count(steps, "already done") != 2 {
		t.Errorf("second run: %q", steps)
	}
	named := 0
	for _, g := range d.Sim.Tenant.LicensedGroupTruth() {
		if strings.HasPrefix(g.DisplayName, "LIC-A1-Teaching-Assistants - ") {
			named++
		}
	}
	if named != 2 {
		t.Errorf("%d split groups after two runs", named)
	}
	do(t, ctx, "preview removing the licenses from the original", chromedp.Click(chromedp.CSS("#split-remove")), chromedp.WaitVisible(chromedp.CSS("#consequence")))
	screenshotWidths(t, ctx, "split-remove-preview")
	if got := text(t, ctx, "#diff"); !strings.Contains(got, "Remove Office 365 A1 for faculty") || !strings.Contains(got, "Remove Office 365 A1 for students") {
		t.Errorf("removal diff %q", got)
	}
	if text(t, ctx, "#c-new-errors") != "0" {
		t.Errorf("removing the licenses from the original puts %s members newly in error", text(t, ctx, "#c-new-errors"))
	}
	// Each member is told what stays: the students license, from its new group.
	keep := "They keep Office 365 A1 for students from LIC-A1-Teaching-Assistants - Office 365 A1 for students."
	if got := text(t, ctx, "#consequence"); !strings.Contains(got, keep) {
		t.Errorf("the removal preview does not say %q:\n%.2000s", keep, got)
	}
}

func checkSplit(t *testing.T, d *app.Demo, original, students, faculty string) {
	t.Helper()
	if students == "" || faculty == "" {
		t.Fatalf("split groups not licensed: %q %q", students, faculty)
	}
	// Every member of the original (all in error there: faculty is short).
	users, err := d.App.Store.UsersInErrorForGroup(context.Background(), original)
	if err != nil || len(users) == 0 {
		t.Fatalf("members of the original: %d, %v", len(users), err)
	}
	for _, m := range users {
		id := m.ID
		u, _ := d.Sim.Tenant.LookupUser(id)
		var studentsOK, facultyShort bool
		for _, st := range u.LicenseStates {
			studentsOK = studentsOK || st.AssignedByGroup == students && st.State == "Active"
			facultyShort = facultyShort || st.AssignedByGroup == faculty && st.Error == "CountViolation"
		}
		if !studentsOK || !facultyShort {
			t.Errorf("member %s: students from the new group %v, faculty still short %v: %+v", id, studentsOK, facultyShort, u.LicenseStates)
		}
	}
}

// One change to many groups: "disable Yammer (Enterprise) in every group that assigns Office 365
// E3", more than 20 groups at once, one preview listing every group's consequence, one apply,
// each group's outcome and processing.
func TestBulkChangeInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	d := startDemo(t, tenantsim.Config{Seed: 3, Users: 2500, Groups: 200, LicensedGroups: 150})
	groups, err := d.App.Store.LicensedGroups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e3 := 0
	for _, g := range groups {
		if slices.ContainsFunc(g.AssignedLicenses, func(l model.AssignedLicense) bool { return l.SKUID == skuE3 }) {
			e3++
		}
	}
	if e3 <= 20 {
		t.Fatalf("only %d groups assign E3; the test needs more than 20", e3)
	}
	licSignIn(t, ctx, d, "licenseadmin", "/licenses/bulk")
	do(t, ctx, "the form", chromedp.WaitVisible(chromedp.CSS("#bulk-form")))
	screenshotWidths(t, ctx, "bulk-form")
	q := url.Values{"kind": {"disable"}, "sku": {skuE3}, "plan": {planYammerEnt}, "in": {skuE3}}
	do(t, ctx, "preview", chromedp.Navigate(d.URL+"/licenses/bulk/preview?"+q.Encode()), chromedp.WaitVisible(chromedp.CSS("#bulk-groups-table")))
	screenshotWidths(t, ctx, "bulk-preview")
	if rows := count(t, ctx, "#bulk-groups-table tbody tr"); rows != e3 {
		t.Errorf("%d groups listed, want %d", rows, e3)
	}
	if got := text(t, ctx, "#bulk-preview-h"); got != "Preview: disable Yammer Enterprise in Office 365 E3" {
		t.Errorf("heading %q", got)
	}
	affected := count(t, ctx, `#bulk-apply-form input[name=g]`)
	do(t, ctx, "apply", chromedp.Click(chromedp.CSS("#bulk-apply")))
	waitURL(t, ctx, "/jobs/")
	waitFor(t, ctx, "every group written", `document.querySelector('#job')?.dataset.state === 'done'`, 60*time.Second)
	screenshotWidths(t, ctx, "bulk-result")
	outcomes := eval[[]string](t, ctx, `[...document.querySelectorAll('#outcomes tbody tr')].map(tr => tr.dataset.status)`)
	if len(outcomes) != affected || affected <= 20 {
		t.Fatalf("%d outcomes for %d groups", len(outcomes), affected)
	}
	for _, o := range outcomes {
		if o != "applied" {
			t.Errorf("outcome %q", o)
		}
	}
	// The job leads to the bookmarkable page that follows the groups' processing; each
	// processed group says how its members came out.
	do(t, ctx, "the outcome page", chromedp.Click(chromedp.CSS("#job-next-link")))
	waitURL(t, ctx, "/licenses/bulk/outcome?")
	waitFor(t, ctx, "every group processed and its members counted", `document.querySelectorAll('#bulk-groups-table .part-outcome').length === `+strconv.Itoa(affected), 30*time.Second)
	do(t, ctx, "every group's outcome", chromedp.WaitVisible(chromedp.CSS("#bulk-result-summary")))
	screenshotWidths(t, ctx, "bulk-outcome")
	if got := text(t, ctx, "#bulk-result-summary"); !strings.HasPrefix(got, strconv.Itoa(affected)+" of "+strconv.Itoa(affected)+" groups processed, ") {
		t.Errorf("summary %q", got)
	}
	if n := count(t, ctx, "#bulk-groups-table .part-outcome"); n != affected {
		t.Errorf("%d outcomes on the outcome page, want %d", n, affected)
	}
	page, _ := d.App.Store.ListActivity(context.Background(), model.ActivityFilter{Action: model.ActionTemplateChange, Limit: 500})
	if page.Total != affected {
		t.Errorf("%d template changes logged for %d groups", page.Total, affected)
	}
}

// splitJob follows a split's job page to its end (screenshot shot, unless ""): each of the two
// groups has outcome want; then the split page shows the run step by step.
func splitJob(t *testing.T, ctx context.Context, want, shot string) {
	t.Helper()
	waitURL(t, ctx, "/jobs/")
	waitFor(t, ctx, "the split job ended", `document.querySelector('#job')?.dataset.state === 'done'`, 60*time.Second)
	if got := eval[[]string](t, ctx, `[...document.querySelectorAll('#outcomes tbody tr')].map(tr => tr.dataset.status)`); !slices.Equal(got, []string{want, want}) {
		t.Fatalf("split steps %v, want two %s", got, want)
	}
	if shot != "" {
		screenshotWidths(t, ctx, shot)
	}
	do(t, ctx, "back to the split", chromedp.Click(chromedp.CSS("#job-back")), chromedp.WaitVisible(chromedp.CSS("#split-steps")))
}
