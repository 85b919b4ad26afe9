package server

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tenantdesk/tenantdesk/internal/live"
	"github.com/tenantdesk/tenantdesk/internal/model"
)

func TestParseMemberQuery(t *testing.T) {
	long := strings.Repeat("ä", 150) // 300 bytes
	for _, tc := range []struct {
		raw  string
		want memberQuery
	}{
		{"", memberQuery{Page: 1}},
		{"mq=carla&mtype=user&mpage=3", memberQuery{Search: "carla", Type: model.ObjectUser, Page: 3}},
		{"mq=++carla%09", memberQuery{Search: "carla", Page: 1}},
		{"mq=a%00b%1b%7fc", memberQuery{Search: "abc", Page: 1}},
		{"mq=%ff%fe%C3%84rzte", memberQuery{Search: "Ärzte", Page: 1}},
		{"mq=%3Cscript%3E", memberQuery{Search: "<script>", Page: 1}},
		{"mq=" + url.QueryEscape(long), memberQuery{Search: strings.Repeat("ä", 100), Page: 1}},
		{"mq=" + strings.Repeat("a", 199) + "%C3%A4", memberQuery{Search: strings.Repeat("a", 199), Page: 1}}, // ä would straddle byte 200
		{"mq=" + strings.Repeat("a", 199) + "+b", memberQuery{Search: strings.Repeat("a", 199), Page: 1}},     // no trailing space
		{"mtype=USER", memberQuery{Page: 1}},
		{"mtype=robot", memberQuery{Page: 1}},
		{"mtype=user&mtype=group", memberQuery{Type: model.ObjectUser, Page: 1}},
		{"mpage=0", memberQuery{Page: 1}},
		{"mpage=-3", memberQuery{Page: 1}},
		{"mpage=two", memberQuery{Page: 1}},
		{"mpage=1e3", memberQuery{Page: 1}},
		{"mpage=99999999999999999999999", memberQuery{Page: 1}},
		{"mpage=9223372036854775807", memberQuery{Page: maxPage}},
	} {
		v, err := url.ParseQuery(tc.raw)
		if err != nil {
			t.Fatalf("%s: %v", tc.raw, err)
		}
		if got := parseMemberQuery(v); got != tc.want {
			t.Errorf("parseMemberQuery(%s) = %+v, want %+v", tc.raw, got, tc.want)
		}
	}
}

func FuzzParseMemberQuery(f *testing.F) {
	for _, s := range []string{"", "mq=carla&mtype=user&mpage=2", "mq=%ff%00", "mq=" + strings.Repeat("%C3%A4", 150), "mpage=-1", "mpage=9223372036854775807", "mtype=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw)
		q := parseMemberQuery(v)
		if !utf8.ValidString(q.Search) || len(q.Search) > maxMemberSearch || q.Search != strings.TrimSpace(q.Search) {
			t.Fatalf("search %q", q.Search)
		}
		if strings.IndexFunc(q.Search, unicode.IsControl) >= 0 {
			t.Fatalf("search %q keeps a control character", q.Search)
		}
		if q.Page < 1 || q.Page > maxPage {
			t.Fatalf("page %d", q.Page)
		}
		known := false
		for _, mt := range memberTypes {
			known = known || mt.value == q.Type
		}
		if !known {
			t.Fatalf("type %q", q.Type)
		}
		// The view built from it never panics and pages within bounds.
		mv := membersView("g", live.Group{MembersAt: testNow}, q, v)
		if mv.Pager.Page != 1 {
			t.Fatalf("empty list on page %d", mv.Pager.Page)
		}
	})
}
