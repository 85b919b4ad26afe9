package web

import (
	"strconv"
	"strings"
	"time"
)

// JobView is a background job's page: what it does, how far it is, each item's outcome.
type JobView struct {
	ID          int64
	Title       string
	Kind        string // the kind in words ("Reprocess")
	State       string // model.JobState
	StateLabel  string
	By          string
	Created     time.Time
	Started     time.Time
	Finished    time.Time
	Resumes     int
	Total, Done int
	Summary     string
	Error       string
	Problems    []string
	Counts      []JobCount // by status, for the filter
	BackURL     string     // the group (or other target) it acts on
	BackLabel   string
	NextURL     string // what follows the job once it ended (the processing of the groups it changed)
	NextLabel   string
	Noun        string // an item: "user" ("" means user), "group", "step"
	Items       []JobItemRow
	Pager       Pager
	Status      string // the status filter, "" for all
	FilterURL   string
	CSVURL      string
	ProgressURL string
}

// Running reports whether the job is still to finish (queued or running).
func (v JobView) Running() bool { return v.State == "queued" || v.State == "running" }

// Percent is how much of the job is done, 0-100.
func (v JobView) Percent() int {
	if v.Total == 0 {
		return 100
	}
	return v.Done * 100 / v.Total
}

// JobCount is how many items have one status.
type JobCount struct {
	Status, Label string
	Count         int
	OK            bool // a status of items that went as asked
	URL           string
	Current       bool
}

// JobItemRow is one item and its outcome.
type JobItemRow struct {
	Key, Name   string
	Href        string // the user's page, when the snapshot has them
	Status      string
	StatusLabel string
	OK          bool
	Summary     string
	Fix         string
	DoneAt      time.Time
}

// JobsView is the list of recent jobs.
type JobsView struct {
	Jobs  []JobRow
	Pager Pager
}

// JobRow is a job in a list (the jobs page, a group's page).
type JobRow struct {
	ID          int64
	URL         string
	Title       string
	StateLabel  string
	State       string
	Done, Total int
	Summary     string
	By          string
	Created     time.Time
	Failed      bool
}

// Running reports whether the job is still to finish.
func (r JobRow) Running() bool { return r.State == "queued" || r.State == "running" }

// Progress is "12 of 25".
func (r JobRow) Progress() string {
	return Number(r.Done) + " of " + Number(r.Total)
}

func jobIDText(id int64) string { return strconv.FormatInt(id, 10) }

func (v JobView) noun() string {
	if v.Noun == "" {
		return "user"
	}
	return v.Noun
}

// ItemHeading heads the items' column: "User", "Group", "Step".
func (v JobView) ItemHeading() string {
	n := v.noun()
	return strings.ToUpper(n[:1]) + n[1:]
}
