package sspr

import (
	"cmp"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/iprange"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

// SSPRService is loggedByService of self-service password reset audit events.
const SSPRService = "Self-service Password Management"

// reasonWords explains result reasons, matched by trimmed prefix (case-insensitive), since
// Microsoft's spellings drift. The outcome is how a flow that ends with the reason ended; ""
// for progress.
var reasonWords = []struct {
	prefix  string
	words   string
	outcome Outcome
}{
	{"User submitted their user ID", "entered their sign-in name on the reset page", ""},
	{"User was presented with verification options", "was shown the ways to prove who they are", ""},
	{"User started the ", "started verifying with {method}", ""},
	{"User completed the ", "verified with {method}", ""},
	{"User completed all verification steps required", "passed every verification step", ""},
	{"User submitted a new password", "chose a new password", ""},
	{"User contacted an admin after trying the ", "gave up after trying {method} and asked an administrator for help (this is what sends the notification mail)", OutcomeContactedAdmin},
	{"User's account has insufficient authentication methods defined", "could not go on: too few verification methods are registered, so the page offers only “contact your administrator”", OutcomeFailed},
	{"Password reset is not enabled for this user", "could not go on: self-service password reset is not enabled for them, so the page offers only “contact your administrator”", OutcomeFailed},
	{"User does not have a license", "could not go on: they have no license that includes self-service password reset", OutcomeFailed},
	{"User's password is managed on-premises", "could not go on: the password is managed on-premises and password writeback is off", OutcomeFailed},
	{"This user is not a member of the password reset users group", "could not go on: they are not in the group allowed to reset passwords", OutcomeFailed},
	{"Password reset has been disabled entirely for this tenant", "could not go on: password reset is off for the whole tenant", OutcomeFailed},
	{"User abandoned after ", "left the reset page after {rest}", OutcomeAbandoned},
	{"User canceled before ", "cancelled before {rest}", OutcomeAbandoned},
	{"User cancelled before ", "cancelled before {rest}", OutcomeAbandoned},
	{"User entered too many invalid", "was blocked for 24 hours after too many wrong codes", OutcomeBlocked},
	{"User successfully reset password", "reset their password", OutcomeSucceeded},
	{"Successfully completed reset", "reset their password", OutcomeSucceeded},
}

// methodRE picks the verification method out of "User started the X verification option".
var methodRE = regexp.MustCompile(`(?i)^user (?:started|completed|contacted an admin after trying) the (.+?) verification option`)

// explainReason is a result reason in plain words and the outcome it ends a flow with.
func explainReason(reason string) (string, Outcome) {
	r := strings.TrimSpace(reason)
	for _, w := range reasonWords {
		if len(r) >= len(w.prefix) && strings.EqualFold(r[:len(w.prefix)], w.prefix) {
			words := w.words
			if m := methodRE.FindStringSubmatch(r); m != nil {
				words = strings.ReplaceAll(words, "{method}", m[1])
			}
			rest := strings.TrimSuffix(strings.TrimSpace(r[len(w.prefix):]), ".")
			return strings.ReplaceAll(words, "{rest}", strings.ToLower(rest)), w.outcome
		}
	}
	low := strings.ToLower(r)
	switch {
	case strings.Contains(low, "blocked"):
		return r, OutcomeBlocked
	case r == "":
		return "no reason given", ""
	}
	return r, ""
}

// activityOutcome is the outcome an activity itself says, whatever its reason.
func activityOutcome(e model.AuditEvent) Outcome {
	a := strings.ToLower(e.Activity)
	switch {
	case strings.HasPrefix(a, "blocked from self-service password reset"):
		return OutcomeBlocked
	case strings.HasPrefix(a, "user registered for self-service password reset"), strings.HasPrefix(a, "security info saved"):
		return OutcomeRegistration
	case (strings.HasPrefix(a, "reset password (self-service)") || strings.HasPrefix(a, "change password (self-service)") ||
		strings.HasPrefix(a, "unlock user account (self-service)")) && strings.EqualFold(e.Result, "success"):
		return OutcomeSucceeded
	}
	return ""
}

// outcomeText says how a flow ended.
func outcomeText(o Outcome, last string) string {
	switch o {
	case OutcomeContactedAdmin:
		return "Asked an administrator for help (“contact your administrator”)"
	case OutcomeFailed:
		return "Could not reset: " + strings.TrimPrefix(last, "could not go on: ")
	case OutcomeSucceeded:
		return "Reset their own password"
	case OutcomeAbandoned:
		return "Gave up: " + last
	case OutcomeBlocked:
		return "Blocked: " + last
	case OutcomeRegistration:
		return "Registered verification methods (not a reset)"
	}
	return "No end logged: the last step was that the user " + last
}

// flows groups audit events by correlation id into flows, newest first, each with its steps
// oldest first, how it ended and where it ran from.
func flows(events []model.AuditEvent, ip iprange.Looker) []Flow {
	byCorr := map[string][]model.AuditEvent{}
	var order []string
	for _, e := range events {
		k := strings.ToLower(e.CorrelationID)
		if k == "" {
			k = "event " + e.ID
		}
		if _, ok := byCorr[k]; !ok {
			order = append(order, k)
		}
		byCorr[k] = append(byCorr[k], e)
	}
	out := make([]Flow, 0, len(order))
	for _, k := range order {
		evs := byCorr[k]
		slices.SortStableFunc(evs, func(a, b model.AuditEvent) int { return a.At.Compare(b.At) })
		f := Flow{CorrelationID: evs[0].CorrelationID, Started: evs[0].At, Ended: evs[len(evs)-1].At, Outcome: OutcomeUnfinished}
		var lastWords string
		for _, e := range evs {
			words, o := explainReason(e.ResultReason)
			if ao := activityOutcome(e); ao != "" && (o == "" || ao == OutcomeBlocked) {
				o = ao
			}
			f.Steps = append(f.Steps, Step{At: e.At, Activity: e.Activity, Result: e.Result, Reason: e.ResultReason, Words: words})
			if o != "" {
				f.Outcome = o
			} else if f.Outcome != OutcomeUnfinished && f.Outcome != OutcomeRegistration {
				// Progress after an end (a retry in the same session) reopens the flow.
				f.Outcome = OutcomeUnfinished
			}
			lastWords = words
			if f.IPAddress == "" && e.InitiatedByUser != nil {
				f.IPAddress = e.InitiatedByUser.IPAddress
			}
		}
		f.OutcomeText = outcomeText(f.Outcome, lastWords)
		f.Microsoft, f.Where = whereIs(ip, f.IPAddress)
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b Flow) int { return cmp.Compare(b.Ended.UnixNano(), a.Ended.UnixNano()) })
	return out
}

