package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/store/storetest"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
)

// serveChild runs `tenantdesk serve` in a child process (the test binary re-executing itself)
// with vars, listening on addr, until the test kills it.
func serveChild(t *testing.T, vars map[string]string, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), "TENANTDESK_TEST_RUN_MAIN=1", "TENANTDESK_LISTEN="+addr)
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("serve child's log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			return cmd
		}
	}
	t.Fatalf("serve did not start:\n%s", logs.String())
	return nil
}

// jobProgress is what /jobs/{id}/progress says.
type jobProgress struct {
	State    string         `json:"state"`
	Finished bool           `json:"finished"`
	Done     int            `json:"done"`
	Total    int            `json:"total"`
	Counts   map[string]int `json:"counts"`
}

func getJSON(t *testing.T, b *http.Client, u string, v any) {
	t.Helper()
	res, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: %d %s", u, res.StatusCode, body)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// A 500-user reprocess job survives its server being killed (SIGKILL) mid-way: the next
// server takes it up at start, every user ends with exactly one recorded outcome (the ones
// recorded before the kill kept), and the job's page, reloaded with the same session, goes on
// showing its progress.
func TestReprocessJobSurvivesAKilledServer(t *testing.T) {
	ctx := context.Background()
	sim := simtest.Start(t, tenantsim.Options{Config: tenantsim.Config{Seed: 21, Users: 1800, Groups: 60, LicensedGroups: 20}, Logger: discardLogger()})
	info := sim.Info()
	dataDir := t.TempDir()
	vars := simVars(info, dataDir)
	vars["TENANTDESK_OIDC_ISSUER"], vars["TENANTDESK_OIDC_CLIENT_ID"], vars["TENANTDESK_OIDC_CLIENT_SECRET"] =
		info.OIDCIssuer, info.DashboardClientID, info.DashboardSecret
	vars["TENANTDESK_SYNC_INTERVAL"], vars["TENANTDESK_IP_RANGE_DOWNLOADS"], vars["TENANTDESK_LOG_LEVEL"] = "0", "off", "info"

	// The largest licensed group in error for the all-or-none reason; then units are bought.
	tn := sim.Tenant
	var group tenantsim.GroupTruth
	for _, g := range tn.LicensedGroupTruth() {
		if g.Users > group.Users {
			group = g
		}
	}
	if _, err := tn.AssignGroupLicenses(group.ID, []tenantsim.License{{SKUID: tn.Scenarios.FacultySKU}}, nil, tenantsim.Actor{AppID: "test"}); err != nil {
		t.Fatal(err)
	}
	tn.AdvanceProcessing()
	if err := run(ctx, testEnv(vars, io.Discard, io.Discard), []string{"refresh"}); err != nil {
		t.Fatal(err)
	}
	if err := tn.SetPrepaidUnits(tn.Scenarios.FacultySKU, 1_000_000); err != nil {
		t.Fatal(err)
	}
	st := storetest.OpenAt(t, filepath.Join(dataDir, "tenantdesk.db"))
	inError, err := st.UsersInErrorForGroup(ctx, group.ID)
	if err != nil || len(inError) < 500 {
		t.Fatalf("%d users in error (%v); the test needs 500", len(inError), err)
	}

	// First server: an Operator signs in and reprocesses every user in error; it is slowed so
	// the job takes a while.
	addr := freeAddr(t)
	base := "http://" + addr
	first := serveChild(t, vars, addr)
	b := signInChild(t, info, base, "operator@")
	sim.SetKnobs(tenantsim.Knobs{Latency: 120 * time.Millisecond})
	jobPath := postForm(t, b, base, "/groups/"+group.ID+"/reprocess", url.Values{"scope": {"all"}})
	b.CheckRedirect = nil
	var p jobProgress
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		getJSON(t, b, base+jobPath+"/progress", &p)
		if p.Done >= 100 {
			break
		}
		if p.Finished || time.Now().After(deadline) {
			t.Fatalf("the job ended or stalled before the kill: %+v", p)
		}
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	var id int64
	fmt.Sscanf(jobPath, "/jobs/%d", &id)
	before := map[string]string{}
	if err := st.EachJobItem(ctx, id, func(it model.JobItem) error {
		if it.Status != "" {
			before[it.Key] = it.Status + it.Summary
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed the server with %d of %d outcomes recorded", len(before), p.Total)

	// Second server: it takes the job up at start; the page, reloaded with the same session,
	// shows the job going on and then every outcome.
	serveChild(t, vars, addr)
	doc := func() *goquery.Document {
		res, err := b.Get(base + jobPath)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("reload the job page: %v %v", res, err)
		}
		defer res.Body.Close()
		d, err := goquery.NewDocumentFromReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := doc()
	if !strings.Contains(d.Find("#job-resumed").Text(), "taken up again once") {
		t.Errorf("the reloaded page does not say the job was taken up again: %q", d.Find("#job-meta").Text())
	}
	if v, _ := d.Find("#job-bar").Attr("value"); v == "" || v == "0" {
		t.Errorf("the reloaded page shows no progress: %q", v)
	}
	for deadline := time.Now().Add(3 * time.Minute); !p.Finished; time.Sleep(100 * time.Millisecond) {
		getJSON(t, b, base+jobPath+"/progress", &p)
		if time.Now().After(deadline) {
			t.Fatalf("the resumed job did not finish: %+v", p)
		}
	}
	if p.State != string(model.JobDone) || p.Counts["licensed"] != p.Total || p.Total != len(inError) {
		t.Errorf("finished job %+v, want all %d licensed", p, len(inError))
	}
	// Every user exactly once in the outcomes file; those recorded before the kill unchanged.
	seen := jobOutcomeKeys(t, b, base+jobPath+"/outcomes.csv")
	for _, u := range inError {
		if seen[u.ID] != 1 {
			t.Errorf("user %s has %d outcomes, want exactly 1", u.ID, seen[u.ID])
		}
	}
	after := map[string]string{}
	st.EachJobItem(ctx, id, func(it model.JobItem) error { after[it.Key] = it.Status + it.Summary; return nil })
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s's outcome recorded before the kill changed: %q -> %q", k, v, after[k])
		}
	}
	if j, _ := st.Job(ctx, id); j.Resumes != 1 {
		t.Errorf("resumes %d, want 1", j.Resumes)
	}
	d = doc()
	if got := strings.Join(strings.Fields(d.Find("#job-progress-text").Text()), " "); !strings.HasPrefix(got, fmt.Sprintf("%d users: %d now licensed", len(inError), len(inError))) {
		t.Errorf("finished page says %q", got)
	}
}
