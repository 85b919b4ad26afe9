package web

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// The least-used entries are rendered twice: in the bar (.nav-wide, shown from 1280 px) and in
// the "More" disclosure (shown below), each copy marked when it is the current page; More says
// when it holds the current page.
func TestNavMore(t *testing.T) {
	entries := func(s *goquery.Selection) string {
		var got []string
		s.Each(func(_ int, a *goquery.Selection) {
			got = append(got, a.Text()+"="+a.AttrOr("href", "")+"/"+a.AttrOr("aria-current", ""))
		})
		return strings.Join(got, " ")
	}
	l := baseLayout()
	l.Nav = []NavItem{
		{Label: "Overview", Href: "/"},
		{Label: "Health", Href: "/health", More: true, Active: true},
		{Label: "Users", Href: "/users"},
		{Label: "Jobs", Href: "/jobs", More: true},
	}
	d := render(t, ErrorPage(l, ErrorView{Status: 404, Heading: "Page not found"}))
	nav := d.Find("nav[aria-label=Main]")
	if got := entries(nav.ChildrenFiltered("ul").ChildrenFiltered("li").ChildrenFiltered("a")); got != "Overview=// Health=/health/page Users=/users/ Jobs=/jobs/" {
		t.Errorf("bar %q", got)
	}
	if got := nav.Find("li.nav-wide > a").Length(); got != 2 {
		t.Errorf("%d entries in the bar go behind More below 1280 px, want 2", got)
	}
	more := nav.Find("li.nav-more > details#nav-more")
	if more.Length() != 1 || more.Is("[open]") {
		t.Fatalf("More: %d, open %v", more.Length(), more.Is("[open]"))
	}
	if got := entries(more.Find("ul a")); got != "Health=/health/page Jobs=/jobs/" {
		t.Errorf("More holds %q", got)
	}
	if s := more.ChildrenFiltered("summary"); !s.HasClass("holds-current") || s.Text() != "More, holds the current page" || s.Find(".visually-hidden").Length() != 1 {
		t.Errorf("More's summary %q, class %q: want it marked as holding the current page", s.Text(), s.AttrOr("class", ""))
	}

	// Current page in the bar: More is not marked.
	l.Nav[1].Active, l.Nav[2].Active = false, true
	d = render(t, ErrorPage(l, ErrorView{Status: 404, Heading: "Page not found"}))
	if s := d.Find("#nav-more summary"); s.HasClass("holds-current") || s.Text() != "More" {
		t.Errorf("More's summary %q, class %q, with the current page in the bar", s.Text(), s.AttrOr("class", ""))
	}
	if got := d.Find("#nav-more a[aria-current]").Length(); got != 0 {
		t.Errorf("%d entries in More marked current", got)
	}

	// No least-used entry: no More.
	l.Nav = []NavItem{{Label: "Overview", Href: "/", Active: true}}
	d = render(t, ErrorPage(l, ErrorView{Status: 404, Heading: "Page not found"}))
	if d.Find("#nav-more, .nav-more, .nav-wide").Length() != 0 {
		t.Error("More shown without an entry for it")
	}
}
