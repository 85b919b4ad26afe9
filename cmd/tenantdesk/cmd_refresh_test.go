package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/tenantsim"
	"github.com/tenantdesk/tenantdesk/internal/tenantsim/simtest"
)

func TestRefreshUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"refresh", "-mode", "sometimes"},
		{"refresh", "stray"},
	} {
		var errOut bytes.Buffer
		err := run(context.Background(), testEnv(map[string]string{"TENANTDESK_DATA_DIR": t.TempDir()}, io.Discard, &errOut), args)
		if !errors.Is(err, errUsage) || errOut.Len() == 0 {
			t.Errorf("%q: err %v, stderr %q; want a usage error that says why", args, err, errOut.String())
		}
	}
}

// The first refresh is a full sync; -mode auto then reads only what changed, -mode full the
// whole tenant again; the output says which.
func TestRefreshModes(t *testing.T) {
	ctx := context.Background()
	sim := simtest.Start(t, tenantsim.Options{Config: tenantsim.Config{Seed: 3, Users: 300, Groups: 30, LicensedGroups: 10}})
	vars := simVars(sim.Info(), t.TempDir())
	vars["TENANTDESK_LOG_LEVEL"] = "error"
	cli := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, testEnv(vars, &out, io.Discard), args); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		return out.String()
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"refresh", "-mode", "incremental"}, "snapshot taken (full sync)"}, // nothing to refresh yet
		{[]string{"refresh"}, "snapshot refreshed incrementally"},
		{[]string{"refresh", "-mode", "full"}, "full sync: a full sync was asked for"},
	} {
		if out := cli(c.args...); !strings.Contains(out, c.want) {
			t.Errorf("%q printed %q, want %q", c.args, out, c.want)
		}
	}
}
