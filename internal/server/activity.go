package server

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/tenantdesk/tenantdesk/internal/export"
	"github.com/tenantdesk/tenantdesk/internal/model"
	"github.com/tenantdesk/tenantdesk/web"
)

var activityResults = []string{model.ActivityOK, model.ActivityRefused, model.ActivityFailed}

// dateLayout is how dates are written in addresses and file names.
const dateLayout = "2006-01-02"

// activityQuery is /activity's filter as parsed from the URL.
type activityQuery struct {
	Actor, Action, Result, Since, Until, Text string
	Page                                      int
	Filter                                    model.ActivityFilter
}

// parseActivityQuery reads the activity filters. Every problem is reported, none guessed.
func parseActivityQuery(v url.Values) (activityQuery, error) {
	q := activityQuery{Actor: v.Get("actor"), Action: v.Get("action"), Result: v.Get("result"),
		Since: v.Get("since"), Until: v.Get("until"), Text: v.Get("q"), Page: 1}
	var problems []string
	for name, val := range map[string]string{"actor": q.Actor, "action": q.Action, "q": q.Text} {
		if len(val) > maxFilterLen || !utf8.ValidString(val) {
			problems = append(problems, fmt.Sprintf("%s must be valid text of at most %d bytes", name, maxFilterLen))
		}
	}
	if q.Result != "" && !slices.Contains(activityResults, q.Result) {
		problems = append(problems, "result must be ok, refused or failed")
	}
	f := model.ActivityFilter{Actor: q.Actor, Action: q.Action, Result: q.Result, Text: q.Text, Limit: activityPageSize}
	if q.Since != "" {
		t, err := time.Parse(dateLayout, q.Since)
		if err != nil {
			problems = append(problems, "since must be a date like 2026-03-01")
		}
		f.Since = t
	}
	if q.Until != "" {
		t, err := time.Parse(dateLayout, q.Until)
		if err != nil {
			problems = append(problems, "until must be a date like 2026-03-31")
		} else {
			f.Until = t.AddDate(0, 0, 1) // the whole day is included
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		problems = append(problems, "since must not be after until")
	}
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > maxPage {
			problems = append(problems, fmt.Sprintf("page must be a number from 1 to %d", maxPage))
		} else {
			q.Page = n
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return q, &model.InputError{Message: "The activity filter is not valid.", Problems: problems}
	}
	f.Offset = (q.Page - 1) * activityPageSize
	q.Filter = f
	return q, nil
}

// values is the query of q's filter, with page p (0 leaves it out).
func (q activityQuery) values(p int) url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"actor": q.Actor, "action": q.Action, "result": q.Result,
		"since": q.Since, "until": q.Until, "q": q.Text} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	return v
}

// handleActivity serves /activity: the log, newest first, filtered by the URL.
func (s *Server) handleActivity(w http.ResponseWriter, r *http.Request) error {
	l := s.layout(r.Context(), "Activity", "activity")
	q, err := parseActivityQuery(r.URL.Query())
	v := web.ActivityView{Actor: q.Actor, Action: q.Action, Result: q.Result, Since: q.Since, Until: q.Until,
		Text: q.Text, Actions: activityActions, Results: activityResults, FormURL: "/activity"}
	if q.Action != "" && !slices.Contains(v.Actions, q.Action) {
		v.Actions = append(slices.Clone(v.Actions), q.Action)
	}
	if err != nil {
		return onForm(err, func(p *web.FormProblem) templ.Component {
			v.Problem = p
			return web.ActivityPage(l, v)
		})
	}
	page, err := s.activity.ListActivity(r.Context(), q.Filter)
	if err != nil {
		return err
	}
	v.Entries, v.Total, v.CSVURL = page.Entries, page.Total, withQuery("/activity.csv", q.values(0))
	if len(page.Entries) > 0 {
		v.From = q.Filter.Offset + 1
		v.To = q.Filter.Offset + len(page.Entries)
	}
	if q.Page > 1 {
		v.PrevURL = withQuery("/activity", q.values(q.Page-1))
	}
	if q.Filter.Offset+len(page.Entries) < page.Total {
		v.NextURL = withQuery("/activity", q.values(q.Page+1))
	}
	s.render(w, r, http.StatusOK, web.ActivityPage(l, v))
	return nil
}

var activityCSVHeader = []string{"When (UTC)", "Actor UPN", "Actor name", "Action", "Target", "Target name",
	"Result", "Detail", "Correlation id", "Address", "Count", "Last (UTC)"}

// handleActivityCSV serves /activity.csv: every entry of the filter (paging ignored).
func (s *Server) handleActivityCSV(w http.ResponseWriter, r *http.Request) error {
	q, err := parseActivityQuery(r.URL.Query())
	if err != nil {
		return err
	}
	name := "tenantdesk-activity-" + s.now().Format(dateLayout) + ".csv"
	return s.serveCSV(w, r, name, true, func(c *export.CSV) error {
		if err := c.Write(export.Texts(activityCSVHeader...)...); err != nil {
			return err
		}
		return s.activity.EachActivity(r.Context(), q.Filter, func(a model.Activity) error {
			row := append([]export.Cell{export.Time(a.At)}, export.Texts(a.ActorUPN, a.ActorName, a.Action,
				a.Target, a.TargetName, a.Result, a.Detail, a.CorrelationID, a.RemoteIP)...)
			return c.Write(append(row, export.Number(max(a.Count, 1)), export.Time(a.LastAt))...)
		})
	})
}
