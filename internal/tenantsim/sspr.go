package tenantsim

import (
	"fmt"
	"slices"
	"time"
)

// Self-service password reset flows: some users try to reset their password; their attempts
// show in the audit log as Entra ID writes them (loggedByService "Self-service Password
// Management", one correlationId per flow, initiatedBy.user with the IP address the flow ran
// from). Flows that end in "contact an administrator" are what the admin notification mails of
// email.go refer to.

const (
	ssprService      = "Self-service Password Management"
	ssprProgress     = "Self-service password reset flow activity progress"
	ssprReset        = "Reset password (self-service)"
	outcomeContacted = "contacted-admin"
	outcomeFailed    = "failed"
	outcomeSucceeded = "succeeded"
	outcomeAbandoned = "abandoned"
)

// ssprMethod is a verification option as the progress and contacted-admin reasons name it.
type ssprMethod struct{ started, contacted string }

var ssprMethods = []ssprMethod{
	{"email", "email"},
	{"mobile SMS", "mobile SMS"},
	{"mobile voice call", "mobile voice call"},
	{"security questions", "security question"},
	{"mobile app notification", ""},
	{"mobile app code", ""},
}

var ssprFailReasons = []string{
	"User's account has insufficient authentication methods defined. Add authentication info to resolve this",
	"Password reset is not enabled for this user. Enable password reset under the configure tab to resolve this",
	"User does not have a license. You can add a license to the user to resolve this",
	"User's password is managed on-premises. You can enable Password Writeback to resolve this",
	"This user is not a member of the password reset users group. Add this user to that group to resolve this.",
}

var ssprAbandonReasons = []string{
	"User abandoned after submitting their user ID",
	"User abandoned after being presented with verification options",
	"User canceled before passing the required authentication methods",
	"User entered too many invalid SMS verification codes and is blocked for 24 hours",
}

// Residential and mobile ISP networks the flows run from.
var ssprNetworks = [][2]byte{{73, 162}, {98, 237}, {24, 16}, {67, 183}, {86, 150}, {81, 2}, {92, 40}, {178, 24}, {174, 203}, {108, 28}}

// ssprFlows generates the flows of the last 14 days and their audit events.
func (g *generator) ssprFlows() {
	t := g.t
	var candidates []*User
	for _, u := range t.users {
		if u.AccountEnabled && u.UserType == "Member" && u.role != roleService {
			candidates = append(candidates, u)
		}
	}
	n := max(8, min(300, len(t.users)/20))
	outcomes := []string{outcomeContacted, outcomeFailed, outcomeSucceeded, outcomeAbandoned}
	for i := range n {
		outcome := outcomes[i%len(outcomes)]
		if i >= len(outcomes) {
			switch f := g.rng.Float64(); {
			case f < 0.25:
				outcome = outcomeContacted
			case f < 0.5:
				outcome = outcomeFailed
			case f < 0.85:
				outcome = outcomeSucceeded
			default:
				outcome = outcomeAbandoned
			}
		}
		u := candidates[g.rng.IntN(len(candidates))]
		start := g.now.Add(-time.Duration(600+g.rng.IntN(14*24*3600)) * time.Second)
		g.ssprFlow(u, outcome, start)
	}
	slices.SortStableFunc(t.sspr, func(a, b SSPRFlow) int { return a.Started.Compare(b.Started) })
}

func (g *generator) ssprFlow(u *User, outcome string, start time.Time) {
	t := g.t
	net := ssprNetworks[g.rng.IntN(len(ssprNetworks))]
	f := SSPRFlow{
		CorrelationID: guidFrom(g.rng),
		UserID:        u.ID,
		IPAddress:     fmt.Sprintf("%d.%d.%d.%d", net[0], net[1], g.rng.IntN(256), 1+g.rng.IntN(254)),
		Started:       start,
		Outcome:       outcome,
	}
	at := start
	emit := func(activity, result, reason string) {
		t.appendAudit(AuditEvent{
			ID:       t.newAuditID("SSPR"),
			Category: "UserManagement", CorrelationID: f.CorrelationID, Result: result, ResultReason: reason,
			ActivityDisplayName: activity, ActivityDateTime: at, LoggedByService: ssprService, OperationType: "Update",
			InitiatedBy: AuditInitiator{User: &AuditUser{ID: u.ID, DisplayName: u.DisplayName,
				UserPrincipalName: u.UserPrincipalName, IPAddress: f.IPAddress}},
			TargetResources: []AuditTarget{{ID: u.ID, DisplayName: u.DisplayName, Type: "User", UserPrincipalName: u.UserPrincipalName}},
		})
		f.Ended = at
		at = at.Add(time.Duration(5+g.rng.IntN(55)) * time.Second)
	}
	emit(ssprProgress, "success", "User submitted their user ID")
	switch outcome {
	case outcomeFailed:
		emit(ssprReset, "failure", ssprFailReasons[g.rng.IntN(len(ssprFailReasons))])
	case outcomeContacted:
		m := ssprMethods[g.rng.IntN(4)] // the options a contacted-admin reason can name
		emit(ssprProgress, "success", "User was presented with verification options")
		emit(ssprProgress, "success", "User started the "+m.started+" verification option")
		emit(ssprProgress, "failure", "User contacted an admin after trying the "+m.contacted+" verification option")
	case outcomeSucceeded:
		m := ssprMethods[g.rng.IntN(len(ssprMethods))]
		emit(ssprProgress, "success", "User was presented with verification options")
		emit(ssprProgress, "success", "User started the "+m.started+" verification option")
		emit(ssprProgress, "success", "User completed the "+m.started+" verification option")
		emit(ssprProgress, "success", "User completed all verification steps required")
		emit(ssprProgress, "success", "User submitted a new password")
		emit(ssprReset, "success", "Successfully completed reset.")
	case outcomeAbandoned:
		r := ssprAbandonReasons[g.rng.IntN(len(ssprAbandonReasons))]
		if r != ssprAbandonReasons[0] {
			emit(ssprProgress, "success", "User was presented with verification options")
		}
		emit(ssprProgress, "failure", r)
	}
	t.sspr = append(t.sspr, f)
}

// SSPRFlows lists the generated self-service password reset flows, oldest first.
func (t *Tenant) SSPRFlows() []SSPRFlow {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Clone(t.sspr)
}

func (t *Tenant) ssprFlow(correlationID string) (SSPRFlow, bool) {
	for _, f := range t.sspr {
		if f.CorrelationID == correlationID {
			return f, true
		}
	}
	return SSPRFlow{}, false
}
