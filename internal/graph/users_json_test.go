package graph

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	jsonser "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

func TestJSONUser(t *testing.T) {
	const page = `{"@odata.nextLink":"https://graph.example/v1.0/users?$skiptoken=x","value":[
	{"id":"u1","displayName":"Ada","accountEnabled":true,"createdDateTime":"2024-05-01T10:00:00Z",
	 "assignedLicenses":[{"skuId":"94763226-9B3C-4E75-A931-5C89701ABE66","disabledPlans":["57FF2DA0-773E-42DF-B2AF-FFB7A2317929"]}],
	 "licenseAssignmentStates":[{"skuId":"94763226-9b3c-4e75-a931-5c89701abe66","disabledPlans":[],"assignedByGroup":"g1",
	   "state":"Error","error":"CountViolation","lastUpdatedDateTime":"2024-05-02T10:00:00.1234567Z"},
	  {"skuId":"314c4481-f395-4525-be8b-2ec4bb1e9d91","assignedByGroup":null,"state":"Active","error":null,"lastUpdatedDateTime":null}],
	 "businessPhones":["+1 1"],"proxyAddresses":[],"mail":null,"onPremisesLastSyncDateTime":"not a time"},
	{"id":"u2","@removed":{"reason":"deleted"}},
	{"displayName":"no id"}]}`
	var p jsonPage[jsonUser]
	if err := json.Unmarshal([]byte(page), &p); err != nil {
		t.Fatal(err)
	}
	users := jsonUsers(p.Value)
	if p.NextLink == "" || len(users) != 1 {
		t.Fatalf("next %q, %d users", p.NextLink, len(users))
	}
	u := users[0]
	want := model.User{ID: "u1", DisplayName: "Ada", AccountEnabled: true, CreatedAt: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
		AssignedLicenses: []model.AssignedLicense{{SKUID: "94763226-9b3c-4e75-a931-5c89701abe66", DisabledPlans: []string{"57ff2da0-773e-42df-b2af-ffb7a2317929"}}},
		LicenseStates: []model.LicenseState{
			{SKUID: "94763226-9b3c-4e75-a931-5c89701abe66", AssignedByGroup: "g1", State: "Error", Error: model.ErrorCountViolation,
				LastUpdated: time.Date(2024, 5, 2, 10, 0, 0, 123456700, time.UTC)},
			{SKUID: "314c4481-f395-4525-be8b-2ec4bb1e9d91", State: "Active", Error: model.ErrorNone}},
		BusinessPhones: []string{"+1 1"}, ProxyAddresses: []string{}}
	if !equalUsers(u, want) {
		t.Errorf("got  %+v\nwant %+v", u, want)
	}
}

func equalUsers(a, b model.User) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// FuzzJSONUsersPage: whatever Microsoft (or something in between) sends, decoding a users page
// never panics, and every user it yields has an id and lower-case license ids.
func FuzzJSONUsersPage(f *testing.F) {
	for _, s := range []string{`{"value":[]}`, `{"value":[{"id":"a","licenseAssignmentStates":[{"skuId":"X","error":"Other"}]}]}`,
		`{"value":[{"id":"a","createdDateTime":"2024-13-45T99:00:00Z","assignedLicenses":null}]}`, `{"value":{}}`, `[]`, `null`,
		`{"value":[{"id":"a","@removed":{}}],"@odata.deltaLink":"x"}`, `{"value":[{"id":"\u0000","displayName":"\ud800"}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p jsonPage[jsonUser]
		if json.Unmarshal(b, &p) != nil {
			return
		}
		for _, u := range jsonUsers(p.Value) {
			if u.ID == "" {
				t.Fatal("a user without id")
			}
			for _, l := range u.AssignedLicenses {
				if l.SKUID != model.NormalizeID(l.SKUID) {
					t.Fatalf("sku id %q not normalised", l.SKUID)
				}
			}
		}
	})
}

// BenchmarkDecodeUsersPage decodes one 999-user page of the simulated tenant (every property
// userSelect asks for) with the SDK's object model, as users were read before, and with
// encoding/json into our own types, as they are read now.
func BenchmarkDecodeUsersPage(b *testing.B) {
	e := startSim(b, tenantsim.Config{Seed: 3, Users: 1000, Groups: 40, LicensedGroups: 12})
	c := e.client(b, e.config())
	body, err := c.getJSON(context.Background(), c.collectionURL("/users", selectOption(userSelect), topOption(999)), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("page of %d KB", len(body)/1024)
	var sdkUsers, jsonCount int
	b.Run("sdk-object-model", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			node, err := jsonser.NewJsonParseNode(body)
			if err != nil {
				b.Fatal(err)
			}
			v, err := node.GetObjectValue(models.CreateUserCollectionResponseFromDiscriminatorValue)
			if err != nil {
				b.Fatal(err)
			}
			sdkUsers = len(v.(models.UserCollectionResponseable).GetValue())
		}
		b.ReportMetric(float64(len(body))/1e6/b.Elapsed().Seconds()*float64(b.N), "MB/s")
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p jsonPage[jsonUser]
			if err := json.Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
			jsonCount = len(jsonUsers(p.Value))
		}
		b.ReportMetric(float64(len(body))/1e6/b.Elapsed().Seconds()*float64(b.N), "MB/s")
	})
	if sdkUsers != jsonCount || !slices.Contains([]int{999}, jsonCount) {
		b.Errorf("sdk %d users, json %d", sdkUsers, jsonCount)
	}
}
