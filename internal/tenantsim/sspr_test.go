package tenantsim

import (
	"strings"
	"testing"
)

func TestSSPRFlows(t *testing.T) {
	for _, cfg := range []Config{{Seed: 30}, {Seed: 31, Users: 50, Groups: 10, LicensedGroups: 7}} {
		tn, clk := newTestTenant(t, cfg)
		flows := tn.SSPRFlows()
		outcomes := map[string]int{}
		byCorr := map[string][]AuditEvent{}
		for _, e := range tn.AuditLog() {
			if e.LoggedByService == ssprService {
				byCorr[e.CorrelationID] = append(byCorr[e.CorrelationID], e)
			}
		}
		for _, f := range flows {
			outcomes[f.Outcome]++
			evs := byCorr[f.CorrelationID]
			if len(evs) == 0 {
				t.Fatalf("flow %s has no audit events", f.CorrelationID)
			}
			u := tn.userCopy(f.UserID)
			for _, e := range evs {
				if e.Category != "UserManagement" || e.InitiatedBy.User == nil || e.InitiatedBy.User.IPAddress != f.IPAddress ||
					e.InitiatedBy.User.UserPrincipalName != u.UserPrincipalName || e.TargetResources[0].ID != u.ID ||
					!strings.HasPrefix(e.ID, "SSPR_") {
					t.Fatalf("flow %s: bad event %+v", f.CorrelationID, e)
				}
				if e.ActivityDateTime.Before(f.Started) || e.ActivityDateTime.After(f.Ended) || f.Ended.After(clk.Now()) {
					t.Fatalf("flow %s: event at %v outside %v..%v", f.CorrelationID, e.ActivityDateTime, f.Started, f.Ended)
				}
			}
			first, last := evs[0], evs[len(evs)-1]
			if first.ResultReason != "User submitted their user ID" || first.ActivityDisplayName != ssprProgress {
				t.Fatalf("flow %s starts with %q", f.CorrelationID, first.ResultReason)
			}
			wantPrefix := map[string]string{
				outcomeContacted: "User contacted an admin after trying the ",
				outcomeSucceeded: "Successfully completed reset.",
				outcomeAbandoned: "User ",
			}[f.Outcome]
			if f.Outcome == outcomeFailed {
				if last.ActivityDisplayName != ssprReset || last.Result != "failure" || !strings.HasSuffix(last.ResultReason, "resolve this") && !strings.HasSuffix(last.ResultReason, "resolve this.") {
					t.Fatalf("failed flow ends with %+v", last)
				}
			} else if !strings.HasPrefix(last.ResultReason, wantPrefix) {
				t.Fatalf("%s flow ends with %q", f.Outcome, last.ResultReason)
			}
		}
		for _, o := range []string{outcomeContacted, outcomeFailed, outcomeSucceeded, outcomeAbandoned} {
			if outcomes[o] == 0 {
				t.Errorf("no %s flow: %v", o, outcomes)
			}
		}
	}
}
