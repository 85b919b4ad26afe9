package sdktest

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
)

// TestGraphConventionsOverHTTPS walks GRAPH.md's OData conventions against the whole server
// (fault middleware, router, API) with plain HTTP, as curl or another SDK would see them.
func TestGraphConventionsOverHTTPS(t *testing.T) {
	e := start(t, tenantsim.Config{Seed: 28, Users: 250, Groups: 20, LicensedGroups: 7})
	tok := e.token(t, e.info.ClientID, e.info.ClientSecret)

	t.Run("@odata.count only with ConsistencyLevel and $count=true", func(t *testing.T) {
		for _, tc := range []struct {
			query    string
			eventual bool
			want     bool
		}{
			{"$select=id&$top=5", false, false},
			{"$select=id&$top=5&$count=true", false, false},
			{"$select=id&$top=5", true, false},
			{"$select=id&$top=5&$count=true", true, true},
		} {
			var hdr []string
			if tc.eventual {
				hdr = []string{"ConsistencyLevel", "eventual"}
			}
			r := e.do(t, tok, "GET", "/users?"+tc.query, nil, hdr...)
			if r.Status != 200 {
				t.Fatalf("%s eventual=%v: %d %s", tc.query, tc.eventual, r.Status, r.Body)
			}
			m := r.JSON(t)
			n, has := m["@odata.count"]
			if has != tc.want || has && n.(float64) != 250 {
				t.Errorf("%s eventual=%v: @odata.count %v (present %v), want present %v", tc.query, tc.eventual, n, has, tc.want)
			}
			next, _ := m["@odata.nextLink"].(string)
			if !strings.HasPrefix(next, e.info.GraphURL+"/users?") || !strings.Contains(next, "$skiptoken=") {
				t.Errorf("nextLink %q is not an absolute link with $skiptoken", next)
			}
		}
	})

	t.Run("advanced next page needs ConsistencyLevel again", func(t *testing.T) {
		first := e.do(t, tok, "GET", "/groups?$filter=assignedLicenses/$count%20ne%200&$count=true&$select=id&$top=2", nil, "ConsistencyLevel", "eventual")
		next, _ := first.JSON(t)["@odata.nextLink"].(string)
		if first.Status != 200 || next == "" {
			t.Fatalf("first page: %d %s", first.Status, first.Body)
		}
		if r := e.do(t, tok, "GET", next, nil); r.Status != 400 {
			t.Fatalf("page 2 without ConsistencyLevel: %d, want 400 (real Graph refuses it)", r.Status)
		} else if code, _ := r.errorCode(t); code != "Request_UnsupportedQuery" {
			t.Fatalf("page 2 without ConsistencyLevel: code %q", code)
		}
		if r := e.do(t, tok, "GET", next, nil, "ConsistencyLevel", "eventual"); r.Status != 200 {
			t.Fatalf("page 2 with ConsistencyLevel: %d %s", r.Status, r.Body)
		}
	})

	t.Run("delta with and without parentheses", func(t *testing.T) {
		for _, start := range []string{"/users/delta()?$select=id", "/users/delta?$select=id"} {
			next, pages, items, deltaLink := start, 0, 0, ""
			for next != "" && pages < 10 {
				r := e.do(t, tok, "GET", next, nil)
				if r.Status != 200 {
					t.Fatalf("%s page %d: %d %s", start, pages+1, r.Status, r.Body)
				}
				var page struct {
					Next  string            `json:"@odata.nextLink"`
					Delta string            `json:"@odata.deltaLink"`
					Value []json.RawMessage `json:"value"`
				}
				if err := json.Unmarshal(r.Body, &page); err != nil {
					t.Fatal(err)
				}
				pages++
				items += len(page.Value)
				next, deltaLink = page.Next, page.Delta
				if next != "" && !strings.Contains(next, "$skiptoken=") || next != "" && deltaLink != "" {
					t.Fatalf("%s page %d: nextLink %q, deltaLink %q", start, pages, next, deltaLink)
				}
			}
			if items != 250 || pages < 3 || !strings.Contains(deltaLink, "$deltatoken=") {
				t.Fatalf("%s: %d users in %d pages, deltaLink %q", start, items, pages, deltaLink)
			}
		}
	})

	t.Run("every error carries code, message and request ids", func(t *testing.T) {
		cases := []struct {
			name, method, target, token string
			body                        []byte
			status                      int
		}{
			{"unknown segment", "GET", "/nothing", tok, nil, 400},
			{"method", "DELETE", "/users", tok, nil, 405},
			{"missing user", "GET", "/users/00000000-0000-4000-8000-000000000000", tok, nil, 404},
			{"page size", "GET", "/users?$top=1000", tok, nil, 400},
			{"skip", "GET", "/groups?$skip=5", tok, nil, 400},
			{"bad filter", "GET", "/users?$filter=displayName%20eq", tok, nil, 400},
			{"bad skiptoken", "GET", "/users?$skiptoken=garbage", tok, nil, 400},
			{"no token", "GET", "/users", "", nil, 401},
			{"bad token", "GET", "/users", "not-a-jwt", nil, 401},
			{"bad json", "POST", "/$batch", tok, []byte("{"), 400},
			{"batch too big", "POST", "/$batch", tok, bigBatch(21), 400},
		}
		for i, tc := range cases {
			crid := "crid-" + strconv.Itoa(i)
			r := e.do(t, tc.token, tc.method, tc.target, tc.body, "client-request-id", crid, "Content-Type", "application/json")
			checkError(t, tc.name, r, tc.status, crid)
		}
		// Errors made in front of the API: throttling and injected faults.
		e.control(t, "POST", "/knobs", map[string]any{"throttle_requests": 1, "throttle_window_ms": 60000}, nil)
		e.do(t, tok, "GET", "/users?$top=1", nil)
		r := e.do(t, tok, "GET", "/users?$top=1", nil, "client-request-id", "crid-429")
		checkError(t, "throttled", r, 429, "crid-429")
		if code, msg := r.errorCode(t); code != "TooManyRequests" || msg != "Please retry again later." {
			t.Errorf("throttled: %q %q", code, msg)
		}
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Errorf("throttled: Retry-After %q is not whole seconds", r.Header.Get("Retry-After"))
		}
		e.control(t, "POST", "/knobs", map[string]any{"throttle_requests": 0, "fault_rate": 1}, nil)
		r = e.do(t, tok, "GET", "/users?$top=1", nil, "client-request-id", "crid-5xx")
		if r.Status < 500 {
			t.Fatalf("fault rate 1 answered %d", r.Status)
		}
		checkError(t, "injected fault", r, r.Status, "crid-5xx")
		e.control(t, "POST", "/knobs", map[string]any{"fault_rate": 0}, nil)
	})
}

