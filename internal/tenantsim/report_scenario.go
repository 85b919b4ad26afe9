package tenantsim

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// What the license report needs of every generated tenant: every user property it offers, with
// believable values; users whose names a spreadsheet would run or mangle; a user holding a SKU
// directly and from two groups; and a history of each SKU's use. None of it draws on the
// generator's random numbers, so the rest of a seeded tenant stays as it was.

// hostileNames are display names people put into tenants: formulas a spreadsheet would run,
// separators a CSV must quote, scripts read right to left, wide characters and emoji.
var hostileNames = []string{
	"=cmd|' /C calc'!A0", "+1 Sales", "-2+3", "@SUM(1)", "\tTabbed Name", "＝ＷＩＤＥ", `Smith, "Bob" Jr.`,
	"Line\nBreak", "محمد العربي", "דוד כהן", "山田 太郎", "🎉 Party Planner",
}

// reportProperties fills the address, contact and on-premises properties of every user from
// what the user already is (role, place, sync), without random numbers.
func (g *generator) reportProperties() {
	t := g.t
	for i, u := range t.users {
		u.StreetAddress = strconv.Itoa(1+i%240) + " " + []string{"College Ave", "Main St", "Campus Rd", "Library Way"}[i%4]
		u.PostalCode = fmt.Sprintf("%05d", 10000+(i*37)%89999)
		u.State = stateOf(u.City)
		switch u.role {
		case roleStudent:
			u.EmployeeType = "Student"
		case roleFaculty, roleTA:
			u.EmployeeType = "Faculty"
		case roleGuest:
			u.ExternalUserState = "Accepted"
			if i%5 == 0 {
				u.ExternalUserState = "PendingAcceptance"
			}
		case roleDependency:
			u.EmployeeType = "Contractor"
		case roleService:
			u.PasswordPolicies = "DisablePasswordExpiration"
		default:
			u.EmployeeType = "Employee"
		}
		if i%9 == 0 && u.role != roleService {
			u.OtherMails = []string{"personal" + strconv.Itoa(i) + "@outlook.example"}
		}
		if i%50 == 0 {
			u.PreferredDataLocation = "EUR"
		}
		changed := u.CreatedDateTime.Add(time.Duration(i%90) * 24 * time.Hour)
		if changed.After(g.now) {
			changed = u.CreatedDateTime
		}
		u.LastPasswordChangeDateTime, u.SignInSessionsValidFromDateTime = changed, changed
		if u.OnPremisesSyncEnabled {
			local, _, _ := strings.Cut(u.UserPrincipalName, "@")
			u.OnPremisesSamAccountName = local[:min(len(local), 20)]
			u.OnPremisesUserPrincipalName = local + "@corp.contoso-edu.local"
			u.OnPremisesDomainName = "corp.contoso-edu.local"
			u.OnPremisesDistinguishedName = "CN=" + strings.ReplaceAll(u.DisplayName, ",", `\,`) + ",OU=" + ouOf(u) + ",DC=corp,DC=contoso-edu,DC=local"
			u.OnPremisesImmutableID = base64.StdEncoding.EncodeToString([]byte(u.ID)[:16])
			u.OnPremisesSecurityIdentifier = fmt.Sprintf("S-1-5-21-3623811015-3361044348-30300820-%d", 1100+i)
			u.OnPremisesLastSyncDateTime = g.now.Add(-time.Duration(1+i%55) * time.Minute).Truncate(time.Second)
		}
	}
}

// stateOf is the state or province of a place's city, where addresses have one.
func stateOf(city string) string {
	switch city {
	case "Seattle", "Redmond":
		return "WA"
	case "Boston":
		return "MA"
	case "Chicago":
		return "IL"
	case "Austin":
		return "TX"
	case "Toronto":
		return "ON"
	case "Berlin":
		return "Berlin"
	}
	return ""
}

func ouOf(u *User) string {
	switch u.role {
	case roleStudent:
		return "Students"
	case roleFaculty, roleTA:
		return "Faculty"
	}
	return "Staff"
}

