package health

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// fakeGraph answers cleanup's writes with the error set for each key ("license:u" or
// "leave:g:u").
type fakeGraph struct {
	errs  map[string]error
	calls []string
}

func (f *fakeGraph) RemoveUserLicenses(_ context.Context, user string, _ []string) error {
	f.calls = append(f.calls, "license:"+user)
	return f.errs["license:"+user]
}

func (f *fakeGraph) RemoveGroupMember(_ context.Context, group, user string) error {
	f.calls = append(f.calls, "leave:"+group+":"+user)
	return f.errs["leave:"+group+":"+user]
}

// TestCleanUser: each user's outcome from what Graph answered to each step — done, already
// done (404, a license already gone), refused (403, a license now from a group), failed
// (Graph down), partly, and a dynamic group never written to.
func TestCleanUser(t *testing.T) {
	forbidden := &model.GraphError{Kind: model.GraphForbidden, Status: 403, Permission: "GroupMember.ReadWrite.All"}
	gone := &model.GraphError{Kind: model.GraphNotFound, Status: 404}
	noLicense := &model.GraphError{Kind: model.GraphBadRequest, Status: 400, Message: "User does not have a corresponding license."}
	inherited := &model.GraphError{Kind: model.GraphBadRequest, Status: 400, Message: "User license is inherited from a group membership and it cannot be removed directly from the user."}
	down := &model.GraphError{Kind: model.GraphTransient, Status: 503}
	lic := CleanupStep{Op: "license", SKUIDs: []string{"s"}, Name: "Office 365 E3"}
	leave := CleanupStep{Op: "leave", GroupID: "g", Name: "LIC-E3", Licenses: []string{"Office 365 E3"}}
	dyn := CleanupStep{Op: "leave", GroupID: "d", Name: "All", Dynamic: true}
	for _, tc := range []struct {
		name  string
		steps []CleanupStep
		errs  map[string]error
		want  string
		calls int
	}{
		{"both go", []CleanupStep{lic, leave}, nil, CleanupDone, 2},
		{"already gone", []CleanupStep{lic, leave}, map[string]error{"license:u": noLicense, "leave:g:u": gone}, CleanupDone, 2},
		{"refused", []CleanupStep{leave}, map[string]error{"leave:g:u": forbidden}, CleanupRefused, 1},
		{"now from a group", []CleanupStep{lic}, map[string]error{"license:u": inherited}, CleanupRefused, 1},
		{"Graph down", []CleanupStep{lic}, map[string]error{"license:u": down}, CleanupFailed, 1},
		{"one of two", []CleanupStep{lic, leave}, map[string]error{"leave:g:u": forbidden}, CleanupPartly, 2},
		{"dynamic only", []CleanupStep{dyn}, nil, CleanupSkipped, 0},
		{"dynamic and a direct one", []CleanupStep{lic, dyn}, nil, CleanupPartly, 1},
		{"a plain error", []CleanupStep{lic}, map[string]error{"license:u": errors.New("boom")}, CleanupFailed, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &fakeGraph{errs: tc.errs}
			s := &Service{Graph: g}
			out := s.cleanUser(context.Background(), model.JobItem{Seq: 3, Key: "u", Name: "Una"}, tc.steps)
			if out.Status != tc.want || out.Seq != 3 || len(g.calls) != tc.calls || out.Summary == "" {
				t.Errorf("status %q (want %q), %d calls (want %d), summary %q", out.Status, tc.want, len(g.calls), tc.calls, out.Summary)
			}
			if (tc.want == CleanupRefused || tc.want == CleanupFailed) && out.Fix == "" {
				t.Errorf("no fix for %q", out.Summary)
			}
		})
	}
}