// checkError holds a response to Graph's error shape.
func checkError(t *testing.T, name string, r rawResponse, status int, crid string) {
	t.Helper()
	var b struct {
		Error struct {
			Code       *string `json:"code"`
			Message    *string `json:"message"`
			InnerError struct {
				Date     string `json:"date"`
				Request  string `json:"request-id"`
				ClientRq string `json:"client-request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if r.Status != status {
		t.Errorf("%s: status %d, want %d: %s", name, r.Status, status, r.Body)
		return
	}
	if err := json.Unmarshal(r.Body, &b); err != nil || b.Error.Code == nil || *b.Error.Code == "" || b.Error.Message == nil || *b.Error.Message == "" {
		t.Errorf("%s: error body without code or message (the SDK would panic): %s", name, r.Body)
		return
	}
	in := b.Error.InnerError
	if in.Date == "" || in.Request == "" || in.ClientRq != crid || r.Header.Get("client-request-id") != crid || r.Header.Get("request-id") == "" {
		t.Errorf("%s: request ids not echoed (want %q): %v %s", name, crid, r.Header, r.Body)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: Content-Type %q", name, r.Header.Get("Content-Type"))
	}
}

func bigBatch(n int) []byte {
	reqs := make([]map[string]string, n)
	for i := range reqs {
		reqs[i] = map[string]string{"id": strconv.Itoa(i), "method": "GET", "url": "/users?$top=1"}
	}
	b, _ := json.Marshal(map[string]any{"requests": reqs})
	return b
}
