// Package testkit holds what tests across tenantdesk share: THE settable clock, plain HTTP
// calls (to the simulated tenant or any server), the switch that keeps slow tests out of
// `go test -short`, the way to the real Microsoft files in ../shared/data and to the shared
// documents (GRAPH.md's permission table), and reading the CSV and ZIP files the product writes
// back as a person's tools would. Only tests import it; it imports nothing of the app.
package testkit

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Slow skips t under `go test -short`: integration and browser tests start servers and
// simulators, and -short runs the unit tests only.
func Slow(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: " + what)
	}
}

// Response is a plain HTTP answer, read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request with client and reads the answer. token, if not empty, goes as a bearer
// token; headers come in name, value pairs. A transport error fails the test.
func Do(tb testing.TB, client *http.Client, method, target, token string, body []byte, headers ...string) Response {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: reading the answer: %v", method, target, err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// JSON decodes the body as one JSON object (a collection, an error).
func (r Response) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		tb.Fatalf("body is not a JSON object (%d): %v: %.300s", r.Status, err, r.Body)
	}
	return m
}

// AppToken gets a Microsoft Graph app token from the token endpoint at tokenURL by the
// client-credentials grant, as curl would.
func AppToken(tb testing.TB, client *http.Client, tokenURL, clientID, secret string) string {
	tb.Helper()
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret},
		"scope": {"https://graph.microsoft.com/.default"},
	}
	res, err := client.PostForm(tokenURL, form)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != 200 || tok.AccessToken == "" {
		tb.Fatalf("token: %d, %v", res.StatusCode, err)
	}
	return tok.AccessToken
}

// SharedData returns the path of rel inside shared/data (the real Microsoft files tests and
// benchmarks read: licensing catalog, Microsoft 365 endpoint sets, Azure service tags; the
// product never embeds them, it downloads the current files), found by walking up from the test's working
// directory. Without the folder the test is skipped — unless CI is set or
// TENANTDESK_DATA_TESTS=required, where a missing file must fail rather than pass unseen.
func SharedData(tb testing.TB, rel string) string {
	tb.Helper()
	return sharedFile(tb, filepath.Join("data", rel))
}

// SharedDoc is SharedData for the shared documents next to shared/data (GRAPH.md, DESIGN.md),
// which tests hold the code against.
func SharedDoc(tb testing.TB, name string) string {
	tb.Helper()
	return sharedFile(tb, name)
}

func sharedFile(tb testing.TB, rel string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if os.Getenv("CI") != "" || os.Getenv("TENANTDESK_DATA_TESTS") == "required" {
		tb.Fatalf("shared/%s not found above the package directory (required in CI)", filepath.ToSlash(rel))
	}
	tb.Skipf("shared/%s not found above the package directory; set TENANTDESK_DATA_TESTS=required to make this a failure", filepath.ToSlash(rel))
	return ""
}

// GraphPermissionTable reads the table "Application permissions per call" of the shared
// GRAPH.md (see SharedDoc): each call as its first column names it, without backticks, and the
// permissions of which any one suffices, least privileged first ("A plus B" rows list both,
// which are needed together). Bold and parenthesised remarks and what follows the first full
// stop are left out.
func GraphPermissionTable(tb testing.TB) map[string][]string {
	tb.Helper()
	b, err := os.ReadFile(SharedDoc(tb, "GRAPH.md"))
	if err != nil {
		tb.Fatal(err)
	}
	rows := map[string][]string{}
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## ") {
			in = strings.HasPrefix(line, "## Application permissions per call")
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), "|")
		if len(cells) != 2 {
			tb.Fatalf("GRAPH.md permission row with %d cells: %s", len(cells), line)
		}
		call := strings.TrimSpace(strings.ReplaceAll(cells[0], "`", ""))
		text := remarkRE.ReplaceAllString(strings.ReplaceAll(cells[1], "**", ""), "")
		if i := strings.Index(text, ". "); i >= 0 {
			text = text[:i]
		}
		var perms []string
		for _, p := range strings.Split(text, ",") {
			for _, q := range strings.Split(strings.TrimSuffix(strings.TrimSpace(p), "."), " plus ") {
				q = strings.TrimSpace(q)
				if !permissionRE.MatchString(q) {
					tb.Fatalf("GRAPH.md row %q: %q is not a permission name", call, q)
				}
				perms = append(perms, q)
			}
		}
		rows[call] = perms
	}
	if len(rows) == 0 {
		tb.Fatal(`GRAPH.md has no rows under "## Application permissions per call"`)
	}
	return rows
}

var (
	remarkRE     = regexp.MustCompile(`\([^)]*\)`)
	permissionRE = regexp.MustCompile(`^[A-Z][A-Za-z]+(\.[A-Za-z]+)+$`)
)