func TestParseCleanup(t *testing.T) {
	for _, tc := range []struct {
		kinds  []string
		groups string
		ok     bool
	}{
		{[]string{"disabled"}, "", true}, {[]string{"guests", "disabled", "guests"}, "keep", true},
		{nil, "", false}, {[]string{"unassigned-units"}, "", false}, {[]string{"disabled"}, "delete", false},
		{[]string{"<script>"}, "", false}, {[]string{""}, "", false},
	} {
		kinds, groups, err := ParseCleanup(tc.kinds, tc.groups)
		if (err == nil) != tc.ok {
			t.Errorf("ParseCleanup(%q, %q) = %q, %q, %v", tc.kinds, tc.groups, kinds, groups, err)
		}
		if err == nil && (len(kinds) == 0 || groups == "") {
			t.Errorf("ParseCleanup(%q, %q) = %q, %q", tc.kinds, tc.groups, kinds, groups)
		}
	}
}

// fakeRereader records the users it was asked to read again.
type fakeRereader struct {
	ids    []string
	failed map[string]error
	err    error
}

func (f *fakeRereader) Reread(_ context.Context, ids []string) (map[string]error, []string, error) {
	f.ids = append(f.ids, ids...)
	return f.failed, nil, f.err
}

// TestCleanupRereadsChangedUsers: after a batch, the users a step changed are read again into
// the snapshot (those nothing happened to are not), and a failure to is a problem of the job,
// not a failed user.
func TestCleanupRereadsChangedUsers(t *testing.T) {
	lic := CleanupStep{Op: "license", SKUIDs: []string{"s"}, Name: "Office 365 E3"}
	dyn := CleanupStep{Op: "leave", GroupID: "d", Name: "All", Dynamic: true}
	params, err := json.Marshal(cleanupParams{Steps: map[string][]CleanupStep{"a": {lic}, "b": {lic}, "c": {dyn}}})
	if err != nil {
		t.Fatal(err)
	}
	items := []model.JobItem{{Seq: 1, Key: "a", Name: "Ada Lovelace"}, {Seq: 2, Key: "b", Name: "Bob"}, {Seq: 3, Key: "c", Name: "Cy"}}
	forbidden := &model.GraphError{Kind: model.GraphForbidden, Status: 403}
	rr := &fakeRereader{}
	s := &Service{Graph: &fakeGraph{errs: map[string]error{"license:b": forbidden}}, Rereader: rr}
	out, problems, err := s.runCleanup(context.Background(), model.Job{Params: string(params)}, items)
	if err != nil || len(out) != 3 || len(problems) != 0 {
		t.Fatalf("outcomes %+v, problems %q, %v", out, problems, err)
	}
	if !slices.Equal(rr.ids, []string{"a"}) {
		t.Errorf("re-read %q, want only the cleaned-up user a", rr.ids)
	}
	rr.ids, rr.err = nil, errors.New("disk full")
	_, problems, err = s.runCleanup(context.Background(), model.Job{Params: string(params)}, items)
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0], "disk full") {
		t.Errorf("a failed save: problems %q, %v", problems, err)
	}
	// Users Graph could not give are named, not by id: gone ones apart from the unread.
	rr.err = nil
	rr.failed = map[string]error{"a": &model.GraphError{Kind: model.GraphNotFound, Status: 404, Message: "Resource 'a' does not exist"}}
	_, problems, _ = s.runCleanup(context.Background(), model.Job{Params: string(params)}, items)
	if len(problems) != 1 || !strings.Contains(problems[0], "Gone from the directory") || !strings.Contains(problems[0], "Ada Lovelace") {
		t.Errorf("a user gone: %q", problems)
	}
	rr.failed = map[string]error{"a": &model.GraphError{Kind: model.GraphTransient, Status: 503}}
	_, problems, _ = s.runCleanup(context.Background(), model.Job{Params: string(params)}, items)
	if len(problems) != 1 || !strings.Contains(problems[0], "Could not be read again") || !strings.Contains(problems[0], "Ada Lovelace") {
		t.Errorf("a user not read: %q", problems)
	}
}