// whereIs says whether an address is Microsoft's, and where it is in words.
func whereIs(ip iprange.Looker, s string) (bool, string) {
	if s == "" {
		return false, "not logged"
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false, "not an address"
	}
	a = a.Unmap()
	switch {
	case a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast():
		return false, "a private address, inside a network rather than on the Internet"
	case !hasAnyData(ip):
		return false, "unknown: Microsoft's address lists are not loaded"
	}
	matches := ip.Lookup(a)
	if len(matches) == 0 {
		return false, "not a Microsoft address: most likely the user's own connection at home, at work or on a phone"
	}
	var names []string
	for _, m := range matches {
		switch {
		case m.M365 != nil:
			names = append(names, m.M365.ServiceAreaDisplayName)
		case m.Azure != nil && m.Azure.Region != "":
			names = append(names, "Azure "+m.Azure.SystemService+" "+m.Azure.Region)
		case m.Azure != nil:
			names = append(names, "Azure "+m.Azure.Tag)
		}
	}
	return true, "Microsoft's — " + joinFirst(names, 3) + ": the flow ran from a cloud server, not from a person's own connection"
}

func hasAnyData(ip iprange.Looker) bool {
	return slices.ContainsFunc(ip.Status(), func(s iprange.SourceStatus) bool { return !s.FetchedAt.IsZero() })
}

// matchFlow marks the flow that explains a mail received at basis: the latest one that ended in
// contacting an administrator (or a failure that offers it) no later than after past basis.
func matchFlow(fs []Flow, basis time.Time, after time.Duration) {
	for i := range fs { // newest first
		f := &fs[i]
		if (f.Outcome == OutcomeContactedAdmin || f.Outcome == OutcomeFailed) && !f.Ended.After(basis.Add(after)) {
			f.Matches = true
			return
		}
	}
}
