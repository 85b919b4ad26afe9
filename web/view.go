// Package web holds tenantdesk's HTML: templ components (one layout, one component per page
// and per table) and the typed view models they render. It does no I/O and knows nothing of
// HTTP routing: internal/server builds the view models, including every URL, and renders them.
package web

import (
	"time"

	"github.com/tenantdesk/tenantdesk/internal/model"
)

// Layout is what every page shows around its content: navigation, data age, sync state.
type Layout struct {
	Title   string // page title, without the product name
	Nav     []NavItem
	Now     time.Time
	Version string
	// Assets maps a static file name ("app.css") to its content-hashed URL.
	Assets map[string]string
	// DataAsOf is when the current snapshot was taken; zero when there is none yet.
	DataAsOf time.Time
	Sync     SyncView
	// DataKind is how the current data was last refreshed: model.SyncFull or
	// model.SyncIncremental ("" when not known); DataFullAt is when the full sync it was carried
	// forward from began.
	DataKind   string
	DataFullAt time.Time
	// RefreshAction is the URL the refresh form posts to; "" hides the refresh control.
	RefreshAction string
	// ProgressURL is polled by app.js while a refresh runs.
	ProgressURL string
	// SearchAction is where the navigation's user search box submits; "" hides it until the
	// user pages exist.
	SearchAction string
	// User is the signed-in person, shown with a sign-out button; zero when nobody is
	// signed in (or sign-in is off).
	User SignedInUser
	// Bare shows only the brand (and the user, if any): for people who may see nothing else
	// (anonymous, or signed in without a role).
	Bare bool
}

// AssetURL returns the content-hashed URL of a static file, falling back to an unhashed path
// so a missing map entry still yields a working (if uncached) link.
func (l Layout) AssetURL(name string) string {
	if u, ok := l.Assets[name]; ok {
		return u
	}
	return "/static/" + name
}

// FullTitle is the document title.
func (l Layout) FullTitle() string {
	if l.Title == "" {
		return "tenantdesk"
	}
	return l.Title + " · tenantdesk"
}

// NavItem is one entry of the navigation. Only routes that exist get an item.
type NavItem struct {
	Label  string
	Href   string
	Active bool
	// More puts the entry, one of the least used, behind the "More" disclosure below 1280 px
	// (see MoreNav); from 1280 px every entry is in the bar.
	More bool
}

// SyncView is the state of refreshes as the page shows it.
type SyncView struct {
	Running  bool
	Kind     string // of the running refresh: model.SyncFull or model.SyncIncremental, "" until known
	Phase    string
	Done     int
	Total    int
	Started  time.Time
	LastFail *SyncFailure // set when the most recent finished sync failed
}

// SyncFailure describes the last failed refresh for the banner shown on every page.
type SyncFailure struct {
	At    time.Time
	Error string
}

// OverviewView is the start page.
type OverviewView struct {
	HasData  bool
	Overview model.Overview
	// Attention lists what a helpdesk person should look at, most urgent first.
	ErrorGroups        []GroupLink // groups with license errors, most errors first
	ErrorGroupsMore    string      // link to the full filtered report; "" when all are listed
	PendingGroups      []GroupLink // groups whose licenses are not fully processed
	PendingGroupsMore  string
	FullSKUs           []SKUView // no units left
	NearlyFullSKUs     []SKUView
	WarningSKUs        []SKUView // capability status other than Enabled, or units in warning
	SKUs               []SKUView // every subscribed SKU
	ReportURL          string
	ReportWithErrorURL string
	// The lists behind the other totals.
	UsersURL, LicensedUsersURL, ErrorsURL, NotProcessedURL, LicensesURL string
}

// GroupLink is a group named and linked, with the figure that put it on a list.
type GroupLink struct {
	ID              string
	Name            string
	Href            string
	Errors          int
	Members         int
	ProcessingState string
}

// SKUView is a subscribed SKU with the figures the overview shows.
type SKUView struct {
	ID         string
	Name       string
	PartNumber string
	Status     string // capabilityStatus
	Consumed   int
	Enabled    int // prepaid enabled units
	Warning    int // prepaid units in warning (grace period)
	Suspended  int
	Available  int
	// Purchased is what users may hold, as Microsoft counts it: enabled units and those in
	// their grace period (licensing.Purchased).
	Purchased int
	Href      string // the SKU's page in the license report
}

// GroupReportView is one page of the group license report.
type GroupReportView struct {
	HasData    bool
	Search     string
	OnlyErrors bool
	Sort       string
	Desc       bool
	PageSize   int
	PageSizes  []int
	Columns    []Column
	Rows       []GroupRow
	Total      int // rows matching, over all pages
	Pager      Pager
	FormAction string
	// Hidden are the query parameters the filter form carries along (sort order).
	Hidden   []Param
	CSVURL   string
	ClearURL string // the report without search or filter, keeping sort and size
	Problem  *FormProblem
}

// Param is one query parameter.
type Param struct{ Name, Value string }

// Column is a header of the report table with the link that sorts by it.
type Column struct {
	Key     string
	Label   string
	Href    string // sorts by this column (toggling direction when already sorted by it)
	Sorted  bool
	Desc    bool
	Numeric bool
}

// AriaSort is the header's aria-sort value.
func (c Column) AriaSort() string {
	switch {
	case !c.Sorted:
		return "none"
	case c.Desc:
		return "descending"
	}
	return "ascending"
}

// GroupRow is one row of the report.
type GroupRow struct {
	ID              string
	Name            string
	Href            string
	Members         int
	Users           int
	Errors          int
	ErrorsHref      string // the group page's error list
	Licenses        []model.NamedSKU
	ProcessingState string
}

// Pager is the pagination of a table.
type Pager struct {
	Page     int
	Pages    int
	First    int // 1-based index of the first row shown; 0 when there are none
	Last     int
	Total    int
	PrevHref string // "" on the first page
	NextHref string // "" on the last page
	Links    []PageLink
}

// PageLink is one entry of the pager's numbered links; Gap marks an ellipsis.
type PageLink struct {
	Page    int
	Href    string
	Current bool
	Gap     bool
}

// FormProblem is input a form sent that cannot be used, shown beside that form (the page is
// answered 400) so the person can correct it where they typed it.
type FormProblem struct {
	Message string
	Details []string // one line per problem, when there are several
}

// ErrorView is an error page (400, 404, 405, 500, 503).
type ErrorView struct {
	Status  int
	Heading string
	Message string
	// Details lists what exactly was wrong, e.g. each invalid query parameter.
	Details []string
	BackURL string
	// BackLabel is the back link's words ("All licensed groups"); "Back" when empty.
	BackLabel string
	// CorrelationID names the request in the server's log, so a 500 can be looked up.
	CorrelationID string
	// RetryAfter is when to try again a 503 (throttled or unavailable Graph); 0 when no time
	// was named.
	RetryAfter time.Duration
}

// RetryText says when to try again: "in 30s", or "in a moment" when no time was named.
func (v ErrorView) RetryText() string {
	if v.RetryAfter <= 0 {
		return "in a moment"
	}
	return "in " + v.RetryAfter.Round(time.Second).String()
}
