package tenantsim

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// benchAPI serves a 20,000-user tenant without the network, to measure the handler alone.
func benchAPI(b *testing.B) *API {
	b.Helper()
	ten, err := New(Config{Seed: 11, Users: 20000, Groups: 1000, LicensedGroups: 100})
	if err != nil {
		b.Fatal(err)
	}
	return NewAPI(ten, apiVerifier(), APIOptions{})
}

func benchGet(b *testing.B, a *API, target string, hdr ...string) {
	b.Helper()
	req := httptest.NewRequest("GET", target, nil)
	req.Header.Set("Authorization", "Bearer "+tokFull)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	var bytes int
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		bytes = rec.Body.Len()
	}
	b.ReportMetric(float64(bytes), "bytes/response")
}

// BenchmarkUsersPage999 is the snapshot's hottest call: a full page of users with licenses.
func BenchmarkUsersPage999(b *testing.B) {
	benchGet(b, benchAPI(b), "/v1.0/users?$top=999&$select=id,displayName,userPrincipalName,accountEnabled,usageLocation,assignedLicenses,licenseAssignmentStates")
}

// BenchmarkLicensedGroups is the advanced query for licensed groups over 1,000 groups.
func BenchmarkLicensedGroups(b *testing.B) {
	benchGet(b, benchAPI(b), "/v1.0/groups?$top=999&$count=true&$select=id,displayName,assignedLicenses,licenseProcessingState&$filter="+
		url.QueryEscape("assignedLicenses/$count ne 0"), "ConsistencyLevel", "eventual")
}

// BenchmarkGroupsWithErrors scans every user's license states once per request.
func BenchmarkGroupsWithErrors(b *testing.B) {
	benchGet(b, benchAPI(b), "/v1.0/groups?$select=id&$filter="+url.QueryEscape("hasMembersWithLicenseErrors eq true"))
}

// BenchmarkUsersPage999Gzip is BenchmarkUsersPage999 for a client that accepts gzip, as the
// SDKs do: the cost of compressing and the bytes it saves.
func BenchmarkUsersPage999Gzip(b *testing.B) {
	benchGet(b, benchAPI(b), "/v1.0/users?$top=999&$select=id,displayName,userPrincipalName,accountEnabled,usageLocation,assignedLicenses,licenseAssignmentStates",
		"Accept-Encoding", "gzip")
}
