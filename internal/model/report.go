package model

import "time"

// NamedSKU is a SKU id with the best name known for it: the friendly product name from
// Microsoft's catalog, else the tenant's skuPartNumber, else the GUID itself.
type NamedSKU struct {
	ID   string
	Name string
}

// GroupReportQuery selects, orders and pages the group license report. Every field travels in
// the page's URL so a view can be bookmarked.
type GroupReportQuery struct {
	Search     string // substring of display name or object id, case-insensitive
	Sort       string // one of the GroupSort* columns; "" means GroupSortName
	Desc       bool
	OnlyErrors bool
	Page       int // 1-based; values below 1 mean 1
	PageSize   int // values below 1 mean the default
}

// Sortable columns of the group license report.
const (
	GroupSortName       = "name"
	GroupSortID         = "id"
	GroupSortMembers    = "members"
	GroupSortErrors     = "errors"
	GroupSortLicenses   = "licenses"
	GroupSortProcessing = "processing"
)

// GroupReportRow is one licensed group in the report.
type GroupReportRow struct {
	ID              string
	DisplayName     string
	MemberCount     int // every direct member
	UserCount       int // direct members that are users
	ErrorCount      int // members with a license error from this group
	ProcessingState string
	Licenses        []NamedSKU
}

// GroupReportPage is one page of the report plus the totals a pager needs.
type GroupReportPage struct {
	Rows     []GroupReportRow
	Total    int // rows matching the query, over all pages
	Page     int
	PageSize int
}

// Pages is the number of pages of the whole result.
func (p GroupReportPage) Pages() int { return Pages(p.Total, p.PageSize) }

// Pages is how many pages of size rows total rows take: at least one, so an empty list still
// has a page to show.
func Pages(total, size int) int {
	if size <= 0 || total <= 0 {
		return 1
	}
	return (total + size - 1) / size
}

// Sync run statuses.
const (
	SyncRunning   = "running"
	SyncSucceeded = "succeeded"
	SyncFailed    = "failed"
	SyncCancelled = "cancelled"
)

// SyncRun is one attempt to take a snapshot of the tenant.
type SyncRun struct {
	ID         int64
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	Status     string
	Error      string
	Users      int
	Groups     int
	SKUs       int
	Requests   int64
	// Kind is SyncFull or SyncIncremental (what the run did, set once it knows).
	Kind string
	// Note says more about how the run went, e.g. why a full sync ran instead of an incremental
	// refresh, or what an incremental refresh read.
	Note string
}

// Kinds of refresh: a full sync reads the whole tenant into a new snapshot; an incremental
// refresh reads what changed since the last one and patches the current snapshot in place.
const (
	SyncFull        = "full"
	SyncIncremental = "incremental"
)

// SyncProgress is what a running sync has done so far.
type SyncProgress struct {
	Running  bool
	Kind     string // SyncFull or SyncIncremental once the running refresh knows which it is
	Phase    string // e.g. "licenses", "groups", "users", "member counts", "saving"
	Done     int
	Total    int // 0 when not known yet
	Requests int64
	Started  time.Time
	LastRun  *SyncRun // the most recent finished run, if any
}

// Overview is the tenant's totals for the start page.
type Overview struct {
	SnapshotAt         time.Time
	Users              int
	LicensedUsers      int
	UsersWithErrors    int
	LicensedGroups     int
	GroupsWithErrors   int
	GroupsNotProcessed int // processing state other than ProcessingComplete
	SKUs               []SKUUsage
}

// SKUUsage is a subscribed SKU with its name and utilisation.
type SKUUsage struct {
	SKU
	Name string
}

// NamedPlan is a service plan id with the best name known for it.
type NamedPlan struct {
	ID   string
	Name string
}

// TemplateLicense is one license of a group's template, named, with its disabled plans named.
type TemplateLicense struct {
	SKU           NamedSKU
	DisabledPlans []NamedPlan
}

// GroupDetail is what the snapshot knows of one licensed group.
type GroupDetail struct {
	GroupReportRow
	Description     string
	GroupTypes      []string
	SecurityEnabled bool
	MailEnabled     bool
	MembershipRule  string
	Template        []TemplateLicense
	SnapshotAt      time.Time
}
