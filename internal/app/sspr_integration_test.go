package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/app/apptest"
	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/sspr"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// The verifier as the product runs it — snapshot and Graph through the real SDK against the
// simulated tenant, Microsoft's real endpoint list imported — on every contact-administrator
// flow the simulator generated: its genuine mail is genuine, the same mail naming another user
// has no matching flow, and every spoof variant is spoofed.
func TestSSPRVerifierAgainstTheSimulatedTenant(t *testing.T) {
	d := apptest.StartDemo(t, tenantsim.Options{Config: tenantsim.Config{Seed: 11}})
	ctx := context.Background()
	ww, err := os.ReadFile(filepath.Join(testkit.SharedData(t, "ipranges"), "m365_endpoints_worldwide.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.App.IP.Import(ctx, iprange.ImportFile{Name: "m365_endpoints_worldwide.json", Data: ww}); err != nil {
		t.Fatal(err)
	}
	sim := d.Sim.Tenant
	ran := map[string]bool{}
	for _, f := range sim.SSPRFlows() {
		ran[f.UserID] = true
	}
	var contacted []tenantsim.SSPRFlow
	for _, f := range sim.SSPRFlows() {
		if f.Outcome == "contacted-admin" {
			contacted = append(contacted, f)
		}
	}
	if len(contacted) < 5 {
		t.Fatalf("only %d contact-administrator flows", len(contacted))
	}
	// Someone who never ran a flow, to name instead: a License Administrator or Global Reader,
	// a real user of the tenant who receives no notifications.
	var other tenantsim.User
	for _, r := range sim.DirectoryRoles() {
		if r.TemplateID != tenantsim.RoleLicenseAdmin && r.TemplateID != tenantsim.RoleGlobalReader {
			continue
		}
		for _, id := range r.Members {
			if u, _ := sim.LookupUser(id); !ran[id] && u.AccountEnabled && other.ID == "" {
				other = u
			}
		}
	}
	if other.ID == "" {
		t.Fatal("no user without a flow")
	}
	verify := func(msg []byte) sspr.Report {
		t.Helper()
		rep, err := d.App.SSPR.Verify(ctx, msg, "")
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	for _, f := range contacted {
		u, _ := sim.LookupUser(f.UserID)
		genuine, err := sim.RenderSSPREmail(f.CorrelationID, "genuine")
		if err != nil {
			t.Fatal(err)
		}
		rep := verify(genuine)
		m, ok := rep.MatchingFlow()
		if rep.Verdict != sspr.VerdictGenuine || !ok || m.CorrelationID != f.CorrelationID || m.IPAddress != f.IPAddress {
			t.Errorf("flow %s (%s): genuine mail gave %s: %s", f.CorrelationID, u.UserPrincipalName, rep.Verdict, rep.Summary)
			continue
		}
		for _, c := range rep.Checks {
			if c.Status != sspr.StatusPass {
				t.Errorf("flow %s: genuine mail, check %s %s: %s", f.CorrelationID, c.ID, c.Status, c.Message)
			}
		}
		renamed := strings.ReplaceAll(string(genuine), u.UserPrincipalName, other.UserPrincipalName)
		if rep := verify([]byte(renamed)); rep.Verdict != sspr.VerdictSuspicious || len(rep.Flows) != 0 {
			t.Errorf("flow %s: the mail naming %s gave %s (%d flows): %s", f.CorrelationID, other.UserPrincipalName, rep.Verdict, len(rep.Flows), rep.Summary)
		}
		for _, variant := range []string{"spoofed-lookalike", "spoofed-injected-authres"} {
			spoof, err := sim.RenderSSPREmail(f.CorrelationID, variant)
			if err != nil {
				t.Fatal(err)
			}
			if rep := verify(spoof); rep.Verdict != sspr.VerdictSpoofed {
				t.Errorf("flow %s: %s gave %s: %s", f.CorrelationID, variant, rep.Verdict, rep.Summary)
			}
		}
		noAudit, err := sim.RenderSSPREmail(f.CorrelationID, "no-audit")
		if err != nil {
			t.Fatal(err)
		}
		if rep := verify(noAudit); rep.Verdict != sspr.VerdictSuspicious {
			t.Errorf("flow %s: no-audit gave %s: %s", f.CorrelationID, rep.Verdict, rep.Summary)
		}
	}
	t.Logf("%d contact-administrator flows checked, 5 mails each", len(contacted))
}