// reportScenarios seeds the license report's hard cases: students renamed to hostile names, and
// one student holding A1 for students directly as well as from two groups.
func (g *generator) reportScenarios() {
	t := g.t
	var students []*User
	for _, u := range t.users {
		if u.role == roleStudent && u.AccountEnabled {
			students = append(students, u)
		}
	}
	// Spread out, so the names land on different pages of a sorted list.
	for i, name := range hostileNames {
		if len(students) == 0 {
			break
		}
		u := students[(i*7919)%len(students)]
		u.DisplayName = name
		t.Scenarios.HostileUsers = append(t.Scenarios.HostileUsers, u.ID)
	}
	// A student in two groups that assign A1 for students also gets it directly.
	for _, u := range students {
		n := 0
		for _, gid := range t.memberOf[u.ID] {
			for _, l := range t.groupByID[gid].Licenses {
				if l.SKUID == skuA1Students {
					n++
				}
			}
		}
		if n >= 2 && !containsString(t.Scenarios.HostileUsers, u.ID) {
			u.DirectLicenses = append(u.DirectLicenses, License{SKUID: skuA1Students})
			t.Scenarios.DirectAndGroupsUser = u.ID
			return
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// UsageHistory is a believable history of each SKU's units for the days before now, one point a
// day, ending at today's figures: growth toward the current consumption, purchases in steps.
// The demo records it so the report's charts are not empty on first start; Graph keeps no such
// history (a real tenant's charts fill as tenantdesk takes snapshots).
func (t *Tenant) UsageHistory(days int) map[string][]UsagePoint {
	t.mu.RLock()
	defer t.mu.RUnlock()
	now := t.now().UTC().Truncate(24 * time.Hour)
	out := make(map[string][]UsagePoint, len(t.skus))
	for k, s := range t.skus {
		var ps []UsagePoint
		for d := days; d >= 1; d-- {
			// Consumption grows over the year (a new school year at day 90 and 270), with a
			// weekly ripple; purchases follow in steps and never below what is consumed.
			f := 1 - float64(d)/float64(days+1)*0.35
			if d < 90 {
				f = 0.97 + 0.03*float64(90-d)/90
			}
			ripple := float64((d+k)%7) * 0.003
			used := int(float64(s.ConsumedUnits) * (f - ripple))
			p := s.Prepaid
			if d > 120 && p.Enabled > 0 {
				p.Enabled = max(used, int(float64(p.Enabled)*0.9))
			}
			ps = append(ps, UsagePoint{At: now.Add(-time.Duration(d) * 24 * time.Hour).Add(6 * time.Hour), Consumed: max(used, 0), Prepaid: p})
		}
		out[s.ID] = ps
	}
	return out
}

// UsagePoint is a SKU's units on one past day.
type UsagePoint struct {
	At       time.Time
	Consumed int
	Prepaid  PrepaidUnits
}

// SKUTruth is a subscribed SKU as the engine has it.
type SKUTruth struct {
	ID, PartNumber string
	Consumed       int
	Prepaid        PrepaidUnits
	Plans          []PlanTruth
}

// PlanTruth is one service plan of a SKU with the friendly name Microsoft's catalog gives it.
type PlanTruth struct {
	ID, Name, FriendlyName string
}

// SKUTruths lists the subscribed SKUs.
func (t *Tenant) SKUTruths() []SKUTruth {
	t.Tick()
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]SKUTruth, len(t.skus))
	for i, s := range t.skus {
		out[i] = SKUTruth{ID: s.ID, PartNumber: s.PartNumber, Consumed: s.ConsumedUnits, Prepaid: s.Prepaid}
		for _, p := range s.Plans {
			out[i].Plans = append(out[i].Plans, PlanTruth{ID: p.ID, Name: p.Name, FriendlyName: cmp.Or(planFriendlyNames[p.ID], p.Name)})
		}
	}
	return out
}

// HolderTruth is how one user holds one SKU, from the engine's own state: what a correct
// license report must list.
type HolderTruth struct {
	UserID        string
	DisplayName   string
	Direct        bool
	Groups        []string // ids of the groups that assign it
	States        []string // one per source
	InError       bool
	DisabledPlans []string // of the assigned license; the state's when it is not assigned
}

// HoldersOf lists every user with the SKU assigned or with a license state for it.
func (t *Tenant) HoldersOf(skuID string) []HolderTruth {
	t.Tick()
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []HolderTruth
	for _, u := range t.users {
		var h HolderTruth
		held := false
		for _, st := range u.LicenseStates {
			if !strings.EqualFold(st.SKUID, skuID) {
				continue
			}
			held = true
			if st.AssignedByGroup == "" {
				h.Direct = true
			} else {
				h.Groups = append(h.Groups, st.AssignedByGroup)
			}
			h.States = append(h.States, st.State)
			h.InError = h.InError || (st.Error != "" && st.Error != "None")
			if h.DisabledPlans == nil {
				h.DisabledPlans = append([]string{}, st.DisabledPlans...)
			}
		}
		for _, l := range u.AssignedLicenses {
			if strings.EqualFold(l.SKUID, skuID) {
				held = true
				h.DisabledPlans = append([]string{}, l.DisabledPlans...)
				if len(h.States) == 0 {
					h.Direct = true
				}
			}
		}
		if held {
			h.UserID, h.DisplayName = u.ID, u.DisplayName
			out = append(out, h)
		}
	}
	return out
}
