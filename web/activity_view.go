package web

import "github.com/tenantdesk/tenantdesk/internal/model"

// ActivityView is a page of the activity log with its filters.
type ActivityView struct {
	// The filters as typed; dates are YYYY-MM-DD (UTC), Until inclusive.
	Actor, Action, Result, Since, Until, Text string
	Actions                                   []string // known actions, for the select
	Results                                   []string
	Entries                                   []model.Activity
	Total                                     int
	From, To                                  int // 1-based positions of the shown entries
	PrevURL, NextURL                          string
	CSVURL                                    string
	FormURL                                   string
	Problem                                   *FormProblem
}
