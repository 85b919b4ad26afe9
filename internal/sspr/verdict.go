package sspr

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/permissions"
)

// confirmStep is the advice every verdict ends with.
const confirmStep = "Before you reset anything, confirm with the user by a channel you already know — a phone number from the directory, in person, or a Teams call you start — never by replying to this mail or using a number or link in it. Someone who knows a sign-in name can start a reset from the public reset page."

// decide sets the verdict, the summary, what is missing and the next steps. The audit-log match
// carries the verdict; the headers are supporting evidence that can only veto it.
func decide(rep *Report, m *Message, f *facts, c correlation, basis time.Time) {
	who := "the user"
	if rep.User != nil && rep.User.Found {
		who = rep.User.DisplayName + " (" + rep.User.UPN + ")"
	} else if c.upn != "" {
		who = c.upn
	}
	var failed []string
	for _, ch := range rep.Checks {
		if ch.Status == StatusFail && slices.Contains(spoofChecks, ch.ID) {
			failed = append(failed, ch.Title)
		}
	}
	win := "between " + clock(rep.Window.From) + " and " + clock(rep.Window.To) + " UTC"

	switch {
	case len(failed) > 0:
		rep.Verdict = VerdictSpoofed
		first := ""
		for _, ch := range rep.Checks {
			if ch.Status == StatusFail && slices.Contains(spoofChecks, ch.ID) {
				first = ch.Message
				break
			}
		}
		rep.Summary = "This message was not sent by Microsoft for this tenant: " + strings.Join(failed, ", ") + " failed. " + first
		if flow, ok := rep.MatchingFlow(); ok {
			rep.Summary += " (" + who + " did ask an administrator at " + clock(flow.Ended) + " UTC, but this message is not Microsoft's notification of it: someone may be using the request as cover.)"
			for i := range rep.Flows {
				rep.Flows[i].Matches = false // a flow explains Microsoft's mail, not this one
			}
		}
		rep.NextSteps = []string{
			"Do not open its links, open attachments or reply.",
			"Report it as phishing (the Report button in Outlook, or Microsoft Defender › Submissions), then delete it.",
			"If you opened a link or typed a password after it, change that password now and tell your security team.",
		}
	case !m.HasHeaders():
		rep.Verdict = VerdictCannotTell
		rep.Missing = append(rep.Missing, "The message headers: only the body was given, and nothing in a body shows who sent it. In Outlook open the message, File › Properties, and copy “Internet headers”; or save the message and upload the .msg or .eml file.")
	case f.trusted == nil:
		rep.Verdict = VerdictCannotTell
		rep.Missing = append(rep.Missing, "The headers this tenant's Exchange Online added (the Authentication-Results just above “Received: … by *.mail.protection.outlook.com”): the paste seems cut. Copy all of Outlook's “Internet headers”, or upload the .msg or .eml file.")
	case !m.HasBody():
		rep.Verdict = VerdictCannotTell
		rep.Missing = append(rep.Missing, "The body: it names the user who asked, and only the audit log of that user can tell whether they did. Paste the whole message (headers, a blank line, then the body), or upload the file.")
	case c.upn == "":
		rep.Verdict = VerdictCannotTell
		rep.Missing = append(rep.Missing, "The user's sign-in name: the body names no one (no address other than the sender's and the recipients'). Paste the whole body.")
	case c.user == nil && c.lookupErr != nil:
		rep.Verdict = VerdictCannotTell
		rep.Missing = append(rep.Missing, "The directory: "+c.upn+" could not be looked up ("+model.DescribeGraphError(c.lookupErr)+").")
	case c.user == nil:
		rep.Verdict = VerdictSuspicious
		rep.Summary = "Microsoft sent this message, but it names " + c.upn + ", who is not a user of this tenant: no one here asked. Since 2026 spam has also been sent through Microsoft's genuine notification address."
		rep.NextSteps = suspiciousSteps()
	case c.auditErr != nil:
		rep.Verdict = VerdictCannotTell
		if c.auditDenied {
			rep.Missing = append(rep.Missing, "The audit log: the app may not read it. Grant the app the "+permissions.AuditLogRead+" application permission; without the log nothing can show whether "+who+" asked.")
		} else {
			rep.Missing = append(rep.Missing, "The audit log: it could not be read ("+model.DescribeGraphError(c.auditErr)+"). Try again in a moment.")
		}
	default:
		flow, ok := rep.MatchingFlow()
		switch {
		case !ok:
			rep.Verdict = VerdictSuspicious
			rep.Summary = "Microsoft sent this message (its trusted headers pass), but " + who + " ran no password reset that ended in “contact your administrator” " + win + "."
			if n := len(rep.Flows); n > 0 {
				rep.Summary += fmt.Sprintf(" %d password reset %s of theirs in that time ended otherwise.", n, plural(n, "flow", "flows"))
			}
			rep.Summary += " Either the user did not ask, or the mail is spam sent through Microsoft's genuine sender."
			rep.NextSteps = suspiciousSteps()
		case f.failed(checkLinks, checkRecipient):
			rep.Verdict = VerdictSuspicious
			var why []string
			for _, ch := range rep.Checks {
				if ch.Status == StatusFail && (ch.ID == checkLinks || ch.ID == checkRecipient) {
					why = append(why, ch.Message)
				}
			}
			rep.Summary = "Microsoft sent this message and " + who + " did ask an administrator at " + clock(flow.Ended) + " UTC, but the message is not what Entra ID sends: " + strings.Join(why, " ")
			rep.NextSteps = suspiciousSteps()
		default:
			rep.Verdict = VerdictGenuine
			rep.Summary = fmt.Sprintf("Microsoft sent this message for this tenant, and %s ran a password reset at %s UTC from %s (%s) that ended: %s, %s before the mail.",
				who, clock(flow.Started), orNone(flow.IPAddress), flow.Where, lowerFirst(flow.OutcomeText), ago(flow.Ended, basis))
			rep.NextSteps = []string{
				"If the user confirms: reset the password (Microsoft 365 admin center › Users › Active users, or the Entra admin center), give it to them by the same known channel, and make them change it at next sign-in.",
				"If they did not ask: do not reset. Someone who knows their sign-in name started the reset from " + orNone(flow.IPAddress) + "; look at the user's sign-in logs.",
			}
			if hint := fixHint(flow); hint != "" {
				rep.NextSteps = append(rep.NextSteps, hint)
			}
		}
	}
	if rep.Verdict == VerdictCannotTell {
		short := missingShort(rep.Missing)
		verb := " is missing."
		if len(short) > 1 {
			verb = " are missing."
		}
		rep.Summary = "Cannot tell whether this request is genuine: " + strings.Join(short, " and ") + verb
		rep.NextSteps = append(rep.NextSteps, "Give what is missing (see above) and check the message again; until then, treat it as unconfirmed.")
	}
	rep.Headline = rep.Verdict.Headline()
	rep.NextSteps = append([]string{confirmStep}, rep.NextSteps...)
}

