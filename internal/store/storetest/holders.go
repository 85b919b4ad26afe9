package storetest

import (
	"fmt"
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// HolderSnapshot is a tenant for the license report's benchmarks: SKU k is held by the first
// holders[k] users, every user has every report property filled, most holders get the SKU
// from one of ten groups, every seventh also or only directly, every 25th in error. The SKUs'
// ids are in the result's SKUs, in the order of holders.
func HolderSnapshot(holders ...int) model.Snapshot {
	at := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	snap := model.Snapshot{TakenAt: at, MemberCounts: map[string]model.MemberCounts{}}
	users := 0
	for k, n := range holders {
		users = max(users, n)
		sku := model.SKU{ID: fmt.Sprintf("%08x-5a5a-4000-8000-%012d", 0xb0000000+k, k), PartNumber: fmt.Sprintf("BENCH_SKU_%d", k),
			AppliesTo: "User", CapabilityStatus: "Enabled", ConsumedUnits: n, Prepaid: model.PrepaidUnits{Enabled: n + n/10},
			ServicePlans: []model.ServicePlan{{ID: fmt.Sprintf("%08x-0000-4000-8000-000000000001", k), Name: "EXCHANGE_S_STANDARD"},
				{ID: fmt.Sprintf("%08x-0000-4000-8000-000000000002", k), Name: "SHAREPOINTSTANDARD"}}}
		snap.SKUs = append(snap.SKUs, sku)
		for g := range 10 {
			id := fmt.Sprintf("%08x-6b6b-4000-8000-%012d", 0xc0000000+k, g)
			snap.Groups = append(snap.Groups, model.Group{ID: id, DisplayName: fmt.Sprintf("LIC-%s-%02d", sku.PartNumber, g),
				SecurityEnabled: true, ProcessingState: model.ProcessingComplete,
				AssignedLicenses: []model.AssignedLicense{{SKUID: sku.ID, DisabledPlans: []string{sku.ServicePlans[1].ID}}}})
			snap.MemberCounts[id] = model.MemberCounts{All: n / 10, Users: n / 10}
		}
	}
	departments := []string{"Admissions", "Finance", "IT", "Library", "Research Office", "Student Services", "History", "Physics"}
	for i := range users {
		u := model.User{
			ID: fmt.Sprintf("%08x-7c7c-4000-8000-%012d", i*2654435761%(1<<32), i), DisplayName: fmt.Sprintf("Bench User %06d", i),
			UserPrincipalName: fmt.Sprintf("bench.user%06d@contoso.example", i), Mail: fmt.Sprintf("bench.user%06d@contoso.example", i),
			GivenName: "Bench", Surname: fmt.Sprintf("User %06d", i), Department: departments[i%len(departments)],
			JobTitle: "Lecturer", CompanyName: "Contoso University", EmployeeID: fmt.Sprintf("E%07d", i), City: "Seattle",
			Country: "United States", UsageLocation: []string{"US", "DE", "GB"}[i%3], UserType: "Member", AccountEnabled: i%40 != 0,
			OnPremisesSyncEnabled: i%2 == 0, CreatedAt: at.AddDate(0, 0, -i%2000),
			OfficeLocation: fmt.Sprintf("Building %d", i%30), State: "WA", PostalCode: "98101", StreetAddress: fmt.Sprintf("%d College Ave", i%240),
			PreferredLanguage: "en-US", EmployeeType: "Employee", MobilePhone: "+1 206 555 0100", BusinessPhones: []string{"+1 206 555 0199"},
			ProxyAddresses:   []string{fmt.Sprintf("SMTP:bench.user%06d@contoso.example", i), fmt.Sprintf("smtp:bu%06d@contoso.example", i)},
			PasswordPolicies: "None", LastPasswordChangeAt: at.AddDate(0, 0, -i%90), SignInSessionsValidFrom: at.AddDate(0, 0, -i%90),
		}
		if u.OnPremisesSyncEnabled {
			u.OnPremisesSamAccountName = fmt.Sprintf("buser%06d", i)
			u.OnPremisesUserPrincipalName = fmt.Sprintf("buser%06d@corp.contoso.local", i)
			u.OnPremisesDistinguishedName = fmt.Sprintf("CN=Bench User %06d,OU=Staff,DC=corp,DC=contoso,DC=local", i)
			u.OnPremisesDomainName = "corp.contoso.local"
			u.OnPremisesImmutableID = fmt.Sprintf("aW1tdXRhYmxl%06d", i)
			u.OnPremisesSecurityIdentifier = fmt.Sprintf("S-1-5-21-1-2-3-%d", 1100+i)
			u.OnPremisesLastSyncAt = at.Add(-time.Duration(i%55) * time.Minute)
		}
		for k, n := range holders {
			if i >= n {
				continue
			}
			sku := snap.SKUs[k]
			group := snap.Groups[k*10+i%10]
			state := model.LicenseState{SKUID: sku.ID, AssignedByGroup: group.ID, State: model.StateActive,
				DisabledPlans: group.AssignedLicenses[0].DisabledPlans}
			if i%25 == 0 {
				state.State, state.Error = model.StateError, model.ErrorCountViolation
			}
			if i%7 != 3 { // every seventh holds it directly only
				u.LicenseStates = append(u.LicenseStates, state)
			}
			if i%7 == 0 || i%7 == 3 {
				u.LicenseStates = append(u.LicenseStates, model.LicenseState{SKUID: sku.ID, State: model.StateActive})
			}
			if state.State != model.StateError || i%7 == 0 || i%7 == 3 {
				u.AssignedLicenses = append(u.AssignedLicenses, model.AssignedLicense{SKUID: sku.ID})
			}
		}
		snap.Users = append(snap.Users, u)
	}
	return snap
}
