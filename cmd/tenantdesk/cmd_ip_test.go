package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/testkit"
)

// ipSharedDir finds shared/data/ipranges by walking up from the package directory.
func ipSharedDir(t *testing.T) string {
	t.Helper()
	return testkit.SharedData(t, "ipranges")
}

func TestIPImportThenLookupJSON(t *testing.T) {
	vars := map[string]string{"TENANTDESK_DATA_DIR": t.TempDir()}
	ctx := context.Background()

	// Before any data: the lookup says so instead of claiming "not Microsoft".
	var out, errOut bytes.Buffer
	if err := run(ctx, testEnv(vars, &out, &errOut), []string{"ip", "lookup", "52.112.0.1"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "cannot tell") || !strings.Contains(errOut.String(), "tenantdesk ip refresh") {
		t.Errorf("lookup without data:\n%s\n%s", out.String(), errOut.String())
	}

	out.Reset()
	errOut.Reset()
	if err := run(ctx, testEnv(vars, &out, &errOut), []string{"ip", "import", ipSharedDir(t)}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "updated"); n != 7 {
		t.Errorf("import printed %d updated sources, want 7:\n%s", n, out.String())
	}
	// It says which database it wrote to, and that a running server picks it up.
	if db := filepath.Join(vars["TENANTDESK_DATA_DIR"], "tenantdesk.db"); !strings.Contains(errOut.String(), "stored in "+db) ||
		!strings.Contains(errOut.String(), "without a restart") {
		t.Errorf("import did not name its database %s:\n%s", db, errOut.String())
	}

	out.Reset()
	line := "Jul 20 10:11:12 fw1 DENY src=10.1.2.3 dst=52.112.0.1:3478 proto=udp host=teams.microsoft.com"
	if err := run(ctx, testEnv(vars, &out, io.Discard), []string{"ip", "lookup", "-json", line}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Query string `json:"query"`
		Items []struct {
			Input     string `json:"input"`
			Address   string `json:"address"`
			Host      string `json:"host"`
			Microsoft bool   `json:"microsoft"`
			Matches   []struct {
				Kind   string `json:"kind"`
				Prefix string `json:"prefix"`
				M365   *struct {
					Instance string `json:"instance"`
					ID       int    `json:"id"`
					Category string `json:"category"`
					Required bool   `json:"required"`
				} `json:"m365"`
			} `json:"matches"`
		} `json:"items"`
		Sources []struct {
			Instance string `json:"instance"`
			Version  string `json:"version"`
		} `json:"sources"`
		HasData bool `json:"hasData"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if got.Query != line || !got.HasData || len(got.Sources) != 7 || len(got.Items) != 3 {
		t.Fatalf("query %q hasData %v sources %d items %d", got.Query, got.HasData, len(got.Sources), len(got.Items))
	}
	if it := got.Items[0]; it.Address != "10.1.2.3" || it.Microsoft {
		t.Errorf("private address: %+v", it)
	}
	teams := got.Items[1]
	if teams.Address != "52.112.0.1" || teams.Input != "52.112.0.1:3478" || !teams.Microsoft {
		t.Fatalf("Teams address: %+v", teams)
	}
	sets := map[int]string{}
	for _, m := range teams.Matches {
		if m.M365 != nil && m.M365.Instance == "Worldwide" && m.M365.Required && m.Prefix == "52.112.0.0/14" {
			sets[m.M365.ID] = m.M365.Category
		}
	}
	if sets[11] != "Optimize" || sets[12] != "Allow" {
		t.Errorf("Teams sets: %v", sets)
	}
	if it := got.Items[2]; it.Host != "teams.microsoft.com" || !it.Microsoft {
		t.Errorf("host: %+v", it)
	}

	// The readable table, from stdin.
	out.Reset()
	e := testEnv(vars, &out, io.Discard)
	e.stdin = strings.NewReader("2603:1063::1\n10.0.0.1\n")
	if err := run(ctx, e, []string{"ip", "lookup", "-"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2603:1063::1\n", "M365 Worldwide", "Microsoft Teams", "Optimize, required", "10.0.0.1\n  not a Microsoft address", "Azure Public"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestIPCommandMistakes(t *testing.T) {
	vars := map[string]string{"TENANTDESK_DATA_DIR": t.TempDir()}
	for _, args := range [][]string{{"ip"}, {"ip", "frobnicate"}, {"ip", "lookup"}, {"ip", "import"}, {"ip", "refresh", "extra"}, {"ip", "lookup", "-nope", "1.1.1.1"}} {
		var errOut bytes.Buffer
		if err := run(context.Background(), testEnv(vars, io.Discard, &errOut), args); !errors.Is(err, errUsage) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
		if errOut.Len() == 0 {
			t.Errorf("%q: nothing printed", args)
		}
	}
	// Text without an address is an error that says so; a bad file is refused.
	if err := run(context.Background(), testEnv(vars, io.Discard, io.Discard), []string{"ip", "lookup", "hello world"}); err == nil || !strings.Contains(err.Error(), "no IP address") {
		t.Errorf("lookup of text without addresses: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(bad, []byte(`{"not":"service tags"}`), 0o600)
	var out bytes.Buffer
	if err := run(context.Background(), testEnv(vars, &out, io.Discard), []string{"ip", "import", bad}); err == nil || !strings.Contains(out.String(), "failed") {
		t.Errorf("bad import: err %v, output %q", err, out.String())
	}
}