func suspiciousSteps() []string {
	return []string{
		"Do not reset the password because of this mail.",
		"Ask the user, by a channel you already know, whether they need help signing in.",
		"If they did not ask: report the message as junk or phishing (the Report button in Outlook) and delete it; do not open its links.",
	}
}

// fixHint says how to spare the user the next call, from why their own reset failed.
func fixHint(f Flow) string {
	for i := len(f.Steps) - 1; i >= 0; i-- {
		r := strings.ToLower(f.Steps[i].Reason)
		switch {
		case strings.Contains(r, "insufficient authentication methods"):
			return "So they can reset it themselves next time: have them register verification methods (https://aka.ms/mysecurityinfo) once they are signed in."
		case strings.Contains(r, "not enabled for this user"), strings.Contains(r, "not a member of the password reset users group"):
			return "So they can reset it themselves next time: include them in self-service password reset (Entra admin center › Password reset › Properties)."
		case strings.Contains(r, "does not have a license"):
			return "So they can reset it themselves next time: assign them a license that includes self-service password reset."
		case strings.Contains(r, "managed on-premises"):
			return "Their password is managed on-premises: reset it in Active Directory, or enable password writeback so they can reset it themselves."
		case strings.HasPrefix(r, "user contacted an admin"):
			return "They tried to verify themselves and gave up: after the reset, check that their registered verification methods still work."
		}
	}
	return ""
}

// missingShort is the first words of each missing item, for the summary.
func missingShort(missing []string) []string {
	out := make([]string, 0, len(missing))
	for _, m := range missing {
		s, _, _ := strings.Cut(m, ":")
		out = append(out, strings.ToLower(s[:1])+s[1:])
	}
	return out
}

func clock(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04") }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// ago is how long before basis a flow ended, in words.
func ago(ended, basis time.Time) string {
	d := basis.Sub(ended).Round(time.Second)
	switch {
	case d < 0:
		return "just"
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	case d < 2*time.Minute:
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()))
}
