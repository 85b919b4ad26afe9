package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/templates"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
)

// signInChild signs the demo account whose name starts with prefix ("operator@") in to the
// server at base with a client keeping its cookies, which does not follow redirects.
func signInChild(t *testing.T, info tenantsim.Info, base, prefix string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := simtest.HTTPClient(t, info)
	b.Jar, b.Timeout = jar, time.Minute
	account := ""
	for _, a := range info.DemoAccounts {
		if strings.HasPrefix(a, prefix) {
			account = a
		}
	}
	res, err := b.Get(base + "/login?login_hint=" + url.QueryEscape(account))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("sign in %s: %v %v", account, res, err)
	}
	res.Body.Close()
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return b
}

// postForm posts form to base+path as a browser of base would and returns where it is sent.
func postForm(t *testing.T, b *http.Client, base, path string, form url.Values) string {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	res, err := b.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, body)
	}
	return res.Header.Get("Location")
}

// setGroupLicenseCalls counts the assignLicense calls Microsoft recorded on group id.
func setGroupLicenseCalls(tn *tenantsim.Tenant, id string) int {
	n := 0
	for _, e := range tn.AuditLog() {
		if e.ActivityDisplayName != "Set group license" {
			continue
		}
		for _, r := range e.TargetResources {
			if model.SameID(r.ID, id) {
				n++
				break
			}
		}
	}
	return n
}

// A template apply job whose server is killed (SIGKILL) after the assignLicense call, while
// it waits for Microsoft to process the group, is taken up by the next server: the call is not
// sent again, and every member ends with exactly one outcome once the group is processed.
func TestTemplateApplyJobSurvivesAKilledServer(t *testing.T) {
	ctx := context.Background()
	// Processing takes an hour: the first server can only wait.
	sim := simtest.Start(t, tenantsim.Options{Config: tenantsim.Config{Seed: 1, Users: 400, Groups: 40, LicensedGroups: 12,
		ProcessingDelay: time.Hour}, Logger: discardLogger()})
	info := sim.Info()
	tn := sim.Tenant
	dataDir := t.TempDir()
	vars := simVars(info, dataDir)
	vars["TENANTDESK_OIDC_ISSUER"], vars["TENANTDESK_OIDC_CLIENT_ID"], vars["TENANTDESK_OIDC_CLIENT_SECRET"] =
		info.OIDCIssuer, info.DashboardClientID, info.DashboardSecret
	vars["TENANTDESK_SYNC_INTERVAL"], vars["TENANTDESK_IP_RANGE_DOWNLOADS"], vars["TENANTDESK_LOG_LEVEL"] = "0", "off", "info"
	if err := run(ctx, testEnv(vars, io.Discard, io.Discard), []string{"refresh"}); err != nil {
		t.Fatal(err)
	}
	st := storetest.OpenAt(t, filepath.Join(dataDir, "tenantdesk.db"))
	group := tn.Scenarios.A1Group
	groups, err := st.LicensedGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var g model.Group
	for _, x := range groups {
		if model.SameID(x.ID, group) {
			g = x
		}
	}
	// The A1 group assigns students and faculty; faculty is removed (as in the browser test).
	form := url.Values{"based": {"1"}}
	for _, l := range g.AssignedLicenses {
		v := l.SKUID
		if len(l.DisabledPlans) > 0 {
			v += ":" + strings.Join(l.DisabledPlans, ",")
		}
		form.Add("base", v)
		if !model.SameID(l.SKUID, tn.Scenarios.FacultySKU) {
			form.Add("lic", v)
		}
	}
	if len(form["lic"]) != len(form["base"])-1 {
		t.Fatalf("the A1 group's template %+v has no faculty license", g.AssignedLicenses)
	}

	addr := freeAddr(t)
	base := "http://" + addr
	first := serveChild(t, vars, addr)
	b := signInChild(t, info, base, "licenseadmin@")
	calls := setGroupLicenseCalls(tn, group) // the scenario's own, before tenantdesk
	jobPath := postForm(t, b, base, "/groups/"+group+"/licenses/apply", form)
	var id int64
	if _, err := fmt.Sscanf(jobPath, "/jobs/%d", &id); err != nil {
		t.Fatalf("the apply led to %q, not a job", jobPath)
	}
	b.CheckRedirect = nil
	// The call's outcome is the job's first item at once; the members wait for the processing.
	var p jobProgress
	getJSON(t, b, base+jobPath+"/progress", &p)
	if p.Finished || p.Done != 1 || p.Counts[templates.ItemSent] != 1 || p.Total < 3 {
		t.Fatalf("right after the apply: %+v", p)
	}
	time.Sleep(3 * time.Second) // the job polls the processing state meanwhile
	if getJSON(t, b, base+jobPath+"/progress", &p); p.Finished || p.Done != 1 || p.State != string(model.JobRunning) {
		t.Fatalf("while processing: %+v", p)
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if n := setGroupLicenseCalls(tn, group) - calls; n != 1 {
		t.Fatalf("%d assignLicense calls before the restart, want 1", n)
	}
	before, _ := st.JobItems(ctx, id, model.JobItemQuery{Limit: 1})

	// Microsoft finishes while no tenantdesk runs; the next server takes the job up at start.
	tn.AdvanceProcessing()
	serveChild(t, vars, addr)
	for deadline := time.Now().Add(2 * time.Minute); !p.Finished; time.Sleep(100 * time.Millisecond) {
		getJSON(t, b, base+jobPath+"/progress", &p)
		if time.Now().After(deadline) {
			t.Fatalf("the resumed job did not finish: %+v", p)
		}
	}
	if p.State != string(model.JobDone) || p.Counts[templates.ItemSent] != 1 || p.Counts["licensed"] != p.Total-1 {
		t.Errorf("finished job %+v, want the call sent and every member licensed", p)
	}
	if n := setGroupLicenseCalls(tn, group) - calls; n != 1 {
		t.Errorf("%d assignLicense calls after the restart, want 1", n)
	}
	if page, err := st.ListActivity(ctx, model.ActivityFilter{Action: model.ActionTemplateChange}); err != nil || page.Total != 1 {
		t.Errorf("%d template changes logged (%v), want 1", page.Total, err)
	}
	// Every member exactly once in the outcomes file, the call's outcome as it was recorded.
	seen := jobOutcomeKeys(t, b, base+jobPath+"/outcomes.csv")
	members := 0
	for _, gt := range tn.LicensedGroupTruth() {
		if model.SameID(gt.ID, group) {
			members = gt.Users
		}
	}
	if len(seen) != members+1 || seen[templates.TemplateItem] != 1 {
		t.Errorf("outcomes of %d items, want the call and %d members", len(seen), members)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s has %d outcomes, want exactly 1", k, n)
		}
	}
	after, _ := st.JobItems(ctx, id, model.JobItemQuery{Limit: 1})
	if len(before.Items) != 1 || len(after.Items) != 1 || before.Items[0] != after.Items[0] || after.Items[0].Status != templates.ItemSent {
		t.Errorf("the call's outcome changed over the restart: %+v -> %+v", before.Items, after.Items)
	}
	if j, _ := st.Job(ctx, id); j.Resumes != 1 {
		t.Errorf("resumes %d, want 1", j.Resumes)
	}
}

// jobOutcomeKeys counts the rows of each key (first column) of a job's outcomes file at u.
func jobOutcomeKeys(t *testing.T, b *http.Client, u string) map[string]int {
	t.Helper()
	res, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("outcomes file: %v", err)
	}
	seen := map[string]int{}
	for _, r := range rows[1:] {
		seen[r[0]]++
	}
	return seen
}
