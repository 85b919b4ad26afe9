package licensing

import "strings"

// exclusiveFamily is a set of service plans (by servicePlanName) of which a user can hold only
// one: the licensing service refuses a second with MutuallyExclusiveViolation. Used when the
// audit log does not name the conflicting pair.
type exclusiveFamily struct {
	service string // what the plans provide, for the explanation
	plans   []string
	// note, when set, is added to the fix: Microsoft relaxed some of these rules.
	note string
	// together are pairs of the family Microsoft now lets a user hold at once: an error
	// between them is stale (the explanation says so), and a change no longer causes one.
	together [][2]string
}

var exclusiveFamilies = []exclusiveFamily{
	{
		service: "Exchange Online mailbox",
		plans: []string{
			"EXCHANGE_S_DESKLESS", "EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE",
			"EXCHANGE_S_ESSENTIALS", "EXCHANGE_S_STANDARD_MIDMARKET", "EXCHANGE_B_STANDARD",
			"EXCHANGE_L_STANDARD", "EXCHANGE_S_DESKLESS_GOV", "EXCHANGE_S_STANDARD_GOV",
			"EXCHANGE_S_ENTERPRISE_GOV",
		},
		// Microsoft's troubleshooting guide says Plan 1 and Plan 2 may now be held together.
		note:     "Microsoft now allows Exchange Online (Plan 1) and (Plan 2) together, so reprocessing alone may clear this.",
		together: [][2]string{{"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE"}, {"EXCHANGE_S_STANDARD_GOV", "EXCHANGE_S_ENTERPRISE_GOV"}},
	},
	{
		service: "SharePoint Online site",
		plans: []string{
			"SHAREPOINTDESKLESS", "SHAREPOINTSTANDARD", "SHAREPOINTENTERPRISE",
			"SHAREPOINTSTANDARD_EDU", "SHAREPOINTENTERPRISE_EDU", "SHAREPOINTENTERPRISE_MIDMARKET",
			"SHAREPOINTLITE", "SHAREPOINTDESKLESS_GOV", "SHAREPOINTENTERPRISE_GOV",
		},
	},
	{
		service: "Yammer",
		plans:   []string{"YAMMER_ENTERPRISE", "YAMMER_EDU", "YAMMER_MIDSIZE"},
	},
}

// exclusiveWith returns the family in which plan names a and b exclude each other, if any.
func exclusiveWith(a, b string) (exclusiveFamily, bool) {
	if a == "" || b == "" || strings.EqualFold(a, b) {
		return exclusiveFamily{}, false
	}
	for _, f := range exclusiveFamilies {
		if containsFold(f.plans, a) && containsFold(f.plans, b) {
			return f, true
		}
	}
	return exclusiveFamily{}, false
}

// prerequisite is what an add-on service plan needs: at least one of plans (servicePlanNames),
// described for people by what.
type prerequisite struct {
	what  string
	plans []string
}

var (
	exchangeMailbox = prerequisite{
		what: "an Exchange Online mailbox plan (such as Exchange Online (Plan 1) or (Plan 2))",
		plans: []string{"EXCHANGE_S_STANDARD", "EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_DESKLESS",
			"EXCHANGE_S_ESSENTIALS", "EXCHANGE_S_STANDARD_GOV", "EXCHANGE_S_ENTERPRISE_GOV"},
	}
	teams = prerequisite{
		what:  "Microsoft Teams or Skype for Business Online (Plan 2)",
		plans: []string{"TEAMS1", "MCOSTANDARD", "TEAMS_GOV", "MCOSTANDARD_GOV"},
	}
	teamsPhone = prerequisite{
		what:  "Teams Phone (MCOEV)",
		plans: []string{"MCOEV", "MCOEV_GOV"},
	}
)

// prerequisites maps an add-on service plan (servicePlanName) to what it needs. Group-based
// licensing wants the prerequisite in the same group as the add-on.
var prerequisites = map[string]prerequisite{
	// Microsoft Workplace Analytics is Microsoft's own example of a prerequisite.
	"WORKPLACE_ANALYTICS": exchangeMailbox,
	// Defender for Office 365 and Exchange Online Archiving protect or extend a mailbox.
	"THREAT_INTELLIGENCE":      exchangeMailbox,
	"ATP_ENTERPRISE":           exchangeMailbox,
	"EXCHANGE_S_ARCHIVE_ADDON": exchangeMailbox,
	// Audio Conferencing and Teams Phone extend Teams; Calling Plans need Teams Phone.
	"MCOMEETADV": teams,
	"MCOEV":      teams,
	"MCOPSTN1":   teamsPhone,
	"MCOPSTN2":   teamsPhone,
}

// Excludes reports whether a user can hold service plans a and b (servicePlanNames) only one at a
// time today: the same exclusive family, and not a pair Microsoft has since allowed together.
// A change that would give a user both fails with MutuallyExclusiveViolation.
func Excludes(a, b string) bool {
	f, ok := exclusiveWith(a, b)
	if !ok {
		return false
	}
	for _, p := range f.together {
		if strings.EqualFold(p[0], a) && strings.EqualFold(p[1], b) || strings.EqualFold(p[0], b) && strings.EqualFold(p[1], a) {
			return false
		}
	}
	return true
}

// Prerequisite is what an add-on service plan needs: any one of Plans (servicePlanNames), in
// words What.
type Prerequisite struct {
	What  string
	Plans []string
}

// PrerequisiteOf returns what service plan name needs before it can be assigned, if anything.
func PrerequisiteOf(plan string) (Prerequisite, bool) {
	p, ok := prerequisites[strings.ToUpper(plan)]
	return Prerequisite{What: p.what, Plans: p.plans}, ok
}

// ProvisionsMailbox reports whether service plan name gives the user an Exchange Online mailbox,
// which needs proxy addresses no other object uses (UniquenessViolation otherwise).
func ProvisionsMailbox(plan string) bool { return containsFold(exchangeMailbox.plans, plan) }

// prohibitedLocations maps a service plan (servicePlanName) to the usage locations (ISO 3166
// alpha-2) where Microsoft does not offer it, so licensing fails there with
// ProhibitedInUsageLocationViolation. Microsoft publishes availability per country for each
// service on its pages, not as data; these are the restrictions tenants meet: Microsoft stopped
// selling Teams calling and conferencing in Russia and Belarus.
var prohibitedLocations = map[string][]string{
	"MCOMEETADV": {"BY", "RU"},
	"MCOEV":      {"BY", "RU"},
}

// ProhibitedIn reports whether service plan name cannot be assigned to a user whose usage
// location is location.
func ProhibitedIn(plan, location string) bool {
	return containsFold(prohibitedLocations[strings.ToUpper(plan)], strings.TrimSpace(location))
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
