package server

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tenantdesk/tenantdesk/internal/assign"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestReprocessOnlyMembersInErrorOfTheGroup(t *testing.T) {
	e := newLicEnv(t, true)
	e.dir.UserByID[uCount] = fixedUser(uCount, "Carla Count")
	stranger := "e0000000-0000-4000-8000-00000000dead"
	// Fiona is a member without an error; Dora is in error from another group; the stranger
	// is no member at all. Only Carla (upper-cased by a crafted form) is in error here.
	form := url.Values{"scope": {"selected"}, "user": {uFine, uDep, strings.ToUpper(uCount), stranger}}
	res := postForm(t, e.h, "/groups/"+groupLT+"/reprocess", form, "operator")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d: %s", res.StatusCode, res.body)
	}
	loc := waitJob(t, e.h, res.Header.Get("Location"), "operator")
	if len(e.dir.Reprocessed) != 1 || !slices.Equal(e.dir.Reprocessed[0], []string{uCount}) {
		t.Fatalf("Graph reprocessed %v, want only %s", e.dir.Reprocessed, uCount)
	}
	d := do(t, e.h, "GET", loc, http.Header{"X-Test-Role": {"operator"}}).doc(t)
	if n := d.Find("#outcomes tbody tr").Length(); n != 1 {
		t.Errorf("%d outcome rows, want 1", n)
	}
	warn := d.Find(".job-problem").Text()
	for _, id := range []string{uFine, uDep, stranger} {
		if !strings.Contains(warn, id) {
			t.Errorf("ignored %s not reported: %q", id, warn)
		}
	}
	if !strings.Contains(warn, "not a member in license error of this group") {
		t.Errorf("reason for ignoring missing: %q", warn)
	}
	var rep model.Activity
	for _, a := range e.act.list() {
		if a.Action == model.ActionReprocess {
			rep = a
		}
	}
	if !strings.Contains(rep.Detail, "1 user") || !strings.Contains(rep.Detail, stranger) {
		t.Errorf("activity detail %q", rep.Detail)
	}

	// Nobody left to reprocess: refused before Graph.
	res = postForm(t, e.h, "/groups/"+groupLT+"/reprocess", url.Values{"user": {uDep, stranger}}, "operator")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "None of the selected users") {
		t.Errorf("only non-members: %d", res.StatusCode)
	}
	if len(e.dir.Reprocessed) != 1 {
		t.Errorf("non-members reached Graph: %v", e.dir.Reprocessed)
	}
}

func TestSelectedUsersHostileForms(t *testing.T) {
	e := newLicEnv(t, false)
	many := make([]string, assign.MaxUsers+1)
	for i := range many {
		many[i] = fillerID(i)
	}
	for _, tc := range []struct {
		name    string
		form    url.Values
		ids     []string
		ignored []string
		msg     string // a substring of the refusal; "" when accepted
	}{
		{"scope all", url.Values{"scope": {"all"}, "user": {"ignored/with/all"}}, []string{uCount, uConflict, uLocation, uUnique, uOrphan}, nil, ""},
		{"nothing", url.Values{}, nil, nil, "Select at least one user"},
		{"blank", url.Values{"user": {"  ", ""}}, nil, nil, "is not a user object id"},
		{"path", url.Values{"user": {"../../users/x"}}, nil, nil, "is not a user object id"},
		{"query", url.Values{"user": {uCount + "?x=1"}}, nil, nil, "is not a user object id"},
		{"newline", url.Values{"user": {uCount + "\r\nX: y"}}, nil, nil, "is not a user object id"},
		{"backslash", url.Values{"user": {`a\b`}}, nil, nil, "is not a user object id"},
		{"invalid utf-8", url.Values{"user": {"\xc3\x28"}}, nil, nil, "is not a user object id"},
		{"too long", url.Values{"user": {strings.Repeat("9", model.MaxIDLen+1)}}, nil, nil, "is not a user object id"},
		{"too many", url.Values{"user": many}, nil, nil, "at most"},
		{"padded and repeated", url.Values{"user": {" " + uCount + " ", uCount, strings.ToUpper(uOrphan)}}, []string{uCount, uOrphan}, nil, ""},
		{"markup", url.Values{"user": {"<script>alert(1)</script>"}}, nil, nil, "is not a user object id"},
		{"markup without slash", url.Values{"user": {"<b>x<b>", uCount}}, []string{uCount}, []string{"<b>x<b>"}, ""},
		{"sql", url.Values{"user": {"x' OR '1'='1"}}, nil, nil, "is not a user object id"}, // has spaces
		{"sql without spaces", url.Values{"user": {"x'OR'1'='1", uUnique}}, []string{uUnique}, []string{"x'OR'1'='1"}, ""},
		{"other group", url.Values{"user": {uDep}}, nil, []string{uDep}, "None of the selected users"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, ignored, msg := selectUsers(e.srv, tc.form, groupLT)
			if tc.msg != "" {
				if !strings.Contains(msg, tc.msg) || ids != nil {
					t.Errorf("msg %q, ids %v; want a refusal with %q", msg, ids, tc.msg)
				}
				if !utf8.ValidString(msg) || len(msg) > 400 {
					t.Errorf("refusal is not short valid text: %q", msg)
				}
				return
			}
			slices.Sort(ids)
			want := slices.Sorted(slices.Values(tc.ids))
			if msg != "" || !slices.Equal(ids, want) || !slices.Equal(ignored, tc.ignored) {
				t.Errorf("got %v ignored %v (%q), want %v ignored %v", ids, ignored, msg, want, tc.ignored)
			}
		})
	}
}

func FuzzSelectedUsers(f *testing.F) {
	for _, s := range []string{"", "all", uCount, uCount + "\n" + uOrphan, strings.ToUpper(uUnique), "a/b", "\xff", " \t", "<b>", uDep} {
		f.Add(s, "selected")
	}
	f.Add("", "all")
	s, err := New(testDeps(f, openLicStore(f), nil))
	if err != nil {
		f.Fatal(err)
	}
	inError := map[string]bool{uCount: true, uConflict: true, uLocation: true, uUnique: true, uOrphan: true}
	f.Fuzz(func(t *testing.T, users, scope string) {
		form := url.Values{"scope": {scope}, "user": strings.Split(users, "\n")}
		ids, ignored, msg := selectUsers(s, form, groupLT)
		if msg != "" {
			if ids != nil {
				t.Fatalf("refused with ids %v", ids)
			}
			return
		}
		if len(ids) == 0 || len(ids) > assign.MaxUsers {
			t.Fatalf("accepted %d ids", len(ids))
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if !inError[id] || seen[id] {
				t.Fatalf("ids %v: %q is not a member in error, or repeated", ids, id)
			}
			seen[id] = true
		}
		for _, id := range ignored {
			if inError[strings.ToLower(id)] || !utf8.ValidString(id) || strings.ContainsAny(id, "/?#\\ \t\r\n") {
				t.Fatalf("ignored %q", id)
			}
		}
	})
}

// selectUsers is what a reprocess form selects of group: the form read as the handler reads it,
// then checked by the operations as ReprocessGroup checks it. msg is the refusal, "" when none.
func selectUsers(s *Server, form url.Values, group string) (ids, ignored []string, msg string) {
	sel, err := reprocessSelection(form)
	if err == nil {
		ids, ignored, err = s.ops.(*assign.Service).SelectGroupUsers(context.Background(), group, sel.All, sel.Users)
	}
	if err != nil {
		return nil, nil, err.Error()
	}
	return ids, ignored, ""
}
