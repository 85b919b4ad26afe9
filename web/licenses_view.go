package web

// View models of the license report: every SKU (/licenses) and one SKU's holders
// (/licenses/{sku}).

// LicensesView is the list of subscribed SKUs.
type LicensesView struct {
	HasData  bool
	Rows     []SKURow
	CSVURL   string // every SKU's holders in one CSV
	ZipURL   string // one CSV per SKU
	UsersURL string // one row per user, every license
}

// SKURow is one subscribed SKU with its units as Microsoft counts them.
type SKURow struct {
	ID, Name, PartNumber string
	Href                 string
	Status               string
	Enabled, Warning     int
	Suspended, LockedOut int
	Purchased, Consumed  int
	Available, Percent   int
	Holders              int
	Direct, FromGroups   int
	Both, InError        int
	Warnings             []SKUWarningView
	Groups               []GroupLink
	Spark                string // polyline points of the use over the last 90 days; "" without history
	SparkTitle           string
}

// SKUWarningView is one warning of a SKU.
type SKUWarningView struct {
	Kind, Text string
}

// SKUPageView is one SKU: its facts, its use over time and a page of its holders.
type SKUPageView struct {
	SKU         SKURow
	ListURL     string
	Chart       ChartView
	Ranges      []RangeLink // 30, 90, 365 days
	FormAction  string
	Choices     []ColumnChoice // the column picker
	Account     []Option
	Source      []Option
	InError     bool
	Departments []Option
	Locations   []Option
	Hidden      []Param // sort, direction and range, carried by the form
	PageSizes   []int
	PageSize    int
	Columns     []Column // of the table, in order, each with the link that sorts by it
	Rows        []HolderRow
	Total       int
	Pager       Pager
	CSVURL      string // exactly this view, every page
	ClearURL    string
	Problem     *FormProblem
}

// RangeLink is one choice of the chart's period.
type RangeLink struct {
	Days    int
	Href    string
	Current bool
}

// ColumnChoice is one column of the picker.
type ColumnChoice struct {
	Name, Label string
	Checked     bool
	License     bool
}

// HolderRow is one holder, a cell per column.
type HolderRow struct {
	UserID  string
	InError bool
	Cells   []HolderCell
}

// HolderCell is one cell: text, and for the name and the groups, links.
type HolderCell struct {
	Text  string
	Href  string // the user's page, for the name
	Links []Link // the assigning groups, for the assignment
	Class string
}

// Link is a named link.
type Link struct {
	Text, Href, Title string
}
