package model

import "time"

// JobState is where a background job is.
type JobState string

// States of a job. Queued and running jobs are unfinished: after a restart they are taken up
// again (resumed) or, for kinds that must not repeat work, marked interrupted.
const (
	JobQueued      JobState = "queued"
	JobRunning     JobState = "running"
	JobDone        JobState = "done"
	JobFailed      JobState = "failed"      // stopped by an error before every item was done
	JobInterrupted JobState = "interrupted" // its process stopped and it could not be resumed
)

// Finished reports whether the job has ended.
func (s JobState) Finished() bool { return s == JobDone || s == JobFailed || s == JobInterrupted }

// Outcome statuses every kind of job may give an item, besides its own.
const (
	JobItemInterrupted = "interrupted" // the job stopped (restart, crash) before this item was done
	JobItemNotRun      = "not-run"     // the job failed before it got to this item
)

// Job is a long write (reprocess, a template change ...) run in the background, whose items
// (users) each get exactly one outcome, stored as they come so a restart loses none.
type Job struct {
	ID            int64
	Kind          string // what it does, e.g. "reprocess"
	Title         string // for people: "Reprocess 25 users of LIC-O365-E3"
	Target        string // what it acts on, e.g. a group's object id
	TargetName    string
	Params        string // the kind's own parameters (JSON)
	ActorUPN      string // who started it
	ActorName     string
	RemoteIP      string
	CorrelationID string
	State         JobState
	CreatedAt     time.Time
	StartedAt     time.Time
	FinishedAt    time.Time
	Total         int            // items
	Counts        map[string]int // items by outcome status ("" for those still pending)
	Summary       string         // the outcome in one line, when finished
	Error         string         // why it failed
	Problems      []string       // warnings around the items
	Resumes       int            // how often it was taken up again after its process stopped
}

// Done is how many items have their outcome.
func (j Job) Done() int { return j.Total - j.Counts[""] }

// JobItem is one item of a job and, once it has it, its outcome.
type JobItem struct {
	Seq     int
	Key     string // e.g. the user's object id
	Name    string // display name, else UPN, else the key
	Known   bool   // the snapshot has it (it has a page)
	Status  string // "" while pending; the kind's outcome status, or JobItemInterrupted / JobItemNotRun
	Summary string
	Fix     string
	DoneAt  time.Time
}

// JobQuery selects jobs, newest first. Zero fields select all.
type JobQuery struct {
	Kind   string
	Target string
	Limit  int // < 1 means 50
	Offset int
}

// JobItemQuery selects a page of a job's items in their order.
type JobItemQuery struct {
	Status string // "" for all; "pending" for those without an outcome
	Limit  int    // < 1 means 100
	Offset int
}

// JobItemPage is a page of a job's items.
type JobItemPage struct {
	Items []JobItem
	Total int // items matching the query
}
