package graph

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
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
	if err := decodePage([]byte(page), &p); err != nil {
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
		if decodePage(b, &p) != nil {
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
// encoding/json and with encoding/json/v2 (decodePage, as they are read now) into our own types.
func BenchmarkDecodeUsersPage(b *testing.B) {
	e := startSim(b, tenantsim.Config{Seed: 3, Users: 1000, Groups: 40, LicensedGroups: 12})
	c := e.client(b, e.config())
	body, err := c.getJSON(context.Background(), c.collectionURL("/users", selectOption(userSelect), topOption(999)), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("page of %d KB", len(body)/1024)
	var sdkUsers int
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
	counts := map[string]int{}
	for name, decode := range map[string]func([]byte, any) error{"encoding-json": json.Unmarshal, "encoding-json-v2": decodePage} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var p jsonPage[jsonUser]
				if err := decode(body, &p); err != nil {
					b.Fatal(err)
				}
				counts[name] = len(jsonUsers(p.Value))
			}
			b.ReportMetric(float64(len(body))/1e6/b.Elapsed().Seconds()*float64(b.N), "MB/s")
		})
	}
	if sdkUsers != 999 || counts["encoding-json"] != 999 || counts["encoding-json-v2"] != 999 {
		b.Errorf("sdk %d users, json %v", sdkUsers, counts)
	}
}

// decodePage on what Graph (or something between) could send: Graph's leniencies decode as
// encoding/json would, and what is not JSON fails rather than yielding partial users.
func TestDecodePageHostile(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		wantErr   bool
		want      []string // the users' id/displayName
	}{
		{"lone surrogate escape", `{"value":[{"id":"a","displayName":"x\ud800y"}]}`, false, []string{"a/x\ufffdy"}},
		{"invalid UTF-8", "{\"value\":[{\"id\":\"a\",\"displayName\":\"x\xffy\"}]}", false, []string{"a/x\ufffdy"}},
		{"member twice: the last wins", `{"value":[{"id":"a","displayName":"1","displayName":"2"}]}`, false, []string{"a/2"}},
		{"names match exactly", `{"value":[{"ID":"a","id":"b","DisplayName":"x"}]}`, false, []string{"b/"}},
		{"nulls everywhere", `{"value":[{"id":"a","displayName":null,"assignedLicenses":null,"licenseAssignmentStates":[null]}]}`, false, []string{"a/"}},
		{"unknown members ignored", `{"@odata.context":"x","value":[{"id":"a","x":{"y":[1,2,{"z":null}]}}],"extra":1}`, false, []string{"a/"}},
		{"number for a string", `{"value":[{"id":1}]}`, true, nil},
		{"string for a bool", `{"value":[{"id":"a","accountEnabled":"true"}]}`, true, nil},
		{"trailing garbage", `{"value":[{"id":"a"}]} {"value":[]}`, true, nil},
		{"truncated", `{"value":[{"id":"a"`, true, nil},
		{"not an object", `[{"id":"a"}]`, true, nil},
		{"empty", ``, true, nil},
		{"deep nesting", `{"value":[{"id":"a","x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}]}`, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p jsonPage[jsonUser]
			err := decodePage([]byte(tc.doc), &p)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			var got []string
			for _, u := range jsonUsers(p.Value) {
				got = append(got, u.ID+"/"+u.DisplayName)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("users %q, want %q", got, tc.want)
			}
		})
	}
}

// Pages of the simulated tenant, with every property and their sign-ins, decode to the same
// users with decodePage as with encoding/json (the decoder the users were read with before).
func TestDecodePageMatchesEncodingJSON(t *testing.T) {
	e := startSim(t, tenantsim.Config{Seed: 5, Users: 1200, Groups: 60, LicensedGroups: 15})
	c := e.client(t, e.config())
	next := c.usersWithSignInsURL()
	pages := 0
	for ; next != ""; pages++ {
		body, err := c.getJSON(context.Background(), next, nil)
		if err != nil {
			t.Fatal(err)
		}
		var v1, v2 jsonPage[jsonUser]
		if err := json.Unmarshal(body, &v1); err != nil {
			t.Fatal(err)
		}
		if err := decodePage(body, &v2); err != nil {
			t.Fatal(err)
		}
		u1, u2 := jsonUsers(v1.Value), jsonUsers(v2.Value)
		if len(u1) == 0 || len(u1) != len(u2) || v1.NextLink != v2.NextLink {
			t.Fatalf("page %d: %d users and next %q with encoding/json, %d and %q with decodePage", pages, len(u1), v1.NextLink, len(u2), v2.NextLink)
		}
		for i := range u1 {
			if !equalUsers(u1[i], u2[i]) || jsonSignIns(v1.Value)[i] != jsonSignIns(v2.Value)[i] {
				t.Fatalf("user %s differs:\nencoding/json %+v\ndecodePage    %+v", u1[i].ID, u1[i], u2[i])
			}
		}
		next = v2.NextLink
	}
	if pages != 3 {
		t.Errorf("%d pages, want 3", pages)
	}
}
