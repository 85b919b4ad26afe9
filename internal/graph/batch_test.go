package graph

import (
	"encoding/json"
	"testing"
)

func TestParseBatchResponses(t *testing.T) {
	data := `{"responses":[
		{"id":"1","status":200,"headers":{"Content-Type":"text/plain"},"body":42},
		{"id":2,"status":"429","headers":{"retry-after":"3","x":7,"y":null,"z":{"a":1}},"body":{"error":{"code":"TooManyRequests","message":"Please retry again later."}}},
		{"status":200,"body":1},
		{"id":"3","status":999},
		{"id":"4","status":204,"body":null},
		{"id":"5","status":201,"headers":[1,2],"body":"aGVsbG8="}
	]}`
	got, err := parseBatchResponses([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("got %d responses, want 5 (the one without id dropped): %+v", len(got), got)
	}
	if got[0].ID != "1" || got[0].Status != 200 || string(got[0].Body) != "42" || got[0].header("content-type") != "text/plain" {
		t.Errorf("response 1: %+v", got[0])
	}
	if got[1].ID != "2" || got[1].Status != 429 || got[1].header("Retry-After") != "3" || got[1].header("x") != "7" || got[1].header("z") != "" {
		t.Errorf("response 2: %+v", got[1])
	}
	if got[2].ID != "3" || got[2].Status != 0 {
		t.Errorf("an impossible status must read as no answer: %+v", got[2])
	}
	if got[3].Body != nil {
		t.Errorf("null body kept: %q", got[3].Body)
	}
	if got[4].Status != 201 || got[4].Headers != nil {
		t.Errorf("response 5: %+v", got[4])
	}
	for _, bad := range []string{"", "null", "[]", `{"value":[]}`, `{"responses":{}}`, `{"responses":[1]}`, "{"} {
		if r, err := parseBatchResponses([]byte(bad)); err == nil {
			t.Errorf("parseBatchResponses(%q) = %+v, want error", bad, r)
		}
	}
}

func TestParseCount(t *testing.T) {
	for in, want := range map[string]int{
		"0": 0, "42": 42, " 7 ": 7, `"42"`: 42, `"\ufeff13"`: 13, `"MTIz"`: 123, // base64 of "123"
		`{"@odata.count":5}`: 5, `{"value":"6"}`: 6, "12.0": 12, "1.2e1": 12, "2147483647": 2147483647,
	} {
		got, err := parseCount(json.RawMessage(in))
		if err != nil || got != want {
			t.Errorf("parseCount(%s) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "null", "-1", "1.5", "true", "[]", "{}", `"abc"`, `"-3"`, "99999999999", `{"value":{"value":"x"}}`, "1e400", `"`} {
		if got, err := parseCount(json.RawMessage(bad)); err == nil {
			t.Errorf("parseCount(%s) = %d, want error", bad, got)
		}
	}
}

func FuzzParseBatchResponses(f *testing.F) {
	f.Add(`{"responses":[{"id":"1","status":200,"headers":{"Content-Type":"text/plain"},"body":42}]}`)
	f.Add(`{"responses":[{"id":1,"status":"429","headers":{"Retry-After":3}}]}`)
	f.Add(`{"responses":null}`)
	f.Add(`{"responses":[{"id":{},"status":[]}]}`)
	f.Fuzz(func(t *testing.T, data string) {
		rs, err := parseBatchResponses([]byte(data))
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.ID == "" {
				t.Fatalf("response without id kept: %+v", r)
			}
			if r.Status != 0 && (r.Status < 100 || r.Status > 599) {
				t.Fatalf("impossible status kept: %d", r.Status)
			}
			_ = r.header("Retry-After")
			if n, err := parseCount(r.Body); err == nil && n < 0 {
				t.Fatalf("negative count %d", n)
			}
		}
	})
}

func FuzzParseCount(f *testing.F) {
	for _, s := range []string{"42", `"42"`, `"MTIz"`, `{"@odata.count":5}`, "-1", "1e9", `{"value":{"value":1}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseCount(json.RawMessage(s))
		if err == nil && (n < 0 || n > 1<<31-1) {
			t.Fatalf("parseCount(%q) = %d out of range", s, n)
		}
	})
}
